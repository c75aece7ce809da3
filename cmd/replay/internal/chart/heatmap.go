package chart

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Heatmap shows the best objective for each pair of values of two
// parameters, one panel per region.
type Heatmap struct {
	// Title and Subtitle are the header lines; either may be empty.
	Title, Subtitle string
	// XLabel and YLabel name the two parameters; ZLabel names the
	// objective, e.g. "replica-hours"; "" means "objective".
	XLabel, YLabel, ZLabel string
	// Panels are the regions, one beside the other, two to a row. At
	// least one.
	Panels []HeatPanel
}

// HeatPanel is the heatmap of one region: a categorical grid of cells,
// X across and Y up, each coloured by its Z value on a perceptual scale
// from dark (lowest, best) to light (highest), with a colour bar.
type HeatPanel struct {
	// Region names the region in the panel title; may be empty.
	Region string
	// X and Y are the parameters' values in the order of the grid,
	// drawn as the tick labels of equal cells whatever their spacing.
	// Each at least one, all finite.
	X, Y []float64
	// Z[i][j] is the best objective for X[i] and Y[j]; len(X) rows of
	// len(Y). NaN means no feasible configuration: the cell is drawn
	// hatched light grey. ±Inf is an error.
	Z [][]float64
	// Best is the cell {i, j} of the winner, outlined in red; {-1, -1}
	// for none.
	Best [2]int
}

// MaxAnnotatedCells is the largest number of X or Y values for which
// each cell of a heatmap also shows its value.
const MaxAnnotatedCells = 12

// DefaultHeatmapHeight returns the default height of a [Heatmap] of the
// given regions: HeaderHeight plus DefaultPanelHeight per
// row of two panels.
func DefaultHeatmapHeight(regions int) vg.Length { return defaultGridHeight(regions) }

// DrawHeatmap renders h as PNG or SVG (format "png" or "svg") of the
// given size in points and writes it to w.
//
// The panels are laid out like those of [DrawScatter]. Each panel has
// its own colour scale, from the lowest to the highest finite Z, shown by
// a colour bar in the column on its right, and cells show their values
// when the grid is at most [MaxAnnotatedCells] across and up. DrawHeatmap
// checks its arguments before writing anything (an unknown format, a
// size outside the bounds for the grid of panels, an empty grid,
// mismatched lengths, non-finite X or Y, infinite Z and a Best outside
// the grid are errors), and identical inputs give byte-identical output.
func DrawHeatmap(w io.Writer, format string, width, height vg.Length, h Heatmap) error {
	return drawChecked(w, format, width, height, validateGridSize(width, height, len(h.Panels)),
		func() error { return validatePanels(h.Panels) },
		func(dc draw.Canvas) { renderHeatmap(dc, buildHeatmap(h, width, height)) })
}

func (p HeatPanel) region() string { return p.Region }

func (p HeatPanel) validate() error {
	if len(p.X) == 0 || len(p.Y) == 0 {
		return fmt.Errorf("len(X) = %d, len(Y) = %d: no cells to draw", len(p.X), len(p.Y))
	}
	for _, ax := range []struct {
		name string
		v    []float64
	}{{"X", p.X}, {"Y", p.Y}} {
		for i, v := range ax.v {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%s[%d] is %v, want a finite number", ax.name, i, v)
			}
		}
	}
	if len(p.Z) != len(p.X) {
		return fmt.Errorf("len(Z) = %d, want len(X) = %d", len(p.Z), len(p.X))
	}
	for i, col := range p.Z {
		if len(col) != len(p.Y) {
			return fmt.Errorf("len(Z[%d]) = %d, want len(Y) = %d", i, len(col), len(p.Y))
		}
		for j, z := range col {
			if math.IsInf(z, 0) {
				return fmt.Errorf("Z[%d][%d] is %v, want a finite number or NaN (none feasible)", i, j, z)
			}
		}
	}
	if b := p.Best; b != [2]int{-1, -1} && (b[0] < 0 || b[0] >= len(p.X) || b[1] < 0 || b[1] >= len(p.Y)) {
		return fmt.Errorf("Best %v is outside the %d×%d grid (want {-1, -1} for none)", b, len(p.X), len(p.Y))
	}
	return nil
}

