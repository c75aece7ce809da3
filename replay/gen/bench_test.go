package gen_test

import (
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/replay/gen"
)

// benchSpec is dur at 15 s of two series in two regions, with every
// pattern but ramp and sine.
func benchSpec(dur time.Duration) gen.Spec {
	return gen.Spec{
		Duration: dur, Step: 15 * time.Second, Seed: 1,
		Series: []gen.Series{
			{Name: "rps", Patterns: []gen.Pattern{
				gen.Diurnal{Mean: 200, Amplitude: 0.6, Peak: 14 * time.Hour, Weekend: 0.5},
				gen.Spike{Height: 10, Width: 2 * time.Hour, Count: 1},
				gen.Noise{SD: 0.05},
			}},
			{Name: "lag", Patterns: []gen.Pattern{
				gen.Constant{Value: 20}, gen.Noise{SD: 5, Additive: true},
				gen.Stuck{At: dur / 3, For: 30 * time.Minute, Rate: 10},
				gen.Outage{At: dur / 2, For: time.Hour, Kind: gen.OutageFailed},
			}},
		},
		Regions: []gen.Region{{Name: "us-east", Scale: 1, Shift: -5 * time.Hour}, {Name: "eu-west", Scale: 0.4, Shift: time.Hour}},
	}
}

// BenchmarkGenerate generates a day and a week (40,320 times, 80,640 rows)
// of benchSpec.
func BenchmarkGenerate(b *testing.B) {
	for _, bc := range []struct {
		name string
		dur  time.Duration
	}{{"day", day}, {"week", week}} {
		b.Run(bc.name, func(b *testing.B) {
			spec := benchSpec(bc.dur)
			var rows int
			for b.Loop() {
				tb, err := gen.Generate(spec)
				if err != nil {
					b.Fatal(err)
				}
				rows = len(tb.Samples)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
		})
	}
}
