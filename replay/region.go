package replay

import (
	"math"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/keda"
	"github.com/autoreplay/autoreplay/replay/trace"
)

// held is the latest sample of one trace column.
type held struct {
	v      float64
	t      int64        // Unix nanoseconds (no pointer: no write barrier per cell)
	status trace.Status // Absent: no sample yet
	line   int
}

// scrape is what the pipeline recorded at one instant: one value per input.
// key is the earliest read time that may use it.
type scrape struct {
	key  time.Time
	vals []trace.Value
}

// work is a closed-loop workload's state in a region.
type work struct {
	lag     float64 // Queue
	rate    float64 // Queue: arrivals per second until the next row
	load    float64 // Utilization
	balance QueueBalance
	// Derived arrivals: the capacity the recorded replicas offered since
	// the last recorded lag sample.
	recCap float64
	lagT   time.Time
	lagV   float64
	hasLag bool
}

// region is the replay of one region: its controllers, pods, pipeline and
// workloads.
type region struct {
	rp    *Replay
	cfg   *Config
	name  string
	start time.Time

	hold     []held // per trace column
	recorded int32
	hasRec   bool
	lastRow  time.Time

	replicas int32
	pods     pods
	recPods  pods // the recorded replicas, for derived arrivals
	hpa      *hpa.Autoscaler
	so       *keda.ScaledObject

	nextTick, nextPoll time.Time
	// Pipeline: a periodic scrape grid (nextScrape), or scrapes driven by
	// the reads (scrapedTick/Poll: the next read not yet scraped).
	nextScrape               time.Time
	scrapedTick, scrapedPoll time.Time
	scrapes                  []scrape // queue; scrapes[head:] are live
	head                     int
	free                     [][]trace.Value
	direct                   bool // no pipeline: read the source at the step
	staleness                time.Duration
	now                      []trace.Value // the direct read

	modelT time.Time
	work   []work
	stale  []bool // per input: inside a stale stretch (warned)

	ticks, polls int
	hd           hpa.Decision  // the last HPA step's decision
	kd           keda.Decision // the last KEDA step's decision
	out          Row
	obs          []hpa.Observation
	readings     []keda.Reading
	limits       []int32
	caps         []float64
}

func newRegion(rp *Replay, s *trace.Sample) *region {
	cfg := &rp.cfg
	g := &region{
		rp: rp, cfg: cfg, name: s.Region, start: s.Time,
		hold:     make([]held, len(rp.header.Series)),
		nextTick: s.Time, nextPoll: s.Time, nextScrape: s.Time,
		scrapedTick: s.Time, scrapedPoll: s.Time,
		modelT: s.Time,
		work:   make([]work, len(cfg.Workloads)),
		stale:  make([]bool, len(rp.inputs)),
	}
	g.direct = cfg.Pipeline == Pipeline{}
	g.staleness = cfg.staleness()
	g.now = make([]trace.Value, len(rp.inputs))
	g.out = Row{Region: s.Region, Seen: make([]trace.Value, len(rp.inputs)), Actual: make([]float64, len(cfg.Workloads))}
	g.limits = make([]int32, len(cfg.Workloads))
	g.caps = make([]float64, len(cfg.Workloads))
	for i, w := range cfg.Workloads {
		g.limits[i] = w.MaxConsumers
	}
	if cfg.HPA != nil {
		g.hpa, _ = hpa.New(*cfg.HPA) // validated by New
		g.obs = make([]hpa.Observation, len(cfg.HPA.Metrics))
	} else {
		g.so, _ = keda.New(*cfg.ScaledObject)
		g.readings = make([]keda.Reading, len(cfg.ScaledObject.Triggers))
	}
	g.apply(s)

	switch {
	case cfg.InitialReplicas > 0:
		g.replicas = cfg.InitialReplicas
	case g.hasRec:
		g.replicas = g.recorded
	case cfg.HPA != nil:
		g.replicas = cfg.HPA.MinReplicas
	default:
		g.replicas = cfg.ScaledObject.MinReplicaCount
	}
	delay := time.Duration(0)
	if cfg.Loop() == ClosedLoop {
		delay = cfg.StartupDelay
	}
	g.pods = newPods(g.replicas, delay)
	g.recPods = newPods(g.recorded, cfg.StartupDelay)
	for i, w := range cfg.Workloads {
		wk := &g.work[i]
		if w.Kind != Queue {
			continue
		}
		wk.lag = w.InitialLag
		if col := rp.work[i].series; col >= 0 && g.hold[col].status == trace.Present && finite(g.hold[col].v) {
			if w.InitialLag == 0 {
				wk.lag = max(0, g.hold[col].v)
			}
			wk.lagT, wk.lagV, wk.hasLag = s.Time, g.hold[col].v, true
		}
		wk.balance.Initial = wk.lag
	}
	g.lastRow = s.Time
	return g
}

