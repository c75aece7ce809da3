package hpa

import (
	"testing"
	"time"
)

// epoch is the fixed start of every scenario; ticks are offsets from it.
var epoch = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return epoch.Add(time.Duration(sec) * time.Second) }

func ext(target TargetType, milli int64) Metric {
	return Metric{Type: External, Name: "queue", Target: target, TargetMilli: milli}
}

func obs(milli ...int64) []Observation {
	o := make([]Observation, len(milli))
	for i, m := range milli {
		o[i] = Observation{Milli: m}
	}
	return o
}

var failed = Observation{Failed: true}

func mustNew(t *testing.T, s Spec) *Autoscaler {
	t.Helper()
	a, err := New(s)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

func legacySpec(min, max int32, m ...Metric) Spec {
	return Spec{
		MinReplicas: min, MaxReplicas: max, Metrics: m,
		Tolerance:             Tolerance{Up: DefaultTolerance, Down: DefaultTolerance},
		LegacyDownscaleWindow: DefaultDownscaleStabilizationWindow,
	}
}

func behaviorSpec(min, max int32, b *Behavior, m ...Metric) Spec {
	s := legacySpec(min, max, m...)
	s.Behavior = b
	s.LegacyDownscaleWindow = 0
	return s
}

func check(t *testing.T, what string, d Decision, want int32, reasons ...Reason) {
	t.Helper()
	if d.Desired != want {
		t.Errorf("%s: desired = %d, want %d (decision %+v, reasons %s)", what, d.Desired, want, d, d.Reasons)
	}
	for _, r := range reasons {
		if !d.Reasons.Has(r) {
			t.Errorf("%s: reasons %s lack %s", what, d.Reasons, r)
		}
	}
}

// Tolerances.isWithin is inclusive at both ends: a usage ratio of exactly
// 1.1 with the default tolerance proposes the current count.
func TestToleranceIsWithinInclusive(t *testing.T) {
	for _, tc := range []struct {
		name  string
		usage int64
		want  int32
	}{
		{"ratio exactly 1.1 stays", 1100, 10},
		{"ratio exactly 0.9 stays", 900, 10},
		{"ratio 1.101 scales to ceil(1.101*10)", 1101, 12},
		{"ratio 0.899 scales to ceil(0.899*10)", 899, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := mustNew(t, legacySpec(1, 100, ext(Value, 1000)))
			d := a.Step(at(0), Steady(10), obs(tc.usage))
			// A scale-down is held by the first recommendation (10) in the
			// window, so look at the raw recommendation.
			if d.Recommendation != tc.want {
				t.Errorf("recommendation = %d, want %d (%s)", d.Recommendation, tc.want, d.Reasons)
			}
			if within := d.Proposals[0].WithinTolerance; within != (tc.want == 10) {
				t.Errorf("WithinTolerance = %v", within)
			}
		})
	}
}

// tolerancesForHpa: behavior.scaleUp.tolerance and scaleDown.tolerance
// override the controller's tolerance per side (KEP-4951).
func TestTolerancePerDirection(t *testing.T) {
	b := DefaultBehavior()
	b.ScaleDown.StabilizationWindow = 0
	s := behaviorSpec(1, 100, b, ext(Value, 1000))
	s.Tolerance = Tolerance{Up: 0.05, Down: 0.2}
	for _, tc := range []struct {
		usage int64
		want  int32
	}{
		{1050, 10}, // 1.05 within the up side
		{1060, 11}, // 1.06 out: ceil(10.6)
		{850, 10},  // 0.85 within the down side
		{790, 8},   // 0.79 out: ceil(7.9)
	} {
		a := mustNew(t, s)
		d := a.Step(at(0), Steady(10), obs(tc.usage))
		if d.Recommendation != tc.want {
			t.Errorf("usage %d: recommendation %d, want %d", tc.usage, d.Recommendation, tc.want)
		}
	}
}

