package chart

import (
	"bytes"
	"flag"
	"fmt"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/plot/vg"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s mismatch (-want +got):\n%s", name,
			cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")))
	}
}

var nan, posInf = math.NaN(), math.Inf(1)

// at returns the times of n steps, step apart, from epoch.
func at(n int, step time.Duration) []time.Time {
	ts := make([]time.Time, n)
	for i := range ts {
		ts[i] = epoch.Add(time.Duration(i) * step)
	}
	return ts
}

// smallChart exercises every kind of layer on a few points: two metrics
// on one axis (one with a gap, target, activation and SLO), a replica
// panel with desired (with a gap), ready, events (one before the first
// step, which is dropped) and bounds, and a second region with only a
// replica panel whose count has a gap.
func smallChart() Chart {
	ts := at(16, 30*time.Second)
	return Chart{
		Title:    "ScaledObject orders-consumer (closed loop)",
		Subtitle: "replica-hours 0.5 · peak 5 · 7 scale events",
		Panels: []Panel{
			{
				Region: "eu-west-1",
				Metrics: []Metric{
					{
						Name: "queue", Unit: "msgs", Target: 50, Activation: 10, SLO: 200, Times: ts,
						Values: []float64{40, 55, 80, 120, 180, nan, nan, 210, 160, 120, 90, 60, 45, 30, 25, 20},
					},
					{
						Name: "cpu", Unit: "%", Target: 70, Times: ts,
						Values: []float64{50, 52, 60, 75, 85, 88, 90, 80, 72, 65, 60, 55, 52, 50, 48, 47},
					},
				},
				Times:    ts,
				Replicas: []float64{1, 2, 2, 3, 4, 4, 4, 5, 5, 5, 5, 4, 4, 3, 3, 2},
				Desired:  []float64{1, 2, 3, 3, 4, nan, nan, 5, 4, 3, 2, 2, 1, 1, 1, 1},
				Ready:    []float64{1, 1, 2, 2, 3, 4, 4, 4, 5, 5, 5, 4, 4, 3, 3, 2},
				Events: []time.Time{
					ts[15], ts[1], ts[3], ts[4], ts[7], ts[11], ts[13], // any order
					epoch.Add(-time.Minute), // before the first step: not drawn
				},
				Min: 1, Max: 6,
			},
			{
				Region:   "us-east-1",
				Times:    ts,
				Replicas: []float64{2, 2, 2, 2, 3, 3, nan, nan, 3, 3, 3, 3, 2, 2, 2, 2},
				Events:   []time.Time{ts[4], ts[12].Add(10 * time.Second)},
				Min:      2, Max: 4,
			},
		},
	}
}

const smallWidth, smallHeight vg.Length = 640, 480

func TestDrawSVGGolden(t *testing.T) {
	for _, tc := range []struct {
		file string
		c    Chart
	}{
		{"small.svg.golden", smallChart()},
		{"compare.svg.golden", compareChart()},
	} {
		checkSVGGolden(t, Draw, tc.file, tc.c)
	}
}

// checkSVGGolden draws fig as SVG at the small size and compares it with
// testdata/file.
func checkSVGGolden[T any](t *testing.T, draw drawFunc[T], file string, fig T) {
	t.Helper()
	var buf bytes.Buffer
	if err := draw(&buf, "svg", smallWidth, smallHeight, fig); err != nil {
		t.Fatal(err)
	}
	golden(t, file, buf.Bytes())
}

// drawFunc is Draw, DrawScatter or DrawHeatmap.
type drawFunc[T any] func(w io.Writer, format string, width, height vg.Length, fig T) error

// checkDeterministic draws fig twice in each format and checks that the
// outputs are byte-identical.
func checkDeterministic[T any](t *testing.T, draw drawFunc[T], w, h vg.Length, fig T) {
	t.Helper()
	for _, format := range []string{"svg", "png"} {
		var a, b bytes.Buffer
		if err := draw(&a, format, w, h, fig); err != nil {
			t.Fatal(err)
		}
		if err := draw(&b, format, w, h, fig); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: two renderings of the same figure differ (%d and %d bytes)", format, a.Len(), b.Len())
		}
	}
}

