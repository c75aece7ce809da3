package manifest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/google/go-cmp/cmp"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// rawHPA returns a valid HPA as a user would write it: no defaults applied,
// no behavior.
func rawHPA(metrics ...autoscalingv2.MetricSpec) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MinReplicas:    ptr(int32(2)),
			MaxReplicas:    10,
			Metrics:        metrics,
		},
	}
}

// legacySpec is the spec of rawHPA(metrics...) with DefaultOptions.
func legacySpec(metrics ...hpa.Metric) hpa.Spec {
	return hpa.Spec{
		MinReplicas:           2,
		MaxReplicas:           10,
		Metrics:               metrics,
		Tolerance:             hpa.Tolerance{Down: 0.1, Up: 0.1},
		LegacyDownscaleWindow: 5 * time.Minute,
	}
}

func TestConvert(t *testing.T) {
	externalValue := func(name, v string) autoscalingv2.MetricSpec {
		return autoscalingv2.MetricSpec{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{
			Metric: autoscalingv2.MetricIdentifier{Name: name},
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: q(v)},
		}}
	}
	withBehavior := func(o *autoscalingv2.HorizontalPodAutoscaler, b autoscalingv2.HorizontalPodAutoscalerBehavior) *autoscalingv2.HorizontalPodAutoscaler {
		o.Spec.Behavior = &b
		return o
	}
	defaultBehavior := func(downWindow time.Duration) *hpa.Behavior {
		b := hpa.DefaultBehavior()
		b.ScaleDown.StabilizationWindow = downWindow
		return b
	}
	tests := []struct {
		name string
		in   *autoscalingv2.HorizontalPodAutoscaler
		opt  *Options // nil: DefaultOptions()
		want hpa.Spec
	}{
		{
			name: "External averageValue is a per-pod AverageValue target in milli-units",
			in:   rawHPA(externalAverage("kafka_lag", "1k")),
			want: legacySpec(hpa.Metric{Type: hpa.External, Name: "kafka_lag", Target: hpa.AverageValue, TargetMilli: 1_000_000}),
		},
		{
			name: "External value is a Value target",
			in:   rawHPA(externalValue("queue_length", "30")),
			want: legacySpec(hpa.Metric{Type: hpa.External, Name: "queue_length", Target: hpa.Value, TargetMilli: 30_000}),
		},
		{
			name: "MilliValue rounds sub-milli quantities up",
			in:   rawHPA(externalValue("tiny", "1500u")),
			want: legacySpec(hpa.Metric{Type: hpa.External, Name: "tiny", Target: hpa.Value, TargetMilli: 2}),
		},
		{
			name: "Object by target type",
			in: rawHPA(
				objectMetric(autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: q("2k")}),
				objectMetric(autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: q("250m")}),
			),
			want: legacySpec(
				hpa.Metric{Type: hpa.Object, Name: "requests_per_second", Target: hpa.Value, TargetMilli: 2_000_000},
				hpa.Metric{Type: hpa.Object, Name: "requests_per_second", Target: hpa.AverageValue, TargetMilli: 250},
			),
		},
		{
			name: "Pods is an AverageValue target",
			in:   rawHPA(podsMetric(autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: q("100")})),
			want: legacySpec(hpa.Metric{Type: hpa.Pods, Name: "inflight", Target: hpa.AverageValue, TargetMilli: 100_000}),
		},
		{
			name: "Resource utilization and raw value",
			in: rawHPA(
				cpuUtilization(60),
				autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
					Name:   "memory",
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: q("1Gi")},
				}},
			),
			want: legacySpec(
				hpa.Metric{Type: hpa.Resource, Name: "cpu", Target: hpa.Utilization, TargetUtilization: 60},
				hpa.Metric{Type: hpa.Resource, Name: "memory", Target: hpa.AverageValue, TargetMilli: 1 << 30 * 1000},
			),
		},
		{
			name: "ContainerResource utilization",
			in: rawHPA(autoscalingv2.MetricSpec{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{
				Name: "cpu", Container: "app",
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(int32(75))},
			}}),
			want: legacySpec(hpa.Metric{Type: hpa.ContainerResource, Name: "cpu", Target: hpa.Utilization, TargetUtilization: 75}),
		},
		{
			name: "no metrics: the API default of cpu at 80 %, minReplicas 1",
			in: func() *autoscalingv2.HorizontalPodAutoscaler {
				o := rawHPA()
				o.Spec.MinReplicas = nil
				return o
			}(),
			want: func() hpa.Spec {
				s := legacySpec(hpa.Metric{Type: hpa.Resource, Name: "cpu", Target: hpa.Utilization, TargetUtilization: 80})
				s.MinReplicas = 1
				return s
			}(),
		},
		{
			name: "no behavior: the controller's tolerance and window",
			in:   rawHPA(cpuUtilization(50)),
			opt:  &Options{Tolerance: 0.25, DownscaleStabilizationWindow: 2 * time.Minute},
			want: hpa.Spec{
				MinReplicas: 2, MaxReplicas: 10,
				Metrics:               []hpa.Metric{{Type: hpa.Resource, Name: "cpu", Target: hpa.Utilization, TargetUtilization: 50}},
				Tolerance:             hpa.Tolerance{Down: 0.25, Up: 0.25},
				LegacyDownscaleWindow: 2 * time.Minute,
			},
		},
		{
			name: "no behavior, zero options: no tolerance, no window",
			in:   rawHPA(cpuUtilization(50)),
			opt:  &Options{},
			want: hpa.Spec{
				MinReplicas: 2, MaxReplicas: 10,
				Metrics: []hpa.Metric{{Type: hpa.Resource, Name: "cpu", Target: hpa.Utilization, TargetUtilization: 50}},
			},
		},
		{
			name: "empty behavior: API defaults, scale-down window from the options",
			in:   withBehavior(rawHPA(cpuUtilization(50)), autoscalingv2.HorizontalPodAutoscalerBehavior{}),
			opt:  &Options{Tolerance: 0.1, DownscaleStabilizationWindow: 3 * time.Minute},
			want: hpa.Spec{
				MinReplicas: 2, MaxReplicas: 10,
				Metrics:   []hpa.Metric{{Type: hpa.Resource, Name: "cpu", Target: hpa.Utilization, TargetUtilization: 50}},
				Tolerance: hpa.Tolerance{Down: 0.1, Up: 0.1},
				Behavior:  defaultBehavior(3 * time.Minute),
			},
		},
		{
			name: "tolerancesForHpa: scaleUp tolerance overrides Up only",
			in: withBehavior(rawHPA(cpuUtilization(50)), autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleUp: &autoscalingv2.HPAScalingRules{Tolerance: q("50m")},
			}),
			want: hpa.Spec{
				MinReplicas: 2, MaxReplicas: 10,
				Metrics:   []hpa.Metric{{Type: hpa.Resource, Name: "cpu", Target: hpa.Utilization, TargetUtilization: 50}},
				Tolerance: hpa.Tolerance{Down: 0.1, Up: 0.05},
				Behavior:  defaultBehavior(5 * time.Minute),
			},
		},
		{
			name: "tolerancesForHpa: scaleDown tolerance 0 overrides Down",
			in: withBehavior(rawHPA(cpuUtilization(50)), autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleDown: &autoscalingv2.HPAScalingRules{Tolerance: q("0")},
			}),
			want: hpa.Spec{
				MinReplicas: 2, MaxReplicas: 10,
				Metrics:   []hpa.Metric{{Type: hpa.Resource, Name: "cpu", Target: hpa.Utilization, TargetUtilization: 50}},
				Tolerance: hpa.Tolerance{Down: 0, Up: 0.1},
				Behavior:  defaultBehavior(5 * time.Minute),
			},
		},
		{
			name: "custom behavior",
			in: withBehavior(rawHPA(cpuUtilization(50)), autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleUp: &autoscalingv2.HPAScalingRules{
					StabilizationWindowSeconds: ptr(int32(30)),
					SelectPolicy:               ptr(autoscalingv2.MinChangePolicySelect),
					Policies: []autoscalingv2.HPAScalingPolicy{
						{Type: autoscalingv2.PercentScalingPolicy, Value: 50, PeriodSeconds: 60},
						{Type: autoscalingv2.PodsScalingPolicy, Value: 5, PeriodSeconds: 120},
					},
				},
				ScaleDown: &autoscalingv2.HPAScalingRules{
					StabilizationWindowSeconds: ptr(int32(0)),
					SelectPolicy:               ptr(autoscalingv2.DisabledPolicySelect),
				},
			}),
			want: hpa.Spec{
				MinReplicas: 2, MaxReplicas: 10,
				Metrics:   []hpa.Metric{{Type: hpa.Resource, Name: "cpu", Target: hpa.Utilization, TargetUtilization: 50}},
				Tolerance: hpa.Tolerance{Down: 0.1, Up: 0.1},
				Behavior: &hpa.Behavior{
					ScaleUp: hpa.Rules{
						StabilizationWindow: 30 * time.Second,
						SelectPolicy:        hpa.MinChange,
						Policies: []hpa.Policy{
							{Type: hpa.PercentPolicy, Value: 50, Period: time.Minute},
							{Type: hpa.PodsPolicy, Value: 5, Period: 2 * time.Minute},
						},
					},
					ScaleDown: hpa.Rules{
						StabilizationWindow: 0,
						SelectPolicy:        hpa.Disabled,
						Policies:            []hpa.Policy{{Type: hpa.PercentPolicy, Value: 100, Period: 15 * time.Second}},
					},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := DefaultOptions()
			if tt.opt != nil {
				opt = *tt.opt
			}
			before := tt.in.DeepCopy()
			got, err := Convert(tt.in, opt)
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Convert mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, tt.in); diff != "" {
				t.Errorf("Convert modified its input (-before +after):\n%s", diff)
			}
		})
	}
}

