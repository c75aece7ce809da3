package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// dumpFigure writes what Draw plots as text: per panel its axes, legend
// and every plotter handed to gonum in drawing order, with its style and
// points (x as an offset from the start of the time axis).
func dumpFigure(w io.Writer, f *figure) {
	fmt.Fprintf(w, "title %q\nsubtitle %q\n", f.title, f.subtitle)
	fmt.Fprintf(w, "x %s .. %s, %d columns\n", unixTime(f.xmin), unixTime(f.xmax), f.buckets)
	fmt.Fprintf(w, "x ticks %s\n", tickLabels(f.xTicks, func(v float64) string { return offset(f.xmin, v) }))
	for _, pm := range f.panels {
		fmt.Fprintf(w, "\npanel %q (region %d)\n", pm.title, pm.region)
		fmt.Fprintf(w, "  x label %q\n  y label %q, range [%g, %g]\n", pm.xLabel, pm.yLabel, pm.ymin, pm.ymax)
		if pm.yTicks != nil {
			fmt.Fprintf(w, "  y ticks %s\n", tickLabels(pm.yTicks.Ticks(pm.ymin, pm.ymax), formatNumber))
		}
		dumpLayers(w, pm, func(x float64) string { return offset(f.xmin, x) })
	}
}

// dumpLayers writes the legend entries of pm and its plotters in drawing
// order, with x formatted by xf.
func dumpLayers(w io.Writer, pm panelModel, xf func(float64) string) {
	for _, l := range pm.layers {
		switch {
		case l.label != "" && l.detail:
			fmt.Fprintf(w, "  legend %s %q (detail)\n", l.kind, l.label)
		case l.label != "":
			fmt.Fprintf(w, "  legend %s %q\n", l.kind, l.label)
		}
	}
	for _, l := range sortedLayers(pm.layers) {
		for _, p := range plotters(l) {
			dumpPlotter(w, xf, p)
		}
	}
}

func dumpPlotter(w io.Writer, xf func(float64) string, p plot.Plotter) {
	points := func(xys plotter.XYs) {
		for _, xy := range xys {
			fmt.Fprintf(w, "    %s %.6g\n", xf(xy.X), xy.Y)
		}
	}
	switch p := p.(type) {
	case line:
		fmt.Fprintf(w, "  line %s %s width %g dash %v, %d points\n",
			[...]string{"NoStep", "PreStep", "MidStep", "PostStep"}[p.l.StepStyle],
			hex(p.l.Color), p.l.Width, p.l.Dashes, len(p.l.XYs))
		points(p.l.XYs)
	case scatter:
		fmt.Fprintf(w, "  scatter %T %s radius %g, %d points\n", p.s.Shape, hex(p.s.Color), p.s.Radius, len(p.s.XYs))
		points(p.s.XYs)
	case *hline:
		fmt.Fprintf(w, "  hline y %.6g %s width %g dash %v\n", p.y, hex(p.style.Color), p.style.Width, p.style.Dashes)
	case *band:
		fmt.Fprintf(w, "  band above y %.6g %s\n", p.y, hex(p.color))
	default:
		fmt.Fprintf(w, "  unexpected %T\n", p)
	}
}

func hex(c color.Color) string {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return fmt.Sprintf("#%02x%02x%02x%02x", n.R, n.G, n.B, n.A)
}

func unixTime(x float64) string {
	return time.Unix(0, int64(math.Round(x*1e9))).UTC().Format(time.RFC3339Nano)
}

func offset(x0, x float64) string {
	return "+" + time.Duration(math.Round((x-x0)*1e3)*1e6).String()
}

func tickLabels(ts []plot.Tick, format func(float64) string) string {
	var ls []string
	for _, t := range ts {
		if !t.IsMinor() {
			ls = append(ls, t.Label+"@"+format(t.Value))
		}
	}
	return strings.Join(ls, " ")
}

func TestPlottedDataGolden(t *testing.T) {
	for _, tc := range []struct {
		file string
		c    Chart
	}{
		{"small.golden", smallChart()},
		// Two configurations: replica lines with their own times.
		{"compare.golden", compareChart()},
		// Two metrics 30× apart in magnitude: drawn normalized.
		{"normalized.golden", Chart{Panels: []Panel{{Metrics: []Metric{
			{Name: "lag", Unit: "msgs", Target: 100, SLO: 1500, Times: at(4, time.Minute), Values: []float64{200, 3000, 900, nan}},
			{Name: "cpu", Unit: "%", Target: 70, Times: at(4, time.Minute), Values: []float64{50, 90, 60, 40}},
		}}}}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			if err := tc.c.validate(); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			dumpFigure(&buf, build(tc.c, smallWidth))
			golden(t, tc.file, buf.Bytes())
		})
	}
}

