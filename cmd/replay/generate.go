package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/autoreplay/autoreplay/replay/gen"
	"github.com/autoreplay/autoreplay/replay/trace"
)

const generateSynopsis = `Generate a synthetic trace: daily cycles, launch spikes, noise, outages and stuck
consumers, per region. Each --pattern is one column; its patterns apply left to right to
a value starting at 0, which is then scaled by the region and clamped at 0:

  constant(value)                                  adds value
  diurnal(mean, [amplitude=0.5], [peak=14:00], [weekend=1])
                                                   adds a daily cycle in local time
  ramp(from, to, [start=0s], [end=last row])       adds a linear ramp
  step(at, by)                                     adds by from offset at
  sine(amplitude, period, [phase=0s])              adds a sine wave
  spike(height, [width=30m], count | every=D | at=D)
                                                   multiplies by spikes at random times, or at D
  noise(sd, [add])                                 multiplies by 1+N(0,sd), or adds N(0,sd)
  outage(at, for, [kind=zero|failed])              zeros, or failed scrapes (empty cells)
  stuck(at, for, rate)                             grows by rate per second from at, for a while

Offsets (at, start, end, phase) count from --start; durations take d and w (7d, 1d12h).
See docs/generate.md.`

const generateExamples = `  # A launch week of a web service's request rate in two regions (us-east is UTC-5,
  # eu-west UTC+1 with 40 % of the traffic), the launch on Wednesday at 15:00 UTC:
  replay generate --pattern 'rps=diurnal(mean=200,amplitude=0.6,peak=14:00,weekend=0.5),spike(height=10,width=2h,at=2d15h),noise(sd=0.05)' \
    --region us-east=1@-5h --region eu-west=0.4@1h --duration 7d --step 1m -o rps.csv

  # A consumer's lag: stuck for 20 minutes on Tuesday morning, and ten minutes of failed scrapes:
  replay generate --pattern 'lag=diurnal(mean=500,amplitude=0.8),noise(sd=0.1),stuck(at=1d9h,for=20m,rate=40),outage(at=3d2h,for=10m,kind=failed)' \
    -o lag.parquet

  # Replay what was generated (the column names the trigger):
  replay generate --pattern 'requests_per_minute=diurnal(mean=60),noise(sd=0.05)' -o trace.csv
  replay run -f examples/capture/gateway.yaml --trace trace.csv --plot replicas.png
`

