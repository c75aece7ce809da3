package hpa

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Controller defaults of kube-controller-manager v1.37
// (pkg/controller/podautoscaler/config/v1alpha1/defaults.go).
const (
	// DefaultTolerance is --horizontal-pod-autoscaler-tolerance.
	DefaultTolerance = 0.1
	// DefaultDownscaleStabilizationWindow is
	// --horizontal-pod-autoscaler-downscale-stabilization. It is the window of
	// the legacy path (no behavior) and of a behavior whose scaleDown leaves
	// stabilizationWindowSeconds unset.
	DefaultDownscaleStabilizationWindow = 5 * time.Minute
	// DefaultSyncPeriod is --horizontal-pod-autoscaler-sync-period: how often
	// the controller reconciles one HPA.
	DefaultSyncPeriod = 15 * time.Second
)

// API validation bounds (pkg/apis/autoscaling/validation).
const (
	// MaxStabilizationWindow is MaxStabilizationWindowSeconds.
	MaxStabilizationWindow = 3600 * time.Second
	// MaxPolicyPeriod is MaxPeriodSeconds.
	MaxPolicyPeriod = 1800 * time.Second
)

// MetricType is the source of a metric (autoscaling/v2 MetricSourceType).
type MetricType uint8

// Metric source types.
const (
	External MetricType = iota + 1
	Object
	Pods
	Resource
	ContainerResource
)

// TargetType is the kind of target of a metric (autoscaling/v2 MetricTargetType).
type TargetType uint8

// Target types.
const (
	// Value compares the metric's total with TargetMilli (External, Object).
	Value TargetType = iota + 1
	// AverageValue compares the metric per pod with TargetMilli (all sources).
	AverageValue
	// Utilization compares the pods' average resource use, as a percentage of
	// their request, with TargetUtilization (Resource, ContainerResource).
	Utilization
)

// Metric is one entry of spec.metrics, reduced to what the decision uses.
type Metric struct {
	// Type is the metric source.
	Type MetricType
	// Name names the metric (the resource name, e.g. "cpu", for Resource and
	// ContainerResource). It appears in decisions and errors only.
	Name string
	// Target is the target type. For External metrics the API server accepts
	// a target with both fields set only as invalid, and the controller reads
	// averageValue first; the manifest package resolves that.
	Target TargetType
	// TargetMilli is the target value in milli-units, as
	// resource.Quantity.MilliValue() gives it (rounded up to the next milli).
	// It must be > 0 for Value and AverageValue targets.
	TargetMilli int64
	// TargetUtilization is the target percentage for Utilization targets
	// (> 0).
	TargetUtilization int32
}

// Tolerance is the dead band around a usage ratio of 1 inside which a metric
// proposes the current replica count (Tolerances.isWithin): a ratio r is
// within when 1-Down <= r <= 1+Up, both ends inclusive.
type Tolerance struct {
	// Down bounds the band below 1 (scaleDown.tolerance, else the
	// controller's tolerance).
	Down float64
	// Up bounds the band above 1 (scaleUp.tolerance, else the controller's
	// tolerance).
	Up float64
}

// PolicyType is the unit of a scaling policy's value.
type PolicyType uint8

// Policy types (autoscaling/v2 HPAScalingPolicyType).
const (
	// PodsPolicy allows Value pods of change per period.
	PodsPolicy PolicyType = iota + 1
	// PercentPolicy allows Value percent of the period-start count per period.
	PercentPolicy
)

// Policy is one scaling policy (autoscaling/v2 HPAScalingPolicy).
type Policy struct {
	Type PolicyType
	// Value is the allowed change, in pods or percent; > 0.
	Value int32
	// Period is the look-back over which past changes are summed; whole
	// seconds, 1 s to 30 min.
	Period time.Duration
}

// SelectPolicy chooses between the policies of one direction.
type SelectPolicy uint8

// Select policies (autoscaling/v2 ScalingPolicySelect). The zero value is
// MaxChange, the API default.
const (
	// MaxChange picks the policy that allows the largest change.
	MaxChange SelectPolicy = iota
	// MinChange picks the policy that allows the smallest change.
	MinChange
	// Disabled forbids changes in this direction through metrics.
	Disabled
)

// Rules configures one direction of behavior (autoscaling/v2 HPAScalingRules)
// after API defaulting, with nothing left unset.
type Rules struct {
	// StabilizationWindow is how far back recommendations are considered;
	// whole seconds, 0 to 1 h. For scale-down, an unset
	// stabilizationWindowSeconds means the controller's
	// DefaultDownscaleStabilizationWindow: the manifest package resolves it.
	StabilizationWindow time.Duration
	// SelectPolicy combines the policies.
	SelectPolicy SelectPolicy
	// Policies limit the rate of change; at least one.
	Policies []Policy
}

