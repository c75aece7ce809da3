package manifest

import (
	"fmt"
	"math"
	"slices"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Checks beyond API validation: what the API server accepts but the
// controller of v1.37 can never compute, or computes from other fields than
// the manifest says (pkg/controller/podautoscaler/horizontal.go:
// computeReplicasForMetric, computeStatusForObjectMetric,
// computeStatusForPodsMetric, computeStatusForResourceMetricGeneric,
// computeStatusForExternalMetric). They run on an object that passed API
// validation, so every metric has exactly the source its type names and a
// known target type.

// acceptedNote starts the detail of every such error.
const acceptedNote = "the API server accepts this, but "

// targetField is the field of MetricTarget that a target type reads.
var targetField = map[autoscalingv2.MetricTargetType]string{
	autoscalingv2.ValueMetricType:        "value",
	autoscalingv2.AverageValueMetricType: "averageValue",
	autoscalingv2.UtilizationMetricType:  "averageUtilization",
}

// targetType is the target type that reads a field of MetricTarget.
var targetType = map[string]autoscalingv2.MetricTargetType{
	"value":              autoscalingv2.ValueMetricType,
	"averageValue":       autoscalingv2.AverageValueMetricType,
	"averageUtilization": autoscalingv2.UtilizationMetricType,
}

// validateForController reports metrics the controller cannot compute as
// written: a target whose type does not match the field the controller
// reads, fields it ignores, a target too large for the controller's int64
// milli-units, and metric selectors it cannot parse.
func validateForController(spec *autoscalingv2.HorizontalPodAutoscalerSpec, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, m := range spec.Metrics {
		p := fldPath.Child("metrics").Index(i)
		switch m.Type {
		case autoscalingv2.ObjectMetricSourceType:
			if m.Object != nil {
				p := p.Child("object")
				errs = append(errs, checkTarget("Object", m.Object.Target, p.Child("target"))...)
				errs = append(errs, checkSelector(m.Object.Metric.Selector, p.Child("metric", "selector"))...)
			}
		case autoscalingv2.ExternalMetricSourceType:
			if m.External != nil {
				p := p.Child("external")
				errs = append(errs, checkTarget("External", m.External.Target, p.Child("target"))...)
				errs = append(errs, checkSelector(m.External.Metric.Selector, p.Child("metric", "selector"))...)
			}
		case autoscalingv2.PodsMetricSourceType:
			if m.Pods != nil {
				p := p.Child("pods")
				errs = append(errs, checkTarget("Pods", m.Pods.Target, p.Child("target"))...)
				errs = append(errs, checkSelector(m.Pods.Metric.Selector, p.Child("metric", "selector"))...)
			}
		case autoscalingv2.ResourceMetricSourceType:
			if m.Resource != nil {
				errs = append(errs, checkTarget("Resource", m.Resource.Target, p.Child("resource", "target"))...)
			}
		case autoscalingv2.ContainerResourceMetricSourceType:
			if m.ContainerResource != nil {
				errs = append(errs, checkTarget("ContainerResource", m.ContainerResource.Target, p.Child("containerResource", "target"))...)
			}
		}
	}
	return errs
}

// controllerReads returns the field of t the controller reads for a metric
// of the given source, or "" when it can compute nothing:
//   - Object: the field of target.type (computeStatusForObjectMetric fails
//     with "invalid object metric source" when that field is unset);
//   - External: averageValue when set, else value, whatever target.type says;
//   - Pods: averageValue, whatever target.type says;
//   - Resource, ContainerResource: averageValue when set, else
//     averageUtilization, whatever target.type says.
func controllerReads(source string, t autoscalingv2.MetricTarget) string {
	switch source {
	case "Object":
		switch {
		case t.Type == autoscalingv2.ValueMetricType && t.Value != nil:
			return "value"
		case t.Type == autoscalingv2.AverageValueMetricType && t.AverageValue != nil:
			return "averageValue"
		}
	case "External":
		switch {
		case t.AverageValue != nil:
			return "averageValue"
		case t.Value != nil:
			return "value"
		}
	case "Pods":
		if t.AverageValue != nil {
			return "averageValue"
		}
	case "Resource", "ContainerResource":
		switch {
		case t.AverageValue != nil:
			return "averageValue"
		case t.AverageUtilization != nil:
			return "averageUtilization"
		}
	}
	return ""
}

// supportedTargets lists the target types each source supports.
var supportedTargets = map[string][]autoscalingv2.MetricTargetType{
	"Object":            {autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType},
	"External":          {autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType},
	"Pods":              {autoscalingv2.AverageValueMetricType},
	"Resource":          {autoscalingv2.UtilizationMetricType, autoscalingv2.AverageValueMetricType},
	"ContainerResource": {autoscalingv2.UtilizationMetricType, autoscalingv2.AverageValueMetricType},
}

// supported says "Value or AverageValue" for the target types of source.
func supported(source string) string {
	var names []string
	for _, t := range supportedTargets[source] {
		names = append(names, string(t))
	}
	return strings.Join(names, " or ")
}

func article(word string) string {
	if strings.ContainsRune("AEIOU", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// checkTarget reports a target the controller cannot compute as written.
func checkTarget(source string, t autoscalingv2.MetricTarget, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	used := controllerReads(source, t)
	if used == "" {
		why := fmt.Sprintf("%s metrics support target type %s only", source, supported(source))
		if slices.Contains(supportedTargets[source], t.Type) {
			why = fmt.Sprintf("for %s metric of target type %s it reads target.%s, which is not set",
				article(source), t.Type, targetField[t.Type])
		}
		expected := fmt.Sprintf("type %s with its value set", supported(source))
		for _, typ := range supportedTargets[source] {
			if f := targetField[typ]; f != targetField[t.Type] && isSet(t, f) {
				expected = fmt.Sprintf("type: %s, as target.%s is set", typ, f)
			}
		}
		return append(errs, field.Invalid(fldPath.Child("type"), string(t.Type),
			acceptedNote+"the controller can never compute this metric: "+why+"; expected "+expected))
	}
	if q := quantityField(t, used); q != nil && q.Cmp(maxMilliQuantity) > 0 {
		errs = append(errs, field.Invalid(fldPath.Child(used), q.String(), fmt.Sprintf(
			"%sthe controller reads it in milli-units as an int64 (Quantity.MilliValue), which overflows: it would compute with a target of %dm; expected at most %s",
			acceptedNote, q.MilliValue(), maxMilli)))
	}
	if targetField[t.Type] != used {
		errs = append(errs, field.Invalid(fldPath.Child("type"), string(t.Type), fmt.Sprintf(
			"%sthe controller ignores target.type for %s metrics (which support %s) and would compute target.%s; expected type: %s",
			acceptedNote, source, supported(source), used, targetType[used])))
	}
	for _, f := range []string{"value", "averageValue", "averageUtilization"} {
		if isSet(t, f) && f != used {
			errs = append(errs, field.Invalid(fldPath.Child(f), targetValue(t, f), fmt.Sprintf(
				"%sthe controller ignores it: for this %s metric it reads only target.%s; expected it removed",
				acceptedNote, source, used)))
		}
	}
	return errs
}

// maxMilliQuantity is the largest quantity whose Quantity.MilliValue() is
// exact: above it, the int64 overflows and MilliValue returns another
// number (0, negative, or a wrong positive one), which the controller would
// use as the target. Only compared with (Quantity.String would write its
// cache, racing between concurrent calls): maxMilli writes it out.
var maxMilliQuantity = *resource.NewMilliQuantity(math.MaxInt64, resource.DecimalSI)

// maxMilli is maxMilliQuantity as Quantity.String writes it.
const maxMilli = "9223372036854775807m"

// quantityField returns the named quantity field of t (value or
// averageValue), or nil when unset or not a quantity.
func quantityField(t autoscalingv2.MetricTarget, name string) *resource.Quantity {
	switch name {
	case "value":
		return t.Value
	case "averageValue":
		return t.AverageValue
	}
	return nil
}

// isSet says whether the named field of t is set.
func isSet(t autoscalingv2.MetricTarget, name string) bool {
	return targetValue(t, name) != nil
}

// targetValue returns the named field of t, or nil (untyped) when unset.
func targetValue(t autoscalingv2.MetricTarget, name string) any {
	switch {
	case name == "value" && t.Value != nil:
		return t.Value.String()
	case name == "averageValue" && t.AverageValue != nil:
		return t.AverageValue.String()
	case name == "averageUtilization" && t.AverageUtilization != nil:
		return *t.AverageUtilization
	}
	return nil
}

// checkSelector reports a metric selector that metav1.LabelSelectorAsSelector,
// which the controller applies before fetching the metric, rejects.
func checkSelector(sel *metav1.LabelSelector, fldPath *field.Path) field.ErrorList {
	if sel == nil {
		return nil
	}
	if _, err := metav1.LabelSelectorAsSelector(sel); err != nil {
		return field.ErrorList{field.Invalid(fldPath, sel,
			acceptedNote+"the controller cannot use this selector: "+err.Error())}
	}
	return nil
}
