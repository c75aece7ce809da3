package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/autoreplay/autoreplay/manifest"
	"github.com/autoreplay/autoreplay/replay"
	"github.com/autoreplay/autoreplay/replay/trace"
	"github.com/autoreplay/autoreplay/tune"
)

const tuneExamples = `  # The cheapest threshold and scale-down window that keep the lag under 5,000
  # for 99.9 % of the time, per region, in the closed loop:
  replay tune -f orders-consumer.yaml --trace lag.csv --model queue --arrivals arrivals \
    --throughput 40 --partitions lag=24 \
    --param triggers.lag.threshold=500:5000:500 --param scaleDown.window=0,300,600,1800 \
    --constraint 'lag <= 5000 for 99.9%' --constraint 'scale_events_per_hour <= 6' \
    --manifests tuned/ --plot-front front.png --plot-heatmap heat.png --plot-compare compare.png

  # The same study from a file, on 4 machines, then merged:
  replay tune -f orders-consumer.yaml --trace lag.csv --space study.yaml --shard 2/4 -o shard-2.csv
  replay tune merge -f orders-consumer.yaml --trace lag.csv --space study.yaml shard-*.csv --manifests tuned/
`

// tuneFlags are the flags of tune and tune merge.
type tuneFlags struct {
	setup
	space       string
	params      []string
	objective   string
	constraints []string
	top         int
	prune       bool
	frontY      string
	heatmap     string

	evaluations string
	frontFile   string
	manifests   string
	plotFront   string
	plotHeat    string
	plotCompare string
	width       float64
	height      float64
}

func (f *tuneFlags) register(fs *pflag.FlagSet) {
	f.setup.flags(fs)
	fs.StringVar(&f.space, "space", "", "a study file: parameters, objective, constraints, top (docs/tune.md)")
	fs.StringArrayVar(&f.params, "param", nil, "NAME=VALUES: a setting and its values, a,b,c or start:stop:step (repeatable)")
	fs.StringVar(&f.objective, "objective", "", "the figure to minimise (default replica_hours)")
	fs.StringArrayVar(&f.constraints, "constraint", nil, "FIGURE OP NUMBER, or SERIES <= BOUND for PERCENT% (repeatable)")
	fs.IntVar(&f.top, "top", 0, "configurations ranked per region (default 10)")
	fs.BoolVar(&f.prune, "prune", true, "stop a replay once a constraint on a growing figure is broken")
	fs.StringVar(&f.frontY, "front-y", "", "the figure the Pareto front sets against the objective")
	fs.StringVar(&f.heatmap, "heatmap", "", "X,Y: the two parameters of the heatmap (default the first two with several values)")
	fs.StringVarP(&f.evaluations, "output", "o", "", "write every evaluation: .csv (the shard file tune merge reads) or .parquet")
	fs.StringVar(&f.frontFile, "front", "", "write the Pareto fronts (CSV)")
	fs.StringVar(&f.manifests, "manifests", "", "write the tuned manifest of each region into this directory")
	fs.StringVar(&f.plotFront, "plot-front", "", "draw the Pareto fronts: .png or .svg")
	fs.StringVar(&f.plotHeat, "plot-heatmap", "", "draw the heatmap: .png or .svg")
	fs.StringVar(&f.plotCompare, "plot-compare", "", "draw the tuned configurations against the manifest as written: .png or .svg")
	fs.Float64Var(&f.width, "width", 0, "plot width in points (0: the default)")
	fs.Float64Var(&f.height, "height", 0, "plot height per region in points (0: the default)")
}

// check validates the output names before any work.
func (f *tuneFlags) check() error {
	if ext := strings.ToLower(filepath.Ext(f.evaluations)); f.evaluations != "" && ext != ".csv" && ext != ".parquet" {
		return fmt.Errorf("-o %s: want a .csv or .parquet file", f.evaluations)
	}
	if f.frontFile != "" && strings.ToLower(filepath.Ext(f.frontFile)) != ".csv" {
		return fmt.Errorf("--front %s: want a .csv file", f.frontFile)
	}
	for _, p := range [][2]string{{"--plot-front", f.plotFront}, {"--plot-heatmap", f.plotHeat}, {"--plot-compare", f.plotCompare}} {
		if _, err := imageFormat(p[1]); p[1] != "" && err != nil {
			return fmt.Errorf("%s %s: unknown image format %q: want .png or .svg", p[0], p[1], filepath.Ext(p[1]))
		}
	}
	if f.top < 0 {
		return fmt.Errorf("--top %d: want a number > 0", f.top)
	}
	return nil
}

