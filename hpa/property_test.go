package hpa

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// This file checks Step against a reference model written from the
// controller's definitions (horizontal.go, Kubernetes v1.37), not from the
// engine: the model keeps every raw recommendation and every scale event
// and answers each question by scanning them. Random valid specs are run in
// a closed loop (the next target is the decided count), with lagging
// status/ready counts and humans who sometimes change the replica count.

var propT0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func propPick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

// propSpec returns a random spec that passes Validate.
func propSpec(r *rand.Rand) Spec {
	for {
		s := propSpecCandidate(r)
		if s.Validate() == nil {
			return s
		}
	}
}

func propSpecCandidate(r *rand.Rand) Spec {
	var s Spec
	for i := range 1 + r.IntN(3) {
		s.Metrics = append(s.Metrics, propMetric(r, i))
	}
	if r.IntN(5) != 0 {
		s.MinReplicas = int32(1 + r.IntN(5))
	} // else 0: valid only with an Object or External metric
	s.MaxReplicas = max(s.MinReplicas, 1) + int32(r.IntN(40))
	if r.IntN(10) < 7 {
		s.Behavior = &Behavior{ScaleUp: propRules(r, true), ScaleDown: propRules(r, false)}
		s.Tolerance = Tolerance{Down: propPick(r, 0, 0.05, 0.1, 0.25), Up: propPick(r, 0, 0.05, 0.1, 0.25)}
	} else {
		s.Tolerance = Tolerance{Down: DefaultTolerance, Up: DefaultTolerance}
		s.LegacyDownscaleWindow = propPick(r, 0, 15*time.Second, 60*time.Second,
			DefaultDownscaleStabilizationWindow, time.Duration(r.IntN(601))*time.Second)
	}
	return s
}

func propMetric(r *rand.Rand, i int) Metric {
	m := Metric{Name: fmt.Sprintf("m%d", i)}
	switch r.IntN(5) {
	case 0:
		m.Type, m.Target = External, propPick(r, Value, AverageValue)
	case 1:
		m.Type, m.Target = Object, propPick(r, Value, AverageValue)
	case 2:
		m.Type, m.Target = Pods, AverageValue
	case 3:
		m.Type, m.Target = Resource, propPick(r, Utilization, AverageValue)
	default:
		m.Type, m.Target = ContainerResource, propPick(r, Utilization, AverageValue)
	}
	if m.Target == Utilization {
		m.TargetUtilization = int32(1 + r.IntN(150))
	} else {
		m.TargetMilli = propPick(r, 100, 500, 1000, 2500, 1+r.Int64N(100_000))
	}
	return m
}

func propRules(r *rand.Rand, up bool) Rules {
	rules := Rules{
		StabilizationWindow: propPick(r, 0, 0, 15*time.Second, 60*time.Second, 300*time.Second,
			time.Duration(r.IntN(901))*time.Second),
		SelectPolicy: propPick(r, MaxChange, MaxChange, MaxChange, MinChange, MinChange, Disabled),
	}
	for range 1 + r.IntN(3) {
		p := Policy{Period: propPick(r, 15*time.Second, 60*time.Second, time.Duration(1+r.IntN(600))*time.Second)}
		if r.IntN(2) == 0 {
			p.Type, p.Value = PodsPolicy, int32(1+r.IntN(10))
		} else {
			p.Type = PercentPolicy
			switch {
			case up:
				p.Value = int32(1 + r.IntN(300))
			case r.IntN(10) == 0:
				p.Value = int32(101 + r.IntN(100)) // valid, if odd, for scale-down
			default:
				p.Value = int32(1 + r.IntN(100))
			}
		}
		rules.Policies = append(rules.Policies, p)
	}
	return rules
}

// propObs fills obs with readings that make each metric propose about load
// replicas (times noise) for the pods of cur; failP is the chance that a
// reading fails.
func propObs(r *rand.Rand, s *Spec, cur Target, load, failP float64, obs []Observation) {
	ready := float64(max(cur.ReadyReplicas, 1))
	for i, m := range s.Metrics {
		if r.Float64() < failP {
			obs[i] = Observation{Failed: true}
			continue
		}
		f := load * (0.8 + 0.4*r.Float64())
		var v float64
		switch {
		case m.Target == Utilization:
			v = f / ready * float64(m.TargetUtilization) * 1000
		case m.Target == AverageValue && (m.Type == External || m.Type == Object):
			v = f * float64(m.TargetMilli)
		default: // Value totals and per-pod averages
			v = f / ready * float64(m.TargetMilli)
		}
		switch r.IntN(100) {
		case 0:
			v = 0
		case 1:
			v = -v
		}
		obs[i] = Observation{Milli: int64(v)}
	}
}

