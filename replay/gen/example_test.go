package gen_test

import (
	"fmt"
	"time"

	"github.com/autoreplay/autoreplay/replay/gen"
	"github.com/autoreplay/autoreplay/replay/trace"
)

// A consumer's lag: a steady level with noise, a consumer stuck for
// 20 minutes from 00:10, and two minutes of failed scrapes at 00:40, in
// rows of 5 minutes.
func Example() {
	ps, err := gen.Parse("constant(100),noise(sd=10,add),stuck(at=10m,for=20m,rate=2),outage(at=40m,for=2m,kind=failed)")
	if err != nil {
		fmt.Println(err)
		return
	}
	tb, err := gen.Generate(gen.Spec{
		Duration: time.Hour,
		Step:     5 * time.Minute,
		Seed:     1,
		Series:   []gen.Series{{Name: "lag", Patterns: ps}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range tb.Samples {
		v := s.Values[0]
		if v.Status == trace.Failed {
			fmt.Println(s.Time.Format("15:04"), "failed")
			continue
		}
		fmt.Printf("%s %.0f\n", s.Time.Format("15:04"), v.V)
	}
	// Output:
	// 00:00 103
	// 00:05 111
	// 00:10 116
	// 00:15 716
	// 00:20 1316
	// 00:25 1916
	// 00:30 102
	// 00:35 93
	// 00:40 failed
	// 00:45 94
	// 00:50 111
	// 00:55 101
}

// Two regions of a daily cycle: eu-west (UTC+1) peaks at 14:00 local time,
// 13:00 UTC, with 40 % of the traffic of us-east (UTC-5), which peaks at
// 19:00 UTC.
func ExampleGenerate_regions() {
	tb, err := gen.Generate(gen.Spec{
		Duration: 24 * time.Hour,
		Step:     time.Hour,
		Series:   []gen.Series{{Name: "rps", Patterns: []gen.Pattern{gen.Diurnal{Mean: 100, Amplitude: 0.5, Peak: 14 * time.Hour, Weekend: 1}}}},
		Regions: []gen.Region{
			{Name: "us-east", Scale: 1, Shift: -5 * time.Hour},
			{Name: "eu-west", Scale: 0.4, Shift: time.Hour},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	peak := map[string]trace.Sample{}
	for _, s := range tb.Samples {
		if p, ok := peak[s.Region]; !ok || s.Values[0].V > p.Values[0].V {
			peak[s.Region] = s
		}
	}
	for _, r := range []string{"us-east", "eu-west"} {
		fmt.Printf("%s peaks at %s UTC: %.0f\n", r, peak[r].Time.Format("15:04"), peak[r].Values[0].V)
	}
	// Output:
	// us-east peaks at 19:00 UTC: 150
	// eu-west peaks at 13:00 UTC: 60
}

// The spikes a pattern drew, from Run.
func ExampleRun() {
	res, err := gen.Run(gen.Spec{
		Duration: 7 * 24 * time.Hour,
		Step:     time.Minute,
		Seed:     4,
		Series: []gen.Series{{Name: "rps", Patterns: []gen.Pattern{
			gen.NewDiurnal(200),
			gen.Spike{Height: 10, Width: 2 * time.Hour, Count: 2},
		}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range res.Events {
		fmt.Println(e.Series, e.Time.Format(time.RFC3339))
	}
	// Output:
	// rps 2026-01-06T12:37:00Z
	// rps 2026-01-11T06:41:00Z
}
