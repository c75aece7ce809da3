package replaytest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/autoreplay/autoreplay/replay"
	"github.com/google/go-cmp/cmp"
)

const (
	nasaHPA   = "../testdata/examples/nasa-gateway-hpa.yaml"
	nasaTrace = "../testdata/traces/nasa-http-1995-07-01-rate.csv"
	queueSO   = "../testdata/replay/queue-worker.yaml"
	queueCSV  = "../testdata/traces/azure-functions-2019-queues.csv"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// rewrite is -update as given: TestMain clears the flag, so that the tests
// of Golden run as without it.
var rewrite bool

func TestMain(m *testing.M) {
	flag.Parse()
	rewrite, *update = *update, false
	os.Exit(m.Run())
}

// golden compares text with testdata/<name>.golden, or rewrites it.
func golden(t *testing.T, name, text string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if rewrite {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update)", err)
	}
	if diff := cmp.Diff(string(want), text); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// recorder is a testing.TB that keeps what a helper reports; Fatal ends
// the goroutine it runs in, as testing does.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
	logs   []string
	fatal  bool
}

func (r *recorder) Helper() {}
func (r *recorder) Error(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprint(args...))
}
func (r *recorder) Errorf(format string, args ...any) { r.Error(fmt.Sprintf(format, args...)) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.Error(fmt.Sprintf(format, args...))
	r.fatal = true
	runtime.Goexit()
}
func (r *recorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

// record runs f with a recorder in its own goroutine.
func record(t *testing.T, f func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func nasa() Case { return Case{Manifest: nasaHPA, Trace: nasaTrace} }

// changed writes the NASA HPA with another target into dir.
func changed(t *testing.T, dir, from, to string) string {
	t.Helper()
	b, err := os.ReadFile(nasaHPA)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), from, to, 1)
	if s == string(b) {
		t.Fatalf("%q not in %s", from, nasaHPA)
	}
	path := filepath.Join(dir, "hpa.yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestGoldenMatches(t *testing.T) {
	res := Run(t, nasa())
	if rewrite {
		t.Setenv(UpdateEnv, "1")
	}
	res.Golden(t, "testdata/nasa-gateway.timeline.csv")
	// The golden file is what the CLI writes: replay run -o.
	if !strings.HasPrefix(string(res.Timeline), "time,region,replicas,desired,source,loop,ready,recorded,http_requests_per_minute,reasons\n") {
		t.Errorf("timeline header: %.100s", res.Timeline)
	}
}

func TestGoldenMismatch(t *testing.T) {
	dir := t.TempDir()
	c := nasa()
	c.Manifest = changed(t, dir, `averageValue: "5"`, `averageValue: "6"`)
	res := Run(t, c)
	rec := record(t, func(tb testing.TB) { res.Golden(tb, "testdata/nasa-gateway.timeline.csv") })
	if len(rec.errors) != 1 || rec.fatal {
		t.Fatalf("errors %q, fatal %v", rec.errors, rec.fatal)
	}
	// go-cmp writes some spaces as U+00A0, at random, so that its output is
	// not compared as such; this comparison does so knowingly.
	golden(t, "mismatch", strings.ReplaceAll(strings.ReplaceAll(rec.errors[0], dir, "TMP"), "\u00a0", " "))
}

func TestGoldenMissingAndUpdate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "nasa.timeline.csv")
	res := Run(t, nasa())
	rec := record(t, func(tb testing.TB) { res.Golden(tb, path) })
	if !rec.fatal || len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "no golden timeline yet; write it with go test -update (RegisterUpdateFlag) or REPLAYTEST_UPDATE=1") {
		t.Fatalf("missing golden: %q", rec.errors)
	}
	t.Setenv(UpdateEnv, "1")
	rec = record(t, func(tb testing.TB) { res.Golden(tb, path) })
	if len(rec.errors) != 0 || len(rec.logs) != 1 {
		t.Fatalf("update: errors %q logs %q", rec.errors, rec.logs)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != string(res.Timeline) {
		t.Fatalf("update wrote %d bytes, %v", len(b), err)
	}
	// Rewriting an equal file leaves it (and logs nothing).
	rec = record(t, func(tb testing.TB) { res.Golden(tb, path) })
	if len(rec.errors)+len(rec.logs) != 0 {
		t.Errorf("second update: %q %q", rec.errors, rec.logs)
	}
	t.Setenv(UpdateEnv, "")
	rec = record(t, func(tb testing.TB) { res.Golden(tb, path) })
	if len(rec.errors) != 0 {
		t.Errorf("after update: %q", rec.errors)
	}
}

func TestRegisterUpdateFlag(t *testing.T) {
	// The test binary defines -update itself: RegisterUpdateFlag keeps it,
	// and Golden reads it.
	RegisterUpdateFlag()
	if f := flag.Lookup("update"); f == nil || f.Usage != "rewrite the golden files under testdata" {
		t.Fatalf("flag %+v", f)
	}
	if err := flag.Set("update", "true"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { flag.Set("update", "false") })
	if !updating() {
		t.Error("-update=true: not updating")
	}
	flag.Set("update", "false")
	t.Setenv(UpdateEnv, "")
	if updating() {
		t.Error("-update=false: updating")
	}
}

