package replaytest

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/autoreplay/autoreplay/replay"
	"github.com/autoreplay/autoreplay/tune"
)

// Tick is one row of a CSV timeline (docs/replay.md §9), as written.
type Tick struct {
	// Line is the row's line in its file (the header is line 1).
	Line   int `cmp:"-"`
	Time   string
	Region string
	// Source is "hpa" (a reconcile) or "keda" (a poll that rescaled).
	Source   string
	Replicas string
	Desired  string
	Ready    string
	Recorded string
	// Values holds the other columns by name: what each series read, and
	// the closed loop's actual:SERIES.
	Values  map[string]string
	Reasons string
}

// Timeline is a CSV timeline read back.
type Timeline struct {
	// Header is the columns, in order.
	Header []string
	Ticks  []Tick
}

// fixed are the columns every timeline has, in Tick's fields.
var fixed = []string{"time", "region", "replicas", "desired", "source", "loop", "ready", "recorded", "reasons"}

// ReadTimeline reads a CSV timeline; name is for errors.
func ReadTimeline(name string, data []byte) (*Timeline, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.ReuseRecord = false
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: empty: want a timeline's header", name)
	}
	tl := &Timeline{Header: recs[0]}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	for _, c := range fixed {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("%s: no %q column: not a timeline (its columns are %s)", name, c, strings.Join(recs[0], ","))
		}
	}
	for i, rec := range recs[1:] {
		tk := Tick{Line: i + 2, Time: rec[col["time"]], Region: rec[col["region"]], Source: rec[col["source"]],
			Replicas: rec[col["replicas"]], Desired: rec[col["desired"]], Ready: rec[col["ready"]],
			Recorded: rec[col["recorded"]], Reasons: rec[col["reasons"]], Values: map[string]string{}}
		for j, c := range recs[0] {
			if !slices.Contains(fixed, c) {
				tk.Values[c] = rec[j]
			}
		}
		tl.Ticks = append(tl.Ticks, tk)
	}
	return tl, nil
}

// key identifies a tick: its time, region and source.
func (t *Tick) key() string { return t.Time + "\x00" + t.Region + "\x00" + t.Source }

// TickDiff is a tick that differs between two timelines: Old or New is nil
// when the tick is in one of them only.
type TickDiff struct {
	Old, New *Tick
}

// Time is the tick's time as written.
func (d TickDiff) Time() string {
	if d.New != nil {
		return d.New.Time
	}
	return d.Old.Time
}

// Region is the tick's region.
func (d TickDiff) Region() string {
	if d.New != nil {
		return d.New.Region
	}
	return d.Old.Region
}

// DiffTicks pairs the ticks of two timelines by time, region and source and
// returns those that differ in any column (same is nil) or in the columns
// same compares, in time order.
func DiffTicks(old, new *Timeline, same func(a, b *Tick) bool) []TickDiff {
	if same == nil {
		same = func(a, b *Tick) bool { return equalTicks(a, b) }
	}
	byKey := map[string][]int{}
	for i := range old.Ticks {
		k := old.Ticks[i].key()
		byKey[k] = append(byKey[k], i)
	}
	matched := make([]bool, len(old.Ticks))
	var diffs []TickDiff
	for j := range new.Ticks {
		nt := &new.Ticks[j]
		k := nt.key()
		is := byKey[k]
		if len(is) == 0 {
			diffs = append(diffs, TickDiff{New: nt})
			continue
		}
		byKey[k] = is[1:]
		matched[is[0]] = true
		if ot := &old.Ticks[is[0]]; !same(ot, nt) {
			diffs = append(diffs, TickDiff{Old: ot, New: nt})
		}
	}
	for i := range old.Ticks {
		if !matched[i] {
			diffs = append(diffs, TickDiff{Old: &old.Ticks[i]})
		}
	}
	slices.SortStableFunc(diffs, func(a, b TickDiff) int { return parseTime(a.Time()).Compare(parseTime(b.Time())) })
	return diffs
}

