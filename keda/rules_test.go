package keda

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
)

var epoch = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return epoch.Add(time.Duration(sec) * time.Second) }

func prom(i int, name string, threshold, activation float64) Trigger {
	return Trigger{
		Name: name, Kind: Prometheus, MetricName: fmt.Sprintf("s%d-prometheus", i),
		MetricType: hpa.AverageValue, Target: threshold, TargetMilli: int64(math.Round(threshold * 1000)),
		Activation: activation,
	}
}

func cpuTrigger(percent int32) Trigger {
	return Trigger{Kind: CPU, MetricName: "cpu", MetricType: hpa.Utilization, Target: float64(percent)}
}

func spec(min, max int32, triggers ...Trigger) Spec {
	return Spec{
		PollingInterval:       DefaultPollingInterval,
		CooldownPeriod:        DefaultCooldownPeriod,
		MinReplicaCount:       min,
		MaxReplicaCount:       max,
		Triggers:              triggers,
		Tolerance:             hpa.Tolerance{Up: hpa.DefaultTolerance, Down: hpa.DefaultTolerance},
		LegacyDownscaleWindow: hpa.DefaultDownscaleStabilizationWindow,
	}
}

func mustNew(t *testing.T, s Spec) *ScaledObject {
	t.Helper()
	so, err := New(s)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return so
}

func val(v ...float64) []Reading {
	r := make([]Reading, len(v))
	for i, x := range v {
		r[i] = Reading{Value: x}
	}
	return r
}

var failing = Reading{Failed: true}

// GetMetricsAndActivity of prometheus and metrics-api: active when
// value > activationThreshold, strictly; activation from 0 goes to
// minReplicaCount if > 0, else 1 (scaleFromZeroOrIdle).
func TestActivationIsStrict(t *testing.T) {
	for _, tc := range []struct {
		value  float64
		min    int32
		want   int32
		active bool
	}{
		{5, 0, 0, false},     // exactly at the activation threshold
		{5.0001, 0, 1, true}, // just above: 0 → 1
		{6, 3, 3, true},      // 0 → minReplicaCount
	} {
		so := mustNew(t, spec(tc.min, 10, prom(0, "", 100, 5)))
		d := so.Poll(at(0), hpa.Steady(0), val(tc.value))
		if d.Active != tc.active || d.Desired != tc.want {
			t.Errorf("value %v min %d: active=%v desired=%d, want %v and %d", tc.value, tc.min, d.Active, d.Desired, tc.active, tc.want)
		}
	}
}

// scaleToZeroOrIdle: lastActiveTime has one-second precision, so the
// workload is scaled in at the first poll with tick − last active ≥
// cooldownPeriod.
func TestCooldownToZero(t *testing.T) {
	so := mustNew(t, spec(0, 10, prom(0, "", 100, 0)))
	replicas := int32(0)
	deactivated := -1
	for sec := 0; sec <= 480; sec += 30 {
		v := 0.0
		if sec <= 90 {
			v = 50
		}
		d := so.Poll(at(sec), hpa.Steady(replicas), val(v))
		if d.Reasons.Has(ReasonDeactivated) && deactivated < 0 {
			deactivated = sec
		}
		replicas = d.Desired
		if sec == 360 && !d.Reasons.Has(ReasonCooldown) {
			t.Errorf("360 s: reasons %s, want Cooldown", d.Reasons)
		}
	}
	if deactivated != 390 {
		t.Errorf("deactivated at %d s, want 390 s (last active 90 s + cooldown 300 s)", deactivated)
	}
	if replicas != 0 {
		t.Errorf("replicas %d, want 0", replicas)
	}
}

