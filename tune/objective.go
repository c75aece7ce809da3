package tune

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/autoreplay/autoreplay/replay"
)

// The figures of a configuration's replay in one region, by name. The
// workload figures come from replay.RegionSummary; the series figures, named
// SERIES.figure, exist for each series the closed-loop model computes
// (replay.Columns.Actual), the above_* ones only for a series with a bound.
const (
	ReplicaHours       = "replica_hours"         // ∫ pods dt, in pod-hours
	MinReplicas        = "min_replicas"          // the fewest replicas
	MaxReplicas        = "max_replicas"          // the most replicas
	ScaleUps           = "scale_ups"             // rescales up
	ScaleDowns         = "scale_downs"           // rescales down
	ScaleEventsPerHour = "scale_events_per_hour" // (ups + downs) per hour of the region's timeline
	Flaps              = "flaps"                 // rescales reversing the previous one within the flap window
	FlapsPerHour       = "flaps_per_hour"        // flaps per hour

	SeriesMax           = "max"            // SERIES.max: the largest value
	SeriesMean          = "mean"           // SERIES.mean
	SeriesP95           = "p95"            // SERIES.p95: the empirical 95th percentile
	SeriesP99           = "p99"            // SERIES.p99
	SeriesAboveSeconds  = "above_seconds"  // SERIES.above_seconds: time above the bound
	SeriesAboveFraction = "above_fraction" // SERIES.above_fraction: that time over the timeline's
)

// figure computes one metric from a region's summary.
type figure struct {
	name string
	// monotone: the figure never decreases as rows are added, so once a
	// partial summary breaks an upper bound the whole does too. perHour
	// figures are monotone in their count: the whole timeline's duration
	// bounds the hours.
	monotone bool
	value    func(s *replay.RegionSummary, hours float64) float64
}

// Metrics are the figures of a study, in the order of Record.Metrics.
type Metrics struct {
	figs   []figure
	series []string // the Actual series
}

// NewMetrics returns the figures for a replay whose model computes series
// (replay.Columns.Actual); slo gives the series that have a bound. An open
// loop has no series: its figures are cost and stability only.
func NewMetrics(series []string, slo map[string]float64) *Metrics {
	m := &Metrics{series: slices.Clone(series)}
	count := func(f func(s *replay.RegionSummary) int) func(*replay.RegionSummary, float64) float64 {
		return func(s *replay.RegionSummary, _ float64) float64 { return float64(f(s)) }
	}
	perHour := func(f func(s *replay.RegionSummary) int) func(*replay.RegionSummary, float64) float64 {
		return func(s *replay.RegionSummary, hours float64) float64 {
			if hours <= 0 {
				return 0
			}
			return float64(f(s)) / hours
		}
	}
	events := func(s *replay.RegionSummary) int { return s.ScaleUps + s.ScaleDowns }
	flaps := func(s *replay.RegionSummary) int { return s.Flaps }
	m.figs = []figure{
		{ReplicaHours, true, func(s *replay.RegionSummary, _ float64) float64 { return s.ReplicaHours }},
		{MinReplicas, false, func(s *replay.RegionSummary, _ float64) float64 { return float64(s.MinReplicas) }},
		{MaxReplicas, true, func(s *replay.RegionSummary, _ float64) float64 { return float64(s.MaxReplicas) }},
		{ScaleUps, true, count(func(s *replay.RegionSummary) int { return s.ScaleUps })},
		{ScaleDowns, true, count(func(s *replay.RegionSummary) int { return s.ScaleDowns })},
		{ScaleEventsPerHour, true, perHour(events)},
		{Flaps, true, count(flaps)},
		{FlapsPerHour, true, perHour(flaps)},
	}
	for k, name := range series {
		at := func(f func(a *replay.SeriesSummary) float64) func(*replay.RegionSummary, float64) float64 {
			return func(s *replay.RegionSummary, _ float64) float64 {
				if k >= len(s.Actual) {
					return math.NaN()
				}
				return f(&s.Actual[k])
			}
		}
		m.figs = append(m.figs,
			figure{name + "." + SeriesMax, true, at(func(a *replay.SeriesSummary) float64 { return a.Max })},
			figure{name + "." + SeriesMean, false, at(func(a *replay.SeriesSummary) float64 { return a.Mean })},
			figure{name + "." + SeriesP95, false, at(func(a *replay.SeriesSummary) float64 { return a.P95 })},
			figure{name + "." + SeriesP99, false, at(func(a *replay.SeriesSummary) float64 { return a.P99 })},
		)
		if _, ok := slo[name]; ok {
			m.figs = append(m.figs,
				figure{name + "." + SeriesAboveSeconds, true, at(func(a *replay.SeriesSummary) float64 { return a.SecondsAboveSLO })},
				figure{name + "." + SeriesAboveFraction, true, func(s *replay.RegionSummary, hours float64) float64 {
					if k >= len(s.Actual) || hours <= 0 {
						return 0
					}
					return s.Actual[k].SecondsAboveSLO / (hours * 3600)
				}},
			)
		}
	}
	return m
}

