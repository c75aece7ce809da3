package replay

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/keda"
	"github.com/autoreplay/autoreplay/replay/trace"
	"github.com/google/go-cmp/cmp"
)

var epoch = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func sec(s float64) time.Time { return epoch.Add(time.Duration(s * float64(time.Second))) }

// sliceReader is an in-memory trace.
type sliceReader struct {
	h    trace.Header
	rows []trace.Sample
	i    int
	err  error
}

func (r *sliceReader) Header() trace.Header       { return r.h }
func (r *sliceReader) Sample() *trace.Sample      { return &r.rows[r.i-1] }
func (r *sliceReader) Err() error                 { return r.err }
func (r *sliceReader) Scan() bool                 { r.i++; return r.i <= len(r.rows) }
func newTrace(series ...string) *sliceReader      { return &sliceReader{h: trace.Header{Series: series}} }
func present(v float64) trace.Value               { return trace.Value{V: v, Status: trace.Present} }
func (r *sliceReader) withReplicas() *sliceReader { r.h.Replicas = true; return r }

// add appends a row at t seconds; values are present, NaN-free floats,
// except that math.Inf(-1) stands for a failed cell.
func (r *sliceReader) add(t float64, vals ...float64) *sliceReader {
	s := trace.Sample{Time: sec(t), Line: len(r.rows) + 2}
	for _, v := range vals {
		if math.IsInf(v, -1) {
			s.Values = append(s.Values, trace.Value{Status: trace.Failed})
		} else {
			s.Values = append(s.Values, present(v))
		}
	}
	r.rows = append(r.rows, s)
	return r
}

// addRec appends a row with recorded replicas.
func (r *sliceReader) addRec(t float64, replicas int32, vals ...float64) *sliceReader {
	r.add(t, vals...)
	r.rows[len(r.rows)-1].Replicas, r.rows[len(r.rows)-1].HasReplicas = replicas, true
	return r
}

func (r *sliceReader) region(name string) *sliceReader {
	r.h.Region = true
	r.rows[len(r.rows)-1].Region = name
	return r
}

func externalHPA(name string, targetMilli int64, min, max int32) *hpa.Spec {
	return &hpa.Spec{
		MinReplicas: min, MaxReplicas: max,
		Metrics:   []hpa.Metric{{Type: hpa.External, Name: name, Target: hpa.AverageValue, TargetMilli: targetMilli}},
		Tolerance: hpa.Tolerance{Up: hpa.DefaultTolerance, Down: hpa.DefaultTolerance},
		Behavior:  hpa.DefaultBehavior(),
	}
}

func promSO(min, max int32, threshold float64, names ...string) *keda.Spec {
	s := &keda.Spec{
		PollingInterval: 30 * time.Second, CooldownPeriod: 300 * time.Second,
		MinReplicaCount: min, MaxReplicaCount: max,
		Tolerance:             hpa.Tolerance{Up: hpa.DefaultTolerance, Down: hpa.DefaultTolerance},
		LegacyDownscaleWindow: hpa.DefaultDownscaleStabilizationWindow,
	}
	for i, n := range names {
		s.Triggers = append(s.Triggers, keda.Trigger{
			Name: n, Kind: keda.Prometheus, MetricName: fmt.Sprintf("s%d-prometheus", i),
			MetricType: hpa.AverageValue, Target: threshold, TargetMilli: int64(threshold * 1000),
		})
	}
	return s
}

