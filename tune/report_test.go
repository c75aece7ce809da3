package tune

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// synthetic returns a record of configuration i in the study's first
// region with the given replica-hours, events per hour and backlog p99.
func synthetic(st *Study, i int, status Status, hours, events, p99 float64) Record {
	m := make([]float64, len(st.metrics.figs))
	nanAll(m)
	if status != Invalid {
		m[st.metrics.Index(ReplicaHours)] = hours
		m[st.metrics.Index(ScaleEventsPerHour)] = events
		m[st.metrics.Index("backlog.p99")] = p99
	}
	return Record{Config: i, Region: st.names[0], Status: status, Metrics: m}
}

func TestRankingTiesAndClasses(t *testing.T) {
	st := newQueueStudy(t, studyCase{
		params:      []string{"triggers.backlog.threshold=100:400:100", "scaleDown.window=0,120,600"},
		constraints: []string{"backlog.p99 <= 1000", "scale_events_per_hour <= 10"},
	})
	recs := []Record{
		synthetic(st, 0, OK, 50, 5, 900),        // feasible
		synthetic(st, 1, OK, 40, 6, 900),        // feasible, cheapest
		synthetic(st, 2, OK, 50, 4, 900),        // ties 0 on cost: fewer events first
		synthetic(st, 3, OK, 50, 4, 900),        // ties 2 entirely: the earlier index first
		synthetic(st, 4, OK, 10, 5, 1500),       // infeasible by 50 %
		synthetic(st, 5, OK, 10, 12, 1100),      // infeasible by 10 % + 20 %
		synthetic(st, 6, Pruned, 5, 50, 100),    // pruned
		synthetic(st, 7, Invalid, 0, 0, 0),      // invalid
		synthetic(st, 8, OK, 60, 1, math.NaN()), // NaN p99: infeasible, excess +Inf
	}
	// Any order of arrival gives the same report.
	orders := [][]int{{0, 1, 2, 3, 4, 5, 6, 7, 8}, {8, 7, 6, 5, 4, 3, 2, 1, 0}, {3, 6, 0, 8, 2, 5, 1, 7, 4}}
	var first Report
	for n, order := range orders {
		col, err := st.NewCollector(ReportOptions{Top: 7, FrontY: "backlog.p99"})
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range order {
			col.Add([]Record{recs[i]})
		}
		rep := col.Report()
		r := rep.Regions[0]
		var got []int
		for _, e := range r.Top {
			got = append(got, e.Config)
		}
		if diff := cmp.Diff([]int{1, 2, 3, 0, 5, 4, 8}, got); diff != "" {
			t.Errorf("order %d: ranking mismatch (-want +got):\n%s", n, diff)
		}
		if r.Feasible != 4 || r.Infeasible != 3 || r.Pruned != 1 || r.Invalid != 1 {
			t.Errorf("order %d: counts %+v", n, r)
		}
		if b, ok := r.Best(); !ok || b.Config != 1 {
			t.Errorf("order %d: Best = %d, %v", n, b.Config, ok)
		}
		if e := r.Top[4]; !(math.Abs(e.Excess-0.3) < 1e-12) || len(e.Broken) != 2 {
			t.Errorf("order %d: config 5 excess %v broken %v, want 0.3 and both", n, e.Excess, e.Broken)
		}
		// Front of objective (replica-hours) against p99 over the OK
		// replays: 4 (10, 1500), 5 (10, 1100) dominates 4; 1 (40, 900);
		// 0, 2, 3 are (50, 900): dominated by 1.
		var front []int
		for _, e := range r.Front {
			front = append(front, e.Config)
		}
		if diff := cmp.Diff([]int{5, 1}, front); diff != "" {
			t.Errorf("order %d: front mismatch (-want +got):\n%s", n, diff)
		}
		// Heatmap: threshold × window, best feasible replica-hours.
		h := r.Heat
		if h == nil || h.X != 0 || h.Y != 1 {
			t.Fatalf("order %d: heatmap %+v", n, h)
		}
		if h.Config[0][1] != 1 || h.Value[0][1] != 40 || h.Config[1][0] != 3 || h.Config[1][1] != -1 || !math.IsNaN(h.Value[1][1]) {
			t.Errorf("order %d: heatmap cells %v %v", n, h.Config, h.Value)
		}
		if n == 0 {
			first = rep
		} else if diff := cmp.Diff(first, rep, equateNaN); diff != "" {
			t.Errorf("order %d: report differs from order 0's:\n%s", n, diff)
		}
	}
}

func TestFrontEqualPoints(t *testing.T) {
	st := newQueueStudy(t, studyCase{params: []string{"triggers.backlog.threshold=100:400:100"}})
	col, _ := st.NewCollector(ReportOptions{FrontY: "backlog.p99"})
	col.Add([]Record{synthetic(st, 3, OK, 10, 1, 100)})
	col.Add([]Record{synthetic(st, 1, OK, 10, 1, 100)})
	col.Add([]Record{synthetic(st, 2, OK, 10, 1, 100)})
	col.Add([]Record{synthetic(st, 0, OK, 5, 1, 200)})
	var got []int
	for _, e := range col.Report().Regions[0].Front {
		got = append(got, e.Config)
	}
	if diff := cmp.Diff([]int{0, 1}, got); diff != "" {
		t.Errorf("front of equal points keeps the earliest (-want +got):\n%s", diff)
	}
	if col.Report().Regions[0].Heat != nil {
		t.Errorf("a one-parameter grid has a heatmap")
	}
}

func TestCollectorOptions(t *testing.T) {
	st := newQueueStudy(t, studyCase{params: []string{"triggers.backlog.threshold=100,200", "pollingInterval=15,30"}})
	for _, tt := range []struct {
		opt  ReportOptions
		want string
	}{
		{ReportOptions{Top: -1}, "top -1: must be >= 0"},
		{ReportOptions{FrontY: "lag.p99"}, `front: "lag.p99": "lag" is not a modelled series (the model computes backlog)`},
		{ReportOptions{HeatX: "pollingInterval"}, "heatmap: name both parameters or neither"},
		{ReportOptions{HeatX: "pollingInterval", HeatY: "pollingInterval"}, `heatmap: "pollingInterval" on both axes`},
		{ReportOptions{HeatX: "pollingInterval", HeatY: "cooldownPeriod"}, `heatmap: "cooldownPeriod" is not a parameter of the grid ([triggers.backlog.threshold pollingInterval])`},
	} {
		if _, err := st.NewCollector(tt.opt); err == nil || err.Error() != tt.want {
			t.Errorf("NewCollector(%+v) = %v\nwant %s", tt.opt, err, tt.want)
		}
	}
	col, err := st.NewCollector(ReportOptions{HeatX: "pollingInterval", HeatY: "triggers.backlog.threshold"})
	if err != nil {
		t.Fatal(err)
	}
	if h := col.Report().Regions[0].Heat; h.X != 1 || h.Y != 0 || len(h.Value) != 2 {
		t.Errorf("heatmap axes %d, %d", h.X, h.Y)
	}
	if rep := col.Report(); rep.FrontY != ScaleEventsPerHour || rep.Objective != ReplicaHours {
		t.Errorf("default front %q against %q", rep.FrontY, rep.Objective)
	}
}
