package main

import (
	"fmt"
	"io"
	"math"
	"strings"

	"gonum.org/v1/plot/vg"

	"github.com/autoreplay/autoreplay/cmd/replay/internal/chart"
	"github.com/autoreplay/autoreplay/replay"
	"github.com/autoreplay/autoreplay/tune"
)

// frontPoints collects every configuration's point of the trade-off plot:
// the objective against the front's figure, per region.
type frontPoints struct {
	col    *tune.Collector
	x, y   int
	points map[string][]chart.Point
}

func newFrontPoints(st *tune.Study, col *tune.Collector) *frontPoints {
	rep := col.Report()
	return &frontPoints{col: col, x: st.Metrics().Index(rep.Objective), y: st.Metrics().Index(rep.FrontY), points: map[string][]chart.Point{}}
}

func (fp *frontPoints) add(recs []tune.Record) {
	for _, r := range recs {
		if r.Status != tune.OK {
			continue
		}
		e := fp.col.Judge(r)
		fp.points[r.Region] = append(fp.points[r.Region], chart.Point{X: r.Metrics[fp.x], Y: r.Metrics[fp.y], Config: r.Config, Feasible: e.Feasible})
	}
}

func (fp *frontPoints) point(e tune.Entry) *chart.Point {
	return &chart.Point{X: e.Metrics[fp.x], Y: e.Metrics[fp.y], Config: e.Config, Feasible: e.Feasible}
}

// size returns the plot size: the flags' or the default for n panels
// laid out by def.
func size(width, height float64, n int, def func(int) vg.Length) (vg.Length, vg.Length) {
	w, h := chart.DefaultWidth, def(n)
	if width > 0 {
		w = vg.Length(width)
	}
	if height > 0 {
		rows := (n + 1) / 2
		h = chart.HeaderHeight + vg.Length(height)*vg.Length(max(1, rows))
	}
	return w, h
}

func studyTitle(st *tune.Study) string {
	return fmt.Sprintf("%s %s: %d configurations (%s loop)", st.Base().Kind(), st.Base().Name(), st.Size(), st.Columns().Loop)
}

func drawFront(w io.Writer, format string, width, height float64, st *tune.Study, rep tune.Report, fp *frontPoints) error {
	s := chart.Scatter{Title: studyTitle(st), Subtitle: "each dot a configuration; the line is the Pareto front; lower-left is better",
		XLabel: rep.Objective, YLabel: rep.FrontY}
	for _, r := range rep.Regions {
		p := chart.ScatterPanel{Region: r.Region, Points: fp.points[r.Region], Current: fp.point(r.Current)}
		if len(p.Points) == 0 {
			p.Points = []chart.Point{*p.Current}
		}
		for _, e := range r.Front {
			p.Front = append(p.Front, *fp.point(e))
		}
		if best, ok := r.Best(); ok {
			p.Best = fp.point(best)
		}
		for _, c := range st.Goal().Constraints {
			if c.Metric == rep.FrontY && (c.Op == tune.LE || c.Op == tune.LT) {
				p.YBound, p.HasYBound = c.Bound, true
			}
		}
		s.Panels = append(s.Panels, p)
	}
	wd, ht := size(width, height, len(s.Panels), chart.DefaultScatterHeight)
	return chart.DrawScatter(w, format, wd, ht, s)
}

func drawHeatmap(w io.Writer, format string, width, height float64, st *tune.Study, rep tune.Report) error {
	if len(rep.Regions) == 0 || rep.Regions[0].Heat == nil {
		return fmt.Errorf("--plot-heatmap: the grid needs two parameters with several values (or name them with --heatmap X,Y)")
	}
	params := st.Space().Params
	h0 := rep.Regions[0].Heat
	hm := chart.Heatmap{Title: studyTitle(st), Subtitle: fmt.Sprintf("the least %s of the feasible configurations with each pair of values; hatched: none feasible", rep.Objective),
		XLabel: params[h0.X].Name, YLabel: params[h0.Y].Name, ZLabel: rep.Objective}
	for _, r := range rep.Regions {
		h := r.Heat
		p := chart.HeatPanel{Region: r.Region, X: params[h.X].Values, Y: params[h.Y].Values, Z: h.Value, Best: [2]int{-1, -1}}
		if best, ok := r.Best(); ok {
			idx := st.Space().Point(best.Config, nil)
			p.Best = [2]int{idx[h.X], idx[h.Y]}
		}
		hm.Panels = append(hm.Panels, p)
	}
	wd, ht := size(width, height, len(hm.Panels), chart.DefaultHeatmapHeight)
	return chart.DrawHeatmap(w, format, wd, ht, hm)
}

