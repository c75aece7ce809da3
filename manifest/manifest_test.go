package manifest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func parseFile(t *testing.T, path string, opt Options) []HPA {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hpas, err := ParseHPAs(path, strings.NewReader(string(src)), opt)
	if err != nil {
		t.Fatalf("ParseHPAs: %v", err)
	}
	return hpas
}

func parseString(src string) ([]HPA, error) {
	return ParseHPAs("test.yaml", strings.NewReader(src), DefaultOptions())
}

// summary is what the example tests compare of an HPA.
type summary struct {
	Name, Namespace string
	Line            int
	Spec            hpa.Spec
}

func summarize(hpas []HPA) []summary {
	var out []summary
	for _, h := range hpas {
		out = append(out, summary{h.Name, h.Namespace, h.Line, h.Spec})
	}
	return out
}

func TestParseHPAsExamples(t *testing.T) {
	cpu := func(percent int32) hpa.Metric {
		return hpa.Metric{Type: hpa.Resource, Name: "cpu", Target: hpa.Utilization, TargetUtilization: percent}
	}
	defaultTolerance := hpa.Tolerance{Down: hpa.DefaultTolerance, Up: hpa.DefaultTolerance}
	tests := []struct {
		file string
		want []summary
	}{
		{
			file: "kafka-consumer.yaml",
			want: []summary{{
				Name: "orders-consumer", Namespace: "payments", Line: 4,
				Spec: hpa.Spec{
					MinReplicas: 3,
					MaxReplicas: 24,
					Metrics: []hpa.Metric{
						{Type: hpa.External, Name: "kafka_consumergroup_lag", Target: hpa.AverageValue, TargetMilli: 1_000_000},
						cpu(75),
					},
					Tolerance: defaultTolerance,
					Behavior: &hpa.Behavior{
						ScaleUp: hpa.DefaultBehavior().ScaleUp,
						ScaleDown: hpa.Rules{
							StabilizationWindow: 10 * time.Minute,
							SelectPolicy:        hpa.MaxChange,
							Policies:            []hpa.Policy{{Type: hpa.PodsPolicy, Value: 2, Period: time.Minute}},
						},
					},
				},
			}},
		},
		{
			file: "gateway.yaml",
			want: []summary{{
				Name: "api-gateway", Namespace: "edge", Line: 3,
				Spec: hpa.Spec{
					MinReplicas: 4,
					MaxReplicas: 60,
					Metrics:     []hpa.Metric{cpu(60)},
					Tolerance:   hpa.Tolerance{Down: 0.2, Up: 0.05},
					Behavior: &hpa.Behavior{
						ScaleUp: hpa.Rules{
							StabilizationWindow: 0,
							SelectPolicy:        hpa.MaxChange,
							Policies: []hpa.Policy{
								{Type: hpa.PercentPolicy, Value: 200, Period: 30 * time.Second},
								{Type: hpa.PodsPolicy, Value: 10, Period: 30 * time.Second},
							},
						},
						ScaleDown: hpa.Rules{
							StabilizationWindow: 15 * time.Minute,
							SelectPolicy:        hpa.MinChange,
							Policies: []hpa.Policy{
								{Type: hpa.PercentPolicy, Value: 10, Period: time.Minute},
								{Type: hpa.PodsPolicy, Value: 3, Period: time.Minute},
							},
						},
					},
				},
			}},
		},
		{
			file: "no-behavior.yaml",
			want: []summary{{
				Name: "search-api", Namespace: "search", Line: 5,
				Spec: hpa.Spec{
					MinReplicas: 1,
					MaxReplicas: 12,
					Metrics: []hpa.Metric{
						cpu(70),
						{Type: hpa.Resource, Name: "memory", Target: hpa.AverageValue, TargetMilli: 1536 << 20 * 1000},
					},
					Tolerance:             defaultTolerance,
					LegacyDownscaleWindow: hpa.DefaultDownscaleStabilizationWindow,
				},
			}},
		},
		{
			file: "multi-document.yaml",
			want: []summary{{
				Name: "frontend", Namespace: "shop", Line: 40,
				Spec: hpa.Spec{
					MinReplicas: 2,
					MaxReplicas: 20,
					Metrics:     []hpa.Metric{{Type: hpa.Pods, Name: "http_requests_per_second", Target: hpa.AverageValue, TargetMilli: 100_000}},
					Tolerance:   defaultTolerance,
					Behavior:    hpa.DefaultBehavior(),
				},
			}},
		},
		{
			file: "scale-to-zero.yaml",
			want: []summary{{
				Name: "thumbnail-worker", Namespace: "media", Line: 5,
				Spec: hpa.Spec{
					MinReplicas:           0,
					MaxReplicas:           40,
					Metrics:               []hpa.Metric{{Type: hpa.External, Name: "sqs_messages_visible", Target: hpa.Value, TargetMilli: 30_000}},
					Tolerance:             defaultTolerance,
					LegacyDownscaleWindow: hpa.DefaultDownscaleStabilizationWindow,
				},
			}},
		},
	}
	files, _ := filepath.Glob("../testdata/hpa/*.yaml")
	if len(files) != len(tests) {
		t.Errorf("../testdata/hpa has %d files, the test covers %d", len(files), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			hpas := parseFile(t, filepath.Join("..", "testdata", "hpa", tt.file), DefaultOptions())
			if diff := cmp.Diff(tt.want, summarize(hpas)); diff != "" {
				t.Errorf("ParseHPAs mismatch (-want +got):\n%s", diff)
			}
			for _, h := range hpas {
				if h.Object == nil || h.Object.Name != h.Name || h.Object.Spec.MinReplicas == nil {
					t.Errorf("%s: Object missing or not defaulted: %+v", h.Name, h.Object)
				}
			}
		})
	}
}

