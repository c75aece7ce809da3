package tune

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/manifest"
	"github.com/autoreplay/autoreplay/replay"
	"github.com/autoreplay/autoreplay/replay/trace"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// queueStudy is a small closed-loop study: the queue worker of
// testdata/replay on a day of three Azure Functions (one per region), 24
// configurations.
type studyCase struct {
	params      []string
	objective   string
	constraints []string
	prune       bool
}

func readTable(t testing.TB, path string) *trace.Table {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := trace.ReadAll(trace.NewCSVReader(filepath.Base(path), bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

var queueTrace = sync1(func(t testing.TB) *trace.Table {
	return readTable(t, "../testdata/traces/azure-functions-2019-queues.csv")
})

// sync1 caches a test fixture.
func sync1[T any](f func(testing.TB) T) func(testing.TB) T {
	var v T
	var done bool
	return func(t testing.TB) T {
		if !done {
			v, done = f(t), true
		}
		return v
	}
}

func queueReplay() replay.Config {
	return replay.Config{
		Workloads:    []replay.Workload{{Series: "backlog", Kind: replay.Queue, Arrivals: "arrivals", Throughput: 20}},
		StartupDelay: 30 * time.Second,
		Pipeline:     replay.Pipeline{Delay: 30 * time.Second, ScrapeInterval: 15 * time.Second},
	}
}

func newQueueStudy(t testing.TB, sc studyCase) *Study {
	t.Helper()
	data, err := os.ReadFile("../testdata/replay/queue-worker.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base, err := NewBase("queue-worker.yaml", data, "", manifest.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var space Space
	for _, p := range sc.params {
		pp, err := ParseParam(p)
		if err != nil {
			t.Fatal(err)
		}
		space.Params = append(space.Params, pp)
	}
	goal, err := ParseGoal(sc.objective, sc.constraints, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := NewStudy(Input{Base: base, Space: space, Replay: queueReplay(), Trace: queueTrace(t), Goal: goal, Prune: sc.prune})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

var smallGrid = studyCase{
	params: []string{
		"triggers.backlog.threshold=100:400:100",
		"scaleDown.stabilizationWindowSeconds=0,120,600",
		"pollingInterval=15,30",
	},
	constraints: []string{"backlog <= 5000 for 99%", "scale_events_per_hour <= 40"},
}

// runAll runs st and returns the evaluation file and the report.
func runAll(t testing.TB, st *Study, opt Options) ([]byte, Report) {
	t.Helper()
	var buf bytes.Buffer
	ew, err := st.NewEvalWriter(&buf, opt.Shard)
	if err != nil {
		t.Fatal(err)
	}
	col, err := st.NewCollector(ReportOptions{Top: 5})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Run(context.Background(), opt, func(recs []Record) error {
		if err := ew.Write(recs); err != nil {
			return err
		}
		return col.Add(recs)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := ew.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), col.Report()
}

var equateNaN = cmpopts.EquateNaNs()

func TestRunIndependentOfWorkers(t *testing.T) {
	st := newQueueStudy(t, smallGrid)
	if st.Size() != 24 {
		t.Fatalf("Size = %d, want 24", st.Size())
	}
	one, rep1 := runAll(t, st, Options{Workers: 1})
	for _, w := range []int{2, 3, 7, 0} {
		got, rep := runAll(t, st, Options{Workers: w})
		if !bytes.Equal(one, got) {
			t.Errorf("%d workers: the evaluation file differs from 1 worker's:\n%s", w, cmp.Diff(string(one), string(got)))
		}
		if diff := cmp.Diff(rep1, rep, equateNaN); diff != "" {
			t.Errorf("%d workers: report mismatch (-1 worker +%d):\n%s", w, w, diff)
		}
	}
	lines := strings.Split(strings.TrimSpace(string(one)), "\n")
	if want := 2 + 24*3; len(lines) != want {
		t.Fatalf("evaluation file has %d lines, want %d", len(lines), want)
	}
	if !strings.HasPrefix(lines[0], "# replay tune evaluation; study sha256:") || !strings.HasSuffix(lines[0], "; configurations 24; shard 0/1") {
		t.Errorf("comment line = %q", lines[0])
	}
	wantHeader := "config,region,status,triggers.backlog.threshold,scaleDown.stabilizationWindowSeconds,pollingInterval," +
		"replica_hours,min_replicas,max_replicas,scale_ups,scale_downs,scale_events_per_hour,flaps,flaps_per_hour," +
		"backlog.max,backlog.mean,backlog.p95,backlog.p99,backlog.above_seconds,backlog.above_fraction,note"
	if lines[1] != wantHeader {
		t.Errorf("header = %s\nwant     %s", lines[1], wantHeader)
	}
	if !strings.HasPrefix(lines[2], "0,fn-0d5565a8,ok,100,0,15,") || !strings.HasPrefix(lines[5], "1,fn-0d5565a8,ok,100,0,30,") {
		t.Errorf("rows not in grid order (last parameter fastest, regions sorted):\n%s\n%s", lines[2], lines[5])
	}
	for _, r := range rep1.Regions {
		if r.Evaluated != 24 || r.Feasible+r.Infeasible+r.Pruned+r.Invalid != 24 {
			t.Errorf("region %s: counts %+v", r.Region, r)
		}
	}
}

// TestShardsMerge checks that the shards' evaluation files, merged, give
// exactly the unsharded run's file and report.
func TestShardsMerge(t *testing.T) {
	st := newQueueStudy(t, smallGrid)
	whole, rep := runAll(t, st, Options{Workers: 2})
	for _, n := range []int{1, 3, 5, 30} {
		var shards []Shard
		var recs [][]Record
		for i := n - 1; i >= 0; i-- { // any order
			file, _ := runAll(t, st, Options{Workers: 2, Shard: Shard{Index: i, Count: n}})
			sh, r, err := st.ReadEval("shard.csv", bytes.NewReader(file))
			if err != nil {
				t.Fatalf("%d shards: %v", n, err)
			}
			shards, recs = append(shards, sh), append(recs, r)
		}
		merged, err := st.Merge(shards, recs)
		if err != nil {
			t.Fatalf("%d shards: Merge: %v", n, err)
		}
		var buf bytes.Buffer
		ew, _ := st.NewEvalWriter(&buf, Shard{})
		col, _ := st.NewCollector(ReportOptions{Top: 5})
		for i := 0; i < len(merged); i += len(st.Regions()) {
			ew.Write(merged[i : i+len(st.Regions())])
			col.Add(merged[i : i+len(st.Regions())])
		}
		if err := ew.Flush(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(whole, buf.Bytes()) {
			t.Errorf("%d shards merged: evaluation file differs:\n%s", n, cmp.Diff(string(whole), buf.String()))
		}
		if diff := cmp.Diff(rep, col.Report(), equateNaN); diff != "" {
			t.Errorf("%d shards merged: report mismatch (-unsharded +merged):\n%s", n, diff)
		}
		if n == 3 {
			if _, err := st.Merge(shards[:2], recs[:2]); err == nil || err.Error() != "shards 0/3 are missing" {
				t.Errorf("Merge without shard 0/3: %v", err)
			}
			if _, err := st.Merge(append(shards, shards[0]), append(recs, recs[0])); err == nil || err.Error() != "shard 2/3: given twice" {
				t.Errorf("Merge with a shard twice: %v", err)
			}
		}
	}
}

func TestReadEvalErrors(t *testing.T) {
	st := newQueueStudy(t, smallGrid)
	file, _ := runAll(t, st, Options{Shard: Shard{Index: 1, Count: 2}})
	other := newQueueStudy(t, studyCase{params: smallGrid.params, constraints: []string{"backlog <= 5000 for 99.5%"}})
	lines := strings.SplitAfter(string(file), "\n")
	edit := func(i int, from, to string) string {
		l := append([]string(nil), lines...)
		l[i] = strings.Replace(l[i], from, to, 1)
		return strings.Join(l, "")
	}
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "f.csv: empty file: want a replay tune evaluation file"},
		{"not ours", "time,lag\n", `f.csv:1: want the line "# replay tune evaluation"…: not a replay tune evaluation file`},
		{"columns", edit(1, "pollingInterval", "polling"), "f.csv:2: the columns are config,region,status,triggers.backlog.threshold,scaleDown.stabilizationWindowSeconds,polling,"},
		{"status", edit(2, ",ok,", ",fine,"), `f.csv:3: status "fine": want ok, invalid or pruned`},
		{"values", edit(2, ",100,0,30,", ",100,0,15,"), "f.csv:3: config 1 has the values 100,0,15: the study's are 100,0,30"},
		{"shard", edit(2, "1,fn", "2,fn"), "f.csv:3: config 2 is not in shard 1/2"},
		{"config", edit(2, "1,fn", "x,fn"), `f.csv:3: config "x": want an index of the grid, 0 to 23`},
		{"region", edit(2, "fn-0d5565a8", "fn-x"), `f.csv:3: region "fn-x": not a region of the trace (fn-0d5565a8, fn-63ecf88a, fn-bcbea1f2)`},
		{"figure", edit(2, ",ok,100,0,30,", ",ok,100,0,30,lots"), `f.csv:3: replica_hours "lots`},
		{"twice", strings.Join(append(append([]string(nil), lines...), lines[2]), ""), `f.csv:39: config 1, region "fn-0d5565a8": a second time`},
		{"short", strings.Join(lines[:len(lines)-2], ""), "f.csv: 35 records for shard 1/2 of 24 configurations in 3 regions: want 36 (a shard cut short?)"},
	}
	for _, tt := range tests {
		_, _, err := st.ReadEval("f.csv", strings.NewReader(tt.data))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: error = %v\nwant prefix %s", tt.name, err, tt.want)
		}
	}
	if _, _, err := other.ReadEval("f.csv", bytes.NewReader(file)); err == nil || !strings.Contains(err.Error(), "another study: its fingerprint is sha256:") {
		t.Errorf("another study's file: %v", err)
	}
}

// TestTunedManifestReplays checks the promise of a ranking: the manifest
// with the winner's values, read back by the manifest package and replayed
// with package replay alone, gives the figures the study reported.
func TestTunedManifestReplays(t *testing.T) {
	st := newQueueStudy(t, smallGrid)
	_, rep := runAll(t, st, Options{})
	for _, r := range rep.Regions {
		best, ok := r.Best()
		if !ok {
			t.Errorf("region %s: no feasible configuration", r.Region)
			continue
		}
		doc, err := st.Document(best.Config)
		if err != nil {
			t.Fatal(err)
		}
		sos, err := manifest.ParseScaledObjects("tuned.yaml", bytes.NewReader(doc), manifest.DefaultOptions())
		if err != nil || len(sos) != 1 {
			t.Fatalf("the tuned manifest does not parse: %v", err)
		}
		cfg := queueReplay()
		cfg.ScaledObject = &sos[0].Spec
		region := regionTable(queueTrace(t), r.Region)
		rp, err := replay.New(cfg, region.Header)
		if err != nil {
			t.Fatal(err)
		}
		sum := replay.NewSummarizer(rp.Columns(), replay.SummaryOptions{SLO: map[string]float64{"backlog": 5000}})
		if _, err := rp.Run(region.Reader(), func(row *replay.Row) error { sum.Add(row); return nil }); err != nil {
			t.Fatal(err)
		}
		s := sum.Summary().Regions[0]
		hours := s.End.Sub(s.Start).Hours()
		want := map[string]float64{
			"replica_hours": s.ReplicaHours, "max_replicas": float64(s.MaxReplicas),
			"scale_events_per_hour": float64(s.ScaleUps+s.ScaleDowns) / hours,
			"backlog.p99":           s.Actual[0].P99, "backlog.above_fraction": s.Actual[0].SecondsAboveSLO / (hours * 3600),
		}
		for name, v := range want {
			if got := best.Metrics[st.Metrics().Index(name)]; got != v {
				t.Errorf("region %s, config %d: %s = %v in the study, %v replayed from the tuned manifest", r.Region, best.Config, name, got, v)
			}
		}
		if !strings.Contains(string(doc), "threshold: \""+st.Values(best.Config)[0]+"\"") {
			t.Errorf("the tuned manifest does not carry the threshold %s:\n%s", st.Values(best.Config)[0], doc)
		}
	}
}

func regionTable(t *trace.Table, name string) *trace.Table {
	for _, g := range t.Regions() {
		if g.Samples[0].Region == name {
			return g
		}
	}
	return nil
}

// TestPruneExact checks that pruning changes nothing but the records of
// configurations that break a constraint: they are infeasible without
// pruning too, and the rankings' feasible entries are the same.
func TestPruneExact(t *testing.T) {
	sc := smallGrid
	sc.constraints = []string{"backlog <= 5000 for 99.5%", "scale_events_per_hour <= 45", "backlog.max <= 30000"}
	full := newQueueStudy(t, sc)
	sc.prune = true
	pruned := newQueueStudy(t, sc)
	if full.Fingerprint() == pruned.Fingerprint() {
		t.Errorf("pruning does not change the fingerprint")
	}
	var a, b [][]Record
	collect := func(st *Study, into *[][]Record) {
		if err := st.Run(context.Background(), Options{}, func(recs []Record) error { *into = append(*into, recs); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	collect(full, &a)
	collect(pruned, &b)
	colA, _ := full.NewCollector(ReportOptions{Top: 24})
	colB, _ := pruned.NewCollector(ReportOptions{Top: 24})
	npruned := 0
	for i := range a {
		colA.Add(a[i])
		colB.Add(b[i])
		for k := range a[i] {
			switch b[i][k].Status {
			case OK:
				if diff := cmp.Diff(a[i][k], b[i][k], equateNaN); diff != "" {
					t.Errorf("config %d: a record not pruned differs (-full +pruned):\n%s", i, diff)
				}
			case Pruned:
				npruned++
				if e := colA.entry(a[i][k]); e.Feasible {
					t.Errorf("config %d region %s was pruned (%s) but is feasible", i, a[i][k].Region, b[i][k].Note)
				}
				for j, f := range full.metrics.figs {
					if f.monotone && b[i][k].Metrics[j] > a[i][k].Metrics[j] {
						t.Errorf("config %d: pruned %s %v above the whole replay's %v", i, f.name, b[i][k].Metrics[j], a[i][k].Metrics[j])
					}
				}
			}
		}
	}
	if npruned == 0 {
		t.Fatalf("no record was pruned: the test proves nothing")
	}
	ra, rb := colA.Report(), colB.Report()
	for k := range ra.Regions {
		var fa, fb []int
		for _, e := range ra.Regions[k].Top {
			if e.Feasible {
				fa = append(fa, e.Config)
			}
		}
		for _, e := range rb.Regions[k].Top {
			if e.Feasible {
				fb = append(fb, e.Config)
			}
		}
		if diff := cmp.Diff(fa, fb); diff != "" {
			t.Errorf("region %s: feasible ranking mismatch (-full +pruned):\n%s", ra.Regions[k].Region, diff)
		}
	}
	t.Logf("%d of %d records pruned", npruned, 24*3)
}

func TestInvalidCombination(t *testing.T) {
	st := newQueueStudy(t, studyCase{params: []string{"minReplicaCount=0,5", "maxReplicaCount=3,40"}})
	_, rep := runAll(t, st, Options{})
	r := rep.Regions[0]
	if r.Invalid != 1 || r.Evaluated != 4 {
		t.Fatalf("counts: %+v", r)
	}
	last := r.Top[len(r.Top)-1]
	if last.Status != Invalid || last.Config != 2 || !strings.Contains(last.Note, "minReplicaCount") || !math.IsNaN(last.Metrics[0]) {
		t.Errorf("the invalid configuration (min 5, max 3) ranks last with a note: %+v", last)
	}
}

func TestRunCancel(t *testing.T) {
	st := newQueueStudy(t, smallGrid)
	ctx, cancel := context.WithCancel(context.Background())
	var got []int
	err := st.Run(ctx, Options{Workers: 2}, func(recs []Record) error {
		got = append(got, recs[0].Config)
		if len(got) == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel = %v, want context.Canceled", err)
	}
	for i, c := range got {
		if c != i {
			t.Fatalf("emitted %v: not a prefix of the grid", got)
		}
	}
	stop := errors.New("enough")
	if err := st.Run(context.Background(), Options{}, func([]Record) error { return stop }); err != stop {
		t.Errorf("Run with a failing emit = %v, want it returned", err)
	}
}

func TestOpenLoopSeriesConstraint(t *testing.T) {
	data, _ := os.ReadFile("../testdata/replay/queue-worker.yaml")
	base, err := NewBase("queue-worker.yaml", data, "", manifest.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	goal, _ := ParseGoal("", []string{"backlog.p99 <= 10"}, nil)
	_, err = NewStudy(Input{Base: base, Replay: replay.Config{Columns: map[string]string{"backlog": "arrivals"}}, Trace: queueTrace(t), Goal: goal})
	if err == nil || !strings.Contains(err.Error(), "an open-loop replay has no modelled series: its figures are cost and stability only") {
		t.Errorf("open loop with a lag constraint: %v", err)
	}
}

func TestParseShard(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Shard
		err  string
	}{
		{"0/4", Shard{0, 4}, ""}, {"3/4", Shard{3, 4}, ""},
		{"4/4", Shard{}, "shard 4/4: want 0 <= index < count"},
		{"-1/4", Shard{}, "shard -1/4: want 0 <= index < count"},
		{"1", Shard{}, `shard "1": want INDEX/COUNT, e.g. 0/4`},
		{"a/b", Shard{}, `shard "a/b": want INDEX/COUNT, e.g. 0/4`},
	} {
		got, err := ParseShard(tt.in)
		if (err == nil && tt.err != "") || (err != nil && err.Error() != tt.err) || (err == nil && got != tt.want) {
			t.Errorf("ParseShard(%q) = %v, %v; want %v, %s", tt.in, got, err, tt.want, tt.err)
		}
	}
	for _, tt := range []struct{ n, i, count, want int }{{10, 0, 3, 4}, {10, 2, 3, 3}, {2, 3, 4, 0}, {10, 0, 0, 10}} {
		if got, _ := (Shard{tt.i, tt.count}).configs(tt.n); got != tt.want {
			t.Errorf("shard %d/%d of %d: %d configurations, want %d", tt.i, tt.count, tt.n, got, tt.want)
		}
	}
}
