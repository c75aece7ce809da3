package manifest

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/keda"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/api/resource"
)

// soDoc returns a ScaledObject named web with the given annotations (YAML
// lines, "" for none) and spec body (YAML at the indentation of spec's
// fields, scaleTargetRef excluded).
func soDoc(annotations, spec string) string {
	var b strings.Builder
	b.WriteString("apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: web\n")
	if annotations != "" {
		b.WriteString("  annotations:\n" + indent(annotations, "    "))
	}
	b.WriteString("spec:\n  scaleTargetRef:\n    name: web\n")
	b.WriteString(indent(spec, "  "))
	return b.String()
}

func indent(s, prefix string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(strings.TrimRight(s, "\n"), "\n") {
		if line != "" {
			b.WriteString(prefix)
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// Triggers used by the tests, as items of spec.triggers.
const (
	promTrigger = `- type: prometheus
  metadata:
    serverAddress: http://prometheus:9090
    query: sum(rate(requests_total[1m]))
    threshold: "10"
`
	cpuTrigger = `- type: cpu
  metricType: Utilization
  metadata:
    value: "60"
`
)

// parseSO parses src and returns its only ScaledObject's spec.
func parseSO(t *testing.T, src string, opt Options) (keda.Spec, error) {
	t.Helper()
	sos, err := ParseScaledObjects("so.yaml", strings.NewReader(src), opt)
	if err != nil {
		if sos != nil {
			t.Errorf("ParseScaledObjects returned ScaledObjects with an error")
		}
		return keda.Spec{}, err
	}
	if len(sos) != 1 {
		t.Fatalf("got %d ScaledObjects, want 1", len(sos))
	}
	return sos[0].Spec, nil
}

// errorLines splits a joined error into its messages, without the
// so.yaml:line:col: prefix.
func errorLines(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	for _, e := range unjoin(err) {
		var pe *Error
		if errors.As(e, &pe) {
			pe := *pe
			pe.File, pe.Line, pe.Column = "", 0, 0
			out = append(out, pe.Error())
			continue
		}
		out = append(out, e.Error())
	}
	return out
}

// soCase is a table test of one ScaledObject: nil want accepts it, else the
// errors (path: message, without position) must be exactly those listed.
type soCase struct {
	name        string
	annotations string
	spec        string
	want        []string
	check       func(t *testing.T, s keda.Spec)
}

func runSOCases(t *testing.T, cases []soCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := parseSO(t, soDoc(tc.annotations, tc.spec), DefaultOptions())
			got := errorLines(err)
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("errors (-want +got):\n%s", diff)
			}
			if err == nil && tc.check != nil {
				tc.check(t, spec)
			}
		})
	}
}

// cronComparer compares schedules by what they were made from.
var cronComparer = cmp.Comparer(func(a, b *keda.CronSchedule) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Location.String() == b.Location.String() && a.Start == b.Start && a.End == b.End && a.DesiredReplicas == b.DesiredReplicas
})