func TestCheck(t *testing.T) {
	res := Run(t, Case{Manifest: queueSO, Trace: queueCSV, Region: "fn-63ecf88a", Configure: func(c *replay.Config) {
		c.Workloads = []replay.Workload{{Kind: replay.Queue, Series: "backlog", Arrivals: "arrivals", Throughput: 20}}
	}, Summary: replay.SummaryOptions{SLO: map[string]float64{"backlog": 2000}}})
	figs, err := res.Figures("fn-63ecf88a", map[string]float64{"backlog": 2000})
	if err != nil {
		t.Fatal(err)
	}
	rh, p99, above := figs["replica_hours"], figs["backlog.p99"], figs["backlog.above_seconds"]
	if !(rh > 0) || !(p99 > 0) {
		t.Fatalf("figures %v", figs)
	}
	holds := []string{
		fmt.Sprintf("replica_hours <= %g", rh),
		fmt.Sprintf("backlog.p99 <= %g", p99),
		fmt.Sprintf("backlog.above_seconds <= %g", above),
		"max_replicas <= 1000",
	}
	if msgs := res.check(holds); len(msgs) != 0 {
		t.Errorf("constraints that hold fail: %q", msgs)
	}
	broken := []string{
		fmt.Sprintf("replica_hours < %g", rh),
		"backlog <= 1 for 99.9%",
		"scale_events_per_hour <= 0",
		"lag.p99 <= 5",
		"replica_hours ~ 3",
	}
	golden(t, "check", strings.Join(res.check(broken), "\n")+"\n")
}

func TestDiffTicks(t *testing.T) {
	parse := func(s string) *Timeline {
		tl, err := ReadTimeline("t.csv", []byte("time,region,replicas,desired,source,loop,ready,recorded,lag,reasons\n"+s))
		if err != nil {
			t.Fatal(err)
		}
		return tl
	}
	old := parse("2026-01-05T00:00:00Z,,1,1,hpa,open,1,,5,\n" +
		"2026-01-05T00:00:15Z,,2,2,hpa,open,2,,9,ScaleUp\n" +
		"2026-01-05T00:00:30Z,,2,2,keda,open,2,,9,\n" +
		"2026-01-05T00:00:30Z,,2,2,hpa,open,2,,9,\n")
	new := parse("2026-01-05T00:00:00Z,,1,1,hpa,open,1,,5,\n" +
		"2026-01-05T00:00:15Z,,3,3,hpa,open,3,,9,ScaleUp\n" +
		"2026-01-05T00:00:30Z,,3,3,hpa,open,3,,9,\n" +
		"2026-01-05T00:00:45Z,,3,3,hpa,open,3,,9,\n")
	var got []string
	for _, d := range DiffTicks(old, new, nil) {
		line := func(tk *Tick) string {
			if tk == nil {
				return "-"
			}
			return tk.Source + ":" + tk.Replicas
		}
		got = append(got, d.Time()[11:19]+" "+line(d.Old)+" "+line(d.New))
	}
	want := []string{"00:00:15 hpa:2 hpa:3", "00:00:30 hpa:2 hpa:3", "00:00:30 keda:2 -", "00:00:45 - hpa:3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diffs (-want +got):\n%s", diff)
	}
	// Compared on replicas only, a changed lag is no difference.
	lagOnly := parse("2026-01-05T00:00:00Z,,1,1,hpa,open,1,,6,\n")
	byReplicas := func(a, b *Tick) bool { return a.Replicas == b.Replicas }
	if d := DiffTicks(parse("2026-01-05T00:00:00Z,,1,1,hpa,open,1,,5,\n"), lagOnly, byReplicas); len(d) != 0 {
		t.Errorf("replicas-only diff: %+v", d)
	}
	if _, err := ReadTimeline("x.csv", []byte("time,lag\n1,2\n")); err == nil || !strings.Contains(err.Error(), `x.csv: no "region" column: not a timeline`) {
		t.Errorf("error %v", err)
	}
}

// TestTimelineSummary: a timeline read back summarizes as the replay did,
// but for what a timeline does not hold.
func TestTimelineSummary(t *testing.T) {
	res := Run(t, nasa())
	tl, err := ReadTimeline("nasa", res.Timeline)
	if err != nil {
		t.Fatal(err)
	}
	s, err := tl.Summary(replay.SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := res.Summary.Regions[0]
	got := s.Regions[0]
	if got.ReplicaHours != want.ReplicaHours || got.MinReplicas != want.MinReplicas || got.MaxReplicas != want.MaxReplicas ||
		got.ScaleDowns != want.ScaleDowns || got.Flaps != want.Flaps || got.HPATicks != want.HPATicks {
		t.Errorf("read back %+v\nreplayed %+v", got, want)
	}
	// The first tick's scale-up (from the initial replicas) is not in the
	// timeline.
	if got.ScaleUps != want.ScaleUps && got.ScaleUps != want.ScaleUps-1 {
		t.Errorf("scale-ups %d, replayed %d", got.ScaleUps, want.ScaleUps)
	}
}

func TestReplayErrors(t *testing.T) {
	for _, tc := range []struct {
		c   Case
		err string
	}{
		{Case{Trace: nasaTrace}, "a case needs a Manifest and a Trace"},
		{Case{Manifest: nasaHPA, Trace: nasaTrace, Name: "web"}, `no object named "web"; it holds [HorizontalPodAutoscaler gateway]`},
		{Case{Manifest: nasaHPA, Trace: queueCSV}, "the trace has no column for metrics[0]"},
		{Case{Manifest: nasaHPA, Trace: nasaTrace, Region: "eu"}, `region "eu": the trace has no regions`},
		{Case{Manifest: nasaHPA, Trace: "missing.csv"}, "no such file"},
	} {
		_, err := Replay(tc.c)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%+v: error %v, want %q", tc.c, err, tc.err)
		}
	}
}
