// Package replay runs a metric trace through the HPA or KEDA engines on the
// controllers' clock and reports what they would have done.
//
// A replay reads a trace (package trace) row by row and, for each region of
// the trace, runs the controllers as the cluster runs them: the HPA
// reconciles every sync period and KEDA's scale loop polls every
// pollingInterval, both starting at the region's first sample; when a poll
// and a reconcile fall on the same instant the poll runs first. Each
// controller step reads the series as of that instant (sample and hold,
// through the metric pipeline) and yields a Row of the timeline.
//
// In the open loop the recorded values are read as they are. In the closed
// loop (Config.Workloads) a workload model recomputes a series — a queue's
// lag or a utilization — from the ready replicas the controllers produced,
// so that a different configuration shows a different lag.
//
//	rp, err := replay.New(cfg, reader.Header())
//	w := replay.NewCSVTimeline(out, rp.Columns())
//	res, err := rp.Run(reader, w.Write)
//
// See docs/replay.md for the clock, the models and the output formats.
package replay

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/keda"
	"github.com/autoreplay/autoreplay/replay/trace"
)

// MaxWarnings is how many warnings a Result keeps; the others are counted
// in WarningsDropped.
const MaxWarnings = 100

// Warning is a problem in the data that did not stop the replay.
type Warning struct {
	Region string
	// Time is when it was noticed; Line is the trace line (0 when none).
	Time time.Time
	Line int
	Msg  string
}

func (w Warning) String() string {
	s := w.Time.UTC().Format(time.RFC3339Nano)
	if w.Region != "" {
		s += " region " + w.Region
	}
	if w.Line > 0 {
		s = fmt.Sprintf("line %d: %s", w.Line, s)
	}
	return s + ": " + w.Msg
}

// Result is what a replay reports beyond its timeline.
type Result struct {
	Loop    Loop
	Regions []RegionResult
	// Warnings are the first MaxWarnings problems, in the order the
	// replay met them; WarningsDropped counts the others.
	Warnings        []Warning
	WarningsDropped int
}

// RegionResult is one region's replay.
type RegionResult struct {
	Region string
	// Start is the region's first sample, End the trace's last one.
	Start, End time.Time
	// HPATicks and Polls count the controller steps.
	HPATicks, Polls int
	// Queues holds, per Config.Workloads entry, the queue's balance (zero
	// for utilization workloads).
	Queues []QueueBalance
}

// QueueBalance accounts for a closed-loop queue over the replay:
// Initial + Arrived = Processed + Final.
type QueueBalance struct {
	Series                             string
	Initial, Arrived, Processed, Final float64
	// Unobservable counts intervals whose arrivals could not be derived
	// from the recorded lag (it was 0 at their end) and were taken as 0.
	Unobservable int
}

// Replay is one run of a trace through a controller. It is used once.
type Replay struct {
	cfg     Config
	header  trace.Header
	inputs  []input
	work    []workColumns // per Config.Workloads entry
	unused  []string
	cols    Columns
	regions []*region // sorted by name
	res     Result
	emit    func(*Row) error
	used    bool
}

// New checks cfg and binds the series the controller reads to the columns
// of a trace with header h (docs/replay.md, "Columns").
func New(cfg Config, h trace.Header) (*Replay, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.HPA != nil {
		if err := cfg.HPA.Validate(); err != nil {
			return nil, err
		}
	} else if err := cfg.ScaledObject.Validate(); err != nil {
		return nil, err
	}
	ins, unused, err := bind(&cfg, h)
	if err != nil {
		return nil, err
	}
	for wi, w := range cfg.Workloads {
		if w.Kind == Queue && w.Arrivals == "" && !h.Replicas {
			return nil, fmt.Errorf("workloads[%d] (%s): deriving the arrivals needs the recorded replicas: the trace has no replicas column (or give an arrivals column)", wi, w.Series)
		}
		if w.Kind == Queue && w.Arrivals == "" && seriesCol(ins, wi) < 0 {
			return nil, fmt.Errorf("workloads[%d] (%s): deriving the arrivals needs the recorded lag: the trace has no column %q (or give an arrivals column)", wi, w.Series, w.Series)
		}
	}
	rp := &Replay{cfg: cfg, header: h, inputs: ins, unused: unused}
	for wi, w := range cfg.Workloads {
		rp.work = append(rp.work, workColumns{series: seriesCol(ins, wi), arrivals: slices.Index(h.Series, w.Arrivals), load: slices.Index(h.Series, w.Load)})
	}
	rp.cols = Columns{Loop: cfg.Loop(), Region: h.Region, Recorded: h.Replicas}
	for _, in := range ins {
		rp.cols.Series = append(rp.cols.Series, in.name)
	}
	for _, w := range cfg.Workloads {
		rp.cols.Actual = append(rp.cols.Actual, w.Series)
	}
	rp.res.Loop = cfg.Loop()
	return rp, nil
}

