package replaytest_test

import (
	"testing"

	"github.com/autoreplay/autoreplay/replaytest"
)

func init() { replaytest.RegisterUpdateFlag() } // go test -update rewrites goldens

// TestGatewayAutoscaler is the test function docs/regression.md has a team
// add to its own repository, on this repository's NASA example: the HPA of
// a web gateway replayed on a day of its requests.
func TestGatewayAutoscaler(t *testing.T) {
	res := replaytest.Run(t, replaytest.Case{
		Manifest: "../testdata/examples/nasa-gateway-hpa.yaml",
		Trace:    "../testdata/traces/nasa-http-1995-07-01-rate.csv",
	})
	res.Golden(t, "testdata/nasa-gateway.timeline.csv")
	res.Check(t,
		"max_replicas <= 30",          // what the cluster can hold
		"scale_events_per_hour <= 12", // no churn
		"replica_hours <= 400",        // the budget
	)
}
