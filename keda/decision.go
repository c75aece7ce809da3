package keda

import (
	"strconv"
	"strings"

	"github.com/autoreplay/autoreplay/hpa"
)

//go:generate go run golang.org/x/tools/cmd/stringer@v0.39.0 -type=Reason,DecisionKind -trimprefix=Reason

// DecisionKind says which loop made a decision.
type DecisionKind uint8

// Decision kinds.
const (
	// PollDecision comes from the operator's scale loop (Poll).
	PollDecision DecisionKind = iota
	// ReconcileDecision comes from the HPA (Reconcile).
	ReconcileDecision
)

// Reason is one rule that shaped a KEDA decision; HPA decisions carry the
// hpa reasons in Decision.HPA.
type Reason uint8

// Reasons.
const (
	// ReasonActive: at least one trigger is active (value above its
	// activation threshold, or in fallback), or activation is forced.
	ReasonActive Reason = iota
	// ReasonActivated: the workload was at 0 (or below min with an idle
	// count) and was scaled to minReplicaCount, or 1.
	ReasonActivated
	// ReasonDeactivated: every trigger has been inactive for cooldownPeriod
	// (initialCooldownPeriod before any activity); the workload was scaled
	// to 0 or the idle count.
	ReasonDeactivated
	// ReasonIdle: the deactivation went to idleReplicaCount.
	ReasonIdle
	// ReasonCooldown: inactive, but the cooldown has not elapsed.
	ReasonCooldown
	// ReasonBelowMinReplicas: inactive with the workload below
	// minReplicaCount and no idle count: set to minReplicaCount.
	ReasonBelowMinReplicas
	// ReasonTriggerError: a trigger failed and no fallback covered it.
	ReasonTriggerError
	// ReasonFallbackApplied: a trigger's failures exceeded the threshold and
	// its fallback value was used.
	ReasonFallbackApplied
	// ReasonFormulaValue: the scalingModifiers formula gave the value.
	ReasonFormulaValue
	// ReasonPaused: the ScaledObject is paused by annotation.
	ReasonPaused

	numReasons
)

// Reasons is a set of Reason.
type Reasons uint32

// Has reports whether r is in the set.
func (s Reasons) Has(r Reason) bool { return s&(1<<r) != 0 }

func (s *Reasons) add(r Reason) { *s |= 1 << r }

// String joins the reasons with "+".
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

// TriggerState is one trigger's observation in a decision.
type TriggerState struct {
	// Milli is the value served for the trigger (after fallback), when
	// HasMetric.
	Milli     int64
	HasMetric bool
	// Active is the trigger's activity in a poll.
	Active bool
	// Failed: the trigger failed and no fallback covered it.
	Failed bool
	// Fallback: the value is the fallback value.
	Fallback bool
	// Failures is the consecutive failure count after this observation, as
	// status.health stores it.
	Failures int32
	// FromHPA: the poll reused the HPA's observation.
	FromHPA bool
	// Cached: the adapter served the poll's cached record.
	Cached bool

	approx  float64 // the value's AsApproximateFloat64
	renamed bool    // see record.renamed
}

// Decision is the outcome of a Poll or a Reconcile.
type Decision struct {
	Kind DecisionKind
	// Current is the scale's spec.replicas before the decision.
	Current int32
	// Desired is the count after it: the new count when Rescale, else
	// Current.
	Desired int32
	Rescale bool
	// Active and Error are the ScaledObject's state in a poll.
	Active, Error bool
	// FallbackActive: some trigger served its fallback value.
	FallbackActive bool
	// Formula is the scalingModifiers formula's value, when HasFormula.
	Formula    float64
	HasFormula bool
	// Composite is the composite metric's value in milli-units, when
	// HasFormula or a fallback replaced it.
	Composite int64
	// FormulaError is the error of the formula's evaluation, if any.
	FormulaError error
	// Triggers holds one state per trigger; reused by the next call.
	Triggers []TriggerState
	// HPA is the HPA's decision (Reconcile only).
	HPA     hpa.Decision
	Reasons Reasons
}

func (d *Decision) setDesired(n int32) {
	d.Desired = n
	d.Rescale = n != d.Current
}

func parseFloat(s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.ParseFloat(s, 64)
}
