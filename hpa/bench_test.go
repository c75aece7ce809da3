package hpa

import (
	"math"
	"testing"
	"time"
)

// benchLoad is a cycle of loads, in pods' worth of work, that rises and
// falls over n reconciles (256: 64 min at 15 s) with some jitter, so that
// the autoscaler scales up and, once the scale-down window has passed, down.
func benchLoad(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = 10 + 8*math.Sin(2*math.Pi*float64(i)/float64(n)) + float64((i*7919)%5) - 2
	}
	return out
}

func benchSpec(b *Behavior, legacyWindow time.Duration) Spec {
	return Spec{
		MinReplicas: 2,
		MaxReplicas: 40,
		Metrics: []Metric{
			{Type: External, Name: "queue", Target: AverageValue, TargetMilli: 1000},
			{Type: Resource, Name: "cpu", Target: Utilization, TargetUtilization: 60},
		},
		Tolerance:             Tolerance{Down: DefaultTolerance, Up: DefaultTolerance},
		Behavior:              b,
		LegacyDownscaleWindow: legacyWindow,
	}
}

// benchRun steps a closed loop at 15 s ticks over a load cycle of cycle
// reconciles: warm reconciles before timing (beyond the longest window and
// period), then one reconcile per iteration. It reports the rescales seen per reconcile, to show that the
// loop is not idle.
func benchRun(b *testing.B, spec Spec, warm, cycle int) {
	a, err := New(spec)
	if err != nil {
		b.Fatal(err)
	}
	loads := benchLoad(cycle)
	obs := make([]Observation, 2)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cur := Steady(spec.MinReplicas)
	i := 0
	ups, downs := 0, 0
	step := func() {
		// the readings for the load at this tick: the queue's total
		// (1000m per pod's worth) and the pods' cpu utilization (60 % when
		// the replicas match the load)
		load := loads[i%len(loads)]
		obs[0] = Observation{Milli: int64(load * 1000)}
		obs[1] = Observation{Milli: int64(60_000 * load / float64(max(cur.ReadyReplicas, 1)))}
		d := a.Step(now, cur, obs)
		switch {
		case d.Desired > d.Current:
			ups++
		case d.Desired < d.Current:
			downs++
		}
		cur = Steady(d.Desired)
		now = now.Add(DefaultSyncPeriod)
		i++
	}
	for range warm {
		step()
	}
	if ups == 0 || downs == 0 {
		b.Fatalf("warm-up saw %d scale-ups and %d scale-downs: the trace does not exercise both directions", ups, downs)
	}
	ups, downs = 0, 0
	ops := 0
	b.ReportAllocs()
	for b.Loop() {
		step()
		ops++
	}
	b.ReportMetric(float64(ups+downs)/float64(ops), "rescales/op")
}

// BenchmarkStep measures one reconcile in steady state.
func BenchmarkStep(b *testing.B) {
	// default: spec.behavior {} with a 300 s scale-down window; warm 1 h.
	b.Run("behavior", func(b *testing.B) {
		benchRun(b, benchSpec(DefaultBehavior(), 0), 240, 256)
	})
	// legacy: no behavior, the controller's 300 s downscale window.
	b.Run("legacy", func(b *testing.B) {
		benchRun(b, benchSpec(nil, DefaultDownscaleStabilizationWindow), 240, 256)
	})
	// long window: a 3600 s scale-down window, 240 recommendations per
	// window at 15 s ticks, under a load cycle of 4 h 16 min; warm 6 h.
	b.Run("long-window", func(b *testing.B) {
		beh := DefaultBehavior()
		beh.ScaleDown.StabilizationWindow = MaxStabilizationWindow
		benchRun(b, benchSpec(beh, 0), 1440, 1024)
	})
	// long periods: 1800 s policies in both directions, so the event lists
	// hold up to 120 events that every reconcile sums per policy.
	b.Run("long-period", func(b *testing.B) {
		beh := DefaultBehavior()
		beh.ScaleUp.Policies = []Policy{{Type: PodsPolicy, Value: 4, Period: MaxPolicyPeriod}, {Type: PercentPolicy, Value: 100, Period: MaxPolicyPeriod}}
		beh.ScaleDown.Policies = []Policy{{Type: PercentPolicy, Value: 50, Period: MaxPolicyPeriod}}
		beh.ScaleDown.StabilizationWindow = 0
		benchRun(b, benchSpec(beh, 0), 480, 256)
	})
}