func TestConvertErrors(t *testing.T) {
	tests := []struct {
		name string
		in   *autoscalingv2.HorizontalPodAutoscaler
		opt  Options
		want []string
	}{
		{
			name: "API validation errors, each with its path",
			in: func() *autoscalingv2.HorizontalPodAutoscaler {
				o := rawHPA(cpuUtilization(0))
				o.Spec.MaxReplicas = 1
				return o
			}(),
			opt: DefaultOptions(),
			want: []string{
				"spec.maxReplicas: Invalid value: 1: must be greater than or equal to `minReplicas`",
				"spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0",
			},
		},
		{
			name: "controller window above what the engine accepts for a behavior",
			in: func() *autoscalingv2.HorizontalPodAutoscaler {
				o := rawHPA(cpuUtilization(50))
				o.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{}
				return o
			}(),
			opt: Options{Tolerance: 0.1, DownscaleStabilizationWindow: 2 * time.Hour},
			want: []string{
				`spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: "2h0m0s": unset, so the controller's --horizontal-pod-autoscaler-downscale-stabilization (Options.DownscaleStabilizationWindow) applies, but the hpa engine accepts at most 1h0m0s; expected stabilizationWindowSeconds set, or a smaller option`,
			},
		},
		{
			name: "negative tolerance option",
			in:   rawHPA(cpuUtilization(50)),
			opt:  Options{Tolerance: -0.1, DownscaleStabilizationWindow: time.Minute},
			want: []string{"manifest: invalid Options.Tolerance -0.1, expected a finite number >= 0"},
		},
		{
			name: "fractional window option",
			in:   rawHPA(cpuUtilization(50)),
			opt:  Options{Tolerance: 0.1, DownscaleStabilizationWindow: 1500 * time.Millisecond},
			want: []string{"manifest: invalid Options.DownscaleStabilizationWindow 1.5s, expected a whole number of seconds >= 0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Convert(tt.in, tt.opt)
			if err == nil {
				t.Fatal("Convert succeeded, want an error")
			}
			if diff := cmp.Diff(tt.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// A window of 2 h is fine on the legacy path: the engine bounds only
// behavior windows.
func TestConvertLongLegacyWindow(t *testing.T) {
	got, err := Convert(rawHPA(cpuUtilization(50)), Options{Tolerance: 0.1, DownscaleStabilizationWindow: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if got.LegacyDownscaleWindow != 2*time.Hour {
		t.Errorf("LegacyDownscaleWindow = %v, want 2h", got.LegacyDownscaleWindow)
	}
}

func TestConvertErrorsAreLocated(t *testing.T) {
	o := rawHPA(cpuUtilization(50))
	o.Spec.MaxReplicas = 0
	_, err := Convert(o, DefaultOptions())
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *Error", err)
	}
	if e.Path != "spec.maxReplicas" || e.Line != 0 || e.File != "" {
		t.Errorf("got Path %q Line %d File %q, want spec.maxReplicas without position", e.Path, e.Line, e.File)
	}
}