// GetExternalMetricReplicas with a Value target multiplies the usage ratio
// by the ready pod count, not by spec replicas.
func TestExternalValueUsesReadyPods(t *testing.T) {
	a := mustNew(t, legacySpec(1, 100, ext(Value, 1000)))
	d := a.Step(at(0), Target{Replicas: 10, StatusReplicas: 10, ReadyReplicas: 5}, obs(2000))
	if d.Recommendation != 10 {
		t.Errorf("recommendation = %d, want ceil(2 × 5 ready) = 10", d.Recommendation)
	}
	// No ready pod at all: the ratio times 0 ready pods proposes 0.
	a = mustNew(t, legacySpec(1, 100, ext(Value, 1000)))
	d = a.Step(at(0), Target{Replicas: 3, StatusReplicas: 3, ReadyReplicas: 0}, obs(2000))
	if d.Proposals[0].Replicas != 0 {
		t.Errorf("proposal with no ready pod = %d, want 0", d.Proposals[0].Replicas)
	}
}

// GetExternalPerPodMetricReplicas measures the tolerance against
// status.replicas and proposes ceil(total / per-pod target) otherwise.
func TestExternalAverageValueUsesStatusReplicas(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cur    Target
		total  int64
		want   int32
		within bool
	}{
		{"within tolerance of status replicas proposes status replicas",
			Target{Replicas: 10, StatusReplicas: 10, ReadyReplicas: 10}, 1050, 10, true},
		{"status below spec: ratio against status",
			Target{Replicas: 10, StatusReplicas: 9, ReadyReplicas: 9}, 1050, 11, false},
		{"within tolerance proposes status replicas, not spec",
			Target{Replicas: 10, StatusReplicas: 6, ReadyReplicas: 6}, 600, 6, true},
		{"ready pods do not matter",
			Target{Replicas: 4, StatusReplicas: 4, ReadyReplicas: 0}, 2000, 20, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := mustNew(t, legacySpec(1, 100, ext(AverageValue, 100)))
			d := a.Step(at(0), tc.cur, obs(tc.total))
			p := d.Proposals[0]
			if p.Replicas != tc.want || p.WithinTolerance != tc.within {
				t.Errorf("proposal %+v, want %d within=%v", p, tc.want, tc.within)
			}
		})
	}
}

// computeReplicasForMetrics takes the largest proposal.
func TestSeveralMetricsTakeTheMax(t *testing.T) {
	a := mustNew(t, legacySpec(1, 100, ext(AverageValue, 100), ext(AverageValue, 1000)))
	d := a.Step(at(0), Steady(5), obs(700, 9000))
	if d.Recommendation != 9 || d.Metric != 1 {
		t.Errorf("recommendation %d from metric %d, want 9 from metric 1", d.Recommendation, d.Metric)
	}
	check(t, "scale-up", d, 9)
}

// computeReplicasForMetrics: a failing metric never lets the HPA scale
// down, but the others may scale it up; all failing means no decision.
func TestInvalidMetricsBlockScaleDownOnly(t *testing.T) {
	b := DefaultBehavior()
	b.ScaleDown.StabilizationWindow = 0
	s := behaviorSpec(1, 100, b, ext(AverageValue, 100), ext(AverageValue, 100))

	a := mustNew(t, s)
	d := a.Step(at(0), Steady(10), []Observation{failed, {Milli: 300}})
	check(t, "some failed, rest scale down", d, 10, ReasonInvalidMetric, ReasonFailedComputeMetricsReplicas)
	if d.Rescale {
		t.Error("rescaled although a metric failed and the rest scale down")
	}

	a = mustNew(t, s)
	d = a.Step(at(0), Steady(10), []Observation{failed, {Milli: 1500}})
	check(t, "some failed, rest scale up", d, 15, ReasonInvalidMetric)
	if d.Reasons.Has(ReasonFailedComputeMetricsReplicas) {
		t.Error("scale-up refused")
	}

	a = mustNew(t, s)
	d = a.Step(at(0), Steady(10), []Observation{failed, failed})
	check(t, "all failed", d, 10, ReasonFailedComputeMetricsReplicas)
}

// A refused reconcile stores no recommendation: the failed tick is absent
// from the stabilization history.
func TestFailedReconcileStoresNoRecommendation(t *testing.T) {
	a := mustNew(t, legacySpec(1, 100, ext(AverageValue, 100)))
	a.Step(at(0), Steady(2), obs(200))
	d := a.Step(at(15), Steady(2), []Observation{failed})
	check(t, "failed", d, 2, ReasonFailedComputeMetricsReplicas)
	// Only the first two recommendations (2, 2) are in the window.
	d = a.Step(at(30), Steady(2), obs(100))
	check(t, "scale down held by window", d, 2, ReasonScaleDownStabilized)
	if d.Stabilized != 2 {
		t.Errorf("stabilized = %d, want 2", d.Stabilized)
	}
}