// drawCompare replays each region's best configuration and the manifest as
// written, and draws both in one chart: the modelled series and the
// replicas of each.
func drawCompare(w io.Writer, format string, width, height float64, st *tune.Study, rep tune.Report) error {
	cols := st.Columns()
	slo := 0.0
	if len(cols.Actual) > 0 {
		slo = st.Goal().SLO[cols.Actual[0]]
	}
	cur := newPlotData(object{kind: st.Base().Kind(), name: st.Base().Name(), cfg: st.Base().Config()}, cols, slo)
	if _, err := st.Replay(tune.Current, func(r *replay.Row) error { cur.add(r); return nil }); err != nil {
		return err
	}
	c := chart.Chart{Title: fmt.Sprintf("%s %s: tuned against the manifest as written (%s loop)", st.Base().Kind(), st.Base().Name(), cols.Loop)}
	var notes []string
	for _, r := range rep.Regions {
		cp := cur.panel(r.Region)
		best, ok := r.Best()
		if !ok {
			notes = append(notes, fmt.Sprintf("%s: none feasible", orDash(r.Region)))
			p := *cp
			p.ReplicasLabel = "replicas (current)"
			p.Desired, p.Ready = nil, nil
			c.Panels = append(c.Panels, p)
			continue
		}
		cfg, err := st.Config(best.Config)
		if err != nil {
			return err
		}
		tuned := newPlotData(object{kind: st.Base().Kind(), name: st.Base().Name(), cfg: cfg}, cols, slo)
		if _, err := st.Replay(best.Config, func(row *replay.Row) error {
			if row.Region == r.Region {
				tuned.add(row)
			}
			return nil
		}); err != nil {
			return err
		}
		name := fmt.Sprintf("tuned #%d", best.Config)
		p := *tuned.panel(r.Region)
		p.ReplicasLabel = "replicas (" + name + ")"
		p.Desired, p.Ready = nil, nil
		p.Compare = []chart.Line{{Label: "replicas (current)", Times: cp.Times, Values: cp.Replicas}}
		var metrics []chart.Metric
		for k, m := range p.Metrics {
			if !strings.HasPrefix(m.Name, "actual ") {
				continue
			}
			m.Name = strings.TrimPrefix(m.Name, "actual ") + " (" + name + ")"
			old := cp.Metrics[k]
			old.Name = strings.TrimPrefix(old.Name, "actual ") + " (current)"
			metrics = append(metrics, m, old)
		}
		if len(metrics) == 0 { // open loop: the trace's series, once
			metrics = p.Metrics
		}
		p.Metrics = metrics
		p.Min, p.Max = math.Min(p.Min, cp.Min), math.Max(p.Max, cp.Max)
		c.Panels = append(c.Panels, p)
		x := st.Metrics().Index(rep.Objective)
		notes = append(notes, fmt.Sprintf("%s: %s %s → %s", orDash(r.Region), rep.Objective, figure(r.Current.Metrics[x]), figure(best.Metrics[x])))
	}
	c.Subtitle = strings.Join(notes, " · ")
	wd, ht := chart.DefaultWidth, chart.DefaultHeight(len(c.Panels))
	if width > 0 {
		wd = vg.Length(width)
	}
	if height > 0 {
		ht = chart.HeaderHeight + vg.Length(height)*vg.Length(len(c.Panels))
	}
	return chart.Draw(w, format, wd, ht, c)
}
