package manifest

import (
	"fmt"
	"slices"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// API validation of autoscaling/v2 HorizontalPodAutoscaler as the API server
// of Kubernetes v1.37 applies it on create
// (pkg/apis/autoscaling/validation/validation.go, with the options of
// validationOptionsForHorizontalPodAutoscaler in
// pkg/registry/autoscaling/horizontalpodautoscaler/strategy.go). The upstream
// functions work on the internal autoscaling types; those of autoscaling/v2
// convert to them field for field, so the checks apply unchanged.

// API validation bounds (validation.MaxPeriodSeconds,
// validation.MaxStabilizationWindowSeconds).
const (
	maxPeriodSeconds              int32 = 1800
	maxStabilizationWindowSeconds int32 = 3600
)

// refOptions mirrors CrossVersionObjectReferenceValidationOptions.
type refOptions struct {
	allowEmptyAPIGroup bool
}

// validateHPA mirrors ValidateHorizontalPodAutoscaler for a create with the
// feature gates of v1.37 at their defaults: HPAScaleToZero is on (beta), so
// minReplicas may be 0 (given an Object or External metric). An object
// without a namespace is validated as if in "default", where kubectl would
// put it. The finalizer-name checks that pkg/apis/core/validation adds to
// ObjectMeta are not repeated.
func validateHPA(obj *autoscalingv2.HorizontalPodAutoscaler) field.ErrorList {
	meta := obj.ObjectMeta
	if meta.Namespace == "" {
		meta.Namespace = "default"
	}
	errs := apimachineryvalidation.ValidateObjectMeta(&meta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	// validationOptionsForHorizontalPodAutoscaler(newHPA, nil).
	const minReplicasLowerBound = 0
	scaleTargetRef := refOptions{allowEmptyAPIGroup: obj.Spec.ScaleTargetRef.Kind == "ReplicationController"}
	objectMetrics := refOptions{allowEmptyAPIGroup: true}
	errs = append(errs, validateSpec(&obj.Spec, field.NewPath("spec"), minReplicasLowerBound, scaleTargetRef, objectMetrics)...)
	return dedupe(errs)
}

// dedupe drops repeated errors: upstream's validateMetricSpec reports an
// unknown metric source type twice.
func dedupe(errs field.ErrorList) field.ErrorList {
	out := errs[:0]
	seen := make(map[string]bool, len(errs))
	for _, e := range errs {
		if !seen[e.Error()] {
			seen[e.Error()] = true
			out = append(out, e)
		}
	}
	return out
}

// validateSpec mirrors validateHorizontalPodAutoscalerSpec.
func validateSpec(spec *autoscalingv2.HorizontalPodAutoscalerSpec, fldPath *field.Path, minReplicasLowerBound int32, scaleTargetRef, objectMetrics refOptions) field.ErrorList {
	var errs field.ErrorList
	if spec.MinReplicas != nil && *spec.MinReplicas < minReplicasLowerBound {
		errs = append(errs, field.Invalid(fldPath.Child("minReplicas"), *spec.MinReplicas,
			fmt.Sprintf("must be greater than or equal to %d", minReplicasLowerBound)))
	}
	if spec.MaxReplicas == 0 {
		errs = append(errs, field.Required(fldPath.Child("maxReplicas"), "must be set and greater than 0"))
	} else if spec.MaxReplicas < 0 {
		errs = append(errs, field.Invalid(fldPath.Child("maxReplicas"), spec.MaxReplicas, "must be greater than or equal to 1"))
	}
	if spec.MinReplicas != nil && spec.MaxReplicas < *spec.MinReplicas {
		errs = append(errs, field.Invalid(fldPath.Child("maxReplicas"), spec.MaxReplicas, "must be greater than or equal to `minReplicas`"))
	}
	errs = append(errs, validateCrossVersionObjectReference(spec.ScaleTargetRef, fldPath.Child("scaleTargetRef"), scaleTargetRef)...)
	errs = append(errs, validateMetrics(spec.Metrics, fldPath.Child("metrics"), spec.MinReplicas, objectMetrics)...)
	errs = append(errs, validateBehavior(spec.Behavior, fldPath.Child("behavior"))...)
	return errs
}

// validateCrossVersionObjectReference mirrors
// ValidateCrossVersionObjectReference (with AllowInvalidAPIVersion false, as
// on create).
func validateCrossVersionObjectReference(ref autoscalingv2.CrossVersionObjectReference, fldPath *field.Path, opts refOptions) field.ErrorList {
	var errs field.ErrorList
	if len(ref.Kind) == 0 {
		errs = append(errs, field.Required(fldPath.Child("kind"), ""))
	} else {
		for _, msg := range content.IsPathSegmentName(ref.Kind) {
			errs = append(errs, field.Invalid(fldPath.Child("kind"), ref.Kind, msg))
		}
	}
	if len(ref.Name) == 0 {
		errs = append(errs, field.Required(fldPath.Child("name"), ""))
	} else {
		for _, msg := range content.IsPathSegmentName(ref.Name) {
			errs = append(errs, field.Invalid(fldPath.Child("name"), ref.Name, msg))
		}
	}
	if err := validateAPIVersion(ref, opts); err != nil {
		errs = append(errs, field.Invalid(fldPath.Child("apiVersion"), ref.APIVersion, err.Error()))
	}
	return errs
}

// validateAPIVersion mirrors ValidateAPIVersion.
func validateAPIVersion(ref autoscalingv2.CrossVersionObjectReference, opts refOptions) error {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return err
	} else if !opts.allowEmptyAPIGroup && gv.Group == "" {
		return fmt.Errorf("apiVersion must specify API group")
	}
	return nil
}

// validateMetrics mirrors validateMetrics.
func validateMetrics(metrics []autoscalingv2.MetricSpec, fldPath *field.Path, minReplicas *int32, opts refOptions) field.ErrorList {
	var errs field.ErrorList
	hasObjectMetrics := false
	hasExternalMetrics := false
	for i, metric := range metrics {
		errs = append(errs, validateMetricSpec(metric, fldPath.Index(i), opts)...)
		if metric.Type == autoscalingv2.ObjectMetricSourceType {
			hasObjectMetrics = true
		}
		if metric.Type == autoscalingv2.ExternalMetricSourceType {
			hasExternalMetrics = true
		}
	}
	if minReplicas != nil && *minReplicas == 0 {
		if !hasObjectMetrics && !hasExternalMetrics {
			errs = append(errs, field.Forbidden(fldPath, "must specify at least one Object or External metric to support scaling to zero replicas"))
		}
	}
	return errs
}

// validateBehavior mirrors validateBehavior.
func validateBehavior(behavior *autoscalingv2.HorizontalPodAutoscalerBehavior, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if behavior != nil {
		errs = append(errs, validateScalingRules(behavior.ScaleUp, fldPath.Child("scaleUp"))...)
		errs = append(errs, validateScalingRules(behavior.ScaleDown, fldPath.Child("scaleDown"))...)
	}
	return errs
}

var (
	validSelectPolicyTypes = []string{
		string(autoscalingv2.DisabledPolicySelect),
		string(autoscalingv2.MaxChangePolicySelect),
		string(autoscalingv2.MinChangePolicySelect),
	}
	validPolicyTypes = []string{
		string(autoscalingv2.PercentScalingPolicy),
		string(autoscalingv2.PodsScalingPolicy),
	}
	validMetricSourceTypes = []string{
		string(autoscalingv2.ContainerResourceMetricSourceType),
		string(autoscalingv2.ExternalMetricSourceType),
		string(autoscalingv2.ObjectMetricSourceType),
		string(autoscalingv2.PodsMetricSourceType),
		string(autoscalingv2.ResourceMetricSourceType),
	}
)

// validateScalingRules mirrors validateScalingRules.
func validateScalingRules(rules *autoscalingv2.HPAScalingRules, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if rules == nil {
		return nil
	}
	if rules.StabilizationWindowSeconds != nil && *rules.StabilizationWindowSeconds < 0 {
		errs = append(errs, field.Invalid(fldPath.Child("stabilizationWindowSeconds"), rules.StabilizationWindowSeconds, "must be greater than or equal to zero"))
	}
	if rules.StabilizationWindowSeconds != nil && *rules.StabilizationWindowSeconds > maxStabilizationWindowSeconds {
		errs = append(errs, field.Invalid(fldPath.Child("stabilizationWindowSeconds"), rules.StabilizationWindowSeconds,
			fmt.Sprintf("must be less than or equal to %v", maxStabilizationWindowSeconds)))
	}
	if rules.SelectPolicy != nil && !slices.Contains(validSelectPolicyTypes, string(*rules.SelectPolicy)) {
		errs = append(errs, field.NotSupported(fldPath.Child("selectPolicy"), rules.SelectPolicy, validSelectPolicyTypes))
	}
	policiesPath := fldPath.Child("policies")
	if len(rules.Policies) == 0 {
		errs = append(errs, field.Required(policiesPath, "must specify at least one Policy"))
	}
	for i, policy := range rules.Policies {
		errs = append(errs, validateScalingPolicy(policy, policiesPath.Index(i))...)
	}
	if rules.Tolerance != nil && rules.Tolerance.Sign() < 0 {
		// apivalidation.ValidateNonnegativeQuantity.
		errs = append(errs, field.Invalid(fldPath.Child("tolerance"), rules.Tolerance.String(), apimachineryvalidation.IsNegativeErrorMsg))
	}
	return errs
}

// validateScalingPolicy mirrors validateScalingPolicy.
func validateScalingPolicy(policy autoscalingv2.HPAScalingPolicy, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if policy.Type != autoscalingv2.PodsScalingPolicy && policy.Type != autoscalingv2.PercentScalingPolicy {
		errs = append(errs, field.NotSupported(fldPath.Child("type"), policy.Type, validPolicyTypes))
	}
	if policy.Value <= 0 {
		errs = append(errs, field.Invalid(fldPath.Child("value"), policy.Value, "must be greater than zero"))
	}
	if policy.PeriodSeconds <= 0 {
		errs = append(errs, field.Invalid(fldPath.Child("periodSeconds"), policy.PeriodSeconds, "must be greater than zero"))
	}
	if policy.PeriodSeconds > maxPeriodSeconds {
		errs = append(errs, field.Invalid(fldPath.Child("periodSeconds"), policy.PeriodSeconds,
			fmt.Sprintf("must be less than or equal to %v", maxPeriodSeconds)))
	}
	return errs
}

// validateMetricSpec mirrors validateMetricSpec. Upstream reports the
// sources populated besides the expected one in map order; they are sorted
// here.
func validateMetricSpec(spec autoscalingv2.MetricSpec, fldPath *field.Path, opts refOptions) field.ErrorList {
	var errs field.ErrorList
	if len(string(spec.Type)) == 0 {
		errs = append(errs, field.Required(fldPath.Child("type"), "must specify a metric source type"))
	}
	if !slices.Contains(validMetricSourceTypes, string(spec.Type)) {
		errs = append(errs, field.NotSupported(fldPath.Child("type"), spec.Type, validMetricSourceTypes))
	}

	var typesPresent []string
	if spec.Object != nil {
		typesPresent = append(typesPresent, "object")
		if len(typesPresent) == 1 {
			errs = append(errs, validateObjectSource(spec.Object, fldPath.Child("object"), opts)...)
		}
	}
	if spec.External != nil {
		typesPresent = append(typesPresent, "external")
		if len(typesPresent) == 1 {
			errs = append(errs, validateExternalSource(spec.External, fldPath.Child("external"))...)
		}
	}
	if spec.Pods != nil {
		typesPresent = append(typesPresent, "pods")
		if len(typesPresent) == 1 {
			errs = append(errs, validatePodsSource(spec.Pods, fldPath.Child("pods"))...)
		}
	}
	if spec.Resource != nil {
		typesPresent = append(typesPresent, "resource")
		if len(typesPresent) == 1 {
			errs = append(errs, validateResourceSource(spec.Resource, fldPath.Child("resource"))...)
		}
	}
	if spec.ContainerResource != nil {
		typesPresent = append(typesPresent, "containerResource")
		if len(typesPresent) == 1 {
			errs = append(errs, validateContainerResourceSource(spec.ContainerResource, fldPath.Child("containerResource"))...)
		}
	}

	var expectedField string
	switch spec.Type {
	case autoscalingv2.ObjectMetricSourceType:
		if spec.Object == nil {
			errs = append(errs, field.Required(fldPath.Child("object"), "must populate information for the given metric source"))
		}
		expectedField = "object"
	case autoscalingv2.PodsMetricSourceType:
		if spec.Pods == nil {
			errs = append(errs, field.Required(fldPath.Child("pods"), "must populate information for the given metric source"))
		}
		expectedField = "pods"
	case autoscalingv2.ResourceMetricSourceType:
		if spec.Resource == nil {
			errs = append(errs, field.Required(fldPath.Child("resource"), "must populate information for the given metric source"))
		}
		expectedField = "resource"
	case autoscalingv2.ExternalMetricSourceType:
		if spec.External == nil {
			errs = append(errs, field.Required(fldPath.Child("external"), "must populate information for the given metric source"))
		}
		expectedField = "external"
	case autoscalingv2.ContainerResourceMetricSourceType:
		if spec.ContainerResource == nil {
			errs = append(errs, field.Required(fldPath.Child("containerResource"), "must populate information for the given metric source"))
		}
		expectedField = "containerResource"
	default:
		errs = append(errs, field.NotSupported(fldPath.Child("type"), spec.Type, validMetricSourceTypes))
	}

	if len(typesPresent) != 1 {
		slices.Sort(typesPresent)
		for _, typ := range typesPresent {
			if typ != expectedField {
				errs = append(errs, field.Forbidden(fldPath.Child(typ), "must populate the given metric source only"))
			}
		}
	}
	return errs
}

// validateObjectSource mirrors validateObjectSource.
func validateObjectSource(src *autoscalingv2.ObjectMetricSource, fldPath *field.Path, opts refOptions) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateCrossVersionObjectReference(src.DescribedObject, fldPath.Child("describedObject"), opts)...)
	errs = append(errs, validateMetricIdentifier(src.Metric, fldPath.Child("metric"))...)
	errs = append(errs, validateMetricTarget(src.Target, fldPath.Child("target"))...)
	if src.Target.Value == nil && src.Target.AverageValue == nil {
		errs = append(errs, field.Required(fldPath.Child("target").Child("averageValue"), "must set either a target value or averageValue"))
	}
	return errs
}

