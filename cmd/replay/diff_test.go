package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreplay/autoreplay/replaytest"
)

const (
	ordersOld = "../../examples/tune/orders-consumer.yaml"
	// ordersNew is ordersOld with another lag threshold and scale-down
	// window.
	ordersNew   = "testdata/diff/orders-consumer-new.yaml"
	twoRegions  = "../../examples/tune/two-regions.csv"
	ordersFlags = "--model queue --arrivals arrivals --throughput 12 --max-consumers 40 --partitions lag=40 --startup-delay 45s --pipeline-delay 30s --scrape-interval 30s --slo 10000"
)

// diffArgs is replay diff of two manifests on the two-region trace in the
// closed loop of docs/tune.md, with extra flags.
func diffArgs(old, new string, extra ...string) []string {
	args := append([]string{"diff", "-f", old, "-f", new, "--trace", twoRegions}, strings.Fields(ordersFlags)...)
	return append(args, extra...)
}

func TestDiffCommands(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		// The example of docs/cli.md.
		{"two-regions", diffArgs(ordersOld, ordersNew), exitOK},
		{"fail-on-holds", diffArgs(ordersOld, ordersNew, "--fail-on", "replica_hours=+5%", "--fail-on", "scale_events_per_hour=+1", "--max-ticks", "3"), exitOK},
		{"fail-on-breaks", diffArgs(ordersOld, ordersNew, "--fail-on", "replica_hours=-10%", "--fail-on", "lag.p99=+50%", "--fail-on", "lag.above_seconds=+600", "--max-ticks", "3"), exitFailed},
		{"one-file", []string{"diff", "-f", ordersOld, "--trace", twoRegions}, exitUsage},
		{"three-files", []string{"diff", "-f", ordersOld, "-f", ordersNew, "-f", ordersOld, "--trace", twoRegions}, exitUsage},
		{"bad-budget", diffArgs(ordersOld, ordersNew, "--fail-on", "replica_hours=5%"), exitUsage},
		{"unknown-figure", diffArgs(ordersOld, ordersNew, "--fail-on", "replica_hourz=+5%"), exitUsage},
		{"no-trace", []string{"diff", "-f", ordersOld, "-f", ordersNew}, exitUsage},
		{"missing-trace", []string{"diff", "-f", ordersOld, "-f", ordersNew, "--trace", "no-such-trace.csv"}, exitUsage},
		{"missing-manifest", diffArgs(ordersOld, "testdata/diff/no-such.yaml"), exitUsage},
		{"help", []string{"diff", "--help"}, exitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := invoke(tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, stderr)
			}
			golden(t, "diff/"+tc.name, fmt.Sprintf("$ replay %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(tc.args, " "), code, stdout, stderr))
		})
	}
}

// A manifest against itself: no tick differs and every figure is "=".
func TestDiffIdentical(t *testing.T) {
	stdout, stderr, code := invoke(diffArgs(ordersOld, ordersOld, "--fail-on", "replica_hours=+0")...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, region := range []string{"eu-west", "us-east"} {
		if !strings.Contains(stdout, "  "+region+": 0 of 5757 ticks differ in replicas\n") {
			t.Errorf("region %s: want no tick differing:\n%s", region, stdout)
		}
	}
	_, table, _ := strings.Cut(stdout, "summary (old → new):\n")
	table, _, _ = strings.Cut(table, "\n\n")
	rows := strings.Split(table, "\n")[1:]
	if len(rows) != 28 {
		t.Errorf("%d figures, want 14 per region:\n%s", len(rows), table)
	}
	for _, r := range rows {
		if !strings.HasSuffix(r, " =") {
			t.Errorf("a figure changed: %q", r)
		}
	}
	if strings.Contains(stdout, "old reasons") || !strings.Contains(stdout, "budgets: all 1 hold in every region") {
		t.Errorf("want no tick table and the budget holding:\n%s", stdout)
	}
}

// --plot writes a PNG that decodes and an SVG with the old replicas.
func TestDiffPlot(t *testing.T) {
	dir := t.TempDir()
	pngFile, svgFile := filepath.Join(dir, "diff.png"), filepath.Join(dir, "diff.svg")
	for _, f := range []string{pngFile, svgFile} {
		if stdout, stderr, code := invoke(diffArgs(ordersOld, ordersNew, "--plot", f)...); code != exitOK || !strings.Contains(stdout, "wrote "+f) {
			t.Fatalf("--plot %s: exit %d\n%s%s", f, code, stdout, stderr)
		}
	}
	f, err := os.Open(pngFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", pngFile, err)
	}
	// Two regions: 1200 pt wide, a 48 pt header and 400 pt per region, at
	// 96 dpi.
	if b := img.Bounds(); b.Dx() != 1600 || b.Dy() != 1131 {
		t.Errorf("%s is %dx%d pixels, want 1600x1131", pngFile, b.Dx(), b.Dy())
	}
	b, err := os.ReadFile(svgFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "replicas (old)", "replicas (new)", "eu-west", "us-east"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("%s lacks %q", svgFile, want)
		}
	}
	if _, stderr, code := invoke(diffArgs(ordersOld, ordersNew, "--plot", filepath.Join(dir, "diff.jpg"))...); code != exitUsage || !strings.Contains(stderr, `unknown image format ".jpg"`) {
		t.Errorf("--plot diff.jpg: exit %d: %s", code, stderr)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("files in %s: %v, want the two plots only", dir, entries)
	}
}

// Budgets: relative to OLD or absolute, an increase allowed or a decrease
// required; relative to an OLD of 0, any increase breaks.
func TestBudget(t *testing.T) {
	for _, tc := range []struct {
		budget   string
		old, new float64
		breaks   bool
	}{
		{"+5%", 100, 105, false},
		{"+5%", 100, 105.1, true},
		{"+5%", 0, 0, false},
		{"+5%", 0, 0.1, true},
		{"-10%", 100, 90, false},
		{"-10%", 100, 91, true},
		{"+1", 2, 3, false},
		{"+1", 2, 3.5, true},
		{"-1", 2, 1, false},
		{"-1", 2, 1.5, true},
		{"+0", 2, 2, false},
		{"+.5", 2, 2.5, false},
	} {
		b, err := parseBudget("replica_hours=" + tc.budget)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.breaks(replaytest.Delta{Figure: "replica_hours", Old: tc.old, New: tc.new}); got != tc.breaks {
			t.Errorf("%s, %v → %v: breaks %v, want %v", tc.budget, tc.old, tc.new, got, tc.breaks)
		}
	}
	for _, bad := range []string{"replica_hours", "replica_hours=", "replica_hours=5%", "replica_hours=+5%%", "=+5%", "replica_hours=+x", "replica_hours=+5 %"} {
		if _, err := parseBudget(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
