package conformance

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/autoreplay/autoreplay/hpa"
)

// A scenario is one HPA and the controller flags it runs under, generated
// from a single seed, together with the random processes (interval, load,
// readiness, failures, human edits) that feed its ticks.
type scenario struct {
	seed  uint64
	rng   *rand.Rand
	ticks int

	// Controller flags.
	tolerance float64
	window    time.Duration

	api  autoscalingv2.HorizontalPodAutoscalerSpec
	spec hpa.Spec
	// container names the container of ContainerResource metrics, per metric.
	container []string
	// names are the metrics' names in the controller's rescale reasons.
	names []string

	// Tick interval process.
	intervalMode string
	intervals    []int // candidate whole-second intervals for "edges"

	// Workload process.
	lagMode    string
	createRate int32 // pods created per tick at most
	readyRate  int32 // pods becoming ready per tick at most
	pPerturb   float64

	// Metric processes.
	load       float64   // demand, in pods
	volatility float64   // of the demand's random walk, per tick
	zeroLoad   int       // remaining ticks of zero demand
	noise      []float64 // per metric: bias of its reading against the demand
	// pSpike is the chance of a one-tick spike or dip of the demand: a lone
	// recommendation then leaves the stabilization windows exactly at their
	// edge.
	pSpike float64
	pEdge  float64 // chance of a reading exactly on a tolerance edge
	pOdd   float64 // chance of a negative or huge (overflowing) reading
	pFail  float64 // chance of a failed reading
	outage []int   // per metric: remaining ticks of failure
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// newScenario generates the scenario of a seed.
func newScenario(seed uint64) *scenario {
	r := rand.New(rand.NewPCG(seed, 0x6175746f7265706c)) // "autorepl"
	s := &scenario{seed: seed, rng: r}
	s.ticks = 300 + r.IntN(301)
	s.api.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: targetName}

	s.tolerance = 0.1
	if chance(r, 0.3) {
		s.tolerance = pick(r, 0.0, 0.05, 0.15, 0.2, 0.01)
	}
	s.window = 5 * time.Minute
	if chance(r, 0.4) {
		s.window = time.Duration(pick(r, 0, 1, 15, 30, 60, 120, 600, 3600, r.IntN(901))) * time.Second
	}

	s.genIntervals()
	s.genMetrics()
	s.genReplicaBounds()
	if !chance(r, 0.3) {
		s.genBehavior()
	}
	s.resolveEngineSpec()
	s.names = metricNames(s.api.Metrics)

	s.lagMode = pick(r, "instant", "lagged", "lagged", "slow")
	s.createRate = int32(1 + r.IntN(6))
	s.readyRate = int32(1 + r.IntN(4))
	if s.lagMode == "slow" {
		s.createRate, s.readyRate = 1, 1
	}
	s.pPerturb = pick(r, 0, 0.005, 0.02, 0.05)
	s.pFail = pick(r, 0, 0, 0.01, 0.05, 0.2)
	s.pEdge = pick(r, 0.05, 0.15, 0.3)
	s.load = float64(s.spec.MaxReplicas) * r.Float64()
	s.volatility = pick(r, 0.05, 0.15, 0.15, 0.3)
	s.pSpike = pick(r, 0, 0.02, 0.05, 0.1)
	s.pOdd = pick(r, 0, 0, 0, 0.002, 0.01)
	s.outage = make([]int, len(s.spec.Metrics))
	s.noise = make([]float64, len(s.spec.Metrics))
	for i := range s.noise {
		s.noise[i] = 0.7 + 0.5*r.Float64()
	}
	return s
}

func (s *scenario) genIntervals() {
	r := s.rng
	s.intervalMode = pick(r, "fixed15", "fixed15", "irregular", "jitter", "edges")
	switch s.intervalMode {
	case "edges":
		// Whole-second steps that divide common windows and periods, so
		// that samples land exactly on window and period boundaries.
		s.intervals = pick(r, []int{1, 5, 15}, []int{3, 15, 30}, []int{5, 10, 15, 60}, []int{1, 2, 3}, []int{15, 45, 60})
	}
}

