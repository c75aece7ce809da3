package keda

import (
	"fmt"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/autoreplay/autoreplay/hpa"
)

// ScaledObject is the state KEDA and the HPA it generates keep for one
// ScaledObject: the HPA's recommendation history and events, the metrics'
// health (fallback failure counts), the records the scale loop and the
// metrics adapter share, and lastActiveTime.
type ScaledObject struct {
	spec    Spec
	hpaSpec hpa.Spec
	hpa     *hpa.Autoscaler
	program *vm.Program

	// hpaTrigger maps each HPA metric to its trigger, or -1 for the
	// composite metric.
	hpaTrigger []int

	// status is the ScaledObject's status as the API server stores it;
	// snap is the scalers cache's copy when cache is cacheSnapshot.
	status  statusCopy
	snap    statusCopy
	cache   cacheState
	records []record // per trigger: the record the other path may reuse
	stored  []bool

	started       bool
	created       time.Time // creationTimestamp, whole seconds
	lastActive    time.Time // status.lastActiveTime, whole seconds
	hasLastActive bool
	// hpaScalingActive is the HPA's ScalingActive condition.
	hpaScalingActive bool

	// buffers reused by every call
	obs      []hpa.Observation
	triggers []TriggerState
	env      map[string]any
}

// New validates the spec, compiles the formula once and returns the state
// of a freshly created ScaledObject.
func New(spec Spec) (*ScaledObject, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	so := &ScaledObject{
		spec:    spec,
		hpaSpec: spec.HPA(),
		status:  statusCopy{health: make([]health, len(spec.Triggers))},
		snap:    statusCopy{health: make([]health, len(spec.Triggers))},
		// The reconciler built the cache around its copy of the new
		// ScaledObject when it generated the HPA (getScaledObjectMetricSpecs
		// calls GetScalersCache), before the scale loop started.
		cache:    cacheSnapshot,
		records:  make([]record, len(spec.Triggers)),
		stored:   make([]bool, len(spec.Triggers)),
		triggers: make([]TriggerState, len(spec.Triggers)),
		env:      make(map[string]any, len(spec.Triggers)),
	}
	a, err := hpa.New(so.hpaSpec)
	if err != nil {
		return nil, fmt.Errorf("generated HPA: %w", err)
	}
	so.hpa = a
	so.obs = make([]hpa.Observation, len(so.hpaSpec.Metrics))
	for _, m := range so.hpaSpec.Metrics {
		idx := -1
		for i := range spec.Triggers {
			t := &spec.Triggers[i]
			if t.MetricName == m.Name && m.Name != CompositeMetricName && t.Kind.External() == (m.Type == hpa.External) {
				idx = i
			}
		}
		so.hpaTrigger = append(so.hpaTrigger, idx)
	}
	if spec.UsesModifiers() {
		p, err := compileFormula(&spec)
		if err != nil {
			return nil, err
		}
		so.program = p
	}
	return so, nil
}

// Spec returns the spec.
func (so *ScaledObject) Spec() Spec { return so.spec }

// HPASpec returns the spec of the HPA KEDA generates.
func (so *ScaledObject) HPASpec() hpa.Spec { return so.hpaSpec }

func (so *ScaledObject) start(now time.Time) {
	if !so.started {
		so.started = true
		so.created = now.Truncate(time.Second)
	}
}

