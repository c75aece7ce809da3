package chart

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Sizes, resolution and limits. All lengths are in points (1/72 inch).
const (
	// DefaultWidth is the default chart width: wide enough for a week of
	// steps with readable tick labels and an outside legend column.
	DefaultWidth vg.Length = 1200

	// DefaultPanelHeight is the default height of one region, that is of
	// its metric panel and replica panel together.
	DefaultPanelHeight vg.Length = 400

	// HeaderHeight is the height DefaultHeight reserves for the chart
	// title and subtitle.
	HeaderHeight vg.Length = 48

	// DPI is the resolution of PNG output: a chart of w×h points is a
	// PNG of round(w·DPI/72)×round(h·DPI/72) pixels, so DefaultWidth is
	// 1600 pixels wide. It is also the resolution decimation assumes
	// for SVG output.
	DPI = 96

	// MinWidth is the smallest accepted chart width.
	MinWidth vg.Length = 320

	// MinPanelHeight is the smallest accepted height per region, once the
	// header is taken off.
	MinPanelHeight vg.Length = 160

	// MaxLength is the largest accepted width or height (200 inches,
	// 19,200 PNG pixels).
	MaxLength vg.Length = 200 * vg.Inch

	// NormalizeRatio is the magnitude spread beyond which the metrics of
	// a panel are drawn normalized. A metric's scale is the largest
	// absolute value among its values, Target, Activation and SLO. When a
	// panel has two or more metrics and the largest scale exceeds the
	// smallest non-zero one by more than NormalizeRatio, every metric of
	// the panel is divided by its own scale, with its target, activation
	// and SLO, so each spans up to 1 on the shared axis and the legend
	// gives the scale ("lag (1 = 4200 msgs)"). Otherwise the metrics share
	// one axis in their own units.
	NormalizeRatio = 10
)

// DefaultHeight returns the default chart height for the given number of
// regions: HeaderHeight plus DefaultPanelHeight per region.
func DefaultHeight(regions int) vg.Length {
	return HeaderHeight + vg.Length(max(regions, 1))*DefaultPanelHeight
}

// Metric is one metric series of a panel.
type Metric struct {
	// Name labels the series in the legend; it should be unique within
	// the panel.
	Name string
	// Times are the sample times, in non-decreasing order. They are
	// drawn in UTC.
	Times []time.Time
	// Values are the samples, one per time. NaN means no value at that
	// time and draws a gap; ±Inf is an error.
	Values []float64
	// Target is the target (threshold), drawn as a thin horizontal line
	// in the series colour; 0 means none.
	Target float64
	// Activation is the KEDA activation threshold, drawn dashed; 0 means
	// none.
	Activation float64
	// SLO is an upper bound on the metric: the area above it is shaded;
	// 0 means none.
	SLO float64
	// Unit is appended to the axis label and legend values, e.g. "msgs";
	// may be empty.
	Unit string
}

// Line is a further replica line of a [Panel], such as the replicas of
// another configuration replayed over the same period.
type Line struct {
	// Label names the line in the legend, e.g. "replicas (tuned)"; ""
	// leaves it out of the legend.
	Label string
	// Times are the step times, in non-decreasing order.
	Times []time.Time
	// Values are the replicas after each step, one per time, drawn as a
	// post-step line. NaN draws a gap; ±Inf is an error.
	Values []float64
}

// Panel is one region: a metric panel on top, a replica panel below.
// A region without metrics draws only the replica panel; a region
// without step times or Compare lines draws only the metric panel.
type Panel struct {
	// Region names the region in the panel titles; may be empty.
	Region string
	// Metrics are drawn in the top panel, each in its own colour.
	Metrics []Metric
	// Times are the step times, in non-decreasing order.
	Times []time.Time
	// Replicas are the replicas after each step, drawn as a post-step
	// line: the value holds until the next step. One per time; NaN
	// draws a gap.
	Replicas []float64
	// ReplicasLabel names the Replicas line in the legend; "" means
	// "replicas".
	ReplicasLabel string
	// Compare are further replica lines drawn like Replicas, each in its
	// own colour and with its own times, e.g. the replicas of another
	// configuration. They are decimated like Replicas and included in
	// the panel's y range; events and Desired and Ready still belong to
	// Replicas.
	Compare []Line
	// Desired is what the metrics asked for at each step (NaN when
	// unknown), drawn thinner and dashed. Empty or one per time.
	Desired []float64
	// Ready is the number of ready replicas at each step. Empty or one
	// per time.
	Ready []float64
	// Events are the times of scale events, in any order, marked on the
	// replicas line at the post-step value in force at that time (that
	// of the last step at or before it). Events before the first step or
	// at a NaN count are not drawn; the legend counts all of them.
	Events []time.Time
	// Min and Max are the replica bounds, drawn as faint grey lines when
	// Max > 0. Both 0: no bounds.
	Min, Max float64
}

