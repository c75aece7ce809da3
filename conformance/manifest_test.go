package conformance

// Differential test of package manifest against the API server code of
// k8s.io/kubernetes v1.37.2 on seeded random HorizontalPodAutoscalers.
//
// Each object is written as YAML, which is the single input of both sides:
//
//   - manifest.ParseHPAs reads it (strict decoding, defaulting, validation,
//     controller checks, conversion to hpa.Spec);
//   - upstream decodes it with legacyscheme.Codecs (as the API server decodes
//     a request body), defaults it with legacyscheme.Scheme.Default (the
//     registered SetObjectDefaults_HorizontalPodAutoscaler), converts it to
//     the internal autoscaling type, runs Strategy.PrepareForCreate and
//     validation.ValidateHorizontalPodAutoscaler with the options
//     validationOptionsForHorizontalPodAutoscaler(newHPA, nil) computes for a
//     create (pkg/registry/autoscaling/horizontalpodautoscaler/strategy.go).
//
// What is compared:
//
//   - accept/reject, and on reject the set of field paths of the errors
//     (manifest's *manifest.Error Path against upstream's field.Error Field);
//   - on accept, manifest's HPA.Object against the upstream-defaulted
//     autoscaling/v2 object (cmp.Diff), and HPA.Spec against the hpa.Spec
//     derived here from the upstream-defaulted object and the controller's
//     options (maybeInitScaleDownStabilizationWindow, tolerancesForHpa, the
//     target fields the controller reads).
//
// Expected extra rejections. manifest rejects on purpose some objects the API
// server accepts (manifest/controller.go): metric targets the controller
// cannot compute as written (a target.type the source does not support or
// that names another field than the one set, target fields the controller
// ignores, a quantity whose Quantity.MilliValue() overflows int64) and metric
// selectors metav1.LabelSelectorAsSelector rejects. The generator produces
// such metrics on purpose and records their indices, independently of
// manifest's code: when upstream accepts such an object, manifest must
// reject it with only "the API server accepts this, but ..." errors, at least
// one under each recorded metric and none elsewhere. A controller option
// Options.DownscaleStabilizationWindow above one hour, which manifest rejects
// for a behavior without a scale-down window (the hpa engine's bound), is
// never generated.
//
// Not generated: finalizers (core validation checks their names beyond what
// manifest repeats), status, unknown fields and YAML syntax problems (the
// API server's decoder and manifest's strict decoder differ there by design;
// manifest's own tests cover them), metadata.generateName (the API server
// generates the name before validation; manifest requires metadata.name).
// Declarative validation (the DeclarativeValidation the strategy embeds) is
// not run: its v1.37.2 rules for autoscaling/v2 (ObjectMeta, required kind
// and name of scaleTargetRef and describedObject, the bounds of minReplicas
// and maxReplicas) duplicate hand-written checks at the same paths.
//
// Environment (see also conformance_test.go):
//
//	AUTOREPLAY_SEED              base seed (default 1)
//	AUTOREPLAY_MANIFEST_OBJECTS  objects per test (default 2500)
//	AUTOREPLAY_MANIFEST_SEED     check only the object of this seed, as
//	                             printed on a failure

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	"k8s.io/kubernetes/pkg/apis/autoscaling"
	_ "k8s.io/kubernetes/pkg/apis/autoscaling/install"
	"k8s.io/kubernetes/pkg/apis/autoscaling/validation"
	"k8s.io/kubernetes/pkg/features"
	hparegistry "k8s.io/kubernetes/pkg/registry/autoscaling/horizontalpodautoscaler"
	"sigs.k8s.io/yaml"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/manifest"
)

func TestManifestDefaulting(t *testing.T) {
	// Only objects the API server accepts and the controller computes as
	// written: each must be accepted by both, with the same defaulted
	// object, under random controller options.
	runManifestObjects(t, manifestMode{name: "TestManifestDefaulting", stream: 1, randomOptions: true})
}

func TestManifestValidation(t *testing.T) {
	// Invalid choices everywhere, and metrics the controller cannot compute
	// as written.
	runManifestObjects(t, manifestMode{name: "TestManifestValidation", stream: 2, invalid: 0.035, uncomputable: 0.06})
}

// manifestMode configures the generator of one test.
type manifestMode struct {
	name string // of the test
	// stream separates the objects of the tests drawn from one base seed.
	stream uint64
	// invalid is the chance of each invalid choice; 0 generates only objects
	// the API server accepts.
	invalid float64
	// uncomputable is the chance per metric of a target or selector the
	// controller cannot compute as written.
	uncomputable float64
	// randomOptions varies manifest.Options (else DefaultOptions).
	randomOptions bool
}

// manifestMismatches caps the failures reported in full, per test.
const manifestMismatches = 5

