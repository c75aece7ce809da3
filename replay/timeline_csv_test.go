package replay

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/keda"
	"github.com/autoreplay/autoreplay/replay/trace"
)

var update = flag.Bool("update", false, "rewrite the .golden files under testdata")

// golden compares got with the file testdata/<name>, or rewrites it with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// tlEpoch is the fixed start of the test timelines.
var tlEpoch = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

func pv(v float64) trace.Value { return trace.Value{V: v, Status: trace.Present} }

var (
	failedV = trace.Value{Status: trace.Failed}
	absentV = trace.Value{}
)

// timelineCase is a hand-built timeline covering the columns' cases. Its
// rows include a poll that did not rescale, which the writers leave out.
type timelineCase struct {
	name string
	c    Columns
	rows []Row
}

func timelineCases() []timelineCase {
	return []timelineCase{{
		name: "closed",
		c:    Columns{Loop: ClosedLoop, Region: true, Recorded: true, Series: []string{"lag", "cpu"}, Actual: []string{"lag"}},
		rows: []Row{{
			Time: tlEpoch, Region: "eu", Event: HPATick,
			Replicas: 3, Pods: 3, Ready: 3, Desired: 4, Rescale: true,
			Recommendation: 6, HasRecommendation: true,
			Recorded: 3, HasRecorded: true,
			Seen:       []trace.Value{pv(12.5), failedV},
			Actual:     []float64{12.5},
			HPAReasons: hpaReasons(hpa.ReasonInvalidMetric, hpa.ReasonScaleUpLimit),
		}, {
			Time: tlEpoch.Add(15 * time.Second), Region: "eu", Event: KEDAPoll,
			Replicas: 4, Pods: 4, Ready: 3, Desired: 4,
			Seen:        []trace.Value{pv(math.NaN()), absentV},
			Actual:      []float64{1e21},
			KEDAReasons: kedaReasons(keda.ReasonActive, keda.ReasonFallbackApplied),
		}, {
			Time: tlEpoch.Add(15*time.Second + 250*time.Millisecond), Region: "us, west", Event: HPATick,
			Replicas: 5, Pods: 6, Ready: 2, Desired: 2, Rescale: true,
			Recommendation: 1, HasRecommendation: true,
			Recorded: 7, HasRecorded: true,
			Seen:        []trace.Value{pv(math.Inf(1)), pv(math.Inf(-1))},
			Actual:      []float64{-0.000125},
			KEDAReasons: kedaReasons(keda.ReasonActive),
			HPAReasons:  hpaReasons(hpa.ReasonScaleDownStabilized, hpa.ReasonTooFewReplicas),
		}, {
			Time: tlEpoch.Add(time.Minute + 1).In(time.FixedZone("CEST", 2*3600)), Region: `a "quoted" region`, Event: KEDAPoll,
			Replicas: 0, Pods: 0, Ready: 0, Desired: 1, Rescale: true,
			Seen:        []trace.Value{absentV, absentV},
			Actual:      []float64{math.Inf(1)},
			KEDAReasons: kedaReasons(keda.ReasonBelowMinReplicas),
			HPAReasons:  hpaReasons(hpa.ReasonBelowMinReplicas),
		}, {
			Time: tlEpoch.Add(90 * time.Second), Region: "eu", Event: HPATick,
			Replicas: 0, Pods: 0, Ready: 0, Desired: 0,
			Recorded: 0, HasRecorded: true,
			Seen:       []trace.Value{absentV, absentV},
			Actual:     []float64{0},
			HPAReasons: hpaReasons(hpa.ReasonScalingDisabled),
		}},
	}, {
		name: "open",
		c:    Columns{Loop: OpenLoop, Series: []string{"cpu"}},
		rows: []Row{{
			Time: tlEpoch, Event: HPATick, Replicas: 2, Pods: 2, Ready: 2, Desired: 2,
			Recommendation: 2, HasRecommendation: true,
			Seen:       []trace.Value{pv(61)},
			HPAReasons: hpaReasons(hpa.ReasonWithinTolerance),
		}, {
			Time: tlEpoch.Add(15 * time.Second), Event: HPATick, Replicas: 2, Pods: 2, Ready: 4, Desired: 4, Rescale: true,
			Recommendation: 5, HasRecommendation: true,
			Seen:       []trace.Value{pv(95.25)},
			HPAReasons: hpaReasons(hpa.ReasonScaleUpLimit),
		}},
	}, {
		name: "empty",
		c:    Columns{Loop: ClosedLoop, Series: []string{"lag"}, Actual: []string{"lag"}},
	}}
}

// keptRows returns the rows the timeline writers write.
func keptRows(rows []Row) []Row {
	var kept []Row
	for _, r := range rows {
		if keepRow(&r) {
			kept = append(kept, r)
		}
	}
	return kept
}

func hpaReasons(rs ...hpa.Reason) hpa.Reasons {
	var s hpa.Reasons
	for _, r := range rs {
		s |= 1 << r
	}
	return s
}

