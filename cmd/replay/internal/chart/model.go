package chart

import (
	"cmp"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The model below is what gets plotted: built from a Chart without fonts
// or canvases, so tests can dump it as text.

// layerKind says how a layer is drawn.
type layerKind int

const (
	kindLine    layerKind = iota // straight segments through samples; a gap at each NaN
	kindStep                     // post-step line: each value holds until the next time
	kindHLine                    // horizontal line at y across the panel
	kindBand                     // shaded area from y to the top of the panel
	kindMarkers                  // a glyph at each point
)

var kindNames = [...]string{"line", "step", "hline", "band", "markers"}

func (k layerKind) String() string { return kindNames[k] }

// layer is one plotted element of a panel.
type layer struct {
	kind  layerKind
	label string // legend text; "" for no legend entry
	// detail marks a legend entry left out when the legend does not fit
	// beside its panel (a metric's target, activation and SLO).
	detail bool
	z      int // drawing order within the panel, lowest first
	color  color.NRGBA
	width  vg.Length        // line width; marker radius for kindMarkers
	dash   []vg.Length      // dash pattern; nil for solid
	glyph  draw.GlyphDrawer // marker shape of kindMarkers; nil for a filled circle
	// legendWidth is the marker radius of a kindMarkers legend
	// thumbnail; 0 means width.
	legendWidth vg.Length
	y           float64 // level of kindHLine and kindBand
	// segs are the decimated runs of points of kindLine and kindStep
	// (one per run between NaNs), and the single run of kindMarkers.
	// X is Unix seconds.
	segs []plotter.XYs
}

// panelModel is one plot: the metric or replica panel of a region, or
// the panel of a region of a [Scatter].
type panelModel struct {
	region     int // index into Chart.Panels or Scatter.Panels
	title      string
	xLabel     string // of a Chart: empty except on the bottom panel of a region
	yLabel     string
	xmin, xmax float64
	ymin, ymax float64
	xTicks     plot.Ticker
	yTicks     plot.Ticker // nil: gonum's default
	layers     []layer
}

// figure is everything Draw plots.
type figure struct {
	title, subtitle string
	xmin, xmax      float64 // Unix seconds
	buckets         int     // decimation columns across [xmin, xmax]
	xTicks          []plot.Tick
	regions         int
	panels          []panelModel
}

// Colours: Tableau 10. Metrics cycle through the palette without grey;
// the replica panel uses fixed roles.
var (
	metricColors = [...]color.NRGBA{
		rgb(0x1f77b4), rgb(0xff7f0e), rgb(0x2ca02c), rgb(0xd62728), rgb(0x9467bd),
		rgb(0x8c564b), rgb(0xe377c2), rgb(0xbcbd22), rgb(0x17becf),
	}
	colorReplicas = rgb(0x1f77b4)
	colorDesired  = rgb(0xff7f0e)
	colorReady    = rgb(0x2ca02c)
	colorEvents   = rgb(0xd62728)
	colorBounds   = rgb(0x9a9a9a)
	// compareColors are the Compare lines' colours, cycled: the metric
	// palette without the colours of the replica panel's fixed roles.
	compareColors = [...]color.NRGBA{
		rgb(0x9467bd), rgb(0x8c564b), rgb(0xe377c2), rgb(0xbcbd22), rgb(0x17becf),
	}
)

func rgb(v uint32) color.NRGBA {
	return color.NRGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

func withAlpha(c color.NRGBA, a uint8) color.NRGBA { c.A = a; return c }

// legendWidth is the width of the legend column right of the panels.
func legendWidth(width vg.Length) vg.Length {
	return min(max(width*0.17, 130), 220)
}

// build turns a valid Chart into the figure drawn at the given width.
func build(c Chart, width vg.Length) *figure {
	xmin, xmax := timeRange(c)
	if xmax == xmin {
		xmin, xmax = xmin-60, xmax+60
	}
	dataWidth := width - legendWidth(width) - 70
	f := &figure{
		title:    c.Title,
		subtitle: c.Subtitle,
		xmin:     xmin,
		xmax:     xmax,
		buckets:  int(math.Ceil(float64(width) * DPI / 72)),
		regions:  len(c.Panels),
	}
	var xLabel string
	f.xTicks, xLabel = timeAxis(xmin, xmax, max(2, int(dataWidth/90)))
	g := grid{lo: xmin, hi: xmax, n: f.buckets}
	for i, p := range c.Panels {
		first := len(f.panels)
		if len(p.Metrics) > 0 {
			f.panels = append(f.panels, metricPanel(p, g))
		}
		if len(p.Times) > 0 || len(p.Compare) > 0 {
			f.panels = append(f.panels, replicaPanel(p, g))
		}
		for j := first; j < len(f.panels); j++ {
			f.panels[j].region = i
			f.panels[j].xmin, f.panels[j].xmax = xmin, xmax
			f.panels[j].xTicks = plot.ConstantTicks(f.xTicks)
		}
		f.panels[len(f.panels)-1].xLabel = xLabel
	}
	return f
}

// unix converts t to Unix seconds for the plot axes.
func unix(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// timeRange returns the earliest and latest time of c in Unix seconds.
func timeRange(c Chart) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	see := func(ts []time.Time) {
		if len(ts) > 0 {
			lo = math.Min(lo, unix(ts[0]))
			hi = math.Max(hi, unix(ts[len(ts)-1]))
		}
	}
	for _, p := range c.Panels {
		see(p.Times)
		for _, m := range p.Metrics {
			see(m.Times)
		}
		for _, l := range p.Compare {
			see(l.Times)
		}
	}
	return lo, hi
}

func panelTitle(region, what string) string {
	if region == "" {
		return what
	}
	return region + " · " + what
}

// metricScale is the magnitude of m: the largest absolute value among its
// values, target, activation and SLO.
func metricScale(m Metric) float64 {
	s := max(math.Abs(m.Target), math.Abs(m.Activation), math.Abs(m.SLO))
	for _, v := range m.Values {
		if !math.IsNaN(v) {
			s = math.Max(s, math.Abs(v))
		}
	}
	return s
}

// normalized reports whether the metrics of a panel differ in magnitude
// by more than NormalizeRatio (see there).
func normalized(ms []Metric) bool {
	if len(ms) < 2 {
		return false
	}
	lo, hi := math.Inf(1), 0.0
	for _, m := range ms {
		s := metricScale(m)
		if s == 0 {
			continue
		}
		lo, hi = math.Min(lo, s), math.Max(hi, s)
	}
	return hi > lo*NormalizeRatio
}

func metricPanel(p Panel, g grid) panelModel {
	pm := panelModel{title: panelTitle(p.Region, "metrics")}
	norm := normalized(p.Metrics)
	var units []string
	for j, m := range p.Metrics {
		col := metricColors[j%len(metricColors)]
		unit := ""
		if m.Unit != "" {
			unit = " " + m.Unit
			if !slices.Contains(units, m.Unit) {
				units = append(units, m.Unit)
			}
		}
		div, name := 1.0, m.Name
		if s := metricScale(m); norm && s != 0 {
			div = s
			name += " (1 = " + formatNumber(s) + unit + ")"
		}
		vals := m.Values
		if div != 1 {
			vals = make([]float64, len(m.Values))
			for i, v := range m.Values {
				vals[i] = v / div
			}
		}
		pm.layers = append(pm.layers, layer{
			kind: kindLine, label: name, z: 3, color: col, width: 1.25,
			segs: g.series(m.Times, vals, false),
		})
		if m.Target != 0 {
			pm.layers = append(pm.layers, layer{
				kind: kindHLine, label: "target " + formatNumber(m.Target) + unit, z: 2, detail: true,
				color: col, width: 0.75, y: m.Target / div,
			})
		}
		if m.Activation != 0 {
			pm.layers = append(pm.layers, layer{
				kind: kindHLine, label: "activation " + formatNumber(m.Activation) + unit, z: 2, detail: true,
				color: col, width: 0.75, dash: []vg.Length{4, 3}, y: m.Activation / div,
			})
		}
		if m.SLO != 0 {
			pm.layers = append(pm.layers, layer{
				kind: kindBand, label: "above SLO " + formatNumber(m.SLO) + unit, z: 0, detail: true,
				color: withAlpha(col, 0x26), y: m.SLO / div,
			})
		}
	}
	switch {
	case norm:
		pm.yLabel = "value ÷ series maximum"
	case len(units) > 0:
		pm.yLabel = strings.Join(units, ", ")
	default:
		pm.yLabel = "value"
	}
	pm.ymin, pm.ymax = yRange(pm.layers, 0.04)
	return pm
}

func replicaPanel(p Panel, g grid) panelModel {
	pm := panelModel{
		title: panelTitle(p.Region, "replicas"), yLabel: "replicas",
		yTicks: plot.TickerFunc(integerTicks),
	}
	if len(p.Times) > 0 {
		label := cmp.Or(p.ReplicasLabel, "replicas")
		pm.layers = append(pm.layers, layer{
			kind: kindStep, label: label, z: 4, color: colorReplicas, width: 1.5,
			segs: g.series(p.Times, p.Replicas, true),
		})
	}
	for j, l := range p.Compare {
		pm.layers = append(pm.layers, layer{
			kind: kindStep, label: l.Label, z: 4, color: compareColors[j%len(compareColors)], width: 1.5,
			segs: g.series(l.Times, l.Values, true),
		})
	}
	if len(p.Desired) > 0 {
		pm.layers = append(pm.layers, layer{
			kind: kindStep, label: "desired", z: 3, color: colorDesired, width: 0.9,
			dash: []vg.Length{3, 2}, segs: g.series(p.Times, p.Desired, true),
		})
	}
	if len(p.Ready) > 0 {
		pm.layers = append(pm.layers, layer{
			kind: kindStep, label: "ready", z: 2, color: colorReady, width: 0.9,
			segs: g.series(p.Times, p.Ready, true),
		})
	}
	if len(p.Events) > 0 {
		segs := g.events(p.Times, p.Replicas, p.Events)
		radius := vg.Length(2.5)
		if len(segs) > 0 && len(segs[0]) > g.n/20 { // dense: shrink so the line shows
			radius = 1.5
		}
		pm.layers = append(pm.layers, layer{
			kind: kindMarkers, label: "scale events (" + strconv.Itoa(len(p.Events)) + ")", z: 5,
			color: colorEvents, width: radius, segs: segs,
		})
	}
	if p.Max > 0 {
		bounds := layer{kind: kindHLine, z: 1, color: colorBounds, width: 0.75}
		lo, hi := bounds, bounds
		lo.label, lo.y = "min "+formatNumber(p.Min)+" · max "+formatNumber(p.Max), p.Min
		hi.y = p.Max
		pm.layers = append(pm.layers, lo, hi)
	}
	pm.ymin, pm.ymax = yRange(pm.layers, 0)
	pm.ymax = math.Max(pm.ymax, 1) // an all-zero panel still shows 0..1
	return pm
}

// yRange returns a y range covering every layer and 0, with 8% headroom
// above and the given fraction of the span below negative data.
func yRange(ls []layer, below float64) (lo, hi float64) {
	for _, l := range ls {
		switch l.kind {
		case kindHLine, kindBand:
			lo, hi = math.Min(lo, l.y), math.Max(hi, l.y)
		default:
			for _, s := range l.segs {
				for _, p := range s {
					lo, hi = math.Min(lo, p.Y), math.Max(hi, p.Y)
				}
			}
		}
	}
	span := hi - lo
	if span == 0 {
		span = 1
	}
	hi += 0.08 * span
	if lo < 0 {
		lo -= below * span
	}
	return lo, hi
}

// grid is the decimation grid: n equal columns across [lo, hi] (Unix
// seconds), one per output pixel at DPI across the whole chart width, so
// each column is narrower than a pixel of the data area.
type grid struct {
	lo, hi float64
	n      int
}

// column returns the grid column of x.
func (g grid) column(x float64) int {
	c := int(math.Floor((x - g.lo) / (g.hi - g.lo) * float64(g.n)))
	return min(max(c, 0), g.n-1)
}

// series splits ts/vs into runs between NaN values and decimates each
// run. For a step series a run that ends at a NaN is extended to the time
// of that NaN: its last value holds until the next step.
func (g grid) series(ts []time.Time, vs []float64, step bool) []plotter.XYs {
	var segs []plotter.XYs
	var d decimator
	for i, v := range vs {
		if math.IsNaN(v) {
			if d.n > 0 {
				if step {
					d.add(g, plotter.XY{X: unix(ts[i]), Y: d.last.Y})
				}
				segs = append(segs, d.finish())
				d = decimator{}
			}
			continue
		}
		d.add(g, plotter.XY{X: unix(ts[i]), Y: v})
	}
	if d.n > 0 {
		segs = append(segs, d.finish())
	}
	return segs
}

// decimator streams a run of points and keeps, of the points in each grid
// column, the first, the last and the first minimum and maximum, in their
// original order (the M4 rule of Jugel et al., VLDB 2014). Drawn at the
// grid's resolution the result covers the same pixels as the full run,
// so spikes survive; and since the last point of a column and the first
// of the next are kept, a post-step line stays exact between columns.
type decimator struct {
	out                     plotter.XYs
	n                       int // points added
	col                     int // column of the current group
	first, lo, hi, last     plotter.XY
	iFirst, iLo, iHi, iLast int
}

func (d *decimator) add(g grid, p plotter.XY) {
	c := g.column(p.X)
	switch {
	case d.n == 0 || c != d.col:
		if d.n > 0 {
			d.flush()
		}
		d.col = c
		d.first, d.lo, d.hi, d.last = p, p, p, p
		d.iFirst, d.iLo, d.iHi, d.iLast = d.n, d.n, d.n, d.n
	default:
		if p.Y < d.lo.Y {
			d.lo, d.iLo = p, d.n
		}
		if p.Y > d.hi.Y {
			d.hi, d.iHi = p, d.n
		}
		d.last, d.iLast = p, d.n
	}
	d.n++
}

// flush appends the kept points of the current column.
func (d *decimator) flush() {
	type kept struct {
		i int
		p plotter.XY
	}
	ks := [4]kept{{d.iFirst, d.first}, {d.iLo, d.lo}, {d.iHi, d.hi}, {d.iLast, d.last}}
	slices.SortFunc(ks[:], func(a, b kept) int { return cmp.Compare(a.i, b.i) })
	for k, kp := range ks {
		if k == 0 || kp.i != ks[k-1].i {
			d.out = append(d.out, kp.p)
		}
	}
}

// finish returns the decimated run.
func (d *decimator) finish() plotter.XYs {
	d.flush()
	return d.out
}

// events returns one marker per scale event, at the post-step replica
// count in force at the event (the last step at or before it), one per
// grid column and count. Events before the first step, or at a NaN
// count, are left out.
func (g grid) events(ts []time.Time, replicas []float64, evs []time.Time) []plotter.XYs {
	sorted := slices.SortedFunc(slices.Values(evs), time.Time.Compare)
	var pts plotter.XYs
	type key struct {
		col int
		y   float64
	}
	var last key
	for _, ev := range sorted {
		i, found := slices.BinarySearchFunc(ts, ev, time.Time.Compare)
		if found {
			for i+1 < len(ts) && ts[i+1].Equal(ev) { // the last step at ev
				i++
			}
		} else {
			i--
		}
		if i < 0 || math.IsNaN(replicas[i]) {
			continue
		}
		x := unix(ev)
		k := key{g.column(x), replicas[i]}
		if len(pts) > 0 && k == last {
			continue
		}
		last = k
		pts = append(pts, plotter.XY{X: x, Y: replicas[i]})
	}
	if len(pts) == 0 {
		return nil
	}
	return []plotter.XYs{pts}
}

// formatNumber formats v for labels: integers in full, other values with
// up to four significant digits.
func formatNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// sortedLayers returns the layers of pm in drawing order.
func sortedLayers(ls []layer) []layer {
	return slices.SortedStableFunc(slices.Values(ls), func(a, b layer) int { return cmp.Compare(a.z, b.z) })
}