// heatFigure is everything DrawHeatmap plots.
type heatFigure struct {
	title, subtitle string
	panels          []heatModel
}

// heatModel is one panel of a heatmap.
type heatModel struct {
	title, xLabel, yLabel string
	zLabel                string // of the colour bar
	xTicks, yTicks        []plot.Tick
	// zmin and zmax are the range of the colour scale; hasZ is false
	// when every cell is NaN, and no colour bar is drawn.
	zmin, zmax float64
	hasZ       bool
	cells      [][]heatCell // [i][j] for X[i], Y[j]
	best       [2]int       // {-1, -1}: none
	none       int          // cells with no feasible configuration
}

// heatCell is one drawn cell.
type heatCell struct {
	fill color.NRGBA
	none bool   // no feasible configuration: hatched
	text string // value annotation; "" for none
	ink  color.NRGBA
}

var (
	colorNone    = rgb(0xe6e6e6)
	colorHatch   = rgb(0xb4b4b4)
	colorOutline = rgb(0xd62728) // the outline of the best cell
)

// viridis returns the colour map of matplotlib's viridis (nine control
// colours, interpolated in CIELAB at linear luminance) over [lo, hi]:
// perceptually uniform, readable in grey, dark at lo.
func viridis(lo, hi float64) palette.ColorMap {
	var controls []color.Color
	for _, v := range []uint32{0x440154, 0x472c7a, 0x3b518b, 0x2c718e, 0x21908d, 0x27ad81, 0x5cc863, 0xaadc32, 0xfde725} {
		controls = append(controls, rgb(v))
	}
	cm, err := moreland.NewLuminance(controls)
	if err != nil {
		panic(err) // the controls above increase in luminance
	}
	cm.SetMax(hi)
	cm.SetMin(lo)
	return cm
}

// buildHeatmap turns a valid Heatmap into the figure drawn at the given
// size.
func buildHeatmap(h Heatmap, width, height vg.Length) *heatFigure {
	f := &heatFigure{title: h.Title, subtitle: h.Subtitle}
	cw, ch := gridCell(width, height, len(h.Panels))
	// The data area, estimated: the axes take about 50pt across and 70pt
	// up.
	dataW, dataH := cw-legendWidth(cw)-legendGap-50, ch-70
	zLabel := "objective"
	if h.ZLabel != "" {
		zLabel = h.ZLabel
	}
	for _, p := range h.Panels {
		// Tick labels take 5pt a character and 12pt between them across,
		// 14pt each up.
		maxX := int(dataW / (5*vg.Length(maxLabelLen(p.X)) + 12))
		maxY := int(dataH / 14)
		f.panels = append(f.panels, heatPanel(p, maxX, maxY, h.XLabel, h.YLabel, zLabel+" (lower is better)"))
	}
	return f
}

