package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/plot/vg"
)

// dumpHeatmap writes what DrawHeatmap plots as text: per panel its axes,
// colour scale, legend and cells, top row first.
func dumpHeatmap(w io.Writer, f *heatFigure) {
	fmt.Fprintf(w, "title %q\nsubtitle %q\n", f.title, f.subtitle)
	for _, m := range f.panels {
		fmt.Fprintf(w, "\npanel %q\n", m.title)
		fmt.Fprintf(w, "  x label %q, ticks %s\n", m.xLabel, tickLabels(m.xTicks, formatNumber))
		fmt.Fprintf(w, "  y label %q, ticks %s\n", m.yLabel, tickLabels(m.yTicks, formatNumber))
		if m.hasZ {
			fmt.Fprintf(w, "  colour bar %q [%.6g, %.6g]\n", m.zLabel, m.zmin, m.zmax)
		} else {
			fmt.Fprintf(w, "  no colour bar\n")
		}
		fmt.Fprintf(w, "  best %v, none feasible %d\n", m.best, m.none)
		for j := len(m.cells[0]) - 1; j >= 0; j-- {
			var row []string
			for i := range m.cells {
				c := m.cells[i][j]
				switch {
				case c.none:
					row = append(row, "none "+hex(c.fill))
				case c.text != "":
					row = append(row, fmt.Sprintf("%s %q on %s", hex(c.ink), c.text, hex(c.fill)))
				default:
					row = append(row, hex(c.fill))
				}
			}
			fmt.Fprintf(w, "  row %d: %s\n", j, strings.Join(row, " | "))
		}
	}
}

func TestHeatmapPlottedDataGolden(t *testing.T) {
	h := smallHeatmap()
	if err := validatePanels(h.Panels); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	dumpHeatmap(&buf, buildHeatmap(h, smallWidth, smallHeight))
	golden(t, "heatmap.golden", buf.Bytes())
}

func TestDrawHeatmapSVGGolden(t *testing.T) {
	checkSVGGolden(t, DrawHeatmap, "heatmap.svg.golden", smallHeatmap())
}

func TestDrawHeatmapDeterministic(t *testing.T) {
	checkDeterministic(t, DrawHeatmap, DefaultWidth, DefaultHeatmapHeight(4), synthHeatmap(4, 30, 20))
}

func TestDrawHeatmapPNGSize(t *testing.T) {
	checkPNGSize(t, DrawHeatmap, smallHeatmap(), []pngSize{
		{DefaultWidth, DefaultHeatmapHeight(2), 1600, 597},
		{smallWidth, smallHeight, 853, 640},
	})
	checkPNGSize(t, DrawHeatmap, synthHeatmap(3, 4, 3), []pngSize{
		{DefaultWidth, DefaultHeatmapHeight(3), 1600, 1131}, // 848pt × 96/72 = 1130.67
	})
}

func TestDrawHeatmapErrors(t *testing.T) {
	checkErrors(t, DrawHeatmap, smallHeatmap, []errorCase[Heatmap]{
		{name: "unknown format", format: "png ", want: `unknown format "png "`},
		{name: "NaN height", h: vg.Length(nan), want: "height NaNpt: must be positive"},
		{name: "huge", w: 2e4, want: "width 20000pt exceeds the maximum 14400pt"},
		{name: "narrow", w: 500, want: "width 500pt is below the minimum 640pt for 2 region(s) in 2 column(s)"},
		{
			name: "short", h: 360, edit: func(h *Heatmap) { h.Panels = append(h.Panels, h.Panels[0]) },
			want: "height 360pt is below the minimum 368pt for 3 region(s) in 2 row(s)",
		},
		{name: "no panels", edit: func(h *Heatmap) { h.Panels = nil }, want: "chart: no panels"},
		{
			name: "empty panel", edit: func(h *Heatmap) { h.Panels[1].X, h.Panels[1].Z = nil, nil },
			want: `chart: panel 1 (region "us-east-1"): len(X) = 0, len(Y) = 2: no cells to draw`,
		},
		{name: "no Y", edit: func(h *Heatmap) { h.Panels[0].Y = nil }, want: "len(X) = 3, len(Y) = 0: no cells to draw"},
		{name: "Z length", edit: func(h *Heatmap) { h.Panels[0].Z = h.Panels[0].Z[:2] }, want: "len(Z) = 2, want len(X) = 3"},
		{
			name: "Z row length", edit: func(h *Heatmap) { h.Panels[0].Z[1] = h.Panels[0].Z[1][:3] },
			want: `panel 0 (region "eu-west-1"): len(Z[1]) = 3, want len(Y) = 4`,
		},
		{name: "NaN X", edit: func(h *Heatmap) { h.Panels[0].X[2] = nan }, want: "X[2] is NaN, want a finite number"},
		{name: "infinite Y", edit: func(h *Heatmap) { h.Panels[1].Y[0] = -posInf }, want: "Y[0] is -Inf, want a finite number"},
		{
			name: "infinite Z", edit: func(h *Heatmap) { h.Panels[0].Z[2][3] = posInf },
			want: "Z[2][3] is +Inf, want a finite number or NaN (none feasible)",
		},
		{
			name: "best beyond X", edit: func(h *Heatmap) { h.Panels[0].Best = [2]int{3, 0} },
			want: "Best [3 0] is outside the 3×4 grid (want {-1, -1} for none)",
		},
		{name: "best half none", edit: func(h *Heatmap) { h.Panels[1].Best = [2]int{-1, 0} }, want: "Best [-1 0] is outside the 2×2 grid"},
		{name: "best beyond Y", edit: func(h *Heatmap) { h.Panels[0].Best = [2]int{0, 4} }, want: "Best [0 4] is outside the 3×4 grid"},
	})
}