// Chart is a replica-over-time chart: one panel pair per region, stacked
// vertically under a title and a subtitle.
type Chart struct {
	// Title is the first header line, e.g.
	// "ScaledObject orders-consumer (closed loop)"; may be empty.
	Title string
	// Subtitle is the second header line, e.g. a one-line summary
	// "replica-hours 312.6 · peak 20 · 170 scale events"; may be empty.
	Subtitle string
	// Panels are the regions, drawn top to bottom. At least one.
	Panels []Panel
}

// Draw renders c as PNG or SVG (format "png" or "svg") of the given size
// in points and writes it to w.
//
// All regions share one UTC time axis spanning every time in c. Lines
// are decimated to at most four points (first, minimum, maximum, last)
// per column of a DPI grid across the chart width, which keeps spikes
// and is visually lossless. The output depends only on the arguments:
// identical inputs give byte-identical SVG (and PNG).
//
// Draw checks its arguments before writing anything: an unknown format,
// a size outside [MinWidth, MaxLength] or too short for the regions
// (HeaderHeight plus MinPanelHeight per region), mismatched slice
// lengths, decreasing or zero times and infinite values are errors.
func Draw(w io.Writer, format string, width, height vg.Length, c Chart) error {
	return drawChecked(w, format, width, height, validateSize(width, height, len(c.Panels)), c.validate,
		func(dc draw.Canvas) { render(dc, build(c, width)) })
}

// drawChecked reports the first of: an unknown format, sizeErr and the
// error of validate; or else draws onto a canvas of the given format and
// size with paint and writes the result to w.
func drawChecked(w io.Writer, format string, width, height vg.Length, sizeErr error, validate func() error, paint func(draw.Canvas)) error {
	if format != "png" && format != "svg" {
		return fmt.Errorf("chart: unknown format %q (want \"png\" or \"svg\")", format)
	}
	if sizeErr != nil {
		return sizeErr
	}
	if err := validate(); err != nil {
		return err
	}
	var cw vg.CanvasWriterTo
	switch format {
	case "png":
		cw = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(DPI))}
	case "svg":
		cw = vgsvg.New(width, height)
	}
	paint(draw.New(cw))
	if _, err := cw.WriteTo(w); err != nil {
		return fmt.Errorf("chart: writing %s: %w", format, err)
	}
	return nil
}

// validateSize checks the size of a [Chart] of the given regions, stacked.
func validateSize(width, height vg.Length, regions int) error {
	n := max(regions, 1)
	return checkSize(width, height, MinWidth, "", HeaderHeight+vg.Length(n)*MinPanelHeight,
		fmt.Sprintf(" for %d region(s)", n))
}

// checkSize checks that width and height are positive, at most
// MaxLength and at least minW and minH; the notes end the messages of
// the latter two.
func checkSize(width, height, minW vg.Length, wNote string, minH vg.Length, hNote string) error {
	for _, d := range []struct {
		name string
		v    vg.Length
	}{{"width", width}, {"height", height}} {
		v := float64(d.v)
		switch {
		case math.IsNaN(v) || v <= 0:
			return fmt.Errorf("chart: %s %vpt: must be positive", d.name, v)
		case v > float64(MaxLength):
			return fmt.Errorf("chart: %s %vpt exceeds the maximum %vpt", d.name, v, float64(MaxLength))
		}
	}
	if width < minW {
		return fmt.Errorf("chart: width %vpt is below the minimum %vpt%s", float64(width), float64(minW), wNote)
	}
	if height < minH {
		return fmt.Errorf("chart: height %vpt is below the minimum %vpt%s", float64(height), float64(minH), hNote)
	}
	return nil
}

// validatePanels reports the first problem with the panels of a figure.
func validatePanels[P interface {
	validate() error
	region() string
}](panels []P) error {
	if len(panels) == 0 {
		return errors.New("chart: no panels")
	}
	for i, p := range panels {
		if err := p.validate(); err != nil {
			return fmt.Errorf("chart: panel %d (region %q): %w", i, p.region(), err)
		}
	}
	return nil
}

