package kedaconformance

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"

	"github.com/autoreplay/autoreplay/keda"
)

const (
	namespace  = "conformance"
	objectName = "web"
	// hpaSyncPeriod is --horizontal-pod-autoscaler-sync-period.
	hpaSyncPeriod = 15 * time.Second
)

// segment is a stretch of a trigger's source during which its query
// returns the same answer.
type segment struct {
	from    time.Duration // since the scenario's start
	value   float64
	failed  bool
	special string // "NaN", "+Inf" or "-Inf": the raw answer of a prometheus query
}

// source is what one trigger's endpoint answers over the scenario.
type source struct {
	kind     string // "prometheus" or "metrics-api"
	segments []segment
}

func (s *source) at(d time.Duration) segment {
	i, _ := slices.BinarySearchFunc(s.segments, d, func(g segment, d time.Duration) int {
		if g.from <= d {
			return -1
		}
		return 1
	})
	return s.segments[i-1]
}

// reading is what the engine receives for a segment: the value the scaler
// parses from the answer.
func (g segment) reading() keda.Reading {
	switch g.special {
	case "NaN":
		return keda.Reading{Value: math.NaN()}
	case "+Inf":
		return keda.Reading{Value: math.Inf(1)}
	case "-Inf":
		return keda.Reading{Value: math.Inf(-1)}
	}
	return keda.Reading{Value: g.value, Failed: g.failed}
}

// event is a replica count set from outside both loops (kubectl scale).
type event struct {
	at       time.Duration
	replicas int32
}

// scenario is one ScaledObject and the traces of its triggers' sources.
type scenario struct {
	index int
	seed  uint64
	// object is the ScaledObject as applied; its trigger endpoints carry
	// the base URL of the value server.
	object  *kedav1alpha1.ScaledObject
	sources []source
	// start is the scale loop's first iteration after the creation
	// timestamp (a whole second); hpaOffset is the HPA controller's first
	// reconcile after start.
	start     time.Duration
	hpaOffset time.Duration
	duration  time.Duration
	initial   int32
	events    []event
}