// validateExternalSource mirrors validateExternalSource.
func validateExternalSource(src *autoscalingv2.ExternalMetricSource, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateMetricIdentifier(src.Metric, fldPath.Child("metric"))...)
	errs = append(errs, validateMetricTarget(src.Target, fldPath.Child("target"))...)
	if src.Target.Value == nil && src.Target.AverageValue == nil {
		errs = append(errs, field.Required(fldPath.Child("target").Child("averageValue"), "must set either a target value for metric or a per-pod target"))
	}
	if src.Target.Value != nil && src.Target.AverageValue != nil {
		errs = append(errs, field.Forbidden(fldPath.Child("target").Child("value"), "may not set both a target value for metric and a per-pod target"))
	}
	return errs
}

// validatePodsSource mirrors validatePodsSource.
func validatePodsSource(src *autoscalingv2.PodsMetricSource, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateMetricIdentifier(src.Metric, fldPath.Child("metric"))...)
	errs = append(errs, validateMetricTarget(src.Target, fldPath.Child("target"))...)
	if src.Target.AverageValue == nil {
		errs = append(errs, field.Required(fldPath.Child("target").Child("averageValue"), "must specify a positive target averageValue"))
	}
	return errs
}

// validateContainerResourceSource mirrors validateContainerResourceSource.
func validateContainerResourceSource(src *autoscalingv2.ContainerResourceMetricSource, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(src.Name) == 0 {
		errs = append(errs, field.Required(fldPath.Child("name"), "must specify a resource name"))
	} else {
		errs = append(errs, validateContainerResourceName(src.Name, fldPath.Child("name"))...)
	}
	if len(src.Container) == 0 {
		errs = append(errs, field.Required(fldPath.Child("container"), "must specify a container"))
	} else {
		// apivalidation.ValidateDNS1123Label.
		for _, msg := range validation.IsDNS1123Label(src.Container) {
			errs = append(errs, field.Invalid(fldPath.Child("container"), src.Container, msg))
		}
	}
	errs = append(errs, validateMetricTarget(src.Target, fldPath.Child("target"))...)
	if src.Target.AverageUtilization == nil && src.Target.AverageValue == nil {
		errs = append(errs, field.Required(fldPath.Child("target").Child("averageUtilization"), "must set either a target raw value or a target utilization"))
	}
	if src.Target.AverageUtilization != nil && src.Target.AverageValue != nil {
		errs = append(errs, field.Forbidden(fldPath.Child("target").Child("averageValue"), "may not set both a target raw value and a target utilization"))
	}
	return errs
}