func runManifestObjects(t *testing.T, mode manifestMode) {
	if !utilfeature.DefaultFeatureGate.Enabled(features.HPAScaleToZero) {
		t.Fatalf("feature gate %s is off in this build; manifest validates as if it were on (its v1.37 default)", features.HPAScaleToZero)
	}
	base, _ := envUint(t, "AUTOREPLAY_SEED", 1)
	n, _ := envUint(t, "AUTOREPLAY_MANIFEST_OBJECTS", 2500)
	var seeds []uint64
	if seed, ok := envUint(t, "AUTOREPLAY_MANIFEST_SEED", 0); ok {
		seeds = []uint64{seed}
	} else {
		r := rand.New(rand.NewPCG(base, mode.stream))
		for range n {
			seeds = append(seeds, r.Uint64())
		}
	}
	cov := newCoverage()
	failed := 0
	start := time.Now()
	for _, seed := range seeds {
		if msg := checkManifestObject(seed, mode, cov); msg != "" {
			if failed++; failed <= manifestMismatches {
				t.Errorf("object of seed %#x (rerun with AUTOREPLAY_MANIFEST_SEED=%#x conformance/run.sh -run %s -v): %s", seed, seed, mode.name, msg)
			}
		}
	}
	elapsed := time.Since(start).Round(time.Millisecond)
	if failed > manifestMismatches {
		t.Errorf("... and %d more mismatches", failed-manifestMismatches)
	}
	t.Logf("base seed %d: %d objects in %v", base, len(seeds), elapsed)
	if testing.Verbose() {
		t.Logf("coverage (objects per outcome and error path):\n%s", cov)
	}
	if len(seeds) >= 1000 && !t.Failed() {
		if missing := manifestMissing(cov, mode); len(missing) > 0 {
			t.Errorf("the generated objects no longer cover: %s", strings.Join(missing, ", "))
		}
	}
}

// manifestMissing lists the coverage keys a run of mode should have hit.
func manifestMissing(cov *coverage, mode manifestMode) []string {
	want := []string{
		"accepted", "behavior nil", "behavior {}", "behavior scaleUp only", "behavior scaleDown only", "behavior both",
		"metrics empty", "metrics []", "minReplicas unset", "minReplicas 0",
		"rules {}", "rules window", "rules selectPolicy", "rules policies", "rules tolerance", "rules all",
		"scaleDown window unset", "null field", "quantity as number",
		"metric External", "metric Object", "metric Pods", "metric Resource", "metric ContainerResource",
	}
	if mode.invalid > 0 {
		want = append(want, "rejected",
			"path spec.minReplicas", "path spec.maxReplicas", "path spec.metrics",
			"path spec.metrics[].type", "path spec.metrics[].external.target.value",
			"path spec.metrics[].external.target.averageValue", "path spec.metrics[].pods.target.averageValue",
			"path spec.metrics[].object.target.value", "path spec.metrics[].resource.target.averageUtilization",
			"path spec.metrics[].containerResource.name", "path spec.metrics[].containerResource.container",
			"path spec.metrics[].external.metric.name", "path spec.metrics[].object.describedObject.apiVersion",
			"path spec.scaleTargetRef.apiVersion", "path spec.scaleTargetRef.name", "path metadata.name",
			"path spec.behavior.scaleUp.stabilizationWindowSeconds", "path spec.behavior.scaleDown.stabilizationWindowSeconds",
			"path spec.behavior.scaleUp.selectPolicy", "path spec.behavior.scaleDown.policies",
			"path spec.behavior.scaleUp.policies[].periodSeconds", "path spec.behavior.scaleDown.policies[].value",
			"path spec.behavior.scaleUp.policies[].type", "path spec.behavior.scaleDown.tolerance",
			"extra rejection", "extra target type", "extra ignored field", "extra selector", "extra overflow",
			"minReplicas 0 without Object or External", "External value and averageValue",
		)
	}
	cov.mu.Lock()
	defer cov.mu.Unlock()
	var missing []string
	for _, k := range want {
		if cov.n[k] == 0 {
			missing = append(missing, k)
		}
	}
	return missing
}