// decimationInput is 200 one-second steps of a sawtooth with a spike at
// 42 s, a dip at 137 s and a gap from 70 s to 72 s.
func decimationInput() ([]time.Time, []float64) {
	ts := at(200, time.Second)
	vs := make([]float64, len(ts))
	for i := range vs {
		vs[i] = float64(i%7*3 - i%5)
	}
	vs[42], vs[137] = 100, -50
	vs[70], vs[71], vs[72] = nan, nan, nan
	return ts, vs
}

func TestDecimateGolden(t *testing.T) {
	ts, vs := decimationInput()
	g := grid{lo: unix(ts[0]), hi: unix(ts[len(ts)-1]), n: 8}
	var buf bytes.Buffer
	for _, step := range []bool{false, true} {
		fmt.Fprintf(&buf, "step %v, %d columns\n", step, g.n)
		for k, s := range g.series(ts, vs, step) {
			fmt.Fprintf(&buf, "  run %d, %d points\n", k, len(s))
			for _, xy := range s {
				fmt.Fprintf(&buf, "    %s %g\n", offset(g.lo, xy.X), xy.Y)
			}
		}
	}
	golden(t, "decimate.golden", buf.Bytes())
}

// TestDecimateKeepsColumnExtremes checks the M4 invariant against a
// naive per-column scan: in every column the decimated run has the same
// first, last, minimum and maximum point as the full run, at most four
// points, and only points of the full run in their original order.
func TestDecimateKeepsColumnExtremes(t *testing.T) {
	c := synthChart(1, 20000, 15*time.Second)
	p := c.Panels[0]
	for _, n := range []int{1, 7, 100, 1600, 30000} {
		g := grid{lo: unix(p.Times[0]), hi: unix(p.Times[len(p.Times)-1]), n: n}
		var full []plotter.XYs // the runs between NaNs, undecimated
		var run plotter.XYs
		for i, v := range p.Metrics[0].Values {
			if math.IsNaN(v) {
				if len(run) > 0 {
					full = append(full, run)
				}
				run = nil
				continue
			}
			run = append(run, plotter.XY{X: unix(p.Times[i]), Y: v})
		}
		full = append(full, run)

		dec := g.series(p.Times, p.Metrics[0].Values, false)
		if len(dec) != len(full) {
			t.Fatalf("n=%d: %d runs, want %d", n, len(dec), len(full))
		}
		for r := range full {
			want, got := summarize(g, full[r]), summarize(g, dec[r])
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("n=%d run %d: column summary mismatch (-want +got):\n%s", n, r, diff)
			}
			if !isSubsequence(dec[r], full[r]) {
				t.Fatalf("n=%d run %d: decimated points are not a subsequence of the run", n, r)
			}
			for col, k := range counts(g, dec[r]) {
				if k > 4 {
					t.Fatalf("n=%d run %d: %d points in column %d, want at most 4", n, r, k, col)
				}
			}
		}
	}
}

type columnSummary struct{ First, Last, Min, Max plotter.XY }

func summarize(g grid, xys plotter.XYs) map[int]columnSummary {
	m := map[int]columnSummary{}
	for _, xy := range xys {
		c := g.column(xy.X)
		s, ok := m[c]
		if !ok {
			s = columnSummary{xy, xy, xy, xy}
		}
		s.Last = xy
		if xy.Y < s.Min.Y {
			s.Min = xy
		}
		if xy.Y > s.Max.Y {
			s.Max = xy
		}
		m[c] = s
	}
	return m
}

func counts(g grid, xys plotter.XYs) map[int]int {
	m := map[int]int{}
	for _, xy := range xys {
		m[g.column(xy.X)]++
	}
	return m
}

func isSubsequence(sub, full plotter.XYs) bool {
	i := 0
	for _, xy := range full {
		if i < len(sub) && sub[i] == xy {
			i++
		}
	}
	return i == len(sub)
}