// TestDrawHeatmapEdgeCases renders degenerate but valid heatmaps in both
// formats: none may fail or panic.
func TestDrawHeatmapEdgeCases(t *testing.T) {
	checkEdgeCases(t, DrawHeatmap, func(p HeatPanel) Heatmap { return Heatmap{Panels: []HeatPanel{p}} }, []edgeCase[HeatPanel]{
		{"one cell", HeatPanel{X: []float64{1}, Y: []float64{2}, Z: [][]float64{{3}}, Best: [2]int{0, 0}}},
		{"one NaN cell", HeatPanel{X: []float64{1}, Y: []float64{2}, Z: [][]float64{{nan}}, Best: [2]int{-1, -1}}},
		{"all equal", HeatPanel{X: []float64{1, 2}, Y: []float64{0}, Z: [][]float64{{0}, {0}}, Best: [2]int{1, 0}}},
		{"large grid", synthHeatmap(1, 60, 80).Panels[0]},
		{"negative and huge", HeatPanel{X: []float64{-1e9, 1e9}, Y: []float64{1e-9}, Z: [][]float64{{-5e12}, {7e12}}}},
	})
}

// TestHeatmapAnnotations checks that cells show their values up to
// MaxAnnotatedCells across and up, and not beyond.
func TestHeatmapAnnotations(t *testing.T) {
	for _, tc := range []struct {
		nx, ny int
		want   bool
	}{{12, 12, true}, {13, 2, false}, {2, 13, false}} {
		m := buildHeatmap(synthHeatmap(1, tc.nx, tc.ny), DefaultWidth, DefaultHeatmapHeight(1)).panels[0]
		if got := m.cells[1][0].text != ""; got != tc.want {
			t.Errorf("%d×%d: annotated = %v, want %v", tc.nx, tc.ny, got, tc.want)
		}
	}
}

func TestCategoryTicks(t *testing.T) {
	for _, tc := range []struct {
		values    []float64
		maxLabels int
		want      string
	}{
		{[]float64{50, 100, 200}, 10, "50@0 100@1 200@2"},
		{[]float64{0.5, 1, 1.5, 2, 2.5}, 3, "0.5@0 1.5@2 2.5@4"},
		{[]float64{0.5, 1, 1.5, 2, 2.5}, 2, "0.5@0 2@3"},
		{[]float64{1, 2, 3, 4}, 0, "1@0"},
	} {
		got := tickLabels(categoryTicks(tc.values, tc.maxLabels), formatNumber)
		if got != tc.want {
			t.Errorf("categoryTicks(%v, %d) = %q, want %q", tc.values, tc.maxLabels, got, tc.want)
		}
	}
}

// TestViridis checks the ends of the colour scale (dark at the lowest,
// best, value) and that luminance rises along it.
func TestViridis(t *testing.T) {
	cm := viridis(-3, 5)
	at := func(v float64) color.NRGBA {
		c, err := cm.At(v)
		if err != nil {
			t.Fatal(err)
		}
		return color.NRGBAModel.Convert(c).(color.NRGBA)
	}
	if diff := cmp.Diff([]string{"#440154ff", "#fde725ff"}, []string{hex(at(-3)), hex(at(5))}); diff != "" {
		t.Errorf("ends mismatch (-want +got):\n%s", diff)
	}
	prev := -1.0
	for v := -3.0; v <= 5; v += 0.25 {
		c := at(v)
		l := 0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)
		if l <= prev {
			t.Errorf("luminance at %v is %v, not above %v", v, l, prev)
		}
		prev = l
	}
}

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{{12, "12"}, {12.5, "12.5"}, {0.0625, "0.0625"}, {3.14159, "3.14"}, {99.96, "100"}, {1234.5, "1235"}, {-2.5e7, "-25000000"}} {
		if got := formatValue(tc.v); got != tc.want {
			t.Errorf("formatValue(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