func ptr[T any](v T) *T { return &v }

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// newScenario draws a scenario. baseURL is the value server's.
func newScenario(index int, seed uint64, baseURL string) *scenario {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	sc := &scenario{index: index, seed: seed}
	pick := func(p float64) bool { return r.Float64() < p }
	oneOf := func(v ...string) string { return v[r.IntN(len(v))] }

	spec := kedav1alpha1.ScaledObjectSpec{
		ScaleTargetRef: &kedav1alpha1.ScaleTarget{Name: objectName},
	}
	// Replica bounds.
	var minReplicas int32
	switch x := r.Float64(); {
	case x < 0.15:
	case x < 0.45:
		spec.MinReplicaCount = ptr(int32(0))
	case x < 0.7:
		minReplicas = 1
		spec.MinReplicaCount = ptr(minReplicas)
	default:
		minReplicas = 3
		spec.MinReplicaCount = ptr(minReplicas)
	}
	maxReplicas := int32(keda.DefaultMaxReplicaCount)
	if pick(0.9) {
		maxReplicas = max(minReplicas, 1) + 1 + r.Int32N(12)
		spec.MaxReplicaCount = ptr(maxReplicas)
	}
	if minReplicas > 0 && pick(0.35) {
		spec.IdleReplicaCount = ptr(r.Int32N(minReplicas))
	}
	if pick(0.85) {
		spec.PollingInterval = ptr(5 + r.Int32N(56))
	}
	if pick(0.85) {
		switch x := r.Float64(); {
		case x < 0.15:
			spec.CooldownPeriod = ptr(int32(0))
		case x < 0.6:
			spec.CooldownPeriod = ptr(5 * (1 + r.Int32N(24)))
		default:
			spec.CooldownPeriod = ptr(r.Int32N(601))
		}
	}
	if pick(0.3) {
		spec.InitialCooldownPeriod = ptr(r.Int32N(301))
	}

	// Triggers.
	n := 1 + r.IntN(3)
	useModifiers := pick(0.35)
	names := []string{"a", "b", "c"}
	targets := []float64{1, 2, 5, 10, 50, 100, 0.5, 2.5, 7.25, 33.3333, 0.0015}
	activations := []float64{0, 1, 5, 0.5, 10, 2.25, -1}
	for i := range n {
		tr := kedav1alpha1.ScaleTriggers{Metadata: map[string]string{}}
		if useModifiers || pick(0.4) {
			tr.Name = names[i]
		}
		switch x := r.Float64(); {
		case x < 0.5:
		case x < 0.7:
			tr.MetricType = autoscalingv2.AverageValueMetricType
		default:
			tr.MetricType = autoscalingv2.ValueMetricType
		}
		target := targets[r.IntN(len(targets))]
		var activation float64
		hasActivation := pick(0.5)
		if hasActivation {
			activation = activations[r.IntN(len(activations))]
		}
		src := source{}
		if pick(0.5) {
			src.kind = "prometheus"
			tr.Type = "prometheus"
			tr.Metadata["serverAddress"] = fmt.Sprintf("%s/p/%d/%d", baseURL, index, i)
			tr.Metadata["query"] = fmt.Sprintf("sum(rate(requests_%d[1m]))", i)
			tr.Metadata["threshold"] = fmtFloat(target)
			if hasActivation {
				tr.Metadata["activationThreshold"] = fmtFloat(activation)
			}
		} else {
			src.kind = "metrics-api"
			tr.Type = "metrics-api"
			tr.Metadata["url"] = fmt.Sprintf("%s/m/%d/%d", baseURL, index, i)
			tr.Metadata["valueLocation"] = oneOf("value", "data.lag")
			if !useModifiers || pick(0.7) {
				tr.Metadata["targetValue"] = fmtFloat(target)
			}
			if hasActivation {
				tr.Metadata["activationTargetValue"] = fmtFloat(activation)
			}
		}
		if pick(0.2) {
			tr.UseCachedMetrics = true
		}
		spec.Triggers = append(spec.Triggers, tr)
		sc.sources = append(sc.sources, src)
	}

	// scalingModifiers.
	nullable := false
	if useModifiers {
		var formulas []string
		switch n {
		case 1:
			formulas = []string{"a", "a * 2", "a > 5 ? a : 0", "(a ?? 0) + 1", "a - 3", "a / 4"}
		case 2:
			formulas = []string{"a + b", "a > 5 ? a : b * 2", "max(a, b)", "(a ?? 0) + b", "a * 2 - b", "(a ?? 1) + (b ?? 1) * 2", "min(a, b) + 1"}
		default:
			formulas = []string{"a + b + c", "max(a, b) - c", "(a ?? 0) + (b ?? 0) + (c ?? 0)", "a > b ? a : c", "(a + b) / 2 + c"}
		}
		f := formulas[r.IntN(len(formulas))]
		nullable = strings.Contains(f, "??")
		sm := kedav1alpha1.ScalingModifiers{
			Formula: f,
			Target:  oneOf("1", "2", "5", "10", "0.5", "2.5", "3"),
		}
		if pick(0.6) {
			sm.ActivationTarget = oneOf("0", "1", "5", "-1", "2.5")
		}
		switch x := r.Float64(); {
		case x < 0.5:
		case x < 0.7:
			sm.MetricType = autoscalingv2.AverageValueMetricType
		default:
			sm.MetricType = autoscalingv2.ValueMetricType
		}
		spec.Advanced = &kedav1alpha1.AdvancedConfig{ScalingModifiers: sm}
	}

	// fallback.
	if pick(0.45) {
		fb := &kedav1alpha1.Fallback{
			FailureThreshold: r.Int32N(6),
			Replicas:         r.Int32N(maxReplicas + 3),
		}
		if maxReplicas > 20 {
			fb.Replicas = r.Int32N(20)
		}
		behaviors := []string{"", kedav1alpha1.FallbackBehaviorStatic, kedav1alpha1.FallbackBehaviorCurrentReplicas,
			kedav1alpha1.FallbackBehaviorCurrentReplicasIfHigher, kedav1alpha1.FallbackBehaviorCurrentReplicasIfLower}
		fb.Behavior = behaviors[r.IntN(len(behaviors))]
		// The scalingModifiers behavior (which the webhook accepts only with
		// a formula) gives the formula nil for a trigger in fallback: meant
		// for formulas with ??, an error in the others.
		if useModifiers && pick(map[bool]float64{true: 0.6, false: 0.2}[nullable]) {
			fb.Behavior = kedav1alpha1.FallbackBehaviorScalingModifiers
		}
		spec.Fallback = fb
	}

	// The generated HPA's behavior: faster scale-down now and then.
	if pick(0.4) {
		if spec.Advanced == nil {
			spec.Advanced = &kedav1alpha1.AdvancedConfig{}
		}
		spec.Advanced.HorizontalPodAutoscalerConfig = &kedav1alpha1.HorizontalPodAutoscalerConfig{
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr(int32(r.IntN(4) * 15))},
			},
		}
	}

	sc.object = &kedav1alpha1.ScaledObject{
		TypeMeta:   metav1.TypeMeta{APIVersion: "keda.sh/v1alpha1", Kind: "ScaledObject"},
		ObjectMeta: metav1.ObjectMeta{Name: objectName, Namespace: namespace},
		Spec:       spec,
	}
	// Annotations the scale loop and the generated HPA read (not the ones
	// that pause the ScaledObject, which stop the loop). A value that is not
	// a boolean counts as true.
	for _, a := range []string{kedav1alpha1.ForceActivationAnnotation, kedav1alpha1.PausedScaleInAnnotation, kedav1alpha1.PausedScaleOutAnnotation} {
		if pick(0.07) {
			if sc.object.Annotations == nil {
				sc.object.Annotations = map[string]string{}
			}
			sc.object.Annotations[a] = oneOf("true", "false", "TRUE", "0", "yes")
		}
	}

	// Timing.
	sc.duration = time.Duration(20+r.IntN(26)) * time.Minute
	if pick(0.5) {
		sc.start = time.Duration(r.IntN(900)) * time.Millisecond
	}
	sc.hpaOffset = time.Duration(r.IntN(15000)) * time.Millisecond
	if pick(0.2) {
		sc.hpaOffset = time.Duration(r.IntN(15)) * time.Second
	}
	switch x := r.Float64(); {
	case x < 0.35:
		sc.initial = 0
	case x < 0.55:
		sc.initial = max(minReplicas, 1)
	case x < 0.95:
		sc.initial = r.Int32N(min(maxReplicas, 20) + 1)
	default:
		sc.initial = min(maxReplicas, 30) + 1
	}
	if pick(0.15) {
		for range 1 + r.IntN(3) {
			sc.events = append(sc.events, event{
				at:       time.Duration(r.Int64N(int64(sc.duration))).Truncate(time.Second),
				replicas: r.Int32N(min(maxReplicas, 20) + 3),
			})
		}
		slices.SortFunc(sc.events, func(a, b event) int { return int(a.at - b.at) })
	}

	// Traces. A formula that subtracts could turn a huge value into a
	// composite below -1e15 milli-units, which the HPA misreads (see the
	// package documentation): such scenarios draw no huge values.
	formula := ""
	if spec.Advanced != nil {
		formula = spec.Advanced.ScalingModifiers.Formula
	}
	for i := range sc.sources {
		sc.sources[i].segments = traceFor(r, &spec.Triggers[i], sc.sources[i].kind, sc.duration, formula)
	}
	return sc
}

