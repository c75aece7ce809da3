// Package gen generates synthetic metric traces with realistic shapes: daily
// cycles with quieter weekends, launch spikes, noise, scrape outages and
// stuck consumers, in one or several regions. The traces it returns are
// trace.Tables, ready to replay or to write with the trace package's
// writers.
//
//	tb, err := gen.Generate(gen.Spec{
//		Duration: 7 * 24 * time.Hour,
//		Step:     time.Minute,
//		Seed:     1,
//		Series: []gen.Series{{Name: "rps", Patterns: []gen.Pattern{
//			gen.Diurnal{Mean: 200, Amplitude: 0.6, Peak: 14 * time.Hour, Weekend: 0.5},
//			gen.Spike{Height: 10, Width: 2 * time.Hour, Count: 1},
//			gen.Noise{SD: 0.05},
//		}}},
//		Regions: []gen.Region{{Name: "us-east", Scale: 1, Shift: -5 * time.Hour}, {Name: "eu-west", Scale: 0.4, Shift: time.Hour}},
//	})
//
// or, with the patterns written as `replay generate --pattern` takes them:
//
//	ps, err := gen.Parse("diurnal(mean=200,amplitude=0.6,weekend=0.5),spike(height=10,width=2h,count=1),noise(sd=0.05)")
//
// # Rows
//
// A trace has one row per time start, start+step, … before start+duration
// (the end is excluded, so 7d at 15s is 40,320 times), times one row per
// region, by time then region in the order of Spec.Regions. Without regions
// the trace has no region column.
//
// # Composition
//
// Each series, in each region, is a value that starts at 0 in every row.
// The series' patterns apply to it in order, left to right:
//
//   - levels add: Constant, Diurnal, Ramp, Step, Sine;
//   - factors multiply: Spike, and Noise (which adds instead with Additive);
//   - overrides replace: Outage (0, or a failed scrape), Stuck (a value
//     growing from what it was).
//
// Order matters only where it should: a Noise before a Spike is scaled by
// the spike, one after it is not; an Outage at the end is an outage of the
// final value. Then the value is multiplied by the region's Scale and
// clamped at 0 (a negative value becomes 0). A failed cell stays failed
// whatever follows.
//
// # Time
//
// Offsets (Ramp's start and end, Step's and Outage's at, …) count from the
// trace's start. Diurnal is the one pattern that reads the clock: its time of
// day and its weekend are the region's local time, UTC + Region.Shift. A
// region with Shift -5h peaks at 14:00 local time at 19:00 UTC.
//
// # Determinism
//
// The same Spec gives the same trace, bit for bit. Spike (with Count or
// Every) and Noise draw from their own PCG stream, seeded with Spec.Seed and a hash of the series' name,
// the region's name, the pattern's kind and its position among the series'
// patterns of that kind. So regions and series draw independently, and
// adding a noise pattern does not move the spikes.
//
// Parse documents the syntax; docs/generate.md the formulas.
package gen

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/autoreplay/autoreplay/replay/trace"
)

// DefaultStart returns the start of a Spec without one: Monday 2026-01-05
// 00:00 UTC, a fixed date so that the same Spec gives the same trace.
func DefaultStart() time.Time { return time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) }

// DefaultStep is the step of a Spec without one.
const DefaultStep = 15 * time.Second

// MaxRows is the most rows (times × regions) Generate makes.
const MaxRows = 50_000_000

// MaxShift is the largest UTC offset of a Region, either way.
const MaxShift = 24 * time.Hour

// Spec is what to generate.
type Spec struct {
	// Start is the first row's time; the zero value means DefaultStart().
	Start time.Time
	// Duration is the span of the trace: rows are at Start + k·Step for
	// every k with k·Step < Duration. It must be at least one Step.
	Duration time.Duration
	// Step is the time between rows; zero means DefaultStep.
	Step time.Duration
	// Seed seeds every random draw; any value, 0 included.
	Seed uint64
	// Series are the trace's columns, in order. At least one.
	Series []Series
	// Regions, when given, generate every series once per region, and the
	// trace gets a region column. None: one unnamed region of Scale 1 and
	// Shift 0, and no region column.
	Regions []Region
}

