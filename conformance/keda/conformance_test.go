// Package kedaconformance replays random ScaledObject scenarios through the
// code of KEDA v2.21.0 itself and through package keda, and requires the
// same outcome at every scale loop iteration and every HPA query.
//
// The upstream side is KEDA's own scale handler (pkg/scaling: checkScalers,
// getScaledObjectState, GetScaledObjectMetrics), executor (RequestScale),
// fallback, scalingModifiers and HPA generation (controllers/keda/hpa.go),
// with the real prometheus and metrics-api scalers querying a value server
// on the loopback interface. It runs against controller-runtime's fake
// client (the ScaledObject, whose status persists between calls, the
// Deployment and its pods, the HPA) and a fake scale client. The test
// reaches the unexported pieces through files the go tool adds to the KEDA
// packages with -overlay (testdata/overlay); testdata/omit.txt lists the
// upstream files left out of the build. It does not compile without them:
// run it with ./run.sh.
//
// Each scenario runs in a testing/synctest bubble, so KEDA's time.Now() is
// the scenario's clock. Per scenario:
//
//   - at creation, the reconciler generates the HPA (createAndDeployNewHPA),
//     compared with keda.Spec.HPA (bounds, metric names, target types and
//     values); keda.Spec comes from the ScaledObject through
//     manifest.ParseScaledObjects;
//   - every pollingInterval, one scale loop iteration (checkScalers) and
//     ScaledObject.Poll: activity, error, the scale updates and the replica
//     count, lastActiveTime, each trigger's status.health failure count, and
//     how often each source was queried;
//   - every 15 s, ScaledObject.Reconcile and, when the HPA computes metrics
//     (replicas within its bounds), GetScaledObjectMetrics for each External
//     metric of the HPA in order: the value the HPA reads (MilliValue after
//     the external metrics API carried it as a string) or the error, the
//     failure counts, and the source queries. The hpa engine's decision
//     (proven equal to the HPA controller's by ../) sets the replicas and
//     the HPA's ScalingActive condition, which KEDA reads.
//
// Both sides share the replica count (every pod ready) and the sources'
// answers at each instant. Modeling choices of the harness:
//
//   - The executor runs executorDelay after the tick (it reads time.Now()
//     a few milliseconds late in a cluster); scale loop ticks fall in the
//     first 0.9 s of a second, so the delay never crosses a second
//     boundary of lastActiveTime.
//   - KEDA observes a ScaledObject's triggers in parallel goroutines whose
//     fallback updates race on a shared copy of the status; orderingSink
//     makes them run in trigger order, as the engine assumes.
//   - Huge values stay within the int64 range of milli-units, and no
//     formula turns them into a composite below -1e15: beyond that, the
//     HPA's parsing of the quantity (ParseQuantity of its string form)
//     yields 0 or unrelated values, which the engine does not model.
//
// Environment:
//
//	AUTOREPLAY_SEED           base seed of the scenario seeds (default 1)
//	AUTOREPLAY_SCENARIOS      number of scenarios (default 300)
//	AUTOREPLAY_SCENARIO_SEED  run only the scenario of this seed (as printed
//	                          on a failure)
//	AUTOREPLAY_TRACE          if set, log every tick of every scenario, with
//	                          the state of KEDA's scalers cache
package kedaconformance

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-logr/logr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	kedautil "github.com/kedacore/keda/v2/pkg/util"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/keda"
	"github.com/autoreplay/autoreplay/manifest"
)

func TestMain(m *testing.M) {
	logf.SetLogger(logr.New(orderingSink{}))
	// The scalers share two process-wide HTTP transports, built on first
	// use: build them here, outside any bubble.
	_ = kedautil.CreateHTTPClient(time.Second, false)
	_ = kedautil.CreateHTTPClient(time.Second, true)
	_ = restMapper()
	os.Exit(m.Run())
}

// orderingSink discards KEDA's logs, and orders the fallback processing of
// the triggers a metrics adapter call (or a scale loop iteration) observes.
// KEDA observes the triggers in parallel goroutines, and their fallback
// updates race on the shared copy of the ScaledObject: when that copy is
// stale (a scalers cache built around a snapshot), the order changes the
// failure counts. observeMetric logs "Reading metrics from cache" or
// "Getting metrics and activity from scaler" just before it processes
// fallback; the sink holds the goroutine of trigger i there for i
// milliseconds of the bubble's fake clock, which advances only once the
// goroutines of the triggers before it are done. The triggers are then
// processed in trigger order, as the engine assumes.
type orderingSink struct{}