// The options reach the spec: both tolerances and the window on the legacy
// path, the window of a behavior that leaves scale-down's unset, and a
// behavior's own tolerance beats the option.
func TestParseHPAsOptions(t *testing.T) {
	opt := Options{Tolerance: 0.02, DownscaleStabilizationWindow: 90 * time.Second}
	legacy := parseFile(t, "../testdata/hpa/no-behavior.yaml", opt)[0].Spec
	if legacy.Tolerance != (hpa.Tolerance{Down: 0.02, Up: 0.02}) || legacy.LegacyDownscaleWindow != 90*time.Second {
		t.Errorf("legacy spec: Tolerance %+v, LegacyDownscaleWindow %v; want 0.02 both sides and 1m30s", legacy.Tolerance, legacy.LegacyDownscaleWindow)
	}
	defaulted := parseFile(t, "../testdata/hpa/multi-document.yaml", opt)[0].Spec
	if defaulted.Behavior.ScaleDown.StabilizationWindow != 90*time.Second || defaulted.LegacyDownscaleWindow != 0 {
		t.Errorf("behavior: {} gives scale-down window %v and legacy window %v, want 1m30s and 0",
			defaulted.Behavior.ScaleDown.StabilizationWindow, defaulted.LegacyDownscaleWindow)
	}
	gateway := parseFile(t, "../testdata/hpa/gateway.yaml", opt)[0].Spec
	if gateway.Tolerance != (hpa.Tolerance{Down: 0.2, Up: 0.05}) {
		t.Errorf("gateway tolerance %+v, want the manifest's {Down:0.2 Up:0.05}", gateway.Tolerance)
	}
	kafka := parseFile(t, "../testdata/hpa/kafka-consumer.yaml", opt)[0].Spec
	if kafka.Tolerance != (hpa.Tolerance{Down: 0.02, Up: 0.02}) {
		t.Errorf("kafka tolerance %+v, want the option's 0.02 on both sides (behavior sets none)", kafka.Tolerance)
	}
}

func TestParseHPAsInvalidOptions(t *testing.T) {
	for _, opt := range []Options{
		{Tolerance: -1, DownscaleStabilizationWindow: time.Minute},
		{Tolerance: 0.1, DownscaleStabilizationWindow: -time.Second},
		{Tolerance: 0.1, DownscaleStabilizationWindow: 10 * time.Millisecond},
	} {
		if _, err := ParseHPAs("x.yaml", strings.NewReader(""), opt); err == nil || !strings.HasPrefix(err.Error(), "manifest: invalid Options.") {
			t.Errorf("ParseHPAs with %+v: error %v, want an invalid Options error", opt, err)
		}
	}
}