func (s *scenario) interval() time.Duration {
	r := s.rng
	switch s.intervalMode {
	case "irregular":
		return time.Duration(1+r.IntN(60)) * time.Second
	case "jitter":
		if chance(r, 0.1) {
			return time.Duration(pick(r, 1, 14, 16, 29, 30, 45, 120, 300, 301)) * time.Second
		}
		return 15 * time.Second
	case "edges":
		return time.Duration(pick(r, s.intervals...)) * time.Second
	}
	return 15 * time.Second
}

type metricKind struct {
	typ    hpa.MetricType
	target hpa.TargetType
	name   string // resource name for Resource and ContainerResource
}

func (s *scenario) genMetrics() {
	r := s.rng
	kinds := []metricKind{
		{hpa.External, hpa.Value, ""},
		{hpa.External, hpa.AverageValue, ""},
		{hpa.Object, hpa.Value, ""},
		{hpa.Object, hpa.AverageValue, ""},
		{hpa.Pods, hpa.AverageValue, ""},
		{hpa.Resource, hpa.Utilization, "cpu"},
		{hpa.Resource, hpa.AverageValue, "cpu"},
		{hpa.Resource, hpa.Utilization, "memory"},
		{hpa.Resource, hpa.AverageValue, "memory"},
		{hpa.ContainerResource, hpa.Utilization, "cpu"},
		{hpa.ContainerResource, hpa.AverageValue, "cpu"},
		{hpa.ContainerResource, hpa.Utilization, "memory"},
		{hpa.ContainerResource, hpa.AverageValue, "memory"},
	}
	n := 1 + r.IntN(3)
	usedResource := map[string]bool{} // one metric per (source, resource)
	for len(s.spec.Metrics) < n {
		k := kinds[r.IntN(len(kinds))]
		if k.name != "" {
			id := fmt.Sprint(k.typ, k.name)
			if usedResource[id] {
				continue
			}
			usedResource[id] = true
		}
		i := len(s.spec.Metrics)
		m := hpa.Metric{Type: k.typ, Target: k.target, Name: k.name}
		if m.Name == "" {
			m.Name = fmt.Sprintf("m%d", i)
		}
		var target autoscalingv2.MetricTarget
		switch k.target {
		case hpa.Utilization:
			m.TargetUtilization = int32(pick(r, 50, 60, 70, 75, 80, 100, 150, 1+r.IntN(200)))
			target = autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &m.TargetUtilization}
		default:
			m.TargetMilli = pick(r, int64(1000), 500, 100, 250, 100_000, 50_000, 1+r.Int64N(1_000_000), 1000*(1+r.Int64N(100)))
			q := resource.NewMilliQuantity(m.TargetMilli, resource.DecimalSI)
			if k.target == hpa.Value {
				target = autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: q}
			} else {
				target = autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: q}
			}
		}
		ms := autoscalingv2.MetricSpec{}
		container := ""
		switch k.typ {
		case hpa.External:
			ms.Type = autoscalingv2.ExternalMetricSourceType
			ms.External = &autoscalingv2.ExternalMetricSource{
				Metric: autoscalingv2.MetricIdentifier{Name: m.Name, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"queue": m.Name}}},
				Target: target,
			}
		case hpa.Object:
			ms.Type = autoscalingv2.ObjectMetricSourceType
			ms.Object = &autoscalingv2.ObjectMetricSource{
				DescribedObject: autoscalingv2.CrossVersionObjectReference{APIVersion: "v1", Kind: "Service", Name: "frontend"},
				Metric:          autoscalingv2.MetricIdentifier{Name: m.Name},
				Target:          target,
			}
		case hpa.Pods:
			ms.Type = autoscalingv2.PodsMetricSourceType
			ms.Pods = &autoscalingv2.PodsMetricSource{Metric: autoscalingv2.MetricIdentifier{Name: m.Name}, Target: target}
		case hpa.Resource:
			ms.Type = autoscalingv2.ResourceMetricSourceType
			ms.Resource = &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceName(k.name), Target: target}
		case hpa.ContainerResource:
			container = "app"
			ms.Type = autoscalingv2.ContainerResourceMetricSourceType
			ms.ContainerResource = &autoscalingv2.ContainerResourceMetricSource{Name: corev1.ResourceName(k.name), Container: container, Target: target}
		}
		s.spec.Metrics = append(s.spec.Metrics, m)
		s.api.Metrics = append(s.api.Metrics, ms)
		s.container = append(s.container, container)
	}
}