// parseTime reads an RFC 3339 time; one that does not parse is the zero
// time.
func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func equalTicks(a, b *Tick) bool {
	if a.Time != b.Time || a.Region != b.Region || a.Source != b.Source || a.Replicas != b.Replicas ||
		a.Desired != b.Desired || a.Ready != b.Ready || a.Recorded != b.Recorded || a.Reasons != b.Reasons || len(a.Values) != len(b.Values) {
		return false
	}
	for k, v := range a.Values {
		if w, ok := b.Values[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Summary computes the summary of a timeline read back, with opt, as
// replay.Summarizer computes it from the replay's steps, except that a
// timeline does not hold the replicas before its first row (a rescale
// there is not counted) nor the polls that left the replicas as they were.
func (tl *Timeline) Summary(opt replay.SummaryOptions) (replay.Summary, error) {
	var cols replay.Columns
	actual := map[string]int{}
	for _, c := range tl.Header {
		if s, ok := strings.CutPrefix(c, "actual:"); ok {
			actual[c] = len(cols.Actual)
			cols.Actual = append(cols.Actual, s)
		}
	}
	sum := replay.NewSummarizer(cols, opt)
	last := map[string]int32{}
	for i := range tl.Ticks {
		tk := &tl.Ticks[i]
		t, err := time.Parse(time.RFC3339Nano, tk.Time)
		if err != nil {
			return replay.Summary{}, fmt.Errorf("line %d: time %q: %w", tk.Line, tk.Time, err)
		}
		n, err := strconv.ParseInt(tk.Replicas, 10, 32)
		if err != nil {
			return replay.Summary{}, fmt.Errorf("line %d: replicas %q: %w", tk.Line, tk.Replicas, err)
		}
		row := replay.Row{Time: t, Region: tk.Region, Desired: int32(n), Ready: int32(n)}
		switch tk.Source {
		case "hpa":
			row.Event = replay.HPATick
		case "keda":
			row.Event = replay.KEDAPoll
		default:
			return replay.Summary{}, fmt.Errorf("line %d: source %q: want hpa or keda", tk.Line, tk.Source)
		}
		prev, seen := last[tk.Region]
		if !seen {
			prev = row.Desired
		}
		row.Replicas, row.Pods, row.Rescale = prev, prev, prev != row.Desired
		last[tk.Region] = row.Desired
		if len(cols.Actual) > 0 {
			row.Actual = make([]float64, len(cols.Actual))
			for c, k := range actual {
				v, err := strconv.ParseFloat(tk.Values[c], 64)
				if err != nil {
					v = math.NaN()
				}
				row.Actual[k] = v
			}
		}
		sum.Add(&row)
	}
	return sum.Summary(), nil
}

// Delta is one figure of one region in two summaries.
type Delta struct {
	Region, Figure string
	Old, New       float64
}

// Changed reports whether the figure differs (NaN equals NaN).
func (d Delta) Changed() bool {
	return d.Old != d.New && !(math.IsNaN(d.Old) && math.IsNaN(d.New))
}

// Change is the relative change New/Old - 1, or NaN when Old is 0 or not
// finite.
func (d Delta) Change() float64 {
	if d.Old == 0 || math.IsNaN(d.Old) || math.IsInf(d.Old, 0) {
		return math.NaN()
	}
	return d.New/d.Old - 1
}

// Deltas returns every figure (as in Result.Figures) of every region of
// two summaries, regions in name order, figures in tune.Metrics order. A
// region in one summary only is an error.
func Deltas(old, new replay.Summary, slo map[string]float64) ([]Delta, error) {
	if len(old.Regions) != len(new.Regions) {
		return nil, errors.New("the summaries have different regions")
	}
	var ds []Delta
	for i := range old.Regions {
		o, n := &old.Regions[i], &new.Regions[i]
		if o.Region != n.Region {
			return nil, fmt.Errorf("the summaries have different regions: %q and %q", o.Region, n.Region)
		}
		if !slices.Equal(old.Series, new.Series) {
			return nil, fmt.Errorf("the summaries have different series: %v and %v", old.Series, new.Series)
		}
		fo, fn := figures(old, o, slo), figures(new, n, slo)
		for _, name := range sortedFigures(old, slo) {
			ds = append(ds, Delta{Region: o.Region, Figure: name, Old: fo[name], New: fn[name]})
		}
	}
	return ds, nil
}

// sortedFigures are the figure names in tune.Metrics order.
func sortedFigures(s replay.Summary, slo map[string]float64) []string {
	return tune.NewMetrics(s.Series, slo).Names()
}
