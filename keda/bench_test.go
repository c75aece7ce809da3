package keda

import (
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
)

// BenchmarkStep measures one poll and one HPA reconcile of a ScaledObject
// with two prometheus triggers combined by a formula, with the default HPA
// behavior, in steady state (history warmed beyond the windows; readings
// vary so that it scales).
func BenchmarkStep(b *testing.B) {
	s := spec(1, 50, prom(0, "request_rate", 1, 0), prom(1, "error_rate", 1, 0))
	s.Modifiers = &Modifiers{Formula: "error_rate < 0.05 ? request_rate : request_rate * 2", Target: "100"}
	s.Behavior = hpa.DefaultBehavior()
	for _, bc := range []struct {
		name string
		call func(so *ScaledObject, now time.Time, cur hpa.Target, r []Reading) Decision
	}{
		{"poll", (*ScaledObject).Poll},
		{"reconcile", (*ScaledObject).Reconcile},
	} {
		b.Run(bc.name, func(b *testing.B) {
			so, err := New(s)
			if err != nil {
				b.Fatal(err)
			}
			readings := make([]Reading, 2)
			replicas := int32(1)
			step := func(i int) {
				readings[0].Value = float64(100 + (i*37)%900)
				readings[1].Value = float64(i%10) / 100
				now := epoch.Add(time.Duration(i) * hpa.DefaultSyncPeriod)
				d := bc.call(so, now, hpa.Steady(replicas), readings)
				replicas = d.Desired
			}
			for i := range 2000 {
				step(i)
			}
			i := 2000
			b.ReportAllocs()
			for b.Loop() {
				step(i)
				i++
			}
		})
	}
}