// convertDesiredReplicasWithRules: without behavior, scale-up is capped at
// max(2 × current, 4) per reconcile.
func TestLegacyScaleUpLimit(t *testing.T) {
	for _, tc := range []struct {
		current, max, want int32
		reason             Reason
	}{
		{1, 100, 4, ReasonScaleUpLimit},
		{3, 100, 6, ReasonScaleUpLimit},
		{10, 100, 20, ReasonScaleUpLimit},
		{10, 15, 15, ReasonTooManyReplicas},
	} {
		a := mustNew(t, legacySpec(1, tc.max, ext(AverageValue, 100)))
		d := a.Step(at(0), Steady(tc.current), obs(100_000))
		check(t, "legacy up", d, tc.want, tc.reason)
	}
}

// stabilizeRecommendation (legacy) keeps samples that are exactly window
// old (!Before(cutoff)); stabilizeRecommendationWithBehaviors drops them
// (After(cutoff)).
func TestWindowEdgeLegacyInclusiveBehaviorExclusive(t *testing.T) {
	run := func(s Spec) map[int]int32 {
		a := mustNew(t, s)
		got := map[int]int32{}
		cur := int32(10)
		for sec := 0; sec <= 330; sec += 15 {
			usage := int64(200) // proposes 2
			if sec == 0 {
				usage = 1000
			}
			d := a.Step(at(sec), Steady(cur), obs(usage))
			got[sec] = d.Desired
			cur = d.Desired
		}
		return got
	}
	legacy := run(legacySpec(1, 100, ext(AverageValue, 100)))
	if legacy[300] != 10 || legacy[315] != 2 {
		t.Errorf("legacy: desired at 300 s = %d (want 10, the sample at 0 s still counts), at 315 s = %d (want 2)", legacy[300], legacy[315])
	}
	withBehavior := run(behaviorSpec(1, 100, DefaultBehavior(), ext(AverageValue, 100)))
	if withBehavior[285] != 10 || withBehavior[300] != 2 {
		t.Errorf("behavior: desired at 285 s = %d (want 10), at 300 s = %d (want 2, the sample at 0 s no longer counts)", withBehavior[285], withBehavior[300])
	}
}

// recordInitialRecommendation: the first reconcile stores the current count,
// which holds a scale-down for the whole window after start.
func TestScaleDownStabilizeInitialSize(t *testing.T) {
	a := mustNew(t, behaviorSpec(1, 100, DefaultBehavior(), ext(AverageValue, 100)))
	d := a.Step(at(0), Steady(10), obs(200))
	check(t, "first reconcile", d, 10, ReasonScaleDownStabilized)
	if d.Recommendation != 2 || d.Stabilized != 10 {
		t.Errorf("recommendation %d stabilized %d, want 2 and 10", d.Recommendation, d.Stabilized)
	}
}

// stabilizeRecommendationWithBehaviors: scale-up goes only to the minimum
// recommendation of the scale-up window.
func TestScaleUpStabilizationTakesWindowMinimum(t *testing.T) {
	b := DefaultBehavior()
	b.ScaleUp.StabilizationWindow = 60 * time.Second
	a := mustNew(t, behaviorSpec(1, 100, b, ext(AverageValue, 100)))
	cur := int32(4)
	want := []int32{4, 4, 4, 4, 6, 8, 8}
	usage := []int64{400, 600, 800, 900, 900, 900, 800}
	for i := range usage {
		d := a.Step(at(15*i), Steady(cur), obs(usage[i]))
		if d.Desired != want[i] {
			t.Errorf("tick %d: desired %d, want %d (%s)", i, d.Desired, want[i], d.Reasons)
		}
		cur = d.Desired
	}
}

