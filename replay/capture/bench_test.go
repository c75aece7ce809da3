package capture

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/internal/promtest"
)

// BenchmarkCapture captures 7 days at 15 s (40,321 times: 5 range requests
// and one instant query) of a gauge scraped every 15 s, from a real
// Prometheus server on loopback.
func BenchmarkCapture(b *testing.B) {
	const days = 7
	n := days * 24 * 3600 / 15
	var om strings.Builder
	om.WriteString("# TYPE lag gauge\n")
	for j := range n + 1 {
		fmt.Fprintf(&om, "lag{topic=\"orders\"} %d %d\n", (j*37)%5000, t0+15*j-10)
	}
	om.WriteString("# EOF\n")
	srv := promtest.Start(b, promtest.Options{OpenMetrics: om.String()})
	opt := Options{
		Targets: []Target{{URL: srv.URL}},
		Start:   time.Unix(t0, 0), End: time.Unix(t0, 0).Add(days * 24 * time.Hour), Step: 15 * time.Second,
	}
	qs := []Query{{Column: "lag", Expr: `sum(lag{topic="orders"})`}}
	for b.Loop() {
		res, err := Capture(context.Background(), qs, opt)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Table.Samples) != n+1 || res.Stats[0].Values != n+1 {
			b.Fatalf("%d rows, %d values", len(res.Table.Samples), res.Stats[0].Values)
		}
	}
}