// Names returns the figures' names, in order.
func (m *Metrics) Names() []string {
	out := make([]string, len(m.figs))
	for i, f := range m.figs {
		out[i] = f.name
	}
	return out
}

// Index returns the position of the named figure, or -1.
func (m *Metrics) Index(name string) int {
	return slices.IndexFunc(m.figs, func(f figure) bool { return f.name == name })
}

// Fill sets dst (one entry per figure) from a region's summary; hours is
// the duration the per-hour figures divide by.
func (m *Metrics) Fill(dst []float64, s *replay.RegionSummary, hours float64) {
	for i, f := range m.figs {
		dst[i] = f.value(s, hours)
	}
}

// unknown explains a figure name that is not one of m's.
func (m *Metrics) unknown(name string) error {
	if base, fig, ok := strings.Cut(name, "."); ok {
		known := slices.Contains(m.series, base)
		switch {
		case !known && len(m.series) == 0:
			return fmt.Errorf("%q: an open-loop replay has no modelled series: its figures are cost and stability only (%s); a bound on %s needs the closed-loop model (--model queue or utilization)", name, strings.Join(m.Names(), ", "), base)
		case !known:
			return fmt.Errorf("%q: %q is not a modelled series (the model computes %s)", name, base, strings.Join(m.series, ", "))
		case fig == SeriesAboveSeconds || fig == SeriesAboveFraction:
			return fmt.Errorf("%q: %s has no bound: give one with a constraint like %q or with --slo", name, base, base+" <= 1000 for 99.9%")
		}
	}
	return fmt.Errorf("%q: unknown figure; want one of %s", name, strings.Join(m.Names(), ", "))
}

// Op is a constraint's comparison.
type Op uint8

// Comparisons.
const (
	LE Op = iota + 1 // <=
	LT               // <
	GE               // >=
	GT               // >
)

