package keda

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
)

// The replays in this file answer KEDA issues (docs/keda.md, "Surprises").
// Each runs a ScaledObject in closed loop on a realistic clock and asserts
// replica counts and reasons at concrete ticks, derived by hand from the
// v2.21 code (the derivation is in each test's comments). Run with -v to
// print the replica-over-time tables the doc shows.

// replay drives a ScaledObject like a cluster would: the operator's scale
// loop (Poll) when the ScaledObject is created and then every
// pollingInterval, the HPA (Reconcile) every 15 s from hpaAt seconds after
// creation; the replica count either loop sets is what the next call of
// either loop sees. Pods are ready as soon as they are asked for
// (hpa.Steady). When both loops fall on the same second the poll runs first.
type replay struct {
	t        *testing.T
	so       *ScaledObject
	t0       int // creation, in seconds after epoch
	hpaAt    int // first HPA reconcile, in seconds after t0
	replicas int32
	// readings returns one reading per trigger at sec seconds after t0.
	readings func(sec int) []Reading
	// clock prints times of day instead of seconds after creation.
	clock bool
	rows  []replayRow
}

type replayRow struct {
	sec       int // after t0
	loop      DecisionKind
	from, to  int32
	d         Decision
	triggers  []TriggerState // copied: the decision's slice is reused
	proposals []hpa.Proposal // copied, likewise
	note      string
}

func newReplay(t *testing.T, s Spec, replicas int32, readings func(sec int) []Reading) *replay {
	t.Helper()
	return &replay{t: t, so: mustNew(t, s), hpaAt: 5, replicas: replicas, readings: readings}
}

// run plays both loops from creation up to and including second until.
func (r *replay) run(until int) {
	poll := int(r.so.spec.PollingInterval / time.Second)
	sync := int(hpa.DefaultSyncPeriod / time.Second)
	nextPoll, nextHPA := 0, r.hpaAt
	for {
		sec := min(nextPoll, nextHPA)
		if sec > until {
			return
		}
		if nextPoll == sec {
			r.step(sec, PollDecision)
			nextPoll += poll
		} else {
			r.step(sec, ReconcileDecision)
			nextHPA += sync
		}
	}
}

func (r *replay) step(sec int, kind DecisionKind) {
	now := at(r.t0 + sec)
	cur := hpa.Steady(r.replicas)
	var d Decision
	if kind == PollDecision {
		d = r.so.Poll(now, cur, r.readings(sec))
	} else {
		d = r.so.Reconcile(now, cur, r.readings(sec))
	}
	row := replayRow{
		sec: sec, loop: kind, from: r.replicas, to: d.Desired, d: d,
		triggers:  append([]TriggerState(nil), d.Triggers...),
		proposals: append([]hpa.Proposal(nil), d.HPA.Proposals...),
	}
	row.note = describe(&row)
	r.rows = append(r.rows, row)
	r.replicas = d.Desired
}

