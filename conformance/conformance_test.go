// Package conformance replays random HPA scenarios through the upstream
// kube-controller-manager v1.37.2 HPA controller and through hpa.Autoscaler,
// and requires the same outcome at every tick.
//
// The test reaches the controller's unexported reconcileAutoscaler through a
// file the go tool adds to the vendored controller package with -overlay;
// it does not compile without it. Run it with ./run.sh.
//
// Environment:
//
//	AUTOREPLAY_SEED           base seed of the scenario seeds (default 1)
//	AUTOREPLAY_SCENARIOS      number of scenarios (default 300)
//	AUTOREPLAY_SCENARIO_SEED  run only the scenario of this seed (as printed
//	                          on a failure)
//	AUTOREPLAY_TRACE          if set, log every tick of every scenario
package conformance

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/autoreplay/autoreplay/hpa"
)

func envUint(t *testing.T, name string, def uint64) (uint64, bool) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def, false
	}
	n, err := strconv.ParseUint(v, 0, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n, true
}

func TestConformance(t *testing.T) {
	base, _ := envUint(t, "AUTOREPLAY_SEED", 1)
	n, _ := envUint(t, "AUTOREPLAY_SCENARIOS", 300)
	var seeds []uint64
	if seed, ok := envUint(t, "AUTOREPLAY_SCENARIO_SEED", 0); ok {
		seeds = []uint64{seed}
	} else {
		r := rand.New(rand.NewPCG(base, 0))
		for range n {
			seeds = append(seeds, r.Uint64())
		}
	}
	var ticks, rescales, scaledToZero, limited, stabilized, failures atomic.Int64
	cov := newCoverage()
	start := time.Now()
	t.Run("scenarios", func(t *testing.T) {
		for i, seed := range seeds {
			t.Run(fmt.Sprintf("%03d", i), func(t *testing.T) {
				t.Parallel()
				synctest.Test(t, func(t *testing.T) {
					st := runScenario(t, base, i, seed, cov)
					ticks.Add(st.ticks)
					rescales.Add(st.rescales)
					scaledToZero.Add(st.scaledToZero)
					limited.Add(st.limited)
					stabilized.Add(st.stabilized)
					failures.Add(st.failedTicks)
				})
			})
		}
	})
	t.Logf("base seed %d: %d scenarios, %d ticks (%d rescales, %d to zero, %d limited, %d stabilized, %d with failed metrics) in %v",
		base, len(seeds), ticks.Load(), rescales.Load(), scaledToZero.Load(), limited.Load(), stabilized.Load(), failures.Load(), time.Since(start).Round(time.Millisecond))
	if testing.Verbose() {
		t.Logf("coverage (ticks or scenarios per feature):\n%s", cov)
	}
	if len(seeds) >= 200 && !t.Failed() {
		if missing := cov.missing(); len(missing) > 0 {
			t.Errorf("the scenarios no longer cover: %s", strings.Join(missing, ", "))
		}
	}
}

type scenarioStats struct {
	ticks, rescales, scaledToZero, limited, stabilized, failedTicks int64
}

// view is the part of a reconcile's outcome both sides expose.
type view struct {
	desired      int32
	rescaled     bool
	reason       string // the rescale's reason: which rule or metric drove it
	limited      string // ScalingLimited=True reason, or ""
	stabilized   string // AbleToScale stabilization reason without a rescale, or ""
	active       string // ScalingActive status/reason class, or "" when unset
	scaledToZero bool   // the ScaledToZero condition after the reconcile
	invalid      bool   // some metric failed: reconcileAutoscaler returned an error
	metrics      string // per metric: the status's current value, or "failed"
}

func (v view) String() string {
	return fmt.Sprintf("desired=%d rescaled=%v reason=%q limited=%q stabilized=%q active=%q scaledToZero=%v invalid=%v metrics=[%s]",
		v.desired, v.rescaled, v.reason, v.limited, v.stabilized, v.active, v.scaledToZero, v.invalid, v.metrics)
}

func condition(st *autoscalingv2.HorizontalPodAutoscalerStatus, typ autoscalingv2.HorizontalPodAutoscalerConditionType) *autoscalingv2.HorizontalPodAutoscalerCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == typ {
			return &st.Conditions[i]
		}
	}
	return nil
}

