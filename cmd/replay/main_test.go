package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// testdataDir is absolute: a test may change directory.
var testdataDir, _ = filepath.Abs("testdata")

const (
	nasaHPA   = "../../testdata/examples/nasa-gateway-hpa.yaml"
	nasaTrace = "../../testdata/traces/nasa-http-1995-07-01-rate.csv"
	queueSO   = "../../testdata/replay/queue-worker.yaml"
	queueCSV  = "../../testdata/traces/azure-functions-2019-queues.csv"
)

// result is what one invocation printed and returned.
func invoke(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	code = exitCode(run(args, &o, &e), &e)
	return o.String(), e.String(), code
}

// golden compares text with testdata/<name>.golden, or rewrites it.
func golden(t *testing.T, name, text string) {
	t.Helper()
	path := filepath.Join(testdataDir, name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), text); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// One golden file per command case: exit code, stdout, stderr.
func TestCommands(t *testing.T) {
	dir := t.TempDir()
	badTrace := filepath.Join(dir, "bad.csv")
	write(t, badTrace, "time,http_requests_per_minute\n1995-07-01T04:00:01Z,12\n1995-07-01T04:01:01Z,12x\n")
	recorded := filepath.Join(dir, "recorded.csv")
	write(t, recorded, recordedTrace())
	badYAML := filepath.Join(dir, "bad.yaml")
	write(t, badYAML, "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\nspec:\n  maxReplicas: three\n")
	ordersHPA := filepath.Join(dir, "orders-hpa.yaml")
	write(t, ordersHPA, `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: orders}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: orders}
  minReplicas: 1
  maxReplicas: 10
  metrics:
  - type: External
    external:
      metric: {name: orders}
      target: {type: AverageValue, averageValue: "5"}
`)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"help", []string{"help"}},
		{"run-prometheus", []string{"run", "-f", ordersHPA, "--trace", "../../replay/trace/testdata/prom-lag.json", "--column-label", "topic", "--region-label", "region", "-o", "-"}},
		{"run-two-objects", []string{"run", "-f", nasaHPA, "-f", ordersHPA, "--trace", nasaTrace}},
		{"run-name-missing", []string{"run", "-f", nasaHPA, "-f", ordersHPA, "--name", "frontend", "--trace", nasaTrace}},
		{"run-name-map", []string{"run", "-f", nasaHPA, "-f", ordersHPA, "--name", "orders", "--map", "orders=http_requests_per_minute", "--trace", recorded, "--initial-replicas", "2"}},
		{"run-bad-partitions", []string{"run", "-f", nasaHPA, "--trace", nasaTrace, "--partitions", "lag"}},
		{"run-bad-region", []string{"run", "-f", nasaHPA, "--trace", nasaTrace, "--region", "eu"}},
		{"run-several-series", []string{"run", "-f", "../../testdata/keda/formula.yaml", "--trace", nasaTrace, "--model", "queue", "--throughput", "5"}},
		{"run-prometheus-no-column", []string{"run", "-f", ordersHPA, "--trace", "../../replay/trace/testdata/prom-lag.json"}},
		{"run-help", []string{"run", "--help"}},
		{"unknown-command", []string{"scale"}},
		{"flag-before-command", []string{"-f", "x.yaml"}},
		{"run-no-manifest", []string{"run", "--trace", nasaTrace}},
		{"run-unknown-flag", []string{"run", "--sync", "15s"}},
		{"run-bad-duration", []string{"run", "-f", nasaHPA, "--trace", nasaTrace, "--sync-period", "fast"}},
		{"run-bad-trace", []string{"run", "-f", nasaHPA, "--trace", badTrace}},
		{"run-bad-yaml", []string{"run", "-f", badYAML, "--trace", nasaTrace}},
		{"run-missing-column", []string{"run", "-f", queueSO, "--trace", nasaTrace}},
		{"run-bad-model", []string{"run", "-f", nasaHPA, "--trace", nasaTrace, "--model", "magic"}},
		{"run-bad-output", []string{"run", "-f", nasaHPA, "--trace", nasaTrace, "-o", "timeline.xlsx"}},
		{"run-recorded-stdout", []string{"run", "-f", nasaHPA, "--trace", recorded, "-o", "-"}},
		{"run-queue-closed", []string{"run", "-f", queueSO, "--trace", queueCSV, "--model", "queue", "--arrivals", "arrivals", "--throughput", "20", "--startup-delay", "30s", "--slo", "2000", "--region", "fn-63ecf88a"}},
		{"explain-at", []string{"explain", "-f", nasaHPA, "--trace", nasaTrace, "--at", "1995-07-01T04:01:01Z"}},
		{"explain-between", []string{"explain", "-f", nasaHPA, "--trace", nasaTrace, "--at", "1995-07-01T04:49:50Z"}},
		{"explain-keda", []string{"explain", "-f", queueSO, "--trace", queueCSV, "--model", "queue", "--arrivals", "arrivals", "--throughput", "20", "--region", "fn-bcbea1f2", "--at", "2019-07-01T00:01:30Z"}},
		{"explain-all", []string{"explain", "-f", nasaHPA, "--trace", nasaTrace, "--all"}},
		{"verify-recorded", []string{"verify", "-f", nasaHPA, "--trace", recorded, "--recorded", "--min-agreement", "50"}},
		{"verify-needs-mode", []string{"verify", "-f", nasaHPA, "--trace", nasaTrace}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := invoke(tc.args...)
			text := fmt.Sprintf("$ replay %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(tc.args, " "), code, stdout, stderr)
			golden(t, "cmd/"+tc.name, strings.ReplaceAll(text, dir, "TMP"))
		})
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// recordedTrace is two hours of the NASA trace with a replicas column that
// a production HPA might have recorded.
func recordedTrace() string {
	b, _ := os.ReadFile(nasaTrace)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var s strings.Builder
	s.WriteString("time,replicas,http_requests_per_minute\n")
	for i, l := range lines[1:121] {
		tm, v, _ := strings.Cut(l, ",")
		fmt.Fprintf(&s, "%s,%d,%s\n", tm, 13+i/40, v)
	}
	return s.String()
}

