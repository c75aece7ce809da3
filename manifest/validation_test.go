package manifest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validHPA returns a valid, defaulted HPA for tests to break.
func validHPA() *autoscalingv2.HorizontalPodAutoscaler {
	obj := &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MinReplicas:    ptr(int32(1)),
			MaxReplicas:    5,
			Metrics:        []autoscalingv2.MetricSpec{cpuUtilization(80)},
			Behavior:       &autoscalingv2.HorizontalPodAutoscalerBehavior{},
		},
	}
	setDefaults(obj)
	return obj
}

func errorStrings(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func objectMetric(target autoscalingv2.MetricTarget) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{
		Type: autoscalingv2.ObjectMetricSourceType,
		Object: &autoscalingv2.ObjectMetricSource{
			DescribedObject: autoscalingv2.CrossVersionObjectReference{APIVersion: "networking.k8s.io/v1", Kind: "Ingress", Name: "main"},
			Metric:          autoscalingv2.MetricIdentifier{Name: "requests_per_second"},
			Target:          target,
		},
	}
}

func podsMetric(target autoscalingv2.MetricTarget) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{
		Type: autoscalingv2.PodsMetricSourceType,
		Pods: &autoscalingv2.PodsMetricSource{
			Metric: autoscalingv2.MetricIdentifier{Name: "inflight"},
			Target: target,
		},
	}
}

func resourceMetric2(target autoscalingv2.MetricTarget) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{
		Type:     autoscalingv2.ResourceMetricSourceType,
		Resource: &autoscalingv2.ResourceMetricSource{Name: "cpu", Target: target},
	}
}

func q(s string) *resource.Quantity { return ptr(resource.MustParse(s)) }

type hpaCase struct {
	name   string
	mutate func(*autoscalingv2.HorizontalPodAutoscaler)
	want   []string
}

