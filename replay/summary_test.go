package replay

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sumRow is a timeline row of region at tlEpoch+sec: the step took the
// workload from replicas to desired and saw the actual values.
func sumRow(region string, sec float64, ev Event, replicas, desired int32, actual ...float64) Row {
	return Row{
		Time: tlEpoch.Add(time.Duration(sec * float64(time.Second))), Region: region, Event: ev,
		Replicas: replicas, Pods: replicas, Ready: replicas, Desired: desired, Rescale: desired != replicas,
		Actual: actual,
	}
}

func summarize(c Columns, opt SummaryOptions, rows []Row) Summary {
	s := NewSummarizer(c, opt)
	for i := range rows {
		s.Add(&rows[i])
	}
	return s.Summary()
}

var nan = math.NaN()

// quantileRows are 100 HPA ticks 15 s apart with lag 1, 2, …, 100 and cpu 50,
// a poll after each with lag 1000 (polls do not count), and a last tick
// with a NaN lag.
func quantileRows() []Row {
	var rows []Row
	for i := range 100 {
		rows = append(rows,
			sumRow("", float64(15*i), HPATick, 3, 3, float64(i+1), 50),
			sumRow("", float64(15*i)+7.5, KEDAPoll, 3, 3, 1000, 50))
	}
	return append(rows, sumRow("", 1500, HPATick, 3, 3, nan, 50))
}

