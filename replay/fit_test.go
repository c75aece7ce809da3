package replay

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/autoreplay/autoreplay/replay/trace"
)

// memTrace is a trace.Reader over samples in memory.
type memTrace struct {
	h    trace.Header
	rows []trace.Sample
	i    int
	err  error // reported at the end
	done bool
}

func (m *memTrace) Header() trace.Header  { return m.h }
func (m *memTrace) Sample() *trace.Sample { return &m.rows[m.i-1] }

func (m *memTrace) Scan() bool {
	if m.i >= len(m.rows) {
		m.done = true
		return false
	}
	m.i++
	return true
}

func (m *memTrace) Err() error {
	if m.done {
		return m.err
	}
	return nil
}

// queueSim simulates a queue consumed by a workload whose replica count a
// crude controller sets every 10 minutes, and records it as a trace with
// the series lag and arrivals (arrival rate, items/s) and a replicas
// column, a row every 15 s. Pods started by a scale-up are ready delay
// later; a scale-down removes ready pods at once (changes are 10 minutes
// apart, longer than the delay, so no pod is pending then).
type queueSim struct {
	region string
	mu     float64       // items per ready replica and second
	delay  time.Duration // startup delay, a multiple of 15 s
	maxC   int32         // consumers cap; 0 none
	scale  float64       // arrival rate scale; 0 means 1
	hourly bool          // arrival rate constant per hour (else varying every row)
	noise  float64       // standard deviation of the lag's measurement noise
	seed   uint64
}

// samples returns n rows and the number of 15 s steps in which the
// consumers cap bound. It fails t when the true lag reaches 0.
func (q queueSim) samples(t testing.TB, n int) ([]trace.Sample, int) {
	const step = 15 * time.Second
	rng := rand.New(rand.NewPCG(q.seed, 1))
	scale := q.scale
	if scale == 0 {
		scale = 1
	}
	hourRate := map[int]float64{}
	rate := func(i int) float64 {
		sec := float64(i) * step.Seconds()
		if q.hourly {
			h := int(sec / 3600)
			if _, ok := hourRate[h]; !ok {
				hourRate[h] = 200 + 200*rng.Float64()
			}
			return scale * hourRate[h]
		}
		return scale * (300 + 100*math.Sin(2*math.Pi*sec/(6*3600)) + 40*math.Sin(2*math.Pi*sec/(23*60)))
	}
	lag := 250000.0
	replicas, ready := int32(6), int32(6)
	var readyAt time.Time
	rows := make([]trace.Sample, n)
	capped := 0
	for i := range rows {
		now := tlEpoch.Add(time.Duration(i) * step)
		lam := rate(i)
		if i > 0 && i%40 == 0 {
			want := int32(math.Round(lam/q.mu)) + int32(rng.IntN(3)) - 1
			switch {
			case lag < 150000:
				want = int32(math.Floor(lam/q.mu)) - 1
			case lag > 400000:
				want = int32(math.Ceil(lam/q.mu)) + 1
			}
			want = max(want, 1)
			if want > replicas {
				readyAt = now.Add(q.delay)
			} else {
				ready = want
			}
			replicas = want
		}
		if !readyAt.IsZero() && !now.Before(readyAt) {
			ready, readyAt = replicas, time.Time{}
		}
		rec := lag
		if q.noise > 0 {
			rec += q.noise * rng.NormFloat64()
		}
		rows[i] = trace.Sample{
			Time: now, Region: q.region, Replicas: replicas, HasReplicas: true,
			Values: []trace.Value{pv(rec), pv(lam)}, Line: i + 2,
		}
		consumers := ready
		if q.maxC > 0 && consumers > q.maxC {
			consumers = q.maxC
			capped++
		}
		lag += (lam - q.mu*float64(consumers)) * step.Seconds()
		if lag <= 0 {
			t.Fatalf("simulation: the lag of %q reached 0 at row %d", q.region, i)
		}
	}
	return rows, capped
}

func simTrace(rows []trace.Sample, region bool) *memTrace {
	return &memTrace{h: trace.Header{Series: []string{"lag", "arrivals"}, Region: region, Replicas: true}, rows: rows}
}

