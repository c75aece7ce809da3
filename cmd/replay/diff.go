package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/autoreplay/autoreplay/cmd/replay/internal/chart"
	"github.com/autoreplay/autoreplay/manifest"
	"github.com/autoreplay/autoreplay/replay"
	"github.com/autoreplay/autoreplay/replay/trace"
	"github.com/autoreplay/autoreplay/replaytest"
	"github.com/autoreplay/autoreplay/tune"
)

const diffExamples = `  # What does a change to the manifest do on last week's lag? For a pull request:
  replay diff -f main/orders-consumer.yaml -f orders-consumer.yaml --trace lag.csv \
    --model queue --arrivals arrivals --throughput 12 --slo 10000 --plot diff.png

  # CI: fail (exit 1) when the change costs more than 5 % replica-hours or one
  # more scale event an hour in any region:
  replay diff -f old.yaml -f new.yaml --trace lag.csv \
    --fail-on replica_hours=+5% --fail-on scale_events_per_hour=+1

  # The change must save at least 10 % replica-hours; list every differing tick:
  replay diff -f old.yaml -f new.yaml --trace lag.csv --fail-on replica_hours=-10% --max-ticks 0
`

// side is one manifest of a diff, replayed.
type side struct {
	obj object // its cfg as replayed
	res *replaytest.Result
	tl  *replaytest.Timeline
}

// budget is a --fail-on: the largest change of a figure, relative to the
// old value in percent or absolute.
type budget struct {
	text, figure string
	limit        float64
	relative     bool
}

var budgetSyntax = regexp.MustCompile(`^([+-][0-9]*\.?[0-9]+)(%?)$`)

func parseBudget(s string) (budget, error) {
	fig, b, _ := strings.Cut(s, "=")
	m := budgetSyntax.FindStringSubmatch(b)
	if fig == "" || m == nil {
		names := tune.NewMetrics([]string{"SERIES"}, map[string]float64{"SERIES": 0}).Names()
		return budget{}, fmt.Errorf("--fail-on %q: want FIGURE=+N%% or FIGURE=+N (the largest increase; -N: the least decrease), e.g. replica_hours=+5%%; the figures are %s (SERIES: the closed loop's series; above_*: with --slo)", s, strings.Join(names, ", "))
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return budget{text: b, figure: fig, limit: v, relative: m[2] == "%"}, nil
}

// breaks reports whether d goes beyond the budget: above old + N, or
// old × (1 + N/100). Relative to an old 0, any increase breaks.
func (b budget) breaks(d replaytest.Delta) bool {
	if b.relative {
		return d.New > d.Old*(1+b.limit/100)
	}
	return d.New > d.Old+b.limit
}

func diffCmd(args []string, stdout, stderr io.Writer) error {
	var s setup
	var plotFile string
	var failOn []string
	var maxTicks int
	fs := newFlags("diff", "Replay a trace through two versions of a manifest and show what the change does: the summary's figures, the ticks whose replicas differ.",
		"replay diff -f OLD.yaml -f NEW.yaml --trace TRACE [--plot IMAGE] [--fail-on FIGURE=BUDGET]... [flags]", diffExamples, stdout)
	s.flags(fs)
	fs.StringVar(&plotFile, "plot", "", "draw the new replicas against the old, per region: .png or .svg")
	fs.StringArrayVar(&failOn, "fail-on", nil, "FIGURE=+N% or FIGURE=+N: exit 1 when a region's figure grows more (-N: shrinks less) (repeatable)")
	fs.IntVar(&maxTicks, "max-ticks", 10, "how many differing ticks to list (0: all)")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("diff: unexpected argument %q (the manifests are given with -f)", fs.Arg(0))
	case len(s.files) != 2:
		return fmt.Errorf("diff: give two manifests, -f OLD -f NEW (got %d)", len(s.files))
	case maxTicks < 0:
		return fmt.Errorf("diff: --max-ticks %d: want 0 (all) or more", maxTicks)
	}
	var budgets []budget
	for _, f := range failOn {
		b, err := parseBudget(f)
		if err != nil {
			return err
		}
		budgets = append(budgets, b)
	}
	if plotFile != "" {
		if _, err := imageFormat(plotFile); err != nil {
			return err
		}
	}
	if err := s.configure(&replay.Config{}); err != nil { // the flags, before any file
		return err
	}
	_, c, err := s.openTrace() // its errors before any replay
	if err != nil {
		return err
	}
	c.Close()
	slo := map[string]float64{} // filled by replayFile with the modelled series
	older, err := s.replayFile(s.files[0], slo)
	if err != nil {
		return err
	}
	newer, err := s.replayFile(s.files[1], slo)
	if err != nil {
		return err
	}
	ds, err := replaytest.Deltas(older.res.Summary, newer.res.Summary, slo)
	if err != nil {
		return fmt.Errorf("%s and %s: %w", s.files[0], s.files[1], err)
	}
	figures := tune.NewMetrics(newer.res.Summary.Series, slo).Names() // those of ds
	for _, b := range budgets {
		if !slices.Contains(figures, b.figure) {
			return fmt.Errorf("--fail-on %q: no figure %q; the figures are %s", b.figure+"="+b.text, b.figure, strings.Join(figures, ", "))
		}
	}

	fmt.Fprintf(stdout, "OLD: %s (%s)\nNEW: %s (%s)\ntrace: %s\n\nsummary (old → new):\n", older.obj, s.files[0], newer.obj, s.files[1], s.traceFile)
	replaytest.WriteDeltas(stdout, ds, false)
	writeTickDiffs(stdout, older, newer, maxTicks)
	if plotFile != "" {
		if err := writeAtomic(plotFile, func(w io.Writer) error { return drawDiff(w, plotFile, older, newer, ds, s.slo) }); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nwrote %s\n", plotFile)
	}
	return checkBudgets(stdout, ds, budgets)
}