// propEvent is one scale event as the model keeps it.
type propEvent struct {
	t      time.Time
	change int32
}

// propStats counts how often each rule was exercised, so that a run that
// never reached a property cannot pass silently.
type propStats struct {
	steps, disabled, aboveMax, belowMin, refused, computed     int
	stabilizedDiffers, upLimited, downLimited, legacyUpLimited int
	scaledToZero                                               int
}

// propModel is the reference: it records what the controller records and
// checks each decision against the definitions.
type propModel struct {
	spec    Spec
	started bool
	recs    []sample // raw recommendations: the initial one and every computed, not refused tick
	ups     []propEvent
	downs   []propEvent
	horizon time.Duration // longest window or period: older history can never matter
	stats   propStats
}

func newPropModel(s Spec) *propModel {
	m := &propModel{spec: s, horizon: s.LegacyDownscaleWindow}
	if b := s.Behavior; b != nil {
		m.horizon = max(b.ScaleUp.StabilizationWindow, b.ScaleDown.StabilizationWindow)
		for _, p := range b.ScaleUp.Policies {
			m.horizon = max(m.horizon, p.Period)
		}
		for _, p := range b.ScaleDown.Policies {
			m.horizon = max(m.horizon, p.Period)
		}
	}
	return m
}

// prune forgets history strictly before now-horizon; it never counts again
// since time does not go back.
func (m *propModel) prune(now time.Time) {
	cutoff := now.Add(-m.horizon)
	i := 0
	for i < len(m.recs) && m.recs[i].t.Before(cutoff) {
		i++
	}
	m.recs = m.recs[i:]
	for _, evs := range []*[]propEvent{&m.ups, &m.downs} {
		j := 0
		for j < len(*evs) && (*evs)[j].t.Before(cutoff) {
			j++
		}
		*evs = (*evs)[j:]
	}
}

// sumAfter is the sum of the changes strictly after now-period.
func propSumAfter(evs []propEvent, now time.Time, period time.Duration) int32 {
	cutoff := now.Add(-period)
	var sum int32
	for _, e := range evs {
		if e.t.After(cutoff) {
			sum += e.change
		}
	}
	return sum
}

func propLongest(r *Rules) time.Duration {
	var l time.Duration
	for _, p := range r.Policies {
		l = max(l, p.Period)
	}
	return l
}

// propPolicyLimit is the count one policy allows from the period-start count
// (calculateScaleUpLimitWithScalingRules / calculateScaleDownLimitWithBehaviors).
func propPolicyLimit(p Policy, start int32, up bool) int32 {
	switch {
	case up && p.Type == PodsPolicy:
		return start + p.Value
	case up:
		return int32(math.Ceil(float64(start) * (1 + float64(p.Value)/100)))
	case p.Type == PodsPolicy:
		return start - p.Value
	default:
		return int32(float64(start) * (1 - float64(p.Value)/100))
	}
}

// limitRange bounds the limit the policies of one direction give. The
// events of the direction itself within any of its periods are all known to
// the controller. Events of the other direction are kept by the controller
// at least for the other direction's longest period, and possibly longer
// (an outdated event is reused only when a new one is stored), so their sum
// over a period lies between the sum over min(period, that longest period)
// and the sum over the whole period. Each policy's limit is monotone in the
// period-start count, and min/max over policies are monotone, so the limit
// lies between the values at the two ends.
func (m *propModel) limitRange(now time.Time, cur int32, r *Rules, up bool) (lo, hi int32) {
	if r.SelectPolicy == Disabled {
		return cur, cur
	}
	b := m.spec.Behavior
	same, other, otherLongest := m.ups, m.downs, propLongest(&b.ScaleDown)
	if !up {
		same, other, otherLongest = m.downs, m.ups, propLongest(&b.ScaleUp)
	}
	// Up: the largest change wins with MaxChange; down: the lowest limit.
	pickMax := (r.SelectPolicy == MaxChange) == up
	for i, p := range r.Policies {
		sameSum := propSumAfter(same, now, p.Period)
		otherAll := propSumAfter(other, now, p.Period)
		otherKept := propSumAfter(other, now, min(p.Period, otherLongest))
		var s1, s2 int32 // period start = current - added + removed
		if up {
			s1, s2 = cur-sameSum+otherKept, cur-sameSum+otherAll
		} else {
			s1, s2 = cur-otherAll+sameSum, cur-otherKept+sameSum
		}
		a, c := propPolicyLimit(p, s1, up), propPolicyLimit(p, s2, up)
		pl, ph := min(a, c), max(a, c)
		switch {
		case i == 0:
			lo, hi = pl, ph
		case pickMax:
			lo, hi = max(lo, pl), max(hi, ph)
		default:
			lo, hi = min(lo, pl), min(hi, ph)
		}
	}
	return lo, hi
}

