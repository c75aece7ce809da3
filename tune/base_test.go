package tune

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/manifest"
	"github.com/google/go-cmp/cmp"
)

var updateSpace = flag.Bool("update-space", false, "rewrite the .golden files of testdata/space")

// The manifests the tests bind: the bundled example (one kafka trigger),
// a ScaledObject with a kafka and a prometheus trigger, an HPA with an
// External and a Resource metric, and a ScaledObject with scalingModifiers.
const (
	ordersFile  = "../cmd/replay/example/orders-consumer.yaml"
	soFile      = "testdata/space/so.yaml"
	hpaFile     = "testdata/space/hpa.yaml"
	formulaFile = "../testdata/keda/formula.yaml"
)

func readBase(t *testing.T, file string) *Base {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBase(file, data, "", manifest.DefaultOptions())
	if err != nil {
		t.Fatalf("NewBase: %v", err)
	}
	return b
}

func stringBase(t *testing.T, src string) *Base {
	t.Helper()
	b, err := NewBase("base.yaml", []byte(src), "", manifest.DefaultOptions())
	if err != nil {
		t.Fatalf("NewBase: %v", err)
	}
	return b
}

// flags parses --param flags.
func flags(t *testing.T, args ...string) []Param {
	t.Helper()
	params := make([]Param, len(args))
	for i, a := range args {
		p, err := ParseParam(a)
		if err != nil {
			t.Fatal(err)
		}
		params[i] = p
	}
	return params
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Small manifests for the selection tests.
const (
	hpaA = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: a}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: a}
  maxReplicas: 5
`
	soB = `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: b}
spec:
  scaleTargetRef: {name: b}
  triggers:
    - type: cpu
      metricType: Utilization
      metadata: {value: "60"}
  minReplicaCount: 1
`
	deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
`
)