// validateResourceSource mirrors validateResourceSource.
func validateResourceSource(src *autoscalingv2.ResourceMetricSource, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(src.Name) == 0 {
		errs = append(errs, field.Required(fldPath.Child("name"), "must specify a resource name"))
	}
	errs = append(errs, validateMetricTarget(src.Target, fldPath.Child("target"))...)
	if src.Target.AverageUtilization == nil && src.Target.AverageValue == nil {
		errs = append(errs, field.Required(fldPath.Child("target").Child("averageUtilization"), "must set either a target raw value or a target utilization"))
	}
	if src.Target.AverageUtilization != nil && src.Target.AverageValue != nil {
		errs = append(errs, field.Forbidden(fldPath.Child("target").Child("averageValue"), "may not set both a target raw value and a target utilization"))
	}
	return errs
}

// validateMetricTarget mirrors validateMetricTarget.
func validateMetricTarget(mt autoscalingv2.MetricTarget, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(mt.Type) == 0 {
		errs = append(errs, field.Required(fldPath.Child("type"), "must specify a metric target type"))
	}
	if mt.Type != autoscalingv2.UtilizationMetricType &&
		mt.Type != autoscalingv2.ValueMetricType &&
		mt.Type != autoscalingv2.AverageValueMetricType {
		errs = append(errs, field.Invalid(fldPath.Child("type"), mt.Type, "must be either Utilization, Value, or AverageValue"))
	}
	if mt.Value != nil && mt.Value.Sign() != 1 {
		errs = append(errs, field.Invalid(fldPath.Child("value"), mt.Value, "must be positive"))
	}
	if mt.AverageValue != nil && mt.AverageValue.Sign() != 1 {
		errs = append(errs, field.Invalid(fldPath.Child("averageValue"), mt.AverageValue, "must be positive"))
	}
	if mt.AverageUtilization != nil && *mt.AverageUtilization < 1 {
		errs = append(errs, field.Invalid(fldPath.Child("averageUtilization"), mt.AverageUtilization, "must be greater than 0"))
	}
	return errs
}

