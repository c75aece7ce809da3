package tune

import (
	"math"
	"testing"

	"github.com/autoreplay/autoreplay/replay"
	"github.com/google/go-cmp/cmp"
)

func TestParseConstraint(t *testing.T) {
	tests := []struct {
		in     string
		want   Constraint
		series string
		slo    float64
	}{
		{"scale_events_per_hour <= 6", Constraint{Metric: "scale_events_per_hour", Op: LE, Bound: 6}, "", 0},
		{"lag.p99<8000", Constraint{Metric: "lag.p99", Op: LT, Bound: 8000}, "", 0},
		{"min_replicas >= 2", Constraint{Metric: "min_replicas", Op: GE, Bound: 2}, "", 0},
		{"lag.max > 1_000", Constraint{Metric: "lag.max", Op: GT, Bound: 1000}, "", 0},
		{"lag.above_fraction <= 0.1%", Constraint{Metric: "lag.above_fraction", Op: LE, Bound: 0.001}, "", 0},
		{" lag <= 5000 for 99.9% ", Constraint{Metric: "lag.above_fraction", Op: LE, Bound: 0.001}, "lag", 5000},
		{"lag <= 5000 for 100%", Constraint{Metric: "lag.above_fraction", Op: LE, Bound: 0}, "lag", 5000},
	}
	for _, tt := range tests {
		got, series, slo, err := ParseConstraint(tt.in)
		if err != nil {
			t.Errorf("ParseConstraint(%q): %v", tt.in, err)
			continue
		}
		tt.want.Text = got.Text
		if diff := cmp.Diff(tt.want, got); diff != "" || series != tt.series || slo != tt.slo {
			t.Errorf("ParseConstraint(%q) = %q %v mismatch (-want +got):\n%s", tt.in, series, slo, diff)
		}
	}
}

func TestParseConstraintErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"lag", `constraint "lag": want FIGURE OP NUMBER (OP is <=, <, >= or >) or SERIES <= BOUND for PERCENT%`},
		{"<= 5", `constraint "<= 5": no figure before <=`},
		{"lag.max <= x", `constraint "lag.max <= x": "x": want a finite number`},
		{"lag.max <= NaN", `constraint "lag.max <= NaN": "NaN": want a finite number`},
		{"lag >= 5 for 99%", `constraint "lag >= 5 for 99%": a bound held for a share of the time takes <= or <`},
		{"lag.max <= 5 for 99%", `constraint "lag.max <= 5 for 99%": "lag.max": a bound held for a share of the time is on a series (e.g. lag), not a figure`},
		{"lag <= 5 for 99", `constraint "lag <= 5 for 99": "99": want a percentage of the time in (0%, 100%], e.g. 99.9%`},
		{"lag <= 5 for 0%", `constraint "lag <= 5 for 0%": "0%": want a percentage of the time in (0%, 100%], e.g. 99.9%`},
		{"lag <= 5 for 120%", `constraint "lag <= 5 for 120%": "120%": want a percentage of the time in (0%, 100%], e.g. 99.9%`},
		{"lag <= 5% for 99%", `constraint "lag <= 5% for 99%": bound: "5%": want a finite number`},
	}
	for _, tt := range tests {
		_, _, _, err := ParseConstraint(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseConstraint(%q) error = %v\nwant %s", tt.in, err, tt.want)
		}
	}
}

func TestParseGoal(t *testing.T) {
	g, err := ParseGoal("lag.p99", []string{"lag <= 5000 for 99%", "flaps <= 2"}, map[string]float64{"cpu": 80})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]float64{"lag": 5000, "cpu": 80}, g.SLO); diff != "" {
		t.Errorf("SLO mismatch (-want +got):\n%s", diff)
	}
	if g.objective() != "lag.p99" || len(g.Constraints) != 2 {
		t.Errorf("goal = %+v", g)
	}
	if _, err := ParseGoal("", []string{"lag <= 5000 for 99%", "lag <= 4000 for 99.9%"}, nil); err == nil ||
		err.Error() != `constraint "lag <= 4000 for 99.9%": lag already has the bound 5000: a series has one bound` {
		t.Errorf("two bounds: error = %v", err)
	}
	if g, _ := ParseGoal(" ", nil, nil); g.objective() != ReplicaHours {
		t.Errorf("default objective = %q, want %q", g.objective(), ReplicaHours)
	}
}

