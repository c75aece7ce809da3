package tune

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/manifest"
	"github.com/autoreplay/autoreplay/replay"
	"github.com/autoreplay/autoreplay/replay/trace"
)

// benchManifest is a Kafka consumer scaled by KEDA on its lag.
const benchManifest = `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: orders-consumer
spec:
  scaleTargetRef:
    name: orders-consumer
  pollingInterval: 30
  cooldownPeriod: 300
  minReplicaCount: 1
  maxReplicaCount: 24
  advanced:
    horizontalPodAutoscalerConfig:
      behavior:
        scaleDown:
          stabilizationWindowSeconds: 300
  triggers:
    - type: kafka
      name: lag
      metadata:
        bootstrapServers: kafka:9092
        consumerGroup: orders
        topic: orders
        lagThreshold: "1000"
`

// weekTable is 7 days of 15 s rows: a lag and an arrival rate with a daily
// cycle and a deterministic wobble.
func weekTable() *trace.Table {
	const n = 7 * 24 * 3600 / 15
	t := &trace.Table{Header: trace.Header{Series: []string{"lag", "arrivals"}}}
	epoch := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	vals := make([]trace.Value, 2*n)
	t.Samples = make([]trace.Sample, n)
	for i := range n {
		day := 2 * math.Pi * float64(i) / (24 * 240)
		rate := 200 + 180*math.Sin(day) + float64(i%13)
		vals[2*i] = trace.Value{V: math.Round(rate * 20 * (1 + 0.3*math.Sin(7*day))), Status: trace.Present}
		vals[2*i+1] = trace.Value{V: rate, Status: trace.Present}
		t.Samples[i] = trace.Sample{Time: epoch.Add(time.Duration(i) * 15 * time.Second), Values: vals[2*i : 2*i+2 : 2*i+2], Line: i + 2}
	}
	return t
}

// benchGrid has configs configurations: thresholds × scale-down windows ×
// scale-up windows.
func benchGrid(configs int) []string {
	switch configs {
	case 10_000:
		return []string{"triggers.lag.threshold=100:2500:100", "scaleDown.window=0:1900:100", "scaleUp.window=0:1900:100"}
	case 1_000:
		return []string{"triggers.lag.threshold=100:1000:100", "scaleDown.window=0:900:100", "scaleUp.window=0:900:100"}
	}
	return []string{"triggers.lag.threshold=250:1000:250", "scaleDown.window=0:2400:600", "scaleUp.window=0,60"} // 40
}

func benchStudy(b *testing.B, configs int, closed, prune bool) *Study {
	base, err := NewBase("bench.yaml", []byte(benchManifest), "", manifest.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	var space Space
	for _, p := range benchGrid(configs) {
		pp, err := ParseParam(p)
		if err != nil {
			b.Fatal(err)
		}
		space.Params = append(space.Params, pp)
	}
	cfg := replay.Config{Partitions: map[string]int64{"lag": 24}}
	var cons []string
	if closed {
		cfg.Workloads = []replay.Workload{{Series: "lag", Kind: replay.Queue, Arrivals: "arrivals", Throughput: 25, MaxConsumers: 24}}
		cfg.StartupDelay = 45 * time.Second
		cons = []string{"lag <= 20000 for 99%", "scale_events_per_hour <= 6"}
	} else {
		cons = []string{"scale_events_per_hour <= 6"}
	}
	if !prune {
		cons = nil
	}
	goal, err := ParseGoal("", cons, nil)
	if err != nil {
		b.Fatal(err)
	}
	st, err := NewStudy(Input{Base: base, Space: space, Replay: cfg, Trace: weekTable(), Goal: goal, Prune: prune})
	if err != nil {
		b.Fatal(err)
	}
	if st.Size() != configs && configs != 40 {
		b.Fatalf("grid of %d configurations, want %d", st.Size(), configs)
	}
	return st
}

// BenchmarkTune runs whole studies over a 7-day trace at 15 s ticks
// (40,320 reconciles and 20,160 polls per configuration), streaming the
// records to a collector. peak-heap-MB samples the heap every 50
// configurations: flat in the grid size. The 10,000-configuration cases
// take about a minute each: run them with -benchtime 1x.
func BenchmarkTune(b *testing.B) {
	for _, configs := range []int{40, 1_000, 10_000} {
		for _, mode := range []struct {
			name          string
			closed, prune bool
		}{{"open", false, false}, {"open-pruned", false, true}, {"closed", true, false}, {"closed-pruned", true, true}} {
			b.Run(fmt.Sprintf("%s/%d", mode.name, configs), func(b *testing.B) {
				st := benchStudy(b, configs, mode.closed, mode.prune)
				var peak uint64
				var ms runtime.MemStats
				for b.Loop() {
					col, err := st.NewCollector(ReportOptions{})
					if err != nil {
						b.Fatal(err)
					}
					n := 0
					err = st.Run(context.Background(), Options{}, func(recs []Record) error {
						if n++; n%50 == 0 {
							runtime.ReadMemStats(&ms)
							peak = max(peak, ms.HeapAlloc)
						}
						return col.Add(recs)
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/study")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			})
		}
	}
}