// row takes the region's next trace row.
func (g *region) row(s *trace.Sample) error {
	if s.Time.Equal(g.lastRow) {
		g.rp.warn(g, s.Time, s.Line, "a second row for the same time replaces the first")
	} else {
		g.recordedCapacity(s.Time)
	}
	g.derive(s)
	if err := g.advance(s.Time, false); err != nil {
		return err
	}
	g.model(s.Time)
	g.apply(s)
	g.lastRow = s.Time
	return nil
}

// apply updates the held values with s.
func (g *region) apply(s *trace.Sample) {
	for i, v := range s.Values {
		if v.Status != trace.Absent {
			g.hold[i] = held{v: v.V, t: s.Time.UnixNano(), status: v.Status, line: s.Line}
		}
	}
	if s.HasReplicas {
		g.recorded, g.hasRec = s.Replicas, true
		g.recPods.scale(s.Time, s.Replicas) // at the first row, replaced by newRegion
	}
	for i, w := range g.cfg.Workloads {
		wk := &g.work[i]
		switch {
		case w.Kind == Queue && w.Arrivals != "":
			if h := g.hold[g.rp.work[i].arrivals]; h.status == trace.Present && finite(h.v) {
				wk.rate = max(0, h.v)
			}
		case w.Kind == Utilization:
			if h := g.hold[g.rp.work[i].load]; h.status == trace.Present && finite(h.v) {
				wk.load = max(0, h.v)
			}
		}
	}
}

// recordedCapacity accumulates, for derived arrivals, the capacity the
// recorded replicas offered up to t.
func (g *region) recordedCapacity(t time.Time) {
	need := false
	for i, w := range g.cfg.Workloads {
		if w.Kind == Queue && w.Arrivals == "" {
			need = true
			g.caps[i] = 0
		}
	}
	if !need {
		return
	}
	g.recPods.integrateAll(g.lastRow, t, g.limits, g.caps)
	for i, w := range g.cfg.Workloads {
		if w.Kind == Queue && w.Arrivals == "" {
			g.work[i].recCap += g.caps[i]
		}
	}
}

// derive sets, from the recorded lag of row s, the arrival rate of the
// workloads that derive it, for the interval since the previous row:
// arrivals = ΔL + throughput · recorded capacity, when the lag at the end
// is above 0 (else unobservable, taken as 0).
func (g *region) derive(s *trace.Sample) {
	for i, w := range g.cfg.Workloads {
		if w.Kind != Queue || w.Arrivals != "" {
			continue
		}
		wk := &g.work[i]
		col := g.rp.work[i].series
		v := s.Values[col]
		if v.Status != trace.Present || !finite(v.V) {
			continue // the rate holds; the capacity keeps accumulating
		}
		if wk.hasLag {
			dt := s.Time.Sub(wk.lagT).Seconds()
			a := 0.0
			if v.V > 0 {
				a = max(0, v.V-wk.lagV+w.Throughput*wk.recCap)
			} else {
				wk.balance.Unobservable++
			}
			// The rate applies from the previous row on: the model has
			// run to it with the previous rate.
			if dt > 0 {
				wk.rate = a / dt
			}
		}
		wk.lagT, wk.lagV, wk.hasLag, wk.recCap = s.Time, v.V, true, 0
	}
}

// model advances the workloads to t.
func (g *region) model(t time.Time) {
	if !t.After(g.modelT) {
		return
	}
	if len(g.work) == 0 {
		g.pods.advance(t)
		g.modelT = t
		return
	}
	dt := t.Sub(g.modelT).Seconds()
	g.pods.integrateAll(g.modelT, t, g.limits, g.caps)
	for i, w := range g.cfg.Workloads {
		if w.Kind != Queue {
			continue
		}
		wk := &g.work[i]
		a := wk.rate * dt
		p := min(wk.lag+a, w.Throughput*g.caps[i])
		wk.lag = wk.lag + a - p
		if wk.lag < 0 {
			wk.lag = 0
		}
		wk.balance.Arrived += a
		wk.balance.Processed += p
	}
	g.modelT = t
}