// Series is one column of the trace.
type Series struct {
	// Name is the column's name: the name of the trigger or metric it
	// feeds (docs/replay.md §2). Not time, region or replicas.
	Name string
	// Patterns shape the values, applied in order to a value starting at
	// 0. At least one.
	Patterns []Pattern
}

// Region is one deployment of the workload.
type Region struct {
	// Name is the value of the trace's region column.
	Name string
	// Scale multiplies every value of the region, after the patterns and
	// before the clamp at 0: 0.4 is 40 % of the traffic. At least 0.
	Scale float64
	// Shift is the region's UTC offset: its local time is UTC + Shift, the
	// time Diurnal's peak and weekend are read in. -5h: a peak at 14:00 is
	// at 19:00 UTC. From -MaxShift to MaxShift.
	Shift time.Duration
}

// Result is a generated trace and what the random patterns drew.
type Result struct {
	// Table is the trace.
	Table *trace.Table
	// Events are the peaks the Spike patterns drew, by series, then
	// region, then pattern, then time.
	Events []Event
}

// Event is one spike's peak.
type Event struct {
	// Series and Region name the column and the region ("" without
	// regions).
	Series, Region string
	// Pattern is the Spike's index in the series' Patterns.
	Pattern int
	// Time is the row at which the spike peaks.
	Time time.Time
}

// SeriesError is a problem with one of Spec.Series: its name, or one of
// its patterns (an Outage after the end of the trace, say).
type SeriesError struct {
	// Index is the series' position in Spec.Series, Name its name.
	Index int
	Name  string
	// Pattern is the pattern at fault, at PatternIndex in the series'
	// Patterns; nil when the problem is the series itself.
	Pattern      Pattern
	PatternIndex int
	// Err says what is wrong and what was expected.
	Err error
}

