package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreplay/autoreplay/manifest"
)

// queueTune is a closed-loop study of the queue worker on three Azure
// Functions, one per region: 12 configurations.
var queueTune = []string{
	"-f", queueSO, "--trace", queueCSV, "--model", "queue", "--arrivals", "arrivals", "--throughput", "20",
	"--startup-delay", "30s", "--pipeline-delay", "30s", "--scrape-interval", "15s",
	"--param", "triggers.backlog.threshold=100:400:100", "--param", "scaleDown.window=0,120,600",
	"--constraint", "backlog <= 5000 for 99%", "--constraint", "scale_events_per_hour <= 40", "--top", "3",
}

func tuneArgs(extra ...string) []string {
	return append(append([]string{"tune"}, queueTune...), extra...)
}

func TestTuneCommands(t *testing.T) {
	dir := t.TempDir()
	study := filepath.Join(dir, "study.yaml")
	write(t, study, "parameters:\n  triggers.backlog.threshold: 100:400:100\n  pollingInterval: [15, 30]\nobjective: replica_hours\nconstraints:\n  - backlog.p99 <= 3000\ntop: 2\n")
	badStudy := filepath.Join(dir, "bad-study.yaml")
	write(t, badStudy, "parameters:\n  triggers.backlog.threshold: 400:100:100\n")
	common := []string{"-f", queueSO, "--trace", queueCSV, "--model", "queue", "--arrivals", "arrivals", "--throughput", "20"}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"tune-queue", tuneArgs("--manifests", filepath.Join(dir, "tuned"), "-o", filepath.Join(dir, "eval.csv"), "--front", filepath.Join(dir, "front.csv"))},
		// The walk-through of docs/tune.md.
		{"tune-two-regions", []string{"tune", "-f", "../../examples/tune/orders-consumer.yaml", "--trace", "../../examples/tune/two-regions.csv",
			"--space", "../../examples/tune/study.yaml", "--prune=false", "--model", "queue", "--arrivals", "arrivals", "--throughput", "12",
			"--max-consumers", "40", "--partitions", "lag=40", "--startup-delay", "45s", "--pipeline-delay", "30s", "--scrape-interval", "30s"}},
		{"tune-space-file", append(append([]string{"tune"}, common...), "--space", study, "--region", "fn-63ecf88a")},
		{"tune-open-loop", []string{"tune", "-f", nasaHPA, "--trace", nasaTrace, "--param", "maxReplicas=5,10,20", "--param", "scaleDown.window=0,300", "--constraint", "max_replicas <= 10"}},
		{"tune-open-lag", []string{"tune", "-f", queueSO, "--trace", queueCSV, "--map", "backlog=arrivals", "--param", "pollingInterval=15,30", "--constraint", "backlog <= 10 for 99%"}},
		{"tune-bad-study", append(append([]string{"tune"}, common...), "--space", badStudy)},
		{"tune-unknown-param", append(append([]string{"tune"}, common...), "--param", "triggers.backlog.treshold=1,2")},
		{"tune-bad-value", append(append([]string{"tune"}, common...), "--param", "scaleDown.window=0,7200")},
		{"tune-nothing", append([]string{"tune"}, common...)},
		{"tune-bad-constraint", append(append([]string{"tune"}, common...), "--param", "pollingInterval=15,30", "--constraint", "backlog.p99 = 3")},
		{"tune-bad-shard", append(append([]string{"tune"}, common...), "--param", "pollingInterval=15,30", "--shard", "2/2")},
		{"tune-shards-no-index", append(append([]string{"tune"}, common...), "--param", "pollingInterval=15,30", "--shards", "4")},
		{"tune-bad-plot", append(append([]string{"tune"}, common...), "--param", "pollingInterval=15,30", "--plot-front", "front.jpg")},
		{"tune-merge-none", []string{"tune", "merge", "-f", queueSO, "--trace", queueCSV}},
		{"tune-help", []string{"tune", "--help"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("JOB_COMPLETION_INDEX", "")
			stdout, stderr, code := invoke(tc.args...)
			text := fmt.Sprintf("$ replay %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(tc.args, " "), code, stdout, stderr)
			golden(t, "cmd/"+tc.name, strings.ReplaceAll(text, dir, "TMP"))
		})
	}
}

