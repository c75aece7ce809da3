package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/autoreplay/autoreplay/cmd/replay/internal/chart"
	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/keda"
	"github.com/autoreplay/autoreplay/replay"
	"github.com/autoreplay/autoreplay/replay/trace"
)

// line describes how a series the controller reads is drawn: its value,
// and for an AverageValue target of an External or Object metric, the
// value per replica next to the per-replica target.
type line struct {
	name       string
	target     float64 // on the raw value (Value, Utilization, per-pod metrics)
	activation float64
	perReplica float64 // > 0: also draw value ÷ replicas against this target
}

// plotData collects what the plot draws, per region, from the rows the
// timeline holds (HPA ticks and KEDA polls that rescaled).
type plotData struct {
	title   string
	lines   []line
	actual  []string
	slo     float64
	min     float64
	max     float64
	regions []*chart.Panel
}

func newPlotData(o object, cols replay.Columns, slo float64) *plotData {
	pd := &plotData{title: fmt.Sprintf("%s (%s loop)", o, cols.Loop), actual: cols.Actual, slo: slo}
	if h := o.cfg.HPA; h != nil {
		pd.min, pd.max = float64(h.MinReplicas), float64(h.MaxReplicas)
		for i, m := range h.Metrics {
			l := line{name: cols.Series[i]}
			target := float64(m.TargetMilli) / 1000
			switch {
			case m.Target == hpa.Utilization:
				l.target = float64(m.TargetUtilization)
			case m.Target == hpa.AverageValue && (m.Type == hpa.External || m.Type == hpa.Object):
				l.perReplica = target
			default:
				l.target = target
			}
			pd.lines = append(pd.lines, l)
		}
	} else {
		so := o.cfg.ScaledObject
		pd.min, pd.max = float64(so.MinReplicaCount), float64(so.MaxReplicaCount)
		k := 0
		for _, t := range so.Triggers {
			if t.Kind == keda.Cron {
				continue
			}
			l := line{name: cols.Series[k], activation: t.Activation}
			k++
			if t.Kind.External() && t.MetricType == hpa.AverageValue {
				l.perReplica = t.Target
			} else {
				l.target = t.Target
			}
			pd.lines = append(pd.lines, l)
		}
	}
	return pd
}

func (pd *plotData) panel(region string) *chart.Panel {
	for _, p := range pd.regions {
		if p.Region == region {
			return p
		}
	}
	p := &chart.Panel{Region: region, Min: pd.min, Max: pd.max}
	for _, l := range pd.lines {
		p.Metrics = append(p.Metrics, chart.Metric{Name: l.name, Target: l.target, Activation: l.activation})
	}
	for _, a := range pd.actual {
		p.Metrics = append(p.Metrics, chart.Metric{Name: "actual " + a, SLO: pd.slo})
	}
	for _, l := range pd.lines {
		if l.perReplica > 0 {
			p.Metrics = append(p.Metrics, chart.Metric{Name: l.name + " per replica", Target: l.perReplica})
		}
	}
	pd.regions = append(pd.regions, p)
	slices.SortFunc(pd.regions, func(a, b *chart.Panel) int {
		switch {
		case a.Region < b.Region:
			return -1
		case a.Region > b.Region:
			return 1
		}
		return 0
	})
	return p
}

// add takes a row; like the timeline it keeps HPA ticks and the KEDA polls
// that rescaled.
func (pd *plotData) add(r *replay.Row) {
	if r.Event == replay.KEDAPoll && !r.Rescale {
		return
	}
	p := pd.panel(r.Region)
	t := r.Time
	p.Times = append(p.Times, t)
	p.Replicas = append(p.Replicas, float64(r.Desired))
	desired := math.NaN()
	switch {
	case r.Event == replay.KEDAPoll:
		desired = float64(r.Desired)
	case r.HasRecommendation:
		desired = float64(r.Recommendation)
	}
	p.Desired = append(p.Desired, desired)
	p.Ready = append(p.Ready, float64(r.Ready))
	if r.Rescale {
		p.Events = append(p.Events, t)
	}
	k := 0
	for i := range pd.lines {
		v := math.NaN()
		if r.Seen[i].Status == trace.Present {
			v = r.Seen[i].V
		}
		addPoint(&p.Metrics[k], t, v)
		k++
	}
	for _, a := range r.Actual {
		addPoint(&p.Metrics[k], t, a)
		k++
	}
	for i, l := range pd.lines {
		if l.perReplica <= 0 {
			continue
		}
		v := math.NaN()
		if r.Seen[i].Status == trace.Present && r.Desired > 0 {
			v = r.Seen[i].V / float64(r.Desired) // per replica after the step, as a saved timeline has it
		}
		addPoint(&p.Metrics[k], t, v)
		k++
	}
}

func addPoint(m *chart.Metric, t time.Time, v float64) {
	m.Times = append(m.Times, t)
	m.Values = append(m.Values, v)
}

// draw renders the plot.
func (pd *plotData) draw(w io.Writer, file string, width, height float64, s replay.Summary) error {
	format, err := imageFormat(file)
	if err != nil {
		return err
	}
	c := chart.Chart{Title: pd.title, Subtitle: subtitle(s)}
	for _, p := range pd.regions {
		c.Panels = append(c.Panels, *p)
	}
	if len(s.Regions) == 0 { // a saved timeline: what its rows tell
		c.Subtitle = pd.subtitle()
	}
	wd, ht := chart.DefaultWidth, chart.DefaultHeight(max(1, len(c.Panels)))
	if width > 0 {
		wd = vg.Length(width)
	}
	if height > 0 {
		ht = chart.HeaderHeight + vg.Length(height)*vg.Length(max(1, len(c.Panels)))
	}
	return chart.Draw(w, format, wd, ht, c)
}

// subtitle is a one-line summary.
func subtitle(s replay.Summary) string {
	var hours float64
	var peak int32
	var events int
	for _, g := range s.Regions {
		hours += g.ReplicaHours
		peak = max(peak, g.MaxReplicas)
		events += g.ScaleUps + g.ScaleDowns
	}
	out := fmt.Sprintf("replica-hours %.1f · peak %d replicas · %d scale events", hours, peak, events)
	for _, g := range s.Regions {
		for _, a := range g.Actual {
			if len(s.Regions) == 1 {
				out += fmt.Sprintf(" · %s p99 %.4g, max %.4g", a.Series, a.P99, a.Max)
			}
		}
	}
	return out
}

// subtitle summarizes the plotted rows: replica-hours (replicas held from
// each step to the next), peak, scale events.
func (pd *plotData) subtitle() string {
	var hours, peak float64
	events := 0
	for _, p := range pd.regions {
		for i := 1; i < len(p.Times); i++ {
			if !math.IsNaN(p.Replicas[i-1]) {
				hours += p.Replicas[i-1] * p.Times[i].Sub(p.Times[i-1]).Hours()
			}
		}
		for _, r := range p.Replicas {
			peak = max(peak, r)
		}
		events += len(p.Events)
	}
	return fmt.Sprintf("replica-hours %.1f · peak %.0f replicas · %d scale events", hours, peak, events)
}