func TestValidateHPA(t *testing.T) {
	tests := []hpaCase{
		{name: "valid", mutate: func(*autoscalingv2.HorizontalPodAutoscaler) {}},
		{
			name:   "ValidateObjectMeta/name is required",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) { o.Name = "" },
			want:   []string{"metadata.name: Required value: name or generateName is required"},
		},
		{
			name:   "ValidateObjectMeta/name must be a DNS subdomain",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) { o.Name = "Web_1" },
			want:   []string{`metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
		},
		{
			name:   "ValidateObjectMeta/a missing namespace is accepted (kubectl fills it)",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) { o.Namespace = "" },
		},
		{
			name: "validateHorizontalPodAutoscalerSpec/minReplicas 0 allowed with HPAScaleToZero and an External metric",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.MinReplicas = ptr(int32(0))
				o.Spec.Metrics = append(o.Spec.Metrics, externalAverage("lag", "10"))
			},
		},
		{
			name: "validateHorizontalPodAutoscalerSpec/minReplicas 0 allowed with an Object metric",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.MinReplicas = ptr(int32(0))
				o.Spec.Metrics = []autoscalingv2.MetricSpec{objectMetric(autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: q("10")})}
			},
		},
		{
			name:   "validateMetrics/minReplicas 0 forbidden without Object or External metric",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) { o.Spec.MinReplicas = ptr(int32(0)) },
			want:   []string{"spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas"},
		},
		{
			name:   "validateHorizontalPodAutoscalerSpec/minReplicas below 0",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) { o.Spec.MinReplicas = ptr(int32(-1)) },
			want:   []string{"spec.minReplicas: Invalid value: -1: must be greater than or equal to 0"},
		},
		{
			name:   "validateHorizontalPodAutoscalerSpec/maxReplicas unset",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) { o.Spec.MaxReplicas = 0 },
			want: []string{
				"spec.maxReplicas: Required value: must be set and greater than 0",
				"spec.maxReplicas: Invalid value: 0: must be greater than or equal to `minReplicas`",
			},
		},
		{
			name: "validateHorizontalPodAutoscalerSpec/maxReplicas negative",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.MaxReplicas = -2
				o.Spec.MinReplicas = ptr(int32(-3))
			},
			want: []string{
				"spec.minReplicas: Invalid value: -3: must be greater than or equal to 0",
				"spec.maxReplicas: Invalid value: -2: must be greater than or equal to 1",
			},
		},
		{
			name:   "validateHorizontalPodAutoscalerSpec/maxReplicas below minReplicas",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) { o.Spec.MinReplicas = ptr(int32(6)) },
			want:   []string{"spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`"},
		},
		{
			name: "ValidateCrossVersionObjectReference/scaleTargetRef kind and name required",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.ScaleTargetRef.Kind = ""
				o.Spec.ScaleTargetRef.Name = ""
			},
			want: []string{
				"spec.scaleTargetRef.kind: Required value",
				"spec.scaleTargetRef.name: Required value",
			},
		},
		{
			name:   "ValidateCrossVersionObjectReference/name may not contain a slash",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) { o.Spec.ScaleTargetRef.Name = "a/b" },
			want:   []string{`spec.scaleTargetRef.name: Invalid value: "a/b": may not contain '/'`},
		},
		{
			name:   "ValidateAPIVersion/scaleTargetRef needs an API group",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) { o.Spec.ScaleTargetRef.APIVersion = "v1" },
			want:   []string{`spec.scaleTargetRef.apiVersion: Invalid value: "v1": apiVersion must specify API group`},
		},
		{
			name: "validationOptionsForHorizontalPodAutoscaler/ReplicationController may use the core group",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{APIVersion: "v1", Kind: "ReplicationController", Name: "web"}
			},
		},
		{
			name:   "ValidateAPIVersion/malformed apiVersion",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) { o.Spec.ScaleTargetRef.APIVersion = "apps/v1/x" },
			want:   []string{`spec.scaleTargetRef.apiVersion: Invalid value: "apps/v1/x": unexpected GroupVersion string: apps/v1/x`},
		},
		{
			name: "validateMetricSpec/type required",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Metrics[0].Type = ""
			},
			want: []string{
				"spec.metrics[0].type: Required value: must specify a metric source type",
				`spec.metrics[0].type: Unsupported value: "": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"`,
			},
		},
		{
			// Upstream reports a populated source of another type only
			// when more than one source is populated.
			name: "validateMetricSpec/source of the type must be populated",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Metrics[0].Type = autoscalingv2.PodsMetricSourceType
			},
			want: []string{
				"spec.metrics[0].pods: Required value: must populate information for the given metric source",
			},
		},
		{
			name: "validateMetricSpec/exactly one source",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Metrics[0].External = externalAverage("lag", "1").External
				o.Spec.Metrics[0].Pods = podsMetric(autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: q("1")}).Pods
			},
			want: []string{
				"spec.metrics[0].external: Forbidden: must populate the given metric source only",
				"spec.metrics[0].pods: Forbidden: must populate the given metric source only",
			},
		},
		{
			name: "validateMetricTarget/target type required and known",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Metrics[0].Resource.Target.Type = ""
				o.Spec.Metrics = append(o.Spec.Metrics, resourceMetric2(autoscalingv2.MetricTarget{Type: "Percent", AverageUtilization: ptr(int32(50))}))
			},
			want: []string{
				"spec.metrics[0].resource.target.type: Required value: must specify a metric target type",
				`spec.metrics[0].resource.target.type: Invalid value: "": must be either Utilization, Value, or AverageValue`,
				`spec.metrics[1].resource.target.type: Invalid value: "Percent": must be either Utilization, Value, or AverageValue`,
			},
		},
		{
			name: "validateMetricTarget/values must be positive",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Metrics[0].Resource.Target.AverageUtilization = ptr(int32(0))
				o.Spec.Metrics = append(o.Spec.Metrics,
					objectMetric(autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: q("0")}),
					podsMetric(autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: q("-1")}))
			},
			want: []string{
				"spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0",
				`spec.metrics[1].object.target.value: Invalid value: "0": must be positive`,
				`spec.metrics[2].pods.target.averageValue: Invalid value: "-1": must be positive`,
			},
		},
		{
			name: "validateMetricIdentifier/metric name required",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Metrics = append(o.Spec.Metrics, externalAverage("", "1"), externalAverage("a%b", "1"))
			},
			want: []string{
				"spec.metrics[1].external.metric.name: Required value: must specify a metric name",
				`spec.metrics[2].external.metric.name: Invalid value: "a%b": may not contain '%'`,
			},
		},
		{
			name: "validateExternalSource/may not set both value and averageValue",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				m := externalAverage("lag", "1")
				m.External.Target.Value = q("100")
				o.Spec.Metrics = []autoscalingv2.MetricSpec{m}
			},
			want: []string{"spec.metrics[0].external.target.value: Forbidden: may not set both a target value for metric and a per-pod target"},
		},
		{
			name: "validateExternalSource/needs value or averageValue",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				m := externalAverage("lag", "1")
				m.External.Target.AverageValue = nil
				o.Spec.Metrics = []autoscalingv2.MetricSpec{m}
			},
			want: []string{"spec.metrics[0].external.target.averageValue: Required value: must set either a target value for metric or a per-pod target"},
		},
		{
			name: "validateObjectSource/needs value or averageValue, and a describedObject",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				m := objectMetric(autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType})
				m.Object.DescribedObject = autoscalingv2.CrossVersionObjectReference{}
				o.Spec.Metrics = []autoscalingv2.MetricSpec{m}
			},
			want: []string{
				"spec.metrics[0].object.describedObject.kind: Required value",
				"spec.metrics[0].object.describedObject.name: Required value",
				"spec.metrics[0].object.target.averageValue: Required value: must set either a target value or averageValue",
			},
		},
		{
			name: "validatePodsSource/needs averageValue",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Metrics = []autoscalingv2.MetricSpec{podsMetric(autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType})}
			},
			want: []string{"spec.metrics[0].pods.target.averageValue: Required value: must specify a positive target averageValue"},
		},
		{
			name: "validateResourceSource/name and a target required",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Metrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType},
				}}}
			},
			want: []string{
				"spec.metrics[0].resource.name: Required value: must specify a resource name",
				"spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization",
			},
		},
		{
			name: "validateResourceSource/may not set both averageUtilization and averageValue",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Metrics[0].Resource.Target.AverageValue = q("500m")
			},
			want: []string{"spec.metrics[0].resource.target.averageValue: Forbidden: may not set both a target raw value and a target utilization"},
		},
		{
			name: "validateContainerResourceSource/container and resource name checked",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				target := autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(int32(60))}
				o.Spec.Metrics = []autoscalingv2.MetricSpec{
					{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{Name: "cpu", Container: "app", Target: target}},
					{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{Name: "pods", Container: "App", Target: target}},
					{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{Name: "example.com/gpu", Target: target}},
					{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{Container: "app", Target: target}},
				}
			},
			want: []string{
				`spec.metrics[1].containerResource.name: Invalid value: "pods": must be a standard resource for containers`,
				`spec.metrics[1].containerResource.container: Invalid value: "App": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
				"spec.metrics[2].containerResource.container: Required value: must specify a container",
				"spec.metrics[3].containerResource.name: Required value: must specify a resource name",
			},
		},
		{
			name: "validateScalingRules/stabilizationWindowSeconds 0..3600",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Behavior.ScaleUp.StabilizationWindowSeconds = ptr(int32(-1))
				o.Spec.Behavior.ScaleDown.StabilizationWindowSeconds = ptr(int32(3601))
			},
			want: []string{
				"spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: -1: must be greater than or equal to zero",
				"spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: 3601: must be less than or equal to 3600",
			},
		},
		{
			name: "validateScalingRules/window bounds are inclusive",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Behavior.ScaleUp.StabilizationWindowSeconds = ptr(int32(0))
				o.Spec.Behavior.ScaleDown.StabilizationWindowSeconds = ptr(int32(3600))
			},
		},
		{
			name: "validateScalingRules/selectPolicy Max, Min or Disabled",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Behavior.ScaleUp.SelectPolicy = ptr(autoscalingv2.ScalingPolicySelect("Maximum"))
			},
			want: []string{`spec.behavior.scaleUp.selectPolicy: Unsupported value: "Maximum": supported values: "Disabled", "Max", "Min"`},
		},
		{
			name: "validateScalingRules/policies required",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Behavior.ScaleDown.Policies = nil
			},
			want: []string{"spec.behavior.scaleDown.policies: Required value: must specify at least one Policy"},
		},
		{
			name: "validateScalingRules/tolerance not negative",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Behavior.ScaleDown.Tolerance = q("-0.1")
				o.Spec.Behavior.ScaleUp.Tolerance = q("0")
			},
			want: []string{`spec.behavior.scaleDown.tolerance: Invalid value: "-100m": must be greater than or equal to 0`},
		},
		{
			name: "validateScalingPolicy/type, value and periodSeconds",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Behavior.ScaleUp.Policies = []autoscalingv2.HPAScalingPolicy{
					{Type: "Pod", Value: 0, PeriodSeconds: 0},
					{Type: autoscalingv2.PercentScalingPolicy, Value: -1, PeriodSeconds: 1801},
					{Type: autoscalingv2.PodsScalingPolicy, Value: 1, PeriodSeconds: 1800},
				}
			},
			want: []string{
				`spec.behavior.scaleUp.policies[0].type: Unsupported value: "Pod": supported values: "Percent", "Pods"`,
				"spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero",
				"spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 0: must be greater than zero",
				"spec.behavior.scaleUp.policies[1].value: Invalid value: -1: must be greater than zero",
				"spec.behavior.scaleUp.policies[1].periodSeconds: Invalid value: 1801: must be less than or equal to 1800",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := validHPA()
			tt.mutate(obj)
			if diff := cmp.Diff(tt.want, errorStrings(validateHPA(obj))); diff != "" {
				t.Errorf("validateHPA mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Specs the API server accepts but the controller cannot compute as
// written.
func TestValidateForController(t *testing.T) {
	const accepted = "the API server accepts this, but "
	tests := []hpaCase{
		{
			name: "Object target type Value with value",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Metrics = []autoscalingv2.MetricSpec{objectMetric(autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: q("10")})}
			},
		},
		{
			name: "computeStatusForObjectMetric/type Value with only averageValue set",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Metrics = []autoscalingv2.MetricSpec{objectMetric(autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, AverageValue: q("10")})}
			},
			want: []string{`spec.metrics[0].object.target.type: Invalid value: "Value": ` + accepted +
				"the controller can never compute this metric: for an Object metric of target type Value it reads target.value, which is not set; expected type: AverageValue, as target.averageValue is set"},
		},
		{
			name: "computeStatusForObjectMetric/type Utilization",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Metrics = []autoscalingv2.MetricSpec{objectMetric(autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, Value: q("10")})}
			},
			want: []string{`spec.metrics[0].object.target.type: Invalid value: "Utilization": ` + accepted +
				"the controller can never compute this metric: Object metrics support target type Value or AverageValue only; expected type: Value, as target.value is set"},
		},
		{
			name: "computeStatusForObjectMetric/the other value is ignored",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Metrics = []autoscalingv2.MetricSpec{objectMetric(autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: q("10"), Value: q("50")})}
			},
			want: []string{`spec.metrics[0].object.target.value: Invalid value: "50": ` + accepted +
				"the controller ignores it: for this Object metric it reads only target.averageValue; expected it removed"},
		},
		{
			name: "computeStatusForExternalMetric/type ignored, averageValue used",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				m := externalAverage("lag", "10")
				m.External.Target.Type = autoscalingv2.ValueMetricType
				o.Spec.Metrics = []autoscalingv2.MetricSpec{m}
			},
			want: []string{`spec.metrics[0].external.target.type: Invalid value: "Value": ` + accepted +
				"the controller ignores target.type for External metrics (which support Value or AverageValue) and would compute target.averageValue; expected type: AverageValue"},
		},
		{
			name: "computeStatusForExternalMetric/averageUtilization ignored",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				m := externalAverage("lag", "10")
				m.External.Target.AverageUtilization = ptr(int32(50))
				o.Spec.Metrics = []autoscalingv2.MetricSpec{m}
			},
			want: []string{`spec.metrics[0].external.target.averageUtilization: Invalid value: 50: ` + accepted +
				"the controller ignores it: for this External metric it reads only target.averageValue; expected it removed"},
		},
		{
			name: "computeStatusForPodsMetric/type must be AverageValue",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Metrics = []autoscalingv2.MetricSpec{podsMetric(autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, AverageValue: q("10")})}
			},
			want: []string{`spec.metrics[0].pods.target.type: Invalid value: "Value": ` + accepted +
				"the controller ignores target.type for Pods metrics (which support AverageValue) and would compute target.averageValue; expected type: AverageValue"},
		},
		{
			name: "computeStatusForResourceMetricGeneric/type Value",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Metrics[0].Resource.Target.Type = autoscalingv2.ValueMetricType
			},
			want: []string{`spec.metrics[0].resource.target.type: Invalid value: "Value": ` + accepted +
				"the controller ignores target.type for Resource metrics (which support Utilization or AverageValue) and would compute target.averageUtilization; expected type: Utilization"},
		},
		{
			name: "computeStatusForResourceMetricGeneric/type Utilization with averageValue",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Metrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{
					Name: "memory", Container: "app",
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageValue: q("1Gi")},
				}}}
			},
			want: []string{`spec.metrics[0].containerResource.target.type: Invalid value: "Utilization": ` + accepted +
				"the controller ignores target.type for ContainerResource metrics (which support Utilization or AverageValue) and would compute target.averageValue; expected type: AverageValue"},
		},
		{
			name: "MilliValue/largest exact target",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Metrics = []autoscalingv2.MetricSpec{externalAverage("lag", "9223372036854775807m")}
			},
		},
		{
			name: "MilliValue/target overflows int64",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				o.Spec.Metrics = []autoscalingv2.MetricSpec{
					externalAverage("lag", "9223372036854776"),
					objectMetric(autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: q("1e30")}),
				}
			},
			want: []string{
				`spec.metrics[0].external.target.averageValue: Invalid value: "9223372036854776": ` + accepted +
					"the controller reads it in milli-units as an int64 (Quantity.MilliValue), which overflows: it would compute with a target of -9223372036854775616m; expected at most 9223372036854775807m",
				`spec.metrics[1].object.target.value: Invalid value: "1e30": ` + accepted +
					"the controller reads it in milli-units as an int64 (Quantity.MilliValue), which overflows: it would compute with a target of 0m; expected at most 9223372036854775807m",
			},
		},
		{
			name: "computeReplicasForMetric/metric selector must parse",
			mutate: func(o *autoscalingv2.HorizontalPodAutoscaler) {
				m := externalAverage("lag", "10")
				m.External.Metric.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "topic", Operator: "Equals", Values: []string{"a"}}}}
				o.Spec.Metrics = []autoscalingv2.MetricSpec{m}
			},
			want: []string{`spec.metrics[0].external.metric.selector: Invalid value: {"matchExpressions":[{"key":"topic","operator":"Equals","values":["a"]}]}: ` + accepted +
				`the controller cannot use this selector: "Equals" is not a valid label selector operator`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := validHPA()
			tt.mutate(obj)
			if errs := validateHPA(obj); len(errs) > 0 {
				t.Fatalf("case is not valid for the API server: %v", errs)
			}
			got := errorStrings(validateForController(&obj.Spec, field.NewPath("spec")))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("validateForController mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