// generateCmd is replay generate.
func generateCmd(args []string, stdout, stderr io.Writer) error {
	var (
		patterns, regions     []string
		duration, step, start string
		seed                  uint64
		out                   string
	)
	fs := newFlags("generate", generateSynopsis,
		"replay generate --pattern NAME=PATTERN[,PATTERN...]... [--region NAME=SCALE[@SHIFT]...] [--duration 7d] [--step 15s] [--start TIME] [--seed N] -o TRACE",
		generateExamples, stdout)
	fs.StringArrayVar(&patterns, "pattern", nil, "NAME=PATTERN[,PATTERN...]: the column NAME and its shape (repeatable: one per column)")
	fs.StringVar(&duration, "duration", "7d", "the span of the trace (the end is excluded): 7d, 2w, 36h")
	fs.StringVar(&step, "step", "15s", "the time between rows")
	fs.StringVar(&start, "start", gen.DefaultStart().Format(time.RFC3339), "the first row's time: RFC 3339 or Unix seconds")
	fs.Uint64Var(&seed, "seed", 1, "seeds the random patterns (spike, noise): the same seed, the same trace")
	fs.StringArrayVar(&regions, "region", nil, "NAME=SCALE[@SHIFT]: generate every column in region NAME, scaled by SCALE, with the local time UTC+SHIFT, e.g. eu-west=0.4@1h (repeatable)")
	fs.StringVarP(&out, "output", "o", "", "the trace to write: .csv, .parquet, or - for CSV on stdout")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("generate: unexpected argument %q (patterns are given with --pattern NAME=PATTERN)", fs.Arg(0))
	}
	if len(patterns) == 0 {
		return errors.New("generate: no column: give one --pattern NAME=PATTERN per column, e.g. --pattern 'rps=diurnal(mean=100)'")
	}
	if out == "" {
		return errors.New("generate: no output: give the trace to write with -o (.csv, .parquet, or -)")
	}
	format := strings.ToLower(filepath.Ext(out))
	if out != "-" && format != ".csv" && format != ".parquet" {
		return fmt.Errorf("-o %s: unknown trace format %q: want .csv or .parquet", out, format)
	}
	spec := gen.Spec{Seed: seed}
	var err error
	if spec.Duration, err = positiveDuration("--duration", duration); err != nil {
		return err
	}
	if spec.Step, err = positiveDuration("--step", step); err != nil {
		return err
	}
	if spec.Duration < spec.Step {
		return fmt.Errorf("--duration %s: want at least one --step (%s)", duration, step)
	}
	if spec.Start, err = parseInstant(start); err != nil {
		return fmt.Errorf("--start %q: %w", start, err)
	}
	for _, p := range patterns {
		name, text, ok := strings.Cut(p, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, "(),") {
			return fmt.Errorf("--pattern %q: want NAME=PATTERN, e.g. rps=diurnal(mean=100)", p)
		}
		ps, err := gen.Parse(text)
		if err != nil {
			return fmt.Errorf("--pattern %q: %w", p, err)
		}
		spec.Series = append(spec.Series, gen.Series{Name: name, Patterns: ps})
	}
	for _, r := range regions {
		reg, err := parseRegion(r)
		if err != nil {
			return fmt.Errorf("--region %q: %w", r, err)
		}
		spec.Regions = append(spec.Regions, reg)
	}
	res, err := gen.Run(spec)
	var se *gen.SeriesError
	var re *gen.RegionError
	switch {
	case errors.As(err, &se):
		msg := se.Err.Error()
		if se.Pattern != nil {
			kind, _, _ := strings.Cut(se.Pattern.String(), "(")
			msg = kind + ": " + msg
		}
		return fmt.Errorf("--pattern %q: %s", patterns[se.Index], msg)
	case errors.As(err, &re):
		return fmt.Errorf("--region %q: %w", regions[re.Index], re.Err)
	case err != nil:
		return fmt.Errorf("generate: %w", err)
	}

	write := func(w io.Writer) error { return writeTrace(w, format, res.Table) }
	if out == "-" {
		if err := write(stdout); err != nil {
			return err
		}
		return writeGenerateSummary(stderr, spec, res, out)
	}
	if err := writeAtomic(out, write); err != nil {
		return err
	}
	return writeGenerateSummary(stdout, spec, res, out)
}

// positiveDuration reads a flag's duration: gen.ParseDuration, above 0.
func positiveDuration(flag, s string) (time.Duration, error) {
	d, err := gen.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", flag, s, err)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%s %s: want a positive duration", flag, s)
	}
	return d, nil
}

// parseRegion reads NAME=SCALE[@SHIFT].
func parseRegion(s string) (gen.Region, error) {
	name, rest, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return gen.Region{}, errors.New("want NAME=SCALE[@SHIFT], e.g. eu-west=0.4@1h")
	}
	scale, shift, hasShift := strings.Cut(rest, "@")
	r := gen.Region{Name: name}
	v, err := strconv.ParseFloat(strings.TrimSpace(scale), 64)
	if err != nil || !(v >= 0) || math.IsInf(v, 1) {
		return r, fmt.Errorf("scale %q: want a number >= 0 (1: as generated, 0.4: 40 %%)", scale)
	}
	r.Scale = v
	if hasShift {
		d, err := gen.ParseDuration(strings.TrimSpace(shift))
		if err != nil || d < -gen.MaxShift || d > gen.MaxShift {
			return r, fmt.Errorf("shift %q: want the region's UTC offset, -24h to 24h, e.g. -5h, 1h, 5h30m", shift)
		}
		r.Shift = d
	}
	return r, nil
}