// Outputs are written whole or not at all: a failing replay leaves no file
// and does not touch an existing one.
func TestOutputsAreAtomic(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "timeline.csv")
	write(t, out, "keep me\n")
	bad := filepath.Join(dir, "bad.csv")
	write(t, bad, "time,http_requests_per_minute\n1995-07-01T04:00:01Z,12\n1995-07-01T04:01:01Z,NaN?\n")
	if _, _, code := invoke("run", "-f", nasaHPA, "--trace", bad, "-o", out); code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	if b, _ := os.ReadFile(out); string(b) != "keep me\n" {
		t.Errorf("the existing output was changed: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("files left behind: %v", entries)
	}

	for _, ext := range []string{"csv", "json", "parquet"} {
		out := filepath.Join(dir, "t."+ext)
		if _, stderr, code := invoke("run", "-f", nasaHPA, "--trace", nasaTrace, "-o", out); code != 0 {
			t.Fatalf("-o %s: exit %d: %s", ext, code, stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil || len(b) < 1000 {
			t.Fatalf("-o %s: %d bytes, %v", ext, len(b), err)
		}
		if ext == "json" && !json.Valid(b) {
			t.Errorf("-o %s: not valid JSON", out)
		}
	}
}

// A golden timeline verifies; a changed one fails with exit 1 and shows
// the first difference.
func TestVerifyGolden(t *testing.T) {
	dir := t.TempDir()
	g := filepath.Join(dir, "golden.csv")
	if _, stderr, code := invoke("verify", "-f", nasaHPA, "--trace", nasaTrace, "--golden", g, "--update"); code != 0 {
		t.Fatalf("--update: exit %d: %s", code, stderr)
	}
	stdout, _, code := invoke("verify", "-f", nasaHPA, "--trace", nasaTrace, "--golden", g)
	if code != 0 || !strings.Contains(stdout, "5757 of 5757 rows agree on replicas (100.00 %)") {
		t.Errorf("verify against its own output: exit %d\n%s", code, stdout)
	}
	b, _ := os.ReadFile(g)
	changed := strings.Replace(string(b), "1995-07-01T04:01:01Z,,6,", "1995-07-01T04:01:01Z,,7,", 1)
	if changed == string(b) {
		t.Fatal("the golden timeline lacks the expected row")
	}
	write(t, g, changed)
	stdout, stderr, code := invoke("verify", "-f", nasaHPA, "--trace", nasaTrace, "--golden", g)
	if code != exitFailed || !strings.Contains(stdout, "5756 of 5757 rows agree") || !strings.Contains(stdout, "  - 1995-07-01T04:01:01Z,,7,") {
		t.Errorf("verify of a changed golden: exit %d\n%s%s", code, stdout, stderr)
	}
}

// With no arguments, replay runs the bundled example from any directory and
// writes replay.png there.
func TestBundledExample(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	stdout, stderr, code := invoke()
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	f, err := os.Open(filepath.Join(dir, "replay.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("replay.png: %v", err)
	}
	// The default size: 1200 pt wide, a 48 pt header and 400 pt per region,
	// at 96 dpi.
	if b := img.Bounds(); b.Dx() != 1600 || b.Dy() != 597 {
		t.Errorf("replay.png is %dx%d pixels, want 1600x597", b.Dx(), b.Dy())
	}
	golden(t, "cmd/example", stdout)
}

// plot redraws a saved timeline, with or without the manifest; a CSV that
// is not a timeline is an input error naming the file.
func TestPlotCommand(t *testing.T) {
	dir := t.TempDir()
	tl := filepath.Join(dir, "timeline.csv")
	if _, stderr, code := invoke("run", "-f", queueSO, "--trace", queueCSV, "--model", "queue", "--arrivals", "arrivals", "--throughput", "20", "-o", tl); code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	svg := filepath.Join(dir, "a.svg")
	if _, stderr, code := invoke("plot", tl, "-o", svg, "-f", queueSO); code != 0 {
		t.Fatalf("plot -f: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(svg)
	if err != nil || !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("fn-bcbea1f2")) {
		t.Errorf("%s: %d bytes, %v: want an SVG with the regions", svg, len(b), err)
	}
	pngFile := filepath.Join(dir, "b.png")
	if _, stderr, code := invoke("plot", tl, "-o", pngFile, "--width", "600", "--height", "200"); code != 0 {
		t.Fatalf("plot: exit %d: %s", code, stderr)
	}
	f, err := os.Open(pngFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("%s: %v", pngFile, err)
	}
	_, stderr, code := invoke("plot", queueCSV, "-o", filepath.Join(dir, "c.png"))
	if code != exitUsage || !strings.Contains(stderr, `azure-functions-2019-queues.csv:1: no "replicas" column: not a replay timeline`) {
		t.Errorf("plot of a trace: exit %d: %s", code, stderr)
	}
}