func TestSummarizer(t *testing.T) {
	one := Columns{Loop: ClosedLoop}
	two := Columns{Loop: ClosedLoop, Region: true, Actual: []string{"lag", "cpu"}}
	start := func(sec float64) time.Time { return tlEpoch.Add(time.Duration(sec * float64(time.Second))) }
	tests := []struct {
		name string
		c    Columns
		opt  SummaryOptions
		rows []Row
		want Summary
	}{{
		// 2 pods for 60 s, then 3 (the poll at 60 s overrides the tick at
		// the same instant) for 3540 s: 120 + 10620 pod-seconds.
		name: "replica hours, last row of an instant wins",
		c:    one,
		rows: []Row{
			sumRow("", 0, HPATick, 1, 2),
			sumRow("", 60, HPATick, 2, 4),
			sumRow("", 60, KEDAPoll, 4, 3),
			sumRow("", 3600, HPATick, 3, 3),
		},
		want: Summary{Loop: ClosedLoop, Regions: []RegionSummary{{
			Start: start(0), End: start(3600), HPATicks: 3, Polls: 1,
			ReplicaHours: 10740.0 / 3600, MinReplicas: 2, MaxReplicas: 4,
			ScaleUps: 2, ScaleDowns: 1, Flaps: 1,
		}}},
	}, {
		// up 0, down 600 (flap: exactly the window), up 1201 (601 s: no),
		// down 1300 (flap), down 1400 (same direction), up 1500 (flap).
		name: "flaps in the default window",
		c:    one,
		rows: flapRows(),
		want: Summary{Loop: ClosedLoop, Regions: []RegionSummary{{
			Start: start(0), End: start(1500), HPATicks: 6,
			ReplicaHours: (2*600 + 1*601 + 2*99 + 1*100 + 0*100) / 3600.0, MinReplicas: 0, MaxReplicas: 2,
			ScaleUps: 3, ScaleDowns: 3, Flaps: 3,
		}}},
	}, {
		name: "flaps in a 5 minute window",
		c:    one,
		opt:  SummaryOptions{FlapWindow: 5 * time.Minute},
		rows: flapRows(),
		want: Summary{Loop: ClosedLoop, Regions: []RegionSummary{{
			Start: start(0), End: start(1500), HPATicks: 6,
			ReplicaHours: (2*600 + 1*601 + 2*99 + 1*100 + 0*100) / 3600.0, MinReplicas: 0, MaxReplicas: 2,
			ScaleUps: 3, ScaleDowns: 3, Flaps: 2,
		}}},
	}, {
		// Empirical quantiles of 1..100: the 95th and the 99th value. Lag is
		// above 90 at the ticks of 91..100, each standing for 15 s (the tick
		// of 100 is followed by the NaN tick).
		name: "quantiles and seconds above the SLO",
		c:    Columns{Loop: ClosedLoop, Actual: []string{"lag", "cpu"}},
		opt:  SummaryOptions{SLO: map[string]float64{"lag": 90, "other": 1}},
		rows: quantileRows(),
		want: Summary{Loop: ClosedLoop, Series: []string{"lag", "cpu"}, Regions: []RegionSummary{{
			Start: start(0), End: start(1500), HPATicks: 101, Polls: 100,
			ReplicaHours: 3 * 1500 / 3600.0, MinReplicas: 3, MaxReplicas: 3,
			Actual: []SeriesSummary{
				{Series: "lag", Max: 100, Mean: 50.5, P95: 95, P99: 99, SLO: 90, HasSLO: true, SecondsAboveSLO: 150},
				{Series: "cpu", Max: 50, Mean: 50, P95: 50, P99: 50},
			},
		}}},
	}, {
		// The value of the last tick counts for 0 s; an SLO the series never
		// exceeds gives 0 s.
		name: "last tick above the SLO counts nothing",
		c:    Columns{Loop: ClosedLoop, Actual: []string{"lag", "cpu"}},
		opt:  SummaryOptions{SLO: map[string]float64{"lag": 5, "cpu": 50}},
		rows: []Row{
			sumRow("", 0, HPATick, 1, 1, 1, 50),
			sumRow("", 15, HPATick, 1, 1, 6, 50),
			sumRow("", 20, KEDAPoll, 1, 1, 1, 99),
			sumRow("", 30, HPATick, 1, 1, 2, 50),
			sumRow("", 45, HPATick, 1, 1, 9, 50),
		},
		want: Summary{Loop: ClosedLoop, Series: []string{"lag", "cpu"}, Regions: []RegionSummary{{
			Start: start(0), End: start(45), HPATicks: 4, Polls: 1,
			ReplicaHours: 45 / 3600.0, MinReplicas: 1, MaxReplicas: 1,
			Actual: []SeriesSummary{
				{Series: "lag", Max: 9, Mean: 4.5, P95: 9, P99: 9, SLO: 5, HasSLO: true, SecondsAboveSLO: 15},
				{Series: "cpu", Max: 50, Mean: 50, P95: 50, P99: 50, SLO: 50, HasSLO: true},
			},
		}}},
	}, {
		// Regions interleave and are summarized apart, sorted by name; a
		// region without HPA ticks has NaN statistics.
		name: "regions",
		c:    two,
		opt:  SummaryOptions{SLO: map[string]float64{"lag": 10}},
		rows: []Row{
			sumRow("us", 0, HPATick, 2, 2, 20, 40),
			sumRow("eu", 0, KEDAPoll, 1, 2, 5, 10),
			sumRow("us", 30, HPATick, 2, 4, 30, 80),
			sumRow("eu", 60, KEDAPoll, 2, 1, 1, 10),
			sumRow("us", 60, HPATick, 4, 4, 5, 60),
		},
		want: Summary{Loop: ClosedLoop, Series: []string{"lag", "cpu"}, Regions: []RegionSummary{{
			Region: "eu", Start: start(0), End: start(60), Polls: 2,
			ReplicaHours: 2 * 60 / 3600.0, MinReplicas: 1, MaxReplicas: 2, ScaleUps: 1, ScaleDowns: 1, Flaps: 1,
			Actual: []SeriesSummary{
				{Series: "lag", Max: nan, Mean: nan, P95: nan, P99: nan, SLO: 10, HasSLO: true},
				{Series: "cpu", Max: nan, Mean: nan, P95: nan, P99: nan},
			},
		}, {
			Region: "us", Start: start(0), End: start(60), HPATicks: 3,
			ReplicaHours: (2*30 + 4*30) / 3600.0, MinReplicas: 2, MaxReplicas: 4, ScaleUps: 1,
			Actual: []SeriesSummary{
				{Series: "lag", Max: 30, Mean: 55.0 / 3, P95: 30, P99: 30, SLO: 10, HasSLO: true, SecondsAboveSLO: 60},
				{Series: "cpu", Max: 80, Mean: 60, P95: 80, P99: 80},
			},
		}}},
	}, {
		name: "no rows",
		c:    two,
		want: Summary{Loop: ClosedLoop, Series: []string{"lag", "cpu"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summarize(tt.c, tt.opt, tt.rows)
			opts := cmp.Options{cmpopts.EquateNaNs(), cmpopts.EquateApprox(0, 1e-12), cmpopts.EquateEmpty()}
			if diff := cmp.Diff(tt.want, got, opts); diff != "" {
				t.Errorf("Summary mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func flapRows() []Row {
	return []Row{
		sumRow("", 0, HPATick, 1, 2),
		sumRow("", 600, HPATick, 2, 1),
		sumRow("", 1201, HPATick, 1, 2),
		sumRow("", 1300, HPATick, 2, 1),
		sumRow("", 1400, HPATick, 1, 0),
		sumRow("", 1500, HPATick, 0, 1),
	}
}

// TestSummarizerRepeatable checks that Summary can be called while rows
// still come, and that it gives the same answer twice.
func TestSummarizerRepeatable(t *testing.T) {
	c := Columns{Loop: ClosedLoop, Actual: []string{"lag", "cpu"}}
	rows := quantileRows()
	s := NewSummarizer(c, SummaryOptions{SLO: map[string]float64{"lag": 90}})
	for i := range rows[:100] {
		s.Add(&rows[i])
	}
	s.Summary()
	for i := range rows[100:] {
		s.Add(&rows[100+i])
	}
	a, b := s.Summary(), s.Summary()
	if diff := cmp.Diff(summarize(c, SummaryOptions{SLO: map[string]float64{"lag": 90}}, rows), a, cmpopts.EquateNaNs()); diff != "" {
		t.Errorf("Summary after an early Summary mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(a, b, cmpopts.EquateNaNs()); diff != "" {
		t.Errorf("second Summary mismatch (-want +got):\n%s", diff)
	}
}

// TestSummarizerResetPartial checks that a reset Summarizer summarizes the
// next timeline as a new one would, and that Partial agrees with Summary on
// the running figures.
func TestSummarizerResetPartial(t *testing.T) {
	c := Columns{Loop: ClosedLoop, Region: true, Actual: []string{"lag", "cpu"}}
	opt := SummaryOptions{SLO: map[string]float64{"lag": 90}}
	rows := quantileRows()
	flaps := flapRows()
	for i := range flaps {
		flaps[i].Region = "eu"
		flaps[i].Actual = []float64{float64(i * 50), nan}
	}
	s := NewSummarizer(c, opt)
	for i := range flaps {
		s.Add(&flaps[i])
	}
	var p RegionSummary
	if s.Partial("us", &p) {
		t.Errorf("Partial of a region without rows reported true")
	}
	if !s.Partial("eu", &p) {
		t.Fatalf("Partial(eu) = false after %d rows", len(flaps))
	}
	whole := s.Summary().Regions[0]
	whole.Actual[0].Mean, whole.Actual[0].P95, whole.Actual[0].P99 = nan, nan, nan
	whole.Actual[1].Mean, whole.Actual[1].P95, whole.Actual[1].P99 = nan, nan, nan
	if diff := cmp.Diff(whole, p, cmpopts.EquateNaNs()); diff != "" {
		t.Errorf("Partial at the end mismatch (-want +got):\n%s", diff)
	}
	if p.Actual[0].Max != 250 || !math.IsNaN(p.Actual[1].Max) {
		t.Errorf("Partial maxima = %v, %v; want 250, NaN", p.Actual[0].Max, p.Actual[1].Max)
	}

	s.Reset()
	for i := range rows {
		s.Add(&rows[i])
	}
	if diff := cmp.Diff(summarize(c, opt, rows), s.Summary(), cmpopts.EquateNaNs()); diff != "" {
		t.Errorf("Summary after Reset mismatch (-want +got):\n%s", diff)
	}
	if allocs := testing.AllocsPerRun(5, func() {
		s.Reset()
		for i := range rows {
			s.Add(&rows[i])
		}
	}); allocs > 4 {
		t.Errorf("a reset Summarizer allocated %v times for a timeline it has seen; want <= 4 (the names Reset sorts and the map entry, nothing per row)", allocs)
	}
}

func TestSummaryOptionsValidate(t *testing.T) {
	if err := (&SummaryOptions{SLO: map[string]float64{"lag": 1}, FlapWindow: time.Minute}).Validate(); err != nil {
		t.Errorf("Validate(good) = %v", err)
	}
	err := (&SummaryOptions{SLO: map[string]float64{"lag": nan, "cpu": 80}, FlapWindow: -time.Second}).Validate()
	want := "flapWindow -1s: must not be negative\nslo[\"lag\"]: must be a number, not NaN"
	if err == nil || err.Error() != want {
		t.Errorf("Validate(bad) = %v, want %q", err, want)
	}
}

// goldenSummary is the summary of the golden files: two regions, one
// without HPA ticks.
func goldenSummary() Summary {
	rows := []Row{
		sumRow("us", 0, HPATick, 2, 2, 20, 40),
		sumRow("", 0, KEDAPoll, 1, 2, 5, 10),
		sumRow("us", 30, HPATick, 2, 4, 30.25, 80),
		sumRow("", 60, KEDAPoll, 2, 1, 1, 10),
		sumRow("us", 60, HPATick, 4, 4, 5, 60),
		sumRow("us", 90, HPATick, 4, 3, 1e6/3, 60),
	}
	c := Columns{Loop: ClosedLoop, Region: true, Actual: []string{"lag", "cpu"}}
	return summarize(c, SummaryOptions{SLO: map[string]float64{"lag": 10.5}}, rows)
}

func TestSummaryTextGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummaryText(&buf, goldenSummary()); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary/summary.txt.golden", buf.Bytes())

	buf.Reset()
	if err := WriteSummaryText(&buf, Summary{Loop: OpenLoop}); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary/empty.txt.golden", buf.Bytes())
}

func TestSummaryJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummaryJSON(&buf, goldenSummary()); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary/summary.json.golden", buf.Bytes())
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	if !strings.Contains(buf.String(), `"max": "NaN"`) {
		t.Error(`no "max": "NaN" for the region without HPA ticks`)
	}

	buf.Reset()
	if err := WriteSummaryJSON(&buf, Summary{Loop: OpenLoop}); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary/empty.json.golden", buf.Bytes())
}

func TestSummaryWriteErrors(t *testing.T) {
	if err := WriteSummaryText(failWriter{}, goldenSummary()); err == nil {
		t.Error("WriteSummaryText to a failing writer: no error")
	}
	if err := WriteSummaryJSON(failWriter{}, goldenSummary()); err == nil {
		t.Error("WriteSummaryJSON to a failing writer: no error")
	}
}

func BenchmarkSummarizer(b *testing.B) {
	c, rows := timelineBenchRows(40000)
	b.ReportAllocs()
	for b.Loop() {
		s := NewSummarizer(c, SummaryOptions{SLO: map[string]float64{"lag": 2000}})
		for i := range rows {
			s.Add(&rows[i])
		}
		s.Summary()
	}
}