// Poll runs one iteration of the operator's scale loop (checkScalers in
// pkg/scaling/scale_handler.go): it reads every trigger
// (getScaledObjectState, getScalerState), decides whether the ScaledObject
// is active, and moves the workload between 0 (or the idle count) and
// minReplicaCount (scaleExecutor.RequestScale). readings holds one entry per
// trigger. The loop runs at creation and then every pollingInterval.
//
// TriggerState slices in the decision are reused by the next call.
func (so *ScaledObject) Poll(now time.Time, cur hpa.Target, readings []Reading) Decision {
	so.checkReadings(readings)
	so.start(now)
	s := &so.spec
	d := Decision{Kind: PollDecision, Current: cur.Replicas, Desired: cur.Replicas}
	if so.paused(cur, &d) {
		return d
	}

	so.openCache(false)
	useHPA := s.usesHPAObservations() && so.hpaScalingActive
	active, isError, fallbackActive := false, false, false
	firstFallback := -1
	for i := range s.Triggers {
		t := &s.Triggers[i]
		ts := &so.triggers[i]
		*ts = TriggerState{}
		if !t.Kind.External() {
			continue
		}
		var rec record
		if useHPA && so.stored[i] {
			rec = so.records[i] // hpaObservedRecord
			ts.FromHPA = true
		} else {
			rec = so.withFallback(i, t.observe(now, readings[i]).record(), cur, false)
		}
		if t.UseCachedMetrics {
			so.records[i], so.stored[i] = rec, true
		}
		so.fillState(i, rec)
		if rec.fallback {
			fallbackActive = true
			if firstFallback < 0 {
				firstFallback = i
			}
		}
		if rec.err {
			isError = true
		} else if rec.active || rec.fallback {
			active = true
			ts.Active = true
		}
	}
	if isError {
		so.cache = cacheNone
	}
	if s.UsesModifiers() {
		active = false
		if !isError {
			if milli, ok := so.composite(fallbackActive, firstFallback, &d, false); ok {
				active = asFloat(milli) > so.activationTarget()
			}
		}
	}
	cpuMem := 0
	for _, t := range s.Triggers {
		if !t.Kind.External() {
			cpuMem++
		}
	}
	if len(s.Triggers) <= cpuMem && !isError {
		active = true
	}
	d.Active, d.Error, d.FallbackActive = active, isError, fallbackActive
	if fallbackActive {
		d.Reasons.add(ReasonFallbackApplied)
	}
	if isError {
		d.Reasons.add(ReasonTriggerError)
	}
	so.requestScale(now, cur, active, isError, &d)
	d.Triggers = so.triggers
	return d
}

// requestScale mirrors scaleExecutor.RequestScale with scaleFromZeroOrIdle
// and scaleToZeroOrIdle. lastActiveTime is stored with one-second precision
// and compared with a clock that has moved on by the time the executor runs,
// so the workload is deactivated at the first poll at least cooldownPeriod
// after the last active poll's whole second.
func (so *ScaledObject) requestScale(now time.Time, cur hpa.Target, active, isError bool, d *Decision) {
	s := &so.spec
	current := cur.Replicas
	minReplicas := s.MinReplicaCount
	idle := s.IdleReplicaCount
	if active || s.ForceActivation {
		d.Reasons.add(ReasonActive)
		switch {
		case (idle != nil && current < minReplicas) || current == 0:
			if s.PausedScaleOut {
				return
			}
			d.setDesired(max(minReplicas, 1))
			d.Reasons.add(ReasonActivated)
			so.setLastActive(now)
		case isError:
			// PartialTriggerError: lastActiveTime is not refreshed.
		default:
			so.setLastActive(now)
		}
		return
	}
	switch {
	case isError && s.Fallback != nil && s.Fallback.Replicas != 0:
	case isError && s.Fallback == nil:
	case (idle != nil && current > *idle) || (current > 0 && minReplicas == 0):
		if s.PausedScaleIn {
			return
		}
		var due bool
		if !so.hasLastActive {
			due = !so.created.Add(s.InitialCooldownPeriod).After(now)
		} else {
			due = !so.lastActive.Add(s.CooldownPeriod).After(now)
		}
		if !due {
			d.Reasons.add(ReasonCooldown)
			return
		}
		to := minReplicas
		if idle != nil {
			to = *idle
			d.Reasons.add(ReasonIdle)
		}
		d.setDesired(to)
		d.Reasons.add(ReasonDeactivated)
	case idle == nil && current < minReplicas:
		d.setDesired(minReplicas)
		d.Reasons.add(ReasonBelowMinReplicas)
	}
}

func (so *ScaledObject) setLastActive(now time.Time) {
	so.lastActive = now.Truncate(time.Second)
	so.hasLastActive = true
}

// LastActive returns status.lastActiveTime (whole seconds), if set.
func (so *ScaledObject) LastActive() (time.Time, bool) { return so.lastActive, so.hasLastActive }