func TestNewBase(t *testing.T) {
	multi := deployment + "---\n" + hpaA + "---\n" + soB
	tests := []struct {
		name, src, pick string
		kind, want      string
	}{
		{"only", hpaA, "", kindHPA, "a"},
		{"only, named", hpaA, "a", kindHPA, "a"},
		{"with other kinds", deployment + "---\n" + soB, "", kindScaledObject, "b"},
		{"pick HPA", multi, "a", kindHPA, "a"},
		{"pick ScaledObject", multi, "b", kindScaledObject, "b"},
	}
	for _, tt := range tests {
		b, err := NewBase("base.yaml", []byte(tt.src), tt.pick, manifest.DefaultOptions())
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if b.Kind() != tt.kind || b.Name() != tt.want {
			t.Errorf("%s: got %s %s, want %s %s", tt.name, b.Kind(), b.Name(), tt.kind, tt.want)
		}
		cfg := b.Config()
		if (cfg.HPA != nil) != (tt.kind == kindHPA) || (cfg.ScaledObject != nil) == (tt.kind == kindHPA) {
			t.Errorf("%s: Config sets HPA %v, ScaledObject %v", tt.name, cfg.HPA != nil, cfg.ScaledObject != nil)
		}
		// The document is the object alone, and reads back as the same spec.
		doc := b.Document()
		again, err := b.parseBytes(doc, "again.yaml")
		if err != nil || bytes.HasPrefix(doc, []byte("---")) {
			t.Errorf("%s: Document %q: %v", tt.name, doc, err)
		} else if diff := cmp.Diff(cfg, again); diff != "" {
			t.Errorf("%s: Document reads back differently (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestNewBaseExample(t *testing.T) {
	data, err := os.ReadFile(ordersFile)
	if err != nil {
		t.Fatal(err)
	}
	b := readBase(t, ordersFile)
	if b.Kind() != "ScaledObject" || b.Name() != "orders-consumer" {
		t.Errorf("got %s %s, want ScaledObject orders-consumer", b.Kind(), b.Name())
	}
	// The example is written as the encoder writes: it comes back as is.
	if diff := cmp.Diff(string(data), string(b.Document())); diff != "" {
		t.Errorf("Document mismatch (-want +got):\n%s", diff)
	}
	sos, err := manifest.ParseScaledObjects(ordersFile, bytes.NewReader(data), manifest.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&sos[0].Spec, b.Config().ScaledObject); diff != "" {
		t.Errorf("Config mismatch (-want +got):\n%s", diff)
	}
}

func TestNewBaseErrors(t *testing.T) {
	multi := hpaA + "---\n" + soB
	list := "apiVersion: v1\nkind: List\nitems:\n  - " + strings.ReplaceAll(strings.TrimSpace(soB), "\n", "\n    ") + "\n"
	tests := []struct {
		name, src, pick, want string
	}{
		{"none", deployment, "", "base.yaml: no HorizontalPodAutoscaler (autoscaling/v2) or ScaledObject (keda.sh/v1alpha1)"},
		{"empty", "", "x", "base.yaml: no HorizontalPodAutoscaler (autoscaling/v2) or ScaledObject (keda.sh/v1alpha1)"},
		{"several", multi, "", "base.yaml holds HorizontalPodAutoscaler a, ScaledObject b: choose one with --name"},
		{"not found", multi, "c", `--name "c": no such object; base.yaml holds HorizontalPodAutoscaler a, ScaledObject b`},
		{"same name", hpaA + "---\n" + strings.Replace(soB, "name: b}\nspec", "name: a}\nspec", 1), "a",
			`--name "a": base.yaml holds several objects of that name (HorizontalPodAutoscaler a, ScaledObject a): keep one of them in the file tune reads`},
		{"list", list, "", "base.yaml:4: ScaledObject b is an item of a v1 List: tune needs the object as its own YAML document"},
	}
	for _, tt := range tests {
		_, err := NewBase("base.yaml", []byte(tt.src), tt.pick, manifest.DefaultOptions())
		if diff := cmp.Diff(tt.want, errorText(err)); diff != "" {
			t.Errorf("%s: NewBase error mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestNewBaseManifestError checks that the manifest package's errors come
// back as they are.
func TestNewBaseManifestError(t *testing.T) {
	for _, src := range []string{
		strings.Replace(hpaA, "maxReplicas: 5", "maxReplicas: 0", 1),
		soB + "  pollingInterval: x\n",
		"a: [\n",
	} {
		_, want := manifest.ParseHPAs("base.yaml", strings.NewReader(src), manifest.DefaultOptions())
		if want == nil {
			_, want = manifest.ParseScaledObjects("base.yaml", strings.NewReader(src), manifest.DefaultOptions())
		}
		_, err := NewBase("base.yaml", []byte(src), "", manifest.DefaultOptions())
		var me *manifest.Error
		if want == nil || !errors.As(err, &me) || err.Error() != want.Error() {
			t.Errorf("NewBase error %v, want the manifest package's %v", err, want)
		}
	}
	_, err := NewBase("base.yaml", []byte(hpaA), "", manifest.Options{Tolerance: -1})
	if diff := cmp.Diff("manifest: invalid Options.Tolerance -1, expected a finite number >= 0", errorText(err)); diff != "" {
		t.Errorf("NewBase with bad options error mismatch (-want +got):\n%s", diff)
	}
}

// Manifests whose triggers or metrics are named by index.
const (
	twoPrometheus = `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: twins}
spec:
  scaleTargetRef: {name: twins}
  triggers:
    - type: prometheus
      metadata: &m {serverAddress: "http://p:9090", query: a, threshold: "10"}
    - type: prometheus
      metadata: *m
    - type: cron
      metadata: {timezone: UTC, start: 0 8 * * *, end: 0 18 * * *, desiredReplicas: "3"}
    - type: cpu
      name: cpu-load
      metricType: Utilization
      metadata: {value: "60"}
`
	twoQueues = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: q}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: q}
  maxReplicas: 5
  metrics:
    - type: External
      external:
        metric: {name: depth, selector: {matchLabels: {queue: a}}}
        target: {type: Value, value: 100}
    - type: External
      external:
        metric: {name: depth, selector: {matchLabels: {queue: b}}}
        target: {type: AverageValue, averageValue: 500m}
    - type: Pods
      pods:
        metric: {name: rps}
        target: {type: AverageValue, averageValue: "10"}
`
)

func TestBindNames(t *testing.T) {
	behavior := "spec.advanced.horizontalPodAutoscalerConfig.behavior."
	tests := []struct {
		file, src string // the manifest: a file, else src
		name      string
		want      string // the field
		kind      valueKind
	}{
		{file: soFile, name: "triggers.lag.threshold", want: "spec.triggers[0].metadata.lagThreshold", kind: stringValue},
		{file: soFile, name: "triggers[0].threshold", want: "spec.triggers[0].metadata.lagThreshold", kind: stringValue},
		{file: soFile, name: "triggers.lag.activation", want: "spec.triggers[0].metadata.activationLagThreshold", kind: stringValue},
		{file: soFile, name: "triggers.lag.metadata.topic", want: "spec.triggers[0].metadata.topic", kind: stringValue},
		{file: soFile, name: "triggers.prometheus.threshold", want: "spec.triggers[1].metadata.threshold", kind: stringValue},
		{file: soFile, name: "triggers[1].activation", want: "spec.triggers[1].metadata.activationThreshold", kind: stringValue},
		{file: soFile, name: "triggers.prometheus.metadata.ignoreNullValues", want: "spec.triggers[1].metadata.ignoreNullValues", kind: stringValue},
		{file: soFile, name: "triggers.prometheus.metadata.a.b", want: "spec.triggers[1].metadata.a.b", kind: stringValue},
		{file: soFile, name: "pollingInterval", want: "spec.pollingInterval", kind: intValue},
		{file: soFile, name: "cooldownPeriod", want: "spec.cooldownPeriod", kind: intValue},
		{file: soFile, name: "initialCooldownPeriod", want: "spec.initialCooldownPeriod", kind: intValue},
		{file: soFile, name: "minReplicaCount", want: "spec.minReplicaCount", kind: intValue},
		{file: soFile, name: "minReplicas", want: "spec.minReplicaCount", kind: intValue},
		{file: soFile, name: "maxReplicaCount", want: "spec.maxReplicaCount", kind: intValue},
		{file: soFile, name: "maxReplicas", want: "spec.maxReplicaCount", kind: intValue},
		{file: soFile, name: "fallback.failureThreshold", want: "spec.fallback.failureThreshold", kind: intValue},
		{file: soFile, name: "fallback.replicas", want: "spec.fallback.replicas", kind: intValue},
		{file: soFile, name: "scaleUp.stabilizationWindowSeconds", want: behavior + "scaleUp.stabilizationWindowSeconds", kind: intValue},
		{file: soFile, name: "scaleUp.window", want: behavior + "scaleUp.stabilizationWindowSeconds", kind: intValue},
		{file: soFile, name: "scaleDown.stabilizationWindowSeconds", want: behavior + "scaleDown.stabilizationWindowSeconds", kind: intValue},
		{file: soFile, name: "scaleDown.window", want: behavior + "scaleDown.stabilizationWindowSeconds", kind: intValue},
		{file: soFile, name: "scaleUp.policies[0].value", want: behavior + "scaleUp.policies[0].value", kind: intValue},
		{file: soFile, name: "scaleUp.policies[0].periodSeconds", want: behavior + "scaleUp.policies[0].periodSeconds", kind: intValue},
		{file: formulaFile, name: "scalingModifiers.target", want: "spec.advanced.scalingModifiers.target", kind: stringValue},
		{file: formulaFile, name: "scalingModifiers.activationTarget", want: "spec.advanced.scalingModifiers.activationTarget", kind: stringValue},
		{file: formulaFile, name: "triggers.error_rate.threshold", want: "spec.triggers[1].metadata.threshold", kind: stringValue},
		{file: ordersFile, name: "triggers.lag.threshold", want: "spec.triggers[0].metadata.lagThreshold", kind: stringValue},
		{src: twoPrometheus, name: "triggers[0].threshold", want: "spec.triggers[0].metadata.threshold", kind: stringValue},
		{src: twoPrometheus, name: "triggers.cron.metadata.desiredReplicas", want: "spec.triggers[2].metadata.desiredReplicas", kind: stringValue},
		{src: twoPrometheus, name: "triggers.cpu-load.threshold", want: "spec.triggers[3].metadata.value", kind: stringValue},
		{file: hpaFile, name: "metrics.queue_depth.target", want: "spec.metrics[0].external.target.averageValue", kind: numberValue},
		{file: hpaFile, name: "metrics[0].target", want: "spec.metrics[0].external.target.averageValue", kind: numberValue},
		{file: hpaFile, name: "metrics.cpu.target", want: "spec.metrics[1].resource.target.averageUtilization", kind: intValue},
		{file: hpaFile, name: "minReplicas", want: "spec.minReplicas", kind: intValue},
		{file: hpaFile, name: "minReplicaCount", want: "spec.minReplicas", kind: intValue},
		{file: hpaFile, name: "maxReplicas", want: "spec.maxReplicas", kind: intValue},
		{file: hpaFile, name: "maxReplicaCount", want: "spec.maxReplicas", kind: intValue},
		{file: hpaFile, name: "scaleUp.window", want: "spec.behavior.scaleUp.stabilizationWindowSeconds", kind: intValue},
		{file: hpaFile, name: "scaleDown.stabilizationWindowSeconds", want: "spec.behavior.scaleDown.stabilizationWindowSeconds", kind: intValue},
		{file: hpaFile, name: "scaleDown.policies[0].value", want: "spec.behavior.scaleDown.policies[0].value", kind: intValue},
		{file: hpaFile, name: "scaleDown.policies[0].periodSeconds", want: "spec.behavior.scaleDown.policies[0].periodSeconds", kind: intValue},
		{src: twoQueues, name: "metrics[0].target", want: "spec.metrics[0].external.target.value", kind: numberValue},
		{src: twoQueues, name: "metrics[1].target", want: "spec.metrics[1].external.target.averageValue", kind: numberValue},
		{src: twoQueues, name: "metrics.rps.target", want: "spec.metrics[2].pods.target.averageValue", kind: numberValue},
	}
	for _, tt := range tests {
		var b *Base
		if tt.file != "" {
			b = readBase(t, tt.file)
		} else {
			b = stringBase(t, tt.src)
		}
		bd, err := b.Bind([]Param{{Name: tt.name, Values: []float64{1}}})
		if err != nil {
			t.Errorf("%s: Bind: %v", tt.name, err)
			continue
		}
		if got := fieldPath(bd.fields[0].steps); got != tt.want || bd.fields[0].kind != tt.kind {
			t.Errorf("%s: binds %s (kind %d), want %s (kind %d)", tt.name, got, bd.fields[0].kind, tt.want, tt.kind)
		}
	}
}

func TestBindErrors(t *testing.T) {
	const soNames = "triggers.lag.threshold, triggers.lag.activation, triggers.lag.metadata.KEY, " +
		"triggers.prometheus.threshold, triggers.prometheus.activation, triggers.prometheus.metadata.KEY, " +
		"pollingInterval, cooldownPeriod, initialCooldownPeriod, minReplicaCount, maxReplicaCount, " +
		"fallback.failureThreshold, fallback.replicas, scaleUp.stabilizationWindowSeconds, " +
		"scaleUp.policies[0].value, scaleUp.policies[0].periodSeconds, scaleDown.stabilizationWindowSeconds " +
		"(aliases maxReplicas, minReplicas, scaleDown.window, scaleUp.window)"
	const hpaNames = "metrics.queue_depth.target, metrics.cpu.target, minReplicas, maxReplicas, " +
		"scaleUp.stabilizationWindowSeconds, scaleDown.stabilizationWindowSeconds, " +
		"scaleDown.policies[0].value, scaleDown.policies[0].periodSeconds " +
		"(aliases maxReplicaCount, minReplicaCount, scaleDown.window, scaleUp.window)"
	soBehavior := "spec.advanced.horizontalPodAutoscalerConfig.behavior"
	tests := []struct {
		file, src string
		params    []string
		want      []string
	}{
		// Names.
		{file: soFile, params: []string{"pollingIntervl=30"}, want: []string{
			"--param pollingIntervl: unknown parameter, did you mean pollingInterval? ScaledObject orders-consumer takes " + soNames}},
		{file: soFile, params: []string{"speed=30"}, want: []string{
			"--param speed: unknown parameter; ScaledObject orders-consumer takes " + soNames}},
		{file: soFile, params: []string{"triggers.lag.treshold=30"}, want: []string{
			"--param triggers.lag.treshold: unknown parameter, did you mean triggers.lag.threshold? ScaledObject orders-consumer takes " + soNames}},
		{file: soFile, params: []string{"triggers.lag.metadata.=30"}, want: []string{
			"--param triggers.lag.metadata.: unknown parameter, did you mean triggers.lag.metadata.KEY? ScaledObject orders-consumer takes " + soNames}},
		{file: hpaFile, params: []string{"maxReplica=30"}, want: []string{
			"--param maxReplica: unknown parameter, did you mean maxReplicas? HorizontalPodAutoscaler worker takes " + hpaNames}},
		{file: soFile, params: []string{"triggers.kafka.threshold=30", "triggers[2].activation=1"}, want: []string{
			"--param triggers.kafka.threshold: no trigger triggers.kafka: the triggers of ScaledObject orders-consumer are triggers.lag (triggers[0], kafka), triggers.prometheus (triggers[1], prometheus)",
			"--param triggers[2].activation: no trigger triggers[2]: the triggers of ScaledObject orders-consumer are triggers.lag (triggers[0], kafka), triggers.prometheus (triggers[1], prometheus)"}},
		{src: twoPrometheus, params: []string{"triggers.prometheus.threshold=30"}, want: []string{
			"--param triggers.prometheus.threshold: no trigger triggers.prometheus: the triggers of ScaledObject twins are triggers[0] (prometheus), triggers[1] (prometheus), triggers.cron (triggers[2], cron), triggers.cpu-load (triggers[3], cpu)"}},
		{file: hpaFile, params: []string{"metrics.memory.target=30"}, want: []string{
			"--param metrics.memory.target: no metric metrics.memory: the metrics of HorizontalPodAutoscaler worker are metrics.queue_depth (metrics[0], External), metrics.cpu (metrics[1], Resource)"}},
		{src: hpaA, params: []string{"metrics.cpu.target=30"}, want: []string{
			"--param metrics.cpu.target: no metric metrics.cpu: HorizontalPodAutoscaler a has no metrics"}},
		{src: twoQueues, params: []string{"metrics.depth.target=30"}, want: []string{
			"--param metrics.depth.target: no metric metrics.depth: the metrics of HorizontalPodAutoscaler q are metrics[0] (External), metrics[1] (External), metrics.rps (metrics[2], Pods)"}},
		// Kinds.
		{file: hpaFile, params: []string{"pollingInterval=30", "triggers.lag.threshold=1", "fallback.replicas=1", "scalingModifiers.target=1"}, want: []string{
			"--param pollingInterval: applies to a ScaledObject, and worker is a HorizontalPodAutoscaler",
			"--param triggers.lag.threshold: applies to a ScaledObject, and worker is a HorizontalPodAutoscaler",
			"--param fallback.replicas: applies to a ScaledObject, and worker is a HorizontalPodAutoscaler",
			"--param scalingModifiers.target: applies to a ScaledObject, and worker is a HorizontalPodAutoscaler"}},
		{file: soFile, params: []string{"metrics.cpu.target=30"}, want: []string{
			"--param metrics.cpu.target: applies to a HorizontalPodAutoscaler, and orders-consumer is a ScaledObject: write triggers.T.threshold"}},
		// Triggers without the setting.
		{src: twoPrometheus, params: []string{"triggers.cron.threshold=3", "triggers.cpu-load.activation=3"}, want: []string{
			"--param triggers.cron.threshold: a cron trigger has no threshold: set one of its metadata with triggers.cron.metadata.KEY",
			"--param triggers.cpu-load.activation: a cpu trigger has no activation threshold: set one of its metadata with triggers.cpu-load.metadata.KEY"}},
		// Fields that must be written.
		{file: ordersFile, params: []string{"fallback.replicas=1", "scalingModifiers.target=1", "scaleUp.policies[0].value=1"}, want: []string{
			"--param fallback.replicas: ScaledObject orders-consumer has no spec.fallback: write the fallback in the manifest first",
			"--param scalingModifiers.target: ScaledObject orders-consumer has no spec.advanced.scalingModifiers: write the scalingModifiers (with their formula) in the manifest first",
			"--param scaleUp.policies[0].value: ScaledObject orders-consumer has no " + soBehavior + ".scaleUp.policies[0]: write the policy in the manifest first: tune sets the value or periodSeconds of a policy, it does not add one"}},
		{file: hpaFile, params: []string{"scaleDown.policies[1].periodSeconds=60", "scaleUp.policies[0].value=1"}, want: []string{
			"--param scaleDown.policies[1].periodSeconds: HorizontalPodAutoscaler worker has no spec.behavior.scaleDown.policies[1]: write the policy in the manifest first: tune sets the value or periodSeconds of a policy, it does not add one",
			"--param scaleUp.policies[0].value: HorizontalPodAutoscaler worker has no spec.behavior.scaleUp.policies[0]: write the policy in the manifest first: tune sets the value or periodSeconds of a policy, it does not add one"}},
		{file: soFile, params: []string{"scaleUp.policies[99999999999999999999].value=1"}, want: []string{
			"--param scaleUp.policies[99999999999999999999].value: policy index 99999999999999999999: expected a small integer"}},
		// Aliases and twice the same field.
		{src: twoPrometheus, params: []string{"triggers[1].metadata.query=1"}, want: []string{
			"--param triggers[1].metadata.query: spec.triggers[1].metadata is a YAML alias (*m): write it out in the manifest to tune what is inside"}},
		{file: soFile, params: []string{"minReplicas=1", "triggers.lag.threshold=1", "minReplicaCount=2", "triggers[0].threshold=5"}, want: []string{
			"--param minReplicaCount: sets spec.minReplicaCount, as --param minReplicas does: expected each field once",
			"--param triggers[0].threshold: sets spec.triggers[0].metadata.lagThreshold, as --param triggers.lag.threshold does: expected each field once"}},
		// Values.
		{file: soFile, params: []string{"minReplicaCount=-1,2", "pollingInterval=0.5", "maxReplicas=0"}, want: []string{
			"--param minReplicaCount: value -1: spec.minReplicaCount: Invalid value: -1: should be greater than or equal to 0",
			"--param pollingInterval: value 0.5: spec.pollingInterval takes an integer",
			"--param maxReplicas: value 0: spec.maxReplicaCount: Invalid value: 0: should be greater than or equal to 1"}},
		{file: soFile, params: []string{"triggers.lag.threshold=1000,0,-1", "triggers.lag.activation=2.5", "triggers.prometheus.threshold=0"}, want: []string{
			`--param triggers.lag.threshold: value 0: spec.triggers[0].metadata.lagThreshold: Invalid value: "0": "lagThreshold" must be positive number`,
			`--param triggers.lag.activation: value 2.5: spec.triggers[0].metadata.activationLagThreshold: Invalid value: "2.5": unable to set param "activationLagThreshold" value "2.5": json: cannot unmarshal number 2.5 into Go value of type int64; expected an integer`,
			`--param triggers.prometheus.threshold: value 0: spec.triggers[1].metadata.threshold: Invalid value: "0": the API server rejects the HPA KEDA generates: its target averageValue is 0: must be positive`}},
		{file: soFile, params: []string{"scaleDown.window=0,1h,2h", "fallback.replicas=-1", "scaleUp.policies[0].periodSeconds=1801"}, want: []string{
			"--param scaleDown.window: value 7200: " + soBehavior + ".scaleDown.stabilizationWindowSeconds: Invalid value: 7200: the API server rejects the HPA KEDA generates: must be less than or equal to 3600",
			"--param fallback.replicas: value -1: spec.fallback.replicas: Invalid value: -1: should be greater than or equal to 0",
			"--param scaleUp.policies[0].periodSeconds: value 1801: " + soBehavior + ".scaleUp.policies[0].periodSeconds: Invalid value: 1801: the API server rejects the HPA KEDA generates: must be less than or equal to 1800"}},
		{file: soFile, params: []string{"pollingInterval=3000000000"}, want: []string{
			"--param pollingInterval: value 3000000000: spec.pollingInterval: integer 3000000000 out of range, expected an integer (int32)"}},
		{file: hpaFile, params: []string{"metrics.queue_depth.target=1,-1", "metrics.cpu.target=50.5", "maxReplicas=0", "minReplicas=-1"}, want: []string{
			`--param metrics.queue_depth.target: value -1: spec.metrics[0].external.target.averageValue: Invalid value: "-1": must be positive`,
			"--param metrics.cpu.target: value 50.5: spec.metrics[1].resource.target.averageUtilization takes an integer",
			"--param maxReplicas: value 0: spec.maxReplicas: Required value: must be set and greater than 0",
			"--param minReplicas: value -1: spec.minReplicas: Invalid value: -1: must be greater than or equal to 0"}},
		{file: formulaFile, params: []string{"scalingModifiers.target=0"}, want: []string{
			`--param scalingModifiers.target: value 0: spec.advanced.scalingModifiers.target: Invalid value: "0": error validating target in ScalingModifiers: error converting target for scalingModifiers (string->float) to valid target`}},
	}
	for _, tt := range tests {
		var b *Base
		if tt.file != "" {
			b = readBase(t, tt.file)
		} else {
			b = stringBase(t, tt.src)
		}
		bd, err := b.Bind(flags(t, tt.params...))
		if err == nil {
			t.Errorf("Bind(%q) succeeded, want an error", tt.params)
			continue
		}
		if bd != nil {
			t.Errorf("Bind(%q) returned a binding with its error", tt.params)
		}
		if diff := cmp.Diff(tt.want, strings.Split(err.Error(), "\n")); diff != "" {
			t.Errorf("Bind(%q) error mismatch (-want +got):\n%s", tt.params, diff)
		}
	}
}

// TestBindCombinations checks that a value is checked alone: a replica
// bound crossing the other one, or a metadata value another metadata value
// makes invalid, is left to Config.
func TestBindCombinations(t *testing.T) {
	for _, c := range []struct {
		file   string
		params []string
	}{
		{soFile, []string{"minReplicaCount=1,20", "maxReplicaCount=2,12"}},
		{hpaFile, []string{"minReplicas=1,50", "maxReplicas=1,40"}},
		{soFile, []string{"triggers.lag.metadata.allowIdleConsumers=0,1", "triggers.lag.metadata.limitToPartitionsWithLag=0,1"}},
	} {
		if _, err := readBase(t, c.file).Bind(flags(t, c.params...)); err != nil {
			t.Errorf("Bind(%q): %v", c.params, err)
		}
	}
}

// documentCases are the golden documents of testdata/space: a file, the
// parameters and the value of each.
var documentCases = []struct {
	name, file string
	params     []string
	idx        []int
}{
	{"orders-consumer", ordersFile, []string{
		"triggers.lag.threshold=1000,2000", "triggers.lag.activation=10", "scaleDown.window=5m,10m",
		"scaleUp.window=0", "pollingInterval=15", "minReplicas=2",
	}, []int{1, 0, 1, 0, 0, 0}},
	{"so", soFile, []string{
		"triggers.prometheus.threshold=0.25", "triggers.prometheus.metadata.ignoreNullValues=0",
		"triggers.lag.activation=0", "fallback.replicas=4", "scaleUp.policies[0].value=200",
		"cooldownPeriod=2m", "maxReplicaCount=30",
	}, []int{0, 0, 0, 0, 0, 0, 0}},
	{"hpa", hpaFile, []string{
		"metrics.queue_depth.target=0.5", "metrics.cpu.target=80", "minReplicaCount=1",
		"scaleUp.window=30s", "scaleDown.policies[0].periodSeconds=30",
	}, []int{0, 0, 0, 0, 0}},
	{"formula", formulaFile, []string{
		"scalingModifiers.target=150", "scalingModifiers.activationTarget=0.5", "triggers.request_rate.threshold=50",
	}, []int{0, 0, 0}},
}

// TestBindingDocument compares documents with their golden files. Run
// `go test ./tune -run TestBindingDocument -update-space` to rewrite them.
func TestBindingDocument(t *testing.T) {
	for _, c := range documentCases {
		t.Run(c.name, func(t *testing.T) {
			bd, err := readBase(t, c.file).Bind(flags(t, c.params...))
			if err != nil {
				t.Fatal(err)
			}
			got, err := bd.Document(c.idx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bd.Config(c.idx); err != nil {
				t.Errorf("Config: %v", err)
			}
			golden := filepath.Join("testdata", "space", c.name+".golden")
			if *updateSpace {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update-space to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("Document mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBindingDocumentCreates checks that the mappings of a behavior are
// created where the manifest leaves them out or null, comments kept.
func TestBindingDocumentCreates(t *testing.T) {
	for _, c := range []struct{ behavior, want string }{
		{"", "  behavior:\n    scaleUp:\n      stabilizationWindowSeconds: 60\n"},
		{"  behavior: # none yet\n", "  behavior: # none yet\n    scaleUp:\n      stabilizationWindowSeconds: 60\n"},
		{"  behavior:\n    scaleUp: {}\n", "  behavior:\n    scaleUp: {stabilizationWindowSeconds: 60}\n"},
	} {
		bd, err := stringBase(t, hpaA+c.behavior).Bind(flags(t, "scaleUp.window=1m"))
		if err != nil {
			t.Fatal(err)
		}
		got := string(mustDocument(t, bd, []int{0}))
		if diff := cmp.Diff(hpaA+c.want, got); diff != "" {
			t.Errorf("Document of behavior %q mismatch (-want +got):\n%s", c.behavior, diff)
		}
		cfg, err := bd.Config([]int{0})
		if err != nil || cfg.HPA.Behavior == nil || cfg.HPA.Behavior.ScaleUp.StabilizationWindow != time.Minute {
			t.Errorf("Config of behavior %q: %+v, %v; want a scale-up window of 1m", c.behavior, cfg.HPA, err)
		}
	}
}

func TestBindingDocumentErrors(t *testing.T) {
	bd, err := readBase(t, ordersFile).Bind(flags(t, "minReplicas=1,2", "maxReplicas=10"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		idx  []int
		want string
	}{
		{[]int{0}, "tune: 1 value indices for 2 parameters"},
		{[]int{2, 0}, "tune: value index 2 of parameter minReplicas out of range [0, 2)"},
		{[]int{0, -1}, "tune: value index -1 of parameter maxReplicas out of range [0, 1)"},
	} {
		_, err := bd.Document(c.idx)
		if diff := cmp.Diff(c.want, errorText(err)); diff != "" {
			t.Errorf("Document(%v) error mismatch (-want +got):\n%s", c.idx, diff)
		}
		_, err = bd.Config(c.idx)
		if diff := cmp.Diff(c.want, errorText(err)); diff != "" {
			t.Errorf("Config(%v) error mismatch (-want +got):\n%s", c.idx, diff)
		}
	}
}

// TestBindingDocumentConcurrent renders every point of a grid from 8
// goroutines (run with -race) and compares with a sequential rendering.
func TestBindingDocumentConcurrent(t *testing.T) {
	space := Space{flags(t, "triggers.lag.threshold=500:2000:500", "scaleDown.window=0,5m,10m", "scaleUp.window=0,60", "minReplicas=1,2")}
	n, err := space.Size()
	if err != nil {
		t.Fatal(err)
	}
	bd, err := readBase(t, soFile).Bind(space.Params)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]string, n)
	for i := range n {
		doc, err := bd.Document(space.Point(i, nil))
		if err != nil {
			t.Fatal(err)
		}
		want[i] = string(doc)
	}
	got := make([][]string, 8)
	var wg sync.WaitGroup
	for g := range got {
		got[g] = make([]string, n)
		wg.Go(func() {
			idx := make([]int, len(space.Params))
			for k := range n {
				i := (k + g*5) % n
				doc, err := bd.Document(space.Point(i, idx))
				if err != nil {
					t.Error(err)
					return
				}
				got[g][i] = string(doc)
			}
		})
	}
	wg.Wait()
	for g := range got {
		if diff := cmp.Diff(want, got[g]); diff != "" {
			t.Errorf("goroutine %d: documents mismatch (-want +got):\n%s", g, diff)
		}
	}
	if diff := cmp.Diff(want[0], string(mustDocument(t, bd, []int{0, 0, 0, 0}))); diff != "" {
		t.Errorf("the base changed (-want +got):\n%s", diff)
	}
}

func mustDocument(t *testing.T, bd *Binding, idx []int) []byte {
	t.Helper()
	doc, err := bd.Document(idx)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestBindingConfig(t *testing.T) {
	so, err := readBase(t, ordersFile).Bind(flags(t,
		"triggers.lag.threshold=1000,2000", "triggers.lag.activation=0,100", "scaleDown.window=0,10m", "scaleUp.window=30s", "cooldownPeriod=60"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := so.Config([]int{1, 1, 1, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HPA != nil || cfg.ScaledObject == nil {
		t.Fatalf("Config sets HPA %v, ScaledObject %v; want the ScaledObject only", cfg.HPA != nil, cfg.ScaledObject != nil)
	}
	s := cfg.ScaledObject
	type soGot struct {
		Target, Activation   float64
		TargetMilli          int64
		Cooldown, Down, Up   time.Duration
		Polling              time.Duration
		MinReplicas, Maximum int32
	}
	gotSO := soGot{s.Triggers[0].Target, s.Triggers[0].Activation, s.Triggers[0].TargetMilli, s.CooldownPeriod,
		s.Behavior.ScaleDown.StabilizationWindow, s.Behavior.ScaleUp.StabilizationWindow, s.PollingInterval, s.MinReplicaCount, s.MaxReplicaCount}
	wantSO := soGot{2000, 100, 2_000_000, time.Minute, 10 * time.Minute, 30 * time.Second, 30 * time.Second, 1, 12}
	if diff := cmp.Diff(wantSO, gotSO); diff != "" {
		t.Errorf("ScaledObject mismatch (-want +got):\n%s", diff)
	}

	h, err := readBase(t, hpaFile).Bind(flags(t, "metrics.queue_depth.target=0.5,25", "metrics.cpu.target=80", "scaleUp.window=10m", "scaleDown.policies[0].value=5", "minReplicaCount=3"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err = h.Config([]int{0, 0, 0, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HPA == nil || cfg.ScaledObject != nil {
		t.Fatalf("Config sets HPA %v, ScaledObject %v; want the HPA only", cfg.HPA != nil, cfg.ScaledObject != nil)
	}
	type hpaGot struct {
		Milli       int64
		Utilization int32
		Up, Down    time.Duration
		Pods        int32
		MinReplicas int32
	}
	hs := cfg.HPA
	gotHPA := hpaGot{hs.Metrics[0].TargetMilli, hs.Metrics[1].TargetUtilization, hs.Behavior.ScaleUp.StabilizationWindow,
		hs.Behavior.ScaleDown.StabilizationWindow, hs.Behavior.ScaleDown.Policies[0].Value, hs.MinReplicas}
	wantHPA := hpaGot{500, 80, 10 * time.Minute, 5 * time.Minute, 5, 3}
	if diff := cmp.Diff(wantHPA, gotHPA); diff != "" {
		t.Errorf("HPA mismatch (-want +got):\n%s", diff)
	}
}

func TestBindingConfigCombinations(t *testing.T) {
	so, err := readBase(t, soFile).Bind(flags(t, "minReplicaCount=1,20", "maxReplicaCount=5,12"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := readBase(t, hpaFile).Bind(flags(t, "minReplicas=2,50", "maxReplicas=40,1"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := readBase(t, soFile).Bind(flags(t, "triggers.lag.metadata.allowIdleConsumers=0,1", "triggers.lag.metadata.limitToPartitionsWithLag=0,1"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		bd   *Binding
		idx  []int
		want string
	}{
		{so, []int{0, 0}, ""},
		{so, []int{1, 1}, "testdata/space/so.yaml: spec.minReplicaCount: Invalid value: 20: minReplicaCount must be less than or equal to maxReplicaCount (12)"},
		{h, []int{0, 0}, ""},
		{h, []int{1, 0}, "testdata/space/hpa.yaml: spec.maxReplicas: Invalid value: 40: must be greater than or equal to `minReplicas`"},
		{h, []int{0, 1}, "testdata/space/hpa.yaml: spec.maxReplicas: Invalid value: 1: must be greater than or equal to `minReplicas`"},
		{k, []int{1, 0}, ""},
		{k, []int{1, 1}, `testdata/space/so.yaml: spec.triggers[0].metadata.limitToPartitionsWithLag: Invalid value: "true": allowIdleConsumers and limitToPartitionsWithLag cannot be set simultaneously`},
	}
	for _, tt := range tests {
		cfg, err := tt.bd.Config(tt.idx)
		if diff := cmp.Diff(tt.want, errorText(err)); diff != "" {
			t.Errorf("Config(%v) error mismatch (-want +got):\n%s", tt.idx, diff)
		}
		if err != nil {
			var me *manifest.Error
			if !errors.As(err, &me) || me.Line != 0 {
				t.Errorf("Config(%v) error %v: want a *manifest.Error without a line", tt.idx, err)
			}
		} else if cfg.HPA == nil && cfg.ScaledObject == nil {
			t.Errorf("Config(%v) sets no spec", tt.idx)
		}
	}
}