func TestDrawDeterministic(t *testing.T) {
	c := synthChart(2, 5000, 15*time.Second)
	checkDeterministic(t, Draw, DefaultWidth, DefaultHeight(2), c)
	// With each region's replicas compared with those of another seed.
	for i := range c.Panels {
		other := synthPanel("other", uint64(10+i), 4000, 19*time.Second)
		c.Panels[i].Compare = []Line{{Label: "replicas (tuned)", Times: other.Times, Values: other.Replicas}}
	}
	checkDeterministic(t, Draw, DefaultWidth, DefaultHeight(2), c)
}

// pngSize is a figure size in points and the PNG size in pixels it gives.
type pngSize struct {
	w, h         vg.Length
	wantW, wantH int
}

// checkPNGSize draws fig as PNG at each size and checks that it decodes
// to the expected number of pixels.
func checkPNGSize[T any](t *testing.T, draw drawFunc[T], fig T, sizes []pngSize) {
	t.Helper()
	for _, tc := range sizes {
		var buf bytes.Buffer
		if err := draw(&buf, "png", tc.w, tc.h, fig); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatalf("%vx%vpt: decoding PNG: %v", tc.w, tc.h, err)
		}
		if got := img.Bounds().Size(); got.X != tc.wantW || got.Y != tc.wantH {
			t.Errorf("%vx%vpt: PNG is %dx%d pixels, want %dx%d", float64(tc.w), float64(tc.h), got.X, got.Y, tc.wantW, tc.wantH)
		}
	}
}

func TestDrawPNGSize(t *testing.T) {
	checkPNGSize(t, Draw, smallChart(), []pngSize{
		{DefaultWidth, DefaultHeight(2), 1600, 1131}, // 848pt × 96/72 = 1130.67
		{smallWidth, smallHeight, 853, 640},          // 640pt × 96/72 = 853.33
		{vg.Inch * 5, vg.Inch * 6, 480, 576},
	})
	checkPNGSize(t, Draw, compareChart(), []pngSize{
		{DefaultWidth, DefaultHeight(1), 1600, 597}, // 448pt × 96/72 = 597.33
	})
}

// errorCase is a figure, edited from a valid one, or a format or size,
// that must be refused.
type errorCase[T any] struct {
	name   string
	format string    // "" for svg
	w, h   vg.Length // 0 for smallWidth, smallHeight; w < 0 for 0
	edit   func(*T)
	want   string // in the error message
}

// checkErrors checks that draw refuses each case with an error containing
// its want and writes nothing.
func checkErrors[T any](t *testing.T, draw drawFunc[T], ok func() T, cases []errorCase[T]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fig := ok()
			if tc.edit != nil {
				tc.edit(&fig)
			}
			format, w, h := "svg", smallWidth, smallHeight
			if tc.format != "" {
				format = tc.format
			}
			if tc.w != 0 {
				w = max(tc.w, 0)
			}
			if tc.h != 0 {
				h = tc.h
			}
			var buf bytes.Buffer
			err := draw(&buf, format, w, h, fig)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes despite the error", buf.Len())
			}
		})
	}
}