func TestFitRecoversThroughputAndDelay(t *testing.T) {
	const n = 2 * 24 * 240 // two days of 15 s rows
	tests := []struct {
		name string
		sim  queueSim
		opt  FitOptions
	}{
		{"arrivals series", queueSim{mu: 40, delay: 90 * time.Second, seed: 1}, FitOptions{Lag: "lag", Arrivals: "arrivals"}},
		{"hourly arrival windows", queueSim{mu: 40, delay: 90 * time.Second, hourly: true, seed: 2}, FitOptions{Lag: "lag"}},
		{"arrivals series, consumers cap", queueSim{mu: 40, delay: 90 * time.Second, maxC: 6, scale: 0.6, seed: 3}, FitOptions{Lag: "lag", Arrivals: "arrivals", MaxConsumers: 6}},
		{"hourly windows, consumers cap", queueSim{mu: 40, delay: 90 * time.Second, maxC: 5, scale: 0.6, hourly: true, seed: 4}, FitOptions{Lag: "lag", MaxConsumers: 5}},
		{"no delay, 30 s steps", queueSim{mu: 12.5, delay: 0, hourly: true, scale: 0.3, seed: 5}, FitOptions{Lag: "lag", DelayStep: 30 * time.Second, MaxStartupDelay: 5 * time.Minute}},
		{"long delay", queueSim{mu: 40, delay: 5 * time.Minute, seed: 6}, FitOptions{Lag: "lag", Arrivals: "arrivals"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, capped := tt.sim.samples(t, n)
			if tt.sim.maxC > 0 && capped == 0 {
				t.Fatal("simulation: the consumers cap never bound")
			}
			got, err := Fit(simTrace(rows, false), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d results, want 1", len(got))
			}
			r := got[0]
			if math.Abs(r.Throughput-tt.sim.mu)/tt.sim.mu > 0.01 {
				t.Errorf("Throughput = %g, want %g within 1 %%", r.Throughput, tt.sim.mu)
			}
			if r.StartupDelay != tt.sim.delay {
				t.Errorf("StartupDelay = %v, want %v", r.StartupDelay, tt.sim.delay)
			}
			if r.RMSE > 1e-6 {
				t.Errorf("RMSE = %g items, want ~0 for noise-free data", r.RMSE)
			}
			if r.Intervals != n-1 || r.Samples != n {
				t.Errorf("Intervals, Samples = %d, %d, want %d, %d", r.Intervals, r.Samples, n-1, n)
			}
		})
	}
}

