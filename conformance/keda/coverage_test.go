package kedaconformance

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/autoreplay/autoreplay/keda"
)

// coverage counts the ticks (or scenarios) that reached each feature, so
// that a run shows what it exercised and fails when a feature drops out.
type coverage struct {
	mu sync.Mutex
	n  map[string]int64
}

// requiredFeatures must each be reached by a full run (>= 200 scenarios).
var requiredFeatures = []string{
	"scenario: scalingModifiers",
	"scenario: scalingModifiers with a ?? formula",
	"scenario: fallback static",
	"scenario: fallback currentReplicas",
	"scenario: fallback currentReplicasIfHigher",
	"scenario: fallback currentReplicasIfLower",
	"scenario: fallback scalingModifiers",
	"scenario: idleReplicaCount",
	"scenario: initialCooldownPeriod",
	"scenario: useCachedMetrics",
	"scenario: metricType Value",
	"scenario: minReplicaCount 0",
	"scenario: minReplicaCount 3",
	"scenario: prometheus",
	"scenario: metrics-api",
	"scenario: 3 triggers",
	"poll: activated from 0",
	"poll: activated from idle",
	"poll: deactivated to 0",
	"poll: deactivated to idle",
	"poll: cooldown",
	"poll: set to minReplicaCount",
	"poll: trigger error",
	"poll: active with a trigger error",
	"poll: value exactly on the activation threshold",
	"poll: fallback value",
	"poll: fallback activates from 0",
	"poll: formula value",
	"formula error",
	"poll: reused the HPA's observation",
	"poll: non-finite prometheus value",
	"poll: value of 1e15 or more",
	"hpa: metrics served",
	"hpa: metric error",
	"hpa: fallback value",
	"hpa: formula value",
	"hpa: cached record",
	"hpa: rescale",
	"health: failures above the threshold",
	"health: reset after failures",
}

func newCoverage() *coverage { return &coverage{n: map[string]int64{}} }

func (c *coverage) add(features ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range features {
		c.n[f]++
	}
}

func (c *coverage) scenario(sc *scenario, spec *keda.Spec) {
	var f []string
	if spec.Modifiers != nil {
		f = append(f, "scenario: scalingModifiers")
		if strings.Contains(spec.Modifiers.Formula, "??") {
			f = append(f, "scenario: scalingModifiers with a ?? formula")
		}
	}
	if spec.Fallback != nil {
		f = append(f, "scenario: fallback "+spec.Fallback.Behavior.String())
	}
	if spec.IdleReplicaCount != nil {
		f = append(f, "scenario: idleReplicaCount")
	}
	if sc.object.Spec.InitialCooldownPeriod != nil {
		f = append(f, "scenario: initialCooldownPeriod")
	}
	f = append(f, fmt.Sprintf("scenario: minReplicaCount %d", spec.MinReplicaCount))
	f = append(f, fmt.Sprintf("scenario: %d triggers", len(spec.Triggers)))
	cached, value := false, false
	for _, t := range spec.Triggers {
		cached = cached || t.UseCachedMetrics
		value = value || t.MetricType.String() == "Value"
	}
	for _, src := range sc.sources {
		f = append(f, "scenario: "+src.kind)
	}
	if cached {
		f = append(f, "scenario: useCachedMetrics")
	}
	if value || (spec.Modifiers != nil && spec.Modifiers.MetricType.String() == "Value") {
		f = append(f, "scenario: metricType Value")
	}
	if spec.ForceActivation {
		f = append(f, "scenario: force-activation")
	}
	if spec.PausedScaleIn {
		f = append(f, "scenario: paused-scale-in")
	}
	if spec.PausedScaleOut {
		f = append(f, "scenario: paused-scale-out")
	}
	if len(sc.events) > 0 {
		f = append(f, "scenario: replicas set from outside")
	}
	c.add(f...)
}