const minimalHPA = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: %s
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 5
`

func hpaDoc(name string) string { return strings.Replace(minimalHPA, "%s", name, 1) }

func TestParseHPAsDocuments(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		wantNames []string
		wantLines []int
	}{
		{name: "empty input", src: ""},
		{name: "only comments", src: "# nothing here\n"},
		{name: "empty documents", src: "---\n---\n\n---\n"},
		{name: "null document", src: "~\n"},
		{name: "one HPA", src: hpaDoc("a"), wantNames: []string{"a"}, wantLines: []int{1}},
		{
			name:      "other kinds skipped, order kept",
			src:       "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\n" + hpaDoc("a") + "---\n# comment\n" + hpaDoc("b") + "---\napiVersion: apps/v1\nkind: Deployment\nfoo: bar\n",
			wantNames: []string{"a", "b"},
			wantLines: []int{5, 14},
		},
		{
			name:      "List items",
			src:       "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(strings.TrimSuffix(hpaDoc("a"), "\n"), "\n", "\n  ") + "\n- apiVersion: v1\n  kind: Service\n",
			wantNames: []string{"a"},
			wantLines: []int{4},
		},
		{name: "empty List", src: "apiVersion: v1\nkind: List\nitems: []\n"},
		{name: "a List of another group is just another kind", src: "apiVersion: example.com/v1\nkind: List\nitems: 3\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hpas, err := parseString(tt.src)
			if err != nil {
				t.Fatalf("ParseHPAs: %v", err)
			}
			var names []string
			var lines []int
			for _, h := range hpas {
				names = append(names, h.Name)
				lines = append(lines, h.Line)
			}
			if diff := cmp.Diff(tt.wantNames, names); diff != "" {
				t.Errorf("names mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantLines, lines); diff != "" {
				t.Errorf("lines mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// What `kubectl get hpa -o yaml` prints must be accepted: server-set
// metadata, managedFields, status, timestamps, annotations.
func TestParseHPAsServerOutput(t *testing.T) {
	src := `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler"}
  creationTimestamp: "2026-03-02T09:15:27Z"
  generation: 3
  labels:
    app: web
  managedFields:
  - apiVersion: autoscaling/v2
    fieldsType: FieldsV1
    fieldsV1:
      f:spec:
        f:maxReplicas: {}
        f:metrics: {}
    manager: kubectl-client-side-apply
    operation: Update
    time: 2026-03-02T09:15:27Z
  name: web
  namespace: shop
  resourceVersion: "48213"
  uid: 0b1e6f0c-2f57-4a52-a1f4-3d4b7a0c9e11
spec:
  maxReplicas: 10
  metrics:
  - resource:
      name: cpu
      target:
        averageUtilization: 70
        type: Utilization
    type: Resource
  minReplicas: 2
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
status:
  conditions:
  - lastTransitionTime: "2026-03-02T09:15:42Z"
    message: recommended size matches current size
    reason: ReadyForNewScale
    status: "True"
    type: AbleToScale
  currentMetrics:
  - resource:
      current:
        averageUtilization: 41
        averageValue: 205m
      name: cpu
    type: Resource
  currentReplicas: 2
  desiredReplicas: 2
