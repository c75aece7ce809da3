package replay_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/autoreplay/autoreplay/manifest"
	"github.com/autoreplay/autoreplay/replay"
	"github.com/autoreplay/autoreplay/replay/trace"
)

// A ScaledObject on a queue's backlog, replayed in the closed loop: the
// backlog is recomputed from the arrivals and the replicas KEDA and its HPA
// choose, pods start in 20 s.
func Example() {
	const so = `
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: worker}
spec:
  scaleTargetRef: {name: worker}
  pollingInterval: 15
  minReplicaCount: 0
  maxReplicaCount: 10
  triggers:
  - type: prometheus
    name: backlog
    metadata: {serverAddress: "http://prometheus:9090", query: "sum(ready)", threshold: "100"}
`
	const csv = `time,arrivals
2026-01-05T09:00:00Z,0
2026-01-05T09:00:30Z,120
2026-01-05T09:02:00Z,0
2026-01-05T09:03:00Z,0
`
	sos, err := manifest.ParseScaledObjects("worker.yaml", strings.NewReader(so), manifest.DefaultOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	r := trace.NewCSVReader("arrivals.csv", strings.NewReader(csv))
	rp, err := replay.New(replay.Config{
		ScaledObject: &sos[0].Spec,
		Workloads:    []replay.Workload{{Series: "backlog", Kind: replay.Queue, Arrivals: "arrivals", Throughput: 50}},
		StartupDelay: 20 * time.Second,
	}, r.Header())
	if err != nil {
		fmt.Println(err)
		return
	}
	w := replay.NewCSVTimeline(os.Stdout, rp.Columns())
	res, err := rp.Run(r, func(row *replay.Row) error {
		if !row.Rescale {
			return nil
		}
		return w.Write(row)
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	w.Close()
	q := res.Regions[0].Queues[0]
	fmt.Printf("arrived %.0f, processed %.0f, left %.0f\n", q.Arrived, q.Processed, q.Final)
	// Output:
	// time,region,replicas,desired,source,loop,ready,recorded,backlog,actual:backlog,reasons
	// 2026-01-05T09:00:45Z,,1,1,keda,closed,0,,1800,1800,Active+Activated
	// 2026-01-05T09:00:45Z,,4,18,hpa,closed,0,,1800,1800,ScaleUpLimit
	// 2026-01-05T09:01:00Z,,8,36,hpa,closed,0,,3600,3600,ScaleUpLimit
	// 2026-01-05T09:01:15Z,,10,34,hpa,closed,4,,3400,3400,ScaleDownStabilized+TooManyReplicas
	// arrived 10800, processed 10800, left 0
}