// checkManifestObject generates the object of seed, runs both sides and
// returns "" when they agree, else a report with the YAML and both results.
func checkManifestObject(seed uint64, mode manifestMode, cov *coverage) string {
	r := rand.New(rand.NewPCG(seed, 0x6d616e6966657374)) // "manifest"
	g := &manifestGen{r: r, mode: mode, cov: cov}
	c := g.hpa()
	opt := manifest.DefaultOptions()
	if mode.randomOptions {
		opt.Tolerance = pick(r, 0.1, 0.1, 0, 0.05, 0.5, 2)
		opt.DownscaleStabilizationWindow = time.Duration(pick(r, 300, 300, 0, 1, 15, 3600, r.IntN(3601))) * time.Second
	}
	data, err := g.yaml(c.obj)
	if err != nil {
		return fmt.Sprintf("cannot write the generated object as YAML: %v\n%s", err, jsonString(c.obj))
	}

	up, err := upstreamCreate(data)
	if err != nil {
		return fmt.Sprintf("upstream cannot decode the generated YAML: %v\n--- YAML\n%s", err, data)
	}
	hpas, perr := manifest.ParseHPAs("generated.yaml", bytes.NewReader(data), opt)
	got := manifestErrors(perr)

	report := func(what string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "%s\n--- YAML (manifest.Options %+v)\n%s", what, opt, data)
		b.WriteString("--- manifest.ParseHPAs: ")
		if perr == nil {
			b.WriteString("accepted\n")
		} else {
			b.WriteString("rejected\n")
			for _, e := range got {
				fmt.Fprintf(&b, "  %s\n", e)
			}
		}
		b.WriteString("--- upstream v1.37.2 create: ")
		if len(up.errs) == 0 {
			b.WriteString("accepted\n")
		} else {
			b.WriteString("rejected\n")
			for _, e := range up.errs {
				fmt.Fprintf(&b, "  %s\n", e)
			}
		}
		if len(c.uncomputable) > 0 {
			fmt.Fprintf(&b, "--- metrics generated so that the controller cannot compute them as written: %v\n", c.uncomputable)
		}
		return b.String()
	}

	if len(up.errs) > 0 && mode.invalid == 0 {
		return report("the API server rejects an object generated as valid: fix the generator")
	}
	if len(up.errs) > 0 {
		cov.add("rejected")
		for _, p := range up.paths() {
			cov.add("path " + indexRE.ReplaceAllString(p, "[]"))
		}
		if perr == nil {
			return report("manifest accepts an object the API server rejects")
		}
		if d := cmp.Diff(up.paths(), manifestPaths(got)); d != "" {
			return report("the field paths of the errors differ (-upstream +manifest):\n" + d)
		}
		return ""
	}
	if len(c.uncomputable) > 0 {
		// Expected extra rejection: only notes under the recorded metrics,
		// at least one under each.
		cov.add("extra rejection")
		if perr == nil {
			return report("manifest accepts metrics the controller cannot compute as written")
		}
		hit := map[int]bool{}
		for _, e := range got {
			i := metricIndex(e.Path)
			if !slices.Contains(c.uncomputable, i) || !isAcceptedNote(e) {
				return report(fmt.Sprintf("unexpected extra rejection %q: expected only notes that the API server accepts this, under metrics %v", e, c.uncomputable))
			}
			hit[i] = true
		}
		for _, i := range c.uncomputable {
			if !hit[i] {
				return report(fmt.Sprintf("no error under spec.metrics[%d], which the controller cannot compute as written", i))
			}
		}
		return ""
	}
	cov.add("accepted")
	if perr != nil {
		return report("manifest rejects an object the API server accepts")
	}
	if len(hpas) != 1 {
		return report(fmt.Sprintf("manifest returned %d HPAs, expected 1", len(hpas)))
	}
	if d := cmp.Diff(up.defaulted, hpas[0].Object, cmp.Comparer(func(a, b metav1.Time) bool { return a.Equal(&b) })); d != "" {
		return report("HPA.Object after defaulting mismatch (-want +got):\n" + d)
	}
	want := wantSpec(up.defaulted, opt)
	gotSpec := hpas[0].Spec
	if gotSpec.Behavior != nil {
		// Unused on the behavior path.
		want.LegacyDownscaleWindow = gotSpec.LegacyDownscaleWindow
	}
	if d := cmp.Diff(want, gotSpec); d != "" {
		return report("HPA.Spec mismatch (-want +got):\n" + d)
	}
	return ""
}

var indexRE = regexp.MustCompile(`\[[0-9]+\]`)

// metricIndex returns i of a path under spec.metrics[i], else -1.
func metricIndex(path string) int {
	rest, ok := strings.CutPrefix(path, "spec.metrics[")
	if !ok {
		return -1
	}
	num, _, ok := strings.Cut(rest, "]")
	if !ok {
		return -1
	}
	i, err := strconv.Atoi(num)
	if err != nil {
		return -1
	}
	return i
}

// acceptedNote starts the detail of manifest's errors about what the API
// server accepts but the controller cannot compute (manifest/controller.go).
const acceptedNote = "the API server accepts this, but "

func isAcceptedNote(e *manifest.Error) bool {
	var fe *field.Error
	return errors.As(e.Err, &fe) && strings.HasPrefix(fe.Detail, acceptedNote)
}