// Behavior is spec.behavior after API defaulting.
type Behavior struct {
	ScaleUp   Rules
	ScaleDown Rules
}

// DefaultBehavior returns the behavior the API server fills in for
// `behavior: {}` (SetDefaults_HorizontalPodAutoscalerBehavior in
// pkg/apis/autoscaling/v2/defaults.go), with the scale-down window resolved to
// the controller's default.
func DefaultBehavior() *Behavior {
	return &Behavior{
		ScaleUp: Rules{
			StabilizationWindow: 0,
			SelectPolicy:        MaxChange,
			Policies: []Policy{
				{Type: PodsPolicy, Value: 4, Period: 15 * time.Second},
				{Type: PercentPolicy, Value: 100, Period: 15 * time.Second},
			},
		},
		ScaleDown: Rules{
			StabilizationWindow: DefaultDownscaleStabilizationWindow,
			SelectPolicy:        MaxChange,
			Policies: []Policy{
				{Type: PercentPolicy, Value: 100, Period: 15 * time.Second},
			},
		},
	}
}

// Spec is what the controller runs for one HorizontalPodAutoscaler: the
// defaulted autoscaling/v2 spec with the controller's settings resolved.
type Spec struct {
	// MinReplicas is the lower bound (API default 1). 0 enables scale to
	// zero (HPAScaleToZero), which the API allows only with an Object or
	// External metric.
	MinReplicas int32
	// MaxReplicas is the upper bound; >= max(MinReplicas, 1).
	MaxReplicas int32
	// Metrics are evaluated in order; the largest proposal wins. At least one.
	Metrics []Metric
	// Tolerance is the dead band applied to every metric. Without behavior
	// both sides are the controller's tolerance (DefaultTolerance); with
	// behavior, scaleUp.tolerance and scaleDown.tolerance override them.
	Tolerance Tolerance
	// Behavior selects the behavior path when non-nil. A nil Behavior is the
	// legacy path the controller takes for an HPA without spec.behavior (the
	// API server does not default it): scale-up limited to max(2×current, 4)
	// per reconcile, scale-down stabilized over LegacyDownscaleWindow.
	Behavior *Behavior
	// LegacyDownscaleWindow is the controller's downscale stabilization
	// window, used only when Behavior is nil; whole seconds, >= 0.
	LegacyDownscaleWindow time.Duration
}

// FieldError reports an invalid field of a Spec by its path, in the style of
// the API server's field errors.
type FieldError struct {
	// Field is the path, e.g. "behavior.scaleUp.policies[1].periodSeconds".
	Field string
	// Value is the offending value, printed with %v.
	Value any
	// Detail says what was expected.
	Detail string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: Invalid value: %v: %s", e.Field, e.Value, e.Detail)
}

// Validate checks the spec the way the API server's validation of
// autoscaling/v2 does (validateHorizontalPodAutoscalerSpec, validateMetrics,
// validateBehavior), plus the consistency the engine needs (whole-second
// windows and periods, a known type for every enum). The returned error
// joins one *FieldError per problem.
func (s *Spec) Validate() error {
	var errs []error
	add := func(field string, value any, detail string) {
		errs = append(errs, &FieldError{Field: field, Value: value, Detail: detail})
	}
	if s.MinReplicas < 0 {
		add("minReplicas", s.MinReplicas, "must be greater than or equal to 0")
	}
	if s.MaxReplicas <= 0 {
		add("maxReplicas", s.MaxReplicas, "must be greater than or equal to 1")
	} else if s.MaxReplicas < s.MinReplicas {
		add("maxReplicas", s.MaxReplicas, "must be greater than or equal to `minReplicas`")
	}
	if len(s.Metrics) == 0 {
		add("metrics", "[]", "must specify at least one metric")
	}
	hasObjectOrExternal := false
	for i, m := range s.Metrics {
		p := fmt.Sprintf("metrics[%d]", i)
		switch m.Type {
		case External, Object:
			hasObjectOrExternal = true
			if m.Target != Value && m.Target != AverageValue {
				add(p+".target.type", m.Target, "must be Value or AverageValue")
			}
		case Pods:
			if m.Target != AverageValue {
				add(p+".target.type", m.Target, "must be AverageValue")
			}
		case Resource, ContainerResource:
			if m.Target != Utilization && m.Target != AverageValue {
				add(p+".target.type", m.Target, "must be Utilization or AverageValue")
			}
		default:
			add(p+".type", m.Type, "must be External, Object, Pods, Resource or ContainerResource")
			continue
		}
		switch m.Target {
		case Value, AverageValue:
			if m.TargetMilli <= 0 {
				add(p+".target."+m.Target.field(), milliString(m.TargetMilli), "must be positive")
			}
		case Utilization:
			if m.TargetUtilization < 1 {
				add(p+".target.averageUtilization", m.TargetUtilization, "must be greater than 0")
			}
		}
	}
	if s.MinReplicas == 0 && !hasObjectOrExternal && len(s.Metrics) > 0 {
		add("minReplicas", 0, "must specify at least one Object or External metric to support scaling to zero replicas")
	}
	if s.Tolerance.Up < 0 || math.IsNaN(s.Tolerance.Up) {
		add("tolerance.up", s.Tolerance.Up, "must be greater than or equal to 0")
	}
	if s.Tolerance.Down < 0 || math.IsNaN(s.Tolerance.Down) {
		add("tolerance.down", s.Tolerance.Down, "must be greater than or equal to 0")
	}
	if s.Behavior == nil {
		if s.LegacyDownscaleWindow < 0 || s.LegacyDownscaleWindow%time.Second != 0 {
			add("legacyDownscaleWindow", s.LegacyDownscaleWindow, "must be a whole number of seconds, >= 0")
		}
	} else {
		s.Behavior.ScaleUp.validate("behavior.scaleUp", add)
		s.Behavior.ScaleDown.validate("behavior.scaleDown", add)
	}
	return errors.Join(errs...)
}

