package chart

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Scatter is the trade-off of a tuning study: one panel per region, each
// configuration a point with the objective on X and a second figure on Y.
type Scatter struct {
	// Title and Subtitle are the header lines; either may be empty.
	Title, Subtitle string
	// XLabel and YLabel name the axes of every panel, with their units.
	XLabel, YLabel string
	// Panels are the regions, one beside the other, two to a row. At
	// least one.
	Panels []ScatterPanel
}

// ScatterPanel is the trade-off of one region.
type ScatterPanel struct {
	// Region names the region in the panel title; may be empty.
	Region string
	// Points are all configurations evaluated, drawn as small light
	// dots: feasible ones in blue, infeasible ones in grey. Points that
	// fall on the same pixel as an earlier point of the same kind are
	// drawn once. At least one.
	Points []Point
	// Front is the Pareto front by non-decreasing X, drawn as a post-step
	// line (the best Y attainable up to each X) with larger markers. May
	// be empty.
	Front []Point
	// Best is the chosen configuration, drawn as a red triangle and
	// labelled "tuned #Config" in the legend; nil for none.
	Best *Point
	// Current is the manifest as written, drawn as a black square
	// labelled "current"; nil for none.
	Current *Point
	// YBound is a constraint on Y, drawn as a dashed horizontal line
	// when HasYBound.
	YBound    float64
	HasYBound bool
}

// Point is one configuration of a [ScatterPanel]. A point with a NaN
// coordinate is not drawn; an infinite one is an error.
type Point struct {
	X, Y float64
	// Config is the configuration's index in the tuning grid, for labels.
	Config int
	// Feasible reports whether the configuration meets the constraints.
	Feasible bool
}

// DefaultScatterHeight returns the default height of a [Scatter] of the
// given regions: HeaderHeight plus DefaultPanelHeight per
// row of two panels.
func DefaultScatterHeight(regions int) vg.Length { return defaultGridHeight(regions) }

func defaultGridHeight(regions int) vg.Length {
	_, rows := gridShape(regions)
	return HeaderHeight + vg.Length(rows)*DefaultPanelHeight
}

// DrawScatter renders s as PNG or SVG (format "png" or "svg") of the
// given size in points and writes it to w.
//
// The panels are laid out one for one region, else two to a row, each
// with linear axes fitted to its own data and its legend on its right.
// Like [Draw], DrawScatter checks its arguments before writing anything
// (an unknown format, a size outside the bounds for the grid of panels,
// an empty panel, a Front with decreasing X and infinite values are
// errors), and identical inputs give byte-identical output.
func DrawScatter(w io.Writer, format string, width, height vg.Length, s Scatter) error {
	return drawChecked(w, format, width, height, validateGridSize(width, height, len(s.Panels)),
		func() error { return validatePanels(s.Panels) },
		func(dc draw.Canvas) { renderScatter(dc, buildScatter(s, width, height)) })
}

// validateGridSize checks the size of a figure of the given panels laid
// out by gridShape: MinWidth per column, MinPanelHeight per row.
func validateGridSize(width, height vg.Length, panels int) error {
	cols, rows := gridShape(panels)
	return checkSize(width, height,
		vg.Length(cols)*MinWidth, fmt.Sprintf(" for %d region(s) in %d column(s)", max(panels, 1), cols),
		HeaderHeight+vg.Length(rows)*MinPanelHeight, fmt.Sprintf(" for %d region(s) in %d row(s)", max(panels, 1), rows))
}

func (p ScatterPanel) region() string { return p.Region }

func (p ScatterPanel) validate() error {
	if len(p.Points) == 0 {
		return errors.New("no Points: nothing to draw")
	}
	for i, pt := range p.Points {
		if err := pt.check(fmt.Sprintf("Points[%d]", i)); err != nil {
			return err
		}
	}
	last := -1
	for i, pt := range p.Front {
		if err := pt.check(fmt.Sprintf("Front[%d]", i)); err != nil {
			return err
		}
		if math.IsNaN(pt.X) || math.IsNaN(pt.Y) {
			continue
		}
		if last >= 0 && pt.X < p.Front[last].X {
			return fmt.Errorf("Front[%d].X = %v is below Front[%d].X = %v: the front must be by increasing X",
				i, pt.X, last, p.Front[last].X)
		}
		last = i
	}
	for _, m := range []struct {
		name string
		pt   *Point
	}{{"Best", p.Best}, {"Current", p.Current}} {
		if m.pt != nil {
			if err := m.pt.check(m.name); err != nil {
				return err
			}
		}
	}
	if p.HasYBound {
		return checkLevels(level{"YBound", p.YBound})
	}
	return nil
}

