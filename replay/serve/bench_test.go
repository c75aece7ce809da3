package serve

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/replay/trace"
)

// weekTrace is 7 days of 15 s samples in 2 regions of 3 series.
func weekTrace() *trace.Table {
	const step = 15 * time.Second
	n := int(7 * 24 * time.Hour / step)
	tb := &trace.Table{Header: trace.Header{Series: []string{"lag", "cpu", "requests-per-minute"}, Region: true}}
	vals := make([]trace.Value, 0, 2*n*3)
	for i := range n {
		for _, region := range []string{"eu-west", "us-east"} {
			off := len(vals)
			for j := range 3 {
				vals = append(vals, trace.Value{V: float64(i*3 + j), Status: trace.Present})
			}
			tb.Samples = append(tb.Samples, trace.Sample{Time: t0.Add(time.Duration(i) * step), Region: region, Values: vals[off : off+3]})
		}
	}
	return tb
}

// BenchmarkMetrics answers /metrics and /json (all regions) and an
// instant query, mid-way through a week of 2 regions × 3 series.
func BenchmarkMetrics(b *testing.B) {
	tb := weekTrace()
	wall := wall0
	s, err := New(tb, Options{Now: func() time.Time { return wall }, Start: t0.Add(84 * time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	for _, bc := range []struct{ name, path string }{
		{"metrics", "/metrics"},
		{"json", "/json"},
		{"query", "/api/v1/query?query=lag%7Bregion%3D%22us-east%22%7D"},
	} {
		path := bc.path
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", path, nil)
			w := &discard{h: map[string][]string{}}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, req)
			}
			if w.status != 200 {
				b.Fatalf("status %d", w.status)
			}
		})
	}
}

// discard is a ResponseWriter that keeps nothing but the status.
type discard struct {
	h      map[string][]string
	status int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(code int)        { d.status = code }