// study reads the manifest, the trace and the study and prepares it.
func (f *tuneFlags) study() (*tune.Study, tune.ReportOptions, error) {
	var ro tune.ReportOptions
	if len(f.files) != 1 {
		return nil, ro, errors.New("tune: give the manifest to tune with one -f/--filename")
	}
	data, err := f.readFile(f.files[0])
	if err != nil {
		return nil, ro, err
	}
	opt := manifest.Options{Tolerance: f.tolerance, DownscaleStabilizationWindow: f.downscale}
	base, err := tune.NewBase(f.files[0], data, f.name, opt)
	if err != nil {
		return nil, ro, err
	}
	var cfg replay.Config
	if err := f.configure(&cfg); err != nil {
		return nil, ro, err
	}
	if len(cfg.Workloads) == 1 && cfg.Workloads[0].Series == "" {
		if cfg.Workloads[0].Series = onlySeries(base.Config()); cfg.Workloads[0].Series == "" {
			return nil, ro, fmt.Errorf("%s %s reads several series: name the one the model computes with --series", base.Kind(), base.Name())
		}
	}
	var space tune.Space
	objective, constraints := f.objective, f.constraints
	ro.Top = f.top
	if f.space != "" {
		b, err := f.readFile(f.space)
		if err != nil {
			return nil, ro, err
		}
		sf, err := tune.ParseFile(f.space, b)
		if err != nil {
			return nil, ro, err
		}
		space.Params = sf.Params
		if objective == "" {
			objective = sf.Objective
		}
		constraints = append(slices.Clone(sf.Constraints), constraints...)
		if ro.Top == 0 {
			ro.Top = sf.Top
		}
	}
	for _, p := range f.params {
		pp, err := tune.ParseParam(p)
		if err != nil {
			return nil, ro, fmt.Errorf("--param: %w", err)
		}
		space.Params = append(space.Params, pp)
	}
	if len(space.Params) == 0 {
		return nil, ro, errors.New("tune: nothing to vary: give --param NAME=VALUES or a --space file")
	}
	var slo map[string]float64
	if f.slo > 0 && len(cfg.Workloads) > 0 {
		slo = map[string]float64{cfg.Workloads[0].Series: f.slo}
	}
	goal, err := tune.ParseGoal(objective, constraints, slo)
	if err != nil {
		return nil, ro, err
	}
	r, closer, err := f.openTrace()
	if err != nil {
		return nil, ro, err
	}
	defer closer.Close()
	table, err := trace.ReadAll(r)
	if err != nil {
		return nil, ro, err
	}
	st, err := tune.NewStudy(tune.Input{Base: base, Space: space, Replay: cfg, Trace: table, Goal: goal, Prune: f.prune})
	if err != nil {
		return nil, ro, fmt.Errorf("%s with %s: %w", f.files[0], f.traceFile, err)
	}
	ro.FrontY = f.frontY
	if f.heatmap != "" {
		x, y, ok := strings.Cut(f.heatmap, ",")
		if !ok {
			return nil, ro, fmt.Errorf("--heatmap %q: want X,Y (two parameter names)", f.heatmap)
		}
		ro.HeatX, ro.HeatY = strings.TrimSpace(x), strings.TrimSpace(y)
	}
	return st, ro, nil
}

// collector returns the ranking's collector, and the points of the front
// plot when one is asked for.
func (f *tuneFlags) collector(st *tune.Study, ro tune.ReportOptions) (*tune.Collector, *frontPoints, error) {
	col, err := st.NewCollector(ro)
	if err != nil || f.plotFront == "" {
		return col, nil, err
	}
	return col, newFrontPoints(st, col), nil
}

func tuneCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "merge" {
		return tuneMergeCmd(args[1:], stdout, stderr)
	}
	var f tuneFlags
	var workers, shards int
	var shard string
	fs := newFlags("tune", "Search the settings of a HorizontalPodAutoscaler or ScaledObject on a trace, per region.",
		"replay tune -f MANIFEST --trace TRACE (--param NAME=VALUES... | --space STUDY.yaml) [flags]\n  replay tune merge -f MANIFEST --trace TRACE (--param ... | --space ...) SHARD.csv...", tuneExamples, stdout)
	f.register(fs)
	fs.IntVar(&workers, "workers", 0, "configurations replayed at once (default GOMAXPROCS)")
	fs.StringVar(&shard, "shard", "", "I/N: evaluate the I-th of N slices of the grid (default JOB_COMPLETION_INDEX/--shards)")
	fs.IntVar(&shards, "shards", 0, "N: the number of slices, the shard index from $JOB_COMPLETION_INDEX (an Indexed Job)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("tune: unexpected argument %q (evaluation files are merged with replay tune merge)", fs.Arg(0))
	}
	if err := f.check(); err != nil {
		return err
	}
	sh, err := shardOf(shard, shards)
	if err != nil {
		return err
	}
	if workers < 0 {
		return fmt.Errorf("--workers %d: want a number >= 0", workers)
	}
	st, ro, err := f.study()
	if err != nil {
		return err
	}
	col, fp, err := f.collector(st, ro)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	prog := newProgress(stderr, "configurations")
	opt := tune.Options{Workers: workers, Shard: sh, Progress: prog.update}
	done := 0
	runTo := func(w io.Writer) error {
		var ew evalWriter
		if w != nil {
			var err error
			if ew, err = newEvalWriter(st, w, f.evaluations, sh); err != nil {
				return err
			}
		}
		err := st.Run(ctx, opt, func(recs []tune.Record) error {
			done++
			if fp != nil {
				fp.add(recs)
			}
			if ew != nil {
				if err := ew.Write(recs); err != nil {
					return err
				}
			}
			return col.Add(recs)
		})
		prog.finish()
		if err != nil || ew == nil {
			return err
		}
		return ew.Close()
	}
	if f.evaluations != "" {
		err = writeAtomic(f.evaluations, runTo)
	} else {
		err = runTo(nil)
	}
	rep := col.Report()
	if errors.Is(err, context.Canceled) {
		total := sh.Configs(st.Size())
		fmt.Fprintf(stdout, "interrupted: the best of the first %d of %d configurations\n\n", done, total)
		writeReport(stdout, st, rep, sh)
		return fmt.Errorf("interrupted after %d of %d configurations; no file written", done, total)
	}
	if err != nil {
		return err
	}
	return f.present(st, rep, sh, fp, stdout, stderr)
}

// evalWriter writes an evaluation file, CSV or Parquet.
type evalWriter interface {
	Write([]tune.Record) error
	Close() error
}

type csvEval struct{ *tune.EvalWriter }

func (c csvEval) Close() error { return c.Flush() }

func newEvalWriter(st *tune.Study, w io.Writer, name string, sh tune.Shard) (evalWriter, error) {
	if strings.ToLower(filepath.Ext(name)) == ".parquet" {
		return st.NewEvalParquetWriter(w, sh)
	}
	ew, err := st.NewEvalWriter(w, sh)
	return csvEval{ew}, err
}

// shardOf resolves --shard, --shards and $JOB_COMPLETION_INDEX.
func shardOf(shard string, shards int) (tune.Shard, error) {
	switch {
	case shard != "" && shards != 0:
		return tune.Shard{}, errors.New("--shard I/N and --shards N: give one")
	case shard != "":
		return tune.ParseShard(shard)
	case shards < 0:
		return tune.Shard{}, fmt.Errorf("--shards %d: want a number > 0", shards)
	case shards > 0:
		env := os.Getenv("JOB_COMPLETION_INDEX")
		if env == "" {
			return tune.Shard{}, fmt.Errorf("--shards %d: the shard index comes from $JOB_COMPLETION_INDEX, which is not set (or give --shard I/%d)", shards, shards)
		}
		i, err := strconv.Atoi(env)
		if err != nil {
			return tune.Shard{}, fmt.Errorf("$JOB_COMPLETION_INDEX %q: want a number", env)
		}
		sh := tune.Shard{Index: i, Count: shards}
		_, err = tune.ParseShard(sh.String())
		return sh, err
	}
	return tune.Shard{}, nil
}