func heatPanel(p HeatPanel, maxX, maxY int, xLabel, yLabel, zLabel string) heatModel {
	m := heatModel{
		title: p.Region, xLabel: xLabel, yLabel: yLabel, zLabel: zLabel,
		xTicks: categoryTicks(p.X, maxX), yTicks: categoryTicks(p.Y, maxY),
		best: p.Best,
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, col := range p.Z {
		for _, z := range col {
			if !math.IsNaN(z) {
				lo, hi = math.Min(lo, z), math.Max(hi, z)
			}
		}
	}
	m.hasZ = lo <= hi
	if m.hasZ {
		if lo == hi {
			d := math.Max(math.Abs(lo)*0.05, 1)
			lo, hi = lo-d, hi+d
		}
		m.zmin, m.zmax = lo, hi
	}
	annotate := len(p.X) <= MaxAnnotatedCells && len(p.Y) <= MaxAnnotatedCells
	var cm palette.ColorMap
	if m.hasZ {
		cm = viridis(m.zmin, m.zmax)
	}
	m.cells = make([][]heatCell, len(p.Z))
	for i, col := range p.Z {
		m.cells[i] = make([]heatCell, len(col))
		for j, z := range col {
			c := &m.cells[i][j]
			if math.IsNaN(z) {
				c.fill, c.none = colorNone, true
				m.none++
				continue
			}
			v, err := cm.At(z)
			if err != nil {
				panic(err) // z is within [zmin, zmax]
			}
			c.fill = color.NRGBAModel.Convert(v).(color.NRGBA)
			if annotate {
				c.text, c.ink = formatValue(z), inkOn(c.fill)
			}
		}
	}
	return m
}

// maxLabelLen is the length of the longest tick label of vs.
func maxLabelLen(vs []float64) int {
	n := 0
	for _, v := range vs {
		n = max(n, len(formatNumber(v)))
	}
	return n
}

// formatValue formats a cell value in at most about four characters:
// integers in full, three significant digits below 100, and whole
// numbers from 100.
func formatValue(v float64) string {
	if math.Abs(v) >= 100 {
		v = math.Round(v)
	}
	if v == math.Trunc(v) {
		return formatNumber(v)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// inkOn returns black or white, whichever contrasts more with c (WCAG
// relative luminance).
func inkOn(c color.NRGBA) color.NRGBA {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	l := 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
	if (l+0.05)/0.05 >= 1.05/(l+0.05) {
		return rgb(0x000000)
	}
	return rgb(0xffffff)
}

// renderHeatmap draws f onto dc.
func renderHeatmap(dc draw.Canvas, f *heatFigure) {
	body := renderHeader(dc, f.title, f.subtitle)
	tiles, rights := gridTiles(body, len(f.panels), legendWidth(gridWidth(dc, len(f.panels))))
	plots := make([]*plot.Plot, len(f.panels))
	for i := range f.panels {
		m := &f.panels[i]
		p := newPlot(m.title, m.xLabel, m.yLabel)
		p.X.Tick.Marker = plot.ConstantTicks(m.xTicks)
		p.Y.Tick.Marker = plot.ConstantTicks(m.yTicks)
		p.Add(&heatCells{m: m})
		p.X.Min, p.X.Max = -0.5, float64(len(m.cells))-0.5
		p.Y.Min, p.Y.Max = -0.5, float64(len(m.cells[0]))-0.5
		plots[i] = p
	}
	drawPanels(plots, tiles, rights, func(i int, c draw.Canvas) { drawHeatSide(c, &f.panels[i]) })
}

// drawHeatSide draws the legend of m at the top of c and its colour bar
// below.
func drawHeatSide(c draw.Canvas, m *heatModel) {
	leg, entries := newLegend(), 0
	if m.best != [2]int{-1, -1} {
		leg.Add("tuned", outlineThumb{})
		entries++
	}
	if m.none > 0 {
		leg.Add("none feasible", noneThumb{})
		entries++
	}
	if entries > 0 {
		leg.Draw(c)
		r := leg.Rectangle(c)
		c.Max.Y = r.Min.Y - legendGap
	}
	if !m.hasZ || c.Max.Y-c.Min.Y < 40 {
		return
	}
	bp := newPlot("", "", m.zLabel)
	bp.HideX()
	bp.Y.Tick.Marker = plot.TickerFunc(numericTicks)
	bp.Add(&plotter.ColorBar{ColorMap: viridis(m.zmin, m.zmax), Vertical: true, Colors: 64})
	bp.X.Min, bp.X.Max = 0, 1
	bp.Y.Min, bp.Y.Max = m.zmin, m.zmax
	// The bar is barWidth wide; the axis takes what it needs on its left.
	const barWidth = 12
	d := bp.DataCanvas(c)
	bp.Draw(draw.Crop(c, 0, -(d.Max.X - d.Min.X - barWidth), 0, 0))
}

// heatCells draws the cells of a heatmap panel, its annotations and the
// outline of its best cell.
type heatCells struct{ m *heatModel }

// Plot implements plot.Plotter.
func (h *heatCells) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	rect := func(i, j int) vg.Rectangle {
		return vg.Rectangle{
			Min: vg.Point{X: trX(float64(i) - 0.5), Y: trY(float64(j) - 0.5)},
			Max: vg.Point{X: trX(float64(i) + 0.5), Y: trY(float64(j) + 0.5)},
		}
	}
	r0 := rect(0, 0)
	w, ht := r0.Max.X-r0.Min.X, r0.Max.Y-r0.Min.Y
	gap := min(0.5, w*0.05, ht*0.05) // white lines between cells
	for i, col := range h.m.cells {
		for j, cell := range col {
			r := rect(i, j)
			r.Min.X, r.Min.Y, r.Max.X, r.Max.Y = r.Min.X+gap, r.Min.Y+gap, r.Max.X-gap, r.Max.Y-gap
			c.FillPolygon(cell.fill, corners(r))
			if cell.none {
				hatch(c, r)
			}
		}
	}

	// Annotations: one font size for the panel, the largest up to 8pt
	// at which every value fits its cell; none below 5pt.
	sty := textStyle(sans, 8, color.Black)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	size := min(vg.Length(8), ht*0.55)
	for _, col := range h.m.cells {
		for _, cell := range col {
			if tw := sty.Width(cell.text); tw > 0 {
				size = min(size, 8*w*0.85/tw)
			}
		}
	}
	if size >= 5 {
		sty = textStyle(sans, size, color.Black)
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
		for i, col := range h.m.cells {
			for j, cell := range col {
				if cell.text != "" {
					sty.Color = cell.ink
					r := rect(i, j)
					c.FillText(sty, vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}, cell.text)
				}
			}
		}
	}

	if b := h.m.best; b != [2]int{-1, -1} {
		c.StrokeLines(outlineStyle, append(corners(rect(b[0], b[1])), rect(b[0], b[1]).Min))
	}
}

var outlineStyle = draw.LineStyle{Color: colorOutline, Width: 2}

// corners returns the corners of r, counter-clockwise from Min.
func corners(r vg.Rectangle) []vg.Point {
	return []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}}
}

