package chart

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// dumpScatter writes what DrawScatter plots as text: per panel its axes,
// legend and every plotter handed to gonum in drawing order.
func dumpScatter(w io.Writer, f *scatterFigure) {
	fmt.Fprintf(w, "title %q\nsubtitle %q\n", f.title, f.subtitle)
	for _, pm := range f.panels {
		fmt.Fprintf(w, "\npanel %q (region %d)\n", pm.title, pm.region)
		fmt.Fprintf(w, "  x label %q, range [%.6g, %.6g]\n", pm.xLabel, pm.xmin, pm.xmax)
		fmt.Fprintf(w, "  x ticks %s\n", tickLabels(pm.xTicks.Ticks(pm.xmin, pm.xmax), formatNumber))
		fmt.Fprintf(w, "  y label %q, range [%.6g, %.6g]\n", pm.yLabel, pm.ymin, pm.ymax)
		fmt.Fprintf(w, "  y ticks %s\n", tickLabels(pm.yTicks.Ticks(pm.ymin, pm.ymax), formatNumber))
		dumpLayers(w, pm, func(x float64) string { return fmt.Sprintf("%.6g", x) })
	}
}

func TestScatterPlottedDataGolden(t *testing.T) {
	s := smallScatter()
	if err := validatePanels(s.Panels); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	dumpScatter(&buf, buildScatter(s, smallWidth, smallHeight))
	golden(t, "scatter.golden", buf.Bytes())
}

func TestDrawScatterSVGGolden(t *testing.T) {
	checkSVGGolden(t, DrawScatter, "scatter.svg.golden", smallScatter())
}

func TestDrawScatterDeterministic(t *testing.T) {
	checkDeterministic(t, DrawScatter, DefaultWidth, DefaultScatterHeight(3), synthScatter(3, 20000))
}

func TestDrawScatterPNGSize(t *testing.T) {
	checkPNGSize(t, DrawScatter, smallScatter(), []pngSize{
		{DefaultWidth, DefaultScatterHeight(2), 1600, 597}, // 448pt × 96/72 = 597.33
		{smallWidth, smallHeight, 853, 640},
	})
	one := smallScatter()
	one.Panels = one.Panels[:1]
	checkPNGSize(t, DrawScatter, one, []pngSize{{MinWidth, HeaderHeight + MinPanelHeight, 427, 277}})
}

func TestDrawScatterErrors(t *testing.T) {
	checkErrors(t, DrawScatter, smallScatter, []errorCase[Scatter]{
		{name: "unknown format", format: "jpeg", want: `unknown format "jpeg"`},
		{name: "zero width", w: -1 /* 0 */, want: "width 0pt: must be positive"},
		{name: "huge", h: 1e5, want: "height 100000pt exceeds the maximum 14400pt"},
		{name: "narrow", w: 600, want: "width 600pt is below the minimum 640pt for 2 region(s) in 2 column(s)"},
		{name: "short", h: 200, want: "height 200pt is below the minimum 208pt for 2 region(s) in 1 row(s)"},
		{name: "no panels", edit: func(s *Scatter) { s.Panels = nil }, want: "chart: no panels"},
		{
			name: "empty panel", edit: func(s *Scatter) { s.Panels[1].Points = nil },
			want: `chart: panel 1 (region "us-east-1"): no Points: nothing to draw`,
		},
		{
			name: "infinite point", edit: func(s *Scatter) { s.Panels[0].Points[3].X = posInf },
			want: `panel 0 (region "eu-west-1"): Points[3].X is +Inf, want a finite number or NaN (not drawn)`,
		},
		{
			name: "infinite front", edit: func(s *Scatter) { s.Panels[0].Front[1].Y = -posInf },
			want: "Front[1].Y is -Inf",
		},
		{
			name: "front decreases", edit: func(s *Scatter) { s.Panels[0].Front[3].X = 9.5 },
			want: "Front[3].X = 9.5 is below Front[1].X = 10: the front must be by increasing X",
		},
		{name: "infinite best", edit: func(s *Scatter) { s.Panels[0].Best.Y = posInf }, want: "Best.Y is +Inf"},
		{name: "infinite current", edit: func(s *Scatter) { s.Panels[1].Current.X = posInf }, want: "Current.X is +Inf"},
		{
			name: "NaN bound", edit: func(s *Scatter) { s.Panels[0].YBound = nan },
			want: "YBound is NaN, want a finite number",
		},
	})
}