func tuneMergeCmd(args []string, stdout, stderr io.Writer) error {
	var f tuneFlags
	fs := newFlags("tune merge", "Merge the evaluation files of the shards of one study into the unsharded answer.",
		"replay tune merge -f MANIFEST --trace TRACE (--param NAME=VALUES... | --space STUDY.yaml) SHARD.csv... [flags]", tuneExamples, stdout)
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("tune merge: give the shards' evaluation files")
	}
	if err := f.check(); err != nil {
		return err
	}
	st, ro, err := f.study()
	if err != nil {
		return err
	}
	var shards []tune.Shard
	var recs [][]tune.Record
	for _, name := range fs.Args() {
		if strings.ToLower(filepath.Ext(name)) != ".csv" {
			return fmt.Errorf("%s: tune merge reads the CSV evaluation files of the shards (-o SHARD.csv)", name)
		}
		b, err := f.readFile(name)
		if err != nil {
			return err
		}
		sh, r, err := st.ReadEval(name, bytes.NewReader(b))
		if err != nil {
			return err
		}
		shards, recs = append(shards, sh), append(recs, r)
	}
	all, err := st.Merge(shards, recs)
	if err != nil {
		return err
	}
	col, fp, err := f.collector(st, ro)
	if err != nil {
		return err
	}
	n := len(st.Regions())
	for i := 0; i < len(all); i += n {
		if err := col.Add(all[i : i+n]); err != nil {
			return err
		}
		if fp != nil {
			fp.add(all[i : i+n])
		}
	}
	if f.evaluations != "" {
		err := writeAtomic(f.evaluations, func(w io.Writer) error {
			ew, err := newEvalWriter(st, w, f.evaluations, tune.Shard{})
			if err != nil {
				return err
			}
			for i := 0; i < len(all); i += n {
				if err := ew.Write(all[i : i+n]); err != nil {
					return err
				}
			}
			return ew.Close()
		})
		if err != nil {
			return err
		}
	}
	return f.present(st, col.Report(), tune.Shard{}, fp, stdout, stderr)
}

// present writes the tables, the files and the plots of a finished study.
func (f *tuneFlags) present(st *tune.Study, rep tune.Report, sh tune.Shard, fp *frontPoints, stdout, stderr io.Writer) error {
	if err := writeReport(stdout, st, rep, sh); err != nil {
		return err
	}
	var wrote []string
	if f.evaluations != "" {
		wrote = append(wrote, f.evaluations)
	}
	if f.frontFile != "" {
		if err := writeAtomic(f.frontFile, func(w io.Writer) error { return writeFront(w, st, rep) }); err != nil {
			return err
		}
		wrote = append(wrote, f.frontFile)
	}
	if f.manifests != "" {
		files, err := writeManifests(f.manifests, st, rep, stderr)
		if err != nil {
			return err
		}
		wrote = append(wrote, files...)
	}
	plots := []struct {
		file string
		draw func(io.Writer, string) error
	}{
		{f.plotFront, func(w io.Writer, format string) error { return drawFront(w, format, f.width, f.height, st, rep, fp) }},
		{f.plotHeat, func(w io.Writer, format string) error { return drawHeatmap(w, format, f.width, f.height, st, rep) }},
		{f.plotCompare, func(w io.Writer, format string) error { return drawCompare(w, format, f.width, f.height, st, rep) }},
	}
	for _, p := range plots {
		if p.file == "" {
			continue
		}
		format, _ := imageFormat(p.file)
		if err := writeAtomic(p.file, func(w io.Writer) error { return p.draw(w, format) }); err != nil {
			return err
		}
		wrote = append(wrote, p.file)
	}
	for _, name := range wrote {
		fmt.Fprintf(stdout, "wrote %s\n", name)
	}
	return nil
}