// manifestErrors flattens the error of ParseHPAs into its *manifest.Error
// values; anything else becomes an Error without a path.
func manifestErrors(err error) []*manifest.Error {
	var out []*manifest.Error
	var walk func(error)
	walk = func(err error) {
		if e, ok := err.(*manifest.Error); ok {
			out = append(out, e)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		out = append(out, &manifest.Error{Err: err})
	}
	if err != nil {
		walk(err)
	}
	return out
}

// manifestPaths is the sorted set of the errors' paths.
func manifestPaths(errs []*manifest.Error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Path)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// upstreamResult is what the API server makes of a create.
type upstreamResult struct {
	// defaulted is the decoded autoscaling/v2 object after defaulting.
	defaulted *autoscalingv2.HorizontalPodAutoscaler
	// errs are the validation errors of the create.
	errs field.ErrorList
}

// paths is the sorted set of the errors' field paths.
func (u upstreamResult) paths() []string {
	var out []string
	for _, e := range u.errs {
		out = append(out, e.Field)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// upstreamCreate runs data through the API server's create path: decoding,
// defaulting, conversion to the internal type, PrepareForCreate and
// validation.
func upstreamCreate(data []byte) (upstreamResult, error) {
	obj, _, err := legacyscheme.Codecs.UniversalDeserializer().Decode(data, nil, nil)
	if err != nil {
		return upstreamResult{}, err
	}
	v2, ok := obj.(*autoscalingv2.HorizontalPodAutoscaler)
	if !ok {
		return upstreamResult{}, fmt.Errorf("decoded a %T", obj)
	}
	legacyscheme.Scheme.Default(v2)
	internal := new(autoscaling.HorizontalPodAutoscaler)
	if err := legacyscheme.Scheme.Convert(v2.DeepCopy(), internal, nil); err != nil {
		return upstreamResult{}, err
	}
	if internal.Namespace == "" {
		// The namespace of the request, where kubectl puts an object
		// without one; manifest validates such objects in "default" too.
		internal.Namespace = "default"
	}
	ctx := context.Background()
	hparegistry.Strategy.PrepareForCreate(ctx, internal)
	errs := validation.ValidateHorizontalPodAutoscaler(internal, createValidationOptions(internal))
	// The options above are copied from strategy.go, which does not export
	// them: check the copy against the strategy itself.
	if strategyErrs := hparegistry.Strategy.Validate(ctx, internal); !slices.Equal(errorStrings(strategyErrs), errorStrings(errs)) {
		return upstreamResult{}, fmt.Errorf("validation options differ from the strategy's: strategy %v, copy %v", strategyErrs, errs)
	}
	return upstreamResult{defaulted: v2, errs: errs}, nil
}

// errorStrings returns the sorted messages of errs (upstream ranges over a
// set for some of them).
func errorStrings(errs field.ErrorList) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	slices.Sort(out)
	return out
}

// createValidationOptions is validationOptionsForHorizontalPodAutoscaler(newHPA,
// nil) of pkg/registry/autoscaling/horizontalpodautoscaler/strategy.go.
func createValidationOptions(newHPA *autoscaling.HorizontalPodAutoscaler) validation.HorizontalPodAutoscalerSpecValidationOptions {
	opts := validation.HorizontalPodAutoscalerSpecValidationOptions{
		MinReplicasLowerBound:           1,
		ScaleTargetRefValidationOptions: validation.CrossVersionObjectReferenceValidationOptions{AllowInvalidAPIVersion: false, AllowEmptyAPIGroup: false, RequiredCoveredByDeclarative: true},
		ObjectMetricsValidationOptions:  validation.CrossVersionObjectReferenceValidationOptions{AllowInvalidAPIVersion: false, AllowEmptyAPIGroup: true},
	}
	if utilfeature.DefaultFeatureGate.Enabled(features.HPAScaleToZero) {
		opts.MinReplicasLowerBound = 0
	}
	if newHPA.Spec.ScaleTargetRef.Kind == "ReplicationController" {
		opts.ScaleTargetRefValidationOptions.AllowEmptyAPIGroup = true
	}
	return opts
}

// wantSpec derives the hpa.Spec the controller runs from an upstream-defaulted
// object whose metrics are all computable as written: tolerancesForHpa,
// maybeInitScaleDownStabilizationWindow (the option truncated to whole
// seconds), and for each metric the field its target type names, read with
// Quantity.MilliValue.
func wantSpec(obj *autoscalingv2.HorizontalPodAutoscaler, opt manifest.Options) hpa.Spec {
	s := hpa.Spec{
		MinReplicas: *obj.Spec.MinReplicas,
		MaxReplicas: obj.Spec.MaxReplicas,
		Tolerance:   hpa.Tolerance{Down: opt.Tolerance, Up: opt.Tolerance},
	}
	for _, m := range obj.Spec.Metrics {
		var out hpa.Metric
		var t autoscalingv2.MetricTarget
		switch m.Type {
		case autoscalingv2.ExternalMetricSourceType:
			out = hpa.Metric{Type: hpa.External, Name: m.External.Metric.Name}
			t = m.External.Target
		case autoscalingv2.ObjectMetricSourceType:
			out = hpa.Metric{Type: hpa.Object, Name: m.Object.Metric.Name}
			t = m.Object.Target
		case autoscalingv2.PodsMetricSourceType:
			out = hpa.Metric{Type: hpa.Pods, Name: m.Pods.Metric.Name}
			t = m.Pods.Target
		case autoscalingv2.ResourceMetricSourceType:
			out = hpa.Metric{Type: hpa.Resource, Name: string(m.Resource.Name)}
			t = m.Resource.Target
		case autoscalingv2.ContainerResourceMetricSourceType:
			out = hpa.Metric{Type: hpa.ContainerResource, Name: string(m.ContainerResource.Name)}
			t = m.ContainerResource.Target
		}
		switch t.Type {
		case autoscalingv2.ValueMetricType:
			out.Target, out.TargetMilli = hpa.Value, t.Value.MilliValue()
		case autoscalingv2.AverageValueMetricType:
			out.Target, out.TargetMilli = hpa.AverageValue, t.AverageValue.MilliValue()
		case autoscalingv2.UtilizationMetricType:
			out.Target, out.TargetUtilization = hpa.Utilization, *t.AverageUtilization
		}
		s.Metrics = append(s.Metrics, out)
	}
	b := obj.Spec.Behavior
	if b == nil {
		s.LegacyDownscaleWindow = opt.DownscaleStabilizationWindow
		return s
	}
	controllerWindow := int32(opt.DownscaleStabilizationWindow.Seconds())
	rules := func(ru *autoscalingv2.HPAScalingRules) hpa.Rules {
		w := controllerWindow
		if ru.StabilizationWindowSeconds != nil {
			w = *ru.StabilizationWindowSeconds
		}
		out := hpa.Rules{StabilizationWindow: time.Duration(w) * time.Second}
		switch *ru.SelectPolicy {
		case autoscalingv2.MaxChangePolicySelect:
			out.SelectPolicy = hpa.MaxChange
		case autoscalingv2.MinChangePolicySelect:
			out.SelectPolicy = hpa.MinChange
		case autoscalingv2.DisabledPolicySelect:
			out.SelectPolicy = hpa.Disabled
		}
		for _, p := range ru.Policies {
			typ := map[autoscalingv2.HPAScalingPolicyType]hpa.PolicyType{
				autoscalingv2.PodsScalingPolicy:    hpa.PodsPolicy,
				autoscalingv2.PercentScalingPolicy: hpa.PercentPolicy,
			}[p.Type]
			out.Policies = append(out.Policies, hpa.Policy{Type: typ, Value: p.Value, Period: time.Duration(p.PeriodSeconds) * time.Second})
		}
		return out
	}
	s.Behavior = &hpa.Behavior{ScaleUp: rules(b.ScaleUp), ScaleDown: rules(b.ScaleDown)}
	if b.ScaleUp.Tolerance != nil {
		s.Tolerance.Up = b.ScaleUp.Tolerance.AsApproximateFloat64()
	}
	if b.ScaleDown.Tolerance != nil {
		s.Tolerance.Down = b.ScaleDown.Tolerance.AsApproximateFloat64()
	}
	return s
}

// manifestCase is one generated object and what the generator knows of it.
type manifestCase struct {
	obj *autoscalingv2.HorizontalPodAutoscaler
	// uncomputable lists the metrics generated so that the controller cannot
	// compute them as written (a target type the source does not support or
	// naming another field than the one set, a field set that the controller
	// ignores, an overflowing quantity, an unusable selector). Whether the
	// API server accepts the object is left to upstream.
	uncomputable []int
}

// manifestGen generates random HorizontalPodAutoscalers.
type manifestGen struct {
	r    *rand.Rand
	mode manifestMode
	cov  *coverage
}

// bad says whether to make the next choice an invalid one.
func (g *manifestGen) bad() bool { return g.mode.invalid > 0 && chance(g.r, g.mode.invalid) }

func (g *manifestGen) hpa() *manifestCase {
	r := g.r
	c := &manifestCase{}
	obj := &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta: metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
	}
	c.obj = obj
	obj.Name = pick(r, "web", "api-server", "hpa.example.com", "a")
	if g.bad() {
		obj.Name = pick(r, "", "Web", "web_1", "-web", strings.Repeat("x", 254))
	}
	if chance(r, 0.5) {
		obj.Namespace = pick(r, "prod", "default", "team-a")
	}
	if g.bad() {
		obj.Namespace = pick(r, "Prod", "team_a")
	}
	if chance(r, 0.2) {
		obj.Labels = map[string]string{"app": "web", "example.com/tier": "frontend"}
	}
	if g.bad() {
		obj.Labels = map[string]string{pick(r, "bad key", "-x"): "v"}
	}
	if chance(r, 0.1) {
		obj.Annotations = map[string]string{"note": "generated"}
	}

	obj.Spec.ScaleTargetRef = g.scaleTargetRef()

	n := pick(r, 0, 1, 1, 1, 2, 2, 3)
	if n == 0 {
		if chance(r, 0.3) {
			obj.Spec.Metrics = []autoscalingv2.MetricSpec{}
			g.cov.add("metrics []")
		} else {
			g.cov.add("metrics empty")
		}
	}
	for i := range n {
		m, computable := g.metric()
		if !computable {
			c.uncomputable = append(c.uncomputable, i)
		}
		obj.Spec.Metrics = append(obj.Spec.Metrics, m)
	}
	hasObjectOrExternal := slices.ContainsFunc(obj.Spec.Metrics, func(m autoscalingv2.MetricSpec) bool {
		return m.Type == autoscalingv2.ObjectMetricSourceType || m.Type == autoscalingv2.ExternalMetricSourceType
	})

	var minR *int32
	switch {
	case chance(r, 0.25):
		g.cov.add("minReplicas unset")
	case hasObjectOrExternal && chance(r, 0.4):
		minR = ptrTo[int32](0)
	default:
		minR = ptrTo(int32(pick(r, 1, 1, 2, 3, 5, 10, 1+r.IntN(100))))
	}
	if g.bad() {
		minR = ptrTo(int32(pick(r, 0, 0, -1, math.MinInt32)))
	}
	if minR != nil && *minR == 0 {
		g.cov.add("minReplicas 0")
		if !hasObjectOrExternal {
			g.cov.add("minReplicas 0 without Object or External")
		}
	}
	obj.Spec.MinReplicas = minR
	lower := int32(1)
	if minR != nil {
		lower = max(*minR, 1)
	}
	obj.Spec.MaxReplicas = lower + int32(pick(r, 0, 0, 1, 4, 9, 99, r.IntN(1000)))
	if g.bad() {
		obj.Spec.MaxReplicas = int32(pick(r, 0, -1, lower-1, math.MinInt32))
	}

	obj.Spec.Behavior = g.behavior()
	return c
}

func ptrTo[T any](v T) *T { return &v }

func (g *manifestGen) scaleTargetRef() autoscalingv2.CrossVersionObjectReference {
	r := g.r
	ref := pick(r,
		autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
		autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "db-0.x"},
		autoscalingv2.CrossVersionObjectReference{APIVersion: "v1", Kind: "ReplicationController", Name: "rc"},
		autoscalingv2.CrossVersionObjectReference{Kind: "ReplicationController", Name: "rc"},
		autoscalingv2.CrossVersionObjectReference{APIVersion: "example.com/v1beta1", Kind: "My Kind", Name: "with space"},
	)
	if g.bad() {
		switch r.IntN(4) {
		case 0:
			ref.APIVersion = pick(r, "v1", "", "apps/v1/x", "/v1")
		case 1:
			ref.Kind = pick(r, "", "a/b", "..", "50%")
		case 2:
			ref.Name = pick(r, "", ".", "a/b", "x%y")
		case 3:
			ref = autoscalingv2.CrossVersionObjectReference{}
		}
	}
	return ref
}