// TestTuneShardsMerge checks that shards run as an Indexed Job would run
// them, merged, give exactly the unsharded run's tables and files.
func TestTuneShardsMerge(t *testing.T) {
	dir := t.TempDir()
	out := func(name string) string { return filepath.Join(dir, name) }
	stdout, stderr, code := invoke(tuneArgs("-o", out("whole.csv"), "--manifests", out("whole"), "--front", out("whole-front.csv"))...)
	if code != 0 {
		t.Fatalf("unsharded: exit %d\n%s", code, stderr)
	}
	var shards []string
	for i := range 3 {
		t.Setenv("JOB_COMPLETION_INDEX", fmt.Sprint(i))
		name := out(fmt.Sprintf("shard-%d.csv", i))
		if _, stderr, code := invoke(tuneArgs("--shards", "3", "-o", name)...); code != 0 {
			t.Fatalf("shard %d: exit %d\n%s", i, code, stderr)
		}
		shards = append(shards, name)
	}
	args := append(append([]string{"tune", "merge"}, queueTune...), "-o", out("merged.csv"), "--manifests", out("merged"), "--front", out("merged-front.csv"))
	mstdout, mstderr, code := invoke(append(args, shards[2], shards[0], shards[1])...)
	if code != 0 {
		t.Fatalf("merge: exit %d\n%s", code, mstderr)
	}
	norm := func(s string) string { return strings.NewReplacer("whole", "X", "merged", "X").Replace(s) }
	if norm(stdout) != norm(mstdout) {
		t.Errorf("merge output differs from the unsharded run's:\n--- unsharded\n%s--- merged\n%s", stdout, mstdout)
	}
	same := func(a, b string) {
		t.Helper()
		x, err1 := os.ReadFile(a)
		y, err2 := os.ReadFile(b)
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("%s and %s differ (%v, %v)", a, b, err1, err2)
		}
	}
	same(out("whole.csv"), out("merged.csv"))
	same(out("whole-front.csv"), out("merged-front.csv"))
	if b, _ := os.ReadFile(out("whole-front.csv")); !strings.HasPrefix(string(b), "region,config,triggers.backlog.threshold,scaleDown.window,replica_hours,backlog.above_fraction\nfn-0d5565a8,") {
		t.Errorf("front file does not start with its header and a row:\n%.200s", b)
	}
	entries, _ := os.ReadDir(out("whole"))
	if len(entries) != 3 {
		t.Fatalf("%d tuned manifests, want one per region (3)", len(entries))
	}
	for _, e := range entries {
		same(filepath.Join(out("whole"), e.Name()), filepath.Join(out("merged"), e.Name()))
		b, _ := os.ReadFile(filepath.Join(out("whole"), e.Name()))
		sos, err := manifest.ParseScaledObjects(e.Name(), bytes.NewReader(b), manifest.DefaultOptions())
		if err != nil || len(sos) != 1 || sos[0].Name != "queue-worker" {
			t.Errorf("%s is not the tuned ScaledObject: %v", e.Name(), err)
		}
	}
	_, stderr, code = invoke(append(args, shards[0], shards[1])...)
	if code != 2 || !strings.Contains(stderr, "shards 2/3 are missing") {
		t.Errorf("merge without a shard: exit %d, %s", code, stderr)
	}
}

// TestTunePlots draws the three plots and checks the tuned manifest
// replays, through replay run, to the replica-hours the table promised.
func TestTunePlots(t *testing.T) {
	dir := t.TempDir()
	front, heat, compare := filepath.Join(dir, "front.png"), filepath.Join(dir, "heat.svg"), filepath.Join(dir, "compare.png")
	stdout, stderr, code := invoke(tuneArgs("--region", "fn-63ecf88a", "--plot-front", front, "--plot-heatmap", heat, "--plot-compare", compare, "--manifests", dir)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, f := range []string{front, compare} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if b, err := os.ReadFile(heat); err != nil || !bytes.HasPrefix(b, []byte("<?xml")) {
		t.Errorf("%s: not an SVG (%v)", heat, err)
	}
	// The winner's replica-hours, from the ranking's first row.
	var promised string
	for _, l := range strings.Split(stdout, "\n") {
		if f := strings.Fields(l); len(f) > 5 && f[0] == "1" {
			promised = f[4] // rank config threshold window replica_hours…
			break
		}
	}
	runOut, stderr, code := invoke("run", "-f", filepath.Join(dir, "queue-worker-fn-63ecf88a.yaml"), "--trace", queueCSV, "--region", "fn-63ecf88a",
		"--model", "queue", "--arrivals", "arrivals", "--throughput", "20", "--startup-delay", "30s", "--pipeline-delay", "30s", "--scrape-interval", "15s")
	if code != 0 {
		t.Fatalf("replay run of the tuned manifest: exit %d\n%s", code, stderr)
	}
	if promised == "" || !strings.Contains(runOut, " "+promised) {
		t.Errorf("the tuned manifest does not replay to the promised replica-hours %q:\n%s\n%s", promised, stdout, runOut)
	}
}
