package chart

import (
	"image/color"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

var (
	sans     = font.Font{Typeface: "Liberation", Variant: "Sans"}
	sansBold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}

	colorGrid = color.NRGBA{R: 0xe4, G: 0xe4, B: 0xe4, A: 0xff}
	colorSub  = color.NRGBA{R: 0x44, G: 0x44, B: 0x44, A: 0xff}
)

// Layout, in points.
const (
	marginX     = 10 // left and right page margin
	headerTop   = 8  // above the title
	headerGap   = 4  // between title and subtitle
	headerBelow = 8  // below the header
	regionGap   = 14 // above every region but the first
	panelGap    = 4  // between the panels of a region
	legendGap   = 10 // between a panel's data area and its legend
)

// chunkPoints is the most points stroked as one path.
const chunkPoints = 128

func textStyle(f font.Font, size vg.Length, c color.Color) text.Style {
	return text.Style{
		Color:   c,
		Font:    font.From(f, size),
		XAlign:  draw.XLeft,
		YAlign:  draw.YTop,
		Handler: plot.DefaultTextHandler,
	}
}

// renderHeader fills dc white and draws the title and subtitle, left
// aligned; it returns the canvas below them.
func renderHeader(dc draw.Canvas, title, subtitle string) draw.Canvas {
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())

	top := dc.Max.Y - headerTop
	for _, h := range []struct {
		txt string
		sty text.Style
	}{
		{title, textStyle(sansBold, 15, color.Black)},
		{subtitle, textStyle(sans, 10.5, colorSub)},
	} {
		if h.txt == "" {
			continue
		}
		dc.FillText(h.sty, vg.Point{X: dc.Min.X + marginX, Y: top}, h.txt)
		top -= h.sty.FontExtents().Height + headerGap
	}
	if title != "" || subtitle != "" {
		top -= headerBelow - headerGap
	}
	body := dc
	body.Max.Y = top
	return body
}

// render draws f onto dc.
func render(dc draw.Canvas, f *figure) {
	width := dc.Max.X - dc.Min.X
	body := renderHeader(dc, f.title, f.subtitle)
	body.Min.X += marginX
	body.Max.X -= marginX + legendWidth(width)

	plots := make([]*plot.Plot, len(f.panels))
	legends := make([][2]plot.Legend, len(f.panels))
	tiles := make([]draw.Canvas, len(f.panels))
	rights := make([]vg.Length, len(f.panels))
	for i := range f.panels {
		plots[i], legends[i] = newPanelPlot(&f.panels[i])
		rights[i] = dc.Max.X - marginX
	}

	// Tiles: regions of equal height; the panels of a region share it.
	regionH := (body.Max.Y - body.Min.Y) / vg.Length(f.regions)
	for i := 0; i < len(f.panels); {
		r := f.panels[i].region
		n := 1
		for i+n < len(f.panels) && f.panels[i+n].region == r {
			n++
		}
		rtop := body.Max.Y - vg.Length(r)*regionH
		if r > 0 {
			rtop -= regionGap
		}
		h := (rtop - (body.Max.Y - vg.Length(r+1)*regionH) - vg.Length(n-1)*panelGap) / vg.Length(n)
		for k := range n {
			t := body
			t.Max.Y = rtop - vg.Length(k)*(h+panelGap)
			t.Min.Y = t.Max.Y - h
			tiles[i+k] = t
		}
		i += n
	}
	drawPanels(plots, tiles, rights, func(i int, lc draw.Canvas) { drawLegend(lc, legends[i]) })
}

// drawLegend draws the full legend of legs if it fits in lc, else the
// one without details.
func drawLegend(lc draw.Canvas, legs [2]plot.Legend) {
	leg := legs[0]
	if r := leg.Rectangle(lc); r.Max.Y-r.Min.Y > lc.Max.Y-lc.Min.Y {
		leg = legs[1]
	}
	leg.Draw(lc)
}

// drawPanels draws plots[i] in tiles[i] with their data areas aligned
// horizontally, as plot.Align does for a grid, and then side with the
// canvas from right of the data area (after legendGap) to rights[i], as
// high as the data area: the column for its legend.
func drawPanels(plots []*plot.Plot, tiles []draw.Canvas, rights []vg.Length, side func(i int, c draw.Canvas)) {
	var left, right vg.Length
	for i, p := range plots {
		d := p.DataCanvas(tiles[i])
		left = max(left, d.Min.X-tiles[i].Min.X)
		right = max(right, tiles[i].Max.X-d.Max.X)
	}
	for i, p := range plots {
		d := p.DataCanvas(tiles[i])
		t := draw.Crop(tiles[i], left-(d.Min.X-tiles[i].Min.X), -(right - (tiles[i].Max.X - d.Max.X)), 0, 0)
		p.Draw(t)

		d = p.DataCanvas(t)
		side(i, draw.Canvas{Canvas: t.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: d.Max.X + legendGap, Y: d.Min.Y},
			Max: vg.Point{X: rights[i], Y: d.Max.Y},
		}})
	}
}