// paused handles the paused annotations: the reconciler stops the scale
// loop and deletes the HPA; with paused-replicas it holds the workload at
// that count.
func (so *ScaledObject) paused(cur hpa.Target, d *Decision) bool {
	s := &so.spec
	if !s.Paused && s.PausedReplicas == nil {
		return false
	}
	d.Reasons.add(ReasonPaused)
	if s.PausedReplicas != nil && d.Kind == PollDecision {
		d.setDesired(*s.PausedReplicas)
	}
	return true
}

// Reconcile runs one reconcile of the HPA KEDA generated: for each External
// metric the HPA queries KEDA's metrics adapter
// (scaleHandler.GetScaledObjectMetrics: the trigger read again or from the
// cache, fallback processing, the formula), the cpu/memory readings go to
// its Resource metrics, and the hpa engine decides. readings holds one entry
// per trigger. The HPA queries metrics only when it computes them (its
// replicas within [min, max]), so only then do failures count.
func (so *ScaledObject) Reconcile(now time.Time, cur hpa.Target, readings []Reading) Decision {
	so.checkReadings(readings)
	so.start(now)
	s := &so.spec
	d := Decision{Kind: ReconcileDecision, Current: cur.Replicas, Desired: cur.Replicas}
	if so.paused(cur, &d) {
		return d
	}
	for i := range so.triggers {
		so.triggers[i] = TriggerState{}
	}
	computes := cur.Replicas >= so.hpaSpec.MinReplicas && cur.Replicas <= so.hpaSpec.MaxReplicas
	for j := range so.obs {
		so.obs[j] = hpa.Observation{}
		if !computes {
			continue
		}
		i := so.hpaTrigger[j]
		switch {
		case i < 0:
			so.obs[j] = so.compositeObservation(now, cur, readings, &d)
		case s.Triggers[i].Kind.External():
			// One GetScaledObjectMetrics call per metric.
			so.openCache(true)
			rec := so.adapterRecord(i, now, cur, readings[i])
			if rec.err {
				so.cache = cacheNone
			}
			so.fillState(i, rec)
			if rec.fallback {
				d.FallbackActive = true
				d.Reasons.add(ReasonFallbackApplied)
			}
			if rec.err || !rec.hasMetric {
				so.obs[j] = hpa.Observation{Failed: true}
			} else {
				so.obs[j] = hpa.Observation{Milli: rec.milli}
			}
		default:
			so.obs[j] = resourceObservation(&s.Triggers[i], readings[i])
		}
	}
	hd := so.hpa.Step(now, cur, so.obs)
	switch {
	case hd.Reasons.Has(hpa.ReasonScalingDisabled), hd.Reasons.Has(hpa.ReasonFailedComputeMetricsReplicas):
		so.hpaScalingActive = false
	case hd.Proposals != nil:
		so.hpaScalingActive = true
	}
	d.HPA = hd
	d.Desired, d.Rescale = hd.Desired, hd.Rescale
	d.Triggers = so.triggers
	return d
}

// adapterRecord is one trigger's observation on the metrics adapter path
// (observeMetric from GetScaledObjectMetrics): from the scale loop's cached
// record with useCachedMetrics (which is fed through fallback processing
// again), else a fresh query. When the scale loop reuses the HPA's
// observations, the record is stored for it.
func (so *ScaledObject) adapterRecord(i int, now time.Time, cur hpa.Target, r Reading) record {
	t := &so.spec.Triggers[i]
	var rec record
	if t.UseCachedMetrics && so.stored[i] {
		rec = so.withFallback(i, so.records[i], cur, true)
		so.triggers[i].Cached = true
	} else {
		rec = so.withFallback(i, t.observe(now, r).record(), cur, true)
	}
	if so.spec.usesHPAObservations() {
		so.records[i], so.stored[i] = rec, true
	}
	return rec
}