// convertDesiredReplicasWithBehaviorRate: Percent scale-up rounds up,
// Percent scale-down truncates.
func TestPercentPolicyRounding(t *testing.T) {
	up := &Behavior{
		ScaleUp:   Rules{SelectPolicy: MaxChange, Policies: []Policy{{PercentPolicy, 50, time.Minute}}},
		ScaleDown: Rules{SelectPolicy: MaxChange, Policies: []Policy{{PercentPolicy, 50, time.Minute}}},
	}
	a := mustNew(t, behaviorSpec(1, 100, up, ext(AverageValue, 100)))
	d := a.Step(at(0), Steady(3), obs(1000))
	check(t, "up 50% of 3", d, 5, ReasonScaleUpLimit) // ceil(4.5)
	if d.Policy != 0 {
		t.Errorf("policy = %d, want 0", d.Policy)
	}
	a = mustNew(t, behaviorSpec(1, 100, up, ext(AverageValue, 100)))
	d = a.Step(at(0), Steady(5), obs(100))
	check(t, "down 50% of 5", d, 2, ReasonScaleDownLimit) // int32(2.5)
}

// calculateScaleUpLimitWithScalingRules: Max picks the largest policy
// limit, Min the smallest, Disabled allows none.
func TestSelectPolicy(t *testing.T) {
	for _, tc := range []struct {
		sel    SelectPolicy
		want   int32
		policy int
		reason Reason
	}{
		{MaxChange, 20, 1, ReasonScaleUpLimit},
		{MinChange, 14, 0, ReasonScaleUpLimit},
		{Disabled, 10, -1, ReasonScaleUpDisabled},
	} {
		b := DefaultBehavior()
		b.ScaleUp.SelectPolicy = tc.sel
		a := mustNew(t, behaviorSpec(1, 100, b, ext(AverageValue, 100)))
		d := a.Step(at(0), Steady(10), obs(10_000))
		check(t, "select "+tc.sel.String(), d, tc.want, tc.reason)
		if d.Policy != tc.policy {
			t.Errorf("select %v: policy %d, want %d", tc.sel, d.Policy, tc.policy)
		}
	}
	b := DefaultBehavior()
	b.ScaleDown.SelectPolicy = Disabled
	b.ScaleDown.StabilizationWindow = 0
	a := mustNew(t, behaviorSpec(1, 100, b, ext(AverageValue, 100)))
	check(t, "scale-down disabled", a.Step(at(0), Steady(10), obs(100)), 10, ReasonScaleDownDisabled)
}

// getReplicasChangePerPeriod sums the events strictly after now-period: an
// event exactly periodSeconds old no longer counts.
func TestPolicyPeriodExclusive(t *testing.T) {
	b := DefaultBehavior()
	b.ScaleUp.Policies = []Policy{{PodsPolicy, 2, time.Minute}}
	a := mustNew(t, behaviorSpec(1, 100, b, ext(AverageValue, 100)))
	cur := int32(2)
	want := map[int]int32{0: 4, 15: 4, 45: 4, 60: 6, 75: 6, 120: 8}
	for sec := 0; sec <= 120; sec += 15 {
		d := a.Step(at(sec), Steady(cur), obs(100_000))
		if w, ok := want[sec]; ok && d.Desired != w {
			t.Errorf("%d s: desired %d, want %d (%s)", sec, d.Desired, w, d.Reasons)
		}
		cur = d.Desired
	}
}

// calculateScaleDownLimitWithBehaviors counts scale-up events in the
// period start, and storeScaleEvent reuses an outdated event slot: an up
// event older than the scale-up policies' longest period is overwritten by
// the next up event and so stops counting for a longer scale-down period.
func TestScaleEventReplacedWhenOutdated(t *testing.T) {
	b := &Behavior{
		ScaleUp:   Rules{Policies: []Policy{{PodsPolicy, 100, 15 * time.Second}}},
		ScaleDown: Rules{Policies: []Policy{{PodsPolicy, 1, 10 * time.Minute}}},
	}
	a := mustNew(t, behaviorSpec(1, 100, b, ext(AverageValue, 1000)))
	check(t, "0 s", a.Step(at(0), Steady(2), obs(4000)), 4)
	check(t, "15 s", a.Step(at(15), Steady(4), obs(4000)), 4)
	check(t, "30 s", a.Step(at(30), Steady(4), obs(8000)), 8)
	// Up events: +2 at 0 s was outdated (older than 15 s) and replaced by
	// +4 at 30 s. Period start = 8 - 4 = 4, limit 4 - 1 = 3.
	check(t, "45 s", a.Step(at(45), Steady(8), obs(1000)), 3, ReasonScaleDownLimit)
}