// rateBounds bounds convertDesiredReplicasWithBehaviorRate(current, desired).
func (m *propModel) rateBounds(now time.Time, cur, desired int32) (lo, hi int32) {
	s, b := &m.spec, m.spec.Behavior
	switch {
	case desired > cur:
		l1, l2 := m.limitRange(now, cur, &b.ScaleUp, true)
		f := func(l int32) int32 { return min(desired, s.MaxReplicas, max(l, cur)) }
		return f(l1), f(l2)
	case desired < cur:
		l1, l2 := m.limitRange(now, cur, &b.ScaleDown, false)
		f := func(l int32) int32 { return max(desired, s.MinReplicas, min(l, cur)) }
		return f(l1), f(l2)
	}
	return desired, desired
}

func propHasObjectOrExternal(s *Spec) bool {
	for _, m := range s.Metrics {
		if m.Type == Object || m.Type == External {
			return true
		}
	}
	return false
}

// step checks the decision d that Step(now, cur, obs) returned, with
// prevZero the ScaledToZero condition before the step and zeroAfter the one
// after, then records what the controller records.
func (m *propModel) step(now time.Time, cur Target, obs []Observation, prevZero bool, d Decision, zeroAfter bool) error {
	s := &m.spec
	m.stats.steps++
	if d.Current != cur.Replicas {
		return fmt.Errorf("Current = %d, the target had %d", d.Current, cur.Replicas)
	}
	if d.Rescale != (d.Desired != d.Current) {
		return fmt.Errorf("Rescale = %v with Current %d and Desired %d", d.Rescale, d.Current, d.Desired)
	}
	if !m.started { // recordInitialRecommendation
		m.started = true
		m.recs = append(m.recs, sample{now, cur.Replicas})
	}
	m.prune(now)

	// (a) bounds, and the snapping rules outside them.
	c := cur.Replicas
	switch {
	case c == 0 && !prevZero:
		m.stats.disabled++
		if d.Desired != 0 || !d.Reasons.Has(ReasonScalingDisabled) || d.Proposals != nil {
			return fmt.Errorf("(a) at zero replicas without ScaledToZero: Desired %d, reasons %v, want 0 and ScalingDisabled without metrics", d.Desired, d.Reasons)
		}
	case c > s.MaxReplicas:
		m.stats.aboveMax++
		if d.Desired != s.MaxReplicas || !d.Reasons.Has(ReasonAboveMaxReplicas) || d.Proposals != nil {
			return fmt.Errorf("(a) above max: Desired %d, reasons %v, want max %d without metrics", d.Desired, d.Reasons, s.MaxReplicas)
		}
	case c < s.MinReplicas && c != 0:
		m.stats.belowMin++
		if d.Desired != s.MinReplicas || !d.Reasons.Has(ReasonBelowMinReplicas) || d.Proposals != nil {
			return fmt.Errorf("(a) below min: Desired %d, reasons %v, want min %d without metrics", d.Desired, d.Reasons, s.MinReplicas)
		}
	default:
		if err := m.computed(now, cur, obs, prevZero, d); err != nil {
			return err
		}
	}
	if c >= s.MinReplicas && c <= s.MaxReplicas && (d.Desired < s.MinReplicas || d.Desired > s.MaxReplicas) {
		return fmt.Errorf("(a) started within [%d,%d] at %d, ended at %d", s.MinReplicas, s.MaxReplicas, c, d.Desired)
	}

	wantZero := prevZero
	if d.Rescale {
		wantZero = c > 0 && d.Desired == 0 && s.MinReplicas == 0 && propHasObjectOrExternal(s)
		if d.Desired > c {
			m.ups = append(m.ups, propEvent{now, d.Desired - c})
		} else {
			m.downs = append(m.downs, propEvent{now, c - d.Desired})
		}
	}
	if zeroAfter != wantZero || d.Reasons.Has(ReasonScaledToZero) != (d.Rescale && wantZero) {
		return fmt.Errorf("ScaledToZero = %v, reason %v; want %v", zeroAfter, d.Reasons.Has(ReasonScaledToZero), wantZero)
	}
	if wantZero && d.Rescale {
		m.stats.scaledToZero++
	}
	return nil
}