func kedaReasons(rs ...keda.Reason) keda.Reasons {
	var s keda.Reasons
	for _, r := range rs {
		s |= 1 << r
	}
	return s
}

// writeTimeline writes rows with the writer newW makes and returns the
// bytes.
func writeTimeline(t testing.TB, newW func(*bytes.Buffer, Columns) TimelineWriter, c Columns, rows []Row) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := newW(&buf, c)
	for i := range rows {
		if err := w.Write(&rows[i]); err != nil {
			t.Fatalf("Write(row %d): %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}

func newCSV(b *bytes.Buffer, c Columns) TimelineWriter     { return NewCSVTimeline(b, c) }
func newJSON(b *bytes.Buffer, c Columns) TimelineWriter    { return NewJSONTimeline(b, c) }
func newParquet(b *bytes.Buffer, c Columns) TimelineWriter { return NewParquetTimeline(b, c) }

func TestTimelineCSVGolden(t *testing.T) {
	for _, tc := range timelineCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := writeTimeline(t, newCSV, tc.c, tc.rows)
			golden(t, "timeline/"+tc.name+".csv.golden", got)

			// encoding/csv reads it back: a header and a line per row, all
			// of the same width, with the fields as written.
			recs, err := csv.NewReader(bytes.NewReader(got)).ReadAll()
			if err != nil {
				t.Fatalf("encoding/csv: %v", err)
			}
			rows := keptRows(tc.rows)
			if len(recs) != len(rows)+1 {
				t.Fatalf("got %d records, want %d", len(recs), len(rows)+1)
			}
			names, err := timelineColumns(tc.c)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(names, recs[0]); diff != "" {
				t.Errorf("header mismatch (-want +got):\n%s", diff)
			}
			// The contract's leading columns.
			if diff := cmp.Diff([]string{"time", "region", "replicas", "desired", "source"}, recs[0][:5]); diff != "" {
				t.Errorf("leading columns mismatch (-want +got):\n%s", diff)
			}
			for i, r := range rows {
				rec := recs[i+1]
				tm, err := time.Parse(time.RFC3339Nano, rec[0])
				if err != nil || !tm.Equal(r.Time) || !strings.HasSuffix(rec[0], "Z") {
					t.Errorf("row %d: time %q (%v), want %v in UTC", i, rec[0], err, r.Time)
				}
				desired := ""
				if d, ok := rowDesired(&r); ok {
					desired = strconv.Itoa(int(d))
				}
				got := rec[1:8]
				want := []string{r.Region, strconv.Itoa(int(r.Desired)), desired, sourceName(r.Event),
					tc.c.Loop.String(), strconv.Itoa(int(r.Ready)), ""}
				if r.HasRecorded {
					want[6] = strconv.Itoa(int(r.Recorded))
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("row %d: region..recorded mismatch (-want +got):\n%s", i, diff)
				}
				if got, want := rec[len(rec)-1], r.Reasons(); got != want {
					t.Errorf("row %d: reasons %q, want Row.Reasons() %q", i, got, want)
				}
			}
		})
	}
}

// TestTimelineCSVQuoting checks the quoting against encoding/csv.Writer.
func TestTimelineCSVQuoting(t *testing.T) {
	for _, s := range []string{"", "eu", "a,b", `q"q`, "line\nbreak", "cr\rx", " lead", "\tlead", `\.`, "trail ", "ünï", "\u00a0nbsp"} {
		var want bytes.Buffer
		cw := csv.NewWriter(&want)
		if err := cw.Write([]string{s}); err != nil {
			t.Fatal(err)
		}
		cw.Flush()
		got := string(appendCSVField(nil, s)) + "\n"
		if got != want.String() {
			t.Errorf("appendCSVField(%q) = %q, want %q", s, got, want.String())
		}
	}
}

func TestTimelineReasonNames(t *testing.T) {
	for _, tc := range timelineCases() {
		for i := range tc.rows {
			r := &tc.rows[i]
			if got, want := strings.Join(reasonNames(nil, r), "+"), r.Reasons(); got != want {
				t.Errorf("%s row %d: reasonNames %q, want %q", tc.name, i, got, want)
			}
		}
	}
	all := &Row{KEDAReasons: ^keda.Reasons(0) >> 22, HPAReasons: ^hpa.Reasons(0) >> 16}
	if got, want := strings.Join(reasonNames(nil, all), "+"), all.Reasons(); got != want {
		t.Errorf("all reasons: %q, want %q", got, want)
	}
}