// lastActiveTime keeps whole seconds: with polls at irregular instants the
// cooldown counts from the last active poll's whole second.
func TestCooldownUsesWholeSeconds(t *testing.T) {
	s := spec(0, 10, prom(0, "", 100, 0))
	s.CooldownPeriod = 60 * time.Second
	so := mustNew(t, s)
	so.Poll(epoch.Add(700*time.Millisecond), hpa.Steady(1), val(50)) // active; lastActive = 0 s
	d := so.Poll(epoch.Add(60500*time.Millisecond), hpa.Steady(1), val(0))
	if !d.Reasons.Has(ReasonDeactivated) {
		t.Errorf("60.5 s after a last active time of 0.7 s (stored as 0 s) with cooldown 60 s: reasons %s, want Deactivated", d.Reasons)
	}
	so = mustNew(t, s)
	so.Poll(epoch.Add(700*time.Millisecond), hpa.Steady(1), val(50))
	if d := so.Poll(epoch.Add(59900*time.Millisecond), hpa.Steady(1), val(0)); !d.Reasons.Has(ReasonCooldown) {
		t.Errorf("59.9 s: reasons %s, want Cooldown", d.Reasons)
	}
}

// idleReplicaCount: inactive → idle after the cooldown; active → straight
// to minReplicaCount.
func TestIdleReplicaCount(t *testing.T) {
	s := spec(3, 10, prom(0, "", 100, 0))
	idle := int32(1)
	s.IdleReplicaCount = &idle
	s.CooldownPeriod = 0
	so := mustNew(t, s)
	d := so.Poll(at(0), hpa.Steady(3), val(0))
	if d.Desired != 1 || !d.Reasons.Has(ReasonIdle) {
		t.Errorf("inactive: desired %d reasons %s, want 1 Idle", d.Desired, d.Reasons)
	}
	d = so.Poll(at(30), hpa.Steady(1), val(20))
	if d.Desired != 3 || !d.Reasons.Has(ReasonActivated) {
		t.Errorf("active from idle: desired %d reasons %s, want 3 Activated", d.Desired, d.Reasons)
	}
}

// initialCooldownPeriod counts from creation while the ScaledObject has
// never been active.
func TestInitialCooldown(t *testing.T) {
	s := spec(0, 10, prom(0, "", 100, 0))
	s.InitialCooldownPeriod = 90 * time.Second
	so := mustNew(t, s)
	got := []int32{}
	replicas := int32(4)
	for sec := 0; sec <= 90; sec += 30 {
		d := so.Poll(at(sec), hpa.Steady(replicas), val(0))
		replicas = d.Desired
		got = append(got, replicas)
	}
	want := []int32{4, 4, 4, 0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("replicas %v, want %v", got, want)
	}
}

// RequestScale: an active ScaledObject with a failing trigger
// (PartialTriggerError) does not refresh lastActiveTime.
func TestPartialErrorDoesNotRefreshLastActive(t *testing.T) {
	so := mustNew(t, spec(0, 10, prom(0, "a", 100, 0), prom(1, "b", 100, 0)))
	so.Poll(at(0), hpa.Steady(2), val(10, 10))
	so.Poll(at(30), hpa.Steady(2), []Reading{{Value: 10}, failing})
	last, ok := so.LastActive()
	if !ok || !last.Equal(at(0)) {
		t.Errorf("last active %v, want %v", last, at(0))
	}
}

// getScaledObjectState: cpu/memory triggers never make the ScaledObject
// active, unless all triggers are cpu/memory.
func TestCPUMemoryActivity(t *testing.T) {
	so := mustNew(t, spec(0, 10, prom(0, "", 100, 0), cpuTrigger(70)))
	if d := so.Poll(at(0), hpa.Steady(0), []Reading{{Value: 0}, {Value: 99}}); d.Active {
		t.Error("active through a cpu trigger")
	}
	so = mustNew(t, spec(1, 10, cpuTrigger(70)))
	if d := so.Poll(at(0), hpa.Steady(1), []Reading{{Value: 0}}); !d.Active {
		t.Error("a cpu-only ScaledObject is not active")
	}
}