// computed checks a reconcile that computes metrics.
func (m *propModel) computed(now time.Time, cur Target, obs []Observation, prevZero bool, d Decision) error {
	s := &m.spec
	c := cur.Replicas
	if len(d.Proposals) != len(s.Metrics) {
		return fmt.Errorf("%d proposals for %d metrics", len(d.Proposals), len(s.Metrics))
	}
	// computeReplicasForMetrics: the first valid proposal is taken while the
	// running value is 0, then only larger ones.
	invalid, metric := 0, -1
	var best int32
	for i, p := range d.Proposals {
		if obs[i].Failed && !p.Failed {
			return fmt.Errorf("metric %d: a failed observation gave a proposal", i)
		}
		if p.Failed {
			invalid++
			continue
		}
		if best == 0 || p.Replicas > best {
			best, metric = p.Replicas, i
		}
	}
	if invalid == len(s.Metrics) || (invalid > 0 && best < c) {
		m.stats.refused++
		if d.Desired != c || !d.Reasons.Has(ReasonFailedComputeMetricsReplicas) || d.Metric != -1 {
			return fmt.Errorf("refused reconcile: Desired %d, Metric %d, reasons %v; want %d, -1, FailedComputeMetricsReplicas", d.Desired, d.Metric, d.Reasons, c)
		}
		return nil // no recommendation stored
	}
	m.stats.computed++
	if d.Reasons.Has(ReasonFailedComputeMetricsReplicas) {
		return fmt.Errorf("FailedComputeMetricsReplicas with a usable proposal %d", best)
	}
	if d.Metric != metric {
		return fmt.Errorf("Metric = %d, want %d", d.Metric, metric)
	}
	rec := max(0, best)
	if d.Recommendation != rec {
		return fmt.Errorf("Recommendation = %d, want %d", d.Recommendation, rec)
	}
	fromZeroMin := func(v int32) int32 {
		if c == 0 && s.MinReplicas != 0 && prevZero && v < s.MinReplicas {
			return s.MinReplicas
		}
		return v
	}
	if s.Behavior == nil {
		// (c) the maximum over the downscale window, inclusive edge.
		stab := rec
		cutoff := now.Add(-s.LegacyDownscaleWindow)
		for _, h := range m.recs {
			if !h.t.Before(cutoff) && h.v > stab {
				stab = h.v
			}
		}
		if d.Stabilized != stab {
			return fmt.Errorf("(c) legacy Stabilized = %d, want %d (max over [now-%v, now] of %v and %d)", d.Stabilized, stab, s.LegacyDownscaleWindow, m.recs, rec)
		}
		// convertDesiredReplicasWithRules
		limit := int32(max(2*int64(c), 4))
		maxAllowed := min(s.MaxReplicas, limit)
		want := stab
		switch {
		case stab < s.MinReplicas:
			want = s.MinReplicas
		case stab > maxAllowed:
			want = maxAllowed
		}
		want = fromZeroMin(want)
		if d.Desired != want {
			return fmt.Errorf("legacy Desired = %d, want %d (stabilized %d, current %d)", d.Desired, want, stab, c)
		}
		// (d) the per-reconcile scale-up limit.
		if d.Desired > c && int64(d.Desired) > max(2*int64(c), 4) {
			return fmt.Errorf("(d) legacy scale-up %d → %d exceeds max(2×current, 4)", c, d.Desired)
		}
		if stab > limit && limit < s.MaxReplicas {
			m.stats.legacyUpLimited++
		}
	} else {
		// (b) clamp current into [min over the scale-up window, max over the
		// scale-down window], exclusive edges, both including rec.
		b := s.Behavior
		upMin, downMax := rec, rec
		upCut, downCut := now.Add(-b.ScaleUp.StabilizationWindow), now.Add(-b.ScaleDown.StabilizationWindow)
		for _, h := range m.recs {
			if h.t.After(upCut) {
				upMin = min(upMin, h.v)
			}
			if h.t.After(downCut) {
				downMax = max(downMax, h.v)
			}
		}
		stab := min(max(c, upMin), downMax)
		if d.Stabilized != stab || d.Stabilized < upMin || d.Stabilized > downMax {
			return fmt.Errorf("(b) Stabilized = %d, want current %d clamped into [%d, %d] = %d", d.Stabilized, c, upMin, downMax, stab)
		}
		// (e) the policies and bounds.
		lo, hi := m.rateBounds(now, c, stab)
		lo, hi = fromZeroMin(lo), fromZeroMin(hi)
		if d.Desired < lo || d.Desired > hi {
			return fmt.Errorf("(e) Desired = %d from current %d, stabilized %d: the policies allow [%d, %d]; ups %v downs %v",
				d.Desired, c, stab, lo, hi, m.ups, m.downs)
		}
		if stab > c && d.Desired < min(stab, s.MaxReplicas) {
			m.stats.upLimited++
		}
		if stab < c && d.Desired > max(stab, s.MinReplicas) {
			m.stats.downLimited++
		}
	}
	if d.Stabilized != rec {
		m.stats.stabilizedDiffers++
	}
	m.recs = append(m.recs, sample{now, rec})
	return nil
}