func (s *scenario) hasObjectOrExternal() bool {
	return slices.ContainsFunc(s.spec.Metrics, func(m hpa.Metric) bool { return m.Type == hpa.Object || m.Type == hpa.External })
}

func (s *scenario) genReplicaBounds() {
	r := s.rng
	var minR int32 = 1
	switch {
	case s.hasObjectOrExternal() && chance(r, 0.4):
		minR = 0
	case chance(r, 0.2):
		// minReplicas unset: the controller's default of 1.
	default:
		minR = int32(pick(r, 1, 1, 2, 3, 5, 1+r.IntN(10)))
	}
	if minR != 1 || chance(r, 0.5) {
		s.api.MinReplicas = &minR
	}
	s.spec.MinReplicas = minR
	s.spec.MaxReplicas = max(minR, 1) + int32(pick(r, 0, 1, 3, 9, 19, r.IntN(50)))
	s.api.MaxReplicas = s.spec.MaxReplicas
}

func (s *scenario) genWindow(edge bool) int32 {
	r := s.rng
	if edge && len(s.intervals) > 0 {
		return int32(pick(r, s.intervals...) * (1 + r.IntN(20)))
	}
	return int32(pick(r, 0, 0, 15, 30, 45, 60, 120, 300, 600, 3600, 1+r.IntN(3600), 15*r.IntN(241)))
}

func (s *scenario) genRules(up bool) *autoscalingv2.HPAScalingRules {
	r := s.rng
	rules := &autoscalingv2.HPAScalingRules{}
	w := s.genWindow(chance(r, 0.3))
	if up && chance(r, 0.4) {
		w = 0
	}
	if up || !chance(r, 0.25) {
		// An unset scale-down window takes the controller's
		// --horizontal-pod-autoscaler-downscale-stabilization.
		rules.StabilizationWindowSeconds = &w
	}
	sel := pick(r, autoscalingv2.MaxChangePolicySelect, autoscalingv2.MaxChangePolicySelect, autoscalingv2.MaxChangePolicySelect,
		autoscalingv2.MinChangePolicySelect, autoscalingv2.MinChangePolicySelect, autoscalingv2.DisabledPolicySelect)
	rules.SelectPolicy = &sel
	if chance(r, 0.2) {
		// The API defaults.
		if up {
			rules.Policies = []autoscalingv2.HPAScalingPolicy{
				{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
				{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
			}
		} else {
			rules.Policies = []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}}
		}
	} else {
		n := 1 + r.IntN(3)
		for range n {
			p := autoscalingv2.HPAScalingPolicy{}
			if chance(r, 0.5) {
				p.Type = autoscalingv2.PodsScalingPolicy
				p.Value = int32(pick(r, 1, 1, 2, 3, 4, 5, 10, 1+r.IntN(20)))
			} else {
				p.Type = autoscalingv2.PercentScalingPolicy
				p.Value = int32(pick(r, 10, 20, 50, 100, 100, 200, 1+r.IntN(150), 1+r.IntN(1000)))
			}
			if chance(r, 0.3) && len(s.intervals) > 0 {
				p.PeriodSeconds = int32(pick(r, s.intervals...) * (1 + r.IntN(10)))
			} else {
				p.PeriodSeconds = int32(pick(r, 15, 15, 30, 60, 60, 120, 300, 1800, 1, 1+r.IntN(1800), 15*(1+r.IntN(120))))
			}
			rules.Policies = append(rules.Policies, p)
		}
	}
	if chance(r, 0.5) {
		t := pick(r, int64(0), 0, 10, 50, 50, 100, 150, 200, 500, r.Int64N(300))
		q := resource.NewMilliQuantity(t, resource.DecimalSI)
		rules.Tolerance = q
	}
	return rules
}

func (s *scenario) genBehavior() {
	s.api.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{
		ScaleUp:   s.genRules(true),
		ScaleDown: s.genRules(false),
	}
}