func upstreamView(sc *scenario, res oracleResult) view {
	v := view{desired: res.desired, rescaled: res.rescaled, reason: res.reason, invalid: res.err != nil}
	st := &res.status
	if c := condition(st, autoscalingv2.ScalingLimited); c != nil && c.Status == corev1.ConditionTrue {
		v.limited = c.Reason
	}
	if c := condition(st, autoscalingv2.AbleToScale); c != nil && !res.rescaled {
		switch c.Reason {
		case "ScaleUpStabilized", "ScaleDownStabilized":
			v.stabilized = c.Reason
		}
	}
	if c := condition(st, autoscalingv2.ScalingActive); c != nil {
		reason := c.Reason
		if strings.HasPrefix(reason, "FailedGet") {
			reason = "FailedGetMetric"
		}
		v.active = string(c.Status) + "/" + reason
	}
	if c := condition(st, autoscalingv2.ScaledToZero); c != nil {
		v.scaledToZero = c.Status == corev1.ConditionTrue
	}
	if st.CurrentMetrics != nil {
		parts := make([]string, len(sc.spec.Metrics))
		for i, m := range sc.spec.Metrics {
			parts[i] = upstreamUsage(m, st.CurrentMetrics[i])
		}
		v.metrics = strings.Join(parts, " ")
	}
	return v
}

func upstreamUsage(m hpa.Metric, ms autoscalingv2.MetricStatus) string {
	var cur *autoscalingv2.MetricValueStatus
	switch ms.Type {
	case "":
		return "failed"
	case autoscalingv2.ExternalMetricSourceType:
		cur = &ms.External.Current
	case autoscalingv2.ObjectMetricSourceType:
		cur = &ms.Object.Current
	case autoscalingv2.PodsMetricSourceType:
		cur = &ms.Pods.Current
	case autoscalingv2.ResourceMetricSourceType:
		cur = &ms.Resource.Current
	case autoscalingv2.ContainerResourceMetricSourceType:
		cur = &ms.ContainerResource.Current
	}
	switch {
	case m.Target == hpa.Utilization && cur.AverageUtilization != nil:
		return strconv.Itoa(int(*cur.AverageUtilization)) + "%"
	case m.Target == hpa.Value && cur.Value != nil:
		return strconv.FormatInt(cur.Value.MilliValue(), 10) + "m"
	case m.Target == hpa.AverageValue && cur.AverageValue != nil:
		return strconv.FormatInt(cur.AverageValue.MilliValue(), 10) + "m"
	}
	return fmt.Sprintf("unexpected status %+v", ms)
}

func engineView(sc *scenario, a *hpa.Autoscaler, d hpa.Decision) view {
	v := view{desired: d.Desired, rescaled: d.Rescale, scaledToZero: a.ScaledToZero(), invalid: d.Reasons.Has(hpa.ReasonInvalidMetric)}
	for _, r := range []hpa.Reason{hpa.ReasonScaleUpLimit, hpa.ReasonScaleDownLimit, hpa.ReasonTooManyReplicas, hpa.ReasonTooFewReplicas} {
		if d.Reasons.Has(r) {
			if v.limited != "" {
				v.limited += "+"
			}
			v.limited += r.String()
		}
	}
	if !d.Rescale {
		for _, r := range []hpa.Reason{hpa.ReasonScaleUpStabilized, hpa.ReasonScaleDownStabilized} {
			if d.Reasons.Has(r) {
				if v.stabilized != "" {
					v.stabilized += "+"
				}
				v.stabilized += r.String()
			}
		}
	}
	switch {
	case d.Reasons.Has(hpa.ReasonScalingDisabled):
		v.active = "False/ScalingDisabled"
	case d.Reasons.Has(hpa.ReasonFailedComputeMetricsReplicas):
		v.active = "False/FailedGetMetric"
	case d.Reasons.Has(hpa.ReasonAboveMaxReplicas), d.Reasons.Has(hpa.ReasonBelowMinReplicas):
	default:
		v.active = "True/ValidMetricFound"
	}
	if d.Rescale {
		// The reason of the SuccessfulRescale event (reconcileAutoscaler):
		// the direction of the raw recommendation, not of the rescale.
		switch {
		case d.Reasons.Has(hpa.ReasonAboveMaxReplicas):
			v.reason = "Current number of replicas above Spec.MaxReplicas"
		case d.Reasons.Has(hpa.ReasonBelowMinReplicas):
			v.reason = "Current number of replicas below Spec.MinReplicas"
		case d.Recommendation > d.Current:
			v.reason = sc.names[d.Metric] + " above target"
		case d.Recommendation < d.Current:
			v.reason = "All metrics below target"
		case d.Reasons.Has(hpa.ReasonScaleFromZeroMin):
			v.reason = "Current number of replicas below Spec.MinReplicas"
		}
	}
	if d.Proposals != nil {
		parts := make([]string, len(sc.spec.Metrics))
		for i, m := range sc.spec.Metrics {
			p := d.Proposals[i]
			switch {
			case p.Failed:
				parts[i] = "failed"
			case m.Target == hpa.Utilization:
				parts[i] = strconv.FormatInt(p.Usage, 10) + "%"
			default:
				parts[i] = strconv.FormatInt(p.Usage, 10) + "m"
			}
		}
		v.metrics = strings.Join(parts, " ")
	}
	return v
}