func (orderingSink) Init(logr.RuntimeInfo) {}

func (orderingSink) Enabled(int) bool { return true }

func (orderingSink) Info(_ int, msg string, kv ...any) {
	if msg != "Reading metrics from cache" && msg != "Getting metrics and activity from scaler" {
		return
	}
	for j := 0; j+1 < len(kv); j += 2 {
		if kv[j] != "metricName" {
			continue
		}
		name, _ := kv[j+1].(string)
		var i int
		if _, err := fmt.Sscanf(name, "s%d-", &i); err == nil && i > 0 {
			time.Sleep(time.Duration(i) * time.Millisecond)
		}
	}
}

func (orderingSink) Error(error, string, ...any) {}

func (s orderingSink) WithValues(...any) logr.LogSink { return s }

func (s orderingSink) WithName(string) logr.LogSink { return s }

func envUint(t *testing.T, name string, def uint64) (uint64, bool) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def, false
	}
	n, err := strconv.ParseUint(v, 0, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n, true
}

func TestConformance(t *testing.T) {
	base, _ := envUint(t, "AUTOREPLAY_SEED", 1)
	n, _ := envUint(t, "AUTOREPLAY_SCENARIOS", 300)
	var seeds []uint64
	if seed, ok := envUint(t, "AUTOREPLAY_SCENARIO_SEED", 0); ok {
		seeds = []uint64{seed}
	} else {
		r := rand.New(rand.NewPCG(base, 0))
		for range n {
			seeds = append(seeds, r.Uint64())
		}
	}
	vs := startValueServer(t)
	var polls, hpaTicks, queries atomic.Int64
	cov := newCoverage()
	start := time.Now()
	t.Run("scenarios", func(t *testing.T) {
		for i, seed := range seeds {
			t.Run(fmt.Sprintf("%03d", i), func(t *testing.T) {
				t.Parallel()
				sc := newScenario(i, seed, vs.url)
				defer vs.drop(i)
				synctest.Test(t, func(t *testing.T) {
					st := runScenario(t, base, vs, sc, cov)
					polls.Add(st.polls)
					hpaTicks.Add(st.hpaTicks)
					queries.Add(st.queries)
				})
			})
		}
	})
	t.Logf("base seed %d: %d scenarios, %d scale loop iterations, %d HPA reconciles (%d metric queries) in %v",
		base, len(seeds), polls.Load(), hpaTicks.Load(), queries.Load(), time.Since(start).Round(time.Millisecond))
	if testing.Verbose() {
		t.Logf("coverage (ticks or scenarios per feature):\n%s", cov)
	}
	if len(seeds) >= 200 && !t.Failed() {
		if missing := cov.missing(); len(missing) > 0 {
			t.Errorf("the scenarios no longer cover: %s", strings.Join(missing, ", "))
		}
	}
}

type scenarioStats struct {
	polls, hpaTicks, queries int64
}

type tickKind uint8

const (
	pollTick tickKind = iota
	hpaTick
	replicaEvent
)

type tick struct {
	at       time.Duration // since the creation timestamp
	kind     tickKind
	replicas int32 // replicaEvent
}

// schedule lists the scenario's ticks in time order: the scale loop at
// start and every pollingInterval after, the HPA every sync period from
// start+hpaOffset, the replica events; a scale loop iteration and an HPA
// reconcile at the same instant run in that order.
func (sc *scenario) schedule() []tick {
	interval := 30 * time.Second
	if p := sc.object.Spec.PollingInterval; p != nil {
		interval = time.Duration(*p) * time.Second
	}
	var ts []tick
	for at := sc.start; at <= sc.duration; at += interval {
		ts = append(ts, tick{at: at, kind: pollTick})
	}
	for at := sc.start + sc.hpaOffset; at <= sc.duration; at += hpaSyncPeriod {
		ts = append(ts, tick{at: at, kind: hpaTick})
	}
	for _, e := range sc.events {
		ts = append(ts, tick{at: e.at, kind: replicaEvent, replicas: e.replicas})
	}
	slices.SortStableFunc(ts, func(a, b tick) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return int(a.kind) - int(b.kind)
	})
	return ts
}