// Error formats the error as series "NAME": PATTERN: message.
func (e *SeriesError) Error() string {
	s := fmt.Sprintf("series %q", e.Name)
	if e.Name == "" {
		s = fmt.Sprintf("series %d", e.Index+1)
	}
	if e.Pattern != nil {
		s += ": " + e.Pattern.String()
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *SeriesError) Unwrap() error { return e.Err }

// RegionError is a problem with one of Spec.Regions.
type RegionError struct {
	// Index is the region's position in Spec.Regions, Name its name.
	Index int
	Name  string
	// Err says what is wrong and what was expected.
	Err error
}

// Error formats the error as region "NAME": message.
func (e *RegionError) Error() string {
	if e.Name == "" {
		return fmt.Sprintf("region %d: %v", e.Index+1, e.Err)
	}
	return fmt.Sprintf("region %q: %v", e.Name, e.Err)
}

// Unwrap returns Err.
func (e *RegionError) Unwrap() error { return e.Err }

// Generate generates the trace s describes. It is Run without the events.
func Generate(s Spec) (*trace.Table, error) {
	r, err := Run(s)
	if err != nil {
		return nil, err
	}
	return r.Table, nil
}

// Validate checks s: a positive step, a duration of at least one step, at
// most MaxRows rows, times within what a trace holds, unique and valid
// series and region names, valid patterns.
func (s Spec) Validate() error {
	_, err := s.resolve()
	return err
}

// plan is a validated Spec with its defaults filled in.
type plan struct {
	Spec
	start, step int64 // Unix nanoseconds, nanoseconds
	n           int   // times
	regions     []Region
}

func (s Spec) resolve() (*plan, error) {
	p := &plan{Spec: s}
	if p.Start.IsZero() {
		p.Start = DefaultStart()
	}
	if p.Step == 0 {
		p.Step = DefaultStep
	}
	switch {
	case p.Step < 0:
		return nil, fmt.Errorf("step %s: want a positive duration", FormatDuration(p.Step))
	case p.Duration < p.Step:
		return nil, fmt.Errorf("duration %s: want at least one step (%s)", FormatDuration(p.Duration), FormatDuration(p.Step))
	}
	p.regions = s.Regions
	if len(p.regions) == 0 {
		p.regions = []Region{{Scale: 1}}
	}
	times := int64((p.Duration-1)/p.Step) + 1
	if times > MaxRows || times*int64(len(p.regions)) > MaxRows {
		return nil, fmt.Errorf("%d times × %d regions: want at most %d rows (a longer step or a shorter duration)", times, len(p.regions), MaxRows)
	}
	p.n = int(times)
	// The times a trace can hold: int64 Unix nanoseconds.
	minTime, maxTime := time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64)
	end := p.Start.Add(time.Duration(times-1) * p.Step)
	if p.Start.Before(minTime) || end.After(maxTime) || end.Before(p.Start) {
		return nil, fmt.Errorf("start %s, duration %s: the rows must lie within %s … %s", p.Start.UTC().Format(time.RFC3339), FormatDuration(p.Duration),
			minTime.UTC().Format(time.RFC3339), maxTime.UTC().Format(time.RFC3339))
	}
	p.start, p.step = p.Start.UnixNano(), int64(p.Step)
	if len(s.Series) == 0 {
		return nil, errors.New("no series: want at least one")
	}
	seen := map[string]bool{}
	for i, ser := range s.Series {
		serr := func(err error) error { return &SeriesError{Index: i, Name: ser.Name, Err: err} }
		if err := checkName(ser.Name); err != nil {
			return nil, serr(err)
		}
		if seen[ser.Name] {
			return nil, serr(errors.New("the name is given twice"))
		}
		seen[ser.Name] = true
		if len(ser.Patterns) == 0 {
			return nil, serr(errors.New("no pattern: want at least one, e.g. constant(value=1)"))
		}
		for k, pat := range ser.Patterns {
			if pat == nil {
				return nil, &SeriesError{Index: i, Name: ser.Name, Pattern: nilPattern{}, PatternIndex: k, Err: errors.New("a nil pattern")}
			}
			if err := pat.check(p.Duration, p.Step); err != nil {
				return nil, &SeriesError{Index: i, Name: ser.Name, Pattern: pat, PatternIndex: k, Err: err}
			}
		}
	}
	clear(seen)
	for i, r := range s.Regions {
		var err error
		switch {
		case r.Name == "":
			err = errors.New("empty name")
		case strings.ContainsAny(r.Name, "\r\n"):
			err = errors.New("a line break in the name")
		case seen[r.Name]:
			err = errors.New("the name is given twice")
		case !(r.Scale >= 0) || math.IsInf(r.Scale, 1):
			err = fmt.Errorf("scale %s: want a finite number >= 0", formatFloat(r.Scale))
		case r.Shift < -MaxShift || r.Shift > MaxShift:
			err = fmt.Errorf("shift %s: want a UTC offset from -24h to 24h", FormatDuration(r.Shift))
		}
		if err != nil {
			return nil, &RegionError{Index: i, Name: r.Name, Err: err}
		}
		seen[r.Name] = true
	}
	return p, nil
}

// checkName checks a series name: a trace column other than time, region
// and replicas.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case name == "time" || name == "region" || name == "replicas":
		return fmt.Errorf("the name is reserved for the %s column", name)
	case strings.ContainsAny(name, "\r\n"):
		return errors.New("a line break in the name")
	case strings.TrimSpace(name) != name:
		return errors.New("spaces around the name")
	}
	return nil
}

