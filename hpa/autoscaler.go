package hpa

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Target is the scale target as the controller reads it at a reconcile.
type Target struct {
	// Replicas is scale.spec.replicas: the count the workload is asked to
	// run. The controller's "current replicas".
	Replicas int32
	// StatusReplicas is scale.status.replicas: the pods that exist. Per-pod
	// metrics are read from these pods.
	StatusReplicas int32
	// ReadyReplicas are the pods among StatusReplicas that are Running and
	// Ready; they report metrics. The others are treated as Pending: no
	// metrics, counted as unready. 0 <= ReadyReplicas <= StatusReplicas.
	ReadyReplicas int32
}

// Steady returns the target of a workload whose n pods all exist and are
// ready.
func Steady(n int32) Target { return Target{Replicas: n, StatusReplicas: n, ReadyReplicas: n} }

// Observation is one metric's reading at a reconcile.
type Observation struct {
	// Milli is the value in milli-units (see MilliFromFloat):
	//   - External: the total over the series the selector matches;
	//   - Object: the object's value;
	//   - Pods, and Resource/ContainerResource with an AverageValue target:
	//     the value every ready pod reports (the per-pod average);
	//   - Resource/ContainerResource with a Utilization target: the pods'
	//     utilization of their request in milli-percent (73.5 % is 73500).
	Milli int64
	// Failed marks a metric the controller could not read at this reconcile.
	Failed bool
}

// Autoscaler is the controller's state for one HPA: the recommendation
// history and the scale events. It is a pure state machine: time and
// readings come in through Step, decisions come out as data.
//
// The state stays bounded: recommendations older than the stabilization
// windows and events older than the longest policy period are dropped or
// reused, as upstream does.
type Autoscaler struct {
	spec Spec

	started      bool
	last         time.Time
	scaledToZero bool // the HPA's ScaledToZero condition

	// Stabilization windows: recommendations as monotonic deques, so the
	// window minimum and maximum cost O(1) amortized per step.
	upWin   monoWindow // min over the scale-up window (behavior path)
	downWin monoWindow // max over the scale-down (or legacy) window

	upEvents, downEvents []scaleEvent

	proposals []Proposal
}

// New returns the state of a freshly seen HPA (no history) after validating
// the spec. The spec is copied.
func New(spec Spec) (*Autoscaler, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	spec.Metrics = slices.Clone(spec.Metrics)
	if spec.Behavior != nil {
		b := *spec.Behavior
		b.ScaleUp.Policies = slices.Clone(b.ScaleUp.Policies)
		b.ScaleDown.Policies = slices.Clone(b.ScaleDown.Policies)
		spec.Behavior = &b
	}
	a := &Autoscaler{spec: spec, proposals: make([]Proposal, len(spec.Metrics))}
	if spec.Behavior != nil {
		a.upWin = monoWindow{keepMin: true, window: spec.Behavior.ScaleUp.StabilizationWindow}
		a.downWin = monoWindow{window: spec.Behavior.ScaleDown.StabilizationWindow}
	} else {
		a.downWin = monoWindow{window: spec.LegacyDownscaleWindow, inclusive: true}
	}
	return a, nil
}

// Spec returns the spec the autoscaler runs.
func (a *Autoscaler) Spec() Spec { return a.spec }

// ScaledToZero reports the HPA's ScaledToZero condition: the last rescale
// took the target to zero, so metrics are computed at zero replicas.
func (a *Autoscaler) ScaledToZero() bool { return a.scaledToZero }