// record is one tick of both sides, for the failure report.
type record struct {
	at       time.Duration
	kind     tickKind
	readings string
	engine   string
	upstream string
	note     string // not compared
}

type run struct {
	t        *testing.T
	base     uint64
	sc       *scenario
	vs       *valueServer
	cov      *coverage
	trace    bool
	history  []record
	so       *keda.ScaledObject
	c        *cluster
	hpaSpec  hpa.Spec
	created  time.Time
	replicas int32
	// metricTrigger maps each HPA metric to its trigger, -1 for the
	// composite metric.
	metricTrigger []int
	// lastFailures is each trigger's failure count at its last observation
	// (coverage).
	lastFailures []int32
}

func runScenario(t *testing.T, base uint64, vs *valueServer, sc *scenario, cov *coverage) scenarioStats {
	ctx := context.Background()
	var st scenarioStats
	_, trace := os.LookupEnv("AUTOREPLAY_TRACE")
	r := &run{t: t, base: base, sc: sc, vs: vs, cov: cov, trace: trace, replicas: sc.initial}

	// The engine's spec, from the ScaledObject as a manifest.
	parsed, err := manifest.ParseScaledObjects("scenario.json", bytes.NewReader(sc.manifestJSON()), manifest.DefaultOptions())
	if err != nil {
		r.fatalf("manifest.ParseScaledObjects rejected the scenario's ScaledObject: %v", err)
	}
	spec := parsed[0].Spec
	r.so, err = keda.New(spec)
	if err != nil {
		r.fatalf("keda.New: %v", err)
	}
	r.hpaSpec = r.so.HPASpec()
	for _, m := range r.hpaSpec.Metrics {
		idx := -1
		for i := range spec.Triggers {
			if spec.Triggers[i].MetricName == m.Name && m.Name != keda.CompositeMetricName {
				idx = i
			}
		}
		r.metricTrigger = append(r.metricTrigger, idx)
	}
	cov.scenario(sc, &spec)

	// The bubble's clock starts at midnight; the ScaledObject is created a
	// second later, its reconciler generates the HPA and starts the scale
	// loop sc.start after that.
	r.created = time.Now().Add(time.Second)
	r.sleepUntil(sc.start)
	r.setAnswers(sc.start)
	r.c, err = newCluster(ctx, sc, r.created)
	if err != nil {
		r.fatalf("%v", err)
	}
	h, err := r.c.hpa(ctx)
	if err != nil {
		r.fatalf("reading the generated HPA: %v", err)
	}
	if got, want := hpaView(h), engineHPAView(sc, r.hpaSpec); got != want {
		r.fatalf("generated HPA:\nupstream: %s\nengine:   %s", got, want)
	}

	for _, tk := range sc.schedule() {
		r.sleepUntil(tk.at)
		now := r.created.Add(tk.at)
		segs := r.setAnswers(tk.at)
		readings := make([]keda.Reading, len(segs))
		for i, g := range segs {
			readings[i] = g.reading()
		}
		switch tk.kind {
		case pollTick:
			st.polls++
			r.poll(ctx, tk, now, segs, readings)
		case hpaTick:
			st.hpaTicks++
			st.queries += r.reconcile(ctx, tk, now, segs, readings)
		case replicaEvent:
			r.replicas = tk.replicas
			if err := r.c.setReplicas(ctx, tk.replicas); err != nil {
				r.fatalf("%v", err)
			}
			r.log(record{at: tk.at, kind: tk.kind, engine: fmt.Sprintf("replicas set to %d", tk.replicas)})
		}
	}
	return st
}

func (r *run) sleepUntil(at time.Duration) {
	if d := time.Until(r.created.Add(at)); d > 0 {
		time.Sleep(d)
	}
}

// setAnswers makes the value server answer the triggers' queries as the
// sources stand at instant at.
func (r *run) setAnswers(at time.Duration) []segment {
	segs := make([]segment, len(r.sc.sources))
	for i := range r.sc.sources {
		segs[i] = r.sc.sources[i].at(at)
	}
	r.vs.set(r.sc.index, segs)
	r.vs.takeQueries(r.sc.index)
	return segs
}

