package hpa

import "strings"

//go:generate go run golang.org/x/tools/cmd/stringer@v0.39.0 -type=Reason -trimprefix=Reason

// Reason is one rule that shaped a decision. The names follow the reasons
// the controller writes into the HPA's conditions where one exists.
type Reason uint8

// Reasons, in the order the controller applies the rules.
const (
	// ReasonScalingDisabled: the target is at 0 replicas and the HPA did not
	// scale it there (no ScaledToZero condition), so the controller leaves it
	// alone (shouldComputeMetricsForZeroReplicas).
	ReasonScalingDisabled Reason = iota
	// ReasonAboveMaxReplicas: the target had more than maxReplicas; it is
	// snapped to maxReplicas without metrics, stabilization or policies.
	ReasonAboveMaxReplicas
	// ReasonBelowMinReplicas: the target had fewer than minReplicas; it is
	// snapped to minReplicas without metrics, stabilization or policies.
	ReasonBelowMinReplicas
	// ReasonInvalidMetric: at least one metric could not be computed.
	ReasonInvalidMetric
	// ReasonFailedComputeMetricsReplicas: every metric failed, or some failed
	// and the others would scale down; the controller does nothing this
	// reconcile and stores no recommendation (computeReplicasForMetrics).
	ReasonFailedComputeMetricsReplicas
	// ReasonWithinTolerance: at least one metric's usage ratio was inside the
	// tolerance band, so it proposed the current count.
	ReasonWithinTolerance
	// ReasonScaleUpStabilized: the stabilized recommendation differs from the
	// raw one and the raw one was at or above current: the scale-up window's
	// minimum held the scale-up back.
	ReasonScaleUpStabilized
	// ReasonScaleDownStabilized: the stabilized recommendation differs from
	// the raw one while scaling down: the scale-down window's maximum held
	// the scale-down back.
	ReasonScaleDownStabilized
	// ReasonScaleUpLimit: a scale-up rate limit bound the result (a policy,
	// Decision.Policy, or the legacy max(2×current, 4)).
	ReasonScaleUpLimit
	// ReasonScaleDownLimit: a scale-down policy bound the result.
	ReasonScaleDownLimit
	// ReasonTooManyReplicas: maxReplicas bound the result.
	ReasonTooManyReplicas
	// ReasonTooFewReplicas: minReplicas bound the result.
	ReasonTooFewReplicas
	// ReasonScaleUpDisabled: scaleUp.selectPolicy is Disabled and held a
	// scale-up at current.
	ReasonScaleUpDisabled
	// ReasonScaleDownDisabled: scaleDown.selectPolicy is Disabled and held a
	// scale-down at current.
	ReasonScaleDownDisabled
	// ReasonScaleFromZeroMin: scaling up from zero, the result was raised to
	// minReplicas.
	ReasonScaleFromZeroMin
	// ReasonScaledToZero: this rescale took the target to zero and set the
	// HPA's ScaledToZero condition, which lets it scale back up from zero.
	ReasonScaledToZero

	numReasons
)

// Reasons is a set of Reason.
type Reasons uint32

// Has reports whether r is in the set.
func (s Reasons) Has(r Reason) bool { return s&(1<<r) != 0 }

func (s *Reasons) add(r Reason) { *s |= 1 << r }

// List returns the reasons in the set, in Reason order.
func (s Reasons) List() []Reason {
	var out []Reason
	for r := Reason(0); r < numReasons; r++ {
		if s.Has(r) {
			out = append(out, r)
		}
	}
	return out
}

// String joins the reasons with "+", or returns "" for the empty set.
func (s Reasons) String() string {
	var b strings.Builder
	for r := Reason(0); r < numReasons; r++ {
		if s.Has(r) {
			if b.Len() > 0 {
				b.WriteByte('+')
			}
			b.WriteString(r.String())
		}
	}
	return b.String()
}

// Proposal is what one metric proposed at a reconcile.
type Proposal struct {
	// Replicas is the metric's replica proposal; meaningless when Failed.
	Replicas int32
	// Usage is the metric's current value as the HPA status reports it, in
	// milli-units: the total for Value targets, the per-pod average for
	// AverageValue targets, the utilization percentage (whole percent, not
	// milli) for Utilization targets.
	Usage int64
	// Ratio is the usage ratio compared with the tolerance band.
	Ratio float64
	// WithinTolerance reports that Ratio was inside the band, so the metric
	// proposed the current count.
	WithinTolerance bool
	// Failed reports that the metric could not be computed: its observation
	// failed, or the pods it needs were missing.
	Failed bool
}

// Decision is the outcome of one reconcile.
type Decision struct {
	// Current is the scale's spec.replicas the reconcile started from.
	Current int32
	// Desired is the replica count the target has after the reconcile: the
	// new count when Rescale, else Current.
	Desired int32
	// Rescale reports that the controller updated the scale.
	Rescale bool
	// Proposals holds one entry per metric, in spec order, when metrics were
	// computed; nil otherwise. It is reused by the next Step: copy it to
	// keep it.
	Proposals []Proposal
	// Metric is the index of the metric whose proposal was taken, or -1.
	Metric int
	// Recommendation is the raw recommendation max(0, largest valid
	// proposal) before stabilization and limits; 0 when metrics were not
	// computed.
	Recommendation int32
	// Stabilized is the recommendation after the stabilization window(s).
	Stabilized int32
	// Policy is the index, within the policies of the direction of change,
	// of the policy whose limit bound the result, or -1.
	Policy int
	// Reasons are the rules that shaped the decision.
	Reasons Reasons
}