// propOpts shapes a closed-loop trace.
type propOpts struct {
	steps     int
	fixedTick bool    // 15 s ticks only; else irregular, with repeats
	lag       bool    // status and ready counts trail the decided count
	humans    bool    // someone sometimes sets the replica count by hand
	failP     float64 // chance that a reading fails
}

func propRandomOpts(r *rand.Rand, steps int) propOpts {
	return propOpts{
		steps:     steps,
		fixedTick: r.IntN(2) == 0,
		lag:       r.IntN(2) == 0,
		humans:    r.IntN(3) != 0,
		failP:     propPick(r, 0, 0.02, 0.1, 0.3),
	}
}

// propRun runs one closed loop, checks every decision with the model, and
// returns the decisions (with their proposals copied) when keep is set.
func propRun(t testing.TB, r *rand.Rand, spec Spec, o propOpts, keep bool) ([]Decision, *Autoscaler, *propModel) {
	t.Helper()
	a, err := New(spec)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	m := newPropModel(spec)
	var out []Decision
	now := propT0
	replicas := spec.MinReplicas + int32(r.IntN(int(spec.MaxReplicas-spec.MinReplicas)+1))
	cur := Steady(replicas)
	load := float64(replicas)
	obs := make([]Observation, len(spec.Metrics))
	for i := range o.steps {
		// the load: a random walk with jumps
		load = max(0, load+r.NormFloat64()*1.5)
		if r.IntN(40) == 0 {
			load = r.Float64() * (1.5*float64(spec.MaxReplicas) + 3)
		}
		failP := o.failP
		if r.IntN(100) == 0 {
			failP = 1
		}
		propObs(r, &spec, cur, load, failP, obs)

		prevZero := a.ScaledToZero()
		d := a.Step(now, cur, obs)
		if err := m.step(now, cur, obs, prevZero, d, a.ScaledToZero()); err != nil {
			t.Fatalf("step %d at +%v, target %+v, obs %+v: %v\nspec %s\ndecision %+v", i, now.Sub(propT0), cur, obs, err, propSpecString(&spec), d)
		}
		if keep {
			d.Proposals = append([]Proposal(nil), d.Proposals...)
			out = append(out, d)
		}

		// the next target
		replicas = d.Desired
		if o.humans && r.IntN(50) == 0 {
			replicas = int32(r.IntN(int(spec.MaxReplicas) + 5))
		}
		if o.lag {
			status := cur.StatusReplicas
			if r.IntN(3) != 0 {
				switch {
				case status < replicas:
					status += int32(1 + r.IntN(int(replicas-status)))
				case status > replicas:
					status -= int32(1 + r.IntN(int(status-replicas)))
				}
			}
			ready := status
			if r.IntN(2) == 0 {
				ready = max(0, status-int32(r.IntN(3)))
			}
			cur = Target{Replicas: replicas, StatusReplicas: status, ReadyReplicas: ready}
		} else {
			cur = Steady(replicas)
		}

		// the next time
		if o.fixedTick {
			now = now.Add(DefaultSyncPeriod)
		} else {
			now = now.Add(propPick(r, 0, time.Second, 5*time.Second, 15*time.Second, 15*time.Second,
				15*time.Second, 30*time.Second, 61*time.Second, time.Duration(r.IntN(20_000))*time.Millisecond))
		}
	}
	return out, a, m
}