func (r *Rules) validate(path string, add func(string, any, string)) {
	w := r.StabilizationWindow
	switch {
	case w < 0:
		add(path+".stabilizationWindowSeconds", w.Seconds(), "must be greater than or equal to zero")
	case w > MaxStabilizationWindow:
		add(path+".stabilizationWindowSeconds", w.Seconds(), "must be less than or equal to 3600")
	case w%time.Second != 0:
		add(path+".stabilizationWindowSeconds", w, "must be a whole number of seconds")
	}
	if r.SelectPolicy > Disabled {
		add(path+".selectPolicy", r.SelectPolicy, `supported values: "Disabled", "Max", "Min"`)
	}
	if len(r.Policies) == 0 {
		add(path+".policies", "[]", "must specify at least one Policy")
	}
	for i, p := range r.Policies {
		pp := fmt.Sprintf("%s.policies[%d]", path, i)
		if p.Type != PodsPolicy && p.Type != PercentPolicy {
			add(pp+".type", p.Type, `supported values: "Percent", "Pods"`)
		}
		if p.Value <= 0 {
			add(pp+".value", p.Value, "must be greater than zero")
		}
		switch {
		case p.Period <= 0:
			add(pp+".periodSeconds", p.Period.Seconds(), "must be greater than zero")
		case p.Period > MaxPolicyPeriod:
			add(pp+".periodSeconds", p.Period.Seconds(), "must be less than or equal to 1800")
		case p.Period%time.Second != 0:
			add(pp+".periodSeconds", p.Period, "must be a whole number of seconds")
		}
	}
}

func (t TargetType) field() string {
	if t == Value {
		return "value"
	}
	return "averageValue"
}

func milliString(m int64) string {
	return fmt.Sprintf("%dm", m)
}

func (s *Spec) hasObjectOrExternal() bool {
	for _, m := range s.Metrics {
		if m.Type == Object || m.Type == External {
			return true
		}
	}
	return false
}

// String returns the API name of the metric source type.
func (t MetricType) String() string {
	switch t {
	case External:
		return "External"
	case Object:
		return "Object"
	case Pods:
		return "Pods"
	case Resource:
		return "Resource"
	case ContainerResource:
		return "ContainerResource"
	}
	return fmt.Sprintf("MetricType(%d)", uint8(t))
}

// String returns the API name of the target type.
func (t TargetType) String() string {
	switch t {
	case Value:
		return "Value"
	case AverageValue:
		return "AverageValue"
	case Utilization:
		return "Utilization"
	}
	return fmt.Sprintf("TargetType(%d)", uint8(t))
}

// String returns the API name of the policy type.
func (t PolicyType) String() string {
	switch t {
	case PodsPolicy:
		return "Pods"
	case PercentPolicy:
		return "Percent"
	}
	return fmt.Sprintf("PolicyType(%d)", uint8(t))
}

// String returns the API name of the select policy.
func (p SelectPolicy) String() string {
	switch p {
	case MaxChange:
		return "Max"
	case MinChange:
		return "Min"
	case Disabled:
		return "Disabled"
	}
	return fmt.Sprintf("SelectPolicy(%d)", uint8(p))
}