// Step runs one reconcile (reconcileAutoscaler in
// pkg/controller/podautoscaler/horizontal.go, Kubernetes v1.37) at time now,
// for a target in state cur with one observation per spec metric, and
// returns the decision. The scale update is assumed to succeed.
//
// Calls must come in non-decreasing time order, with len(obs) equal to the
// number of metrics and a well-formed cur; anything else is a programming
// error and panics.
func (a *Autoscaler) Step(now time.Time, cur Target, obs []Observation) Decision {
	if len(obs) != len(a.spec.Metrics) {
		panic(fmt.Sprintf("hpa: Step got %d observations for %d metrics", len(obs), len(a.spec.Metrics)))
	}
	if cur.Replicas < 0 || cur.StatusReplicas < 0 || cur.ReadyReplicas < 0 || cur.ReadyReplicas > cur.StatusReplicas {
		panic(fmt.Sprintf("hpa: Step got an impossible target %+v", cur))
	}
	if a.started && now.Before(a.last) {
		panic(fmt.Sprintf("hpa: Step at %v is before the previous step at %v", now, a.last))
	}
	a.last = now
	current := cur.Replicas
	d := Decision{Current: current, Desired: current, Metric: -1, Policy: -1}

	// recordInitialRecommendation: the first reconcile stores the current
	// count as a recommendation.
	if !a.started {
		a.started = true
		a.downWin.push(now, current)
		if a.spec.Behavior != nil {
			a.upWin.push(now, current)
		}
	}

	minReplicas := a.spec.MinReplicas
	hasObjExt := a.spec.hasObjectOrExternal()
	scaledToZeroCondition := a.scaledToZero
	canScaleFromZero := scaledToZeroCondition && hasObjExt

	var desired int32
	computeMetrics := true
	switch {
	case current == 0:
		// shouldComputeMetricsForZeroReplicas
		if !((minReplicas != 0 && scaledToZeroCondition) || canScaleFromZero) {
			d.Reasons.add(ReasonScalingDisabled)
			return d
		}
	case current > a.spec.MaxReplicas:
		desired = a.spec.MaxReplicas
		computeMetrics = false
		d.Reasons.add(ReasonAboveMaxReplicas)
	case current < minReplicas:
		desired = minReplicas
		computeMetrics = false
		d.Reasons.add(ReasonBelowMinReplicas)
	}

	if computeMetrics {
		metricDesired, ok := a.computeReplicasForMetrics(cur, obs, &d)
		if !ok {
			d.Reasons.add(ReasonFailedComputeMetricsReplicas)
			return d
		}
		if metricDesired > desired {
			desired = metricDesired
		}
		d.Recommendation = desired
		if a.spec.Behavior == nil {
			desired = a.normalizeDesiredReplicas(now, current, desired, &d)
		} else {
			desired = a.normalizeDesiredReplicasWithBehaviors(now, current, desired, &d)
		}
		if current == 0 && minReplicas != 0 && scaledToZeroCondition && desired < minReplicas {
			desired = minReplicas
			d.Reasons.add(ReasonScaleFromZeroMin)
		}
		if desired == current {
			return d
		}
	}

	// A successful rescale.
	d.Desired = desired
	d.Rescale = true
	a.storeScaleEvent(now, current, desired)
	a.scaledToZero = current > 0 && desired == 0 && minReplicas == 0 && hasObjExt
	if a.scaledToZero {
		d.Reasons.add(ReasonScaledToZero)
	}
	return d
}

// computeReplicasForMetrics mirrors HorizontalController.computeReplicasForMetrics:
// the largest valid proposal wins (ties keep the first), and the result is
// refused when every metric failed or when some failed and the rest would
// scale down.
func (a *Autoscaler) computeReplicasForMetrics(cur Target, obs []Observation, d *Decision) (int32, bool) {
	var replicas int32
	invalid := 0
	for i := range a.spec.Metrics {
		p := a.computeReplicasForMetric(&a.spec.Metrics[i], cur, obs[i])
		a.proposals[i] = p
		if p.Failed {
			invalid++
			continue
		}
		if p.WithinTolerance {
			d.Reasons.add(ReasonWithinTolerance)
		}
		if replicas == 0 || p.Replicas > replicas {
			replicas = p.Replicas
			d.Metric = i
		}
	}
	d.Proposals = a.proposals
	if invalid > 0 {
		d.Reasons.add(ReasonInvalidMetric)
	}
	if invalid >= len(a.spec.Metrics) || (invalid > 0 && replicas < cur.Replicas) {
		d.Metric = -1
		return 0, false
	}
	return replicas, true
}