// collect runs a replay and keeps copies of its rows.
func collect(t *testing.T, cfg Config, r *sliceReader) ([]Row, Result) {
	t.Helper()
	rp, err := New(cfg, r.Header())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	var rows []Row
	res, err := rp.Run(r, func(row *Row) error {
		c := *row
		c.Seen = append([]trace.Value(nil), row.Seen...)
		c.Actual = append([]float64(nil), row.Actual...)
		c.HPA, c.KEDA = nil, nil // reused by the next step
		rows = append(rows, c)
		return nil
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rows, res
}

type step struct {
	T       float64
	Event   string
	Seen    string
	Desired int32
}

func steps(rows []Row) []step {
	var out []step
	for _, r := range rows {
		var seen []string
		for _, v := range r.Seen {
			switch v.Status {
			case trace.Present:
				seen = append(seen, fmt.Sprint(v.V))
			case trace.Failed:
				seen = append(seen, "failed")
			default:
				seen = append(seen, "-")
			}
		}
		out = append(out, step{T: r.Time.Sub(epoch).Seconds(), Event: r.Event.String(), Seen: strings.Join(seen, ","), Desired: r.Desired})
	}
	return out
}

// The HPA reconciles every sync period from the first sample to the last
// one inclusive, reading the latest sample at or before each tick.
func TestClockHPA(t *testing.T) {
	tr := newTrace("rps").add(0, 100).add(20, 400).add(30, 400).add(44, 50).add(45, 50)
	rows, res := collect(t, Config{HPA: externalHPA("rps", 100_000, 1, 10)}, tr)
	want := []step{
		{0, "hpa", "100", 1},
		{15, "hpa", "100", 1},
		{30, "hpa", "400", 4},
		{45, "hpa", "50", 4}, // scale-down stabilized (300 s window)
	}
	if diff := cmp.Diff(want, steps(rows)); diff != "" {
		t.Errorf("steps mismatch (-want +got):\n%s", diff)
	}
	if res.Regions[0].HPATicks != 4 || res.Loop != OpenLoop {
		t.Errorf("result %+v", res)
	}
}

// KEDA polls every pollingInterval and the HPA reconciles every sync
// period, both from the first sample; at the same instant the poll runs
// first, so a workload the poll activates at t is reconciled at t.
func TestClockKEDAPollFirst(t *testing.T) {
	tr := newTrace("q").add(0, 0).add(29, 0).add(30, 250).add(60, 250)
	rows, _ := collect(t, Config{ScaledObject: promSO(0, 10, 100, "q")}, tr)
	want := []step{
		{0, "poll", "0", 0},
		{0, "hpa", "-", 0}, // at 0 replicas the HPA computes no metric
		{15, "hpa", "-", 0},
		{30, "poll", "250", 1}, // activated
		{30, "hpa", "250", 3},  // and scaled at the same instant
		{45, "hpa", "250", 3},
		{60, "poll", "250", 3},
		{60, "hpa", "250", 3},
	}
	if diff := cmp.Diff(want, steps(rows)); diff != "" {
		t.Errorf("steps mismatch (-want +got):\n%s", diff)
	}
}

func TestSyncPeriodAndInitialReplicas(t *testing.T) {
	tr := newTrace("rps").withReplicas().addRec(0, 6, 100).addRec(60, 6, 100)
	rows, _ := collect(t, Config{HPA: externalHPA("rps", 100_000, 1, 10), SyncPeriod: 30 * time.Second}, tr)
	if len(rows) != 3 || rows[0].Replicas != 6 || rows[0].Recorded != 6 || !rows[0].HasRecorded {
		t.Fatalf("rows %+v: want 3 ticks from the recorded 6 replicas", rows)
	}
	tr = newTrace("rps").withReplicas().addRec(0, 6, 100).addRec(60, 6, 100)
	rows, _ = collect(t, Config{HPA: externalHPA("rps", 100_000, 1, 10), InitialReplicas: 2}, tr)
	if rows[0].Replicas != 2 {
		t.Errorf("initial replicas %d, want 2", rows[0].Replicas)
	}
}

// A series read more than Staleness after its last sample has no value: the
// HPA's metric fails; a prometheus trigger reads an empty result as 0
// (ignoreNullValues); a failed cell is a failed source.
func TestStaleness(t *testing.T) {
	tr := newTrace("rps").add(0, 300).add(400, 300)
	rows, res := collect(t, Config{HPA: externalHPA("rps", 100_000, 1, 10), Staleness: time.Minute}, tr)
	for _, r := range rows {
		stale := r.Time.Sub(epoch) > time.Minute && r.Time.Sub(epoch) < 400*time.Second
		if got := r.Seen[0].Status == trace.Absent; got != stale {
			t.Errorf("t=%v: seen %+v, stale want %v", r.Time.Sub(epoch), r.Seen[0], stale)
		}
		if stale != r.HPAReasons.Has(hpa.ReasonFailedComputeMetricsReplicas) {
			t.Errorf("t=%v: reasons %v: a stale metric must fail the reconcile", r.Time.Sub(epoch), r.HPAReasons)
		}
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Msg, `series "rps": no sample for 1m15s`) {
		t.Errorf("warnings %v, want one stale-series warning", res.Warnings)
	}

	tr = newTrace("rps").add(0, 300).add(400, 300)
	rows, res = collect(t, Config{HPA: externalHPA("rps", 100_000, 1, 10), Staleness: -1}, tr)
	for _, r := range rows {
		if r.Seen[0].Status != trace.Present {
			t.Fatalf("negative staleness: t=%v seen %+v, want samples never stale", r.Time.Sub(epoch), r.Seen[0])
		}
	}
	if len(res.Warnings) != 0 {
		t.Errorf("negative staleness: warnings %v", res.Warnings)
	}

	tr = newTrace("q").add(0, 500).add(600, 500)
	rows, _ = collect(t, Config{ScaledObject: promSO(0, 10, 100, "q"), Staleness: time.Minute}, tr)
	for _, r := range rows {
		if r.Event == KEDAPoll && r.Time.Equal(sec(90)) && r.KEDAReasons.Has(keda.ReasonTriggerError) {
			t.Errorf("a stale prometheus series is an empty result, read as 0, not an error: %v", r.KEDAReasons)
		}
	}
	so := promSO(0, 10, 100, "q")
	so.Triggers[0].FailOnNull = true
	tr = newTrace("q").add(0, 500).add(600, 500)
	rows, _ = collect(t, Config{ScaledObject: so, Staleness: time.Minute}, tr)
	for _, r := range rows {
		stale := r.Time.After(sec(60)) && r.Time.Before(sec(600))
		if r.Event == KEDAPoll && stale != r.KEDAReasons.Has(keda.ReasonTriggerError) {
			t.Errorf("ignoreNullValues false: poll at %v reasons %v, want TriggerError exactly while stale", r.Time.Sub(epoch), r.KEDAReasons)
		}
	}
}

// Pipeline: at t the controllers read the last scrape at or before t − delay.
func TestPipelineDelay(t *testing.T) {
	tr := newTrace("rps")
	for s := 0; s <= 120; s += 5 {
		tr.add(float64(s), float64(s))
	}
	for _, tc := range []struct {
		name string
		p    Pipeline
		want []float64 // seen at ticks 0, 15, ..., 120
	}{
		{"fresh", Pipeline{}, []float64{0, 15, 30, 45, 60, 75, 90, 105, 120}},
		{"delay 20s", Pipeline{Delay: 20 * time.Second}, []float64{0, 0, 10, 25, 40, 55, 70, 85, 100}},
		{"scrape 30s", Pipeline{ScrapeInterval: 30 * time.Second}, []float64{0, 0, 30, 30, 60, 60, 90, 90, 120}},
		{"scrape 30s delay 20s", Pipeline{ScrapeInterval: 30 * time.Second, Delay: 20 * time.Second}, []float64{0, 0, 0, 0, 30, 30, 60, 60, 90}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr.i = 0
			rp, err := New(Config{HPA: externalHPA("rps", 1_000_000, 1, 10), Pipeline: tc.p}, tr.Header())
			if err != nil {
				t.Fatal(err)
			}
			var got []float64
			if _, err := rp.Run(tr, func(r *Row) error { got = append(got, r.Seen[0].V); return nil }); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("seen mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// The open loop gives the decisions of the hpa engine stepped by hand with
// the sample-and-hold values.
func TestOpenLoopMatchesEngine(t *testing.T) {
	tr := newTrace("rps")
	vals := []float64{120, 480, 900, 910, 300, 250, 1400, 60, 60, 60, 60, 60, 700}
	for i, v := range vals {
		tr.add(float64(i*40), v)
	}
	spec := externalHPA("rps", 100_000, 1, 12)
	rows, _ := collect(t, Config{HPA: spec}, tr)
	a, _ := hpa.New(*spec)
	replicas := spec.MinReplicas
	i := 0
	for k, now := 0, epoch; !now.After(sec(float64((len(vals) - 1) * 40))); k, now = k+1, now.Add(15*time.Second) {
		for i+1 < len(vals) && !sec(float64((i+1)*40)).After(now) {
			i++
		}
		m, _ := hpa.MilliFromFloat(vals[i])
		d := a.Step(now, hpa.Steady(replicas), []hpa.Observation{{Milli: m}})
		if k >= len(rows) || rows[k].Desired != d.Desired || rows[k].Replicas != replicas || rows[k].HPAReasons != d.Reasons {
			t.Fatalf("tick %d: replay %+v, engine desired %d reasons %v", k, rows[min(k, len(rows)-1)], d.Desired, d.Reasons)
		}
		replicas = d.Desired
	}
}

// Regions replay independently, each from its first sample to the trace's
// end; rows of one region are in time order.
func TestRegions(t *testing.T) {
	tr := newTrace("rps").
		add(0, 500).region("eu").
		add(10, 100).region("us").
		add(30, 500).region("eu").
		add(40, 100).region("us")
	rows, res := collect(t, Config{HPA: externalHPA("rps", 100_000, 1, 10)}, tr)
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s@%v=%d", r.Region, r.Time.Sub(epoch).Seconds(), r.Desired))
	}
	want := []string{"eu@0=5", "eu@15=5", "us@10=1", "us@25=1", "eu@30=5", "us@40=1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows mismatch (-want +got):\n%s", diff)
	}
	if len(res.Regions) != 2 || res.Regions[0].Region != "eu" || res.Regions[1].Start != sec(10) || res.Regions[1].End != sec(40) {
		t.Errorf("regions %+v", res.Regions)
	}
}

func TestBindErrors(t *testing.T) {
	h := trace.Header{Series: []string{"lag", "cpu"}}
	kafka := promSO(1, 10, 100, "")
	kafka.Triggers[0].Kind, kafka.Triggers[0].MetricName = keda.Kafka, "s0-kafka"
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no controller", Config{}, "no controller: set HPA or ScaledObject"},
		{"missing column", Config{HPA: externalHPA("rps", 1000, 1, 5)}, `the trace has no column for metrics[0] (External "rps") (a column named "rps"); its columns are "lag", "cpu"`},
		{"trigger candidates", Config{ScaledObject: promSO(1, 5, 10, "", "")}, `the trace has no column for triggers[0] (prometheus) (a column named "s0-prometheus"); triggers[1] (prometheus) (a column named "s1-prometheus")`},
		{"bad override", Config{HPA: externalHPA("rps", 1000, 1, 5), Columns: map[string]string{"rps": "nope"}}, `no column for metrics[0] (External "rps") (a column named "nope")`},
		{"kafka partitions", Config{ScaledObject: kafka, Columns: map[string]string{"kafka": "lag"}}, `triggers[0] (kafka) is a kafka trigger: give its topic's partition count (Partitions["lag"])`},
		{"workload series", Config{HPA: externalHPA("lag", 1000, 1, 5), Workloads: []Workload{{Series: "x", Kind: Queue, Throughput: 1, Arrivals: "cpu"}}}, `workloads[0].series "x": no trigger or metric reads it; the series are "lag"`},
		{"derived needs replicas", Config{HPA: externalHPA("lag", 1000, 1, 5), Workloads: []Workload{{Series: "lag", Kind: Queue, Throughput: 1}}}, `deriving the arrivals needs the recorded replicas`},
		{"bad workload", Config{HPA: externalHPA("lag", 1000, 1, 5), Workloads: []Workload{{Series: "lag", Kind: Utilization}}}, "workloads[0].load: required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, h)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestTriggerColumnNames(t *testing.T) {
	so := promSO(1, 5, 10, "", "")
	so.Triggers = append(so.Triggers, keda.Trigger{Kind: keda.CPU, MetricName: "cpu", MetricType: hpa.Utilization, Target: 50})
	so.Triggers = append(so.Triggers, keda.Trigger{Name: "named", Kind: keda.MetricsAPI, MetricName: "s3-metric-api-v", MetricType: hpa.AverageValue, Target: 5, TargetMilli: 5000})
	rp, err := New(Config{ScaledObject: so}, trace.Header{Series: []string{"named", "cpu", "s1-prometheus", "s0-prometheus"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"s0-prometheus", "s1-prometheus", "cpu", "named"}, rp.Columns().Series); diff != "" {
		t.Errorf("series mismatch (-want +got):\n%s", diff)
	}
}

// Conservation in the closed loop: what arrived and was there at the start
// was processed or is left.
func TestQueueConservation(t *testing.T) {
	tr := newTrace("lag", "rate")
	for s := 0; s <= 3600; s += 10 {
		rate := 50 + 40*math.Sin(float64(s)/300)
		if s > 1200 && s < 1500 {
			rate = 400
		}
		tr.add(float64(s), 0, rate)
	}
	cfg := Config{
		HPA:          externalHPA("lag", 100_000, 1, 20),
		Workloads:    []Workload{{Series: "lag", Kind: Queue, Arrivals: "rate", Throughput: 20, MaxConsumers: 12, InitialLag: 250}},
		StartupDelay: 45 * time.Second,
	}
	rows, res := collect(t, cfg, tr)
	b := res.Regions[0].Queues[0]
	if b.Initial != 250 || math.Abs(b.Initial+b.Arrived-b.Processed-b.Final) > 1e-6*(b.Arrived+1) {
		t.Errorf("balance %+v: initial + arrived != processed + final", b)
	}
	var arrived float64
	for s := 0; s < 3600; s += 10 {
		arrived += tr.rows[s/10].Values[1].V * 10
	}
	if math.Abs(arrived-b.Arrived) > 1e-6*arrived {
		t.Errorf("arrived %v, want %v", b.Arrived, arrived)
	}
	sawUnready := false
	for _, r := range rows {
		if r.Ready < 0 || r.Ready > r.Pods || r.Pods != r.Replicas {
			t.Fatalf("row %+v: want 0 <= ready <= pods == replicas", r)
		}
		sawUnready = sawUnready || r.Ready < r.Pods
		if r.Actual[0] < 0 {
			t.Fatalf("negative lag %v", r.Actual[0])
		}
	}
	if !sawUnready {
		t.Error("no step saw pods starting: the startup delay did not apply")
	}
}

// With the replicas pinned to the recorded ones, a closed loop that derives
// its arrivals from the recorded lag reproduces the recorded lag.
func TestDerivedArrivalsReproduceRecording(t *testing.T) {
	const mu = 25.0
	tr := newTrace("lag").withReplicas()
	lag := 1000.0
	for s := 0; s <= 1800; s += 15 {
		tr.addRec(float64(s), 4, lag)
		rate := 120 + 60*math.Sin(float64(s)/200)
		lag = max(1, lag+(rate-4*mu)*15)
	}
	spec := externalHPA("lag", 1_000_000_000, 4, 4)
	rows, res := collect(t, Config{HPA: spec, Workloads: []Workload{{Series: "lag", Kind: Queue, Throughput: mu}}}, tr)
	for i, r := range rows {
		want := tr.rows[i].Values[0].V
		if math.Abs(r.Actual[0]-want) > 1e-6*want {
			t.Fatalf("t=%v: simulated lag %v, recorded %v", r.Time.Sub(epoch), r.Actual[0], want)
		}
	}
	if res.Regions[0].Queues[0].Unobservable != 0 {
		t.Errorf("unobservable intervals %d, want 0", res.Regions[0].Queues[0].Unobservable)
	}
}

func TestUtilizationWorkload(t *testing.T) {
	spec := &hpa.Spec{
		MinReplicas: 1, MaxReplicas: 10,
		Metrics:   []hpa.Metric{{Type: hpa.Resource, Name: "cpu", Target: hpa.Utilization, TargetUtilization: 50}},
		Tolerance: hpa.Tolerance{Up: hpa.DefaultTolerance, Down: hpa.DefaultTolerance},
		Behavior:  hpa.DefaultBehavior(),
	}
	tr := newTrace("rps").add(0, 300).add(120, 300)
	rows, _ := collect(t, Config{HPA: spec, Workloads: []Workload{{Series: "cpu", Kind: Utilization, Load: "rps", Capacity: 100}}}, tr)
	// 300 rps on one pod of capacity 100 is 300 %: ceil(1 × 300/50) = 6,
	// limited to 5 by the default scale-up policy (4 pods per 15 s); then
	// 60 % on 5 pods: ceil(5 × 60/50) = 6.
	if rows[0].Actual[0] != 300 || rows[0].Seen[0].V != 300 || rows[0].Desired != 5 {
		t.Errorf("first tick %+v: want 300 %% seen and 5 replicas", rows[0])
	}
	if rows[1].Actual[0] != 60 || rows[1].Desired != 6 {
		t.Errorf("second tick %+v: want 60 %% and 6 replicas", rows[1])
	}
	if last := rows[len(rows)-1]; last.Actual[0] != 50 || last.Desired != 6 {
		t.Errorf("last tick %+v: want 50 %% at 6 replicas", last)
	}
}

func TestDeterministic(t *testing.T) {
	run := func() []Row {
		tr := newTrace("lag", "rate")
		for s := 0; s <= 900; s += 7 {
			tr.add(float64(s), 0, float64(s%200))
		}
		rows, _ := collect(t, Config{ScaledObject: promSO(0, 8, 50, "lag"), Workloads: []Workload{{Series: "lag", Kind: Queue, Arrivals: "rate", Throughput: 30}}, StartupDelay: 20 * time.Second, Pipeline: Pipeline{Delay: 30 * time.Second, ScrapeInterval: 15 * time.Second}}, tr)
		return rows
	}
	if diff := cmp.Diff(run(), run()); diff != "" {
		t.Errorf("two runs differ:\n%s", diff)
	}
}

func TestRunErrors(t *testing.T) {
	cfg := Config{HPA: externalHPA("rps", 1000, 1, 5)}
	rp, _ := New(cfg, trace.Header{Series: []string{"rps"}})
	if _, err := rp.Run(newTrace("rps"), func(*Row) error { return nil }); err == nil || err.Error() != "the trace has no rows" {
		t.Errorf("empty trace: %v", err)
	}
	rp, _ = New(cfg, trace.Header{Series: []string{"rps"}})
	stop := errors.New("disk full")
	if _, err := rp.Run(newTrace("rps").add(0, 1).add(30, 1), func(*Row) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("emit error: %v", err)
	}
	rp, _ = New(cfg, trace.Header{Series: []string{"rps"}})
	if _, err := rp.Run(newTrace("rps").add(30, 1).add(0, 1), func(*Row) error { return nil }); err == nil || !strings.Contains(err.Error(), "line 3: time 2026-03-02T00:00:00Z is before the previous row's") {
		t.Errorf("out of order: %v", err)
	}
	bad := &sliceReader{h: trace.Header{Series: []string{"rps"}}, err: &trace.ParseError{File: "x.csv", Line: 7, Err: errors.New("boom")}}
	rp, _ = New(cfg, bad.Header())
	if _, err := rp.Run(bad, func(*Row) error { return nil }); err == nil || err.Error() != "x.csv:7: boom" {
		t.Errorf("reader error: %v", err)
	}
}

// What a stale signal and slow pods cost: on the same arrivals, a metric
// pipeline delay or a longer startup delay gives a higher peak lag.
func TestDelaysCostLag(t *testing.T) {
	peak := func(p Pipeline, startup time.Duration) float64 {
		tr := newTrace("lag", "rate")
		for s := 0; s <= 3600; s += 15 {
			rate := 20.0
			if s >= 600 && s < 1500 {
				rate = 300
			}
			tr.add(float64(s), 0, rate)
		}
		rows, _ := collect(t, Config{
			HPA:       externalHPA("lag", 100_000, 1, 30),
			Workloads: []Workload{{Series: "lag", Kind: Queue, Arrivals: "rate", Throughput: 15}},
			Pipeline:  p, StartupDelay: startup,
		}, tr)
		m := 0.0
		for _, r := range rows {
			m = max(m, r.Actual[0])
		}
		return m
	}
	fresh := peak(Pipeline{}, 0)
	delayed := peak(Pipeline{Delay: 2 * time.Minute, ScrapeInterval: 30 * time.Second}, 0)
	slow := peak(Pipeline{}, 3*time.Minute)
	t.Logf("peak lag: fresh %.0f, delayed %.0f, slow pods %.0f", fresh, delayed, slow)
	if !(delayed > fresh*1.2 && slow > fresh*1.2) {
		t.Errorf("peak lag: fresh %.0f, 2 min pipeline %.0f, 3 min startup %.0f: want the delays to cost > 20 %%", fresh, delayed, slow)
	}
}

// A second row for the same time replaces the first, with a warning that
// names its line.
func TestDuplicateRowReplaces(t *testing.T) {
	tr := newTrace("rps").add(0, 100).add(0, 500).add(15, 500)
	rows, res := collect(t, Config{HPA: externalHPA("rps", 100_000, 1, 10)}, tr)
	if rows[0].Seen[0].V != 500 {
		t.Errorf("seen %v at 0 s, want the second row's 500", rows[0].Seen[0])
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Line != 3 || res.Warnings[0].String() != "line 3: 2026-03-02T00:00:00Z: a second row for the same time replaces the first" {
		t.Errorf("warnings %v", res.Warnings)
	}
}

// A ScaledObject's cpu trigger is a Resource metric of its HPA: the HPA
// ticks that compute metrics show what it read (open loop: 70 % of 50 %
// asks 1.4 times the replicas at each tick).
func TestResourceTriggerSeen(t *testing.T) {
	so := promSO(1, 5, 10, "rps")
	so.Triggers = append(so.Triggers, keda.Trigger{Kind: keda.CPU, MetricName: "cpu", MetricType: hpa.Utilization, Target: 50, TargetMilli: 50000})
	r := newTrace("rps", "cpu").add(0, 20, 70).add(30, 20, 80)
	rows, _ := collect(t, Config{ScaledObject: so}, r)
	want := []step{
		{T: 0, Event: "poll", Seen: "20,70", Desired: 1},
		{T: 0, Event: "hpa", Seen: "20,70", Desired: 2},
		{T: 15, Event: "hpa", Seen: "20,70", Desired: 3},
		{T: 30, Event: "poll", Seen: "20,80", Desired: 3},
		{T: 30, Event: "hpa", Seen: "20,80", Desired: 5},
	}
	if diff := cmp.Diff(want, steps(rows)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
}