// metricSources are the source types and which target types the controller
// computes for each (horizontal.go: computeStatusForObjectMetric reads the
// field target.type names, Value or AverageValue; External reads
// averageValue, else value; Pods reads averageValue; Resource and
// ContainerResource read averageValue, else averageUtilization). A target is
// computable as written when exactly the field its type names is set and
// the source supports that type.
var metricSources = []struct {
	typ     autoscalingv2.MetricSourceType
	targets []autoscalingv2.MetricTargetType
}{
	{autoscalingv2.ExternalMetricSourceType, []autoscalingv2.MetricTargetType{autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType}},
	{autoscalingv2.ObjectMetricSourceType, []autoscalingv2.MetricTargetType{autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType}},
	{autoscalingv2.PodsMetricSourceType, []autoscalingv2.MetricTargetType{autoscalingv2.AverageValueMetricType}},
	{autoscalingv2.ResourceMetricSourceType, []autoscalingv2.MetricTargetType{autoscalingv2.UtilizationMetricType, autoscalingv2.AverageValueMetricType}},
	{autoscalingv2.ContainerResourceMetricSourceType, []autoscalingv2.MetricTargetType{autoscalingv2.UtilizationMetricType, autoscalingv2.AverageValueMetricType}},
}

// Quantities: positive ones (among them the largest whose milli value fits
// in int64), zero and negative ones, and positive ones whose
// Quantity.MilliValue() overflows int64.
var (
	positiveQuantities = []string{"1", "500m", "250m", "100", "1500m", "2k", "1Mi", "3Gi", "1n", "100u", "0.5", "1e3", "42", "9223372036854775"}
	invalidQuantities  = []string{"0", "0m", "-1", "-250m", "-1n"}
	overflowQuantities = []string{"9223372036854776", "1e30", "100E"}
)