// A scale-down inside the period raises the scale-up period start, so
// flapping does not use up the scale-up budget.
func TestScaleDownEventsRaiseScaleUpPeriodStart(t *testing.T) {
	b := &Behavior{
		ScaleUp:   Rules{Policies: []Policy{{PodsPolicy, 2, time.Minute}}},
		ScaleDown: Rules{Policies: []Policy{{PodsPolicy, 100, time.Minute}}},
	}
	a := mustNew(t, behaviorSpec(1, 100, b, ext(AverageValue, 1000)))
	check(t, "down", a.Step(at(0), Steady(10), obs(4000)), 4)
	// Start = 4 - 0 + 6 = 10, limit 12.
	check(t, "up", a.Step(at(15), Steady(4), obs(20_000)), 12, ReasonScaleUpLimit)
}

// reconcileAutoscaler: a count outside [min, max] snaps to the bound
// without metrics, stabilization or policies.
func TestOutsideBoundsSnapsWithoutMetrics(t *testing.T) {
	b := DefaultBehavior()
	b.ScaleUp.SelectPolicy = Disabled
	b.ScaleDown.SelectPolicy = Disabled
	a := mustNew(t, behaviorSpec(3, 20, b, ext(AverageValue, 100)))
	d := a.Step(at(0), Steady(50), []Observation{failed})
	check(t, "above max", d, 20, ReasonAboveMaxReplicas)
	if d.Proposals != nil {
		t.Error("metrics computed although current > max")
	}
	check(t, "below min", a.Step(at(15), Steady(1), []Observation{failed}), 3, ReasonBelowMinReplicas)
}

// convertDesiredReplicasWithBehaviorRate applies max while scaling up and
// min while scaling down.
func TestMinMaxBounds(t *testing.T) {
	b := DefaultBehavior()
	b.ScaleDown.StabilizationWindow = 0
	a := mustNew(t, behaviorSpec(2, 6, b, ext(AverageValue, 100)))
	check(t, "max", a.Step(at(0), Steady(5), obs(5000)), 6, ReasonTooManyReplicas)
	check(t, "min", a.Step(at(15), Steady(6), obs(10)), 2, ReasonTooFewReplicas)
}

// HPAScaleToZero: with minReplicas 0 and an External metric the HPA scales
// to zero, sets ScaledToZero, and from zero proposes ceil(ratio) without
// tolerance; a target scaled to zero by someone else stays at zero.
func TestScaleToZeroAndBack(t *testing.T) {
	b := DefaultBehavior()
	b.ScaleDown.StabilizationWindow = 0
	a := mustNew(t, behaviorSpec(0, 10, b, ext(Value, 1000)))
	d := a.Step(at(0), Steady(3), obs(0))
	check(t, "to zero", d, 0, ReasonScaledToZero)
	if !a.ScaledToZero() {
		t.Fatal("ScaledToZero condition not set")
	}
	d = a.Step(at(15), Steady(0), obs(0))
	check(t, "stays at zero", d, 0)
	if d.Reasons.Has(ReasonScalingDisabled) {
		t.Error("scaling disabled although the HPA scaled to zero")
	}
	d = a.Step(at(30), Steady(0), obs(2500))
	check(t, "from zero: ceil(2.5)", d, 3)
	if a.ScaledToZero() {
		t.Error("ScaledToZero still set after scaling up")
	}

	// Scaled to zero by a person: the controller does nothing.
	a = mustNew(t, behaviorSpec(0, 10, b, ext(Value, 1000)))
	d = a.Step(at(0), Steady(0), obs(5000))
	check(t, "human zero", d, 0, ReasonScalingDisabled)
	a = mustNew(t, legacySpec(1, 10, ext(Value, 1000)))
	check(t, "human zero, min 1", a.Step(at(0), Steady(0), obs(5000)), 0, ReasonScalingDisabled)
}

// From zero, the rate limit of the policies applies: from 0 the Pods
// policy allows 4 and Percent allows ceil(0 × 2) = 0.
func TestScaleFromZeroRateLimited(t *testing.T) {
	b := DefaultBehavior()
	b.ScaleDown.StabilizationWindow = 0
	a := mustNew(t, behaviorSpec(0, 50, b, ext(AverageValue, 1000)))
	check(t, "to zero", a.Step(at(0), Steady(2), obs(0)), 0, ReasonScaledToZero)
	check(t, "from zero", a.Step(at(15), Steady(0), obs(20_000)), 4, ReasonScaleUpLimit)
}