// hatch strokes diagonal lines 4pt apart across r, as one path.
func hatch(c draw.Canvas, r vg.Rectangle) {
	const step = 4
	var p vg.Path
	// Lines y = x - k·step (in canvas points) that cross r.
	for k := math.Ceil(float64(r.Min.X-r.Max.Y) / step); k*step <= float64(r.Max.X-r.Min.Y); k++ {
		off := vg.Length(k * step)
		a := vg.Point{X: r.Min.X, Y: r.Min.X - off}
		if a.Y < r.Min.Y {
			a = vg.Point{X: r.Min.Y + off, Y: r.Min.Y}
		}
		b := vg.Point{X: r.Max.X, Y: r.Max.X - off}
		if b.Y > r.Max.Y {
			b = vg.Point{X: r.Max.Y + off, Y: r.Max.Y}
		}
		if a.X < b.X {
			p.Move(a)
			p.Line(b)
		}
	}
	if len(p) > 0 {
		c.SetLineStyle(draw.LineStyle{Color: colorHatch, Width: 0.6})
		c.Stroke(p)
	}
}

// outlineThumb is the legend thumbnail of the best cell's outline.
type outlineThumb struct{}

// Thumbnail implements plot.Thumbnailer.
func (outlineThumb) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	r.Min.X, r.Max.X = r.Min.X+2, r.Max.X-2
	c.StrokeLines(outlineStyle, append(corners(r), r.Min))
}

// noneThumb is the legend thumbnail of a cell with no feasible
// configuration.
type noneThumb struct{}

// Thumbnail implements plot.Thumbnailer.
func (noneThumb) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(colorNone, corners(c.Rectangle))
	hatch(*c, c.Rectangle)
}
