package replay

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/autoreplay/autoreplay/replay/trace"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

// Defaults of FitOptions.
const (
	// DefaultArrivalWindow is the ArrivalWindow of a zero FitOptions.
	DefaultArrivalWindow = time.Hour
	// DefaultMaxStartupDelay is the MaxStartupDelay of a zero FitOptions.
	DefaultMaxStartupDelay = 10 * time.Minute
	// DefaultDelayStep is the DelayStep of a zero FitOptions.
	DefaultDelayStep = 15 * time.Second
	// MaxDelaySteps bounds the delays Fit tries: MaxStartupDelay/DelayStep.
	MaxDelaySteps = 10000
)

// FitOptions configures Fit.
type FitOptions struct {
	// Lag names the trace series of the queue's lag: the items waiting.
	// Required.
	Lag string
	// Arrivals names the trace series of the arrival rate in items per
	// second, held from sample to sample. Empty: the arrival rate is
	// unknown and taken as constant within each ArrivalWindow.
	Arrivals string
	// ArrivalWindow is the length of the blocks of time over which the
	// unknown arrival rate is constant, without Arrivals. Blocks are
	// aligned as time.Time.Truncate aligns (whole hours for an hour, UTC
	// midnights for a day). 0 means DefaultArrivalWindow.
	ArrivalWindow time.Duration
	// MaxConsumers caps the replicas that consume: a Kafka topic's
	// partitions, say. 0 means no cap.
	MaxConsumers int32
	// MaxStartupDelay is the longest pod startup delay tried. 0 means
	// DefaultMaxStartupDelay.
	MaxStartupDelay time.Duration
	// DelayStep is the step of the delays tried, from 0 to
	// MaxStartupDelay. 0 means DefaultDelayStep. At most MaxDelaySteps
	// steps.
	DelayStep time.Duration
}

// Validate reports options Fit cannot use.
func (o *FitOptions) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if o.Lag == "" {
		add("lag: must name the lag series")
	} else if o.Arrivals == o.Lag {
		add("arrivals %q: must differ from the lag series", o.Arrivals)
	}
	if o.ArrivalWindow < 0 {
		add("arrivalWindow %v: must not be negative", o.ArrivalWindow)
	}
	if o.MaxConsumers < 0 {
		add("maxConsumers %d: must not be negative", o.MaxConsumers)
	}
	if o.MaxStartupDelay < 0 {
		add("maxStartupDelay %v: must not be negative", o.MaxStartupDelay)
	}
	if o.DelayStep < 0 {
		add("delayStep %v: must not be negative", o.DelayStep)
	} else if o.MaxStartupDelay >= 0 && o.maxDelay()/o.delayStep() > MaxDelaySteps {
		add("delayStep %v: maxStartupDelay %v would take more than %d steps", o.delayStep(), o.maxDelay(), MaxDelaySteps)
	}
	return errors.Join(errs...)
}

func (o *FitOptions) window() time.Duration { return cmp.Or(o.ArrivalWindow, DefaultArrivalWindow) }
func (o *FitOptions) maxDelay() time.Duration {
	return cmp.Or(o.MaxStartupDelay, DefaultMaxStartupDelay)
}
func (o *FitOptions) delayStep() time.Duration { return cmp.Or(o.DelayStep, DefaultDelayStep) }

// FitResult is the fit of one region.
type FitResult struct {
	// Region is the trace's region; empty without a region column.
	Region string
	// Throughput is the items one ready replica processes per second.
	Throughput float64
	// StartupDelay is the delay from a scale-up to the new pods' readiness
	// that fits best, on the grid of FitOptions.DelayStep.
	StartupDelay time.Duration
	// RMSE is the root mean square error of the predicted lag change per
	// interval, in items.
	RMSE float64
	// Intervals is the number of intervals the fit used; Samples the
	// region's rows in the trace.
	Intervals, Samples int
}