// validate reports the first problem with c's data.
func (c Chart) validate() error {
	if err := validatePanels(c.Panels); err != nil {
		return err
	}
	points := 0
	for _, p := range c.Panels {
		points += len(p.Times)
		for _, m := range p.Metrics {
			points += len(m.Times)
		}
		for _, l := range p.Compare {
			points += len(l.Times)
		}
	}
	if points == 0 {
		return errors.New("chart: no data: every panel has empty Times")
	}
	return nil
}

func (p Panel) region() string { return p.Region }

func (p Panel) validate() error {
	n := len(p.Times)
	if n == 0 && len(p.Metrics) == 0 && len(p.Compare) == 0 {
		return errors.New("no Times, Metrics or Compare lines: nothing to draw")
	}
	if err := checkTimes("Times", p.Times); err != nil {
		return err
	}
	if len(p.Replicas) != n {
		return fmt.Errorf("len(Replicas) = %d, want len(Times) = %d", len(p.Replicas), n)
	}
	if len(p.Desired) != 0 && len(p.Desired) != n {
		return fmt.Errorf("len(Desired) = %d, want 0 or len(Times) = %d", len(p.Desired), n)
	}
	if len(p.Ready) != 0 && len(p.Ready) != n {
		return fmt.Errorf("len(Ready) = %d, want 0 or len(Times) = %d", len(p.Ready), n)
	}
	for _, s := range []struct {
		name string
		v    []float64
	}{{"Replicas", p.Replicas}, {"Desired", p.Desired}, {"Ready", p.Ready}} {
		if err := checkValues(s.name, s.v); err != nil {
			return err
		}
	}
	for i, t := range p.Events {
		if t.IsZero() {
			return fmt.Errorf("Events[%d] is the zero time", i)
		}
	}
	if err := checkLevels(level{"Min", p.Min}, level{"Max", p.Max}); err != nil {
		return err
	}
	if p.Min < 0 || p.Max < 0 {
		return fmt.Errorf("Min %v, Max %v: must not be negative", p.Min, p.Max)
	}
	if p.Max > 0 && p.Min > p.Max {
		return fmt.Errorf("Min %v > Max %v", p.Min, p.Max)
	}
	for j, m := range p.Metrics {
		if err := m.validate(); err != nil {
			return fmt.Errorf("metric %d (%q): %w", j, m.Name, err)
		}
	}
	for j, l := range p.Compare {
		if err := checkSeries(l.Times, "Values", l.Values); err != nil {
			return fmt.Errorf("Compare[%d] (%q): %w", j, l.Label, err)
		}
	}
	return nil
}

func (m Metric) validate() error {
	if err := checkSeries(m.Times, "Values", m.Values); err != nil {
		return err
	}
	return checkLevels(level{"Target", m.Target}, level{"Activation", m.Activation}, level{"SLO", m.SLO})
}

type level struct {
	name string
	v    float64
}

func checkLevels(ls ...level) error {
	for _, l := range ls {
		if math.IsNaN(l.v) || math.IsInf(l.v, 0) {
			return fmt.Errorf("%s is %v, want a finite number (0: none)", l.name, l.v)
		}
	}
	return nil
}

// checkSeries checks a series of values, named name, at times ts.
func checkSeries(ts []time.Time, name string, vs []float64) error {
	if err := checkTimes("Times", ts); err != nil {
		return err
	}
	if len(vs) != len(ts) {
		return fmt.Errorf("len(%s) = %d, want len(Times) = %d", name, len(vs), len(ts))
	}
	return checkValues(name, vs)
}

func checkTimes(name string, ts []time.Time) error {
	for i, t := range ts {
		if t.IsZero() {
			return fmt.Errorf("%s[%d] is the zero time", name, i)
		}
		if i > 0 && t.Before(ts[i-1]) {
			return fmt.Errorf("%s[%d] = %s is before %s[%d] = %s: times must not decrease",
				name, i, t.UTC().Format(time.RFC3339Nano), name, i-1, ts[i-1].UTC().Format(time.RFC3339Nano))
		}
	}
	return nil
}

func checkValues(name string, vs []float64) error {
	for i, v := range vs {
		if math.IsInf(v, 0) {
			return fmt.Errorf("%s[%d] is %v, want a finite number or NaN (gap)", name, i, v)
		}
	}
	return nil
}