func TestDrawErrors(t *testing.T) {
	checkErrors(t, Draw, smallChart, []errorCase[Chart]{
		{name: "unknown format", format: "pdf", want: `unknown format "pdf"`},
		{name: "format case", format: "SVG", want: `unknown format "SVG"`},
		{name: "zero width", w: -1 /* 0 */, want: "width 0pt: must be positive"},
		{name: "negative height", h: -10, want: "height -10pt: must be positive"},
		{name: "NaN width", w: vg.Length(nan), want: "width NaNpt: must be positive"},
		{name: "narrow", w: 100, want: "width 100pt is below the minimum 320pt"},
		{name: "short", h: 300, want: "height 300pt is below the minimum 368pt for 2 region(s)"},
		{name: "huge", w: 1e6, want: "width 1e+06pt exceeds the maximum 14400pt"},
		{name: "no panels", edit: func(c *Chart) { c.Panels = nil }, want: "chart: no panels"},
		{
			name: "replicas length", edit: func(c *Chart) { c.Panels[1].Replicas = c.Panels[1].Replicas[:3] },
			want: `chart: panel 1 (region "us-east-1"): len(Replicas) = 3, want len(Times) = 16`,
		},
		{
			name: "desired length", edit: func(c *Chart) { c.Panels[0].Desired = c.Panels[0].Desired[1:] },
			want: "len(Desired) = 15, want 0 or len(Times) = 16",
		},
		{
			name: "ready length", edit: func(c *Chart) { c.Panels[0].Ready = append(c.Panels[0].Ready, 1) },
			want: "len(Ready) = 17, want 0 or len(Times) = 16",
		},
		{
			name: "values length", edit: func(c *Chart) { c.Panels[0].Metrics[1].Values = nil },
			want: `panel 0 (region "eu-west-1"): metric 1 ("cpu"): len(Values) = 0, want len(Times) = 16`,
		},
		{
			name: "times decrease", edit: func(c *Chart) { c.Panels[1].Times = swapped(c.Panels[1].Times, 2, 3) },
			want: "Times[3] = 2025-03-01T00:01:00Z is before Times[2] = 2025-03-01T00:01:30Z: times must not decrease",
		},
		{
			name: "zero time", edit: func(c *Chart) { c.Panels[0].Metrics[0].Times = zeroed(c.Panels[0].Metrics[0].Times, 0) },
			want: `metric 0 ("queue"): Times[0] is the zero time`,
		},
		{
			name: "zero event", edit: func(c *Chart) { c.Panels[0].Events = []time.Time{{}} },
			want: "Events[0] is the zero time",
		},
		{
			name: "infinite value", edit: func(c *Chart) { c.Panels[0].Ready = inf(c.Panels[0].Ready, 4) },
			want: "Ready[4] is +Inf, want a finite number or NaN (gap)",
		},
		{
			name: "NaN target", edit: func(c *Chart) { c.Panels[0].Metrics[0].Target = nan },
			want: "Target is NaN, want a finite number (0: none)",
		},
		{name: "min above max", edit: func(c *Chart) { c.Panels[0].Min = 7 }, want: "Min 7 > Max 6"},
		{name: "negative min", edit: func(c *Chart) { c.Panels[0].Min = -1 }, want: "Min -1, Max 6: must not be negative"},
		{
			name: "empty panel", edit: func(c *Chart) { c.Panels[1] = Panel{Region: "x"} },
			want: `panel 1 (region "x"): no Times, Metrics or Compare lines: nothing to draw`,
		},
		{
			name: "no points", edit: func(c *Chart) { c.Panels = []Panel{{Metrics: []Metric{{Name: "m"}}}} },
			want: "chart: no data: every panel has empty Times",
		},
	})
}

func TestDrawCompareErrors(t *testing.T) {
	checkErrors(t, Draw, compareChart, []errorCase[Chart]{
		{
			name: "values length", edit: func(c *Chart) { c.Panels[0].Compare[0].Values = c.Panels[0].Compare[0].Values[:2] },
			want: `panel 0 (region "eu-west-1"): Compare[0] ("replicas (tuned)"): len(Values) = 2, want len(Times) = 6`,
		},
		{
			name: "times decrease", edit: func(c *Chart) { c.Panels[0].Compare[1].Times = swapped(c.Panels[0].Compare[1].Times, 0, 1) },
			want: `Compare[1] (""): Times[1] = 2025-03-01T00:00:00Z is before Times[0] = 2025-03-01T00:07:00Z`,
		},
		{
			name: "zero time", edit: func(c *Chart) { c.Panels[0].Compare[0].Times = zeroed(c.Panels[0].Compare[0].Times, 5) },
			want: `Compare[0] ("replicas (tuned)"): Times[5] is the zero time`,
		},
		{
			name: "infinite value", edit: func(c *Chart) { c.Panels[0].Compare[0].Values = inf(c.Panels[0].Compare[0].Values, 1) },
			want: `Compare[0] ("replicas (tuned)"): Values[1] is +Inf, want a finite number or NaN (gap)`,
		},
	})
}

func swapped(ts []time.Time, i, j int) []time.Time {
	ts = append([]time.Time(nil), ts...)
	ts[i], ts[j] = ts[j], ts[i]
	return ts
}