func propSpecString(s *Spec) string {
	str := fmt.Sprintf("min %d max %d tol %+v metrics %+v", s.MinReplicas, s.MaxReplicas, s.Tolerance, s.Metrics)
	if s.Behavior == nil {
		return str + fmt.Sprintf(" legacy window %v", s.LegacyDownscaleWindow)
	}
	return str + fmt.Sprintf(" up %+v down %+v", s.Behavior.ScaleUp, s.Behavior.ScaleDown)
}

// TestPropertyClosedLoop checks properties (a), (b), (c), (d) and (e) on
// every step of random closed loops: bounds and snapping, the stabilized
// recommendation against a naive history of raw recommendations (behavior:
// clamp into [min over the scale-up window, max over the scale-down window],
// exclusive edges; legacy: max over the inclusive downscale window), the
// legacy max(2×current, 4) scale-up limit, and the policy limits against a
// naive history of all scale events.
func TestPropertyClosedLoop(t *testing.T) {
	const specs, steps = 300, 1500
	var total propStats
	behaviorRuns, legacyRuns := 0, 0
	for seed := uint64(1); seed <= specs; seed++ {
		r := rand.New(rand.NewPCG(seed, 0x5eed))
		spec := propSpec(r)
		if spec.Behavior == nil {
			legacyRuns++
		} else {
			behaviorRuns++
		}
		o := propRandomOpts(r, steps)
		_, _, m := propRun(t, r, spec, o, false)
		st := m.stats
		total.steps += st.steps
		total.disabled += st.disabled
		total.aboveMax += st.aboveMax
		total.belowMin += st.belowMin
		total.refused += st.refused
		total.computed += st.computed
		total.stabilizedDiffers += st.stabilizedDiffers
		total.upLimited += st.upLimited
		total.downLimited += st.downLimited
		total.legacyUpLimited += st.legacyUpLimited
		total.scaledToZero += st.scaledToZero
	}
	t.Logf("%d behavior and %d legacy specs: %+v", behaviorRuns, legacyRuns, total)
	// Every rule must have been reached, or the properties above were
	// checked on too narrow a sample.
	for name, n := range map[string]int{
		"ScalingDisabled":       total.disabled,
		"above max":             total.aboveMax,
		"below min":             total.belowMin,
		"refused metrics":       total.refused,
		"stabilization":         total.stabilizedDiffers,
		"scale-up policy limit": total.upLimited,
		"scale-down policy":     total.downLimited,
		"legacy scale-up limit": total.legacyUpLimited,
		"scaled to zero":        total.scaledToZero,
		"behavior specs":        behaviorRuns,
		"legacy specs":          legacyRuns,
		"computed reconciles":   total.computed,
	} {
		if n == 0 {
			t.Errorf("the random runs never exercised: %s", name)
		}
	}
}

// TestPropertyPodsPolicyPeriodSum checks (e) in its plainest form: with one
// scale-up Pods policy (value V, period P) and no scale-down (Disabled) or
// hand changes, the scale-ups in any (t-P, t] sum to at most V, under a load
// that keeps asking for more. It also requires the limit to be reached, and
// probes ticks that land exactly on the period's edge.
func TestPropertyPodsPolicyPeriodSum(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		r := rand.New(rand.NewPCG(seed, 0xe))
		value := int32(1 + r.IntN(6))
		period := time.Duration(propPick(r, 15, 30, 45, 60, 60, 90, 1+r.IntN(300))) * time.Second
		tick := time.Duration(propPick(r, 15, 15, 5, 1+r.IntN(30))) * time.Second
		spec := Spec{
			MinReplicas: 1, MaxReplicas: 1000,
			Metrics:   []Metric{{Type: External, Name: "q", Target: AverageValue, TargetMilli: 1000}},
			Tolerance: Tolerance{Down: 0.1, Up: 0.1},
			Behavior: &Behavior{
				ScaleUp: Rules{SelectPolicy: propPick(r, MaxChange, MinChange),
					Policies: []Policy{{Type: PodsPolicy, Value: value, Period: period}}},
				ScaleDown: Rules{SelectPolicy: Disabled, StabilizationWindow: 300 * time.Second,
					Policies: []Policy{{Type: PodsPolicy, Value: 1, Period: 15 * time.Second}}},
			},
		}
		a, err := New(spec)
		if err != nil {
			t.Fatal(err)
		}
		type up struct {
			t time.Time
			n int32
		}
		var ups []up
		cur := int32(1)
		now := propT0
		reached := false
		for i := range 600 {
			want := cur + int32(r.IntN(3*int(value)+2)) // often more than the policy allows
			d := a.Step(now, Steady(cur), []Observation{{Milli: int64(want) * 1000}})
			if d.Desired < cur {
				t.Fatalf("seed %d step %d: scaled down %d → %d with scale-down disabled", seed, i, cur, d.Desired)
			}
			if d.Desired > cur {
				ups = append(ups, up{now, d.Desired - cur})
			}
			var sum int32
			for _, u := range ups {
				if u.t.After(now.Add(-period)) {
					sum += u.n
				}
			}
			if sum > value {
				t.Fatalf("seed %d step %d: %d replicas added within (now-%v, now], policy allows %d; ups %v", seed, i, sum, period, value, ups)
			}
			if sum == value {
				reached = true
			}
			cur = d.Desired
			now = now.Add(tick)
		}
		if !reached {
			t.Errorf("seed %d: the policy limit %d per %v was never reached", seed, value, period)
		}
	}
}

