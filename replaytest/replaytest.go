// Package replaytest checks autoscaler manifests against captured traces
// in a project's own tests: replay a manifest on a trace, compare the
// timeline with a golden file kept next to it, and hold the summary to
// budgets.
//
//	func TestOrdersConsumer(t *testing.T) {
//		res := replaytest.Run(t, replaytest.Case{
//			Manifest: "deploy/orders-consumer.yaml",
//			Trace:    "testdata/orders-lag-week.csv",
//		})
//		res.Golden(t, "testdata/orders-consumer.timeline.csv")
//		res.Check(t, "replica_hours <= 900", "scale_events_per_hour <= 6")
//	}
//
// A change to the manifest that changes a decision fails Golden with the
// first ticks that differ and the summary's deltas; `go test -update` (after
// RegisterUpdateFlag) or REPLAYTEST_UPDATE=1 rewrites the golden files, so
// that the change shows as a diff in review. See docs/regression.md.
package replaytest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/autoreplay/autoreplay/manifest"
	"github.com/autoreplay/autoreplay/replay"
	"github.com/autoreplay/autoreplay/replay/trace"
	"github.com/autoreplay/autoreplay/tune"
)

// Case is a manifest replayed on a trace.
type Case struct {
	// Manifest is the YAML file with the HorizontalPodAutoscaler or
	// ScaledObject; Name picks the object when it holds several.
	Manifest, Name string
	// Options are the controller's settings the manifest does not carry
	// (the HPA tolerance, the downscale stabilization window).
	Options manifest.Options
	// Trace is the trace: .csv, .parquet, or .json (a Prometheus
	// query_range result, mapped to columns by Prom).
	Trace string
	Prom  trace.PromOptions
	// Region replays only this region of the trace; "" replays all.
	Region string
	// Configure, when set, adjusts the replay before it runs: the model,
	// Kafka partitions, the sync period, column mappings. It runs before
	// the summary is set up, so it may still add to Summary.SLO's map.
	Configure func(*replay.Config)
	// Summary sets the flap window and the bounds of the closed loop's
	// series for the summary.
	Summary replay.SummaryOptions
}

// Result is the outcome of a replay.
type Result struct {
	Case Case
	// Object is the replayed object, e.g. "ScaledObject orders-consumer".
	Object string
	// Columns describe the timeline.
	Columns replay.Columns
	// Timeline is the CSV timeline, as `replay run -o timeline.csv` writes
	// it (docs/replay.md §9).
	Timeline []byte
	// Summary is the replay's summary with Case.Summary.
	Summary replay.Summary
	// rows are the steps, without their decisions, for summaries with
	// other options.
	rows []replay.Row
}

// Replay runs a case.
func Replay(c Case) (*Result, error) {
	obj, cfg, err := load(c)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(c.Trace)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := trace.Open(c.Trace, f, c.Prom)
	if err != nil {
		return nil, err
	}
	if c.Region != "" {
		r = trace.Region(r, c.Region)
	}
	if c.Configure != nil {
		c.Configure(&cfg)
	}
	rp, err := replay.New(cfg, r.Header())
	if err != nil {
		return nil, fmt.Errorf("%s with %s: %w", c.Manifest, c.Trace, err)
	}
	if err := c.Summary.Validate(); err != nil {
		return nil, err
	}
	res := &Result{Case: c, Object: obj, Columns: rp.Columns()}
	var tl bytes.Buffer
	w := replay.NewCSVTimeline(&tl, res.Columns)
	sum := replay.NewSummarizer(res.Columns, c.Summary)
	if _, err := rp.Run(r, func(row *replay.Row) error {
		sum.Add(row)
		kept := *row
		kept.HPA, kept.KEDA = nil, nil
		kept.Seen, kept.Actual = slices.Clone(row.Seen), slices.Clone(row.Actual)
		res.rows = append(res.rows, kept)
		return w.Write(row)
	}); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	res.Timeline, res.Summary = tl.Bytes(), sum.Summary()
	return res, nil
}

// Run runs a case in a test, which it fails at once when the case cannot
// run: a manifest or trace that does not load, a trace without the
// manifest's columns.
func Run(t testing.TB, c Case) *Result {
	t.Helper()
	res, err := Replay(c)
	if err != nil {
		t.Fatalf("replaytest: %v", err)
	}
	return res
}