// replayFile replays one manifest with the flags, as replay run does; slo
// gets the --slo bound of the modelled series.
func (s *setup) replayFile(file string, slo map[string]float64) (*side, error) {
	opt := manifest.Options{Tolerance: s.tolerance, DownscaleStabilizationWindow: s.downscale}
	o, err := pickObject([]string{file}, s.name, opt, os.ReadFile)
	if err != nil {
		return nil, nameFile(file, err)
	}
	var cerr error
	res, err := replaytest.Replay(replaytest.Case{
		Manifest: file, Name: o.name, Options: opt, Region: s.region, Trace: s.traceFile,
		Prom: trace.PromOptions{Column: s.column, ColumnLabel: s.columnLabel, RegionLabel: s.regionLabel},
		// The summarizer reads slo after Configure: the series is known then.
		Summary: replay.SummaryOptions{SLO: slo},
		Configure: func(cfg *replay.Config) {
			if cerr = s.configure(cfg); cerr != nil {
				return
			}
			if len(cfg.Workloads) == 1 && cfg.Workloads[0].Series == "" {
				if cfg.Workloads[0].Series = onlySeries(*cfg); cfg.Workloads[0].Series == "" {
					cerr = fmt.Errorf("%s reads several series: name the one the model computes with --series", o)
				}
			}
			if s.slo > 0 && len(cfg.Workloads) > 0 {
				slo[cfg.Workloads[0].Series] = s.slo
			}
			o.cfg = *cfg
		},
	})
	switch {
	case cerr != nil: // the replay failed for it, if at all
		return nil, nameFile(file, cerr)
	case err != nil && s.region != "" && strings.HasPrefix(err.Error(), fmt.Sprintf("region %q:", s.region)):
		return nil, fmt.Errorf("--%w", err) // as replay run says it
	case err != nil:
		return nil, nameFile(file, err)
	}
	tl, err := replaytest.ReadTimeline(file, res.Timeline)
	if err != nil {
		return nil, err
	}
	return &side{obj: o, res: res, tl: tl}, nil
}

// nameFile puts the file in front of an error that does not name it.
func nameFile(file string, err error) error {
	if strings.Contains(err.Error(), file) {
		return err
	}
	return fmt.Errorf("%s: %w", file, err)
}