`
	hpas, err := parseString(src)
	if err != nil {
		t.Fatalf("ParseHPAs: %v", err)
	}
	if len(hpas) != 1 {
		t.Fatalf("got %d HPAs, want 1", len(hpas))
	}
	o := hpas[0].Object
	if o.UID != "0b1e6f0c-2f57-4a52-a1f4-3d4b7a0c9e11" || o.Status.CurrentMetrics[0].Resource.Current.AverageValue.MilliValue() != 205 ||
		o.ManagedFields[0].Time.Unix() != 1772442927 || o.Generation != 3 {
		t.Errorf("server fields not decoded: %+v", o)
	}
}

// Quantities may be written as strings or YAML numbers, as kubectl accepts
// them.
func TestParseHPAsQuantityForms(t *testing.T) {
	tests := []struct {
		value string
		want  int64
	}{
		{`"100m"`, 100},
		{`100m`, 100},
		{`2`, 2000},
		{`0.5`, 500},
		{`1e3`, 1_000_000},
		{`"1.5k"`, 1_500_000},
		{`1Ki`, 1_024_000},
		{`0x10`, 16_000},
		{`"1500u"`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			src := hpaDoc("web") + "  minReplicas: 0\n  metrics:\n  - type: External\n    external:\n      metric: {name: q}\n      target: {type: Value, value: " + tt.value + "}\n"
			hpas, err := parseString(src)
			if err != nil {
				t.Fatalf("ParseHPAs: %v", err)
			}
			if got := hpas[0].Spec.Metrics[0].TargetMilli; got != tt.want {
				t.Errorf("TargetMilli = %d, want %d", got, tt.want)
			}
		})
	}
}

// Integers written as whole floats pass, as kubectl turns YAML into JSON
// through float64; fractions and numbers for strings do not.
func TestParseHPAsNumberForms(t *testing.T) {
	tests := []struct {
		maxReplicas string
		want        int32
		wantErr     string
	}{
		{maxReplicas: "10", want: 10},
		{maxReplicas: "10.0", want: 10},
		{maxReplicas: "1e1", want: 10},
		{maxReplicas: "0x0A", want: 10},
		{maxReplicas: "10.5", wantErr: "test.yaml:7:16: spec.maxReplicas: wrong type: got a number (10.5), expected an integer (int32)"},
		{maxReplicas: "1e10", wantErr: "test.yaml:7:16: spec.maxReplicas: integer 1e10 out of range, expected an integer (int32)"},
		{maxReplicas: "-2147483649", wantErr: "test.yaml:7:16: spec.maxReplicas: integer -2147483649 out of range, expected an integer (int32)"},
		{maxReplicas: ".inf", wantErr: "test.yaml:7:16: spec.maxReplicas: wrong type: got a number (.inf), expected an integer (int32)"},
		{maxReplicas: `"10"`, wantErr: `test.yaml:7:16: spec.maxReplicas: wrong type: got a string ("10"), expected an integer (int32)`},
		{maxReplicas: "true", wantErr: "test.yaml:7:16: spec.maxReplicas: wrong type: got a boolean (true), expected an integer (int32)"},
	}
	for _, tt := range tests {
		t.Run(tt.maxReplicas, func(t *testing.T) {
			hpas, err := parseString(strings.Replace(hpaDoc("web"), "maxReplicas: 5", "maxReplicas: "+tt.maxReplicas, 1))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("error = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseHPAs: %v", err)
			}
			if got := hpas[0].Spec.MaxReplicas; got != tt.want {
				t.Errorf("MaxReplicas = %d, want %d", got, tt.want)
			}
		})
	}
}

// Anchors and aliases are plain YAML and work anywhere but as merge keys.
func TestParseHPAsAliases(t *testing.T) {
	src := hpaDoc("web") + `  behavior:
    scaleUp:
      policies: &policies
        - {type: Pods, value: 2, periodSeconds: 60}
    scaleDown:
      policies: *policies
