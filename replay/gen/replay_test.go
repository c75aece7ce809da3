package gen_test

import (
	"os"
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/manifest"
	"github.com/autoreplay/autoreplay/replay"
	"github.com/autoreplay/autoreplay/replay/gen"
)

// A generated trace replays: its column feeds the trigger of the same
// name, per region, and the controller follows the shape — a launch spike
// takes the gateway to its maximum, nights and weekends to few replicas.
func TestGeneratedTraceReplays(t *testing.T) {
	const so = "../../examples/capture/gateway.yaml" // trigger requests_per_minute, threshold 8, 1 … 20 replicas
	f, err := os.Open(so)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sos, err := manifest.ParseScaledObjects(so, f, manifest.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	ps, err := gen.Parse("diurnal(mean=60,amplitude=0.6,peak=14:00,weekend=0.5),spike(height=10,width=2h,count=2),noise(sd=0.05)")
	if err != nil {
		t.Fatal(err)
	}
	res, err := gen.Run(gen.Spec{Duration: 7 * day, Step: 15 * time.Second, Seed: 1,
		Series:  []gen.Series{{Name: "requests_per_minute", Patterns: ps}},
		Regions: []gen.Region{{Name: "us-east", Scale: 1, Shift: -5 * time.Hour}, {Name: "eu-west", Scale: 0.4, Shift: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) == 0 {
		t.Fatal("seed 1 drew no spike")
	}
	rp, err := replay.New(replay.Config{ScaledObject: &sos[0].Spec}, res.Table.Header)
	if err != nil {
		t.Fatal(err)
	}
	type point struct {
		t       time.Time
		desired int32
	}
	rows := map[string][]point{}
	out, err := rp.Run(res.Table.Reader(), func(r *replay.Row) error {
		rows[r.Region] = append(rows[r.Region], point{r.Time, r.Desired})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Regions) != 2 || out.Regions[0].Region != "eu-west" || out.Regions[1].Region != "us-east" {
		t.Fatalf("regions %+v", out.Regions)
	}
	for _, e := range res.Events {
		top := int32(0)
		for _, p := range rows[e.Region] {
			if p.t.After(e.Time.Add(-time.Hour)) && p.t.Before(e.Time.Add(time.Hour)) {
				top = max(top, p.desired)
			}
		}
		if top != 20 {
			t.Errorf("%s: around the spike at %v the gateway ran at most %d replicas, want 20", e.Region, e.Time, top)
		}
	}
	// A quiet hour: us-east's 02:00 local time (07:00 UTC) on Tuesday, and
	// its busiest hour, 14:00 local (19:00 UTC), on Sunday; then eu-west,
	// a smaller region, at its own peak on a weekday.
	for _, c := range []struct {
		region   string
		at       time.Time
		min, max int32
	}{
		{"us-east", monday.Add(day + 7*time.Hour), 3, 4},    // 24/min at the trough: 3, held up by the 10-minute stabilization
		{"us-east", monday.Add(6*day + 19*time.Hour), 6, 7}, // 48/min: 6, and the noise
		{"eu-west", monday.Add(2*day + 13*time.Hour), 5, 6}, // 38.4/min: 5
	} {
		var got int32 = -1
		for _, p := range rows[c.region] {
			if !p.t.After(c.at) {
				got = p.desired
			}
		}
		if got < c.min || got > c.max {
			t.Errorf("%s at %v: %d replicas, want %d … %d", c.region, c.at, got, c.min, c.max)
		}
	}
}