// normalizeDesiredReplicas is the legacy path for an HPA without behavior
// (HorizontalController.normalizeDesiredReplicas): stabilizeRecommendation
// takes the maximum over the downscale window, inclusive at its edge, then
// convertDesiredReplicasWithRules bounds the result by min, max and the
// per-reconcile scale-up limit max(2×current, 4).
func (a *Autoscaler) normalizeDesiredReplicas(now time.Time, current, prenormalized int32, d *Decision) int32 {
	stabilized := max(prenormalized, a.downWin.extreme(now, prenormalized))
	a.downWin.push(now, prenormalized)
	d.Stabilized = stabilized
	if stabilized != prenormalized {
		d.Reasons.add(ReasonScaleDownStabilized)
	}

	// convertDesiredReplicasWithRules
	scaleUpLimit := int32(math.Max(2*float64(current), 4))
	maximumAllowed := a.spec.MaxReplicas
	limitReason := ReasonTooManyReplicas
	if a.spec.MaxReplicas > scaleUpLimit {
		maximumAllowed = scaleUpLimit
		limitReason = ReasonScaleUpLimit
	}
	switch {
	case stabilized < a.spec.MinReplicas:
		d.Reasons.add(ReasonTooFewReplicas)
		return a.spec.MinReplicas
	case stabilized > maximumAllowed:
		d.Reasons.add(limitReason)
		return maximumAllowed
	}
	return stabilized
}

// normalizeDesiredReplicasWithBehaviors mirrors the controller's function of
// that name: stabilizeRecommendationWithBehaviors clamps current between the
// minimum over the scale-up window and the maximum over the scale-down
// window (both exclusive at their edge), then
// convertDesiredReplicasWithBehaviorRate applies the policies and bounds.
func (a *Autoscaler) normalizeDesiredReplicasWithBehaviors(now time.Time, current, prenormalized int32, d *Decision) int32 {
	upRecommendation := min(prenormalized, a.upWin.extreme(now, prenormalized))
	downRecommendation := max(prenormalized, a.downWin.extreme(now, prenormalized))
	a.upWin.push(now, prenormalized)
	a.downWin.push(now, prenormalized)
	stabilized := current
	if stabilized < upRecommendation {
		stabilized = upRecommendation
	}
	if stabilized > downRecommendation {
		stabilized = downRecommendation
	}
	d.Stabilized = stabilized
	if stabilized != prenormalized {
		if prenormalized >= current {
			d.Reasons.add(ReasonScaleUpStabilized)
		} else {
			d.Reasons.add(ReasonScaleDownStabilized)
		}
	}
	return a.convertDesiredReplicasWithBehaviorRate(now, current, stabilized, d)
}

// convertDesiredReplicasWithBehaviorRate mirrors the controller's function:
// the rate limit of the direction of change, then max (scaling up) or min
// (scaling down) replicas. A desired count equal to current is returned as
// is.
func (a *Autoscaler) convertDesiredReplicasWithBehaviorRate(now time.Time, current, desired int32, d *Decision) int32 {
	b := a.spec.Behavior
	switch {
	case desired > current:
		limit, policy := a.scaleUpLimit(now, current, &b.ScaleUp)
		if limit < current {
			limit = current
		}
		maximumAllowed := a.spec.MaxReplicas
		reason := ReasonTooManyReplicas
		if maximumAllowed > limit {
			maximumAllowed = limit
			reason = ReasonScaleUpLimit
		}
		if desired > maximumAllowed {
			if reason == ReasonScaleUpLimit {
				if b.ScaleUp.SelectPolicy == Disabled {
					d.Reasons.add(ReasonScaleUpDisabled)
				} else {
					d.Policy = policy
				}
			}
			d.Reasons.add(reason)
			return maximumAllowed
		}
	case desired < current:
		limit, policy := a.scaleDownLimit(now, current, &b.ScaleDown)
		if limit > current {
			limit = current
		}
		minimumAllowed := a.spec.MinReplicas
		reason := ReasonTooFewReplicas
		if minimumAllowed < limit {
			minimumAllowed = limit
			reason = ReasonScaleDownLimit
		}
		if desired < minimumAllowed {
			if reason == ReasonScaleDownLimit {
				if b.ScaleDown.SelectPolicy == Disabled {
					d.Reasons.add(ReasonScaleDownDisabled)
				} else {
					d.Policy = policy
				}
			}
			d.Reasons.add(reason)
			return minimumAllowed
		}
	}
	return desired
}