// actual is workload i's series at the model's time.
func (g *region) actual(i int) trace.Value {
	w := g.cfg.Workloads[i]
	wk := &g.work[i]
	if w.Kind == Queue {
		return trace.Value{V: wk.lag, Status: trace.Present}
	}
	ready := g.pods.ready
	if w.MaxConsumers > 0 {
		ready = min(ready, w.MaxConsumers)
	}
	if ready == 0 {
		return trace.Value{V: math.NaN()}
	}
	return trace.Value{V: 100 * wk.load / (float64(ready) * w.Capacity), Status: trace.Present}
}

// fresh is input i's value at the source at t (the model is at t).
func (g *region) fresh(i int, t time.Time) trace.Value {
	in := &g.rp.inputs[i]
	if in.work >= 0 {
		return g.actual(in.work)
	}
	h := g.hold[in.col]
	switch h.status {
	case trace.Absent:
		return trace.Value{}
	case trace.Failed:
		g.stale[i] = false
		return trace.Value{Status: trace.Failed}
	}
	if age := time.Duration(t.UnixNano() - h.t); age > g.staleness {
		if !g.stale[i] {
			g.stale[i] = true
			g.rp.warn(g, t, h.line, "series %q: no sample for %v (last at line %d): it has no value until the next sample", in.name, age, h.line)
		}
		return trace.Value{}
	}
	g.stale[i] = false
	return trace.Value{V: h.v, Status: trace.Present}
}

// Event kinds in the order they run at one instant.
const (
	evScrape = iota
	evPoll
	evTick
)

// next is the region's next event.
func (g *region) next() (time.Time, int) {
	t, ev := g.nextTick, evTick
	if g.so != nil && !g.nextPoll.After(t) {
		t, ev = g.nextPoll, evPoll
	}
	if g.direct {
		return t, ev
	}
	if s := g.nextScrapeTime(); !s.After(t) {
		t, ev = s, evScrape
	}
	return t, ev
}

// nextScrapeTime is the pipeline's next scrape.
func (g *region) nextScrapeTime() time.Time {
	if g.cfg.Pipeline.ScrapeInterval > 0 {
		return g.nextScrape
	}
	s := g.nextReadToScrape().Add(-g.cfg.Pipeline.Delay)
	if s.Before(g.start) {
		s = g.start
	}
	return s
}

func (g *region) nextReadToScrape() time.Time {
	r := g.scrapedTick
	if g.so != nil && g.scrapedPoll.Before(r) {
		r = g.scrapedPoll
	}
	return r
}

// advance runs the events before limit (at or before it when inclusive).
func (g *region) advance(limit time.Time, inclusive bool) error {
	for {
		t, ev := g.next()
		if t.After(limit) || (!inclusive && t.Equal(limit)) {
			return nil
		}
		g.model(t)
		switch ev {
		case evScrape:
			g.scrape(t)
		case evPoll:
			if err := g.poll(t); err != nil {
				return err
			}
		case evTick:
			if err := g.tick(t); err != nil {
				return err
			}
		}
	}
}

// scrape records every input's fresh value at t.
func (g *region) scrape(t time.Time) {
	var vals []trace.Value
	if n := len(g.free); n > 0 {
		vals, g.free = g.free[n-1], g.free[:n-1]
	} else {
		vals = make([]trace.Value, len(g.rp.inputs))
	}
	for i := range vals {
		vals[i] = g.fresh(i, t)
	}
	var key time.Time
	if p := g.cfg.Pipeline; p.ScrapeInterval > 0 {
		key = t.Add(p.Delay)
		g.nextScrape = g.nextScrape.Add(p.ScrapeInterval)
	} else {
		key = g.nextReadToScrape()
		if g.scrapedTick.Equal(key) {
			g.scrapedTick = g.scrapedTick.Add(g.cfg.syncPeriod())
		}
		if g.so != nil && g.scrapedPoll.Equal(key) {
			g.scrapedPoll = g.scrapedPoll.Add(g.cfg.ScaledObject.PollingInterval)
		}
	}
	if g.head > 0 && g.head == len(g.scrapes) {
		g.scrapes, g.head = g.scrapes[:0], 0
	}
	g.scrapes = append(g.scrapes, scrape{key: key, vals: vals})
}

// read is what the controllers read at t: the latest scrape whose key is at
// or before t, or the first one; without a pipeline, the source at t.
func (g *region) read(t time.Time) []trace.Value {
	if g.direct {
		for i := range g.now {
			g.now[i] = g.fresh(i, t)
		}
		return g.now
	}
	for g.head+1 < len(g.scrapes) && !g.scrapes[g.head+1].key.After(t) {
		g.free = append(g.free, g.scrapes[g.head].vals)
		g.scrapes[g.head] = scrape{}
		g.head++
	}
	if g.head > len(g.scrapes)/2 && g.head > 16 {
		n := copy(g.scrapes, g.scrapes[g.head:])
		clear(g.scrapes[n:])
		g.scrapes, g.head = g.scrapes[:n], 0
	}
	return g.scrapes[g.head].vals
}