// TestTimelineErrors checks the errors every writer returns.
func TestTimelineErrors(t *testing.T) {
	writers := map[string]func(*bytes.Buffer, Columns) TimelineWriter{"csv": newCSV, "json": newJSON, "parquet": newParquet}
	for _, name := range []string{"csv", "json", "parquet"} {
		newW := writers[name]
		t.Run(name, func(t *testing.T) {
			c := Columns{Series: []string{"lag"}}
			var buf bytes.Buffer
			w := newW(&buf, c)
			err := w.Write(&Row{Time: tlEpoch, Event: HPATick})
			if err == nil || !strings.Contains(err.Error(), "has 0 seen and 0 actual values for 1 series and 0 actual series") {
				t.Errorf("Write(short row) = %v, want an error about the values", err)
			}
			if err := w.Write(&Row{Time: tlEpoch, Event: HPATick, Seen: []trace.Value{pv(1)}}); err != nil {
				t.Errorf("Write(good row) after a bad one = %v", err)
			}
			if err := w.Close(); err != nil {
				t.Errorf("Close = %v", err)
			}
			if err := w.Write(&Row{Time: tlEpoch, Event: HPATick, Seen: []trace.Value{pv(1)}}); !errors.Is(err, errTimelineClosed) {
				t.Errorf("Write after Close = %v, want %v", err, errTimelineClosed)
			}
			if err := w.Close(); !errors.Is(err, errTimelineClosed) {
				t.Errorf("second Close = %v, want %v", err, errTimelineClosed)
			}

			// A failing io.Writer's error comes back from Close at the latest.
			fw := NewCSVTimeline(failWriter{}, c)
			if name == "json" {
				fw = NewJSONTimeline(failWriter{}, c)
			} else if name == "parquet" {
				fw = NewParquetTimeline(failWriter{}, c)
			}
			err = fw.Write(&Row{Time: tlEpoch, Event: HPATick, Seen: []trace.Value{pv(1)}})
			if err == nil {
				err = fw.Close()
			}
			if !errors.Is(err, errFail) {
				t.Errorf("failing writer: got %v, want %v", err, errFail)
			}
		})
	}
	for _, name := range []string{"csv", "parquet"} {
		for _, c := range []Columns{
			{Series: []string{"ready"}},
			{Series: []string{"lag", "actual:lag"}, Actual: []string{"lag"}},
			{Series: []string{"lag", "lag"}},
			{Series: []string{""}},
		} {
			var buf bytes.Buffer
			w := writers[name](&buf, c)
			err := w.Write(&Row{Time: tlEpoch, Seen: make([]trace.Value, len(c.Series)), Actual: make([]float64, len(c.Actual))})
			if err == nil || !strings.Contains(err.Error(), "timeline:") {
				t.Errorf("%s %q: Write = %v, want a column error", name, c.Series, err)
			}
			if cerr := w.Close(); cerr == nil || cerr.Error() != err.Error() {
				t.Errorf("%s %q: Close = %v, want %v", name, c.Series, cerr, err)
			}
			if buf.Len() != 0 {
				t.Errorf("%s %q: wrote %q despite the error", name, c.Series, buf.String())
			}
		}
	}
}

var errFail = errors.New("disk full")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errFail }

// TestTimelineCSVAllocs checks that a row costs no allocation once the
// buffers have grown.
func TestTimelineCSVAllocs(t *testing.T) {
	tc := timelineCases()[0]
	w := NewCSVTimeline(discard{}, tc.c)
	for i := range tc.rows {
		if err := w.Write(&tc.rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"csv", "json"} {
		if name == "json" {
			w = NewJSONTimeline(discard{}, tc.c)
		}
		allocs := testing.AllocsPerRun(1000, func() {
			for i := range tc.rows {
				if err := w.Write(&tc.rows[i]); err != nil {
					t.Fatal(err)
				}
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per %d rows, want 0", name, allocs, len(tc.rows))
		}
	}
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }

// timelineBenchRows returns n rows of a closed-loop KEDA timeline: an HPA
// tick every 15 s with a poll between that rescales (the writers write every
// row).
func timelineBenchRows(n int) (Columns, []Row) {
	c := Columns{Loop: ClosedLoop, Recorded: true, Series: []string{"lag"}, Actual: []string{"lag"}}
	rows := make([]Row, n)
	for i := range rows {
		r := &rows[i]
		r.Time = tlEpoch.Add(time.Duration(i) * 7500 * time.Millisecond)
		r.Event = HPATick
		r.Replicas, r.Pods, r.Ready, r.Desired = 4, 5, 4, int32(4+i%3)
		r.Recommendation, r.HasRecommendation = int32(5+i%4), true
		if i%2 == 1 {
			r.Event = KEDAPoll
			r.Desired = int32(5 + i%3)
			r.Recommendation, r.HasRecommendation = 0, false
		}
		r.Rescale = r.Desired != r.Replicas
		r.Recorded, r.HasRecorded = 6, true
		lag := 1000 + float64(i%977)*3.25
		r.Seen = []trace.Value{pv(lag)}
		r.Actual = []float64{lag}
		r.KEDAReasons = kedaReasons(keda.ReasonActive)
		if r.Rescale {
			r.HPAReasons = hpaReasons(hpa.ReasonScaleUpLimit)
		}
	}
	return c, rows
}

func benchmarkTimeline(b *testing.B, newW func(io *bytes.Buffer, c Columns) TimelineWriter) {
	c, rows := timelineBenchRows(40000)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		w := newW(&buf, c)
		for i := range rows {
			if err := w.Write(&rows[i]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/float64(len(rows)), "bytes/row")
}

func BenchmarkTimelineCSV(b *testing.B) { benchmarkTimeline(b, newCSV) }
