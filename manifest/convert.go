package manifest

import (
	"fmt"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// located is an error with the field path it is about.
type located struct {
	path string
	err  error
}

func fromFieldErrors(errs field.ErrorList) []located {
	out := make([]located, len(errs))
	for i, e := range errs {
		out[i] = located{path: e.Field, err: e}
	}
	return out
}

// build validates a defaulted object, converts it and checks the result
// with hpa.Spec.Validate.
func build(obj *autoscalingv2.HorizontalPodAutoscaler, opt Options) (hpa.Spec, []located) {
	if errs := validateHPA(obj); len(errs) > 0 {
		return hpa.Spec{}, fromFieldErrors(errs)
	}
	if errs := validateForController(&obj.Spec, field.NewPath("spec")); len(errs) > 0 {
		return hpa.Spec{}, fromFieldErrors(errs)
	}
	spec, errs := toSpec(&obj.Spec, field.NewPath("spec"), opt)
	if len(errs) > 0 {
		return hpa.Spec{}, fromFieldErrors(errs)
	}
	if err := spec.Validate(); err != nil {
		var out []located
		for _, e := range unjoin(err) {
			l := located{path: "spec", err: e}
			if fe, ok := e.(*hpa.FieldError); ok {
				l = located{path: "spec." + fe.Field, err: &engineError{fe}}
			}
			out = append(out, l)
		}
		return hpa.Spec{}, out
	}
	return spec, nil
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// toSpec converts a defaulted, validated spec the way the controller reads
// it. External targets: averageValue first, then value
// (computeStatusForExternalMetric); Object targets by target.type
// (computeStatusForObjectMetric); Pods targets: averageValue; Resource and
// ContainerResource targets: averageValue first, then averageUtilization
// (computeStatusForResourceMetricGeneric). Quantities become milli-units with
// Quantity.MilliValue, as the controller passes them on. Tolerances follow
// tolerancesForHpa; the scale-down window of a behavior without one is the
// controller's, truncated to whole seconds as in
// maybeInitScaleDownStabilizationWindow.
func toSpec(in *autoscalingv2.HorizontalPodAutoscalerSpec, fldPath *field.Path, opt Options) (hpa.Spec, field.ErrorList) {
	var errs field.ErrorList
	out := hpa.Spec{MaxReplicas: in.MaxReplicas}
	if in.MinReplicas != nil {
		out.MinReplicas = *in.MinReplicas
	} else {
		errs = append(errs, field.Required(fldPath.Child("minReplicas"), "must be defaulted before conversion"))
	}
	for i, m := range in.Metrics {
		metric, ok := convertMetric(m)
		if !ok {
			errs = append(errs, field.Invalid(fldPath.Child("metrics").Index(i), string(m.Type), "cannot be converted: the metric source or its target is missing"))
			continue
		}
		out.Metrics = append(out.Metrics, metric)
	}
	out.Tolerance = hpa.Tolerance{Down: opt.Tolerance, Up: opt.Tolerance}
	if in.Behavior == nil {
		out.LegacyDownscaleWindow = opt.DownscaleStabilizationWindow
		return out, errs
	}
	b := in.Behavior
	if b.ScaleUp == nil || b.ScaleDown == nil {
		return out, append(errs, field.Required(fldPath.Child("behavior"), "must be defaulted before conversion"))
	}
	if b.ScaleDown.Tolerance != nil {
		out.Tolerance.Down = b.ScaleDown.Tolerance.AsApproximateFloat64()
	}
	if b.ScaleUp.Tolerance != nil {
		out.Tolerance.Up = b.ScaleUp.Tolerance.AsApproximateFloat64()
	}
	up, upErrs := convertRules(b.ScaleUp, fldPath.Child("behavior", "scaleUp"), 0)
	errs = append(errs, upErrs...)
	// The controller fills an unset scale-down window from its flag,
	// truncated to whole seconds.
	controllerWindow := time.Duration(int32(opt.DownscaleStabilizationWindow.Seconds())) * time.Second
	down, downErrs := convertRules(b.ScaleDown, fldPath.Child("behavior", "scaleDown"), controllerWindow)
	errs = append(errs, downErrs...)
	out.Behavior = &hpa.Behavior{ScaleUp: up, ScaleDown: down}
	return out, errs
}

func convertMetric(m autoscalingv2.MetricSpec) (hpa.Metric, bool) {
	switch m.Type {
	case autoscalingv2.ExternalMetricSourceType:
		if m.External == nil {
			return hpa.Metric{}, false
		}
		out := hpa.Metric{Type: hpa.External, Name: m.External.Metric.Name}
		t := m.External.Target
		switch {
		case t.AverageValue != nil:
			out.Target, out.TargetMilli = hpa.AverageValue, t.AverageValue.MilliValue()
		case t.Value != nil:
			out.Target, out.TargetMilli = hpa.Value, t.Value.MilliValue()
		default:
			return hpa.Metric{}, false
		}
		return out, true
	case autoscalingv2.ObjectMetricSourceType:
		if m.Object == nil {
			return hpa.Metric{}, false
		}
		out := hpa.Metric{Type: hpa.Object, Name: m.Object.Metric.Name}
		t := m.Object.Target
		switch {
		case t.Type == autoscalingv2.ValueMetricType && t.Value != nil:
			out.Target, out.TargetMilli = hpa.Value, t.Value.MilliValue()
		case t.Type == autoscalingv2.AverageValueMetricType && t.AverageValue != nil:
			out.Target, out.TargetMilli = hpa.AverageValue, t.AverageValue.MilliValue()
		default:
			return hpa.Metric{}, false
		}
		return out, true
	case autoscalingv2.PodsMetricSourceType:
		if m.Pods == nil || m.Pods.Target.AverageValue == nil {
			return hpa.Metric{}, false
		}
		return hpa.Metric{
			Type:        hpa.Pods,
			Name:        m.Pods.Metric.Name,
			Target:      hpa.AverageValue,
			TargetMilli: m.Pods.Target.AverageValue.MilliValue(),
		}, true
	case autoscalingv2.ResourceMetricSourceType:
		if m.Resource == nil {
			return hpa.Metric{}, false
		}
		return resourceMetric(hpa.Resource, string(m.Resource.Name), m.Resource.Target)
	case autoscalingv2.ContainerResourceMetricSourceType:
		if m.ContainerResource == nil {
			return hpa.Metric{}, false
		}
		return resourceMetric(hpa.ContainerResource, string(m.ContainerResource.Name), m.ContainerResource.Target)
	}
	return hpa.Metric{}, false
}

func resourceMetric(typ hpa.MetricType, name string, t autoscalingv2.MetricTarget) (hpa.Metric, bool) {
	out := hpa.Metric{Type: typ, Name: name}
	switch {
	case t.AverageValue != nil:
		out.Target, out.TargetMilli = hpa.AverageValue, t.AverageValue.MilliValue()
	case t.AverageUtilization != nil:
		out.Target, out.TargetUtilization = hpa.Utilization, *t.AverageUtilization
	default:
		return hpa.Metric{}, false
	}
	return out, true
}

// convertRules converts defaulted scaling rules; an unset window (only
// scale-down leaves it unset) becomes controllerWindow.
func convertRules(r *autoscalingv2.HPAScalingRules, fldPath *field.Path, controllerWindow time.Duration) (hpa.Rules, field.ErrorList) {
	var errs field.ErrorList
	var out hpa.Rules
	if r.StabilizationWindowSeconds != nil {
		out.StabilizationWindow = time.Duration(*r.StabilizationWindowSeconds) * time.Second
	} else {
		out.StabilizationWindow = controllerWindow
		if controllerWindow > hpa.MaxStabilizationWindow {
			errs = append(errs, field.Invalid(fldPath.Child("stabilizationWindowSeconds"), controllerWindow.String(), fmt.Sprintf(
				"unset, so the controller's --horizontal-pod-autoscaler-downscale-stabilization (Options.DownscaleStabilizationWindow) applies, "+
					"but the hpa engine accepts at most %v; expected stabilizationWindowSeconds set, or a smaller option", hpa.MaxStabilizationWindow)))
		}
	}
	switch {
	case r.SelectPolicy == nil, *r.SelectPolicy == autoscalingv2.MaxChangePolicySelect:
		out.SelectPolicy = hpa.MaxChange
	case *r.SelectPolicy == autoscalingv2.MinChangePolicySelect:
		out.SelectPolicy = hpa.MinChange
	case *r.SelectPolicy == autoscalingv2.DisabledPolicySelect:
		out.SelectPolicy = hpa.Disabled
	default:
		errs = append(errs, field.NotSupported(fldPath.Child("selectPolicy"), *r.SelectPolicy, validSelectPolicyTypes))
	}
	for i, p := range r.Policies {
		var typ hpa.PolicyType
		switch p.Type {
		case autoscalingv2.PodsScalingPolicy:
			typ = hpa.PodsPolicy
		case autoscalingv2.PercentScalingPolicy:
			typ = hpa.PercentPolicy
		default:
			errs = append(errs, field.NotSupported(fldPath.Child("policies").Index(i).Child("type"), p.Type, validPolicyTypes))
		}
		out.Policies = append(out.Policies, hpa.Policy{
			Type:   typ,
			Value:  p.Value,
			Period: time.Duration(p.PeriodSeconds) * time.Second,
		})
	}
	return out, errs
}