// resolveEngineSpec derives the engine's spec from the API spec the way the
// controller reads it (defaults resolved, flags applied).
func (s *scenario) resolveEngineSpec() {
	s.spec.Tolerance = hpa.Tolerance{Down: s.tolerance, Up: s.tolerance}
	s.spec.LegacyDownscaleWindow = s.window
	b := s.api.Behavior
	if b == nil {
		return
	}
	conv := func(ru *autoscalingv2.HPAScalingRules) hpa.Rules {
		out := hpa.Rules{StabilizationWindow: s.window.Truncate(time.Second)}
		if ru.StabilizationWindowSeconds != nil {
			out.StabilizationWindow = time.Duration(*ru.StabilizationWindowSeconds) * time.Second
		}
		switch *ru.SelectPolicy {
		case autoscalingv2.MinChangePolicySelect:
			out.SelectPolicy = hpa.MinChange
		case autoscalingv2.DisabledPolicySelect:
			out.SelectPolicy = hpa.Disabled
		}
		for _, p := range ru.Policies {
			pt := hpa.PodsPolicy
			if p.Type == autoscalingv2.PercentScalingPolicy {
				pt = hpa.PercentPolicy
			}
			out.Policies = append(out.Policies, hpa.Policy{Type: pt, Value: p.Value, Period: time.Duration(p.PeriodSeconds) * time.Second})
		}
		return out
	}
	s.spec.Behavior = &hpa.Behavior{ScaleUp: conv(b.ScaleUp), ScaleDown: conv(b.ScaleDown)}
	if t := b.ScaleUp.Tolerance; t != nil {
		s.spec.Tolerance.Up = t.AsApproximateFloat64()
	}
	if t := b.ScaleDown.Tolerance; t != nil {
		s.spec.Tolerance.Down = t.AsApproximateFloat64()
	}
}

// state is the target workload as the controller sees it at a tick.
type state struct {
	target hpa.Target
	obs    []hpa.Observation
}

// perturb occasionally overrides spec.replicas the way a human or another
// controller would, including 0 and values outside [min, max].
func (s *scenario) perturb(spec int32) int32 {
	r := s.rng
	if spec == 0 && chance(r, 0.1) {
		// Someone notices the workload is off and starts it again (the HPA
		// does not scale a workload up from zero it did not scale to zero).
		return 1 + int32(r.IntN(int(s.spec.MaxReplicas)+2))
	}
	if !chance(r, s.pPerturb) {
		return spec
	}
	mn, mx := s.spec.MinReplicas, s.spec.MaxReplicas
	return max(0, pick(r, 0, 0, mn-1, mn, mx, mx+1, mx+1+int32(r.IntN(5)), spec+1, spec-1, int32(r.IntN(int(mx)+6))))
}

// progress moves the workload's pods toward spec: pods are created and
// become ready with a lag depending on the scenario; removals are immediate.
func (s *scenario) progress(t hpa.Target) hpa.Target {
	r := s.rng
	switch s.lagMode {
	case "instant":
		return hpa.Steady(t.Replicas)
	}
	if t.StatusReplicas < t.Replicas {
		add := s.createRate
		if chance(r, 0.2) {
			add = t.Replicas
		}
		t.StatusReplicas = min(t.Replicas, t.StatusReplicas+add)
	} else if t.StatusReplicas > t.Replicas {
		// Terminating pods still count for a while.
		if chance(r, 0.5) {
			t.StatusReplicas = t.Replicas
		} else {
			t.StatusReplicas = max(t.Replicas, t.StatusReplicas-s.createRate)
		}
	}
	t.ReadyReplicas = min(t.ReadyReplicas, t.StatusReplicas)
	if t.ReadyReplicas < t.StatusReplicas {
		t.ReadyReplicas = min(t.StatusReplicas, t.ReadyReplicas+int32(r.IntN(int(s.readyRate)+1)))
	}
	if t.ReadyReplicas > 0 && chance(r, 0.01) {
		t.ReadyReplicas-- // a pod fails its readiness probe
	}
	if chance(r, 0.002) {
		t.ReadyReplicas = 0 // every pod fails at once
	}
	return t
}