`
	hpas, err := parseString(src)
	if err != nil {
		t.Fatalf("ParseHPAs: %v", err)
	}
	want := []hpa.Policy{{Type: hpa.PodsPolicy, Value: 2, Period: time.Minute}}
	if diff := cmp.Diff(want, hpas[0].Spec.Behavior.ScaleDown.Policies); diff != "" {
		t.Errorf("scaleDown policies mismatch (-want +got):\n%s", diff)
	}
}

// An alias bomb (10^9 nodes once expanded) in free-form content is cut off
// by the node budget with an error.
func TestParseHPAsAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n")
	b.WriteString("  managedFields:\n  - fieldsType: FieldsV1\n    fieldsV1:\n")
	b.WriteString("      a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		prev := fmt.Sprintf("*a%d", i-1)
		fmt.Fprintf(&b, "      a%d: &a%d [%s%s]\n", i, i, strings.Repeat(prev+", ", 9), prev)
	}
	b.WriteString("spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 5\n")
	start := time.Now()
	_, err := parseString(b.String())
	if err == nil || !strings.Contains(err.Error(), "too many YAML nodes") {
		t.Fatalf("error = %v, want too many YAML nodes", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

// Every error is an *Error with position and path; validation errors wrap
// the API server's *field.Error.
func TestErrorFields(t *testing.T) {
	src := hpaDoc("web") + "  minReplicas: 7\n  behavior:\n    scaleUp:\n      selectPolicy: Maximum\n  metric: []\n"
	_, err := parseString(src)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *Error", err)
	}
	want := Error{File: "test.yaml", Line: 12, Column: 3, Path: "spec.metric"}
	got := Error{File: e.File, Line: e.Line, Column: e.Column, Path: e.Path}
	if got != want {
		t.Errorf("strict error = %+v, want %+v", got, want)
	}

	_, err = parseString(strings.Replace(src, "  metric: []\n", "", 1))
	errs := err.(interface{ Unwrap() []error }).Unwrap()
	if len(errs) != 2 {
		t.Fatalf("got %d errors, want 2: %v", len(errs), err)
	}
	var fe *field.Error
	if !errors.As(errs[0], &fe) || fe.Type != field.ErrorTypeInvalid || fe.Field != "spec.maxReplicas" {
		t.Errorf("first error %v does not wrap the Invalid spec.maxReplicas field error", errs[0])
	}
	if !errors.As(errs[1], &e) || e.Line != 11 || e.Column != 21 || e.Path != "spec.behavior.scaleUp.selectPolicy" {
		t.Errorf("second error %+v, want spec.behavior.scaleUp.selectPolicy at 11:21", e)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{File: "a.yaml", Line: 3, Column: 5, Path: "spec.x", Err: errors.New("bad")}, "a.yaml:3:5: spec.x: bad"},
		{Error{File: "a.yaml", Line: 3, Err: errors.New("bad")}, "a.yaml:3: bad"},
		{Error{File: "a.yaml", Err: errors.New("bad")}, "a.yaml: bad"},
		{Error{Line: 3, Column: 5, Path: "spec.x", Err: errors.New("bad")}, "3:5: spec.x: bad"},
		{Error{Path: "spec.maxReplicas", Err: field.Required(field.NewPath("spec", "maxReplicas"), "must be set")}, "spec.maxReplicas: Required value: must be set"},
		{Error{Err: nil}, "unknown error"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestSyntaxErrorLines(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"scanner error", "a: 1\nb: 2\nc: 3\n  d: 4\n", "test.yaml:4: malformed YAML: mapping values are not allowed in this context"},
		{"parser error reported 0-based", "a: 1\nb: 2\n- c\n", "test.yaml:3: malformed YAML: did not find expected key"},
		{"unclosed flow mapping", "a: 1\nb: {c: 1\nd: 2\n", "test.yaml:2: malformed YAML: did not find expected ',' or '}'"},
		{"error on the first line", "\ta: 1\n", "test.yaml:1: malformed YAML: found character that cannot start any token"},
		{"unknown anchor", "a: 1\nb: 2\nc: *nope\n", "test.yaml:3: malformed YAML: unknown anchor 'nope' referenced"},
		{"control character", "a: 1\nb: 2\nc: \x01\n", "test.yaml:3: malformed YAML: control characters are not allowed"},
		{"invalid UTF-8", "a: 1\nb: \xff\n", "test.yaml:2: malformed YAML: invalid leading UTF-8 octet"},
		{"in a later document", hpaDoc("a") + "---\nx: [\n", "test.yaml:9: malformed YAML: did not find expected node content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseString(tt.src)
			if err == nil {
				t.Fatal("ParseHPAs succeeded, want an error")
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q, want %q", err, tt.want)
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestParseHPAsReadError(t *testing.T) {
	_, err := ParseHPAs("in.yaml", failingReader{}, DefaultOptions())
	if !errors.Is(err, io.ErrUnexpectedEOF) || err.Error() != "in.yaml: unexpected EOF" {
		t.Errorf("error = %v, want in.yaml: unexpected EOF wrapping io.ErrUnexpectedEOF", err)
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"maxReplica", "maxReplicas", 1},
		{"stabilisationWindowSeconds", "stabilizationWindowSeconds", 1},
		{"kitten", "sitting", 3},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