func zeroed(ts []time.Time, i int) []time.Time {
	ts = append([]time.Time(nil), ts...)
	ts[i] = time.Time{}
	return ts
}

func inf(vs []float64, i int) []float64 {
	vs = append([]float64(nil), vs...)
	vs[i] = math.Inf(1)
	return vs
}

// TestDrawEdgeCases renders degenerate but valid charts in both formats:
// none may fail or panic.
func TestDrawEdgeCases(t *testing.T) {
	one := []time.Time{epoch}
	checkEdgeCases(t, Draw, func(p Panel) Chart { return Chart{Panels: []Panel{p}} }, []edgeCase[Panel]{
		{"single step", Panel{Times: one, Replicas: []float64{3}, Events: one}},
		{"all NaN", Panel{Times: at(3, time.Minute), Replicas: []float64{nan, nan, nan},
			Metrics: []Metric{{Name: "m", Times: at(3, time.Minute), Values: []float64{nan, nan, nan}}}}},
		{"identical times", Panel{Times: []time.Time{epoch, epoch}, Replicas: []float64{1, 2}}},
		{"metrics only", Panel{Metrics: []Metric{{Name: "m", Times: at(3, time.Minute), Values: []float64{1, 2, 3}}}}},
		{"negative and huge", Panel{Metrics: []Metric{
			{Name: "growth", Times: at(3, time.Minute), Values: []float64{-5, 0, 7}, Target: -2},
			{Name: "bytes", Times: at(3, time.Minute), Values: []float64{1e12, 3e12, 2e12}, SLO: 2.5e12},
		}}},
		{"zero replicas", Panel{Times: at(2, time.Hour), Replicas: []float64{0, 0}, Desired: []float64{0, 0}}},
		{"sub-second", Panel{Times: at(5, time.Millisecond), Replicas: []float64{1, 2, 3, 2, 1}}},
		{"only compare lines", Panel{Compare: []Line{{Label: "tuned", Times: at(3, time.Minute), Values: []float64{1, nan, 2}}}}},
	})
}

// edgeCase is a degenerate but valid panel.
type edgeCase[P any] struct {
	name string
	p    P
}

// checkEdgeCases draws the figure of each case's panel alone in both
// formats at the smallest size: none may fail or write nothing.
func checkEdgeCases[P, T any](t *testing.T, draw drawFunc[T], fig func(P) T, cases []edgeCase[P]) {
	t.Helper()
	for _, tc := range cases {
		for _, format := range []string{"svg", "png"} {
			var buf bytes.Buffer
			if err := draw(&buf, format, MinWidth, HeaderHeight+MinPanelHeight, fig(tc.p)); err != nil {
				t.Errorf("%s %s: %v", tc.name, format, err)
			}
			if buf.Len() == 0 {
				t.Errorf("%s %s: nothing written", tc.name, format)
			}
		}
	}
}

// TestLegendDropsDetailsWhenCrowded checks that a legend too tall for its
// panel leaves out the targets, activations and SLOs but keeps the
// metric names.
func TestLegendDropsDetailsWhenCrowded(t *testing.T) {
	var ms []Metric
	for i := range 6 {
		ms = append(ms, Metric{Name: fmt.Sprintf("metric%d", i), Times: at(3, time.Minute),
			Values: []float64{1, 2, 3}, Target: float64(i + 1), Activation: 0.5, SLO: 9})
	}
	c := Chart{Panels: []Panel{{Metrics: ms}}}
	for _, tc := range []struct {
		h           vg.Length
		wantTargets bool
	}{{HeaderHeight + MinPanelHeight, false}, {DefaultHeight(1), true}} {
		var buf bytes.Buffer
		if err := Draw(&buf, "svg", DefaultWidth, tc.h, c); err != nil {
			t.Fatal(err)
		}
		svg := buf.String()
		if !strings.Contains(svg, ">metric5<") {
			t.Errorf("height %v: metric name missing from the legend", float64(tc.h))
		}
		if got := strings.Contains(svg, ">target 6<"); got != tc.wantTargets {
			t.Errorf("height %v: target entry drawn = %v, want %v", float64(tc.h), got, tc.wantTargets)
		}
	}
}