// load reads the case's object.
func load(c Case) (string, replay.Config, error) {
	if c.Manifest == "" || c.Trace == "" {
		return "", replay.Config{}, errors.New("a case needs a Manifest and a Trace")
	}
	b, err := os.ReadFile(c.Manifest)
	if err != nil {
		return "", replay.Config{}, err
	}
	objs, err := manifest.ParseObjects(c.Manifest, b, c.Options)
	if err != nil {
		return "", replay.Config{}, err
	}
	config := func(o manifest.Object) replay.Config {
		if o.HPA != nil {
			return replay.Config{HPA: &o.HPA.Spec}
		}
		return replay.Config{ScaledObject: &o.ScaledObject.Spec}
	}
	for _, o := range objs {
		if o.Name() == c.Name {
			return o.String(), config(o), nil
		}
	}
	var names []string
	for _, o := range objs {
		names = append(names, o.String())
	}
	switch {
	case len(objs) == 0:
		return "", replay.Config{}, fmt.Errorf("%s: no HorizontalPodAutoscaler or ScaledObject", c.Manifest)
	case c.Name != "":
		return "", replay.Config{}, fmt.Errorf("%s: no object named %q; it holds %v", c.Manifest, c.Name, names)
	case len(objs) > 1:
		return "", replay.Config{}, fmt.Errorf("%s holds %v: set Case.Name", c.Manifest, names)
	}
	return objs[0].String(), config(objs[0]), nil
}

// Figures returns the named figures of a region's summary, as `replay
// tune` computes them (tune.NewMetrics: replica_hours, scale_ups,
// scale_events_per_hour, SERIES.p99, SERIES.above_seconds, …), with the
// bounds slo for the above_* figures. region is "" for a trace without
// regions.
func (r *Result) Figures(region string, slo map[string]float64) (map[string]float64, error) {
	s, merged := r.summary(slo)
	for i := range s.Regions {
		if s.Regions[i].Region == region {
			return figures(s, &s.Regions[i], merged), nil
		}
	}
	var names []string
	for _, g := range s.Regions {
		names = append(names, fmt.Sprintf("%q", g.Region))
	}
	return nil, fmt.Errorf("no region %q in the replay; its regions are %v", region, names)
}

// summary summarizes the replay again with the bounds slo added to the
// case's, which it returns.
func (r *Result) summary(slo map[string]float64) (replay.Summary, map[string]float64) {
	opt := r.Case.Summary
	if len(slo) > 0 {
		merged := map[string]float64{}
		for k, v := range opt.SLO {
			merged[k] = v
		}
		for k, v := range slo {
			merged[k] = v
		}
		opt.SLO = merged
	}
	sum := replay.NewSummarizer(r.Columns, opt)
	for i := range r.rows {
		sum.Add(&r.rows[i])
	}
	return sum.Summary(), opt.SLO
}

// figures computes every figure of one region.
func figures(s replay.Summary, g *replay.RegionSummary, slo map[string]float64) map[string]float64 {
	m := tune.NewMetrics(s.Series, slo)
	vals := make([]float64, len(m.Names()))
	m.Fill(vals, g, g.End.Sub(g.Start).Hours())
	out := map[string]float64{}
	for i, n := range m.Names() {
		out[n] = vals[i]
	}
	return out
}

// Check fails the test for each constraint the replay breaks, in any
// region: "FIGURE OP NUMBER" (replica_hours <= 900, max_replicas < 20,
// scale_events_per_hour <= 6, lag.above_seconds <= 600) or "SERIES <=
// BOUND for PERCENT%" (lag <= 5000 for 99.9%: the closed loop's lag stays
// at or under 5000 for 99.9 % of the time). The syntax and figures are
// those of `replay tune` (docs/tune.md).
func (r *Result) Check(t testing.TB, constraints ...string) {
	t.Helper()
	for _, msg := range r.check(constraints) {
		t.Error(msg)
	}
}

func (r *Result) check(constraints []string) []string {
	var msgs []string
	type parsed struct {
		text string
		c    tune.Constraint
	}
	var cs []parsed
	slo := map[string]float64{}
	for _, s := range constraints {
		c, series, bound, err := tune.ParseConstraint(s)
		if err != nil {
			msgs = append(msgs, "replaytest: "+err.Error())
			continue
		}
		if series != "" {
			slo[series] = bound
		}
		cs = append(cs, parsed{s, c})
	}
	s, merged := r.summary(slo)
	for i := range s.Regions {
		g := &s.Regions[i]
		figs := figures(s, g, merged)
		where := r.Object
		if g.Region != "" {
			where += " in region " + g.Region
		}
		for _, p := range cs {
			v, ok := figs[p.c.Metric]
			if !ok {
				msgs = append(msgs, fmt.Sprintf("replaytest: constraint %q: no figure %q; the figures are %v", p.text, p.c.Metric, sortedKeys(figs)))
				continue
			}
			if !p.c.Holds(v) {
				msgs = append(msgs, fmt.Sprintf("%s on %s: %s is %s, which breaks %q", where, r.Case.Trace, p.c.Metric, formatFigure(v), p.text))
			}
		}
	}
	return msgs
}

func sortedKeys(m map[string]float64) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// formatFigure writes a figure with up to 4 significant digits, as tune
// reports do.
func formatFigure(v float64) string { return fmt.Sprintf("%.4g", v) }