// writeTickDiffs writes how many ticks differ in replicas, per region, and
// the first limit of them (0: all).
func writeTickDiffs(w io.Writer, older, newer *side, limit int) {
	diffs := replaytest.DiffTicks(older.tl, newer.tl, func(a, b *replaytest.Tick) bool { return a.Replicas == b.Replicas })
	ticks, differ := map[string]int{}, map[string]int{}
	for _, t := range newer.tl.Ticks {
		ticks[t.Region]++
	}
	for _, d := range diffs {
		differ[d.Region()]++
		if d.New == nil {
			ticks[d.Region()]++ // a tick of the old replay only
		}
	}
	fmt.Fprintln(w, "\nticks:")
	for _, g := range newer.res.Summary.Regions {
		where := ""
		if g.Region != "" {
			where = g.Region + ": "
		}
		fmt.Fprintf(w, "  %s%d of %d ticks differ in replicas\n", where, differ[g.Region], ticks[g.Region])
	}
	if len(diffs) == 0 {
		return
	}
	shown := diffs
	if limit > 0 && len(diffs) > limit {
		shown = diffs[:limit]
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  time\tregion\tsource\told\tnew\told reasons\tnew reasons")
	// A tick on one side only, or without reasons, shows "-".
	cells := func(t *replaytest.Tick) (replicas, reasons string) {
		if t == nil {
			return "-", "-"
		}
		return t.Replicas, orDash(t.Reasons)
	}
	for _, d := range shown {
		src := d.Old
		if d.New != nil {
			src = d.New
		}
		or, oreasons := cells(d.Old)
		nr, nreasons := cells(d.New)
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Time(), orDash(d.Region()), src.Source, or, nr, oreasons, nreasons)
	}
	tw.Flush()
	if len(shown) < len(diffs) {
		fmt.Fprintf(w, "  (the first %d of %d; --max-ticks 0 lists all)\n", len(shown), len(diffs))
	}
}

// checkBudgets prints the budgets that a region broke and fails if any did.
func checkBudgets(w io.Writer, ds []replaytest.Delta, budgets []budget) error {
	if len(budgets) == 0 {
		return nil
	}
	var broken []string
	for _, d := range ds {
		for _, b := range budgets {
			if b.figure == d.Figure && b.breaks(d) {
				change := fmt.Sprintf("%+.1f%%", 100*d.Change())
				if math.IsNaN(d.Change()) {
					change = fmt.Sprintf("%+.4g", d.New-d.Old)
				}
				broken = append(broken, fmt.Sprintf("  %s\t%s\t%s → %s\t%s\tbudget %s\n", orDash(d.Region), d.Figure, figure(d.Old), figure(d.New), change, b.text))
			}
		}
	}
	if len(broken) == 0 {
		fmt.Fprintf(w, "\nbudgets: all %d hold in every region\n", len(budgets))
		return nil
	}
	fmt.Fprintln(w, "\nbudgets broken:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, l := range broken {
		fmt.Fprint(tw, l)
	}
	tw.Flush()
	return &checkFailed{fmt.Sprintf("diff: budgets broken (--fail-on): %d", len(broken))}
}

// drawDiff draws one panel per region: the new replay's metrics and
// replicas, with the old replicas as a second line.
func drawDiff(w io.Writer, file string, older, newer *side, ds []replaytest.Delta, slo float64) error {
	format, err := imageFormat(file)
	if err != nil {
		return err
	}
	pds := make([]*plotData, 2)
	for i, sd := range []*side{older, newer} {
		if pds[i], err = readTimeline(sd.obj.file, bytes.NewReader(sd.res.Timeline), sd.obj); err != nil {
			return err
		}
	}
	c := chart.Chart{Title: fmt.Sprintf("%s: %s (new) against %s (old), %s loop", newer.obj, filepath.Base(newer.obj.file), filepath.Base(older.obj.file), newer.res.Columns.Loop)}
	var notes []string
	for _, d := range ds {
		if d.Figure == "replica_hours" {
			notes = append(notes, fmt.Sprintf("%s: replica_hours %s → %s", orDash(d.Region), figure(d.Old), figure(d.New)))
		}
	}
	c.Subtitle = strings.Join(notes, " · ")
	for _, p := range pds[1].regions {
		op := pds[0].panel(p.Region)
		q := *p
		q.ReplicasLabel = "replicas (new)"
		q.Desired, q.Ready = nil, nil
		q.Compare = []chart.Line{{Label: "replicas (old)", Times: op.Times, Values: op.Replicas}}
		q.Min, q.Max = math.Min(p.Min, op.Min), math.Max(p.Max, op.Max)
		for k := range q.Metrics {
			if strings.HasPrefix(q.Metrics[k].Name, "actual ") {
				q.Metrics[k].SLO = slo
			}
		}
		c.Panels = append(c.Panels, q)
	}
	return chart.Draw(w, format, chart.DefaultWidth, chart.DefaultHeight(max(1, len(c.Panels))), c)
}