func (r *run) poll(ctx context.Context, tk tick, now time.Time, segs []segment, readings []keda.Reading) {
	cur := hpa.Steady(r.replicas)
	d := r.so.Poll(now, cur, readings)
	r.c.takeWrites()
	req := r.c.oracle.Poll(ctx)
	writes := r.c.takeWrites()
	so, err := r.c.scaledObject(ctx)
	if err != nil {
		r.fatalf("%v", err)
	}

	var eng, up strings.Builder
	var engWrites []int32
	if d.Rescale {
		engWrites = []int32{d.Desired}
	}
	fmt.Fprintf(&eng, "active=%v error=%v replicas=%d updates=%v", d.Active, d.Error, d.Desired, engWrites)
	if req == nil {
		up.WriteString("no RequestScale")
	} else {
		fmt.Fprintf(&up, "active=%v error=%v replicas=%d updates=%v", req.IsActive, req.IsError, r.c.replicas, writes)
	}
	last, hasLast := r.so.LastActive()
	fmt.Fprintf(&eng, " lastActive=%s", r.rel(last, hasLast))
	var upLast time.Time
	if so.Status.LastActiveTime != nil {
		upLast = so.Status.LastActiveTime.Time
	}
	fmt.Fprintf(&up, " lastActive=%s", r.rel(upLast, so.Status.LastActiveTime != nil))
	r.health(&eng, &up, so, d.Triggers)
	r.queries(&eng, &up, d, readings, true)
	rec := record{at: tk.at, kind: pollTick, readings: r.readingsString(segs), engine: eng.String(), upstream: up.String()}
	if r.trace {
		rec.note = "cache: " + r.c.oracle.CacheState()
	}
	r.log(rec)
	if eng.String() != up.String() {
		r.mismatch(rec)
	}
	r.cov.poll(r, segs, d)
	r.replicas = d.Desired
}

// reconcile runs one HPA reconcile: the engine's, and upstream's metrics
// adapter answering the HPA's queries for each External metric of the
// generated HPA when the HPA computes metrics.
func (r *run) reconcile(ctx context.Context, tk tick, now time.Time, segs []segment, readings []keda.Reading) int64 {
	cur := hpa.Steady(r.replicas)
	d := r.so.Reconcile(now, cur, readings)
	computes := r.replicas >= r.hpaSpec.MinReplicas && r.replicas <= r.hpaSpec.MaxReplicas
	var queries int64
	var cacheNotes string
	var eng, up strings.Builder
	fmt.Fprintf(&eng, "replicas=%d", r.replicas)
	fmt.Fprintf(&up, "replicas=%d", r.replicas)
	if computes {
		for j, m := range r.hpaSpec.Metrics {
			if m.Type != hpa.External {
				continue
			}
			queries++
			s := r.c.query(ctx, m.Name)
			if r.trace {
				cacheNotes += fmt.Sprintf(" [after %s: %s]", m.Name, r.c.oracle.CacheState())
			}
			fmt.Fprintf(&up, " %s=%s", m.Name, s)
			fmt.Fprintf(&eng, " %s=%s", m.Name, r.engineServed(d, j))
		}
		so, err := r.c.scaledObject(ctx)
		if err != nil {
			r.fatalf("%v", err)
		}
		r.health(&eng, &up, so, d.Triggers)
	}
	r.queries(&eng, &up, d, readings, false)
	rec := record{at: tk.at, kind: hpaTick, readings: r.readingsString(segs), engine: eng.String(), upstream: up.String()}
	if d.Rescale {
		rec.note = fmt.Sprintf("the HPA scales to %d", d.Desired)
	}
	if r.trace {
		rec.note += " cache:" + strings.TrimPrefix(cacheNotes, " ")
	}
	r.log(rec)
	if eng.String() != up.String() {
		r.mismatch(rec)
	}
	r.cov.reconcile(r, computes, d)
	if d.Rescale {
		if err := r.c.setReplicas(ctx, d.Desired); err != nil {
			r.fatalf("%v", err)
		}
	}
	r.replicas = d.Desired
	if err := r.c.setScalingActive(ctx, d.HPA); err != nil {
		r.fatalf("%v", err)
	}
	return queries
}