func (c *coverage) poll(r *run, segs []segment, d keda.Decision) {
	var f []string
	spec := r.so.Spec()
	has := func(x keda.Reason) bool { return d.Reasons.Has(x) }
	switch {
	case has(keda.ReasonActivated) && spec.IdleReplicaCount != nil:
		f = append(f, "poll: activated from idle")
	case has(keda.ReasonActivated):
		f = append(f, "poll: activated from 0")
	}
	switch {
	case has(keda.ReasonDeactivated) && has(keda.ReasonIdle):
		f = append(f, "poll: deactivated to idle")
	case has(keda.ReasonDeactivated):
		f = append(f, "poll: deactivated to 0")
	}
	if has(keda.ReasonCooldown) {
		f = append(f, "poll: cooldown")
	}
	if has(keda.ReasonBelowMinReplicas) {
		f = append(f, "poll: set to minReplicaCount")
	}
	if d.Error {
		f = append(f, "poll: trigger error")
		if d.Active {
			f = append(f, "poll: active with a trigger error")
		}
	}
	if d.FallbackActive {
		f = append(f, "poll: fallback value")
		if has(keda.ReasonActivated) {
			f = append(f, "poll: fallback activates from 0")
		}
	}
	if d.HasFormula {
		f = append(f, "poll: formula value")
	}
	if d.FormulaError != nil {
		f = append(f, "poll: formula error", "formula error")
	}
	for i, g := range segs {
		t := spec.Triggers[i]
		if d.Triggers[i].FromHPA {
			f = append(f, "poll: reused the HPA's observation")
		}
		if g.failed {
			continue
		}
		if g.special != "" {
			f = append(f, "poll: non-finite prometheus value")
		} else if g.value == t.Activation {
			f = append(f, "poll: value exactly on the activation threshold")
		}
		if g.value >= 1e15 {
			f = append(f, "poll: value of 1e15 or more")
		}
	}
	c.health(r, d, &f)
	c.add(f...)
}

func (c *coverage) reconcile(r *run, computes bool, d keda.Decision) {
	var f []string
	if computes {
		f = append(f, "hpa: metrics served")
		for j := range r.hpaSpec.Metrics {
			if r.engineServed(d, j).err != nil {
				f = append(f, "hpa: metric error")
			}
		}
		if d.FallbackActive {
			f = append(f, "hpa: fallback value")
		}
		if d.HasFormula {
			f = append(f, "hpa: formula value")
		}
		if d.FormulaError != nil {
			f = append(f, "hpa: formula error", "formula error")
		}
		for _, ts := range d.Triggers {
			if ts.Cached {
				f = append(f, "hpa: cached record")
			}
		}
		c.health(r, d, &f)
	}
	if d.Rescale {
		f = append(f, "hpa: rescale")
	}
	c.add(f...)
}

// health notes failure counts above the fallback threshold and resets.
func (c *coverage) health(r *run, d keda.Decision, f *[]string) {
	spec := r.so.Spec()
	if spec.Fallback == nil {
		return
	}
	if r.lastFailures == nil {
		r.lastFailures = make([]int32, len(spec.Triggers))
	}
	for i, ts := range d.Triggers {
		if !spec.Triggers[i].Kind.External() {
			continue
		}
		if ts.Failures > spec.Fallback.FailureThreshold {
			*f = append(*f, "health: failures above the threshold")
		}
		if ts.Failures == 0 && r.lastFailures[i] > 0 {
			*f = append(*f, "health: reset after failures")
		}
		r.lastFailures[i] = ts.Failures
	}
}

func (c *coverage) missing() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, f := range requiredFeatures {
		if c.n[f] == 0 {
			out = append(out, f)
		}
	}
	return out
}

func (c *coverage) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]string, 0, len(c.n))
	for k := range c.n {
		keys = append(keys, k)
	}
	for _, f := range requiredFeatures {
		if c.n[f] == 0 {
			keys = append(keys, f)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-55s %8d\n", k, c.n[k])
	}
	return b.String()
}