// Fit estimates a queue workload's throughput per ready replica and its pod
// startup delay from a recorded trace: the lag series (FitOptions.Lag) and
// the replicas column, per region. It reads r to the end once and keeps
// 32 bytes per row, and while it fits a region about 100 bytes per row of
// the region.
//
// The model: between two consecutive lag samples of a region at t₀ and t₁
// (rows where the lag is Absent in between bring replica counts and
// arrival rates but no interval of their own), the lag changes by
//
//	L(t₁) − L(t₀) = A − μ·C
//
// where μ is the throughput, A the items that arrived and C = ∫ min(ready(t),
// MaxConsumers) dt over [t₀, t₁): the recorded replica counts (held from row
// to row) replayed through the closed loop's pod model with startup delay d,
// all pods ready at the region's first row with a replica count. Only
// intervals with a lag above 0 at both ends count: otherwise the replicas
// may have processed less than they could. Intervals touching a Failed,
// NaN or infinite lag are skipped.
//
// With FitOptions.Arrivals, A = ∫ rate dt (intervals where the rate is
// failed or unknown are skipped) and μ is the least-squares fit through the
// origin of A − ΔL on C; d minimizes the residual sum of squares in items.
// Without, the arrival rate is an unknown constant a_b per ArrivalWindow
// block b (by the interval's start), and μ is the within-block (fixed
// effects) least-squares fit of ΔL/Δt = a_b − μ·C/Δt: μ = −Σx̃ỹ/Σx̃² with x
// and y less their block means; d minimizes the residual sum of squares of
// that regression. This needs ready replicas that vary within blocks. Delays
// run from 0 to MaxStartupDelay in steps of DelayStep; of equal fits the
// shorter delay wins.
//
// Fit returns one result per region, sorted by region, or an error: the
// reader's, options that fail Validate, a missing column, or a region that
// does not determine the fit (too few intervals, no variation, a
// throughput that is not positive).
func Fit(r trace.Reader, opt FitOptions) ([]FitResult, error) {
	if err := opt.Validate(); err != nil {
		return nil, fmt.Errorf("fit: %w", err)
	}
	h := r.Header()
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("fit: %w", err)
	}
	if !h.Replicas {
		return nil, errors.New("fit: the trace has no replicas column; the fit needs the recorded replica counts")
	}
	col := func(what, name string) (int, error) {
		if i := slices.Index(h.Series, name); i >= 0 {
			return i, nil
		}
		return 0, fmt.Errorf("fit: the trace has no %s series %q (series: %s)", what, name, strings.Join(h.Series, ", "))
	}
	lag, err := col("lag", opt.Lag)
	if err != nil {
		return nil, err
	}
	arr := -1
	if opt.Arrivals != "" {
		if arr, err = col("arrivals", opt.Arrivals); err != nil {
			return nil, err
		}
	}

	regions := map[string]*fitRegion{}
	for r.Scan() {
		s := r.Sample()
		g := regions[s.Region]
		if g == nil {
			g = &fitRegion{arr: math.NaN()}
			regions[s.Region] = g
		}
		if len(s.Values) != len(h.Series) {
			return nil, fmt.Errorf("fit: %s%s: %d values for %d series", regionPrefix(s.Region), where(s), len(s.Values), len(h.Series))
		}
		if err := g.add(s, lag, arr); err != nil {
			return nil, fmt.Errorf("fit: %s%w", regionPrefix(s.Region), err)
		}
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("fit: %w", err)
	}
	if len(regions) == 0 {
		return nil, errors.New("fit: the trace has no rows")
	}
	var out []FitResult
	for _, name := range slices.Sorted(maps.Keys(regions)) {
		res, err := regions[name].fit(&opt, arr >= 0)
		if err != nil {
			return nil, fmt.Errorf("fit: %s%w", regionPrefix(name), err)
		}
		res.Region = name
		out = append(out, res)
	}
	return out, nil
}

// where names a sample's place for messages: its line (the row number of
// Parquet) and time.
func where(s *trace.Sample) string {
	t := s.Time.UTC().Format(time.RFC3339Nano)
	if s.Line > 0 {
		return fmt.Sprintf("line %d (%s)", s.Line, t)
	}
	return t
}

func regionPrefix(region string) string {
	if region == "" {
		return ""
	}
	return fmt.Sprintf("region %q: ", region)
}

// Lag observation states of a fitRow.
const (
	lagAbsent  uint8 = iota // no sample in this row
	lagValid                // a finite sample
	lagInvalid              // Failed, NaN or infinite
)