// TestFitNoise adds measurement noise of σ = 50 items to the lag. The lag
// change then has noise of √2·σ ≈ 71 items, which the RMSE should show.
func TestFitNoise(t *testing.T) {
	const sigma = 50
	for _, tt := range []struct {
		name string
		sim  queueSim
		opt  FitOptions
	}{
		{"arrivals series", queueSim{mu: 40, delay: 90 * time.Second, noise: sigma, seed: 7}, FitOptions{Lag: "lag", Arrivals: "arrivals"}},
		{"hourly arrival windows", queueSim{mu: 40, delay: 90 * time.Second, noise: sigma, hourly: true, seed: 8}, FitOptions{Lag: "lag"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rows, _ := tt.sim.samples(t, 7*24*240)
			got, err := Fit(simTrace(rows, false), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			r := got[0]
			t.Logf("%+v", r)
			if math.Abs(r.Throughput-40)/40 > 0.01 {
				t.Errorf("Throughput = %g, want 40 within 1 %%", r.Throughput)
			}
			if r.StartupDelay != 90*time.Second {
				t.Errorf("StartupDelay = %v, want 90s", r.StartupDelay)
			}
			if r.RMSE < 1.3*sigma || r.RMSE > 1.5*sigma {
				t.Errorf("RMSE = %g items, want about √2·%d ≈ 71", r.RMSE, sigma)
			}
		})
	}
}

// TestFitRegions fits two interleaved regions apart; results come sorted.
func TestFitRegions(t *testing.T) {
	const n = 24 * 240
	us, _ := queueSim{region: "us", mu: 40, delay: 90 * time.Second, seed: 9}.samples(t, n)
	eu, _ := queueSim{region: "eu", mu: 25, delay: 45 * time.Second, seed: 10}.samples(t, n)
	var rows []trace.Sample
	for i := range n {
		rows = append(rows, us[i], eu[i])
	}
	got, err := Fit(simTrace(rows, true), FitOptions{Lag: "lag", Arrivals: "arrivals"})
	if err != nil {
		t.Fatal(err)
	}
	type short struct {
		Region string
		Mu     float64
		Delay  time.Duration
	}
	var gs []short
	for _, r := range got {
		gs = append(gs, short{r.Region, math.Round(r.Throughput*1e6) / 1e6, r.StartupDelay})
	}
	want := []short{{"eu", 25, 45 * time.Second}, {"us", 40, 90 * time.Second}}
	if diff := cmp.Diff(want, gs); diff != "" {
		t.Errorf("Fit mismatch (-want +got):\n%s", diff)
	}
}

// TestFitGaps checks Absent and Failed lag values: intervals run between
// lag samples, rows without one still bring replica counts and arrival
// rates, and intervals touching a failed or NaN lag are skipped.
func TestFitGaps(t *testing.T) {
	const n = 24 * 240
	sim := queueSim{mu: 40, delay: 90 * time.Second, seed: 11}
	for _, tt := range []struct {
		name      string
		edit      func(i int, s *trace.Sample)
		intervals int
	}{
		{"lag every other row", func(i int, s *trace.Sample) {
			if i%2 == 1 {
				s.Values[0] = absentV
			}
		}, n/2 - 1},
		{"failed and NaN lag", func(i int, s *trace.Sample) {
			switch {
			case i%100 == 50:
				s.Values[0] = failedV
			case i%100 == 70:
				s.Values[0] = pv(math.NaN())
			}
		}, n - 1 - 2*58 - 2*57}, // rows 50, 150, …, 5750 and 70, …, 5670
		{"arrivals absent or failed", func(i int, s *trace.Sample) {
			switch {
			case i%3 != 0:
				s.Values[1] = absentV // held: the rate is constant over 3 rows here
				s.Values[1].V = 0
			case i%300 == 150:
				s.Values[1] = failedV
			}
		}, n - 1 - 3*(n/300)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rows, _ := sim.samples(t, n)
			if tt.name == "arrivals absent or failed" {
				// Make the rate constant over each 3 rows, so holding it is exact.
				for i := range rows {
					rows[i].Values[1] = rows[i-i%3].Values[1]
				}
				// The lag follows the held rate: resimulate it.
				resimulate(rows, sim)
			}
			for i := range rows {
				tt.edit(i, &rows[i])
			}
			got, err := Fit(simTrace(rows, false), FitOptions{Lag: "lag", Arrivals: "arrivals"})
			if err != nil {
				t.Fatal(err)
			}
			r := got[0]
			if math.Abs(r.Throughput-40)/40 > 1e-6 || r.StartupDelay != 90*time.Second || r.RMSE > 1e-6 {
				t.Errorf("Fit = %+v, want throughput 40, delay 90s, RMSE ~0", r)
			}
			if r.Intervals != tt.intervals || r.Samples != n {
				t.Errorf("Intervals, Samples = %d, %d, want %d, %d", r.Intervals, r.Samples, tt.intervals, n)
			}
		})
	}
}

// resimulate recomputes the lag of rows from their arrival rates and
// replica counts with sim's throughput and delay.
func resimulate(rows []trace.Sample, sim queueSim) {
	lag := rows[0].Values[0].V
	ready, replicas := rows[0].Replicas, rows[0].Replicas
	var readyAt time.Time
	for i := range rows {
		s := &rows[i]
		if s.Replicas > replicas {
			readyAt = s.Time.Add(sim.delay)
		} else if s.Replicas < replicas {
			ready = s.Replicas
		}
		replicas = s.Replicas
		if !readyAt.IsZero() && !s.Time.Before(readyAt) {
			ready, readyAt = replicas, time.Time{}
		}
		s.Values[0] = pv(lag)
		lag += (s.Values[1].V - sim.mu*float64(ready)) * 15
	}
}