// workColumns are the trace columns of a workload: its series (the
// recorded lag), its arrivals and its load; -1 for none.
type workColumns struct{ series, arrivals, load int }

func seriesCol(ins []input, work int) int {
	for _, in := range ins {
		if in.work == work {
			return in.col
		}
	}
	return -1
}

// Columns describes the rows Run emits.
func (rp *Replay) Columns() Columns { return rp.cols }

// Run replays r and calls emit with each row of the timeline: one per
// controller step, in time order within a region; regions interleave as
// their samples arrive, and at the end of the trace the regions' last steps
// come in region order. The row is reused after emit returns. An error from
// emit stops the replay and is returned.
func (rp *Replay) Run(r trace.Reader, emit func(*Row) error) (Result, error) {
	if rp.used {
		return Result{}, errors.New("replay: Run called twice")
	}
	rp.used = true
	rp.emit = emit
	if !slices.Equal(r.Header().Series, rp.header.Series) || r.Header().Region != rp.header.Region || r.Header().Replicas != rp.header.Replicas {
		return Result{}, errors.New("replay: the reader's header differs from the one given to New")
	}
	var end time.Time
	var last *region
	for r.Scan() {
		s := r.Sample()
		if len(s.Values) != len(rp.header.Series) {
			return Result{}, fmt.Errorf("line %d: %d values for %d series", s.Line, len(s.Values), len(rp.header.Series))
		}
		if s.Time.Before(end) {
			return Result{}, fmt.Errorf("line %d: time %s is before the previous row's %s: the trace must be sorted by time", s.Line, s.Time.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano))
		}
		end = s.Time
		if last == nil || last.name != s.Region {
			var created bool
			if last, created = rp.region(s); created {
				continue
			}
		}
		if err := last.row(s); err != nil {
			return Result{}, err
		}
	}
	if err := r.Err(); err != nil {
		return Result{}, err
	}
	if len(rp.regions) == 0 {
		return Result{}, errors.New("the trace has no rows")
	}
	for _, g := range rp.regions {
		if err := g.advance(end, true); err != nil {
			return Result{}, err
		}
		g.model(end)
		rr := RegionResult{Region: g.name, Start: g.start, End: end, HPATicks: g.ticks, Polls: g.polls}
		for i, w := range g.work {
			b := w.balance
			b.Series = rp.cfg.Workloads[i].Series
			b.Final = w.lag
			rr.Queues = append(rr.Queues, b)
		}
		rp.res.Regions = append(rp.res.Regions, rr)
	}
	return rp.res, nil
}

func (rp *Replay) warn(g *region, t time.Time, line int, format string, args ...any) {
	if len(rp.res.Warnings) >= MaxWarnings {
		rp.res.WarningsDropped++
		return
	}
	rp.res.Warnings = append(rp.res.Warnings, Warning{Region: g.name, Time: t, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// region returns the state of s's region, or creates it at s.
func (rp *Replay) region(s *trace.Sample) (*region, bool) {
	i, found := slices.BinarySearchFunc(rp.regions, s.Region, func(g *region, name string) int {
		switch {
		case g.name < name:
			return -1
		case g.name > name:
			return 1
		}
		return 0
	})
	if found {
		return rp.regions[i], false
	}
	g := newRegion(rp, s)
	rp.regions = slices.Insert(rp.regions, i, g)
	return g, true
}

// milli converts a value the HPA reads; NaN, ±Inf and values beyond the
// milli range cannot be quantities and fail the metric.
func milli(v trace.Value) hpa.Observation {
	if v.Status != trace.Present {
		return hpa.Observation{Failed: true}
	}
	m, err := hpa.MilliFromFloat(v.V)
	if err != nil {
		return hpa.Observation{Failed: true}
	}
	return hpa.Observation{Milli: m}
}

// read sets r to what a KEDA trigger reads for v.
func (in *input) read(r *keda.Reading, v trace.Value) {
	*r = keda.Reading{Value: v.V, Failed: v.Status == trace.Failed, Empty: v.Status == trace.Absent}
	if in.kafka {
		r.Failed = r.Failed || (v.Status == trace.Present && !finite(v.V)) // a consumer group's lag is a count
		r.Partitions = in.partitions
		r.PartitionsWithLag = in.partitions
		if lag := v.V; lag < float64(in.partitions) {
			r.PartitionsWithLag = int64(max(0, lag))
		}
	}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