// validateMetricIdentifier mirrors validateMetricIdentifier.
func validateMetricIdentifier(id autoscalingv2.MetricIdentifier, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(id.Name) == 0 {
		errs = append(errs, field.Required(fldPath.Child("name"), "must specify a metric name"))
	} else {
		for _, msg := range content.IsPathSegmentName(id.Name) {
			errs = append(errs, field.Invalid(fldPath.Child("name"), id.Name, msg))
		}
	}
	return errs
}

// Resource names of pkg/apis/core/helper (standardResources,
// standardContainerResources) and pkg/apis/core (prefixes).
var (
	standardResources = []corev1.ResourceName{
		"cpu", "memory", "ephemeral-storage",
		"requests.cpu", "requests.memory", "requests.ephemeral-storage",
		"limits.cpu", "limits.memory", "limits.ephemeral-storage",
		"pods", "resourcequotas", "services", "replicationcontrollers", "secrets",
		"configmaps", "persistentvolumeclaims", "storage", "requests.storage",
		"services.nodeports", "services.loadbalancers",
	}
	standardContainerResources = []corev1.ResourceName{"cpu", "memory", "ephemeral-storage"}
)

const (
	resourceDefaultNamespacePrefix  = "kubernetes.io/"
	resourceHugePagesPrefix         = "hugepages-"
	resourceRequestsHugePagesPrefix = "requests.hugepages-"
	defaultResourceRequestsPrefix   = "requests."
)