func TestSeriesStepHoldsUntilGap(t *testing.T) {
	ts := at(6, time.Minute)
	g := grid{lo: unix(ts[0]), hi: unix(ts[5]), n: 100}
	got := g.series(ts, []float64{1, 2, nan, nan, 3, 4}, true)
	x := func(i int) float64 { return unix(ts[i]) }
	want := []plotter.XYs{
		{{X: x(0), Y: 1}, {X: x(1), Y: 2}, {X: x(2), Y: 2}}, // 2 holds until the gap at step 2
		{{X: x(4), Y: 3}, {X: x(5), Y: 4}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("series mismatch (-want +got):\n%s", diff)
	}
}

func TestEventsAtPostStepValue(t *testing.T) {
	ts := at(4, time.Minute)
	ts = slices.Insert(ts, 2, ts[2]) // two steps at 2m: the later one counts
	replicas := []float64{1, 2, 5, 3, nan}
	g := grid{lo: unix(ts[0]), hi: unix(ts[len(ts)-1]), n: 10} // 18 s columns
	evs := []time.Time{
		ts[4],                       // at a NaN count: dropped
		ts[1].Add(30 * time.Second), // between steps: the count of step 1
		ts[2],                       // at the duplicated step: the later count
		ts[0].Add(-time.Second),     // before the first step: dropped
		ts[1],                       // at a step: that step's count
		ts[1].Add(31 * time.Second), // same column and count as the 30 s one: merged
	}
	got := g.events(ts, replicas, evs)
	want := []plotter.XYs{{
		{X: unix(ts[1]), Y: 2},
		{X: unix(ts[1].Add(30 * time.Second)), Y: 2},
		{X: unix(ts[2]), Y: 3},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
}

func TestNormalized(t *testing.T) {
	m := func(target float64, vs ...float64) Metric { return Metric{Target: target, Values: vs} }
	for _, tc := range []struct {
		name string
		ms   []Metric
		want bool
	}{
		{"one metric", []Metric{m(1, 1e6)}, false},
		{"similar", []Metric{m(100, 900), m(70, 95)}, false},
		{"exactly 10x", []Metric{m(0, 1000), m(0, 100)}, false},
		{"wide", []Metric{m(100, 1500), m(70, 95)}, true},
		{"target sets the scale", []Metric{m(5000, 10), m(70, 95)}, true},
		{"all NaN ignored", []Metric{m(0, nan), m(0, 5), m(0, 40)}, false},
	} {
		if got := normalized(tc.ms); got != tc.want {
			t.Errorf("%s: normalized() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestTimeAxis(t *testing.T) {
	for _, tc := range []struct {
		span      time.Duration
		wantLabel string
		wantTicks string
	}{
		{90 * time.Second, "time (UTC), 2025-03-01",
			"00:00:00 00:00:10 00:00:20 00:00:30 00:00:40 00:00:50 00:01:00 00:01:10 00:01:20 00:01:30"},
		{time.Hour, "time (UTC), 2025-03-01", "00:00 00:10 00:20 00:30 00:40 00:50 01:00"},
		{36 * time.Hour, "time (UTC), 2025-03-01 – 2025-03-02", "00:00 06:00 12:00 18:00 00:00 06:00 12:00"},
		{3 * 24 * time.Hour, "time (UTC), 2025-03-01 – 2025-03-04",
			"Mar 1 00:00 Mar 1 12:00 Mar 2 00:00 Mar 2 12:00 Mar 3 00:00 Mar 3 12:00 Mar 4 00:00"},
		{7 * 24 * time.Hour, "time (UTC), 2025-03-01 – 2025-03-08",
			"Mar 1 Mar 2 Mar 3 Mar 4 Mar 5 Mar 6 Mar 7 Mar 8"},
		{90 * 24 * time.Hour, "time (UTC), 2025-03-01 – 2025-05-30", "Mar 2025 Apr 2025 May 2025"},
		{3 * 365 * 24 * time.Hour, "time (UTC), 2025-03-01 – 2028-02-29",
			"Jul 2025 Jan 2026 Jul 2026 Jan 2027 Jul 2027 Jan 2028"},
		{30 * 365 * 24 * time.Hour, "time (UTC), 2025-03-01 – 2055-02-22",
			"Jan 2028 Jan 2031 Jan 2034 Jan 2037 Jan 2040 Jan 2043 Jan 2046 Jan 2049 Jan 2052 Jan 2055"},
	} {
		ticks, label := timeAxis(unix(epoch), unix(epoch.Add(tc.span)), 10)
		var got []string
		for _, tk := range ticks {
			if !tk.IsMinor() {
				got = append(got, tk.Label)
			}
		}
		if label != tc.wantLabel || strings.Join(got, " ") != tc.wantTicks {
			t.Errorf("span %v: label %q, ticks %q; want %q, %q", tc.span, label, strings.Join(got, " "), tc.wantLabel, tc.wantTicks)
		}
	}
}

func TestIntegerTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   string
	}{
		{0, 1, "0 1"},
		{0, 3.24, "0 1 2 3"},
		{0, 6.48, "0 2 4 6"},
		{0, 8.64, "0 2 4 6 8"},
		{0, 21.6, "0 5 10 15 20"},
		{0, 108, "0 20 40 60 80 100"},
		{0, 540, "0 100 200 300 400 500"},
		{-3, 3, "-3 -2 -1 0 1 2 3"},
	} {
		var got []string
		for _, tk := range integerTicks(tc.lo, tc.hi) {
			if !tk.IsMinor() {
				got = append(got, tk.Label)
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("integerTicks(%v, %v) = %q, want %q", tc.lo, tc.hi, strings.Join(got, " "), tc.want)
		}
	}
}