// columnStats are one series' figures in one region.
type columnStats struct {
	min, max, sum float64
	n, failed     int
}

// writeGenerateSummary says what was generated: rows, time range, per
// column and region the min, mean and max, and per pattern where the
// spikes fell.
func writeGenerateSummary(w io.Writer, spec gen.Spec, res *gen.Result, out string) error {
	tb := res.Table
	regionNames := []string{""}
	if tb.Header.Region {
		regionNames = regionNames[:0]
		for _, r := range spec.Regions {
			regionNames = append(regionNames, r.Name)
		}
	}
	nr := len(regionNames)
	rows := len(tb.Samples)
	first, last := tb.Samples[0].Time, tb.Samples[rows-1].Time
	times := fmt.Sprintf("%d rows", rows)
	if tb.Header.Region {
		times = fmt.Sprintf("%d rows (%d times × %d regions)", rows, rows/nr, nr)
	}
	fmt.Fprintf(w, "generated %s: %s … %s every %s, seed %d\n\n", times, first.Format(time.RFC3339Nano), last.Format(time.RFC3339Nano), gen.FormatDuration(spec.Step), spec.Seed)

	stats := make([]columnStats, len(tb.Header.Series)*nr)
	for i := range stats {
		stats[i] = columnStats{min: math.Inf(1), max: math.Inf(-1)}
	}
	for i, s := range tb.Samples {
		r := i % nr
		for k, v := range s.Values {
			st := &stats[k*nr+r]
			if v.Status != trace.Present {
				st.failed++
				continue
			}
			st.n++
			st.sum += v.V
			st.min, st.max = min(st.min, v.V), max(st.max, v.V)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "column\t"
	if tb.Header.Region {
		head += "region\t"
	}
	fmt.Fprintln(tw, head+"min\tmean\tmax\tfailed")
	for k, name := range tb.Header.Series {
		for r, region := range regionNames {
			st := stats[k*nr+r]
			line := name + "\t"
			if tb.Header.Region {
				line += region + "\t"
			}
			if st.n == 0 {
				fmt.Fprintf(tw, "%s-\t-\t-\t%d\n", line, st.failed)
				continue
			}
			fmt.Fprintf(tw, "%s%.2f\t%.2f\t%.2f\t%d\n", line, st.min, st.sum/float64(st.n), st.max, st.failed)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	for _, ser := range spec.Series {
		fmt.Fprintf(w, "%s:\n", ser.Name)
		for k, p := range ser.Patterns {
			line := "  " + p.String()
			if _, ok := p.(gen.Spike); ok {
				line += "  peaks: " + spikePeaks(res.Events, ser.Name, k, regionNames)
			}
			fmt.Fprintln(w, line)
		}
	}
	if out != "-" {
		fmt.Fprintf(w, "\nwrote %s; replay it with:\n  replay run -f MANIFEST --trace %s --plot replicas.png\n", out, out)
	}
	return nil
}

// spikePeaks lists the peaks of the spike pattern k of series, per region:
// the first few times, then how many in all.
func spikePeaks(events []gen.Event, series string, k int, regions []string) string {
	const shown = 3
	var parts []string
	for _, region := range regions {
		var times []string
		n := 0
		for _, e := range events {
			if e.Series == series && e.Pattern == k && e.Region == region {
				if n < shown {
					times = append(times, e.Time.Format(time.RFC3339Nano))
				}
				n++
			}
		}
		s := strings.Join(times, ", ")
		switch {
		case n == 0:
			s = "none"
		case n > shown:
			s += fmt.Sprintf(", … (%d in all)", n)
		}
		if region != "" {
			s = region + " " + s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