// The HPA KEDA generates: minReplicas = max(minReplicaCount, 1), one
// External metric per trigger with AverageValue by default, cpu kept.
func TestGeneratedHPA(t *testing.T) {
	s := spec(0, 20, prom(0, "", 100, 5), cpuTrigger(70))
	h := s.HPA()
	if h.MinReplicas != 1 || h.MaxReplicas != 20 || len(h.Metrics) != 2 {
		t.Fatalf("HPA %+v", h)
	}
	if m := h.Metrics[0]; m.Type != hpa.External || m.Name != "s0-prometheus" || m.Target != hpa.AverageValue || m.TargetMilli != 100_000 {
		t.Errorf("metric 0 = %+v", m)
	}
	if m := h.Metrics[1]; m.Type != hpa.Resource || m.TargetUtilization != 70 {
		t.Errorf("metric 1 = %+v", m)
	}
	s.Modifiers = &Modifiers{Formula: "x", Target: "2.5", MetricType: hpa.AverageValue}
	s.Triggers[0].Name = "x"
	h = s.HPA()
	if len(h.Metrics) != 2 || h.Metrics[0].Type != hpa.Resource || h.Metrics[1].Name != CompositeMetricName || h.Metrics[1].TargetMilli != 2500 {
		t.Errorf("with modifiers: %+v, want the Resource metric then composite-metric", h.Metrics)
	}
	// ContainerResource metrics are dropped with modifiers, and sort first
	// without.
	c := cpuTrigger(50)
	c.ContainerName = "app"
	s.Triggers = append(s.Triggers, c)
	if h := s.HPA(); len(h.Metrics) != 2 {
		t.Errorf("with modifiers and a container trigger: %+v", h.Metrics)
	}
	s.Modifiers = nil
	if h := s.HPA(); len(h.Metrics) != 3 || h.Metrics[0].Type != hpa.ContainerResource || h.Metrics[1].Type != hpa.External || h.Metrics[2].Type != hpa.Resource {
		t.Errorf("order %+v, want ContainerResource, External, Resource", h.Metrics)
	}
}

// With the default AverageValue target the HPA computes ceil(value ÷
// target), with its tolerance; the value reaches it rounded to the nearest
// milli (GenerateMetricInMili).
func TestHPAReadsAverageValue(t *testing.T) {
	so := mustNew(t, spec(1, 50, prom(0, "", 100, 0)))
	d := so.Reconcile(at(0), hpa.Steady(2), val(1234.5678))
	if got := d.Triggers[0].Milli; got != 1_234_568 {
		t.Errorf("served %d m, want 1234568 m", got)
	}
	if d.HPA.Recommendation != 13 {
		t.Errorf("recommendation %d, want ceil(1234.568/100) = 13", d.HPA.Recommendation)
	}
}

func TestMetricInMilli(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want int64
	}{
		{0, 0}, {1.0004, 1000}, {1.0006, 1001}, {2.5, 2500},
		{math.NaN(), 0}, {math.Inf(1), 0}, {-3, 0}, {1e20, math.MaxInt64},
	} {
		if got := metricInMilli(tc.v); got != tc.want {
			t.Errorf("metricInMilli(%v) = %d, want %d", tc.v, got, tc.want)
		}
	}
}

// GetMetricsWithFallback: failures count on every look (poll and HPA
// query); fallback starts once they exceed failureThreshold; the value
// served is replicas × target so that the HPA computes exactly the
// fallback replicas; one success resets the count.
func TestFallbackCountsEveryLook(t *testing.T) {
	s := spec(1, 50, prom(0, "", 100, 0))
	s.Fallback = &Fallback{FailureThreshold: 3, Replicas: 6}
	so := mustNew(t, s)
	cur := hpa.Steady(2)
	r := []Reading{failing}
	so.Poll(at(0), cur, r)            // 1
	so.Reconcile(at(5), cur, r)       // 2
	so.Reconcile(at(20), cur, r)      // 3
	d := so.Reconcile(at(35), cur, r) // 4 > 3: fallback
	if !d.FallbackActive || d.Triggers[0].Failures != 4 || d.HPA.Recommendation != 6 {
		t.Errorf("4th failure: fallback=%v failures=%d recommendation=%d, want true 4 6", d.FallbackActive, d.Triggers[0].Failures, d.HPA.Recommendation)
	}
	if d.Triggers[0].Milli != 600_000 {
		t.Errorf("fallback value %d m, want 6 × 100 = 600000 m", d.Triggers[0].Milli)
	}
	d = so.Reconcile(at(50), hpa.Steady(6), val(100))
	if d.FallbackActive || d.Triggers[0].Failures != 0 {
		t.Errorf("after a success: fallback=%v failures=%d", d.FallbackActive, d.Triggers[0].Failures)
	}
}