func (o Op) String() string {
	switch o {
	case LE:
		return "<="
	case LT:
		return "<"
	case GE:
		return ">="
	case GT:
		return ">"
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Constraint bounds one figure: Metric Op Bound.
type Constraint struct {
	Metric string
	Op     Op
	Bound  float64
	// Text is the constraint as written.
	Text string
}

// Holds reports whether v satisfies the constraint; NaN never does.
func (c Constraint) Holds(v float64) bool {
	switch c.Op {
	case LE:
		return v <= c.Bound
	case LT:
		return v < c.Bound
	case GE:
		return v >= c.Bound
	case GT:
		return v > c.Bound
	}
	return false
}

// excess is how far v is beyond the bound, relative to it: 0 when the
// constraint holds, +Inf for NaN.
func (c Constraint) excess(v float64) float64 {
	if c.Holds(v) {
		return 0
	}
	if math.IsNaN(v) {
		return math.Inf(1)
	}
	scale := math.Max(math.Abs(c.Bound), 1e-9)
	return math.Abs(v-c.Bound) / scale
}

// ParseConstraint parses a constraint:
//
//	FIGURE OP NUMBER[%]              e.g. "scale_events_per_hour <= 6", "lag.p99 < 8000"
//	SERIES <= BOUND for PERCENT%     e.g. "lag <= 5000 for 99.9%"
//
// OP is <=, <, >= or >; a NUMBER ending in % is a fraction (0.1% is 0.001).
// The second form is a service-level objective: it gives SERIES the bound
// (returned as slo, ok) and stands for "SERIES.above_fraction <= (100 −
// PERCENT)%". Figure names are checked later, against the study's Metrics.
func ParseConstraint(s string) (c Constraint, series string, slo float64, err error) {
	c.Text = strings.TrimSpace(s)
	lhs, op, rhs := splitOp(c.Text)
	if op == 0 {
		return Constraint{}, "", 0, fmt.Errorf("constraint %q: want FIGURE OP NUMBER (OP is <=, <, >= or >) or SERIES <= BOUND for PERCENT%%", s)
	}
	if lhs == "" {
		return Constraint{}, "", 0, fmt.Errorf("constraint %q: no figure before %s", s, op)
	}
	if bound, pct, ok := strings.Cut(rhs, " for "); ok {
		if op != LE && op != LT {
			return Constraint{}, "", 0, fmt.Errorf("constraint %q: a bound held for a share of the time takes <= or <", s)
		}
		if strings.Contains(lhs, ".") {
			return Constraint{}, "", 0, fmt.Errorf("constraint %q: %q: a bound held for a share of the time is on a series (e.g. lag), not a figure", s, lhs)
		}
		b, err := number(strings.TrimSpace(bound), false)
		if err != nil {
			return Constraint{}, "", 0, fmt.Errorf("constraint %q: bound: %w", s, err)
		}
		p, err := number(strings.TrimSpace(pct), true)
		if err != nil || !strings.HasSuffix(strings.TrimSpace(pct), "%") || p <= 0 || p > 1 {
			return Constraint{}, "", 0, fmt.Errorf("constraint %q: %q: want a percentage of the time in (0%%, 100%%], e.g. 99.9%%", s, strings.TrimSpace(pct))
		}
		// 1 − p in exact decimal arithmetic: "99.9%" leaves 0.001, not
		// 100 − 99.9 in binary.
		pr, ok := new(big.Rat).SetString(strings.ReplaceAll(strings.TrimSuffix(strings.TrimSpace(pct), "%"), "_", ""))
		if !ok {
			return Constraint{}, "", 0, fmt.Errorf("constraint %q: %q: want a percentage of the time in (0%%, 100%%], e.g. 99.9%%", s, strings.TrimSpace(pct))
		}
		frac, _ := new(big.Rat).Quo(new(big.Rat).Sub(big.NewRat(100, 1), pr), big.NewRat(100, 1)).Float64()
		return Constraint{Metric: lhs + "." + SeriesAboveFraction, Op: LE, Bound: frac, Text: c.Text}, lhs, b, nil
	}
	b, err := number(rhs, true)
	if err != nil {
		return Constraint{}, "", 0, fmt.Errorf("constraint %q: %w", s, err)
	}
	c.Metric, c.Op, c.Bound = lhs, op, b
	return c, "", 0, nil
}

// splitOp splits "a <= b" at its comparison.
func splitOp(s string) (lhs string, op Op, rhs string) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<', '>':
			op, n := LT, 1
			if s[i] == '>' {
				op = GT
			}
			if i+1 < len(s) && s[i+1] == '=' {
				op, n = op-1, 2 // LE and GE precede LT and GT
			}
			return strings.TrimSpace(s[:i]), op, strings.TrimSpace(s[i+n:])
		}
	}
	return "", 0, ""
}

// number parses a finite number, with a trailing % when pct allows it.
func number(s string, pct bool) (float64, error) {
	scale := 1.0
	if t, ok := strings.CutSuffix(s, "%"); ok && pct {
		s, scale = strings.TrimSpace(t), 0.01
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q: want a finite number", s)
	}
	return v * scale, nil
}

// Goal is what a study asks for: the figure to minimise and the
// constraints a configuration must meet.
type Goal struct {
	// Objective names the figure to minimise; "" means ReplicaHours.
	Objective string
	// Constraints must all hold for a configuration to be feasible.
	Constraints []Constraint
	// SLO gives the series' bounds (the SERIES.above_* figures).
	SLO map[string]float64
}

// ParseGoal parses an objective and constraints (see ParseConstraint),
// merging the bounds of service-level constraints into slo (a copy; a
// series may not get two different bounds).
func ParseGoal(objective string, constraints []string, slo map[string]float64) (Goal, error) {
	g := Goal{Objective: strings.TrimSpace(objective), SLO: map[string]float64{}}
	for k, v := range slo {
		g.SLO[k] = v
	}
	var errs []error
	for _, s := range constraints {
		c, series, bound, err := ParseConstraint(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if series != "" {
			if old, ok := g.SLO[series]; ok && old != bound {
				errs = append(errs, fmt.Errorf("constraint %q: %s already has the bound %v: a series has one bound", s, series, old))
				continue
			}
			g.SLO[series] = bound
		}
		g.Constraints = append(g.Constraints, c)
	}
	return g, errors.Join(errs...)
}

// objective returns the objective's figure name.
func (g *Goal) objective() string {
	if g.Objective == "" {
		return ReplicaHours
	}
	return g.Objective
}

// check verifies the goal's figures against m.
func (g *Goal) check(m *Metrics) error {
	var errs []error
	if m.Index(g.objective()) < 0 {
		errs = append(errs, fmt.Errorf("objective %w", m.unknown(g.objective())))
	}
	for _, c := range g.Constraints {
		if m.Index(c.Metric) < 0 {
			errs = append(errs, fmt.Errorf("constraint %q: %w", c.Text, m.unknown(c.Metric)))
		}
	}
	return errors.Join(errs...)
}