// calcPlainMetricReplicas: on a scale-up, unready pods count as using 0;
// if that brings the ratio within tolerance the count is held.
func TestPodsMetricUnreadyPodsOnScaleUp(t *testing.T) {
	m := Metric{Type: Pods, Name: "rps", Target: AverageValue, TargetMilli: 100}
	a := mustNew(t, legacySpec(1, 100, m))
	d := a.Step(at(0), Target{Replicas: 4, StatusReplicas: 4, ReadyReplicas: 2}, obs(200))
	if p := d.Proposals[0]; p.Replicas != 4 {
		t.Errorf("proposal %+v, want 4 (2 ready × 200 over 4 pods is at target)", p)
	}
	a = mustNew(t, legacySpec(1, 100, m))
	d = a.Step(at(0), Target{Replicas: 4, StatusReplicas: 4, ReadyReplicas: 2}, obs(400))
	if p := d.Proposals[0]; p.Replicas != 8 {
		t.Errorf("proposal %+v, want ceil(800/4/100 × 4) = 8", p)
	}
	a = mustNew(t, legacySpec(1, 100, m))
	d = a.Step(at(0), Target{Replicas: 4, StatusReplicas: 4, ReadyReplicas: 0}, obs(400))
	if p := d.Proposals[0]; !p.Failed {
		t.Errorf("proposal %+v, want a failure without metrics", p)
	}
}

// GetResourceUtilizationRatio truncates the utilization to a whole percent
// before comparing it with the target.
func TestResourceUtilizationTruncatesToWholePercent(t *testing.T) {
	m := Metric{Type: Resource, Name: "cpu", Target: Utilization, TargetUtilization: 50}
	for _, tc := range []struct {
		milliPercent int64
		want         int32
	}{
		{55_999, 10}, // 55 % → ratio 1.1, within
		{56_000, 12}, // 56 % → ratio 1.12 → ceil(11.2)
	} {
		a := mustNew(t, legacySpec(1, 100, m))
		d := a.Step(at(0), Steady(10), obs(tc.milliPercent))
		if d.Recommendation != tc.want {
			t.Errorf("%d m%%: recommendation %d, want %d", tc.milliPercent, d.Recommendation, tc.want)
		}
	}
}

// A first valid proposal of 0 is replaced by any later proposal, even a
// smaller one (computeReplicasForMetrics tests replicas == 0).
func TestZeroProposalIsReplaced(t *testing.T) {
	s := legacySpec(0, 10, ext(Value, 1000), ext(Value, 1000))
	a := mustNew(t, s)
	d := a.Step(at(0), Steady(4), obs(0, -2000))
	if d.Metric != 1 {
		t.Errorf("metric %d, want 1", d.Metric)
	}
	if d.Recommendation != 0 {
		t.Errorf("recommendation %d, want max(0, -8) = 0", d.Recommendation)
	}
}

func TestValidateNamesFields(t *testing.T) {
	b := DefaultBehavior()
	b.ScaleUp.Policies = []Policy{{PodsPolicy, 0, 2 * time.Hour}}
	b.ScaleDown.StabilizationWindow = 2 * time.Hour
	s := behaviorSpec(5, 2, b, Metric{Type: Pods, Target: AverageValue})
	err := s.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, field := range []string{
		"maxReplicas", "metrics[0].target.averageValue",
		"behavior.scaleUp.policies[0].value", "behavior.scaleUp.policies[0].periodSeconds",
		"behavior.scaleDown.stabilizationWindowSeconds",
	} {
		if !containsField(err, field) {
			t.Errorf("error lacks field %s:\n%v", field, err)
		}
	}
	if _, err := New(s); err == nil {
		t.Error("New accepted an invalid spec")
	}
}

func containsField(err error, field string) bool {
	type joined interface{ Unwrap() []error }
	if j, ok := err.(joined); ok {
		for _, e := range j.Unwrap() {
			if fe, ok := e.(*FieldError); ok && fe.Field == field {
				return true
			}
		}
	}
	return false
}