// doFallback behaviors and the Value target (divided by ready pods).
func TestFallbackBehaviors(t *testing.T) {
	for _, tc := range []struct {
		behavior FallbackBehavior
		current  int32
		want     int32
	}{
		{FallbackStatic, 3, 6},
		{FallbackCurrentReplicas, 3, 3},
		{FallbackCurrentReplicasIfHigher, 3, 6},
		{FallbackCurrentReplicasIfHigher, 9, 9},
		{FallbackCurrentReplicasIfLower, 3, 3},
		{FallbackCurrentReplicasIfLower, 9, 6},
	} {
		s := spec(1, 50, prom(0, "", 100, 0))
		s.Fallback = &Fallback{FailureThreshold: 0, Replicas: 6, Behavior: tc.behavior}
		so := mustNew(t, s)
		d := so.Reconcile(at(0), hpa.Steady(tc.current), []Reading{failing})
		if d.HPA.Recommendation != tc.want {
			t.Errorf("%v at %d: HPA recommendation %d, want %d", tc.behavior, tc.current, d.HPA.Recommendation, tc.want)
		}
	}
	s := spec(1, 50, prom(0, "", 100, 0))
	s.Triggers[0].MetricType = hpa.Value
	s.Fallback = &Fallback{FailureThreshold: 0, Replicas: 6}
	so := mustNew(t, s)
	d := so.Reconcile(at(0), hpa.Target{Replicas: 4, StatusReplicas: 4, ReadyReplicas: 3}, []Reading{failing})
	if d.Triggers[0].Milli != 200_000 || d.HPA.Recommendation != 6 {
		t.Errorf("Value target: served %d m, recommendation %d; want 100 × 6/3 = 200000 m and ceil(2 × 3 ready) = 6", d.Triggers[0].Milli, d.HPA.Recommendation)
	}
}

// A trigger in fallback counts as active: it lifts a workload off zero.
func TestFallbackActivatesFromZero(t *testing.T) {
	s := spec(0, 50, prom(0, "", 100, 0))
	s.Fallback = &Fallback{FailureThreshold: 1, Replicas: 6}
	so := mustNew(t, s)
	d1 := so.Poll(at(0), hpa.Steady(0), []Reading{failing})
	d2 := so.Poll(at(30), hpa.Steady(0), []Reading{failing})
	if d1.Desired != 0 || d2.Desired != 1 || !d2.Reasons.Has(ReasonFallbackApplied) {
		t.Errorf("desired %d then %d (%s), want 0 then 1 with FallbackApplied", d1.Desired, d2.Desired, d2.Reasons)
	}
	// While failures are still under the threshold, a fallback with
	// replicas != 0 keeps the workload from being scaled to zero.
	so = mustNew(t, s)
	d := so.Poll(at(400), hpa.Steady(3), []Reading{failing})
	if d.Desired != 3 {
		t.Errorf("erroring with a fallback: desired %d, want 3", d.Desired)
	}
}

// calculateScalingModifiersFormula: the formula runs over the triggers'
// values by name, wrapped in float(...); the result is truncated to milli
// and replaces the external metrics; activation compares it with
// activationTarget.
func TestFormula(t *testing.T) {
	s := spec(0, 50, prom(0, "request_rate", 1, 0), prom(1, "error_rate", 1, 0))
	s.Modifiers = &Modifiers{Formula: "error_rate < 0.05 ? request_rate : request_rate * 2", Target: "100", MetricType: hpa.AverageValue}
	so := mustNew(t, s)
	d := so.Reconcile(at(0), hpa.Steady(2), val(250, 0.01))
	if d.Formula != 250 || d.HPA.Recommendation != 3 {
		t.Errorf("formula %v recommendation %d, want 250 and 3", d.Formula, d.HPA.Recommendation)
	}
	d = so.Reconcile(at(15), hpa.Steady(3), val(250, 0.5))
	if d.Formula != 500 || d.HPA.Recommendation != 5 {
		t.Errorf("formula %v recommendation %d, want 500 and 5", d.Formula, d.HPA.Recommendation)
	}
	// Not clamped at zero, truncated toward zero.
	s.Modifiers = &Modifiers{Formula: "request_rate - 1000.0004", Target: "100", ActivationTarget: "-1"}
	so = mustNew(t, s)
	d = so.Poll(at(0), hpa.Steady(0), val(0, 0))
	if !d.HasFormula || d.Formula != -1000.0004 || d.Active {
		t.Errorf("formula %v active %v, want -1000.0004, inactive (below the activation target -1)", d.Formula, d.Active)
	}
	d = so.Reconcile(at(15), hpa.Steady(1), val(0, 0))
	if d.Composite != -1_000_000 {
		t.Errorf("composite %d m, want int64(-1000000.4) = -1000000", d.Composite)
	}
	s.Modifiers.ActivationTarget = "-1000.5"
	so = mustNew(t, s)
	if d := so.Poll(at(0), hpa.Steady(0), val(0, 0)); !d.Active || d.Desired != 1 {
		t.Errorf("above a negative activation target: active %v desired %d", d.Active, d.Desired)
	}
}

