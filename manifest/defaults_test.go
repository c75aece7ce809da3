package manifest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/resource"
)

func ptr[T any](v T) *T { return &v }

func cpuUtilization(percent int32) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{
		Type: autoscalingv2.ResourceMetricSourceType,
		Resource: &autoscalingv2.ResourceMetricSource{
			Name:   "cpu",
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(percent)},
		},
	}
}

func externalAverage(name, value string) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{
		Type: autoscalingv2.ExternalMetricSourceType,
		External: &autoscalingv2.ExternalMetricSource{
			Metric: autoscalingv2.MetricIdentifier{Name: name},
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr(resource.MustParse(value))},
		},
	}
}

// The defaults of pkg/apis/autoscaling/v2/defaults.go, written out.
func wantScaleUpDefaults() *autoscalingv2.HPAScalingRules {
	return &autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: ptr(int32(0)),
		SelectPolicy:               ptr(autoscalingv2.MaxChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
}

func wantScaleDownDefaults() *autoscalingv2.HPAScalingRules {
	return &autoscalingv2.HPAScalingRules{
		SelectPolicy: ptr(autoscalingv2.MaxChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
}

func TestSetDefaults(t *testing.T) {
	// base is a spec that needs no defaulting but of the field under test.
	base := func() autoscalingv2.HorizontalPodAutoscalerSpec {
		return autoscalingv2.HorizontalPodAutoscalerSpec{
			MinReplicas: ptr(int32(2)),
			MaxReplicas: 10,
			Metrics:     []autoscalingv2.MetricSpec{externalAverage("lag", "100")},
		}
	}
	with := func(f func(*autoscalingv2.HorizontalPodAutoscalerSpec)) autoscalingv2.HorizontalPodAutoscalerSpec {
		s := base()
		f(&s)
		return s
	}
	tests := []struct {
		name string
		in   autoscalingv2.HorizontalPodAutoscalerSpec
		want autoscalingv2.HorizontalPodAutoscalerSpec
	}{
		{
			name: "SetDefaults_HorizontalPodAutoscaler/nil minReplicas defaults to 1",
			in:   with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) { s.MinReplicas = nil }),
			want: with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) { s.MinReplicas = ptr(int32(1)) }),
		},
		{
			name: "SetDefaults_HorizontalPodAutoscaler/minReplicas 0 is kept",
			in:   with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) { s.MinReplicas = ptr(int32(0)) }),
			want: with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) { s.MinReplicas = ptr(int32(0)) }),
		},
		{
			name: "SetDefaults_HorizontalPodAutoscaler/nil metrics default to cpu utilization 80",
			in:   with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) { s.Metrics = nil }),
			want: with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
				s.Metrics = []autoscalingv2.MetricSpec{cpuUtilization(80)}
			}),
		},
		{
			name: "SetDefaults_HorizontalPodAutoscaler/empty metrics default to cpu utilization 80",
			in:   with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) { s.Metrics = []autoscalingv2.MetricSpec{} }),
			want: with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
				s.Metrics = []autoscalingv2.MetricSpec{cpuUtilization(80)}
			}),
		},
		{
			name: "SetDefaults_HorizontalPodAutoscalerBehavior/nil behavior stays nil",
			in:   base(),
			want: base(),
		},
		{
			name: "SetDefaults_HorizontalPodAutoscalerBehavior/empty behavior gets both directions",
			in: with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
				s.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{}
			}),
			want: with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
				s.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{
					ScaleUp:   wantScaleUpDefaults(),
					ScaleDown: wantScaleDownDefaults(),
				}
			}),
		},
		{
			name: "GenerateHPAScaleUpRules/empty rules get every default",
			in: with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
				s.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: &autoscalingv2.HPAScalingRules{}}
			}),
			want: with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
				s.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{
					ScaleUp:   wantScaleUpDefaults(),
					ScaleDown: wantScaleDownDefaults(),
				}
			}),
		},
		{
			name: "GenerateHPAScaleDownRules/stabilizationWindowSeconds stays nil for the controller",
			in: with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
				s.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{
					ScaleDown: &autoscalingv2.HPAScalingRules{SelectPolicy: ptr(autoscalingv2.MinChangePolicySelect)},
				}
			}),
			want: with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
				down := wantScaleDownDefaults()
				down.SelectPolicy = ptr(autoscalingv2.MinChangePolicySelect)
				s.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: wantScaleUpDefaults(), ScaleDown: down}
			}),
		},
		{
			name: "copyHPAScalingRules/set fields are kept, unset ones defaulted",
			in: with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
				s.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{
					ScaleUp: &autoscalingv2.HPAScalingRules{
						StabilizationWindowSeconds: ptr(int32(60)),
						Tolerance:                  ptr(resource.MustParse("0.05")),
					},
					ScaleDown: &autoscalingv2.HPAScalingRules{
						StabilizationWindowSeconds: ptr(int32(600)),
						SelectPolicy:               ptr(autoscalingv2.DisabledPolicySelect),
					},
				}
			}),
			want: with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
				up := wantScaleUpDefaults()
				up.StabilizationWindowSeconds = ptr(int32(60))
				up.Tolerance = ptr(resource.MustParse("0.05"))
				down := wantScaleDownDefaults()
				down.StabilizationWindowSeconds = ptr(int32(600))
				down.SelectPolicy = ptr(autoscalingv2.DisabledPolicySelect)
				s.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: up, ScaleDown: down}
			}),
		},
		{
			name: "copyHPAScalingRules/a policies list replaces the defaults wholesale",
			in: with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
				s.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{
					ScaleUp: &autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{
						{Type: autoscalingv2.PercentScalingPolicy, Value: 50, PeriodSeconds: 60},
					}},
				}
			}),
			want: with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
				up := wantScaleUpDefaults()
				up.Policies = []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 50, PeriodSeconds: 60}}
				s.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: up, ScaleDown: wantScaleDownDefaults()}
			}),
		},
		{
			name: "copyHPAScalingRules/an empty, non-nil policies list also replaces the defaults",
			in: with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
				s.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{
					ScaleDown: &autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{}},
				}
			}),
			want: with(func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
				down := wantScaleDownDefaults()
				down.Policies = []autoscalingv2.HPAScalingPolicy{}
				s.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: wantScaleUpDefaults(), ScaleDown: down}
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := &autoscalingv2.HorizontalPodAutoscaler{Spec: tt.in}
			setDefaults(obj)
			if diff := cmp.Diff(tt.want, obj.Spec); diff != "" {
				t.Errorf("setDefaults mismatch (-want +got):\n%s", diff)
			}
			// Defaulting twice changes nothing (the API server defaults
			// on every decode).
			setDefaults(obj)
			if diff := cmp.Diff(tt.want, obj.Spec); diff != "" {
				t.Errorf("second setDefaults mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// The defaults must be fresh values: modifying the defaults of one object
// must not leak into the next one.
func TestSetDefaultsDoesNotShareDefaults(t *testing.T) {
	a := &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{}}}
	setDefaults(a)
	a.Spec.Behavior.ScaleUp.Policies[0].Value = 99
	*a.Spec.Behavior.ScaleUp.SelectPolicy = autoscalingv2.DisabledPolicySelect
	*a.Spec.Behavior.ScaleUp.StabilizationWindowSeconds = 77
	*a.Spec.Metrics[0].Resource.Target.AverageUtilization = 1
	*a.Spec.MinReplicas = 5

	b := &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{}}}
	setDefaults(b)
	want := autoscalingv2.HorizontalPodAutoscalerSpec{
		MinReplicas: ptr(int32(1)),
		Metrics:     []autoscalingv2.MetricSpec{cpuUtilization(80)},
		Behavior:    &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: wantScaleUpDefaults(), ScaleDown: wantScaleDownDefaults()},
	}
	if diff := cmp.Diff(want, b.Spec); diff != "" {
		t.Errorf("second object's defaults mismatch (-want +got):\n%s", diff)
	}
}