// fitRow is what Fit keeps of a trace row.
type fitRow struct {
	off      time.Duration // from the region's first kept row
	lag      float64
	arr      float64 // held arrival rate; NaN when failed or unknown
	replicas int32
	lagState uint8
}

// fitRegion collects the rows of one region.
type fitRegion struct {
	base    time.Time
	rows    []fitRow
	samples int
	// held values
	hasReplicas bool
	replicas    int32
	arr         float64
	last        time.Time
}

func (g *fitRegion) add(s *trace.Sample, lag, arr int) error {
	g.samples++
	if g.samples > 1 && s.Time.Before(g.last) {
		return fmt.Errorf("%s: time goes back from %s", where(s), g.last.UTC().Format(time.RFC3339Nano))
	}
	g.last = s.Time
	if s.HasReplicas {
		if s.Replicas < 0 {
			return fmt.Errorf("%s: replicas %d: must not be negative", where(s), s.Replicas)
		}
		g.hasReplicas, g.replicas = true, s.Replicas
	}
	if arr >= 0 {
		switch v := s.Values[arr]; v.Status {
		case trace.Present:
			g.arr = v.V
			if math.IsNaN(v.V) || math.IsInf(v.V, 0) {
				g.arr = math.NaN()
			}
		case trace.Failed:
			g.arr = math.NaN()
		}
	}
	if !g.hasReplicas {
		return nil // nothing to model before the first replica count
	}
	if len(g.rows) == 0 {
		g.base = s.Time
	}
	row := fitRow{off: s.Time.Sub(g.base), arr: g.arr, replicas: g.replicas}
	switch v := s.Values[lag]; {
	case v.Status == trace.Present && !math.IsNaN(v.V) && !math.IsInf(v.V, 0):
		row.lag, row.lagState = v.V, lagValid
	case v.Status != trace.Absent:
		row.lagState = lagInvalid
	}
	g.rows = append(g.rows, row)
	return nil
}

// fitInterval is an interval between lag samples that the fit uses: rows
// a..b, so segments a..b-1.
type fitInterval struct {
	a, b  int
	dL    float64 // lag change, items
	dt    float64 // seconds
	in    float64 // arrivals, items (with an arrivals series)
	block int64   // arrival window (without)
}

func (g *fitRegion) fit(opt *FitOptions, arrivals bool) (FitResult, error) {
	res := FitResult{Samples: g.samples}
	if len(g.rows) == 0 {
		return res, errors.New("no row has a replica count")
	}
	ivs := g.intervals(opt, arrivals)
	blocks := 0
	for i := range ivs {
		if i == 0 || ivs[i].block != ivs[i-1].block {
			blocks++
		}
	}
	switch {
	case arrivals && len(ivs) < 2:
		return res, fmt.Errorf("%d usable intervals (consecutive lag samples above 0 with a valid arrival rate between); the fit needs at least 2", len(ivs))
	case !arrivals && len(ivs)-blocks < 2:
		return res, fmt.Errorf("%d usable intervals (consecutive lag samples above 0) in %d arrival windows of %v; the fit needs at least 2 more intervals than windows", len(ivs), blocks, opt.window())
	}

	seg := make([]float64, len(g.rows)-1) // ∫ min(ready, MaxConsumers) dt per segment
	c := make([]float64, len(ivs))
	x, y := make([]float64, len(ivs)), make([]float64, len(ivs))
	best := -1.0
	for k := range opt.maxDelay()/opt.delayStep() + 1 {
		d := k * opt.delayStep()
		p := newPods(g.rows[0].replicas, d)
		t1 := g.base
		for k := range seg {
			t0 := t1
			t1 = g.base.Add(g.rows[k+1].off)
			p.scale(t0, g.rows[k].replicas)
			seg[k] = p.integrate(t0, t1, opt.MaxConsumers)
		}
		for i, iv := range ivs {
			c[i] = 0
			for _, v := range seg[iv.a:iv.b] {
				c[i] += v
			}
		}
		mu, rss, sse, ok := regress(ivs, c, x, y, arrivals)
		if !ok {
			continue
		}
		// Fits equal to 1e-9 count as ties, which the shorter delay wins.
		if best < 0 || rss < best-1e-9*best {
			best = rss
			res.Throughput, res.StartupDelay = mu, d
			res.RMSE = math.Sqrt(sse / float64(len(ivs)))
		}
	}
	res.Intervals = len(ivs)
	switch {
	case best < 0 && arrivals:
		return res, errors.New("the throughput is not identifiable: no ready replica in the usable intervals")
	case best < 0:
		return res, fmt.Errorf("the throughput is not identifiable: the ready replicas (capped at maxConsumers) do not vary within the %v arrival windows; give an arrivals series or a longer arrival window", opt.window())
	case !(res.Throughput > 0):
		return res, fmt.Errorf("the fit gives a throughput of %g items per replica and second, not positive: the lag does not fall as more replicas are ready", res.Throughput)
	}
	return res, nil
}