// TestPropertyStateBounded checks (f): over 100k reconciles at 15 s the
// event lists and window buffers stay within what the longest period and
// the windows hold, checked at every step, while the autoscaler keeps
// rescaling (so an implementation that never forgot would break the bound).
func TestPropertyStateBounded(t *testing.T) {
	const steps = 100_000
	tick := DefaultSyncPeriod
	long := Rules{StabilizationWindow: MaxStabilizationWindow, SelectPolicy: MaxChange,
		Policies: []Policy{{Type: PodsPolicy, Value: 3, Period: MaxPolicyPeriod}, {Type: PercentPolicy, Value: 50, Period: 60 * time.Second}}}
	specs := []Spec{
		{MinReplicas: 1, MaxReplicas: 50, Behavior: DefaultBehavior(), Tolerance: Tolerance{0.1, 0.1},
			Metrics: []Metric{{Type: External, Target: AverageValue, TargetMilli: 1000}, {Type: Resource, Name: "cpu", Target: Utilization, TargetUtilization: 60}}},
		{MinReplicas: 1, MaxReplicas: 50, Behavior: &Behavior{ScaleUp: long, ScaleDown: long}, Tolerance: Tolerance{0.05, 0.05},
			Metrics: []Metric{{Type: External, Target: AverageValue, TargetMilli: 1000}}},
		{MinReplicas: 2, MaxReplicas: 40, LegacyDownscaleWindow: MaxStabilizationWindow, Tolerance: Tolerance{0.1, 0.1},
			Metrics: []Metric{{Type: Pods, Target: AverageValue, TargetMilli: 500}}},
		{MinReplicas: 1, MaxReplicas: 40, LegacyDownscaleWindow: DefaultDownscaleStabilizationWindow, Tolerance: Tolerance{0.1, 0.1},
			Metrics: []Metric{{Type: Object, Target: Value, TargetMilli: 500}}},
	}
	for si, spec := range specs {
		t.Run(fmt.Sprint(si), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(si), 0xf))
			a, err := New(spec)
			if err != nil {
				t.Fatal(err)
			}
			ticks := func(d time.Duration) int { return int((d + tick - 1) / tick) }
			var upWinMax, downWinMax, upEvMax, downEvMax int
			if b := spec.Behavior; b != nil {
				// A window of W holds at most W/tick earlier samples (one
				// more at the edge when inclusive) plus the one just pushed;
				// an event list holds the events not yet outdated (at most
				// L/tick + 1) plus the one appended when none was reusable.
				upWinMax = ticks(b.ScaleUp.StabilizationWindow) + 2
				downWinMax = ticks(b.ScaleDown.StabilizationWindow) + 2
				upEvMax = ticks(longestPolicyPeriod(&b.ScaleUp)) + 2
				downEvMax = ticks(longestPolicyPeriod(&b.ScaleDown)) + 2
			} else {
				downWinMax = ticks(spec.LegacyDownscaleWindow) + 2
			}
			now := propT0
			cur := Steady(spec.MinReplicas)
			obs := make([]Observation, len(spec.Metrics))
			load := 3.0
			ups, downs, peakDown, peakUp := 0, 0, 0, 0
			for i := range steps {
				// a load with periods of steady growth and decline, so the
				// window holds long monotone runs
				switch (i / 500) % 4 {
				case 0:
					load += 0.2
				case 2:
					load -= 0.2
				}
				load = min(max(load+r.NormFloat64()*0.5, 0), float64(spec.MaxReplicas))
				propObs(r, &spec, cur, load, 0.01, obs)
				d := a.Step(now, cur, obs)
				switch {
				case d.Desired > d.Current:
					ups++
				case d.Desired < d.Current:
					downs++
				}
				cur = Steady(d.Desired)
				now = now.Add(tick)
				peakDown, peakUp = max(peakDown, a.downWin.n), max(peakUp, a.upWin.n)
				for _, c := range []struct {
					what     string
					n, bound int
				}{
					{"upEvents", len(a.upEvents), upEvMax},
					{"downEvents", len(a.downEvents), downEvMax},
					{"upWin samples", a.upWin.n, upWinMax},
					{"downWin samples", a.downWin.n, downWinMax},
					{"upWin ring", len(a.upWin.buf), max(4, 2*upWinMax)},
					{"downWin ring", len(a.downWin.buf), max(4, 2*downWinMax)},
				} {
					if c.n > c.bound {
						t.Fatalf("step %d: %s holds %d, bound %d", i, c.what, c.n, c.bound)
					}
				}
			}
			t.Logf("scale-ups %d, scale-downs %d, peak window occupancy up %d down %d, events up %d down %d, rings %d/%d",
				ups, downs, peakUp, peakDown, len(a.upEvents), len(a.downEvents), len(a.upWin.buf), len(a.downWin.buf))
			// An event list that never reused its slots would have broken its
			// bound only if the run stored more events than the bound.
			if spec.Behavior != nil && (ups <= upEvMax || downs <= downEvMax) {
				t.Fatalf("only %d scale-ups and %d scale-downs: the bounds %d/%d on events were not exercised", ups, downs, upEvMax, downEvMax)
			}
		})
	}
}