// gridShape returns the columns and rows of the grid of a figure of
// the given panels side by side: one column for one panel, else two.
func gridShape(panels int) (cols, rows int) {
	cols = min(max(panels, 1), 2)
	return cols, (max(panels, 1) + cols - 1) / cols
}

// gridTiles returns the cells of a grid of n panels on body, row by row,
// each cut into the tile of the panel's plot and the right edge of its
// legend column of the given width.
func gridTiles(body draw.Canvas, n int, side vg.Length) (tiles []draw.Canvas, rights []vg.Length) {
	cols, rows := gridShape(n)
	body.Min.X += marginX
	body.Max.X -= marginX
	w := (body.Max.X - body.Min.X - vg.Length(cols-1)*regionGap) / vg.Length(cols)
	h := (body.Max.Y - body.Min.Y - vg.Length(rows-1)*regionGap) / vg.Length(rows)
	for i := range n {
		c, r := i%cols, i/cols
		t := body
		t.Min.X += vg.Length(c) * (w + regionGap)
		t.Max.X = t.Min.X + w
		t.Max.Y -= vg.Length(r) * (h + regionGap)
		t.Min.Y = t.Max.Y - h
		rights = append(rights, t.Max.X)
		t.Max.X -= side
		tiles = append(tiles, t)
	}
	return tiles, rights
}

// gridCell returns the width and height in points of a cell of the grid
// of n panels on a figure of the given size, for the figure models.
func gridCell(width, height vg.Length, n int) (w, h vg.Length) {
	cols, rows := gridShape(n)
	w = (width - 2*marginX - vg.Length(cols-1)*regionGap) / vg.Length(cols)
	h = (height - HeaderHeight - vg.Length(rows-1)*regionGap) / vg.Length(rows)
	return w, h
}

// newPlot returns an empty plot styled like every panel: fonts, axes,
// title and labels.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sansBold, 10.5)
	p.Title.Padding = 3
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.From(sans, 9)
		ax.Tick.Label.Font = font.From(sans, 8.5)
		ax.Padding = 2
		ax.Width = 0.75
		ax.Tick.Width = 0.75
	}
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	return p
}

// newLegend returns an empty legend styled like every legend, anchored
// top left.
func newLegend() plot.Legend {
	l := plot.NewLegend()
	l.TextStyle.Font = font.From(sans, 8.5)
	l.Top, l.Left = true, true
	l.ThumbnailWidth = 18
	l.Padding = 1.5
	return l
}

// newPanelPlot returns the plot of panel pm and its legends, full and
// without detail entries, drawn outside the plot so they never hide data.
func newPanelPlot(pm *panelModel) (*plot.Plot, [2]plot.Legend) {
	p := newPlot(pm.title, pm.xLabel, pm.yLabel)
	p.X.Tick.Marker = pm.xTicks
	if pm.yTicks != nil {
		p.Y.Tick.Marker = pm.yTicks
	}

	g := plotter.NewGrid()
	g.Vertical = draw.LineStyle{Color: colorGrid, Width: 0.5}
	g.Horizontal = g.Vertical
	p.Add(g)

	legs := [2]plot.Legend{newLegend(), newLegend()}
	var pad vg.Length
	for _, l := range sortedLayers(pm.layers) {
		p.Add(plotters(l)...)
		switch l.kind {
		case kindLine, kindStep:
			pad = max(pad, dotRadius(l))
		case kindMarkers:
			pad = max(pad, l.width)
		}
	}
	p.Add(edges{r: pad})
	for _, l := range pm.layers {
		if l.label != "" {
			legs[0].Add(l.label, thumbnail(l))
			if !l.detail {
				legs[1].Add(l.label, thumbnail(l))
			}
		}
	}
	// Fix the ranges after Add, which widens them to the data.
	p.X.Min, p.X.Max = pm.xmin, pm.xmax
	p.Y.Min, p.Y.Max = pm.ymin, pm.ymax
	return p, legs
}

func lineStyle(l layer) draw.LineStyle {
	return draw.LineStyle{Color: l.color, Width: l.width, Dashes: l.dash}
}

// glyphStyle is the marker style of a kindMarkers layer.
func glyphStyle(l layer) draw.GlyphStyle {
	shape := l.glyph
	if shape == nil {
		shape = draw.CircleGlyph{}
	}
	return draw.GlyphStyle{Color: l.color, Radius: l.width, Shape: shape}
}