func TestFormulaCompileErrorHasPosition(t *testing.T) {
	s := spec(0, 50, prom(0, "a", 1, 0))
	s.Modifiers = &Modifiers{Formula: "a + unknown_name", Target: "10"}
	_, err := New(s)
	var fe *FormulaError
	if !errors.As(err, &fe) || fe.Line != 1 || fe.Column != 5 {
		t.Fatalf("error %v, want a FormulaError with a position", err)
	}
}

// Paused: neither loop scales; paused-replicas holds the count.
func TestPaused(t *testing.T) {
	s := spec(0, 10, prom(0, "", 100, 0))
	n := int32(4)
	s.PausedReplicas = &n
	so := mustNew(t, s)
	d := so.Poll(at(0), hpa.Steady(7), val(1e6))
	if d.Desired != 4 || !d.Reasons.Has(ReasonPaused) {
		t.Errorf("paused-replicas: desired %d reasons %s", d.Desired, d.Reasons)
	}
	if d := so.Reconcile(at(15), hpa.Steady(4), val(1e6)); d.Rescale {
		t.Error("the HPA scaled a paused ScaledObject")
	}
}

// UsesHPAObservations: with minReplicaCount > 0 and the HPA actively
// querying, the scale loop reuses the HPA's record and does not count a
// failure again.
func TestPollReusesHPAObservations(t *testing.T) {
	s := spec(1, 10, prom(0, "", 100, 0))
	s.Fallback = &Fallback{FailureThreshold: 5, Replicas: 6}
	so := mustNew(t, s)
	so.Reconcile(at(0), hpa.Steady(1), val(50))
	so.Reconcile(at(15), hpa.Steady(1), []Reading{failing}) // failure 1; ScalingActive false now
	d := so.Poll(at(20), hpa.Steady(1), []Reading{failing})
	if d.Triggers[0].FromHPA {
		t.Error("reused the HPA's observation although the HPA is not actively scaling")
	}
	so.Reconcile(at(30), hpa.Steady(1), val(50))
	d = so.Poll(at(40), hpa.Steady(1), []Reading{failing})
	if !d.Triggers[0].FromHPA || d.Triggers[0].Failures != 0 {
		t.Errorf("poll: fromHPA=%v failures=%d, want the HPA's successful record", d.Triggers[0].FromHPA, d.Triggers[0].Failures)
	}
}

