package hpa_test

import (
	"fmt"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
)

// A queue consumer scaled on an External AverageValue metric (30 messages per
// pod) with the default behavior: the queue grows, the HPA scales up within the
// policies' limits, then holds the scale-down for the 5-minute window.
func Example() {
	spec := hpa.Spec{
		MinReplicas: 1,
		MaxReplicas: 20,
		Metrics: []hpa.Metric{
			{Type: hpa.External, Name: "queue_messages", Target: hpa.AverageValue, TargetMilli: 30_000},
		},
		Tolerance: hpa.Tolerance{Up: hpa.DefaultTolerance, Down: hpa.DefaultTolerance},
		Behavior:  hpa.DefaultBehavior(),
	}
	a, err := hpa.New(spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	queue := []float64{60, 300, 600, 600, 90, 90, 90}
	replicas := int32(2)
	for i, q := range queue {
		now := start.Add(time.Duration(i) * hpa.DefaultSyncPeriod)
		milli, _ := hpa.MilliFromFloat(q)
		d := a.Step(now, hpa.Steady(replicas), []hpa.Observation{{Milli: milli}})
		fmt.Printf("%s queue=%-4v raw=%-2d desired=%-2d [%s]\n", now.Format("15:04:05"), q, d.Recommendation, d.Desired, d.Reasons)
		replicas = d.Desired
	}
	// Output:
	// 09:00:00 queue=60   raw=2  desired=2  [WithinTolerance]
	// 09:00:15 queue=300  raw=10 desired=6  [ScaleUpLimit]
	// 09:00:30 queue=600  raw=20 desired=12 [ScaleUpLimit]
	// 09:00:45 queue=600  raw=20 desired=20 []
	// 09:01:00 queue=90   raw=3  desired=20 [ScaleDownStabilized]
	// 09:01:15 queue=90   raw=3  desired=20 [ScaleDownStabilized]
	// 09:01:30 queue=90   raw=3  desired=20 [ScaleDownStabilized]
}