// intervals returns the intervals between consecutive lag samples that
// the fit uses.
func (g *fitRegion) intervals(opt *FitOptions, arrivals bool) []fitInterval {
	n := 0
	for _, r := range g.rows {
		if r.lagState != lagAbsent {
			n++
		}
	}
	ivs := make([]fitInterval, 0, max(n-1, 0))
	a := -1 // the row of the last lag sample
	for b, rb := range g.rows {
		if rb.lagState == lagAbsent {
			continue
		}
		if a >= 0 && g.rows[a].lagState == lagValid && rb.lagState == lagValid &&
			g.rows[a].lag > 0 && rb.lag > 0 && rb.off > g.rows[a].off {
			iv := fitInterval{a: a, b: b, dL: rb.lag - g.rows[a].lag, dt: (rb.off - g.rows[a].off).Seconds()}
			ok := true
			if arrivals {
				for k := a; k < b; k++ {
					iv.in += g.rows[k].arr * (g.rows[k+1].off - g.rows[k].off).Seconds()
				}
				ok = !math.IsNaN(iv.in)
			} else {
				iv.block = g.base.Add(g.rows[a].off).Truncate(opt.window()).UnixNano()
			}
			if ok {
				ivs = append(ivs, iv)
			}
		}
		a = b
	}
	return ivs
}

// regress fits μ for the interval capacities c (∫ ready dt per interval)
// by least squares through the origin (gonum's stat.LinearRegression):
// A − ΔL on C with arrivals; the block-centred ΔL/Δt on the block-centred
// C/Δt without (its slope is −μ). x and y are scratch space of len(ivs).
// It returns μ, the residual sum of squares the fit minimized, the sum of
// squared residuals of the lag change in items, and false when μ is not
// identifiable.
func regress(ivs []fitInterval, c, x, y []float64, arrivals bool) (mu, rss, sse float64, ok bool) {
	var sx2 float64 // Σ (C/Δt)², the scale of the centred x
	if arrivals {
		for i, iv := range ivs {
			x[i], y[i] = c[i], iv.in-iv.dL
		}
	} else {
		forBlocks(ivs, c, func(i int, xt, yt float64) {
			x[i], y[i] = xt, yt
			v := c[i] / ivs[i].dt
			sx2 += v * v
		})
	}
	if sxx := floats.Dot(x, x); sxx == 0 || sxx <= 1e-12*sx2 {
		return 0, 0, 0, false
	}
	_, beta := stat.LinearRegression(x, y, nil, true)
	mu = beta
	if !arrivals {
		mu = -beta
	}
	for i := range ivs {
		e := y[i] - beta*x[i]
		rss += e * e
		if !arrivals {
			e *= ivs[i].dt
		}
		sse += e * e
	}
	return mu, rss, sse, true
}

// forBlocks calls f for each interval with x = C/Δt and y = ΔL/Δt less
// their means over the interval's block.
func forBlocks(ivs []fitInterval, c []float64, f func(i int, xt, yt float64)) {
	for lo := 0; lo < len(ivs); {
		hi := lo
		var mx, my float64
		for ; hi < len(ivs) && ivs[hi].block == ivs[lo].block; hi++ {
			mx += c[hi] / ivs[hi].dt
			my += ivs[hi].dL / ivs[hi].dt
		}
		n := float64(hi - lo)
		mx, my = mx/n, my/n
		for i := lo; i < hi; i++ {
			f(i, c[i]/ivs[i].dt-mx, ivs[i].dL/ivs[i].dt-my)
		}
		lo = hi
	}
}