// describe is the decision column of a table: the KEDA reasons, the formula
// or composite value, and for the HPA its raw recommendation and reasons.
func describe(row *replayRow) string {
	d := &row.d
	var parts []string
	if d.Kind == PollDecision {
		s := d.Reasons.String()
		switch {
		case !d.Active && s == "":
			s = "inactive"
		case !d.Active:
			s += " (inactive)"
		}
		parts = append(parts, s)
	} else if d.Reasons.Has(ReasonFallbackApplied) {
		parts = append(parts, "FallbackApplied")
	}
	// Failures still counting towards the threshold.
	for i, ts := range row.triggers {
		if ts.Failed && ts.Failures > 0 {
			parts = append(parts, fmt.Sprintf("trigger %d failure %d", i, ts.Failures))
		}
	}
	if d.HasFormula {
		parts = append(parts, fmt.Sprintf("formula %g", d.Formula))
	} else if d.FallbackActive && d.Composite != 0 {
		parts = append(parts, fmt.Sprintf("composite %g", asFloat(d.Composite)))
	}
	if d.Kind == ReconcileDecision {
		h := &d.HPA
		if row.proposals != nil && !h.Reasons.Has(hpa.ReasonFailedComputeMetricsReplicas) {
			rec := fmt.Sprint(h.Recommendation)
			if h.Recommendation == math.MaxInt32 {
				rec = "MaxInt32"
			}
			if len(row.proposals) > 1 {
				ps := make([]string, len(row.proposals))
				for i, p := range row.proposals {
					ps[i] = fmt.Sprint(p.Replicas)
					if p.Failed {
						ps[i] = "failed"
					}
				}
				rec += " of [" + strings.Join(ps, " ") + "]"
			}
			parts = append(parts, "HPA wants "+rec)
		}
		if s := h.Reasons.String(); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

func (r *replay) when(sec int) string {
	if r.clock {
		return at(r.t0 + sec).Format(time.TimeOnly)
	}
	return fmt.Sprintf("%d s", sec)
}

// table returns the replay as a markdown table, keeping only the rows where
// something happens: the first row of each loop, the last row, every
// rescale, and every row whose decision differs from the previous one of
// the same loop.
func (r *replay) table() string {
	var b strings.Builder
	b.WriteString("| t | loop | replicas | decision |\n|---|---|---|---|\n")
	last := map[DecisionKind]string{}
	seen := map[DecisionKind]bool{}
	for i, row := range r.rows {
		keep := i == len(r.rows)-1 || !seen[row.loop] || row.from != row.to || row.note != last[row.loop]
		seen[row.loop], last[row.loop] = true, row.note
		if !keep {
			continue
		}
		loop := "poll"
		if row.loop == ReconcileDecision {
			loop = "HPA"
		}
		reps := fmt.Sprint(row.from)
		if row.to != row.from {
			reps = fmt.Sprintf("%d → **%d**", row.from, row.to)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.when(row.sec), loop, reps, row.note)
	}
	return b.String()
}

func (r *replay) log() { r.t.Logf("replay:\n%s", r.table()) }

// row returns the decision of loop at sec seconds after creation.
func (r *replay) row(sec int, loop DecisionKind) replayRow {
	r.t.Helper()
	for _, row := range r.rows {
		if row.sec == sec && row.loop == loop {
			return row
		}
	}
	r.t.Fatalf("no %v decision at %d s", loop, sec)
	return replayRow{}
}

// expect checks the replica count a loop set at sec.
func (r *replay) expect(sec int, loop DecisionKind, want int32, why string) replayRow {
	r.t.Helper()
	row := r.row(sec, loop)
	if row.to != want {
		r.t.Errorf("%s %v: replicas %d → %d (%s), want %d: %s", r.when(sec), loop, row.from, row.to, row.note, want, why)
	}
	return row
}

// between calls f for every row with from <= sec <= to.
func (r *replay) between(from, to int, f func(row replayRow)) {
	for _, row := range r.rows {
		if row.sec >= from && row.sec <= to {
			f(row)
		}
	}
}

func metricsAPITrigger(i int, name string, target float64) Trigger {
	return Trigger{
		Name: name, Kind: MetricsAPI, MetricName: fmt.Sprintf("s%d-metric-api-value", i),
		MetricType: hpa.AverageValue, Target: target, TargetMilli: int64(math.Round(target * 1000)),
	}
}

func cronTriggerAt(t *testing.T, i int, name, start, end string, desired int64) Trigger {
	t.Helper()
	c, err := NewCronSchedule(time.UTC, start, end, desired)
	if err != nil {
		t.Fatal(err)
	}
	norm := strings.NewReplacer(" ", "", "*", "x")
	return Trigger{
		Name: name, Kind: Cron, MetricName: fmt.Sprintf("s%d-cron-UTC-%s-%s", i, norm.Replace(start), norm.Replace(end)),
		MetricType: hpa.AverageValue, Target: 1, TargetMilli: 1000, Cron: c,
	}
}

// kedacore/keda#5409: with scalingModifiers (metricType Value) and a
// fallback, one of two triggers failing made the workload flap between
// minReplicaCount (3) and fallback.replicas (12).
//
// v2.21: every look at the failing trigger counts (the poll and each HPA
// query, GetMetricsWithFallback). Until the count exceeds failureThreshold
// (4) the poll sees an error, which with scalingModifiers means inactive,
// and RequestScale's first inactive case (error, fallback.replicas != 0)
// does nothing; the HPA's only metric, composite-metric, fails
// (GetScaledObjectMetrics returns an error while no fallback is active), so
// the HPA does nothing either. Failures: poll 60 s → 1, HPA 65 s → 2, 80 s
// → 3, poll 90 s → 4, HPA 95 s → 5 > 4: the composite value is the fallback
// value, target × 12 ÷ ready pods (doFallback, Value) = 1 × 12 ÷ 3 = 4; the
// HPA's Value rule gives ⌈4 ÷ 1 × 3 ready⌉ = 12, limited by the legacy
// scale-up bound max(2 × 3, 4) = 6. At 110 s: 12 ÷ 6 = 2 → ⌈2 × 6⌉ = 12.
// From then on 12 ÷ 12 = 1, within tolerance: 12 holds. The poll counts the
// fallback as active (fallback value 1 > activationTarget 0), so nothing
// scales it back to 3.
func TestIssue5409ModifiersFallbackOneTriggerFailing(t *testing.T) {
	t1, t2 := prom(0, "trigger_1", 1, 0), prom(1, "trigger_2", 1, 0)
	t1.MetricType, t2.MetricType = hpa.Value, hpa.Value
	s := spec(3, 30, t1, t2)
	s.Modifiers = &Modifiers{Formula: "max(trigger_1, trigger_2)", Target: "1", ActivationTarget: "0", MetricType: hpa.Value}
	s.Fallback = &Fallback{FailureThreshold: 4, Replicas: 12}
	r := newReplay(t, s, 3, func(sec int) []Reading {
		if sec < 60 {
			return val(1, 1)
		}
		return []Reading{failing, {Value: 1}}
	})
	r.run(240)
	r.log()

	r.expect(50, ReconcileDecision, 3, "max(1, 1) = 1 against a Value target of 1 is within tolerance")
	for _, c := range []struct {
		sec  int
		loop DecisionKind
	}{{60, PollDecision}, {65, ReconcileDecision}, {80, ReconcileDecision}, {90, PollDecision}} {
		row := r.expect(c.sec, c.loop, 3, "failures 1-4 do not exceed the threshold")
		if row.d.FallbackActive {
			t.Errorf("%d s: fallback active with %d failures", c.sec, row.triggers[0].Failures)
		}
	}
	if row := r.row(90, PollDecision); row.triggers[0].Failures != 4 || !row.d.Error || row.d.Active {
		t.Errorf("poll at 90 s: failures %d error %v active %v, want the 4th failure, an error, inactive", row.triggers[0].Failures, row.d.Error, row.d.Active)
	}
	if row := r.row(65, ReconcileDecision); !row.d.HPA.Reasons.Has(hpa.ReasonFailedComputeMetricsReplicas) {
		t.Errorf("HPA at 65 s: %s, want the composite metric to fail", row.note)
	}
	row := r.expect(95, ReconcileDecision, 6, "5th failure: fallback, HPA wants 12, legacy limit 6")
	if row.d.Composite != 4000 || row.d.HPA.Recommendation != 12 {
		t.Errorf("HPA at 95 s: composite %d m, recommendation %d; want 12 ÷ 3 ready = 4000 m and 12", row.d.Composite, row.d.HPA.Recommendation)
	}
	r.expect(110, ReconcileDecision, 12, "fallback value 12 ÷ 6 = 2 → ⌈2 × 6⌉ = 12")
	r.between(95, 240, func(row replayRow) {
		if !row.d.FallbackActive {
			t.Errorf("%d s %v: fallback not active while trigger_1 fails", row.sec, row.loop)
		}
		if row.sec >= 110 && row.to != 12 {
			t.Errorf("%d s %v: replicas %d → %d (%s), want 12 held (no flapping)", row.sec, row.loop, row.from, row.to, row.note)
		}
		if row.loop == PollDecision && !row.d.Active {
			t.Errorf("poll at %d s inactive in fallback", row.sec)
		}
	})
}

// kedacore/keda#5666: with scalingModifiers, a failing scaler made the
// replica count fluctuate between 1 and fallback.replicas. The replay uses
// the ScaledObject of KEDA's own e2e test (scaling_modifiers_test.go,
// soFallbackTemplate): formula metrics_api + kw_trig, target 2,
// activationTarget 2, pollingInterval 5 s, minReplicaCount 0, fallback 3/5,
// scaleDown stabilization 5 s; metrics_api = 3 and kw_trig = 2 hold the
// workload at ⌈5 ÷ 2⌉ = 3, then metrics_api fails at 30 s and comes back
// with 2 at 120 s.
//
// v2.21: failures count on every look: polls 30 s (1), 35 s (3), HPA 32 s
// (2); the poll at 40 s sees the 4th failure > 3 and serves the fallback
// value, fallback.replicas × target = 5 × 2 = 10, as the composite value
// (HandleScalingModifiers uses the first fallback metric instead of the
// formula). That is active (10 > activationTarget 2). The HPA at 47 s gets
// 10 and wants ⌈10 ÷ 2⌉ = 5 (default behavior allows +4): 5, and 10 ÷ (2 ×
// 5) = 1 holds it. While failures are at or under the threshold, the error
// makes the poll inactive, but RequestScale leaves replicas alone (error and
// fallback.replicas != 0), and the HPA's only metric fails: no decision. So
// 3 → 5 and nothing in between; at 120 s the first success resets the count,
// the formula gives 2 + 2 = 4 and the HPA at 122 s goes to ⌈4 ÷ 2⌉ = 2 (the
// 5 s scale-down window holds only the new recommendation).
func TestIssue5666ModifiersFallbackHoldsReplicas(t *testing.T) {
	s := spec(0, 10, prom(0, "metrics_api", 1, 0), prom(1, "kw_trig", 1, 0))
	s.PollingInterval, s.CooldownPeriod = 5*time.Second, 5*time.Second
	s.Modifiers = &Modifiers{Formula: "metrics_api + kw_trig", Target: "2", ActivationTarget: "2"}
	s.Fallback = &Fallback{FailureThreshold: 3, Replicas: 5}
	s.Behavior = hpa.DefaultBehavior()
	s.Behavior.ScaleDown.StabilizationWindow = 5 * time.Second
	r := newReplay(t, s, 3, func(sec int) []Reading {
		switch {
		case sec < 30:
			return val(3, 2)
		case sec < 120:
			return []Reading{failing, {Value: 2}}
		}
		return val(2, 2)
	})
	r.hpaAt = 2
	r.run(180)
	r.log()

	r.expect(17, ReconcileDecision, 3, "3 + 2 = 5 against an AverageValue target of 2: ⌈2.5⌉ = 3")
	r.expect(32, ReconcileDecision, 3, "2nd failure: the composite metric fails, the HPA does nothing")
	if row := r.row(35, PollDecision); row.d.FallbackActive || row.triggers[0].Failures != 3 {
		t.Errorf("poll at 35 s: fallback %v failures %d, want no fallback at the 3rd failure", row.d.FallbackActive, row.triggers[0].Failures)
	}
	if row := r.row(40, PollDecision); !row.d.FallbackActive || !row.d.Active || row.d.Composite != 10_000 {
		t.Errorf("poll at 40 s: fallback %v active %v composite %d m, want the 4th failure to serve 5 × 2 = 10 and count as active", row.d.FallbackActive, row.d.Active, row.d.Composite)
	}
	r.expect(47, ReconcileDecision, 5, "fallback composite 10 ÷ target 2")
	r.between(0, 180, func(row replayRow) {
		if row.to != 3 && row.to != 5 && row.to != 2 {
			t.Errorf("%d s %v: replicas %d → %d, want only 3, 5 and 2", row.sec, row.loop, row.from, row.to)
		}
	})
	r.between(47, 119, func(row replayRow) {
		if row.to != 5 || !row.d.FallbackActive {
			t.Errorf("%d s %v: replicas %d → %d fallback %v, want 5 held in fallback", row.sec, row.loop, row.from, row.to, row.d.FallbackActive)
		}
	})
	r.expect(122, ReconcileDecision, 2, "recovered: 2 + 2 = 4 ÷ 2")
}

// kedacore/keda#6053: fallback was reported to start right after the first
// failure, not after failureThreshold (10) failures.
//
// v2.21 honours the threshold, but it counts looks, not polling intervals:
// each poll and each HPA query of the metric is one failure
// (GetMetricsWithFallback runs in observeMetric on both paths). With polls
// every 30 s and the HPA every 15 s that is three looks per 30 s: polls at 0,
// 30, 60, 90 s and HPA queries at 5, 20, … 80 s make 10 failures; the HPA
// query at 95 s is the 11th and gets fallback.replicas × target = 5 × 50.
// The HPA wants ⌈250 ÷ 50⌉ = 5; the legacy bound max(2 × 1, 4) = 4 makes it
// 4, then 5 at 110 s. (minReplicaCount 1 lets the poll reuse the HPA's
// observations, UsesHPAObservations, but only while the HPA's ScalingActive
// condition is true: a failed metric turns it false, so until the fallback
// the poll queries, and counts, too. From the poll at 120 s it reuses the
// HPA's fallback record and counts nothing.)
func TestIssue6053FallbackCountsEveryLook(t *testing.T) {
	s := spec(1, 10, metricsAPITrigger(0, "", 50))
	s.Fallback = &Fallback{FailureThreshold: 10, Replicas: 5}
	r := newReplay(t, s, 1, func(int) []Reading { return []Reading{failing} })
	r.run(150)
	r.log()

	r.between(0, 90, func(row replayRow) {
		if row.d.FallbackActive || row.to != 1 {
			t.Errorf("%d s %v: fallback %v replicas %d after %d failures, want no fallback up to the 10th", row.sec, row.loop, row.d.FallbackActive, row.to, row.triggers[0].Failures)
		}
	})
	if got := r.row(90, PollDecision).triggers[0].Failures; got != 10 {
		t.Errorf("failures after the poll at 90 s: %d, want 10 (4 polls + 6 HPA queries)", got)
	}
	row := r.expect(95, ReconcileDecision, 4, "11th failure: fallback 5, legacy limit 4")
	if !row.d.FallbackActive || row.triggers[0].Failures != 11 || row.d.HPA.Recommendation != 5 {
		t.Errorf("HPA at 95 s: fallback %v failures %d recommendation %d, want fallback at the 11th failure asking for 5", row.d.FallbackActive, row.triggers[0].Failures, row.d.HPA.Recommendation)
	}
	r.expect(110, ReconcileDecision, 5, "fallback 5")
	if row := r.row(120, PollDecision); !row.triggers[0].FromHPA || row.triggers[0].Failures != 12 || !row.d.Active {
		t.Errorf("poll at 120 s: fromHPA %v failures %d active %v, want the HPA's fallback record, not a 13th failure", row.triggers[0].FromHPA, row.triggers[0].Failures, row.d.Active)
	}
}

// kedacore/keda#6659: with a cpu and a prometheus trigger and a fallback,
// a prometheus outage scaled the Deployment down to fallback.replicas
// although the cpu trigger asked for more.
//
// v2.21: the operator never writes fallback.replicas to the workload
// (RequestScale only activates to minReplicaCount or 1, deactivates to 0 or
// the idle count, or lifts to minReplicaCount); the fallback only changes
// the value served for the prometheus metric, R × target = 4 × 100, so that
// metric proposes 4, and the HPA takes the largest proposal: cpu at 50 % of
// a 50 % target keeps 10. Before the fallback (failures 1-3 at 35, 50, 65 s)
// the failed metric only blocks scale-down (HPA rule for partial failures);
// at 80 s the 4th failure serves the fallback value. 10 replicas throughout.
func TestIssue6659FallbackDoesNotOverrideCPU(t *testing.T) {
	s := spec(2, 20, prom(0, "", 100, 0), cpuTrigger(50))
	s.Fallback = &Fallback{FailureThreshold: 3, Replicas: 4}
	r := newReplay(t, s, 10, func(sec int) []Reading {
		if sec < 30 {
			return []Reading{{Value: 300}, {Value: 50}}
		}
		return []Reading{failing, {Value: 50}}
	})
	r.run(150)
	r.log()

	r.between(0, 150, func(row replayRow) {
		if row.to != 10 {
			t.Errorf("%d s %v: replicas %d → %d (%s), want 10 throughout", row.sec, row.loop, row.from, row.to, row.note)
		}
	})
	if row := r.row(65, ReconcileDecision); row.d.FallbackActive || !row.proposals[0].Failed {
		t.Errorf("HPA at 65 s: %s, want the 3rd failure to fail the prometheus metric", row.note)
	}
	row := r.row(80, ReconcileDecision)
	if !row.d.FallbackActive || len(row.proposals) != 2 || row.proposals[0].Replicas != 4 || row.proposals[1].Replicas != 10 || row.d.HPA.Metric != 1 {
		t.Errorf("HPA at 80 s: %s, want the fallback metric to propose 4 and cpu 10, cpu winning", row.note)
	}
}

// kedacore/keda#7072: a formula that returns replica-like numbers (0, 2, 3,
// 4, or -1) with target 2 never drove a scale-up above minReplicaCount 3.
//
// v2.21: the composite metric is an AverageValue target of 2 by default, so
// the HPA computes ⌈composite ÷ 2⌉ whatever the replica count: the
// largest branch, 4, asks for 2 pods, below minReplicaCount 3, so 3 holds.
// The formula's value is a metric, not a replica count. The -1 branch
// (0 < queue_length < 0.8) is worse: the composite value is not clamped at
// zero (SetMilli(int64(-1 × 1000))), and the HPA takes a negative External
// total for an int64 overflow (GetExternalPerPodMetricReplicas: usage < 0 →
// MaxInt64), so it asks for MaxInt32 replicas. With the issue's behavior
// (scale-up window 180 s, 3 pods per 180 s) the window's minimum keeps 3
// until every recommendation in it is MaxInt32 (the last "2" was at 290 s:
// at 470 s), then 3 → 6, and 6 → 9 once the 470 s event leaves the 180 s
// period (650 s): on towards maxReplicaCount 20. The poll is inactive then
// (-1 < activationTarget 0.5) but with minReplicaCount 3 it changes nothing.
func TestIssue7072FormulaValueIsNotAReplicaCount(t *testing.T) {
	s := spec(3, 20, prom(0, "queue_length", 1, 0))
	s.CooldownPeriod = 180 * time.Second
	s.Modifiers = &Modifiers{
		Formula:          "queue_length <= 0 ? 0 : queue_length >= 20 ? 4 : queue_length > 10 ? 3 : queue_length > 6 ? 2 : queue_length < 0.8 ? -1 : 0",
		Target:           "2",
		ActivationTarget: "0.5",
	}
	pods3 := []hpa.Policy{{Type: hpa.PodsPolicy, Value: 3, Period: 180 * time.Second}}
	s.Behavior = &hpa.Behavior{
		ScaleUp:   hpa.Rules{StabilizationWindow: 180 * time.Second, Policies: pods3},
		ScaleDown: hpa.Rules{StabilizationWindow: 300 * time.Second, Policies: pods3},
	}
	r := newReplay(t, s, 3, func(sec int) []Reading {
		if sec < 300 {
			return val(25)
		}
		return val(0.5)
	})
	r.run(660)
	r.log()

	r.between(0, 299, func(row replayRow) {
		if row.to != 3 {
			t.Errorf("%d s %v: replicas %d → %d, want 3", row.sec, row.loop, row.from, row.to)
		}
		if row.loop == ReconcileDecision && (row.d.Formula != 4 || row.d.HPA.Recommendation != 2) {
			t.Errorf("HPA at %d s: %s, want formula 4 and a recommendation of ⌈4 ÷ 2⌉ = 2", row.sec, row.note)
		}
		if row.loop == PollDecision && !row.d.Active {
			t.Errorf("poll at %d s inactive with formula 4 > 0.5", row.sec)
		}
	})
	if row := r.row(305, ReconcileDecision); row.d.Composite != -1000 || row.d.HPA.Recommendation != math.MaxInt32 || row.to != 3 {
		t.Errorf("HPA at 305 s: %s composite %d m, want -1000 m read as an overflow (MaxInt32) and held at 3 by the scale-up window", row.note, row.d.Composite)
	}
	if row := r.row(300, PollDecision); row.d.Active || row.d.Reasons.Has(ReasonDeactivated) {
		t.Errorf("poll at 300 s: %s, want inactive and no deactivation (minReplicaCount 3)", row.note)
	}
	r.expect(455, ReconcileDecision, 3, "the 180 s window still holds the recommendation 2 of 290 s")
	r.expect(470, ReconcileDecision, 6, "the window holds only MaxInt32: +3 pods per 180 s")
	r.expect(635, ReconcileDecision, 6, "the 470 s scale-up still counts in the 180 s period")
	r.expect(650, ReconcileDecision, 9, "the 470 s event is out of the period")
}

// kedacore/keda#7195: a formula picking the largest of three cron triggers
// inside their windows and prometheus_trigger otherwise was reported to
// ignore prometheus_trigger and fall back to minReplicaCount 3.
//
// v2.21 compiles the formula as written (float(if … { … } else { … })) and,
// outside every cron window (the crons are 0 there), returns
// prometheus_trigger's value as is. The trigger's own threshold (85) and
// metricType (Value) play no part: only scalingModifiers.target (1,
// AverageValue) does, so the HPA asks for ⌈value ÷ 1⌉. In the replay the
// 08:00-10:00 cron asks for 10 until 10:00:00 (its end is exclusive); at
// 10:00:05 the prometheus value 60 asks for 60 pods (the cpu trigger at
// 40 % of 85 % wants 5): the legacy bound max(2 × 10, 4) = 20, then
// maxReplicaCount 30 at 10:00:20. The replicas follow the prometheus term;
// they would sit at minReplicaCount only if that value were 3 or less.
func TestIssue7195FormulaUsesPrometheusTermAfterCron(t *testing.T) {
	promT := prom(1, "prometheus_trigger", 85, 0)
	promT.MetricType = hpa.Value
	s := spec(3, 30,
		cpuTrigger(85),
		promT,
		cronTriggerAt(t, 2, "cron_trigger", "0 8 * * *", "0 10 * * *", 10),
		cronTriggerAt(t, 3, "cron_trigger_morning", "0 6 * * *", "0 7 * * *", 5),
		cronTriggerAt(t, 4, "cron_trigger_morning1", "0 7 * * *", "0 8 * * *", 8),
	)
	s.PollingInterval = 15 * time.Second
	s.Modifiers = &Modifiers{
		Formula: "if (max([cron_trigger, cron_trigger_morning, cron_trigger_morning1]) > 0) {\n" +
			"  max([cron_trigger, cron_trigger_morning, cron_trigger_morning1])\n" +
			"} else {\n  prometheus_trigger\n}",
		Target:     "1",
		MetricType: hpa.AverageValue,
	}
	r := newReplay(t, s, 10, func(int) []Reading {
		return []Reading{{Value: 40}, {Value: 60}, {}, {}, {}}
	})
	r.t0 = 9*3600 + 57*60 // 09:57:00
	r.clock = true
	r.run(9 * 60) // to 10:06:00
	r.log()

	const tenOClock = 180
	r.between(0, tenOClock-1, func(row replayRow) {
		if row.to != 10 || (row.d.HasFormula && row.d.Formula != 10) {
			t.Errorf("%s %v: %s, replicas %d, want the cron's 10", r.when(row.sec), row.loop, row.note, row.to)
		}
	})
	if row := r.row(tenOClock, PollDecision); row.d.Formula != 60 || !row.d.Active {
		t.Errorf("poll at 10:00:00: %s, want the formula to return prometheus_trigger = 60", row.note)
	}
	row := r.expect(tenOClock+5, ReconcileDecision, 20, "⌈60 ÷ 1⌉ = 60, legacy bound 20")
	// With modifiers the HPA lists the Resource metric first, then
	// composite-metric (getScaledObjectMetricSpecs).
	if row.d.HPA.Recommendation != 60 || row.proposals[0].Replicas != 5 || row.proposals[1].Replicas != 60 {
		t.Errorf("HPA at 10:00:05: %s, want cpu to ask for 5 and the composite for 60", row.note)
	}
	r.expect(tenOClock+20, ReconcileDecision, 30, "maxReplicaCount")
	r.between(0, 9*60, func(row replayRow) {
		if row.to == 3 {
			t.Errorf("%s %v: replicas 3", r.when(row.sec), row.loop)
		}
	})
}

// kedacore/keda#7411: with minReplicaCount 1 and a workload at 0 replicas, a
// failing scaler never brought the fallback into effect.
//
// v2.21 (the poll loop applies the fallback since v2.19): at 0 replicas the
// HPA is disabled (ScalingDisabled: it did not scale to zero itself), so it
// queries nothing and counts nothing; the polls count alone: 0, 30, 60 s are
// failures 1-3 (an error, inactive, fallback.replicas != 0: no action), the
// poll at 90 s is the 4th > 3, the fallback counts as active, and an active
// ScaledObject at 0 replicas is activated to minReplicaCount 1. The HPA then
// queries at 95 s (5th failure, fallback 2 × 50) and asks for ⌈100 ÷ 50⌉ = 2.
func TestIssue7411FallbackFromZeroWithMinReplicas(t *testing.T) {
	s := spec(1, 20, metricsAPITrigger(0, "", 50))
	s.Fallback = &Fallback{FailureThreshold: 3, Replicas: 2}
	r := newReplay(t, s, 0, func(int) []Reading { return []Reading{failing} })
	r.run(150)
	r.log()

	r.between(0, 89, func(row replayRow) {
		if row.to != 0 {
			t.Errorf("%d s %v: replicas %d, want 0 until the 4th failure", row.sec, row.loop, row.to)
		}
		if row.loop == ReconcileDecision && !row.d.HPA.Reasons.Has(hpa.ReasonScalingDisabled) {
			t.Errorf("HPA at %d s: %s, want ScalingDisabled at 0 replicas", row.sec, row.note)
		}
	})
	row := r.expect(90, PollDecision, 1, "4th failure: fallback is active, activation to minReplicaCount")
	if row.triggers[0].Failures != 4 || !row.d.Reasons.Has(ReasonActivated) || !row.d.Reasons.Has(ReasonFallbackApplied) {
		t.Errorf("poll at 90 s: %s failures %d, want Activated by the fallback at the 4th failure", row.note, row.triggers[0].Failures)
	}
	r.expect(95, ReconcileDecision, 2, "fallback.replicas")
	r.expect(140, ReconcileDecision, 2, "fallback.replicas held")
}

// kedacore/keda#7770 (feature request): cooldownPeriod should only gate the
// last step 1 → 0; today KEDA goes from N straight to 0, bypassing the HPA's
// scale-down behavior.
//
// v2.21: still so. The load stops after the poll at 90 s (the last active
// one: lastActiveTime 90 s). The HPA wants 1 but its 600 s scale-down window
// holds 10. scaleToZeroOrIdle sets the replicas to minReplicaCount (0) at the
// first poll with tick − 90 ≥ cooldownPeriod 300: 390 s, from 10 to 0 in one
// step; the HPA, at 0 replicas it did not set, is disabled.
func TestIssue7770CooldownGoesStraightToZero(t *testing.T) {
	s := spec(0, 20, prom(0, "", 10, 0))
	s.Behavior = hpa.DefaultBehavior()
	s.Behavior.ScaleDown = hpa.Rules{
		StabilizationWindow: 600 * time.Second,
		Policies:            []hpa.Policy{{Type: hpa.PodsPolicy, Value: 1, Period: 60 * time.Second}},
	}
	r := newReplay(t, s, 10, func(sec int) []Reading {
		if sec < 120 {
			return val(100)
		}
		return val(0)
	})
	r.run(420)
	r.log()

	r.between(0, 389, func(row replayRow) {
		if row.to != 10 {
			t.Errorf("%d s %v: replicas %d → %d (%s), want 10", row.sec, row.loop, row.from, row.to, row.note)
		}
	})
	if row := r.row(125, ReconcileDecision); !row.d.HPA.Reasons.Has(hpa.ReasonScaleDownStabilized) || row.d.HPA.Recommendation != 0 {
		t.Errorf("HPA at 125 s: %s, want a recommendation of 0 held by the scale-down window", row.note)
	}
	if row := r.row(360, PollDecision); !row.d.Reasons.Has(ReasonCooldown) {
		t.Errorf("poll at 360 s: %s, want Cooldown (90 + 300 > 360)", row.note)
	}
	row := r.expect(390, PollDecision, 0, "first poll with 390 − 90 ≥ 300: straight to minReplicaCount")
	if row.from != 10 || !row.d.Reasons.Has(ReasonDeactivated) {
		t.Errorf("poll at 390 s: %d → %d (%s), want Deactivated from 10", row.from, row.to, row.note)
	}
	if row := r.row(395, ReconcileDecision); !row.d.HPA.Reasons.Has(hpa.ReasonScalingDisabled) {
		t.Errorf("HPA at 395 s: %s, want ScalingDisabled", row.note)
	}
}

// kedacore/keda#8056: when an external (gRPC) scaler is unreachable its
// GetMetricSpec fails first; the fallback counter is only advanced on the
// metrics path, so fallback never starts.
//
// The engine's inputs are GetMetricsAndActivity results: a failing Reading
// is a failing metric query, which v2.21 does count. The first replay shows
// that path: the poll at 0 s and the HPA at 5 and 20 s are failures 1-3, the
// poll at 30 s is the 4th > 3 and the HPA at 35 s gets fallback.replicas ×
// target = 6 × 10: ⌈60 ÷ 10⌉ = 6, legacy bound max(2 × 2, 4) = 4, then 6 at
// 50 s.
// In v2.21 a failing GetMetricSpecForScalingForScaler returns no metric spec,
// so neither getScalerState nor GetScaledObjectMetrics reaches observeMetric
// and GetMetricsWithFallback: the ScaledObject is in error at every poll and
// the HPA's metric fails at every query, with no count. The engine cannot
// be given a failing GetMetricSpec; the second replay reproduces its outcome
// with the same trigger and no fallback, where errors are not counted
// either: RequestScale does nothing on an inactive error whether there is a
// fallback with replicas != 0 (v2.21's case for #8056) or none (the
// replay's case), and the HPA's only metric fails: the workload stays at 2
// whatever the load.
func TestIssue8056UnreachableScalerNeverFallsBack(t *testing.T) {
	s := spec(1, 10, metricsAPITrigger(0, "", 10))
	s.Fallback = &Fallback{FailureThreshold: 3, Replicas: 6}
	counted := newReplay(t, s, 2, func(int) []Reading { return []Reading{failing} })
	counted.run(90)
	counted.log()
	if row := counted.expect(20, ReconcileDecision, 2, "3rd failure: no fallback yet"); row.triggers[0].Failures != 3 || row.d.FallbackActive {
		t.Errorf("metric query failing, HPA at 20 s: failures %d fallback %v, want the 3rd failure, no fallback", row.triggers[0].Failures, row.d.FallbackActive)
	}
	if row := counted.row(30, PollDecision); row.triggers[0].Failures != 4 || !row.d.FallbackActive || !row.d.Active {
		t.Errorf("metric query failing, poll at 30 s: %s failures %d, want the 4th failure in fallback, active", row.note, row.triggers[0].Failures)
	}
	counted.expect(35, ReconcileDecision, 4, "fallback 6, legacy bound 4")
	counted.expect(50, ReconcileDecision, 6, "fallback 6")

	s.Fallback = nil
	uncounted := newReplay(t, s, 2, func(int) []Reading { return []Reading{failing} })
	uncounted.run(300)
	uncounted.log()
	uncounted.between(0, 300, func(row replayRow) {
		if row.to != 2 || row.d.FallbackActive || row.triggers[0].Failures != 0 {
			t.Errorf("uncounted errors, %d s %v: replicas %d fallback %v failures %d, want 2, never a fallback",
				row.sec, row.loop, row.to, row.d.FallbackActive, row.triggers[0].Failures)
		}
		if row.loop == ReconcileDecision && !row.d.HPA.Reasons.Has(hpa.ReasonFailedComputeMetricsReplicas) {
			t.Errorf("uncounted errors, HPA at %d s: %s, want the metric to fail", row.sec, row.note)
		}
		if row.loop == PollDecision && !row.d.Reasons.Has(ReasonTriggerError) {
			t.Errorf("uncounted errors, poll at %d s: %s, want TriggerError", row.sec, row.note)
		}
	})
}