func TestGoalCheck(t *testing.T) {
	open := NewMetrics(nil, nil)
	closed := NewMetrics([]string{"lag"}, map[string]float64{"lag": 10})
	noBound := NewMetrics([]string{"lag"}, nil)
	tests := []struct {
		m    *Metrics
		goal Goal
		want string
	}{
		{open, Goal{Objective: "replica_hours"}, ""},
		{open, Goal{Constraints: []Constraint{{Metric: "lag.p99", Text: "lag.p99 <= 5"}}},
			`constraint "lag.p99 <= 5": "lag.p99": an open-loop replay has no modelled series: its figures are cost and stability only (replica_hours, min_replicas, max_replicas, scale_ups, scale_downs, scale_events_per_hour, flaps, flaps_per_hour); a bound on lag needs the closed-loop model (--model queue or utilization)`},
		{closed, Goal{Objective: "cost"}, `objective "cost": unknown figure; want one of replica_hours, min_replicas, max_replicas, scale_ups, scale_downs, scale_events_per_hour, flaps, flaps_per_hour, lag.max, lag.mean, lag.p95, lag.p99, lag.above_seconds, lag.above_fraction`},
		{closed, Goal{Objective: "cpu.max"}, `objective "cpu.max": "cpu" is not a modelled series (the model computes lag)`},
		{noBound, Goal{Objective: "lag.above_seconds"}, `objective "lag.above_seconds": lag has no bound: give one with a constraint like "lag <= 1000 for 99.9%" or with --slo`},
		{closed, Goal{Objective: "lag.above_seconds"}, ""},
	}
	for _, tt := range tests {
		err := tt.goal.check(tt.m)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("check(%+v) = %s\nwant %s", tt.goal, got, tt.want)
		}
	}
}

func TestMetricsFill(t *testing.T) {
	m := NewMetrics([]string{"lag"}, map[string]float64{"lag": 10})
	s := replay.RegionSummary{
		ReplicaHours: 12.5, MinReplicas: 1, MaxReplicas: 7, ScaleUps: 3, ScaleDowns: 5, Flaps: 2,
		Actual: []replay.SeriesSummary{{Series: "lag", Max: 40, Mean: 4, P95: 20, P99: 30, SLO: 10, HasSLO: true, SecondsAboveSLO: 360}},
	}
	got := make([]float64, len(m.Names()))
	m.Fill(got, &s, 2)
	want := []float64{12.5, 1, 7, 3, 5, 4, 2, 1, 40, 4, 20, 30, 360, 0.05}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Fill mismatch (-want +got):\n%s", diff)
	}
	m.Fill(got, &s, 0)
	if got[m.Index(ScaleEventsPerHour)] != 0 || got[m.Index("lag.above_fraction")] != 0 {
		t.Errorf("per-hour figures of an empty timeline: %v", got)
	}
}

func TestConstraintHolds(t *testing.T) {
	for _, tt := range []struct {
		op       Op
		v        float64
		holds    bool
		excessGT float64
	}{
		{LE, 5, true, 0}, {LE, 6, false, 0.19}, {LT, 5, false, -1}, {GE, 5, true, 0}, {GT, 5, false, -1}, {GT, 6, true, 0}, {LE, math.NaN(), false, 1e300},
	} {
		c := Constraint{Op: tt.op, Bound: 5}
		if got := c.Holds(tt.v); got != tt.holds {
			t.Errorf("%v %v 5 = %v, want %v", tt.v, tt.op, got, tt.holds)
		}
		if e := c.excess(tt.v); (tt.holds && e != 0) || (!tt.holds && !(e > tt.excessGT)) {
			t.Errorf("excess(%v %v 5) = %v", tt.v, tt.op, e)
		}
	}
}