// TestDrawScatterEdgeCases renders degenerate but valid scatters in both
// formats: none may fail or panic.
func TestDrawScatterEdgeCases(t *testing.T) {
	checkEdgeCases(t, DrawScatter, func(p ScatterPanel) Scatter { return Scatter{Panels: []ScatterPanel{p}} }, []edgeCase[ScatterPanel]{
		{"one point", ScatterPanel{Points: []Point{{X: 3, Y: 4}}}},
		{"all NaN", ScatterPanel{Points: []Point{{X: nan, Y: 1}, {X: 1, Y: nan}}, Front: []Point{{X: nan, Y: nan}}}},
		{"bound only in range", ScatterPanel{Points: []Point{{X: nan, Y: nan}}, YBound: -2, HasYBound: true}},
		{"NaN best", ScatterPanel{Points: []Point{{X: 0, Y: 0}, {X: 1e-9, Y: 1e-9}}, Best: &Point{X: nan, Y: 1}}},
		{"huge", ScatterPanel{Points: []Point{{X: 1e15, Y: -1e12, Feasible: true}, {X: 3e15, Y: 2e12}}}},
	})
}

func TestDedupeKeepsFirstPerPixel(t *testing.T) {
	g := pixelGrid{xmin: 0, xmax: 10, ymin: 0, ymax: 10, nx: 10, ny: 10} // 1×1 cells
	pts := []Point{
		{X: 1.2, Y: 1.2, Feasible: true},
		{X: 1.8, Y: 1.1, Feasible: true}, // same cell as the first: dropped
		{X: 1.5, Y: 1.5},                 // same cell, infeasible: another class
		{X: 2.1, Y: 1.1, Feasible: true},
		{X: nan, Y: 1, Feasible: true}, // not drawn, not counted
		{X: 10, Y: 10, Feasible: true}, // on the upper edge: the last cell
		{X: 9.5, Y: 9.9, Feasible: true},
	}
	got, n := g.dedupe(pts, true)
	want := plotter.XYs{{X: 1.2, Y: 1.2}, {X: 2.1, Y: 1.1}, {X: 10, Y: 10}}
	if diff := cmp.Diff(want, got); diff != "" || n != 6-1 {
		t.Errorf("dedupe() counted %d, want 5; points mismatch (-want +got):\n%s", n, diff)
	}
}

func TestNumericTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   string
	}{
		{0, 10, "0 5 10"},
		{0.2, 0.8, "0.2 0.4 0.6 0.8"},
		{1.9e6, 2.6e6, "2000000 2500000"},                           // gonum: 2e+06 2.5e+06
		{-1e12, 3e12, "-1000000000000 1000000000000 3000000000000"}, // gonum: -1e+12 …
		{0.00012, 0.00019, "0.00012 0.00015 0.00018"},
		{-0.3, 0.3, "-0.25 0.00 0.25"},
		{-1, 1, "-1 0 1"},
	} {
		var got []string
		for _, tk := range numericTicks(tc.lo, tc.hi) {
			if !tk.IsMinor() {
				got = append(got, tk.Label)
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("numericTicks(%v, %v) = %q, want %q", tc.lo, tc.hi, strings.Join(got, " "), tc.want)
		}
	}
}

func TestDefaultGridHeight(t *testing.T) {
	for _, tc := range []struct {
		regions int
		want    vg.Length
	}{{0, 448}, {1, 448}, {2, 448}, {3, 848}, {4, 848}, {5, 1248}} {
		if got := DefaultScatterHeight(tc.regions); got != tc.want {
			t.Errorf("DefaultScatterHeight(%d) = %v, want %v", tc.regions, got, tc.want)
		}
		if got := DefaultHeatmapHeight(tc.regions); got != tc.want {
			t.Errorf("DefaultHeatmapHeight(%d) = %v, want %v", tc.regions, got, tc.want)
		}
	}
}