// traceFor draws the answers of one trigger's source: values around the
// activation threshold (exactly on it included) and the target, zeros, runs
// of failures, now and then a negative, huge or non-finite value. Huge
// values stay within the int64 range of milli-units, also once a formula
// combines them (see the package documentation).
func traceFor(r *rand.Rand, tr *kedav1alpha1.ScaleTriggers, kind string, duration time.Duration, formula string) []segment {
	huge := []float64{1e15, 9.2e15, 5e15 + 0.5}
	switch {
	case strings.Contains(formula, "-"):
		huge = []float64{1e14, 1e14 + 0.001}
	case formula != "":
		huge = []float64{1e15, 2e15, 1.5e15 + 0.125}
	}
	meta := tr.Metadata
	target, _ := strconv.ParseFloat(cmpOr(meta["threshold"], meta["targetValue"], "5"), 64)
	activation, _ := strconv.ParseFloat(cmpOr(meta["activationThreshold"], meta["activationTargetValue"], "0"), 64)
	failRate := []float64{0, 0.05, 0.15, 0.3}[r.IntN(4)]
	zeroRate := []float64{0.05, 0.2, 0.4}[r.IntN(3)]
	var out []segment
	for at := time.Duration(0); at < duration; {
		g := segment{from: at}
		switch x := r.Float64(); {
		case x < failRate:
			g.failed = true
		case x < failRate+zeroRate:
			g.value = 0
		case x < failRate+zeroRate+0.15:
			g.value = activation
		case x < failRate+zeroRate+0.2:
			g.value = activation + []float64{0.001, -0.001, 1e-9, 0.0004, 0.0005}[r.IntN(5)]
		case x < failRate+zeroRate+0.25:
			g.value = target * float64(1+r.IntN(8))
		case x < failRate+zeroRate+0.28:
			g.value = -float64(1 + r.IntN(10))
		case x < failRate+zeroRate+0.29:
			g.value = huge[r.IntN(len(huge))]
		case x < failRate+zeroRate+0.31 && kind == "prometheus":
			g.special = []string{"NaN", "+Inf", "-Inf"}[r.IntN(3)]
		default:
			v := r.Float64() * target * 12
			switch r.IntN(3) {
			case 0:
				v = math.Round(v)
			case 1:
				v = math.Round(v*1000) / 1000
			}
			g.value = v
		}
		out = append(out, g)
		// Failures come in runs of a few polls; other values last longer.
		var d time.Duration
		if g.failed {
			d = time.Duration(5+r.IntN(240)) * time.Second
		} else {
			d = time.Duration(5+r.IntN(600)) * time.Second
		}
		if r.IntN(3) == 0 {
			d += time.Duration(r.IntN(1000)) * time.Millisecond
		}
		at += d
	}
	return out
}

func cmpOr(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// manifestJSON is the ScaledObject as a manifest (JSON is YAML).
func (sc *scenario) manifestJSON() []byte {
	b, err := json.MarshalIndent(sc.object, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

func (sc *scenario) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nstart +%v, HPA offset +%v, duration %v, initial replicas %d, replica events %v\n",
		sc.manifestJSON(), sc.start, sc.hpaOffset, sc.duration, sc.initial, sc.events)
	for i, s := range sc.sources {
		fmt.Fprintf(&b, "trigger %d (%s):", i, s.kind)
		for _, g := range s.segments {
			switch {
			case g.failed:
				fmt.Fprintf(&b, " %v:fail", g.from)
			case g.special != "":
				fmt.Fprintf(&b, " %v:%s", g.from, g.special)
			default:
				fmt.Fprintf(&b, " %v:%v", g.from, g.value)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