// validateContainerResourceName mirrors apivalidation.ValidateContainerResourceName
// (with validateResourceName and the helper predicates it calls).
func validateContainerResourceName(value corev1.ResourceName, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	name := string(value)
	// validateResourceName.
	for _, msg := range validation.IsQualifiedName(name) {
		errs = append(errs, field.Invalid(fldPath, value, msg))
	}
	if len(errs) == 0 && !strings.Contains(name, "/") {
		isStandard := slices.Contains(standardResources, value) ||
			strings.HasPrefix(name, resourceHugePagesPrefix) || strings.HasPrefix(name, resourceRequestsHugePagesPrefix)
		if !isStandard {
			errs = append(errs, field.Invalid(fldPath, value, "must be a standard resource type or fully qualified"))
		}
	}
	if !strings.Contains(name, "/") {
		// IsStandardContainerResourceName.
		if !slices.Contains(standardContainerResources, value) && !strings.HasPrefix(name, resourceHugePagesPrefix) {
			return append(errs, field.Invalid(fldPath, value, "must be a standard resource for containers"))
		}
	} else if !strings.Contains(name, resourceDefaultNamespacePrefix) { // !IsNativeResource
		// IsExtendedResourceName.
		if strings.HasPrefix(name, defaultResourceRequestsPrefix) || len(validation.IsQualifiedName(defaultResourceRequestsPrefix+name)) != 0 {
			return append(errs, field.Invalid(fldPath, value, "doesn't follow extended resource name standard"))
		}
	}
	return errs
}