func TestFitErrors(t *testing.T) {
	rows, _ := queueSim{mu: 40, delay: 90 * time.Second, seed: 12}.samples(t, 240)
	flat := func(edit func(i int, s *trace.Sample)) []trace.Sample {
		out := make([]trace.Sample, len(rows))
		for i, s := range rows {
			s.Values = []trace.Value{s.Values[0], s.Values[1]}
			edit(i, &s)
			out[i] = s
		}
		return out
	}
	cumReplicas := 0
	errRead := errors.New("lag.csv:7: bad number")
	tests := []struct {
		name string
		r    trace.Reader
		opt  FitOptions
		want string
	}{{
		name: "no replicas column",
		r:    &memTrace{h: trace.Header{Series: []string{"lag"}}, rows: rows},
		opt:  FitOptions{Lag: "lag"},
		want: "fit: the trace has no replicas column; the fit needs the recorded replica counts",
	}, {
		name: "no lag series",
		r:    simTrace(rows, false),
		opt:  FitOptions{Lag: "backlog"},
		want: `fit: the trace has no lag series "backlog" (series: lag, arrivals)`,
	}, {
		name: "no arrivals series",
		r:    simTrace(rows, false),
		opt:  FitOptions{Lag: "lag", Arrivals: "rate"},
		want: `fit: the trace has no arrivals series "rate" (series: lag, arrivals)`,
	}, {
		name: "bad options",
		r:    simTrace(rows, false),
		opt:  FitOptions{Lag: "lag", Arrivals: "lag", ArrivalWindow: -1, MaxConsumers: -2, MaxStartupDelay: time.Hour, DelayStep: time.Millisecond},
		want: "fit: arrivals \"lag\": must differ from the lag series\narrivalWindow -1ns: must not be negative\nmaxConsumers -2: must not be negative\ndelayStep 1ms: maxStartupDelay 1h0m0s would take more than 10000 steps",
	}, {
		name: "empty trace",
		r:    simTrace(nil, false),
		opt:  FitOptions{Lag: "lag"},
		want: "fit: the trace has no rows",
	}, {
		name: "reader error",
		r:    &memTrace{h: simTrace(nil, false).h, rows: rows, err: errRead},
		opt:  FitOptions{Lag: "lag"},
		want: "fit: lag.csv:7: bad number",
	}, {
		name: "no replica counts",
		r: simTrace(flat(func(i int, s *trace.Sample) {
			s.HasReplicas = false
		}), false),
		opt:  FitOptions{Lag: "lag"},
		want: "fit: no row has a replica count",
	}, {
		name: "queue never busy",
		r: simTrace(flat(func(i int, s *trace.Sample) {
			s.Values[0] = pv(float64(i % 2)) // lag 0 every other row
		}), true),
		opt:  FitOptions{Lag: "lag", Arrivals: "arrivals"},
		want: "fit: 0 usable intervals (consecutive lag samples above 0 with a valid arrival rate between); the fit needs at least 2",
	}, {
		name: "too few intervals per window",
		r: simTrace(flat(func(i int, s *trace.Sample) {
			s.Region = "eu"
			if i%60 != 0 {
				s.Values[0] = absentV
			}
		}), true),
		opt:  FitOptions{Lag: "lag", ArrivalWindow: 15 * time.Minute},
		want: `fit: region "eu": 3 usable intervals (consecutive lag samples above 0) in 3 arrival windows of 15m0s; the fit needs at least 2 more intervals than windows`,
	}, {
		name: "replicas constant",
		r: simTrace(flat(func(i int, s *trace.Sample) {
			s.Replicas = 5
		}), false),
		opt:  FitOptions{Lag: "lag"},
		want: "fit: the throughput is not identifiable: the ready replicas (capped at maxConsumers) do not vary within the 1h0m0s arrival windows; give an arrivals series or a longer arrival window",
	}, {
		name: "replicas above the consumers cap",
		r: simTrace(flat(func(i int, s *trace.Sample) {
			s.Replicas = 9 + int32(i/40)
		}), false),
		opt:  FitOptions{Lag: "lag", MaxConsumers: 8},
		want: "fit: the throughput is not identifiable: the ready replicas (capped at maxConsumers) do not vary within the 1h0m0s arrival windows; give an arrivals series or a longer arrival window",
	}, {
		name: "no ready replica",
		r: simTrace(flat(func(i int, s *trace.Sample) {
			s.Replicas = 0
		}), false),
		opt:  FitOptions{Lag: "lag", Arrivals: "arrivals"},
		want: "fit: the throughput is not identifiable: no ready replica in the usable intervals",
	}, {
		name: "lag rises with replicas",
		r: simTrace(flat(func(i int, s *trace.Sample) {
			// Each ready replica adds 20 items a second.
			s.Values[0] = pv(1000 + 300*float64(cumReplicas))
			cumReplicas += int(s.Replicas)
		}), false),
		opt:  FitOptions{Lag: "lag", MaxStartupDelay: time.Second},
		want: "fit: the fit gives a throughput of",
	}, {
		name: "time goes back",
		r: simTrace(flat(func(i int, s *trace.Sample) {
			if i == 9 {
				s.Time = tlEpoch
			}
		}), false),
		opt:  FitOptions{Lag: "lag"},
		want: "fit: line 11 (2024-05-01T10:00:00Z): time goes back from 2024-05-01T10:02:00Z",
	}, {
		name: "negative replicas",
		r: simTrace(flat(func(i int, s *trace.Sample) {
			s.Region = "us"
			if i == 3 {
				s.Replicas = -1
			}
		}), true),
		opt:  FitOptions{Lag: "lag"},
		want: `fit: region "us": line 5 (2024-05-01T10:00:45Z): replicas -1: must not be negative`,
	}, {
		name: "values missing",
		r: simTrace(flat(func(i int, s *trace.Sample) {
			if i == 7 {
				s.Values, s.Line = s.Values[:1], 0
			}
		}), false),
		opt:  FitOptions{Lag: "lag"},
		want: `fit: 2024-05-01T10:01:45Z: 1 values for 2 series`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Fit(tt.r, tt.opt)
			if err == nil {
				t.Fatalf("Fit = %+v, want error %q", got, tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Fit error\n got %q\nwant %q", err, tt.want)
			}
		})
	}
	// The reader's error is wrapped.
	r := &memTrace{h: simTrace(nil, false).h, rows: rows, err: errRead}
	if _, err := Fit(r, FitOptions{Lag: "lag"}); !errors.Is(err, errRead) {
		t.Errorf("Fit error %v does not wrap the reader's", err)
	}
}