// TestPropertyDeterminism checks (g): the same spec and trace give the same
// decisions, field by field, whether run alone or interleaved with another
// autoscaler on other inputs (no shared state).
func TestPropertyDeterminism(t *testing.T) {
	changes := 0
	for seed := uint64(1); seed <= 20; seed++ {
		r1 := rand.New(rand.NewPCG(seed, 0xd))
		spec := propSpec(r1)
		o := propRandomOpts(r1, 800)
		first, _, _ := propRun(t, r1, spec, o, true)

		r2 := rand.New(rand.NewPCG(seed, 0xd))
		spec2 := propSpec(r2)
		o2 := propRandomOpts(r2, 800)
		// another autoscaler stepping in between must not matter
		other := rand.New(rand.NewPCG(seed+1000, 1))
		otherSpec := propSpec(other)
		oa, _ := New(otherSpec)
		oobs := make([]Observation, len(otherSpec.Metrics))
		propObs(other, &otherSpec, Steady(3), 7, 0.1, oobs)
		oa.Step(propT0, Steady(3), oobs)
		second, _, _ := propRun(t, r2, spec2, o2, true)
		oa.Step(propT0.Add(time.Hour), Steady(5), oobs)

		if len(first) != len(second) {
			t.Fatalf("seed %d: %d vs %d decisions", seed, len(first), len(second))
		}
		for i := range first {
			if !propSameDecision(first[i], second[i]) {
				t.Fatalf("seed %d step %d: %+v vs %+v", seed, i, first[i], second[i])
			}
			if first[i].Rescale {
				changes++
			}
		}
	}
	if changes == 0 {
		t.Errorf("no rescale in any run: the comparison says little")
	}
}

func propSameDecision(x, y Decision) bool {
	if x.Current != y.Current || x.Desired != y.Desired || x.Rescale != y.Rescale || x.Metric != y.Metric ||
		x.Recommendation != y.Recommendation || x.Stabilized != y.Stabilized || x.Policy != y.Policy ||
		x.Reasons != y.Reasons || len(x.Proposals) != len(y.Proposals) || (x.Proposals == nil) != (y.Proposals == nil) {
		return false
	}
	for i, p := range x.Proposals {
		q := y.Proposals[i]
		if p.Replicas != q.Replicas || p.Usage != q.Usage || math.Float64bits(p.Ratio) != math.Float64bits(q.Ratio) ||
			p.WithinTolerance != q.WithinTolerance || p.Failed != q.Failed {
			return false
		}
	}
	return true
}
