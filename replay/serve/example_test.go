package serve_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/autoreplay/autoreplay/replay/serve"
	"github.com/autoreplay/autoreplay/replay/trace"
)

// A trace of two regions played at 60x: one second of wall time is a
// minute of trace. The clock here is moved by hand; a command gives
// time.Now.
func Example() {
	csv := `time,region,lag,cpu
2026-01-05T09:00:00Z,eu-west,1234.5,61.2
2026-01-05T09:00:00Z,us-east,88,40
2026-01-05T09:01:00Z,eu-west,1301,
2026-01-05T09:01:00Z,us-east,95,42
`
	tb, err := trace.ReadAll(trace.NewCSVReader("lag.csv", strings.NewReader(csv)))
	if err != nil {
		fmt.Println(err)
		return
	}
	wall := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := serve.New(tb, serve.Options{Speed: 60, Now: func() time.Time { return wall }})
	if err != nil {
		fmt.Println(err)
		return
	}
	get := func(path string) {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		fmt.Print(w.Code, " ", w.Body.String())
	}
	wall = wall.Add(30 * time.Second) // 30 minutes of trace later: the last values hold
	get("/json?region=eu-west")
	get("/api/v1/query?query=" + `lag{region="us-east"}`)
	get("/api/v1/query?query=cpu&region=eu-west")
	wall = wall.Add(-29 * time.Second) // 09:01:00
	get("/metrics?region=eu-west")
	// Output:
	// 200 {"time":"2026-01-05T09:01:00Z","finished":true,"region":"eu-west","lag":1301,"cpu":null}
	// 200 {"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"lag","region":"us-east"},"value":[1767603660,"95"]}]}}
	// 503 {"status":"error","errorType":"unavailable","error":"cpu{region=\"eu-west\"}: the source failed at the trace time 2026-01-05T09:01:00Z (the trace records a failed read until its next sample)"}
	// 200 # HELP lag Trace column "lag" at the trace time (sample and hold).
	// # TYPE lag gauge
	// lag{region="eu-west"} 1301
	// # HELP cpu Trace column "cpu" at the trace time (sample and hold).
	// # TYPE cpu gauge
	// # HELP replay_trace_time_seconds The trace time being served, in Unix seconds.
	// # TYPE replay_trace_time_seconds gauge
	// replay_trace_time_seconds 1767603660
	// # HELP replay_trace_finished 1 once the trace has reached its last time and its last values hold, else 0.
	// # TYPE replay_trace_finished gauge
	// replay_trace_finished 1
}

func ExampleMetricName() {
	fmt.Println(serve.MetricName("requests-per-minute"), serve.MetricName("s0-prometheus"), serve.MetricName("lag"))
	// Output: requests_per_minute s0_prometheus lag
}
