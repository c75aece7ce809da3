package replay

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/replay/trace"
)

// weekTrace is 7 days of 15 s samples of two series with a daily cycle.
func weekTrace(series ...string) *sliceReader {
	tr := newTrace(series...)
	const n = 7 * 24 * 3600 / 15
	tr.rows = make([]trace.Sample, n)
	vals := make([]trace.Value, n*len(series))
	for i := range n {
		s := &tr.rows[i]
		s.Time, s.Line = epoch.Add(time.Duration(i)*15*time.Second), i+2
		s.Values = vals[i*len(series) : (i+1)*len(series) : (i+1)*len(series)]
		day := 2 * math.Pi * float64(i) / (24 * 240)
		for k := range series {
			s.Values[k] = present(500 + 450*math.Sin(day+float64(k)) + float64(i%7))
		}
	}
	return tr
}

// BenchmarkReplayWeek replays 7 days at 15 s ticks (40,320 HPA reconciles
// and 20,160 polls) through a 2-trigger ScaledObject, excluding parsing.
func BenchmarkReplayWeek(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  func() Config
	}{
		{"open", func() Config { return Config{ScaledObject: promSO(0, 50, 100, "a", "b")} }},
		{"closed", func() Config {
			return Config{ScaledObject: promSO(0, 50, 100, "a", "b"), StartupDelay: 30 * time.Second,
				Workloads: []Workload{{Series: "a", Kind: Queue, Arrivals: "rate", Throughput: 40}}}
		}},
		{"hpa", func() Config { return Config{HPA: externalHPA("a", 100_000, 1, 50)} }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tr := weekTrace("a", "b", "rate")
			var rows int
			for b.Loop() {
				tr.i = 0
				rp, err := New(bc.cfg(), tr.Header())
				if err != nil {
					b.Fatal(err)
				}
				rows = 0
				if _, err := rp.Run(tr, func(*Row) error { rows++; return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows), "rows/op")
		})
	}
}

// csvTrace is days of 15 s samples of two series, as CSV.
func csvTrace(days int) []byte {
	var b strings.Builder
	b.WriteString("time,a,b\n")
	n := days * 24 * 240
	for i := range n {
		t := epoch.Add(time.Duration(i) * 15 * time.Second)
		day := 2 * math.Pi * float64(i) / (24 * 240)
		fmt.Fprintf(&b, "%s,%.1f,%.1f\n", t.Format(time.RFC3339), 500+450*math.Sin(day), 500+450*math.Cos(day))
	}
	return []byte(b.String())
}

// BenchmarkStream reads a CSV trace, replays it through a 2-trigger
// ScaledObject and writes the CSV timeline: memory per op must not grow
// with the trace's length.
func BenchmarkStream(b *testing.B) {
	for _, days := range []int{1, 7, 28} {
		b.Run(fmt.Sprintf("days=%d", days), func(b *testing.B) {
			data := csvTrace(days)
			for b.Loop() {
				r := trace.NewCSVReader("week.csv", bytes.NewReader(data))
				rp, err := New(Config{ScaledObject: promSO(0, 50, 100, "a", "b")}, r.Header())
				if err != nil {
					b.Fatal(err)
				}
				w := NewCSVTimeline(io.Discard, rp.Columns())
				if _, err := rp.Run(r, w.Write); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