// metric returns a metric and whether the controller computes it as
// written.
func (g *manifestGen) metric() (autoscalingv2.MetricSpec, bool) {
	r := g.r
	src := metricSources[r.IntN(len(metricSources))]
	g.cov.add("metric " + string(src.typ))
	computable, badSelector := true, false
	hasSelector := src.typ != autoscalingv2.ResourceMetricSourceType && src.typ != autoscalingv2.ContainerResourceMetricSourceType
	var target autoscalingv2.MetricTarget
	if g.mode.uncomputable > 0 && chance(r, g.mode.uncomputable) {
		// What the controller cannot compute as written.
		kinds := 3
		if hasSelector {
			kinds = 4
		}
		switch r.IntN(kinds) {
		case 0: // a target type the source does not support, or naming an unset field
			target.Type = pick(r, autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType, autoscalingv2.UtilizationMetricType)
			typ := pick(r, src.targets...)
			for typ == target.Type {
				typ = pick(r, autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType, autoscalingv2.UtilizationMetricType)
			}
			g.setTarget(&target, typ, false)
			g.cov.add("extra target type")
		case 1: // a field the controller ignores, besides the right one
			target.Type = pick(r, src.targets...)
			g.setTarget(&target, target.Type, false)
			other := pick(r, autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType, autoscalingv2.UtilizationMetricType)
			for other == target.Type {
				other = pick(r, autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType, autoscalingv2.UtilizationMetricType)
			}
			g.setTarget(&target, other, false)
			g.cov.add("extra ignored field")
		case 2: // the value read overflows
			target.Type = pick(r, src.targets...)
			if target.Type == autoscalingv2.UtilizationMetricType {
				target.Type = autoscalingv2.AverageValueMetricType
			}
			g.setTarget(&target, target.Type, true)
			g.cov.add("extra overflow")
		case 3: // a selector the controller cannot use (see below)
			target.Type = pick(r, src.targets...)
			g.setTarget(&target, target.Type, false)
			badSelector = true
		}
		computable = false
	} else {
		target.Type = pick(r, src.targets...)
		g.setTarget(&target, target.Type, false)
		if g.bad() {
			target.Type = pick[autoscalingv2.MetricTargetType](r, "", "value", "Bogus")
		}
	}
	metric := autoscalingv2.MetricIdentifier{Name: pick(r, "requests_per_second", "queue-depth", "http.requests", "a:b", "with space", "..x")}
	if g.bad() {
		metric.Name = pick(r, "", ".", "..", "a/b", "50%")
	}
	if chance(r, 0.3) {
		metric.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"queue": "jobs"}}
	}
	if badSelector {
		// Accepted by the API server, which does not validate metric
		// selectors; rejected by metav1.LabelSelectorAsSelector.
		metric.Selector = pick(r,
			&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "env", Operator: metav1.LabelSelectorOpIn}}},
			&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "env", Operator: "Bogus", Values: []string{"a"}}}},
			&metav1.LabelSelector{MatchLabels: map[string]string{"bad key": "x"}},
			&metav1.LabelSelector{MatchLabels: map[string]string{"queue": "bad value!"}},
		)
		g.cov.add("extra selector")
	}
	ms := autoscalingv2.MetricSpec{Type: src.typ}
	switch src.typ {
	case autoscalingv2.ExternalMetricSourceType:
		ms.External = &autoscalingv2.ExternalMetricSource{Metric: metric, Target: target}
	case autoscalingv2.ObjectMetricSourceType:
		ref := pick(r,
			autoscalingv2.CrossVersionObjectReference{APIVersion: "v1", Kind: "Service", Name: "frontend"},
			autoscalingv2.CrossVersionObjectReference{APIVersion: "networking.k8s.io/v1", Kind: "Ingress", Name: "main"},
			autoscalingv2.CrossVersionObjectReference{Kind: "Service", Name: "frontend"},
		)
		if g.bad() {
			switch r.IntN(3) {
			case 0:
				ref.APIVersion = pick(r, "a/b/c", "/v1")
			case 1:
				ref.Kind = pick(r, "", "a/b")
			case 2:
				ref.Name = pick(r, "", "..")
			}
		}
		ms.Object = &autoscalingv2.ObjectMetricSource{DescribedObject: ref, Metric: metric, Target: target}
	case autoscalingv2.PodsMetricSourceType:
		ms.Pods = &autoscalingv2.PodsMetricSource{Metric: metric, Target: target}
	case autoscalingv2.ResourceMetricSourceType:
		name := pick[corev1.ResourceName](r, "cpu", "cpu", "memory", "ephemeral-storage", "nvidia.com/gpu", "custom", "Any Name")
		if g.bad() {
			name = ""
		}
		ms.Resource = &autoscalingv2.ResourceMetricSource{Name: name, Target: target}
	case autoscalingv2.ContainerResourceMetricSourceType:
		name := pick[corev1.ResourceName](r, "cpu", "cpu", "memory", "ephemeral-storage", "hugepages-2Mi", "example.com/gpu", "kubernetes.io/foo")
		if g.bad() {
			name = pick[corev1.ResourceName](r, "", "pods", "requests.cpu", "requests.hugepages-1Gi", "foo", "example.com/requests.x",
				"requests.example.com/gpu", "Bad Name", "example.com/", "a/b/c", "storage")
		}
		ctr := pick(r, "app", "sidecar-1")
		if g.bad() {
			ctr = pick(r, "", "App", "a_b", "a.b", strings.Repeat("c", 64))
		}
		ms.ContainerResource = &autoscalingv2.ContainerResourceMetricSource{Name: name, Container: ctr, Target: target}
	}
	if g.bad() {
		switch r.IntN(4) {
		case 0: // another type than the source set
			ms.Type = pick[autoscalingv2.MetricSourceType](r, "", "Bogus", "external",
				autoscalingv2.ExternalMetricSourceType, autoscalingv2.ObjectMetricSourceType, autoscalingv2.PodsMetricSourceType,
				autoscalingv2.ResourceMetricSourceType, autoscalingv2.ContainerResourceMetricSourceType)
		case 1: // a second source
			extra := autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptrTo(resource.MustParse("1"))}
			switch {
			case ms.Pods == nil && chance(r, 0.5):
				ms.Pods = &autoscalingv2.PodsMetricSource{Metric: autoscalingv2.MetricIdentifier{Name: "x"}, Target: extra}
			case ms.External == nil && chance(r, 0.5):
				ms.External = &autoscalingv2.ExternalMetricSource{Metric: autoscalingv2.MetricIdentifier{Name: "x"}, Target: extra}
			case ms.Resource == nil:
				ms.Resource = &autoscalingv2.ResourceMetricSource{Name: "memory", Target: extra}
			default:
				ms.Pods = &autoscalingv2.PodsMetricSource{Metric: autoscalingv2.MetricIdentifier{Name: "x"}, Target: extra}
			}
		case 2: // no source
			ms.External, ms.Object, ms.Pods, ms.Resource, ms.ContainerResource = nil, nil, nil, nil, nil
		case 3: // no target value, or both External values
			t := autoscalingv2.MetricTarget{Type: target.Type}
			if src.typ == autoscalingv2.ExternalMetricSourceType && chance(r, 0.5) {
				t.Value, t.AverageValue = ptrTo(resource.MustParse("1")), ptrTo(resource.MustParse("2"))
			}
			switch {
			case ms.External != nil:
				ms.External.Target = t
			case ms.Object != nil:
				ms.Object.Target = t
			case ms.Pods != nil:
				ms.Pods.Target = t
			case ms.Resource != nil:
				ms.Resource.Target = t
			case ms.ContainerResource != nil:
				ms.ContainerResource.Target = t
			}
		}
	}
	if ms.External != nil && ms.External.Target.Value != nil && ms.External.Target.AverageValue != nil {
		g.cov.add("External value and averageValue")
	}
	return ms, computable
}