// check reports an infinite coordinate of the point named name.
func (pt Point) check(name string) error {
	for _, c := range []struct {
		axis string
		v    float64
	}{{"X", pt.X}, {"Y", pt.Y}} {
		if math.IsInf(c.v, 0) {
			return fmt.Errorf("%s.%s is %v, want a finite number or NaN (not drawn)", name, c.axis, c.v)
		}
	}
	return nil
}

func (pt Point) drawn() bool { return !math.IsNaN(pt.X) && !math.IsNaN(pt.Y) }

// scatterFigure is everything DrawScatter plots.
type scatterFigure struct {
	title, subtitle string
	panels          []panelModel
}

// Scatter colours and marker sizes (radii in points).
var (
	colorFeasible   = withAlpha(rgb(0x1f77b4), 0x73)
	colorInfeasible = withAlpha(rgb(0x9a9a9a), 0x66)
	colorFront      = rgb(0x08306b)
	colorBest       = rgb(0xd62728)
	colorCurrent    = rgb(0x222222)
	colorYBound     = rgb(0x555555)
)

const (
	radiusPoint  vg.Length = 1.25
	radiusFront  vg.Length = 2.5
	radiusMarked vg.Length = 4.5
)

// buildScatter turns a valid Scatter into the figure drawn at the given
// size.
func buildScatter(s Scatter, width, height vg.Length) *scatterFigure {
	f := &scatterFigure{title: s.Title, subtitle: s.Subtitle}
	cw, ch := gridCell(width, height, len(s.Panels))
	// Pixels of a cell at DPI: finer than those of the data area.
	px, py := int(math.Ceil(float64(cw)*DPI/72)), int(math.Ceil(float64(ch)*DPI/72))
	for i, p := range s.Panels {
		pm := scatterPanel(p, px, py)
		pm.region = i
		pm.xLabel, pm.yLabel = s.XLabel, s.YLabel
		f.panels = append(f.panels, pm)
	}
	return f
}

func scatterPanel(p ScatterPanel, px, py int) panelModel {
	pm := panelModel{
		title:  p.Region,
		xTicks: plot.TickerFunc(numericTicks),
		yTicks: plot.TickerFunc(numericTicks),
	}
	// Axis ranges: every point drawn and the bound, with 5% margins.
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	see := func(pt Point) {
		if pt.drawn() {
			xlo, xhi = math.Min(xlo, pt.X), math.Max(xhi, pt.X)
			ylo, yhi = math.Min(ylo, pt.Y), math.Max(yhi, pt.Y)
		}
	}
	for _, pts := range [][]Point{p.Points, p.Front} {
		for _, pt := range pts {
			see(pt)
		}
	}
	for _, pt := range []*Point{p.Best, p.Current} {
		if pt != nil {
			see(*pt)
		}
	}
	if p.HasYBound {
		ylo, yhi = math.Min(ylo, p.YBound), math.Max(yhi, p.YBound)
	}
	pm.xmin, pm.xmax = padRange(xlo, xhi)
	pm.ymin, pm.ymax = padRange(ylo, yhi)

	marked := func(pt *Point, label string, shape draw.GlyphDrawer, col color.NRGBA, z int) {
		if pt == nil || !pt.drawn() {
			return
		}
		pm.layers = append(pm.layers, layer{
			kind: kindMarkers, label: label, z: z, color: col, width: radiusMarked, glyph: shape,
			segs: []plotter.XYs{{{X: pt.X, Y: pt.Y}}},
		})
	}
	if p.Best != nil {
		marked(p.Best, "tuned #"+strconv.Itoa(p.Best.Config), draw.PyramidGlyph{}, colorBest, 7)
	}
	marked(p.Current, "current", draw.BoxGlyph{}, colorCurrent, 6)

	var front plotter.XYs
	for _, pt := range p.Front {
		if pt.drawn() {
			front = append(front, plotter.XY{X: pt.X, Y: pt.Y})
		}
	}
	if len(front) > 0 {
		radius := radiusFront
		if len(front) > px/20 { // dense: shrink so the line shows
			radius = radiusFront * 0.6
		}
		pm.layers = append(pm.layers,
			layer{
				kind: kindStep, label: "Pareto front (" + strconv.Itoa(len(front)) + ")", z: 4,
				color: colorFront, width: 1.25, segs: []plotter.XYs{front},
			},
			layer{kind: kindMarkers, z: 5, color: colorFront, width: radius, segs: []plotter.XYs{front}},
		)
	}

	g := pixelGrid{xmin: pm.xmin, xmax: pm.xmax, ymin: pm.ymin, ymax: pm.ymax, nx: px, ny: py}
	for _, c := range []struct {
		feasible bool
		name     string
		color    color.NRGBA
		z        int
	}{{true, "feasible", colorFeasible, 2}, {false, "infeasible", colorInfeasible, 1}} {
		pts, n := g.dedupe(p.Points, c.feasible)
		if n == 0 {
			continue
		}
		pm.layers = append(pm.layers, layer{
			kind: kindMarkers, label: c.name + " (" + strconv.Itoa(n) + ")", z: c.z,
			color: c.color, width: radiusPoint, legendWidth: radiusFront, segs: []plotter.XYs{pts},
		})
	}
	if p.HasYBound {
		pm.layers = append(pm.layers, layer{
			kind: kindHLine, label: "bound " + formatNumber(p.YBound), z: 3,
			color: colorYBound, width: 1, dash: []vg.Length{4, 3}, y: p.YBound,
		})
	}
	return pm
}