// plotters returns the gonum plotters drawing l.
func plotters(l layer) []plot.Plotter {
	switch l.kind {
	case kindHLine:
		return []plot.Plotter{&hline{y: l.y, style: lineStyle(l)}}
	case kindBand:
		return []plot.Plotter{&band{y: l.y, color: l.color}}
	case kindMarkers:
		var ps []plot.Plotter
		for _, s := range l.segs {
			ps = append(ps, scatter{&plotter.Scatter{XYs: s, GlyphStyle: glyphStyle(l)}})
		}
		return ps
	}
	step := plotter.NoStep
	if l.kind == kindStep {
		// PostStep draws horizontal, then vertical: a value holds until
		// the next step time.
		step = plotter.PostStep
	}
	var ps []plot.Plotter
	var dots plotter.XYs // runs of a single point: no line to draw
	for _, s := range l.segs {
		if len(s) == 1 {
			dots = append(dots, s[0])
			continue
		}
		// Stroke long runs in chunks sharing their end points: the PNG
		// rasterizer's cost grows with the square of a path's cells per
		// row, and a dense zig-zag has many.
		for len(s) > 1 {
			n := min(len(s), chunkPoints)
			ps = append(ps, line{&plotter.Line{XYs: s[:n], StepStyle: step, LineStyle: lineStyle(l)}})
			s = s[n-1:]
		}
	}
	if len(dots) > 0 {
		ps = append(ps, scatter{&plotter.Scatter{XYs: dots, GlyphStyle: draw.GlyphStyle{
			Color: l.color, Radius: dotRadius(l), Shape: draw.CircleGlyph{},
		}}})
	}
	return ps
}

// thumbnail returns l's legend thumbnail.
func thumbnail(l layer) plot.Thumbnailer {
	switch l.kind {
	case kindHLine:
		return &hline{style: lineStyle(l)}
	case kindBand:
		return &band{color: l.color}
	case kindMarkers:
		gs := glyphStyle(l)
		if l.legendWidth > 0 {
			gs.Radius = l.legendWidth
		}
		return &plotter.Scatter{GlyphStyle: gs}
	}
	return &plotter.Line{LineStyle: lineStyle(l)}
}

// hline is a horizontal line across the data area at y.
type hline struct {
	y     float64
	style draw.LineStyle
}

// Plot implements plot.Plotter.
func (h *hline) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	if y := trY(h.y); c.ContainsY(y) {
		c.StrokeLine2(h.style, c.Min.X, y, c.Max.X, y)
	}
}

// Thumbnail implements plot.Thumbnailer.
func (h *hline) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(h.style, c.Min.X, y, c.Max.X, y)
}

// band shades the data area above y.
type band struct {
	y     float64
	color color.Color
}

// Plot implements plot.Plotter.
func (b *band) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	y := max(trY(b.y), c.Min.Y)
	if y >= c.Max.Y {
		return
	}
	c.FillPolygon(b.color, []vg.Point{
		{X: c.Min.X, Y: y}, {X: c.Max.X, Y: y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y},
	})
}

// Thumbnail implements plot.Thumbnailer.
func (b *band) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(b.color, []vg.Point{
		{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y},
	})
}

// dotRadius is the radius of the dot drawn for a one-point run of a line
// layer; it is at least half the line width.
func dotRadius(l layer) vg.Length { return max(l.width, 1) }

// line and scatter draw a plotter.Line or plotter.Scatter without
// offering their per-point glyph boxes: gonum computes those several
// times per plot for padding, which costs more than drawing. The edges
// plotter stands in for them.
type (
	line    struct{ l *plotter.Line }
	scatter struct{ s *plotter.Scatter }
)

// Plot implements plot.Plotter.
func (l line) Plot(c draw.Canvas, p *plot.Plot) { l.l.Plot(c, p) }

// Plot implements plot.Plotter.
func (s scatter) Plot(c draw.Canvas, p *plot.Plot) { s.s.Plot(c, p) }

// edges pads the data area by r on every side, so that lines, dots and
// markers at the ends of the axis ranges are not clipped: the glyph
// boxes of a plot's lines and scatters reduced to two corners.
type edges struct{ r vg.Length }

// Plot implements plot.Plotter; edges draws nothing.
func (edges) Plot(draw.Canvas, *plot.Plot) {}

// GlyphBoxes implements plot.GlyphBoxer.
func (e edges) GlyphBoxes(*plot.Plot) []plot.GlyphBox {
	r := vg.Rectangle{Min: vg.Point{X: -e.r, Y: -e.r}, Max: vg.Point{X: e.r, Y: e.r}}
	return []plot.GlyphBox{{X: 0, Y: 0, Rectangle: r}, {X: 1, Y: 1, Rectangle: r}}
}