// columns are the figures the tables show: the objective, the constraints'
// figures and the front's, then replica-hours and scale events per hour.
func columns(st *tune.Study, rep tune.Report) []string {
	cols := []string{rep.Objective}
	for _, c := range st.Goal().Constraints {
		cols = append(cols, c.Metric)
	}
	cols = append(cols, rep.FrontY, tune.ReplicaHours, tune.ScaleEventsPerHour)
	var out []string
	for _, c := range cols {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func writeReport(w io.Writer, st *tune.Study, rep tune.Report, sh tune.Shard) error {
	b := st.Base()
	what := fmt.Sprintf("%d configurations", st.Size())
	if sh.Count > 1 {
		what = fmt.Sprintf("shard %s of %d configurations", sh, st.Size())
	}
	regions := "1 region"
	if n := len(st.Regions()); n != 1 {
		regions = fmt.Sprintf("%d regions", n)
	}
	fmt.Fprintf(w, "%s %s: %s, %s, %s loop\n", b.Kind(), b.Name(), what, regions, st.Columns().Loop)
	goal := st.Goal()
	fmt.Fprintf(w, "objective: minimise %s\n", rep.Objective)
	for _, c := range goal.Constraints {
		fmt.Fprintf(w, "constraint: %s", c.Text)
		if c.Text != fmt.Sprintf("%s %s %v", c.Metric, c.Op, c.Bound) {
			fmt.Fprintf(w, " (%s %s %s)", c.Metric, c.Op, strconv.FormatFloat(c.Bound, 'g', -1, 64))
		}
		fmt.Fprintln(w)
	}
	if st.Columns().Loop == replay.OpenLoop {
		fmt.Fprintln(w, "open loop: the trace's values do not depend on the replicas; the figures are cost and stability only")
	}
	cols := columns(st, rep)
	params := st.Space().Params
	for _, r := range rep.Regions {
		fmt.Fprintf(w, "\nregion %s: %d evaluated, %d feasible, %d infeasible, %d pruned, %d invalid\n",
			orDash(r.Region), r.Evaluated, r.Feasible, r.Infeasible, r.Pruned, r.Invalid)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		head := []string{"rank", "config"}
		for _, p := range params {
			head = append(head, p.Name)
		}
		head = append(append(head, cols...), "feasible")
		fmt.Fprintln(tw, strings.Join(head, "\t"))
		row := func(rank string, e tune.Entry, values []string) {
			cells := []string{rank, configName(e.Config)}
			cells = append(cells, values...)
			for _, c := range cols {
				if e.Status != tune.OK { // a pruned replay's figures are partial
					cells = append(cells, "-")
					continue
				}
				cells = append(cells, figure(e.Metrics[st.Metrics().Index(c)]))
			}
			cells = append(cells, feasibility(e))
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		row("-", r.Current, st.CurrentValues())
		for i, e := range r.Top {
			row(strconv.Itoa(i+1), e, st.Values(e.Config))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(rep.Regions) > 1 {
		fmt.Fprintln(w, "\nregions: the best configuration of each against the manifest as written")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		head := []string{"region", "config"}
		for _, p := range params {
			head = append(head, p.Name)
		}
		for _, c := range cols {
			head = append(head, c, "(current)")
		}
		fmt.Fprintln(tw, strings.Join(head, "\t"))
		for _, r := range rep.Regions {
			best, ok := r.Best()
			if !ok {
				fmt.Fprintf(tw, "%s\tnone feasible\n", orDash(r.Region))
				continue
			}
			cells := []string{orDash(r.Region), configName(best.Config)}
			cells = append(cells, st.Values(best.Config)...)
			for _, c := range cols {
				k := st.Metrics().Index(c)
				cells = append(cells, figure(best.Metrics[k]), figure(r.Current.Metrics[k]))
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		return tw.Flush()
	}
	return nil
}

func configName(i int) string {
	if i == tune.Current {
		return "current"
	}
	return "#" + strconv.Itoa(i)
}

// figure formats a figure for a table: 4 significant digits.
func figure(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

func feasibility(e tune.Entry) string {
	switch {
	case e.Feasible:
		return "yes"
	case e.Status == tune.Invalid:
		return "invalid: " + e.Note
	case e.Status == tune.Pruned:
		return "pruned: " + e.Note
	}
	return "no: " + strings.Join(e.Broken, "; ")
}

// writeFront writes the Pareto fronts as CSV:
// region,config,PARAM…,OBJECTIVE,FRONT_Y.
func writeFront(w io.Writer, st *tune.Study, rep tune.Report) error {
	cw := csv.NewWriter(w)
	head := []string{"region", "config"}
	for _, p := range st.Space().Params {
		head = append(head, p.Name)
	}
	head = append(head, rep.Objective)
	if rep.FrontY != rep.Objective {
		head = append(head, rep.FrontY)
	}
	cw.Write(head)
	xi, yi := st.Metrics().Index(rep.Objective), st.Metrics().Index(rep.FrontY)
	for _, r := range rep.Regions {
		for _, e := range r.Front {
			cells := append([]string{r.Region, strconv.Itoa(e.Config)}, st.Values(e.Config)...)
			cells = append(cells, strconv.FormatFloat(e.Metrics[xi], 'g', -1, 64))
			if rep.FrontY != rep.Objective {
				cells = append(cells, strconv.FormatFloat(e.Metrics[yi], 'g', -1, 64))
			}
			cw.Write(cells)
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeManifests writes each region's best feasible configuration as a
// manifest: DIR/NAME-REGION.yaml (DIR/NAME.yaml without regions).
func writeManifests(dir string, st *tune.Study, rep tune.Report, stderr io.Writer) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var wrote []string
	cols := columns(st, rep)
	for _, r := range rep.Regions {
		best, ok := r.Best()
		if !ok {
			fmt.Fprintf(stderr, "warning: region %s: no configuration meets the constraints: no manifest written\n", orDash(r.Region))
			continue
		}
		doc, err := st.Document(best.Config)
		if err != nil {
			return wrote, err
		}
		name := st.Base().Name()
		if r.Region != "" {
			name += "-" + r.Region
		}
		file := filepath.Join(dir, name+".yaml")
		var head strings.Builder
		fmt.Fprintf(&head, "# Tuned by replay tune for region %s: configuration #%d, the best of %d (%d feasible).\n", orDash(r.Region), best.Config, r.Evaluated, r.Feasible)
		for i, p := range st.Space().Params {
			fmt.Fprintf(&head, "#   %s = %s (was %s)\n", p.Name, st.Values(best.Config)[i], st.CurrentValues()[i])
		}
		for _, c := range cols {
			k := st.Metrics().Index(c)
			fmt.Fprintf(&head, "#   %s: %s (was %s)\n", c, figure(best.Metrics[k]), figure(r.Current.Metrics[k]))
		}
		if err := writeAtomic(file, func(w io.Writer) error {
			if _, err := io.WriteString(w, head.String()); err != nil {
				return err
			}
			_, err := w.Write(doc)
			return err
		}); err != nil {
			return wrote, err
		}
		wrote = append(wrote, file)
	}
	return wrote, nil
}

// progress draws a progress bar with the time left on a terminal, and
// nothing elsewhere.
type progress struct {
	w     io.Writer
	noun  string
	tty   bool
	start time.Time
	last  time.Time
	drawn bool
}

func newProgress(w io.Writer, noun string) *progress {
	p := &progress{w: w, noun: noun, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) update(done, total int) {
	if !p.tty {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 200*time.Millisecond && done < total {
		return
	}
	p.last = now
	const width = 30
	filled := width * done / max(total, 1)
	elapsed := now.Sub(p.start)
	left := "?"
	if done > 0 {
		left = (time.Duration(float64(elapsed) * float64(total-done) / float64(done))).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d %s, %s left ", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done, total, p.noun, left)
	p.drawn = true
}

func (p *progress) finish() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