// compositeObservation serves the composite metric: every external
// trigger is observed, an error without fallback fails the metric, and
// HandleScalingModifiers computes the value. GetScaledObjectMetrics
// observes the triggers in parallel goroutines, whose fallback updates of
// the cache's copy of the status can interleave either way; the engine
// takes them in trigger order.
func (so *ScaledObject) compositeObservation(now time.Time, cur hpa.Target, readings []Reading, d *Decision) hpa.Observation {
	s := &so.spec
	so.openCache(true)
	anyErr, fallbackActive, firstFallback := false, false, -1
	anyMetric := false
	for i := range s.Triggers {
		if !s.Triggers[i].Kind.External() {
			continue
		}
		rec := so.adapterRecord(i, now, cur, readings[i])
		so.fillState(i, rec)
		anyMetric = anyMetric || rec.hasMetric
		if rec.fallback {
			fallbackActive = true
			if firstFallback < 0 {
				firstFallback = i
			}
		}
		anyErr = anyErr || rec.err
	}
	if anyErr {
		so.cache = cacheNone
	}
	if fallbackActive {
		d.FallbackActive = true
		d.Reasons.add(ReasonFallbackApplied)
	}
	if (anyErr && !fallbackActive) || !anyMetric {
		return hpa.Observation{Failed: true}
	}
	milli, ok := so.composite(fallbackActive, firstFallback, d, true)
	if !ok {
		return hpa.Observation{Failed: true}
	}
	return hpa.Observation{Milli: milli}
}

// composite mirrors HandleScalingModifiers over the trigger states filled
// by the current call: with a trigger in fallback, that trigger's fallback
// value; otherwise the formula (calculateScalingModifiersFormula), its
// result truncated to milli-units. The formula reads each trigger's value
// by name (AsApproximateFloat64), nil with the scalingModifiers fallback
// behavior once the path's copy of status.health counts more failures than
// the threshold (scalingModifierTriggerValue), and nothing for a replayed
// fallback record, whose metric bears the composite metric's name.
func (so *ScaledObject) composite(fallbackActive bool, firstFallback int, d *Decision, adapter bool) (int64, bool) {
	if fallbackActive {
		d.Composite = so.triggers[firstFallback].Milli
		return d.Composite, true
	}
	s := &so.spec
	clear(so.env)
	h := so.statusOf(adapter).health
	for i := range s.Triggers {
		ts := &so.triggers[i]
		if !s.Triggers[i].Kind.External() || !ts.HasMetric || ts.renamed {
			continue
		}
		var v any = ts.approx
		// scalingModifierTriggerValue: nil once the failures exceed the
		// threshold, with the scalingModifiers fallback behavior.
		if s.Fallback != nil && s.Fallback.Behavior == FallbackScalingModifiers && h[i].failures > s.Fallback.FailureThreshold {
			v = nil
		}
		so.env[s.Triggers[i].Name] = v
	}
	out, err := expr.Run(so.program, so.env)
	if err != nil {
		d.FormulaError = err
		return 0, false
	}
	var f float64
	if out == nil {
		if s.Fallback == nil {
			d.FormulaError = fmt.Errorf("scalingModifiers formula evaluated to nil but no fallback is configured")
			return 0, false
		}
		f = float64(s.Fallback.Replicas) * s.Modifiers.target()
	} else {
		v, ok := out.(float64)
		if !ok {
			d.FormulaError = fmt.Errorf("formula returned non-float result %T (%v)", out, out)
			return 0, false
		}
		f = v
	}
	d.Formula, d.HasFormula = f, true
	d.Reasons.add(ReasonFormulaValue)
	d.Composite = int64(f * 1000)
	return d.Composite, true
}

func (so *ScaledObject) activationTarget() float64 {
	v, _ := parseFloat(so.spec.Modifiers.ActivationTarget)
	return v
}

// resourceObservation turns a cpu/memory reading into the HPA's
// observation: milli-percent for Utilization, milli-units otherwise.
func resourceObservation(t *Trigger, r Reading) hpa.Observation {
	if r.Failed {
		return hpa.Observation{Failed: true}
	}
	m, err := hpa.MilliFromFloat(r.Value)
	if err != nil {
		return hpa.Observation{Failed: true}
	}
	return hpa.Observation{Milli: m}
}

func (so *ScaledObject) fillState(i int, rec record) {
	ts := &so.triggers[i]
	ts.Milli, ts.HasMetric = rec.milli, rec.hasMetric
	ts.approx, ts.renamed = rec.approx, rec.renamed
	ts.Failed = rec.err
	ts.Fallback = rec.fallback
	ts.Failures = so.status.health[i].failures
}

func (so *ScaledObject) checkReadings(readings []Reading) {
	if len(readings) != len(so.spec.Triggers) {
		panic(fmt.Sprintf("keda: got %d readings for %d triggers", len(readings), len(so.spec.Triggers)))
	}
}