// tickRecord is one line of the failure report.
type tickRecord struct {
	tick     int
	at       time.Duration
	target   hpa.Target
	obs      []hpa.Observation
	up, ours view
	decision hpa.Decision
	errText  string
}

func (r tickRecord) String() string {
	obs := make([]string, len(r.obs))
	for i, o := range r.obs {
		if o.Failed {
			obs[i] = "failed"
		} else {
			obs[i] = strconv.FormatInt(o.Milli, 10)
		}
	}
	return fmt.Sprintf("tick %d at +%v: target=%+v obs=[%s]\n    upstream: %v\n    engine:   %v\n    engine decision: recommendation=%d stabilized=%d metric=%d policy=%d reasons=%s\n    upstream error: %s",
		r.tick, r.at, r.target, strings.Join(obs, " "), r.up, r.ours,
		r.decision.Recommendation, r.decision.Stabilized, r.decision.Metric, r.decision.Policy, r.decision.Reasons, r.errText)
}

const historyLen = 8

// fullReports is how many mismatching scenarios get a full report; the
// others get one line.
const fullReports = 3

var reported atomic.Int64

// runScenario plays one scenario inside a synctest bubble: every tick is a
// reconcile at an exact instant of the bubble's clock, on both sides.
func runScenario(t *testing.T, base uint64, index int, seed uint64, cov *coverage) scenarioStats {
	sc := newScenario(seed)
	t0 := time.Now()
	cl := newCluster(sc, t0)
	a, err := hpa.New(sc.spec)
	if err != nil {
		t.Fatalf("scenario %d (seed %#x): invalid engine spec: %v\n%s", index, seed, err, sc.describe())
	}

	cov.scenario(sc)
	trace := os.Getenv("AUTOREPLAY_TRACE") != ""
	if trace {
		t.Logf("scenario %d, seed %#x\n%s", index, seed, sc.describe())
	}
	var st scenarioStats
	var history []tickRecord
	var status autoscalingv2.HorizontalPodAutoscalerStatus
	target := hpa.Steady(max(sc.spec.MinReplicas, 1) + int32(sc.rng.IntN(int(sc.spec.MaxReplicas))))
	if chance(sc.rng, 0.1) {
		target = hpa.Steady(0)
	}
	obs := make([]hpa.Observation, len(sc.spec.Metrics))

	for tick := range sc.ticks {
		if tick > 0 {
			time.Sleep(sc.interval())
		}
		now := time.Now()

		target.Replicas = sc.perturb(target.Replicas)
		target = sc.progress(target)
		sc.observe(target, obs)
		cl.target, cl.obs = target, obs

		// Conditions other than ScaledToZero are recomputed at every
		// reconcile; drop them so a stale one cannot pass for a fresh one.
		status.Conditions = keepScaledToZero(status.Conditions)
		res := cl.reconcile(status)
		d := a.Step(now, target, obs)

		up, ours := upstreamView(sc, res), engineView(sc, a, d)
		rec := tickRecord{tick: tick, at: now.Sub(t0), target: target, obs: append([]hpa.Observation(nil), obs...), up: up, ours: ours, decision: d}
		if res.err != nil {
			rec.errText = res.err.Error()
		}
		if trace {
			t.Log(rec.String())
		}
		history = append(history, rec)
		if len(history) > historyLen {
			history = history[1:]
		}
		if up != ours {
			if reported.Add(1) > fullReports {
				t.Fatalf("mismatch at tick %d of scenario %d, seed %#x:\n  upstream: %v\n  engine:   %v", tick, index, seed, up, ours)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "mismatch at tick %d (+%v) of scenario %d, seed %#x (base seed %d)\n", tick, now.Sub(t0), index, seed, base)
			fmt.Fprintf(&b, "rerun: AUTOREPLAY_SCENARIO_SEED=%#x conformance/run.sh -run TestConformance\n", seed)
			b.WriteString(sc.describe())
			b.WriteString("\nlast ticks:\n")
			for _, h := range history {
				b.WriteString("  ")
				b.WriteString(h.String())
				b.WriteString("\n")
			}
			t.Fatal(b.String())
		}

		cov.tick(sc, target, obs, up, d)
		st.ticks++
		if up.rescaled {
			st.rescales++
			if up.desired == 0 {
				st.scaledToZero++
			}
		}
		if up.limited != "" {
			st.limited++
		}
		if up.stabilized != "" {
			st.stabilized++
		}
		if up.invalid {
			st.failedTicks++
		}
		status = res.status
		target.Replicas = res.desired
	}
	return st
}

func keepScaledToZero(cs []autoscalingv2.HorizontalPodAutoscalerCondition) []autoscalingv2.HorizontalPodAutoscalerCondition {
	var out []autoscalingv2.HorizontalPodAutoscalerCondition
	for _, c := range cs {
		if c.Type == autoscalingv2.ScaledToZero {
			out = append(out, c)
		}
	}
	return out
}