// padRange widens [lo, hi] by 5% on each side; a single value gets a
// range around it, and no values (lo > hi) 0..1.
func padRange(lo, hi float64) (float64, float64) {
	switch {
	case lo > hi:
		return 0, 1
	case lo == hi:
		d := math.Max(math.Abs(lo)*0.05, 1)
		return lo - d, hi + d
	}
	d := 0.05 * (hi - lo)
	return lo - d, hi + d
}

// pixelGrid is a grid of nx×ny cells over a panel's axis ranges, one per
// pixel of the panel's cell at DPI, finer than its data area.
type pixelGrid struct {
	xmin, xmax, ymin, ymax float64
	nx, ny                 int
}

// dedupe returns the points drawn of those with the given feasibility,
// in their order, leaving out each that falls in the same grid cell as
// an earlier one; and the number of points drawn before that.
func (g pixelGrid) dedupe(pts []Point, feasible bool) (plotter.XYs, int) {
	seen := map[int]bool{}
	var out plotter.XYs
	n := 0
	for _, pt := range pts {
		if pt.Feasible != feasible || !pt.drawn() {
			continue
		}
		n++
		cx := min(max(int((pt.X-g.xmin)/(g.xmax-g.xmin)*float64(g.nx)), 0), g.nx-1)
		cy := min(max(int((pt.Y-g.ymin)/(g.ymax-g.ymin)*float64(g.ny)), 0), g.ny-1)
		if k := cy*g.nx + cx; !seen[k] {
			seen[k] = true
			out = append(out, plotter.XY{X: pt.X, Y: pt.Y})
		}
	}
	return out, n
}

// renderScatter draws f onto dc.
func renderScatter(dc draw.Canvas, f *scatterFigure) {
	body := renderHeader(dc, f.title, f.subtitle)
	tiles, rights := gridTiles(body, len(f.panels), legendWidth(gridWidth(dc, len(f.panels))))
	plots := make([]*plot.Plot, len(f.panels))
	legends := make([][2]plot.Legend, len(f.panels))
	for i := range f.panels {
		plots[i], legends[i] = newPanelPlot(&f.panels[i])
	}
	drawPanels(plots, tiles, rights, func(i int, lc draw.Canvas) { drawLegend(lc, legends[i]) })
}

// gridWidth is the width of a cell of the grid of n panels on dc.
func gridWidth(dc draw.Canvas, n int) vg.Length {
	w, _ := gridCell(dc.Max.X-dc.Min.X, dc.Max.Y-dc.Min.Y, n)
	return w
}