// TestFitTiesShorterDelay: without scale-ups every delay fits the same;
// the shortest wins.
func TestFitTiesShorterDelay(t *testing.T) {
	rows, _ := queueSim{mu: 40, delay: 90 * time.Second, seed: 14}.samples(t, 480)
	for i := range rows {
		rows[i].Replicas = 8 - int32(i/100) // only scale-downs
	}
	got, err := Fit(simTrace(rows, false), FitOptions{Lag: "lag", Arrivals: "arrivals"})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].StartupDelay != 0 {
		t.Errorf("StartupDelay = %v, want 0 (all delays fit alike)", got[0].StartupDelay)
	}
}

func TestFitOptionsValidate(t *testing.T) {
	if err := (&FitOptions{Lag: "lag"}).Validate(); err != nil {
		t.Errorf("Validate(zero but lag) = %v", err)
	}
	err := (&FitOptions{MaxStartupDelay: -time.Second, DelayStep: -time.Second}).Validate()
	want := "lag: must name the lag series\nmaxStartupDelay -1s: must not be negative\ndelayStep -1s: must not be negative"
	if err == nil || err.Error() != want {
		t.Errorf("Validate = %v, want %q", err, want)
	}
}

func BenchmarkFit(b *testing.B) {
	rows, _ := queueSim{mu: 40, delay: 90 * time.Second, noise: 50, seed: 13}.samples(b, 7*24*240)
	for _, bc := range []struct {
		name string
		opt  FitOptions
	}{
		{"7d15s/arrivals", FitOptions{Lag: "lag", Arrivals: "arrivals"}},
		{"7d15s/windows", FitOptions{Lag: "lag"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Fit(simTrace(rows, false), bc.opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