// setTarget sets the field of t that typ names to a random value: positive,
// invalid (when g.bad()) or overflowing.
func (g *manifestGen) setTarget(t *autoscalingv2.MetricTarget, typ autoscalingv2.MetricTargetType, overflow bool) {
	r := g.r
	if typ == autoscalingv2.UtilizationMetricType {
		u := int32(pick(r, 1, 50, 80, 100, 150, 1+r.IntN(300), math.MaxInt32))
		if g.bad() {
			u = int32(pick(r, 0, -1, math.MinInt32))
		}
		t.AverageUtilization = &u
		return
	}
	s := pick(r, positiveQuantities...)
	switch {
	case overflow:
		s = pick(r, overflowQuantities...)
	case g.bad():
		s = pick(r, invalidQuantities...)
	}
	q := resource.MustParse(s)
	if typ == autoscalingv2.ValueMetricType {
		t.Value = &q
	} else {
		t.AverageValue = &q
	}
}

func (g *manifestGen) behavior() *autoscalingv2.HorizontalPodAutoscalerBehavior {
	r := g.r
	switch x := r.Float64(); {
	case x < 0.3:
		g.cov.add("behavior nil")
		return nil
	case x < 0.4:
		g.cov.add("behavior {}")
		return &autoscalingv2.HorizontalPodAutoscalerBehavior{}
	case x < 0.6:
		g.cov.add("behavior scaleUp only")
		return &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: g.rules(true)}
	case x < 0.8:
		g.cov.add("behavior scaleDown only")
		return &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: g.rules(false)}
	}
	g.cov.add("behavior both")
	return &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: g.rules(true), ScaleDown: g.rules(false)}
}