// Run generates the trace s describes, and reports the spikes it drew.
func Run(s Spec) (*Result, error) {
	p, err := s.resolve()
	if err != nil {
		return nil, err
	}
	nr, ns := len(p.regions), len(s.Series)
	tb := &trace.Table{Header: trace.Header{Series: make([]string, ns), Region: len(s.Regions) > 0}}
	for i, ser := range s.Series {
		tb.Header.Series[i] = ser.Name
	}
	tb.Samples = make([]trace.Sample, p.n*nr)
	vals := make([]trace.Value, p.n*nr*ns)
	for i := range p.n {
		t := time.Unix(0, p.start+int64(i)*p.step).UTC()
		for r, reg := range p.regions {
			row := i*nr + r
			tb.Samples[row] = trace.Sample{Time: t, Region: reg.Name, Values: vals[row*ns : (row+1)*ns : (row+1)*ns]}
		}
	}
	res := &Result{Table: tb}
	pcg := rand.NewPCG(0, 0)
	c := &column{n: p.n, start: p.start, step: p.step, span: p.Duration, v: make([]float64, p.n), rand: rand.New(pcg)}
	occ := map[string]int{}
	for si, ser := range s.Series {
		for r, reg := range p.regions {
			c.reset(reg.Shift)
			clear(occ)
			for k, pat := range ser.Patterns {
				kind := pat.kind()
				pcg.Seed(p.Seed, streamKey(ser.Name, reg.Name, kind, occ[kind]))
				occ[kind]++
				c.peaks = c.peaks[:0]
				pat.apply(c)
				for _, k2 := range c.peaks {
					res.Events = append(res.Events, Event{Series: ser.Name, Region: reg.Name, Pattern: k, Time: tb.Samples[k2*nr].Time})
				}
			}
			for i, v := range c.v {
				v *= reg.Scale
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, fmt.Errorf("series %q%s: the value at %s is %v: the patterns overflow float64", ser.Name, inRegion(reg.Name),
						tb.Samples[i*nr].Time.Format(time.RFC3339Nano), v)
				}
				if !(v > 0) {
					v = 0
				}
				val := trace.Value{V: v, Status: trace.Present}
				if c.failed != nil && c.failed[i] {
					val = trace.Value{Status: trace.Failed}
				}
				tb.Samples[i*nr+r].Values[si] = val
			}
		}
	}
	return res, nil
}

func inRegion(name string) string {
	if name == "" {
		return ""
	}
	return fmt.Sprintf(" in region %q", name)
}

// streamKey is the second word of a pattern's PCG seed: FNV-1a of the
// series, the region, the pattern's kind and its occurrence among the
// series' patterns of that kind.
func streamKey(series, region, kind string, occurrence int) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211 // FNV-1a, 64 bits
	h := uint64(offset)
	for _, s := range []string{series, region, kind, strconv.Itoa(occurrence)} {
		for i := range len(s) {
			h = (h ^ uint64(s[i])) * prime
		}
		h *= prime // a 0 byte between the strings
	}
	return h
}

// column is one series in one region while its patterns apply.
type column struct {
	n           int
	start, step int64         // Unix nanoseconds of row 0, nanoseconds between rows
	span        time.Duration // Spec.Duration
	shift       int64         // the region's UTC offset in nanoseconds
	v           []float64
	failed      []bool // nil until an outage fails a cell
	failedBuf   []bool
	rand        *rand.Rand
	peaks       []int // rows at which the current Spike peaks
}

func (c *column) reset(shift time.Duration) {
	clear(c.v)
	c.failed = nil
	c.shift = int64(shift)
}

// offset is row i's offset from the start.
func (c *column) offset(i int) time.Duration { return time.Duration(int64(i) * c.step) }

// firstRow is the first row at or after offset d (c.n when none).
func (c *column) firstRow(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	i := (int64(d) + c.step - 1) / c.step
	return int(min(i, int64(c.n)))
}

// rows is the range of rows with offsets in [at, at+span).
func (c *column) rows(at, span time.Duration) (lo, hi int) {
	end := at + span
	if end < at { // overflow
		end = math.MaxInt64
	}
	return c.firstRow(at), c.firstRow(end)
}

func (c *column) markFailed(lo, hi int) {
	if c.failed == nil {
		if cap(c.failedBuf) < c.n {
			c.failedBuf = make([]bool, c.n)
		}
		c.failed = c.failedBuf[:c.n]
		clear(c.failed)
	}
	for i := lo; i < hi; i++ {
		c.failed[i] = true
	}
}

// nilPattern stands for a nil Pattern in errors.
type nilPattern struct{}

func (nilPattern) String() string                           { return "<nil>" }
func (nilPattern) kind() string                             { return "" }
func (nilPattern) check(time.Duration, time.Duration) error { return nil }
func (nilPattern) apply(*column)                            {}