func mustCron(t *testing.T, zone, start, end string, desired int64) *keda.CronSchedule {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	c, err := keda.NewCronSchedule(loc, start, end, desired)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestParseScaledObjectsTestdata converts each realistic manifest of
// testdata/keda and compares the spec field by field.
func TestParseScaledObjectsTestdata(t *testing.T) {
	legacy := func(s keda.Spec) keda.Spec {
		s.Tolerance = hpa.Tolerance{Down: 0.1, Up: 0.1}
		s.LegacyDownscaleWindow = 5 * time.Minute
		return s
	}
	defaults := keda.Spec{
		PollingInterval: 30 * time.Second,
		CooldownPeriod:  300 * time.Second,
		MaxReplicaCount: 100,
	}
	with := func(f func(*keda.Spec)) keda.Spec {
		s := legacy(defaults)
		f(&s)
		return s
	}
	tests := []struct {
		file string
		name string
		want keda.Spec
	}{
		{
			file: "kafka-lag.yaml", name: "orders-consumer",
			want: with(func(s *keda.Spec) {
				s.MinReplicaCount, s.MaxReplicaCount = 2, 20
				s.Triggers = []keda.Trigger{
					{Name: "lag", Kind: keda.MetricsAPI, MetricName: "s0-metric-api-max_lag", MetricType: hpa.AverageValue, Target: 1000, TargetMilli: 1_000_000},
					{Kind: keda.CPU, MetricName: "cpu", MetricType: hpa.Utilization, Target: 70},
				}
				s.Behavior = &hpa.Behavior{
					ScaleUp:   hpa.Rules{StabilizationWindow: 600 * time.Second, SelectPolicy: hpa.MaxChange, Policies: []hpa.Policy{{Type: hpa.PodsPolicy, Value: 4, Period: time.Minute}}},
					ScaleDown: hpa.Rules{StabilizationWindow: 1800 * time.Second, SelectPolicy: hpa.MaxChange, Policies: []hpa.Policy{{Type: hpa.PercentPolicy, Value: 50, Period: time.Minute}}},
				}
				s.LegacyDownscaleWindow = 0
			}),
		},
		{
			file: "prometheus-zero.yaml", name: "report-renderer",
			want: with(func(s *keda.Spec) {
				s.MaxReplicaCount = 30
				s.Triggers = []keda.Trigger{{Kind: keda.Prometheus, MetricName: "s0-prometheus", MetricType: hpa.AverageValue, Target: 100, TargetMilli: 100_000, Activation: 5}}
			}),
		},
		{
			file: "formula.yaml", name: "api-gateway",
			want: with(func(s *keda.Spec) {
				s.MinReplicaCount, s.MaxReplicaCount = 2, 50
				s.Triggers = []keda.Trigger{
					{Name: "request_rate", Kind: keda.Prometheus, MetricName: "s0-prometheus", MetricType: hpa.AverageValue, Target: 100, TargetMilli: 100_000},
					{Name: "error_rate", Kind: keda.Prometheus, MetricName: "s1-prometheus", MetricType: hpa.AverageValue, Target: 1, TargetMilli: 1000},
				}
				s.Modifiers = &keda.Modifiers{Formula: "error_rate < 0.05 ? request_rate : request_rate * 2", Target: "100", ActivationTarget: "1", MetricType: hpa.AverageValue}
			}),
		},
		{
			file: "fallback.yaml", name: "search-indexer",
			want: with(func(s *keda.Spec) {
				s.MinReplicaCount, s.MaxReplicaCount = 1, 12
				s.Triggers = []keda.Trigger{{Kind: keda.MetricsAPI, MetricName: "s0-metric-api-queue-pending", MetricType: hpa.AverageValue, Target: 250, TargetMilli: 250_000}}
				s.Fallback = &keda.Fallback{FailureThreshold: 3, Replicas: 6, Behavior: keda.FallbackStatic}
			}),
		},
		{
			file: "cron.yaml", name: "batch-api",
			want: with(func(s *keda.Spec) {
				s.PollingInterval, s.CooldownPeriod, s.MaxReplicaCount = 15*time.Second, 600*time.Second, 40
				s.Triggers = []keda.Trigger{
					{Kind: keda.Cron, MetricName: "s0-cron-Europe-Berlin-08xx1-5-018xx1-5", MetricType: hpa.AverageValue, Target: 1, TargetMilli: 1000,
						Cron: mustCron(t, "Europe/Berlin", "0 8 * * 1-5", "0 18 * * 1-5", 10)},
					{Kind: keda.Prometheus, MetricName: "s1-prometheus", MetricType: hpa.AverageValue, Target: 50, TargetMilli: 50_000, Activation: 1},
				}
			}),
		},
		{
			file: "kafka.yaml", name: "payments-consumer",
			want: with(func(s *keda.Spec) {
				s.PollingInterval, s.CooldownPeriod = 10*time.Second, 120*time.Second
				s.MinReplicaCount, s.MaxReplicaCount, s.IdleReplicaCount = 1, 24, ptr(int32(0))
				s.Triggers = []keda.Trigger{{Kind: keda.Kafka, MetricName: "s0-kafka-payments-v1", MetricType: hpa.AverageValue, Target: 500, TargetMilli: 500_000, Activation: 10}}
			}),
		},
	}
	files, err := filepath.Glob("../testdata/keda/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(tests) {
		t.Errorf("testdata/keda has %d manifests, the test covers %d", len(files), len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("../testdata/keda", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			sos, err := ParseScaledObjects(tc.file, strings.NewReader(string(src)), DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			if len(sos) != 1 || sos[0].Name != tc.name || sos[0].Namespace == "" || sos[0].Line < 1 {
				t.Fatalf("got %+v, want one ScaledObject %s with a namespace and a line", sos, tc.name)
			}
			if diff := cmp.Diff(tc.want, sos[0].Spec, cronComparer); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
			if _, err := keda.New(sos[0].Spec); err != nil {
				t.Errorf("keda.New: %v", err)
			}
		})
	}
}

// TestScaledObjectDefaults checks KEDA's defaults for what a ScaledObject
// leaves out.
func TestScaledObjectDefaults(t *testing.T) {
	runSOCases(t, []soCase{
		{
			name: "GetPollingInterval/defaultCooldownPeriod/defaultInitialCooldownPeriod/GetHPAMaxReplicas",
			spec: "triggers:\n" + indent(promTrigger, ""),
			check: func(t *testing.T, s keda.Spec) {
				want := keda.Spec{
					PollingInterval: 30 * time.Second, CooldownPeriod: 300 * time.Second, InitialCooldownPeriod: 0,
					MinReplicaCount: 0, MaxReplicaCount: 100,
				}
				got := s
				got.Triggers, got.Tolerance, got.LegacyDownscaleWindow = nil, hpa.Tolerance{}, 0
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "written values",
			spec: "pollingInterval: 5\ncooldownPeriod: 0\ninitialCooldownPeriod: 60\nminReplicaCount: 3\nmaxReplicaCount: 7\nidleReplicaCount: 1\ntriggers:\n" + promTrigger,
			check: func(t *testing.T, s keda.Spec) {
				if s.PollingInterval != 5*time.Second || s.CooldownPeriod != 0 || s.InitialCooldownPeriod != time.Minute ||
					s.MinReplicaCount != 3 || s.MaxReplicaCount != 7 || s.IdleReplicaCount == nil || *s.IdleReplicaCount != 1 {
					t.Errorf("got %+v", s)
				}
			},
		},
		{
			name: "fallback behavior defaults to static",
			spec: "fallback:\n  failureThreshold: 2\n  replicas: 4\ntriggers:\n" + promTrigger,
			check: func(t *testing.T, s keda.Spec) {
				if diff := cmp.Diff(&keda.Fallback{FailureThreshold: 2, Replicas: 4, Behavior: keda.FallbackStatic}, s.Fallback); diff != "" {
					t.Error(diff)
				}
			},
		},
		{
			name: "fallback behaviors",
			spec: "fallback:\n  failureThreshold: 2\n  replicas: 4\n  behavior: currentReplicasIfHigher\ntriggers:\n" + promTrigger,
			check: func(t *testing.T, s keda.Spec) {
				if s.Fallback.Behavior != keda.FallbackCurrentReplicasIfHigher {
					t.Errorf("got %v", s.Fallback.Behavior)
				}
			},
		},
		{
			name: "scalingModifiers metricType defaults to AverageValue",
			spec: "advanced:\n  scalingModifiers:\n    formula: r\n    target: \"5\"\ntriggers:\n- type: prometheus\n  name: r\n  metadata: {serverAddress: x, query: y, threshold: \"1\"}\n",
			check: func(t *testing.T, s keda.Spec) {
				if s.Modifiers == nil || s.Modifiers.MetricType != hpa.AverageValue {
					t.Errorf("got %+v", s.Modifiers)
				}
			},
		},
		{
			name: "scalingModifiers metricType Value",
			spec: "advanced:\n  scalingModifiers:\n    formula: r\n    target: \"5\"\n    metricType: Value\ntriggers:\n- type: prometheus\n  name: r\n  metadata: {serverAddress: x, query: y, threshold: \"1\"}\n",
			check: func(t *testing.T, s keda.Spec) {
				if s.Modifiers.MetricType != hpa.Value {
					t.Errorf("got %+v", s.Modifiers)
				}
			},
		},
		{
			name: "IsUsingModifiers/empty scalingModifiers are not used",
			spec: "advanced:\n  scalingModifiers: {}\n  restoreToOriginalReplicaCount: true\ntriggers:\n" + promTrigger,
			check: func(t *testing.T, s keda.Spec) {
				if s.Modifiers != nil {
					t.Errorf("got modifiers %+v", s.Modifiers)
				}
			},
		},
	})
}

// TestGetBoolAnnotation checks the annotations' reading: absent is false,
// anything strconv.ParseBool does not read is true.
func TestGetBoolAnnotation(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  bool
	}{
		{"true", true}, {"True", true}, {"1", true}, {"t", true},
		{"false", false}, {"0", false}, {"F", false},
		{"yes", true}, {"", true}, {"no", true},
	} {
		ann := map[string]string{annotationForceActivation: tc.value}
		if got := boolAnnotation(ann, annotationForceActivation); got != tc.want {
			t.Errorf("%q: got %v, want %v", tc.value, got, tc.want)
		}
	}
	if boolAnnotation(nil, annotationPaused) {
		t.Error("absent annotation read as true")
	}
}

// TestScaledObjectAnnotations checks NeedToBePausedByAnnotation,
// GetPausedReplicaCount, NeedToPauseScaleIn/Out, NeedToForceActivation and
// the behavior newHPAForScaledObject derives from the scale-in/out pauses.
func TestScaledObjectAnnotations(t *testing.T) {
	disabledDown := func(t *testing.T, s keda.Spec) {
		t.Helper()
		want := hpa.DefaultBehavior()
		want.ScaleDown.SelectPolicy = hpa.Disabled
		want.ScaleDown.StabilizationWindow = 5 * time.Minute // the controller's, as the API leaves it unset
		if diff := cmp.Diff(want, s.Behavior); diff != "" {
			t.Errorf("behavior (-want +got):\n%s", diff)
		}
	}
	runSOCases(t, []soCase{
		{
			name:        "paused",
			annotations: "autoscaling.keda.sh/paused: \"true\"",
			spec:        "triggers:\n" + promTrigger,
			check: func(t *testing.T, s keda.Spec) {
				if !s.Paused || s.PausedReplicas != nil {
					t.Errorf("got paused=%v replicas=%v", s.Paused, s.PausedReplicas)
				}
			},
		},
		{
			name:        "paused false",
			annotations: "autoscaling.keda.sh/paused: \"false\"",
			spec:        "triggers:\n" + promTrigger,
			check: func(t *testing.T, s keda.Spec) {
				if s.Paused {
					t.Error("paused")
				}
			},
		},
		{
			name:        "GetPausedReplicaCount",
			annotations: "autoscaling.keda.sh/paused-replicas: \"4\"",
			spec:        "triggers:\n" + promTrigger,
			check: func(t *testing.T, s keda.Spec) {
				if s.Paused || s.PausedReplicas == nil || *s.PausedReplicas != 4 {
					t.Errorf("got paused=%v replicas=%v", s.Paused, s.PausedReplicas)
				}
			},
		},
		{
			name:        "GetPausedReplicaCount/not an integer",
			annotations: "autoscaling.keda.sh/paused-replicas: \"4.0\"",
			spec:        "triggers:\n" + promTrigger,
			want:        []string{`metadata.annotations[autoscaling.keda.sh/paused-replicas]: Invalid value: "4.0": the KEDA operator fails to parse it (strconv.ParseInt(value, 10, 32)); expected a replica count such as "0"`},
		},
		{
			name:        "GetPausedReplicaCount/negative",
			annotations: "autoscaling.keda.sh/paused-replicas: \"-1\"",
			spec:        "triggers:\n" + promTrigger,
			want:        []string{`metadata.annotations[autoscaling.keda.sh/paused-replicas]: Invalid value: "-1": the scale subresource rejects a negative replica count; expected an integer >= 0`},
		},
		{
			name:        "NeedToPauseScaleIn/creates the behavior",
			annotations: "autoscaling.keda.sh/paused-scale-in: \"true\"",
			spec:        "triggers:\n" + promTrigger,
			check: func(t *testing.T, s keda.Spec) {
				if !s.PausedScaleIn || s.PausedScaleOut {
					t.Errorf("got in=%v out=%v", s.PausedScaleIn, s.PausedScaleOut)
				}
				disabledDown(t, s)
			},
		},
		{
			name:        "NeedToPauseScaleIn/any value but false",
			annotations: "autoscaling.keda.sh/paused-scale-in: \"please\"",
			spec:        "triggers:\n" + promTrigger,
			check:       disabledDown,
		},
		{
			name:        "NeedToPauseScaleOut/keeps the written behavior",
			annotations: "autoscaling.keda.sh/paused-scale-out: \"1\"",
			spec: `advanced:
  horizontalPodAutoscalerConfig:
    behavior:
      scaleUp:
        selectPolicy: Min
        stabilizationWindowSeconds: 30
triggers:
` + promTrigger,
			check: func(t *testing.T, s keda.Spec) {
				want := hpa.DefaultBehavior()
				want.ScaleUp.SelectPolicy = hpa.Disabled
				want.ScaleUp.StabilizationWindow = 30 * time.Second
				want.ScaleDown.StabilizationWindow = 5 * time.Minute
				if diff := cmp.Diff(want, s.Behavior); diff != "" {
					t.Errorf("behavior (-want +got):\n%s", diff)
				}
				if !s.PausedScaleOut {
					t.Error("PausedScaleOut not set")
				}
			},
		},
		{
			name:        "NeedToForceActivation",
			annotations: "autoscaling.keda.sh/force-activation: \"true\"",
			spec:        "triggers:\n" + promTrigger,
			check: func(t *testing.T, s keda.Spec) {
				if !s.ForceActivation || s.Behavior != nil {
					t.Errorf("got force=%v behavior=%v", s.ForceActivation, s.Behavior)
				}
			},
		},
	})
}

// TestScaledObjectOptions checks that tolerance and the scale-down window
// resolve as for HPAs.
func TestScaledObjectOptions(t *testing.T) {
	opt := Options{Tolerance: 0.05, DownscaleStabilizationWindow: 90 * time.Second}
	legacy, err := parseSO(t, soDoc("", "triggers:\n"+promTrigger), opt)
	if err != nil {
		t.Fatal(err)
	}
	if legacy.Behavior != nil || legacy.Tolerance != (hpa.Tolerance{Down: 0.05, Up: 0.05}) || legacy.LegacyDownscaleWindow != 90*time.Second {
		t.Errorf("legacy path: got behavior %v, tolerance %+v, window %v", legacy.Behavior, legacy.Tolerance, legacy.LegacyDownscaleWindow)
	}
	withBehavior, err := parseSO(t, soDoc("", `advanced:
  horizontalPodAutoscalerConfig:
    behavior:
      scaleUp:
        tolerance: 20m
      scaleDown:
        policies: [{type: Pods, value: 1, periodSeconds: 60}]
triggers:
`+promTrigger), opt)
	if err != nil {
		t.Fatal(err)
	}
	if withBehavior.Tolerance != (hpa.Tolerance{Down: 0.05, Up: 0.02}) {
		t.Errorf("tolerance: got %+v", withBehavior.Tolerance)
	}
	if w := withBehavior.Behavior.ScaleDown.StabilizationWindow; w != 90*time.Second {
		t.Errorf("scale-down window: got %v, want the controller's 90s", w)
	}
	if _, err := ParseScaledObjects("x", strings.NewReader(""), Options{Tolerance: math.NaN()}); err == nil {
		t.Error("invalid options accepted")
	}
}

// TestValidateScaledObjectSchema checks the CRD's schema rules.
func TestValidateScaledObjectSchema(t *testing.T) {
	runSOCases(t, []soCase{
		{
			name: "minimum/pollingInterval",
			spec: "pollingInterval: 0\ntriggers:\n" + promTrigger,
			want: []string{"spec.pollingInterval: Invalid value: 0: should be greater than or equal to 1"},
		},
		{
			name: "minimum/maxReplicaCount",
			spec: "maxReplicaCount: 0\ntriggers:\n" + promTrigger,
			want: []string{"spec.maxReplicaCount: Invalid value: 0: should be greater than or equal to 1"},
		},
		{
			name: "minimum/idle, min, cooldowns",
			spec: "idleReplicaCount: -1\nminReplicaCount: -2\ncooldownPeriod: -3\ninitialCooldownPeriod: -4\ntriggers:\n" + promTrigger,
			want: []string{
				"spec.idleReplicaCount: Invalid value: -1: should be greater than or equal to 0",
				"spec.minReplicaCount: Invalid value: -2: should be greater than or equal to 0",
				"spec.cooldownPeriod: Invalid value: -3: should be greater than or equal to 0",
				"spec.initialCooldownPeriod: Invalid value: -4: should be greater than or equal to 0",
			},
		},
		{
			name: "x-kubernetes-validations/min above max",
			spec: "minReplicaCount: 5\nmaxReplicaCount: 4\ntriggers:\n" + promTrigger,
			want: []string{"spec.minReplicaCount: Invalid value: 5: minReplicaCount must be less than or equal to maxReplicaCount (4)"},
		},
		{
			name: "x-kubernetes-validations/min above the default max",
			spec: "minReplicaCount: 101\ntriggers:\n" + promTrigger,
			want: []string{"spec.minReplicaCount: Invalid value: 101: minReplicaCount must be less than or equal to maxReplicaCount (100)"},
		},
		{
			name: "required/triggers",
			spec: "minReplicaCount: 1\n",
			want: []string{"spec.triggers: Required value: expected at least one trigger"},
		},
		{
			name: "minItems/triggers",
			spec: "triggers: []\n",
			want: []string{"spec.triggers: Invalid value: 0: should have at least 1 items"},
		},
		{
			name: "required/trigger metadata",
			spec: "triggers:\n- type: prometheus\n",
			want: []string{"spec.triggers[0].metadata: Required value: every trigger needs metadata (use {} for none)"},
		},
		{
			name: "required/fallback fields",
			spec: "fallback: {}\ntriggers:\n" + promTrigger,
			want: []string{"spec.fallback.failureThreshold: Required value", "spec.fallback.replicas: Required value"},
		},
		{
			name: "enum/fallback behavior",
			spec: "fallback: {failureThreshold: 1, replicas: 1, behavior: \"\"}\ntriggers:\n" + promTrigger,
			want: []string{`spec.fallback.behavior: Unsupported value: "": supported values: "static", "currentReplicas", "currentReplicasIfHigher", "currentReplicasIfLower", "scalingModifiers"`},
		},
		{
			name: "minimum/fallback",
			spec: "fallback: {failureThreshold: -1, replicas: -2}\ntriggers:\n" + promTrigger,
			want: []string{
				"spec.fallback.failureThreshold: Invalid value: -1: should be greater than or equal to 0",
				"spec.fallback.replicas: Invalid value: -2: should be greater than or equal to 0",
			},
		},
		{
			name: "authenticationRef is accepted",
			spec: "triggers:\n- type: prometheus\n  authenticationRef: {name: prom-auth, kind: ClusterTriggerAuthentication}\n  metadata: {serverAddress: x, query: y, threshold: \"1\", authModes: bearer}\n",
		},
	})
	if _, err := parseSO(t, "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: web}\n", DefaultOptions()); err == nil ||
		!strings.Contains(err.Error(), "spec: Required value") {
		t.Errorf("missing spec: got %v", err)
	}
}

// TestVerifyName checks the label-length limits of verifyName.
func TestVerifyName(t *testing.T) {
	long := strings.Repeat("a", 64)
	for _, tc := range []struct {
		name, hpaName string
		want          string
	}{
		{name: strings.Repeat("a", 54)},
		{name: strings.Repeat("a", 55), want: "is 64 characters long"},
		{name: strings.Repeat("a", 60), hpaName: "short"},
		{name: long, hpaName: "short", want: "is used as the \"scaledobject.keda.sh/name\" label value"},
		{name: "web", hpaName: long, want: "spec.advanced.horizontalPodAutoscalerConfig.name"},
	} {
		obj := &scaledObjectManifest{Spec: &scaledObjectSpec{}}
		obj.Name = tc.name
		if tc.hpaName != "" {
			obj.Spec.Advanced = &advancedConfig{HorizontalPodAutoscalerConfig: &horizontalPodAutoscalerConfig{Name: tc.hpaName}}
		}
		errs := verifyName(obj)
		got := ""
		if len(errs) > 0 {
			got = errs[0].Error()
		}
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("name %d chars, hpa name %q: got %q, want %q", len(tc.name), tc.hpaName, got, tc.want)
		}
	}
}

// TestCheckReplicaCountBoundsAreValid checks the webhook's bounds, with
// GetHPAMinReplicas for a written minReplicaCount.
func TestCheckReplicaCountBoundsAreValid(t *testing.T) {
	for _, tc := range []struct {
		name           string
		minR, maxR, id *int32
		want           string
	}{
		{name: "all unset"},
		{name: "min = max", minR: ptr(int32(5)), maxR: ptr(int32(5))},
		{name: "min above max", minR: ptr(int32(6)), maxR: ptr(int32(5)), want: "spec.minReplicaCount: Invalid value: 6: MinReplicaCount=6 must be less than MaxReplicaCount=5"},
		{name: "idle below min", minR: ptr(int32(2)), id: ptr(int32(1))},
		{name: "idle = min", minR: ptr(int32(2)), id: ptr(int32(2)), want: "spec.idleReplicaCount: Invalid value: 2: IdleReplicaCount=2 must be less than MinReplicaCount=2"},
		{name: "idle with min unset", id: ptr(int32(0)), want: "IdleReplicaCount=0 must be less than MinReplicaCount=0"},
		// A written 0 counts as 1 (GetHPAMinReplicas), so idle 0 passes.
		{name: "idle 0 with min written 0", minR: ptr(int32(0)), id: ptr(int32(0))},
		{name: "idle 1 with min written 0", minR: ptr(int32(0)), id: ptr(int32(1)), want: "IdleReplicaCount=1 must be less than MinReplicaCount=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := checkReplicaCountBoundsAreValid(&scaledObjectSpec{MinReplicaCount: tc.minR, MaxReplicaCount: tc.maxR, IdleReplicaCount: tc.id})
			got := strings.Join(errorStrings(errs), "\n")
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestIdleZeroWithMinZero checks the report of a ScaledObject the webhook
// accepts (idleReplicaCount 0, minReplicaCount written as 0) and keda.New
// rejects.
func TestIdleZeroWithMinZero(t *testing.T) {
	_, err := parseSO(t, soDoc("", "idleReplicaCount: 0\nminReplicaCount: 0\ntriggers:\n"+promTrigger), DefaultOptions())
	if err == nil {
		t.Skip("keda.New accepts it now")
	}
	if !strings.Contains(err.Error(), "spec.idleReplicaCount: Invalid value: 0: KEDA v2.21 accepts idleReplicaCount 0 with minReplicaCount written as 0") {
		t.Errorf("got %v", err)
	}
}

// TestValidateTriggers checks ValidateTriggers.
func TestValidateTriggers(t *testing.T) {
	runSOCases(t, []soCase{
		{
			name: "useCachedMetrics on prometheus",
			spec: "triggers:\n- type: prometheus\n  useCachedMetrics: true\n  metadata: {serverAddress: x, query: y, threshold: \"1\"}\n",
			check: func(t *testing.T, s keda.Spec) {
				if !s.Triggers[0].UseCachedMetrics {
					t.Error("UseCachedMetrics not set")
				}
			},
		},
		{
			name: "useCachedMetrics on cpu, memory, cron",
			spec: `minReplicaCount: 1
triggers:
- type: cpu
  metricType: Utilization
  useCachedMetrics: true
  metadata: {value: "50"}
- type: memory
  metricType: AverageValue
  useCachedMetrics: true
  metadata: {value: 1Gi}
- type: cron
  useCachedMetrics: true
  metadata: {timezone: UTC, start: "0 8 * * *", end: "0 9 * * *", desiredReplicas: "2"}
`,
			want: []string{
				`spec.triggers[0].useCachedMetrics: Invalid value: true: property "useCachedMetrics" is not supported for "cpu" scaler`,
				`spec.triggers[1].useCachedMetrics: Invalid value: true: property "useCachedMetrics" is not supported for "memory" scaler`,
				`spec.triggers[2].useCachedMetrics: Invalid value: true: property "useCachedMetrics" is not supported for "cron" scaler`,
			},
		},
		{
			name: "duplicate names",
			spec: "triggers:\n- type: prometheus\n  name: a\n  metadata: {serverAddress: x, query: y, threshold: \"1\"}\n- type: prometheus\n  name: a\n  metadata: {serverAddress: x, query: y, threshold: \"1\"}\n",
			want: []string{`spec.triggers[1].name: Invalid value: "a": triggerName "a" is defined multiple times in the ScaledObject/ScaledJob, but it must be unique`},
		},
		{
			name: "unnamed triggers may repeat",
			spec: "triggers:\n" + promTrigger + promTrigger,
			check: func(t *testing.T, s keda.Spec) {
				if s.Triggers[0].MetricName != "s0-prometheus" || s.Triggers[1].MetricName != "s1-prometheus" {
					t.Errorf("metric names %q, %q", s.Triggers[0].MetricName, s.Triggers[1].MetricName)
				}
			},
		},
		{
			name: "unknown trigger type",
			spec: "triggers:\n- type: Prometheus\n  metadata: {}\n",
			want: []string{`spec.triggers[0].type: Unsupported value: "Prometheus": supported values: "prometheus", "metrics-api", "kafka", "cron", "cpu", "memory"`},
		},
	})
	if errs := validateTriggers(nil); len(errs) != 1 || !strings.Contains(errs[0].Error(), "no triggers defined") {
		t.Errorf("no triggers: got %v", errs)
	}
}

// TestCheckFallbackValid checks CheckFallbackValid and the scalingModifiers
// fallback behavior's need of a formula.
func TestCheckFallbackValid(t *testing.T) {
	const fb = "fallback: {failureThreshold: 3, replicas: 5}\n"
	runSOCases(t, []soCase{
		{
			name: "external trigger",
			spec: fb + "minReplicaCount: 1\ntriggers:\n" + cpuTrigger + promTrigger,
		},
		{
			name: "metricType Value is accepted",
			spec: fb + "triggers:\n- type: prometheus\n  metricType: Value\n  metadata: {serverAddress: x, query: y, threshold: \"1\"}\n",
			check: func(t *testing.T, s keda.Spec) {
				if s.Triggers[0].MetricType != hpa.Value {
					t.Errorf("metric type %v", s.Triggers[0].MetricType)
				}
			},
		},
		{
			name: "only cpu/memory",
			spec: fb + "minReplicaCount: 1\ntriggers:\n" + cpuTrigger,
			want: []string{"spec.fallback: Forbidden: at least one trigger (that is not cpu or memory) has to have the `AverageValue` type for the fallback to be enabled"},
		},
		{
			name: "scalingModifiers behavior with a formula",
			spec: "fallback: {failureThreshold: 3, replicas: 5, behavior: scalingModifiers}\nadvanced:\n  scalingModifiers: {formula: \"r ?? 0\", target: \"2\"}\ntriggers:\n- type: prometheus\n  name: r\n  metadata: {serverAddress: x, query: y, threshold: \"1\"}\n",
			check: func(t *testing.T, s keda.Spec) {
				if s.Fallback.Behavior != keda.FallbackScalingModifiers || s.Modifiers.Formula != "r ?? 0" {
					t.Errorf("got %+v %+v", s.Fallback, s.Modifiers)
				}
			},
		},
		{
			name: "scalingModifiers behavior without modifiers",
			spec: "fallback: {failureThreshold: 3, replicas: 5, behavior: scalingModifiers}\ntriggers:\n" + promTrigger,
			want: []string{`spec.fallback.behavior: Invalid value: "scalingModifiers": scalingModifiers fallback behavior requires scalingModifiers.formula to be defined`},
		},
	})
	// The schema rejects negative values first; the webhook repeats it.
	errs := checkFallbackValid(&scaledObjectSpec{Fallback: &fallback{FailureThreshold: ptr(int32(-1)), Replicas: ptr(int32(0))},
		Triggers: []scaleTriggers{{Type: "prometheus"}}})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "FailureThreshold=-1 & Replicas=0 must both be greater than or equal to 0") {
		t.Errorf("negative threshold: got %v", errs)
	}
	// With modifiers, cpu/memory-only triggers do not disable the fallback.
	s := &scaledObjectSpec{Fallback: &fallback{FailureThreshold: ptr(int32(1)), Replicas: ptr(int32(1))},
		Advanced: &advancedConfig{ScalingModifiers: scalingModifiers{Formula: "1", Target: "1"}},
		Triggers: []scaleTriggers{{Type: "cpu"}}}
	if errs := checkFallbackValid(s); len(errs) != 0 {
		t.Errorf("modifiers with cpu: got %v", errs)
	}
}

// TestVerifyCPUMemoryScalers checks the scale-to-zero rule for
// cpu/memory-only ScaledObjects.
func TestVerifyCPUMemoryScalers(t *testing.T) {
	const msg = "scaledobject has only cpu/memory triggers AND minReplica is 0 (scale to zero doesn't work in this case); expected minReplicaCount >= 1"
	runSOCases(t, []soCase{
		{name: "min unset", spec: "triggers:\n" + cpuTrigger, want: []string{"spec.minReplicaCount: Required value: " + msg}},
		{name: "min 0", spec: "minReplicaCount: 0\ntriggers:\n" + cpuTrigger, want: []string{"spec.minReplicaCount: Invalid value: 0: " + msg}},
		{name: "min 1", spec: "minReplicaCount: 1\ntriggers:\n" + cpuTrigger},
		{name: "with an external trigger", spec: "triggers:\n" + cpuTrigger + promTrigger},
	})
	// The webhook reads only Deployments and StatefulSets of apps/v1.
	for kind, want := range map[string]bool{"": true, "StatefulSet": true, "Rollout": false} {
		s := &scaledObjectSpec{ScaleTargetRef: &scaleTarget{Name: "web", Kind: kind}, Triggers: []scaleTriggers{{Type: "memory"}}}
		if got := len(verifyCPUMemoryScalers(s)) > 0; got != want {
			t.Errorf("kind %q: rejected=%v, want %v", kind, got, want)
		}
	}
}

// TestValidateAndCompileScalingModifiers checks the webhook's
// scalingModifiers rules.
func TestValidateAndCompileScalingModifiers(t *testing.T) {
	const triggers = `triggers:
- type: prometheus
  name: a
  metadata: {serverAddress: x, query: y, threshold: "1"}
- type: metrics-api
  name: b
  metadata: {url: http://x, valueLocation: v}
- type: cpu
  name: c
  metricType: Utilization
  metadata: {value: "50"}
`
	mod := func(fields string) string { return "advanced:\n  scalingModifiers: {" + fields + "}\n" + triggers }
	runSOCases(t, []soCase{
		{
			name: "valid; metrics-api needs no targetValue with modifiers",
			spec: mod(`formula: "a + b", target: "2.5", activationTarget: "0.5"`),
			check: func(t *testing.T, s keda.Spec) {
				if s.Triggers[1].Target != 0 || s.Modifiers.Target != "2.5" {
					t.Errorf("got %+v %+v", s.Triggers[1], s.Modifiers)
				}
			},
		},
		{
			name: "formula mandatory",
			spec: mod(`target: "2"`),
			want: []string{"spec.advanced.scalingModifiers.formula: Required value: error ScalingModifiers.Formula is mandatory"},
		},
		{
			name: "activationTarget alone uses modifiers",
			spec: mod(`activationTarget: "2"`),
			want: []string{"spec.advanced.scalingModifiers.formula: Required value: error ScalingModifiers.Formula is mandatory"},
		},
		{
			name: "target mandatory",
			spec: mod(`formula: "a"`),
			want: []string{"spec.advanced.scalingModifiers.target: Required value: error validating formula in ScalingModifiers: formula is given but target is empty"},
		},
		{
			name: "target > 0",
			spec: mod(`formula: "a", target: "-1"`),
			want: []string{`spec.advanced.scalingModifiers.target: Invalid value: "-1": error validating target in ScalingModifiers: error converting target for scalingModifiers (string->float) to valid target`},
		},
		{
			name: "target a float",
			spec: mod(`formula: "a", target: "1k"`),
			want: []string{`spec.advanced.scalingModifiers.target: Invalid value: "1k": error validating target in ScalingModifiers: error converting target for scalingModifiers (string->float) to valid target: strconv.ParseFloat: parsing "1k": invalid syntax`},
		},
		{
			name: "target NaN",
			spec: mod(`formula: "a", target: "NaN"`),
			want: []string{`spec.advanced.scalingModifiers.target: Invalid value: "NaN": the webhook accepts it, but int64(target*1000), the composite metric's milli-value target, is not defined; expected a finite number below 9.2e15`},
		},
		{
			name: "cpu triggers are not formula variables",
			spec: mod(`formula: "a + c", target: "1"`),
			want: []string{`spec.advanced.scalingModifiers.formula: Invalid value: "a + c": error validating formula in ScalingModifiers: unknown name c (line 1, column 5 of the formula)`},
		},
		{
			name: "formula runs with -1",
			spec: mod(`formula: "a > 0 ? a : nil", target: "1"`),
			want: []string{`spec.advanced.scalingModifiers.formula: Invalid value: "a > 0 ? a : nil": error validating formula in ScalingModifiers: invalid operation: float(<nil>) (line 1 of the formula)`},
		},
		{
			name: "?? keeps nil",
			spec: mod(`formula: "a > 0 ? a : nil ?? 0", target: "1"`),
		},
		{
			name: "metricType Utilization",
			spec: mod(`formula: "a", target: "1", metricType: Utilization`),
			want: []string{`spec.advanced.scalingModifiers.metricType: Unsupported value: "Utilization": supported values: "AverageValue", "Value"`},
		},
		{
			name: "activationTarget a float",
			spec: mod(`formula: "a", target: "1", activationTarget: "x"`),
			want: []string{`spec.advanced.scalingModifiers.activationTarget: Invalid value: "x": scalingModifiers.ActivationTarget parsing error strconv.ParseFloat: parsing "x": invalid syntax (KEDA fails every poll); expected a number`},
		},
	})
}

// TestCastToFloatIfNecessary checks the formula wrapping.
func TestCastToFloatIfNecessary(t *testing.T) {
	for in, want := range map[string]string{
		"a + b":                          "float(a + b)",
		"float(a)":                       "float(a)",
		"a ?? 1":                         "let _kedaCompositeResult = (a ?? 1); _kedaCompositeResult == nil ? nil : float(_kedaCompositeResult)",
		"let _kedaCompositeResult = a??": "let _kedaCompositeResult = a??",
	} {
		if got := castToFloatIfNecessary(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

// TestGetMetricTargetType checks the external triggers' metricType.
func TestGetMetricTargetType(t *testing.T) {
	trig := func(mt string) string {
		return "triggers:\n- type: prometheus\n  metricType: " + mt + "\n  metadata: {serverAddress: x, query: y, threshold: \"1.5\"}\n"
	}
	typeIs := func(want hpa.TargetType) func(*testing.T, keda.Spec) {
		return func(t *testing.T, s keda.Spec) {
			if got := s.Triggers[0].MetricType; got != want {
				t.Errorf("got %v, want %v", got, want)
			}
		}
	}
	runSOCases(t, []soCase{
		{name: "empty is AverageValue", spec: trig(`""`), check: typeIs(hpa.AverageValue)},
		{name: "AverageValue", spec: trig("AverageValue"), check: typeIs(hpa.AverageValue)},
		{name: "Value", spec: trig("Value"), check: typeIs(hpa.Value)},
		{
			name: "Utilization",
			spec: trig("Utilization"),
			want: []string{`spec.triggers[0].metricType: Invalid value: "Utilization": error getting scaler metric type: 'Utilization' metric type is unsupported for external metrics, allowed values are 'Value' or 'AverageValue'`},
		},
		{
			name: "other",
			spec: trig("value"),
			want: []string{`spec.triggers[0].metricType: Unsupported value: "value": supported values: "AverageValue", "Value"`},
		},
	})
}

// TestGetMetricTargetMili checks the targets of prometheus and metrics-api
// triggers: "%.3f", then Quantity.MilliValue.
func TestGetMetricTargetMili(t *testing.T) {
	for _, tc := range []struct {
		threshold string
		target    float64
		milli     int64
		err       string
	}{
		{threshold: "100", target: 100, milli: 100_000},
		{threshold: "1e3", target: 1000, milli: 1_000_000},
		{threshold: "0.0015", target: 0.0015, milli: 2},
		{threshold: "0.0005", target: 0.0005, milli: 1},
		{threshold: "2.0004", target: 2.0004, milli: 2000},
		{threshold: "9000000000000000", target: 9e15, milli: 9e18},
		{threshold: "0.0004", err: "its target averageValue is 0: must be positive"},
		{threshold: "-5", err: "its target averageValue is 0: must be positive"},
		{threshold: "0", err: "its target averageValue is 0: must be positive"},
		{threshold: "1e16", err: "overflows the controller's int64 milli-units"},
	} {
		t.Run(tc.threshold, func(t *testing.T) {
			spec, err := parseSO(t, soDoc("", "triggers:\n- type: prometheus\n  metadata: {serverAddress: x, query: y, threshold: \""+tc.threshold+"\"}\n"), DefaultOptions())
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "spec.triggers[0].metadata.threshold") {
					t.Fatalf("got %v, want an error with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := spec.Triggers[0]; got.Target != tc.target || got.TargetMilli != tc.milli {
				t.Errorf("got target %v milli %d, want %v %d", got.Target, got.TargetMilli, tc.target, tc.milli)
			}
		})
	}
}

// TestGetMetricTarget checks the whole-quantity targets of kafka and cron.
func TestGetMetricTarget(t *testing.T) {
	for _, tc := range []struct {
		lag   int64
		milli int64
	}{{1, 1000}, {10, 10_000}, {math.MaxInt64 / 1000, math.MaxInt64 / 1000 * 1000}} {
		q := resource.NewQuantity(tc.lag, resource.DecimalSI)
		c := &scalerConfig{trigger: &scaleTriggers{Metadata: map[string]string{}}, path: triggersPath.Index(0)}
		var out keda.Trigger
		c.targetWhole(&out, "lagThreshold", tc.lag)
		if len(c.errs) > 0 || out.TargetMilli != tc.milli || q.MilliValue() != tc.milli {
			t.Errorf("lag %d: got %d (%v), want %d", tc.lag, out.TargetMilli, c.errs, tc.milli)
		}
	}
	c := &scalerConfig{trigger: &scaleTriggers{Metadata: map[string]string{"lagThreshold": "9223372036854775807"}}, path: triggersPath.Index(0)}
	var out keda.Trigger
	c.targetWhole(&out, "lagThreshold", math.MaxInt64)
	if len(c.errs) != 1 || !strings.Contains(c.errs[0].Error(), "overflows") {
		t.Errorf("huge lag: got %v", c.errs)
	}
}

// TestNormalizeString checks the metric-name normalization.
func TestNormalizeString(t *testing.T) {
	for in, want := range map[string]string{
		"metric-api-max_lag":        "metric-api-max_lag",
		"metric-api-data.lag":       "metric-api-data-lag",
		"a/b.c:d%e(f)g":             "a-b-c-d-e-f-g",
		"cron-Europe/Berlin-0-1":    "cron-Europe-Berlin-0-1",
		"kafka-payments.v1.orders":  "kafka-payments-v1-orders",
		"metric-api-{$.items[0].v}": "metric-api-{$-items[0]-v}",
	} {
		if got := normalizeString(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

// TestTypedConfig checks how metadata strings become values, as
// ScalerConfig.TypedConfig reads them.
func TestTypedConfig(t *testing.T) {
	prom := func(meta string) string {
		return "triggers:\n- type: prometheus\n  metadata: {serverAddress: x, query: y, " + meta + "}\n"
	}
	thresholdIs := func(want float64) func(*testing.T, keda.Spec) {
		return func(t *testing.T, s keda.Spec) {
			if got := s.Triggers[0].Target; got != want {
				t.Errorf("got %v, want %v", got, want)
			}
		}
	}
	runSOCases(t, []soCase{
		{name: "float/spaces are trimmed", spec: prom(`threshold: " 12.5 "`), check: thresholdIs(12.5)},
		{name: "float/exponent", spec: prom(`threshold: "2E2"`), check: thresholdIs(200)},
		{name: "float/leading dot", spec: prom(`threshold: ".5"`),
			want: []string{`spec.triggers[0].metadata.threshold: Invalid value: ".5": unable to set param "threshold" value ".5": invalid character '.' looking for beginning of value; expected a number such as 100 or 0.5`}},
		{name: "float/null", spec: prom(`threshold: "null"`),
			want: []string{`spec.triggers[0].metadata.threshold: Invalid value: "null": unable to set param "threshold" value "null": null is not a value; expected a number such as 100 or 0.5`}},
		{name: "float/quoted", spec: prom(`threshold: "'5'"`),
			want: []string{`spec.triggers[0].metadata.threshold: Invalid value: "'5'": unable to set param "threshold" value "'5'": invalid character '\'' looking for beginning of value; expected a number such as 100 or 0.5`}},
		{name: "empty counts as missing", spec: prom(`threshold: "  "`),
			want: []string{`spec.triggers[0].metadata.threshold: Required value: missing required parameter "threshold" in [triggerMetadata] (prometheus scaler)`}},
		{name: "default/activation 0", spec: prom(`threshold: "3"`), check: func(t *testing.T, s keda.Spec) {
			if s.Triggers[0].Activation != 0 {
				t.Errorf("activation %v", s.Triggers[0].Activation)
			}
		}},
		{name: "bool", spec: prom(`threshold: "3", ignoreNullValues: "F", unsafeSsl: "1"`)},
		{name: "bool/invalid", spec: prom(`threshold: "3", unsafeSsl: "yes"`),
			want: []string{`spec.triggers[0].metadata.unsafeSsl: Invalid value: "yes": unable to set param "unsafeSsl" value "yes": unable to parse boolean value "yes"; expected true or false`}},
		{name: "duration/milliseconds", spec: prom(`threshold: "3", timeout: "2500"`)},
		{name: "duration/invalid", spec: prom(`threshold: "3", timeout: "soon"`),
			want: []string{`spec.triggers[0].metadata.timeout: Invalid value: "soon": unable to parse duration value: must be either a duration string (e.g. '30s', '5m') or a number of milliseconds`}},
		{name: "map", spec: prom(`threshold: "3", queryParameters: "a=1, b=2", customHeaders: "X-Org=1"`)},
		{name: "authModes/exclusive", spec: prom(`threshold: "3", authModes: "bearer,basic"`),
			want: []string{`spec.triggers[0].metadata.authModes: Invalid value: "bearer,basic": parameter "authModes" value "bearer,basic" must contain only one of [bearer basic oauth]`}},
		{name: "authModes/enum", spec: prom(`threshold: "3", authModes: "kerberos"`),
			want: []string{`spec.triggers[0].metadata.authModes: Unsupported value: "kerberos": supported values: "apiKey", "basic", "tls", "bearer", "custom", "oauth"`}},
	})
}

// TestParsePrometheusMetadata checks the prometheus scaler's parameters.
func TestParsePrometheusMetadata(t *testing.T) {
	runSOCases(t, []soCase{
		{
			name: "all parameters",
			spec: `triggers:
- type: prometheus
  name: rps
  metadata:
    serverAddress: http://prometheus:9090
    query: sum(rate(x[1m]))
    threshold: "50.5"
    activationThreshold: "2"
    namespace: team-a
    ignoreNullValues: "false"
    unsafeSsl: "true"
    timeout: 5s
    queryParameters: "a=b"
    customHeaders: "X-Scope-OrgID=team-a"
`,
			check: func(t *testing.T, s keda.Spec) {
				want := keda.Trigger{Name: "rps", Kind: keda.Prometheus, MetricName: "s0-prometheus", MetricType: hpa.AverageValue, Target: 50.5, TargetMilli: 50_500, Activation: 2, FailOnNull: true}
				if diff := cmp.Diff(want, s.Triggers[0]); diff != "" {
					t.Error(diff)
				}
			},
		},
		{
			name: "required",
			spec: "triggers:\n- type: prometheus\n  metadata: {}\n",
			want: []string{
				`spec.triggers[0].metadata.query: Required value: missing required parameter "query" in [triggerMetadata] (prometheus scaler)`,
				`spec.triggers[0].metadata.serverAddress: Required value: missing required parameter "serverAddress" in [triggerMetadata] (prometheus scaler)`,
				`spec.triggers[0].metadata.threshold: Required value: missing required parameter "threshold" in [triggerMetadata] (prometheus scaler)`,
			},
		},
	})
}

// TestParseMetricsAPIMetadata checks the metrics-api scaler's parameters.
func TestParseMetricsAPIMetadata(t *testing.T) {
	api := func(meta string) string {
		return "triggers:\n- type: metrics-api\n  metadata: {url: http://x/stats, " + meta + "}\n"
	}
	runSOCases(t, []soCase{
		{
			name: "metric name from valueLocation",
			spec: api(`valueLocation: "components.worker.(queue):depth", targetValue: "7.5", activationTargetValue: "1"`),
			check: func(t *testing.T, s keda.Spec) {
				want := keda.Trigger{Kind: keda.MetricsAPI, MetricName: "s0-metric-api-components-worker--queue--depth", MetricType: hpa.AverageValue, Target: 7.5, TargetMilli: 7500, Activation: 1}
				if diff := cmp.Diff(want, s.Triggers[0]); diff != "" {
					t.Error(diff)
				}
			},
		},
		{
			name: "targetValue 0",
			spec: api(`valueLocation: v, targetValue: "0"`),
			want: []string{`spec.triggers[0].metadata.targetValue: Invalid value: "0": no targetValue given in metadata (0 counts as none unless the ScaledObject uses scalingModifiers)`},
		},
		{
			name: "required",
			spec: "triggers:\n- type: metrics-api\n  metadata: {}\n",
			want: []string{
				`spec.triggers[0].metadata.targetValue: Required value: no targetValue given in metadata (required unless the ScaledObject uses scalingModifiers)`,
				`spec.triggers[0].metadata.url: Required value: missing required parameter "url" in [triggerMetadata] (metrics-api scaler)`,
				`spec.triggers[0].metadata.valueLocation: Required value: missing required parameter "valueLocation" in [triggerMetadata] (metrics-api scaler)`,
			},
		},
		{
			name: "enums",
			spec: api(`valueLocation: v, targetValue: "1", format: yaml, aggregationType: median`),
			want: []string{`spec.triggers[0].metadata.aggregationType: Unsupported value: "median": supported values: "average", "sum", "max", "min"`},
		},
		{
			name: "auth modes the scaler allows",
			spec: api(`valueLocation: v, targetValue: "1", authMode: oauth`),
			want: []string{`spec.triggers[0].metadata.authMode: Invalid value: "oauth": auth mode "oauth" is not supported by this scaler; supported modes: [apiKey basic tls bearer]`},
		},
	})
}

// TestParseKafkaMetadata checks the kafka scaler's parameters.
func TestParseKafkaMetadata(t *testing.T) {
	kafka := func(meta string) string {
		return "triggers:\n- type: kafka\n  metadata: {bootstrapServers: \"k:9092\", consumerGroup: g, " + meta + "}\n"
	}
	runSOCases(t, []soCase{
		{
			name: "defaults",
			spec: kafka(`topic: orders`),
			check: func(t *testing.T, s keda.Spec) {
				want := keda.Trigger{Kind: keda.Kafka, MetricName: "s0-kafka-orders", MetricType: hpa.AverageValue, Target: 10, TargetMilli: 10_000}
				if diff := cmp.Diff(want, s.Triggers[0]); diff != "" {
					t.Error(diff)
				}
			},
		},
		{
			name: "options",
			spec: kafka(`topic: orders, lagThreshold: "50", activationLagThreshold: "5", allowIdleConsumers: "true", ensureEvenDistributionOfPartitions: "true", partitionLimitation: "0,2-4", version: "2.8.1", tls: enable, sasl: plaintext`),
			check: func(t *testing.T, s keda.Spec) {
				want := keda.Trigger{Kind: keda.Kafka, MetricName: "s0-kafka-orders", MetricType: hpa.AverageValue, Target: 50, TargetMilli: 50_000, Activation: 5,
					Kafka: keda.KafkaOptions{AllowIdleConsumers: true, EnsureEvenDistributionOfPartitions: true}}
				if diff := cmp.Diff(want, s.Triggers[0]); diff != "" {
					t.Error(diff)
				}
			},
		},
		{
			name: "no topic",
			spec: kafka(`limitToPartitionsWithLag: "false"`),
			check: func(t *testing.T, s keda.Spec) {
				if s.Triggers[0].MetricName != "s0-kafka-g-topics" {
					t.Errorf("metric name %q", s.Triggers[0].MetricName)
				}
			},
		},
		{
			name: "lagThreshold an integer",
			spec: kafka(`topic: t, lagThreshold: "10.0"`),
			want: []string{`spec.triggers[0].metadata.lagThreshold: Invalid value: "10.0": unable to set param "lagThreshold" value "10.0": json: cannot unmarshal number 10.0 into Go value of type int64; expected an integer`},
		},
		{
			name: "Validate",
			spec: kafka(`lagThreshold: "-1", activationLagThreshold: "-1", ensureEvenDistributionOfPartitions: "true", fullMetadata: "false", partitionLimitation: "1-2-3"`),
			want: []string{ // in source order
				`spec.triggers[0].metadata.lagThreshold: Invalid value: "-1": "lagThreshold" must be positive number`,
				`spec.triggers[0].metadata.activationLagThreshold: Invalid value: "-1": "activationLagThreshold" must be a non-negative number`,
				`spec.triggers[0].metadata.ensureEvenDistributionOfPartitions: Invalid value: "true": topic must be specified when using ensureEvenDistributionOfPartitions`,
				`spec.triggers[0].metadata.fullMetadata: Invalid value: "false": topic must be specified when fullMetadata is false`,
				`spec.triggers[0].metadata.partitionLimitation: Invalid value: "1-2-3": invalid partition limitation range: 1-2-3`,
			},
		},
		{
			name: "excludePersistentLag is not modelled",
			spec: kafka(`topic: t, excludePersistentLag: "true"`),
			want: []string{`spec.triggers[0].metadata.excludePersistentLag: Invalid value: "true": not modelled: it needs the consumer offsets of the previous poll per partition, which a replayed total lag does not carry; expected false or the parameter removed`},
		},
		{
			name: "topicFromEnv is not modelled",
			spec: kafka(`topicFromEnv: KAFKA_TOPIC`),
			want: []string{`spec.triggers[0].metadata.topicFromEnv: Invalid value: "KAFKA_TOPIC": reading "topic" from the scale target's container environment is not modelled; expected the value written as metadata.topic`},
		},
	})
}

// TestParseCronMetadata checks the cron scaler's parameters.
func TestParseCronMetadata(t *testing.T) {
	cronT := func(meta string) string { return "triggers:\n- type: cron\n  metadata: {" + meta + "}\n" }
	runSOCases(t, []soCase{
		{
			name: "schedule",
			spec: cronT(`timezone: America/New_York, start: "30 9 * * *", end: "0 17 * * *", desiredReplicas: "6"`),
			check: func(t *testing.T, s keda.Spec) {
				want := keda.Trigger{Kind: keda.Cron, MetricName: "s0-cron-America-New_York-309xxx-017xxx", MetricType: hpa.AverageValue, Target: 1, TargetMilli: 1000,
					Cron: mustCron(t, "America/New_York", "30 9 * * *", "0 17 * * *", 6)}
				if diff := cmp.Diff(want, s.Triggers[0], cronComparer); diff != "" {
					t.Error(diff)
				}
			},
		},
		{
			name: "Local is UTC",
			spec: cronT(`timezone: Local, start: "0 9 * * *", end: "0 17 * * *", desiredReplicas: "1"`),
			check: func(t *testing.T, s keda.Spec) {
				if s.Triggers[0].Cron.Location != time.UTC {
					t.Errorf("location %v", s.Triggers[0].Cron.Location)
				}
			},
		},
		{
			name: "Validate",
			spec: cronT(`timezone: UTC, start: "0 9 * * *", end: "0 9 * * *", desiredReplicas: "0"`),
			want: []string{
				`spec.triggers[0].metadata.end: Invalid value: "0 9 * * *": start and end can not have exactly same time input`,
				`spec.triggers[0].metadata.desiredReplicas: Invalid value: "0": no desiredReplicas specified`,
			},
		},
		{
			name: "six fields",
			spec: cronT(`timezone: UTC, start: "0 0 9 * * *", end: "0 17 * * *", desiredReplicas: "2"`),
			want: []string{`spec.triggers[0].metadata.start: Invalid value: "0 0 9 * * *": error parsing start schedule: expected exactly 5 fields, found 6: [0 0 9 * * *]`},
		},
		{
			name: "required",
			spec: cronT(``),
			want: []string{
				`spec.triggers[0].metadata.desiredReplicas: Required value: missing required parameter "desiredReplicas" in [triggerMetadata] (cron scaler)`,
				`spec.triggers[0].metadata.end: Required value: missing required parameter "end" in [triggerMetadata] (cron scaler)`,
				`spec.triggers[0].metadata.start: Required value: missing required parameter "start" in [triggerMetadata] (cron scaler)`,
				`spec.triggers[0].metadata.timezone: Required value: missing required parameter "timezone" in [triggerMetadata] (cron scaler)`,
			},
		},
	})
}

// TestParseResourceMetadata checks the cpu and memory scalers.
func TestParseResourceMetadata(t *testing.T) {
	res := func(typ, metricType, meta string) string {
		return "minReplicaCount: 1\ntriggers:\n- type: " + typ + "\n  metricType: " + metricType + "\n  metadata: {" + meta + "}\n"
	}
	runSOCases(t, []soCase{
		{
			name: "Utilization",
			spec: res("cpu", "Utilization", `value: "75"`),
			check: func(t *testing.T, s keda.Spec) {
				want := keda.Trigger{Kind: keda.CPU, MetricName: "cpu", MetricType: hpa.Utilization, Target: 75}
				if diff := cmp.Diff(want, s.Triggers[0]); diff != "" {
					t.Error(diff)
				}
			},
		},
		{
			name: "AverageValue with a container",
			spec: res("memory", "AverageValue", `value: 1.5Gi, containerName: app`),
			check: func(t *testing.T, s keda.Spec) {
				want := keda.Trigger{Kind: keda.Memory, MetricName: "memory", MetricType: hpa.AverageValue, Target: 1.5 * (1 << 30), TargetMilli: 1.5 * (1 << 30) * 1000, ContainerName: "app"}
				if diff := cmp.Diff(want, s.Triggers[0]); diff != "" {
					t.Error(diff)
				}
			},
		},
		{
			name: "AverageValue milli-cpu",
			spec: res("cpu", "AverageValue", `value: 250m`),
			check: func(t *testing.T, s keda.Spec) {
				if got := s.Triggers[0]; got.TargetMilli != 250 || got.Target != 0.25 {
					t.Errorf("got %+v", got)
				}
			},
		},
		{
			name: "Utilization a whole number",
			spec: res("cpu", "Utilization", `value: "70.5"`),
			want: []string{`spec.triggers[0].metadata.value: Invalid value: "70.5": error parsing cpu metadata: strconv.ParseInt: parsing "70.5": invalid syntax; expected a whole percentage such as 70`},
		},
		{
			name: "metricType Value",
			spec: res("cpu", "Value", `value: "70"`),
			want: []string{`spec.triggers[0].metricType: Unsupported value: "Value": supported values: "Utilization", "AverageValue"`},
		},
		{
			name: "metricType required",
			spec: res("memory", `""`, `value: "70"`),
			want: []string{`spec.triggers[0].metricType: Required value: error parsing memory metadata: unknown metric type: , allowed values are 'Utilization' or 'AverageValue' (v2.21 requires the trigger's metricType)`},
		},
		{
			name: "metadata.type is an error",
			spec: res("cpu", "Utilization", `type: Utilization, value: "70"`),
			want: []string{`spec.triggers[0].metadata.type: Invalid value: "Utilization": scaler cpu info: The 'type' setting is DEPRECATED and is removed in v2.18 - Use 'metricType' instead.`},
		},
		{
			name: "AverageValue positive",
			spec: res("memory", "AverageValue", `value: "-1Gi"`),
			want: []string{`spec.triggers[0].metadata.value: Invalid value: "-1Gi": the API server rejects the HPA KEDA generates: its target averageValue must be positive`},
		},
	})
}

// TestHPABehaviorValidation checks that the behavior passes through the
// HPA's defaulting and validation.
func TestHPABehaviorValidation(t *testing.T) {
	runSOCases(t, []soCase{
		{
			name: "defaults fill the other direction",
			spec: "advanced:\n  horizontalPodAutoscalerConfig:\n    name: web-hpa\n    behavior:\n      scaleDown: {stabilizationWindowSeconds: 60}\ntriggers:\n" + promTrigger,
			check: func(t *testing.T, s keda.Spec) {
				want := hpa.DefaultBehavior()
				want.ScaleDown.StabilizationWindow = time.Minute
				if diff := cmp.Diff(want, s.Behavior); diff != "" {
					t.Error(diff)
				}
			},
		},
		{
			name: "validation",
			spec: "advanced:\n  horizontalPodAutoscalerConfig:\n    behavior:\n      scaleUp: {policies: [{type: Pods, value: 1, periodSeconds: 1801}]}\ntriggers:\n" + promTrigger,
			want: []string{"spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 1801: the API server rejects the HPA KEDA generates: must be less than or equal to 1800"},
		},
	})
}

// TestParseScaledObjectsDocuments checks the kinds read and skipped.
func TestParseScaledObjectsDocuments(t *testing.T) {
	src := soDoc("", "triggers:\n"+promTrigger) + "---\n" + hpaDoc("web-hpa") + "---\n" +
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: keda.sh/v1alpha1\n  kind: ScaledObject\n  metadata: {name: listed, namespace: ns}\n  spec:\n    scaleTargetRef: {name: listed}\n    triggers:\n" +
		indent(promTrigger, "    ")
	sos, err := ParseScaledObjects("mixed.yaml", strings.NewReader(src), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, so := range sos {
		got = append(got, fmt.Sprintf("%s/%s@%d", so.Namespace, so.Name, so.Line))
	}
	if diff := cmp.Diff([]string{"/web@1", "ns/listed@26"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	hpas, err := ParseHPAs("mixed.yaml", strings.NewReader(src), DefaultOptions())
	if err != nil || len(hpas) != 1 || hpas[0].Name != "web-hpa" {
		t.Errorf("ParseHPAs: got %d HPAs, %v", len(hpas), err)
	}
}

// TestScaledObjectErrorsAreLocated checks positions of errors on fields
// that are written, missing, or set by defaulting.
func TestScaledObjectErrorsAreLocated(t *testing.T) {
	src := soDoc("", `idleReplicaCount: 3
minReplicaCount: 2
triggers:
- type: prometheus
  metadata:
    serverAddress: x
    query: y
`)
	_, err := ParseScaledObjects("so.yaml", strings.NewReader(src), DefaultOptions())
	want := []string{
		"so.yaml:8:21: spec.idleReplicaCount: Invalid value: 3: IdleReplicaCount=3 must be less than MinReplicaCount=2",
		`so.yaml:12:5: spec.triggers[0].metadata.threshold: Required value: missing required parameter "threshold" in [triggerMetadata] (prometheus scaler)`,
	}
	if diff := cmp.Diff(strings.Join(want, "\n"), fmt.Sprint(err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func ExampleParseScaledObjects() {
	src := `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: worker
spec:
  scaleTargetRef:
    name: worker
  maxReplicaCount: 10
  triggers:
    - type: prometheus
      metadata:
        serverAddress: http://prometheus:9090
        query: sum(jobs_waiting)
        threshold: "20"
        activationThreshold: "1"
`
	sos, err := ParseScaledObjects("worker.yaml", strings.NewReader(src), DefaultOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	s := sos[0].Spec
	t := s.Triggers[0]
	fmt.Println(sos[0].Name, s.MinReplicaCount, s.MaxReplicaCount, s.PollingInterval, s.CooldownPeriod)
	fmt.Println(t.MetricName, t.MetricType, t.TargetMilli, t.Activation)

	_, err = ParseScaledObjects("worker.yaml", strings.NewReader(strings.Replace(src, `threshold: "20"`, `threshold: 20`, 1)), DefaultOptions())
	fmt.Println(err)
	// Output:
	// worker 0 10 30s 5m0s
	// s0-prometheus AverageValue 20000 1
	// worker.yaml:14:20: spec.triggers[0].metadata.threshold: wrong type: got an integer (20), expected a string (quote the value)
}

// An alias bomb in the free-form status is cut off by the node budget.
func TestParseScaledObjectsAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString(soDoc("", "triggers:\n"+promTrigger))
	b.WriteString("status:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		prev := fmt.Sprintf("*a%d", i-1)
		fmt.Fprintf(&b, "  a%d: &a%d [%s%s]\n", i, i, strings.Repeat(prev+", ", 9), prev)
	}
	start := time.Now()
	_, err := ParseScaledObjects("bomb.yaml", strings.NewReader(b.String()), DefaultOptions())
	if err == nil || !strings.Contains(err.Error(), "too many YAML nodes") {
		t.Fatalf("error = %v, want too many YAML nodes", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}
