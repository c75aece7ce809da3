package keda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
)

// randomSpec builds a valid ScaledObject spec from r: 1-3 prometheus
// triggers (some Value targets), optional idle count, fallback, formula.
func randomSpec(r *rand.Rand) Spec {
	n := 1 + r.IntN(3)
	var triggers []Trigger
	names := []string{"a", "b", "c"}
	for i := range n {
		tr := prom(i, names[i], float64(1+r.IntN(200)), float64(r.IntN(20)))
		if r.IntN(4) == 0 {
			tr.MetricType = hpa.Value
		}
		tr.UseCachedMetrics = r.IntN(6) == 0
		triggers = append(triggers, tr)
	}
	if r.IntN(4) == 0 {
		triggers = append(triggers, cpuTrigger(int32(30+r.IntN(60))))
	}
	min := []int32{0, 0, 1, 3}[r.IntN(4)]
	s := spec(min, min+1+int32(r.IntN(30)), triggers...)
	s.PollingInterval = time.Duration(5+r.IntN(56)) * time.Second
	s.CooldownPeriod = time.Duration(r.IntN(601)) * time.Second
	if r.IntN(5) == 0 {
		s.InitialCooldownPeriod = time.Duration(r.IntN(300)) * time.Second
	}
	if min > 1 && r.IntN(3) == 0 {
		idle := int32(r.IntN(int(min)))
		s.IdleReplicaCount = &idle
	}
	if r.IntN(2) == 0 {
		s.Behavior = hpa.DefaultBehavior()
	}
	if r.IntN(2) == 0 {
		s.Fallback = &Fallback{FailureThreshold: int32(r.IntN(5)), Replicas: int32(r.IntN(10)), Behavior: FallbackBehavior(r.IntN(4))}
	}
	if r.IntN(3) == 0 {
		formulas := []string{"a", "a * 2", "a > 5 ? a : a / 2", "max(a, 1)"}
		if n > 1 {
			formulas = append(formulas, "a + b", "a > b ? a : b * 2")
		}
		s.Modifiers = &Modifiers{Formula: formulas[r.IntN(len(formulas))], Target: fmt.Sprint(1 + r.IntN(100))}
		if r.IntN(3) == 0 {
			s.Modifiers.ActivationTarget = fmt.Sprint(r.IntN(10))
		}
	}
	return s
}

// Invariants over random closed-loop runs: the operator only ever writes
// one of the counts RequestScale can write; the HPA keeps the workload
// within [max(min,1), max] once it is there; the same inputs give the same
// decisions.
func TestPropertyClosedLoop(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 99))
		s := randomSpec(r)
		if _, err := New(s); err != nil {
			t.Fatalf("seed %d: random spec rejected: %v", seed, err)
		}
		a, b := run(t, s, seed), run(t, s, seed)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: two runs of the same inputs differ", seed)
		}
	}
}

type step struct {
	Kind             DecisionKind
	Desired          int32
	Reasons          Reasons
	HPAReasons       hpa.Reasons
	Milli            []int64
	Failures         []int32
	Composite        int64
	Active, Fallback bool
}

func run(t *testing.T, s Spec, seed uint64) []step {
	t.Helper()
	so, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 7))
	hpaMin, hpaMax := max(s.MinReplicaCount, 1), s.MaxReplicaCount
	allowed := map[int32]bool{hpaMin: true, s.MinReplicaCount: true}
	if s.IdleReplicaCount != nil {
		allowed[*s.IdleReplicaCount] = true
	}
	readings := make([]Reading, len(s.Triggers))
	replicas := int32(r.IntN(int(hpaMax) + 1))
	var out []step
	nextPoll, nextHPA := time.Duration(0), 5*time.Second
	for range 400 {
		var now time.Duration
		kind := PollDecision
		if nextHPA < nextPoll {
			now, kind = nextHPA, ReconcileDecision
			nextHPA += hpa.DefaultSyncPeriod
		} else {
			now = nextPoll
			nextPoll += s.PollingInterval
		}
		for i := range readings {
			switch x := r.IntN(20); {
			case x == 0:
				readings[i] = Reading{Failed: true}
			case x < 6:
				readings[i] = Reading{Value: 0}
			case x == 6:
				readings[i] = Reading{Value: s.Triggers[i].Activation} // on the activation edge
			default:
				readings[i] = Reading{Value: r.Float64() * 2000}
			}
			if !s.Triggers[i].Kind.External() {
				readings[i] = Reading{Value: r.Float64() * 150}
			}
		}
		cur := hpa.Steady(replicas)
		var d Decision
		if kind == PollDecision {
			d = so.Poll(epoch.Add(now), cur, readings)
			if d.Rescale && !allowed[d.Desired] {
				t.Fatalf("seed %d at %v: the operator wrote %d, not one of %v (%s)", seed, now, d.Desired, allowed, d.Reasons)
			}
		} else {
			d = so.Reconcile(epoch.Add(now), cur, readings)
			if replicas >= hpaMin && replicas <= hpaMax && (d.Desired < hpaMin || d.Desired > hpaMax) {
				t.Fatalf("seed %d at %v: the HPA left [%d, %d] for %d (%s)", seed, now, hpaMin, hpaMax, d.Desired, d.HPA.Reasons)
			}
		}
		st := step{Kind: d.Kind, Desired: d.Desired, Reasons: d.Reasons, HPAReasons: d.HPA.Reasons, Composite: d.Composite, Active: d.Active, Fallback: d.FallbackActive}
		for _, ts := range d.Triggers {
			st.Milli = append(st.Milli, ts.Milli)
			st.Failures = append(st.Failures, ts.Failures)
			if ts.HasMetric && ts.Milli < 0 && !(s.Fallback != nil && s.Fallback.Behavior == FallbackScalingModifiers) {
				t.Fatalf("seed %d at %v: served %d m; GenerateMetricInMili never serves a negative value", seed, now, ts.Milli)
			}
		}
		out = append(out, st)
		replicas = d.Desired
	}
	return out
}

// FuzzMetricInMilli: the value served is the nearest milli of v for finite
// non-negative v (within the int64 range), 0 otherwise.
func FuzzMetricInMilli(f *testing.F) {
	for _, v := range []float64{0, 1.0005, 2.5, 123456.789, -1, math.Inf(1)} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		got := metricInMilli(v)
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0) || v < 0:
			if got != 0 {
				t.Fatalf("metricInMilli(%v) = %d, want 0", v, got)
			}
		case v*1000 < 9e18:
			if d := math.Abs(float64(got) - v*1000); d > 0.5+1e-9*v*1000 {
				t.Fatalf("metricInMilli(%v) = %d, more than half a milli away", v, got)
			}
		}
	})
}