// engineServed is what the engine's Reconcile served for HPA metric j.
func (r *run) engineServed(d keda.Decision, j int) served {
	i := r.metricTrigger[j]
	if i < 0 {
		if d.HasFormula || d.FallbackActive {
			return served{milli: d.Composite, items: 1}
		}
		return served{err: fmt.Errorf("composite metric failed")}
	}
	ts := d.Triggers[i]
	if ts.HasMetric && !ts.Failed {
		return served{milli: ts.Milli, items: 1}
	}
	return served{err: fmt.Errorf("metric failed")}
}

// health appends each external trigger's failure count: the engine's and
// status.health as stored.
func (r *run) health(eng, up *strings.Builder, so *kedav1alpha1.ScaledObject, ts []keda.TriggerState) {
	spec := r.so.Spec()
	for i, t := range spec.Triggers {
		if !t.Kind.External() {
			continue
		}
		n, _ := healthOf(so, t.MetricName)
		fmt.Fprintf(up, " failures[%d]=%d", i, n)
		fmt.Fprintf(eng, " failures[%d]=%d", i, ts[i].Failures)
	}
}

// queries appends how often each trigger's source was queried: by the
// engine's account, a trigger observed neither from the cache
// (useCachedMetrics) nor from the HPA's record is queried once, twice when
// the query fails (GetMetricsAndActivityForScaler rebuilds the scaler and
// retries); upstream's, as the value server counted.
func (r *run) queries(eng, up *strings.Builder, d keda.Decision, readings []keda.Reading, poll bool) {
	got := r.vs.takeQueries(r.sc.index)
	want := make([]int, len(readings))
	for i, ts := range d.Triggers {
		observed := poll || ts.HasMetric || ts.Failed
		if !observed || ts.Cached || ts.FromHPA || !r.so.Spec().Triggers[i].Kind.External() {
			continue
		}
		want[i] = 1
		if readings[i].Failed {
			want[i] = 2
		}
	}
	for len(got) < len(want) {
		got = append(got, 0)
	}
	fmt.Fprintf(eng, " queries=%v", want)
	fmt.Fprintf(up, " queries=%v", got)
}

func (r *run) rel(t time.Time, ok bool) string {
	if !ok {
		return "none"
	}
	return t.Sub(r.created).String()
}

func (r *run) readingsString(segs []segment) string {
	parts := make([]string, len(segs))
	for i, g := range segs {
		switch {
		case g.failed:
			parts[i] = "fail"
		case g.special != "":
			parts[i] = g.special
		default:
			parts[i] = strconv.FormatFloat(g.value, 'g', -1, 64)
		}
	}
	return strings.Join(parts, ",")
}

func (r *run) log(rec record) {
	r.history = append(r.history, rec)
	if r.trace {
		r.t.Logf("%s", rec)
	}
}

func (rec record) String() string {
	kind := map[tickKind]string{pollTick: "poll", hpaTick: "hpa ", replicaEvent: "set "}[rec.kind]
	if rec.kind == replicaEvent {
		return fmt.Sprintf("%10v %s %s", rec.at, kind, rec.engine)
	}
	s := fmt.Sprintf("%10v %s [%s]\n    engine:   %s\n    upstream: %s", rec.at, kind, rec.readings, rec.engine, rec.upstream)
	if rec.note != "" {
		s += "\n    (" + rec.note + ")"
	}
	return s
}

func (r *run) rerun() string {
	return fmt.Sprintf("AUTOREPLAY_SEED=%d AUTOREPLAY_SCENARIO_SEED=%#x conformance/keda/run.sh -run TestConformance", r.base, r.sc.seed)
}

func (r *run) mismatch(rec record) {
	var b strings.Builder
	from := max(0, len(r.history)-16)
	for _, h := range r.history[from:] {
		fmt.Fprintf(&b, "%s\n", h)
	}
	r.t.Fatalf("scenario %d (seed %#x): mismatch at %v\n%s\nlast ticks:\n%s\nscenario:\n%s\nrerun: %s",
		r.sc.index, r.sc.seed, rec.at, rec, b.String(), r.sc, r.rerun())
}

func (r *run) fatalf(format string, args ...any) {
	r.t.Fatalf("scenario %d (seed %#x): %s\nscenario:\n%s\nrerun: %s", r.sc.index, r.sc.seed, fmt.Sprintf(format, args...), r.sc, r.rerun())
}