// rules returns scaling rules with a random subset of their fields set.
func (g *manifestGen) rules(up bool) *autoscalingv2.HPAScalingRules {
	r := g.r
	ru := &autoscalingv2.HPAScalingRules{}
	set := 0
	if chance(r, 0.5) {
		set++
		g.cov.add("rules window")
		w := int32(pick(r, 0, 0, 1, 15, 60, 300, 3600, r.IntN(3601)))
		if g.bad() {
			w = int32(pick(r, -1, 3601, math.MinInt32, math.MaxInt32))
		}
		ru.StabilizationWindowSeconds = &w
	} else if !up {
		g.cov.add("scaleDown window unset")
	}
	if chance(r, 0.5) {
		set++
		g.cov.add("rules selectPolicy")
		p := pick(r, autoscalingv2.MaxChangePolicySelect, autoscalingv2.MinChangePolicySelect, autoscalingv2.DisabledPolicySelect)
		if g.bad() {
			p = pick[autoscalingv2.ScalingPolicySelect](r, "", "max", "Bogus")
		}
		ru.SelectPolicy = &p
	}
	if chance(r, 0.5) {
		set++
		g.cov.add("rules policies")
		n := 1 + r.IntN(3)
		if g.bad() {
			n = 0 // written as policies: []
		}
		ru.Policies = make([]autoscalingv2.HPAScalingPolicy, 0, n)
		for range n {
			p := autoscalingv2.HPAScalingPolicy{
				Type:          pick(r, autoscalingv2.PodsScalingPolicy, autoscalingv2.PercentScalingPolicy),
				Value:         int32(pick(r, 1, 4, 10, 100, 1+r.IntN(1000), math.MaxInt32)),
				PeriodSeconds: int32(pick(r, 1, 15, 15, 60, 1800, 1+r.IntN(1800))),
			}
			if g.bad() {
				p.Type = pick[autoscalingv2.HPAScalingPolicyType](r, "", "pods", "Bogus")
			}
			if g.bad() {
				p.Value = int32(pick(r, 0, -1, math.MinInt32))
			}
			if g.bad() {
				p.PeriodSeconds = int32(pick(r, 0, -15, 1801, math.MaxInt32))
			}
			ru.Policies = append(ru.Policies, p)
		}
	}
	if chance(r, 0.5) {
		set++
		g.cov.add("rules tolerance")
		s := pick(r, "0", "0.1", "50m", "1", "100u", "2", "1500m", "0.05", "1e30")
		if g.bad() {
			s = pick(r, "-1", "-100m", "-1n")
		}
		ru.Tolerance = ptrTo(resource.MustParse(s))
	}
	switch set {
	case 0:
		g.cov.add("rules {}")
	case 4:
		g.cov.add("rules all")
	}
	return ru
}

// yaml writes obj as a manifest. Empty lists that json would omit are
// written as [], some unset optional fields as null, and some quantities as
// YAML numbers, as people write them.
func (g *manifestGen) yaml(obj *autoscalingv2.HorizontalPodAutoscaler) ([]byte, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	delete(m, "status")
	delete(m["metadata"].(map[string]any), "creationTimestamp")
	spec := m["spec"].(map[string]any)
	if obj.Spec.Metrics != nil && len(obj.Spec.Metrics) == 0 {
		spec["metrics"] = []any{}
	}
	g.nulls(spec, "minReplicas", "metrics", "behavior")
	if metrics, ok := spec["metrics"].([]any); ok {
		for _, x := range metrics {
			for _, src := range []string{"external", "object", "pods", "resource", "containerResource"} {
				if s, ok := x.(map[string]any)[src].(map[string]any); ok {
					t := s["target"].(map[string]any)
					g.number(t, "value")
					g.number(t, "averageValue")
				}
			}
		}
	}
	if b := obj.Spec.Behavior; b != nil {
		bm := spec["behavior"].(map[string]any)
		g.nulls(bm, "scaleUp", "scaleDown")
		for _, d := range []struct {
			key   string
			rules *autoscalingv2.HPAScalingRules
		}{{"scaleUp", b.ScaleUp}, {"scaleDown", b.ScaleDown}} {
			if d.rules == nil {
				continue
			}
			rm := bm[d.key].(map[string]any)
			if d.rules.Policies != nil && len(d.rules.Policies) == 0 {
				rm["policies"] = []any{}
			}
			g.nulls(rm, "stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance")
			g.number(rm, "tolerance")
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return yaml.JSONToYAML(out)
}

// nulls writes some of the absent keys of m as null.
func (g *manifestGen) nulls(m map[string]any, keys ...string) {
	for _, k := range keys {
		if _, ok := m[k]; !ok && chance(g.r, 0.1) {
			m[k] = nil
			g.cov.add("null field")
		}
	}
}

// number sometimes writes the quantity m[key] as a YAML number, when it is
// a plain decimal.
func (g *manifestGen) number(m map[string]any, key string) {
	s, ok := m[key].(string)
	if !ok || !chance(g.r, 0.4) {
		return
	}
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return
	}
	milli := q.MilliValue()
	if resource.NewMilliQuantity(milli, resource.DecimalSI).Cmp(q) != 0 || milli > 1e15 || milli < -1e15 {
		return
	}
	m[key] = json.Number(strconv.FormatFloat(float64(milli)/1000, 'f', -1, 64))
	g.cov.add("quantity as number")
}