func (g *region) target() hpa.Target {
	if g.cfg.Loop() == OpenLoop {
		return hpa.Steady(g.replicas)
	}
	return hpa.Target{Replicas: g.replicas, StatusReplicas: g.pods.total(), ReadyReplicas: g.pods.ready}
}

// begin fills the row's common columns for a step at t.
func (g *region) begin(t time.Time, ev Event) *Row {
	r := &g.out
	tg := g.target()
	r.Time, r.Event = t, ev
	r.Replicas, r.Pods, r.Ready = tg.Replicas, tg.StatusReplicas, tg.ReadyReplicas
	r.Recorded, r.HasRecorded = g.recorded, g.hasRec
	for i := range r.Actual {
		r.Actual[i] = g.actual(i).V
	}
	r.HPAReasons, r.KEDAReasons = 0, 0
	r.Recommendation, r.HasRecommendation = 0, false
	r.HPA, r.KEDA = nil, nil
	return r
}

// finish applies the step's outcome, sets the ready pods after it, and
// emits the row.
func (g *region) finish(t time.Time, r *Row, desired int32) error {
	r.Desired = desired
	r.Rescale = desired != r.Replicas
	if r.Rescale {
		g.replicas = desired
		g.pods.scale(t, desired)
	}
	r.Ready = desired
	if g.cfg.Loop() == ClosedLoop {
		r.Ready = g.pods.ready
	}
	return g.rp.emit(r)
}

// poll runs KEDA's scale loop at t.
func (g *region) poll(t time.Time) error {
	g.nextPoll = g.nextPoll.Add(g.cfg.ScaledObject.PollingInterval)
	g.polls++
	vals := g.read(t)
	r := g.begin(t, KEDAPoll)
	for i := range g.rp.inputs {
		in := &g.rp.inputs[i]
		in.read(&g.readings[in.index], vals[i])
		r.Seen[i] = vals[i]
	}
	g.kd = g.so.Poll(t, g.target(), g.readings)
	r.KEDAReasons, r.KEDA = g.kd.Reasons, &g.kd
	return g.finish(t, r, g.kd.Desired)
}

// tick runs an HPA reconcile at t.
func (g *region) tick(t time.Time) error {
	g.nextTick = g.nextTick.Add(g.cfg.syncPeriod())
	g.ticks++
	vals := g.read(t)
	r := g.begin(t, HPATick)
	if g.hpa != nil {
		for i := range g.rp.inputs {
			g.obs[g.rp.inputs[i].index] = milli(vals[i])
		}
		g.hd = g.hpa.Step(t, g.target(), g.obs)
		for i := range g.rp.inputs {
			r.Seen[i] = trace.Value{}
			if g.hd.Proposals != nil {
				r.Seen[i] = vals[i]
			}
		}
		r.HPAReasons, r.HPA = g.hd.Reasons, &g.hd
		r.Recommendation, r.HasRecommendation = g.hd.Recommendation, g.hd.Proposals != nil && !g.hd.Reasons.Has(hpa.ReasonFailedComputeMetricsReplicas)
		return g.finish(t, r, g.hd.Desired)
	}
	for i := range g.rp.inputs {
		in := &g.rp.inputs[i]
		in.read(&g.readings[in.index], vals[i])
	}
	g.kd = g.so.Reconcile(t, g.target(), g.readings)
	for i := range g.rp.inputs {
		r.Seen[i] = trace.Value{}
		idx := g.rp.inputs[i].index
		ts := &g.kd.Triggers[idx]
		// A cpu or memory trigger is a Resource metric the HPA reads
		// itself: it read it when it computed its metrics.
		resource := !g.rp.cfg.ScaledObject.Triggers[idx].Kind.External() && g.kd.HPA.Proposals != nil
		if ts.HasMetric || ts.Failed || ts.Fallback || ts.Cached || resource {
			r.Seen[i] = vals[i]
		}
	}
	r.KEDAReasons, r.HPAReasons = g.kd.Reasons, g.kd.HPA.Reasons
	r.KEDA, r.HPA = &g.kd, &g.kd.HPA
	r.Recommendation, r.HasRecommendation = g.kd.HPA.Recommendation, g.kd.HPA.Proposals != nil && !g.kd.HPA.Reasons.Has(hpa.ReasonFailedComputeMetricsReplicas)
	return g.finish(t, r, g.kd.Desired)
}