func TestKafkaPartitionCap(t *testing.T) {
	k := Trigger{Kind: Kafka, MetricName: "s0-kafka-orders", MetricType: hpa.AverageValue, Target: 100, TargetMilli: 100_000}
	r := Reading{Value: 5000, Partitions: 8, PartitionsWithLag: 3}
	if got := k.kafkaLag(5000, r); got != 800 {
		t.Errorf("capped lag %d, want 8 partitions × 100", got)
	}
	k.Kafka.LimitToPartitionsWithLag = true
	if got := k.kafkaLag(5000, r); got != 300 {
		t.Errorf("capped lag %d, want 3 partitions with lag × 100", got)
	}
	k.Kafka = KafkaOptions{AllowIdleConsumers: true}
	if got := k.kafkaLag(5000, r); got != 5000 {
		t.Errorf("idle consumers allowed: lag %d, want 5000", got)
	}
	k.Kafka = KafkaOptions{AllowIdleConsumers: true, EnsureEvenDistributionOfPartitions: true}
	if got := k.kafkaLag(250, r); got != 400 {
		t.Errorf("even distribution: lag %d, want factor 4 of 8 × 100", got)
	}
	k.Kafka = KafkaOptions{AllowIdleConsumers: true}
	res := k.observe(at(0), Reading{Value: 5000, Partitions: 8})
	if !res.active || res.milli != 5_000_000 {
		t.Errorf("observe %+v", res)
	}
}

func TestCronWindow(t *testing.T) {
	c, err := NewCronSchedule(time.UTC, "0 8 * * *", "0 18 * * *", 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at     time.Time
		within bool
	}{
		{time.Date(2026, 1, 5, 7, 59, 0, 0, time.UTC), false},
		{time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC), true}, // Next(08:00) is tomorrow's start: the end comes first
		{time.Date(2026, 1, 5, 8, 0, 1, 0, time.UTC), true},
		{time.Date(2026, 1, 5, 17, 59, 59, 0, time.UTC), true},
		{time.Date(2026, 1, 5, 18, 0, 0, 0, time.UTC), false},
	} {
		if got := c.within(tc.at); got != tc.within {
			t.Errorf("%v: within=%v, want %v", tc.at.Format(time.TimeOnly), got, tc.within)
		}
	}
}

// prometheusScaler.ExecutePromQuery: an empty result, NaN and ±Inf read as
// 0 with ignoreNullValues (the default) and as errors without it; other
// scalers treat an empty result as an error.
func TestPrometheusNullValues(t *testing.T) {
	for _, tc := range []struct {
		name       string
		kind       ScalerKind
		failOnNull bool
		r          Reading
		wantErr    bool
	}{
		{"empty ignored", Prometheus, false, Reading{Empty: true}, false},
		{"NaN ignored", Prometheus, false, Reading{Value: math.NaN()}, false},
		{"-Inf ignored", Prometheus, false, Reading{Value: math.Inf(-1)}, false},
		{"empty rejected", Prometheus, true, Reading{Empty: true}, true},
		{"NaN rejected", Prometheus, true, Reading{Value: math.NaN()}, true},
		{"+Inf rejected", Prometheus, true, Reading{Value: math.Inf(1)}, true},
		{"value accepted", Prometheus, true, Reading{Value: 7}, false},
		{"metrics-api empty", MetricsAPI, false, Reading{Empty: true}, true},
		{"kafka empty", Kafka, false, Reading{Empty: true, Partitions: 3}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := prom(0, "", 10, 0)
			tr.Kind, tr.FailOnNull = tc.kind, tc.failOnNull
			got := tr.observe(at(0), tc.r)
			if got.err != tc.wantErr {
				t.Fatalf("error %v, want %v", got.err, tc.wantErr)
			}
			if !got.err && tc.r.Value != 7 && (got.milli != 0 || got.active) {
				t.Errorf("served %d m active=%v, want 0 m inactive", got.milli, got.active)
			}
		})
	}
}

// quantity's fast path agrees with the "%.3f" formatting of the value.
func TestQuantityFastPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300_000 {
		var v float64
		switch i % 5 {
		case 0:
			v = float64(rng.Int64N(2e12)) / 1000
		case 1:
			v = float64(rng.Int64N(2e9)) / 2000 // ties of half a milli
		case 2:
			v = rng.Float64() * 1e3
		case 3:
			v = rng.ExpFloat64() * 1e9
		default:
			v = float64(rng.Int64N(1e13)) + 0.0005
		}
		b := strconv.AppendFloat(nil, v, 'f', 3, 64)
		want, err := parseMilli3(b)
		if err != nil {
			t.Fatal(err)
		}
		if m, f := quantity(v); m != want || f != asFloat(want) {
			t.Fatalf("quantity(%v) = %d, %v; %%.3f gives %s", v, m, f, b)
		}
	}
}