// observe produces the metric readings of a tick for the workload t. A
// random walk of the demand, in pods, drives every metric (each with its own
// bias) so the loop converges and diverges; some readings are placed exactly
// on the tolerance edges.
func (s *scenario) observe(t hpa.Target, obs []hpa.Observation) {
	r := s.rng
	mx := float64(s.spec.MaxReplicas)
	switch {
	case s.zeroLoad > 0:
		s.zeroLoad--
		s.load = 0
	case chance(r, 0.01) && s.hasObjectOrExternal():
		s.zeroLoad = r.IntN(60)
		s.load = 0
	case chance(r, 0.03):
		s.load = r.Float64() * (1.1*mx + 2)
	default:
		s.load = math.Max(0.2, s.load) * math.Exp(r.NormFloat64()*s.volatility)
		s.load = math.Min(s.load, 1.2*mx+3)
	}
	load := s.load
	if chance(r, s.pSpike) {
		if chance(r, 0.5) {
			load *= 1.5 + 1.5*r.Float64()
		} else {
			load *= 0.2 + 0.4*r.Float64()
		}
	}
	ready := float64(t.ReadyReplicas)
	for i, m := range s.spec.Metrics {
		o := &obs[i]
		*o = hpa.Observation{}
		if s.outage[i] > 0 {
			s.outage[i]--
			o.Failed = true
			continue
		}
		if chance(r, s.pFail) {
			o.Failed = true
			if chance(r, 0.2) {
				s.outage[i] = r.IntN(20)
			}
			continue
		}
		if chance(r, 0.02) {
			s.noise[i] = 0.7 + 0.5*r.Float64()
		}
		// ratio is the usage ratio the reading should produce.
		ratio := load * s.noise[i] / math.Max(1, ready)
		perPod := m.Target == hpa.AverageValue && (m.Type == hpa.External || m.Type == hpa.Object)
		if perPod {
			ratio = load * s.noise[i] / math.Max(1, float64(t.StatusReplicas))
		}
		if load == 0 {
			ratio = 0
		}
		if chance(r, s.pEdge) {
			tol := s.spec.Tolerance
			ratio = pick(r, 1+tol.Up, 1-tol.Down, 1, 1+tol.Up, 1-tol.Down, 2, 0.5)
		}
		switch {
		case m.Target == hpa.Utilization:
			o.Milli = int64(math.Round(float64(m.TargetUtilization) * 1000 * ratio))
			if chance(r, 0.2) {
				o.Milli += r.Int64N(1000) // within the same whole percent
			}
		case perPod:
			o.Milli = int64(math.Round(float64(m.TargetMilli) * float64(t.StatusReplicas) * ratio))
			if t.StatusReplicas == 0 {
				o.Milli = int64(math.Round(float64(m.TargetMilli) * load * s.noise[i]))
			}
		default:
			o.Milli = int64(math.Round(float64(m.TargetMilli) * ratio))
		}
		if chance(r, 0.1) {
			o.Milli += r.Int64N(3) - 1
		}
		o.Milli = max(0, o.Milli)
		if chance(r, s.pOdd) {
			o.Milli = pick(r, -o.Milli, -1, -r.Int64N(1<<40), 1<<40+r.Int64N(1<<50), 1<<62, math.MaxInt64/3, math.MaxInt64)
		}
	}
}

// describe prints the scenario's spec on both sides.
func (s *scenario) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "controller: tolerance=%v downscale-stabilization=%v\n", s.tolerance, s.window)
	fmt.Fprintf(&b, "processes: ticks=%d interval=%s%v lag=%s create=%d ready=%d perturb=%v fail=%v edge=%v volatility=%v spike=%v odd=%v\n",
		s.ticks, s.intervalMode, s.intervals, s.lagMode, s.createRate, s.readyRate, s.pPerturb, s.pFail, s.pEdge, s.volatility, s.pSpike, s.pOdd)
	fmt.Fprintf(&b, "engine spec: min=%d max=%d tolerance=%+v legacyWindow=%v\n", s.spec.MinReplicas, s.spec.MaxReplicas, s.spec.Tolerance, s.spec.LegacyDownscaleWindow)
	for i, m := range s.spec.Metrics {
		fmt.Fprintf(&b, "  metric[%d] %+v\n", i, m)
	}
	if bh := s.spec.Behavior; bh != nil {
		fmt.Fprintf(&b, "  scaleUp:   %+v\n  scaleDown: %+v\n", bh.ScaleUp, bh.ScaleDown)
	} else {
		b.WriteString("  behavior: nil (legacy path)\n")
	}
	b.WriteString("upstream spec: ")
	b.WriteString(jsonString(s.api))
	return b.String()
}
