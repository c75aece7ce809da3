package gen_test

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/replay/gen"
	"github.com/autoreplay/autoreplay/replay/trace"
	"github.com/google/go-cmp/cmp"
)

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// monday is gen.DefaultStart().
var monday = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// series generates one series without regions and returns its values
// (failed cells as NaN).
func series(t *testing.T, dur, step time.Duration, seed uint64, ps ...gen.Pattern) []float64 {
	t.Helper()
	tb, err := gen.Generate(gen.Spec{Duration: dur, Step: step, Seed: seed, Series: []gen.Series{{Name: "x", Patterns: ps}}})
	if err != nil {
		t.Fatal(err)
	}
	return column(tb, "", 0)
}

// column returns series k of region's rows, failed cells as NaN.
func column(tb *trace.Table, region string, k int) []float64 {
	var out []float64
	for _, s := range tb.Samples {
		if s.Region != region {
			continue
		}
		v := s.Values[k]
		switch v.Status {
		case trace.Present:
			out = append(out, v.V)
		case trace.Failed:
			out = append(out, math.NaN())
		default:
			panic("absent value")
		}
	}
	return out
}

func mean(vs []float64) float64 {
	var s float64
	for _, v := range vs {
		s += v
	}
	return s / float64(len(vs))
}

func sd(vs []float64) float64 {
	m := mean(vs)
	var s float64
	for _, v := range vs {
		s += (v - m) * (v - m)
	}
	return math.Sqrt(s / float64(len(vs)-1))
}

func argmax(vs []float64) int {
	best := 0
	for i, v := range vs {
		if v > vs[best] {
			best = i
		}
	}
	return best
}

func near(got, want, rel float64) bool { return math.Abs(got-want) <= rel*math.Abs(want) }

func TestRows(t *testing.T) {
	tb, err := gen.Generate(gen.Spec{Duration: time.Hour, Step: 7 * time.Minute, Series: []gen.Series{{Name: "x", Patterns: []gen.Pattern{gen.Constant{Value: 1}}}}})
	if err != nil {
		t.Fatal(err)
	}
	// 0, 7, …, 56 minutes: 9 rows, the end excluded.
	if n := len(tb.Samples); n != 9 {
		t.Fatalf("%d rows, want 9", n)
	}
	if first, last := tb.Samples[0].Time, tb.Samples[8].Time; !first.Equal(monday) || !last.Equal(monday.Add(56*time.Minute)) || first.Location() != time.UTC {
		t.Errorf("rows from %v to %v", first, last)
	}
	if diff := cmp.Diff(trace.Header{Series: []string{"x"}}, tb.Header); diff != "" {
		t.Errorf("header mismatch (-want +got):\n%s", diff)
	}
	if n := len(series(t, week, 15*time.Second, 1, gen.Constant{Value: 1})); n != 40320 {
		t.Errorf("7d at 15s: %d rows, want 40320", n)
	}
}

func TestConstant(t *testing.T) {
	for i, v := range series(t, day, time.Minute, 1, gen.Constant{Value: 12.5}, gen.Constant{Value: 0.25}) {
		if v != 12.75 {
			t.Fatalf("row %d: %v, want 12.75", i, v)
		}
	}
}

func TestDiurnal(t *testing.T) {
	const step = time.Minute
	d := gen.Diurnal{Mean: 200, Amplitude: 0.6, Peak: 14*time.Hour + 30*time.Minute, Weekend: 0.4}
	vs := series(t, week, step, 1, d)
	perDay := int(day / step)
	var weekdays, weekend []float64
	for k := range 7 {
		dv := vs[k*perDay : (k+1)*perDay]
		m := mean(dv)
		if k < 5 { // Monday to Friday
			weekdays = append(weekdays, dv...)
			if !near(m, 200, 0.01) {
				t.Errorf("day %d: mean %v, want 200 ± 1 %%", k, m)
			}
		} else {
			weekend = append(weekend, dv...)
		}
		if got := time.Duration(argmax(dv)) * step; got < d.Peak-step || got > d.Peak+step {
			t.Errorf("day %d: the maximum at %v, want %v ± %v", k, got, d.Peak, step)
		}
		if mx := dv[argmax(dv)]; k < 5 && !near(mx, 200*1.6, 1e-9) {
			t.Errorf("day %d: maximum %v, want 320", k, mx)
		}
	}
	if r := mean(weekend) / mean(weekdays); !near(r, 0.4, 0.01) {
		t.Errorf("weekend mean / weekday mean = %v, want 0.4", r)
	}
}

func TestRamp(t *testing.T) {
	vs := series(t, 10*time.Hour, time.Minute, 1, gen.Ramp{From: 10, To: 70})
	if vs[0] != 10 || vs[len(vs)-1] != 70 {
		t.Errorf("default ramp: %v … %v, want 10 … 70", vs[0], vs[len(vs)-1])
	}
	vs = series(t, 10*time.Hour, time.Minute, 1, gen.Ramp{From: 100, To: 40, Start: 2 * time.Hour, End: 5 * time.Hour})
	for _, c := range []struct {
		at   time.Duration
		want float64
	}{{0, 100}, {2 * time.Hour, 100}, {3 * time.Hour, 80}, {5 * time.Hour, 40}, {9 * time.Hour, 40}} {
		if got := vs[c.at/time.Minute]; math.Abs(got-c.want) > 1e-9 {
			t.Errorf("at %v: %v, want %v", c.at, got, c.want)
		}
	}
}

func TestStep(t *testing.T) {
	vs := series(t, time.Hour, time.Minute, 1, gen.Constant{Value: 5}, gen.Step{At: 20*time.Minute + time.Second, By: 3})
	for i, v := range vs {
		want := 5.0
		if i > 20 {
			want = 8
		}
		if v != want {
			t.Errorf("row %d: %v, want %v", i, v, want)
		}
	}
}

func TestSinePeriod(t *testing.T) {
	const step = 10 * time.Second
	vs := series(t, 6*time.Hour, step, 1, gen.Constant{Value: 10}, gen.Sine{Amplitude: 5, Period: 50 * time.Minute, Phase: 5 * time.Minute})
	var rising []time.Duration
	for i := 1; i < len(vs); i++ {
		if vs[i-1] < 10 && vs[i] >= 10 {
			rising = append(rising, time.Duration(i)*step)
		}
	}
	if len(rising) != 8 { // 5m, 55m, …, 5h55m
		t.Fatalf("rising crossings at %v, want 8", rising)
	}
	for k, at := range rising {
		if want := 5*time.Minute + time.Duration(k)*50*time.Minute; at != want {
			t.Errorf("crossing %d at %v, want %v", k, at, want)
		}
	}
	if mx := vs[argmax(vs)]; !near(mx, 15, 1e-6) {
		t.Errorf("maximum %v, want 15", mx)
	}
}

// Spike counts follow a Poisson law with the count as its mean, and every
// spike reaches height × the value under it.
func TestSpike(t *testing.T) {
	const seeds = 1000
	sp := gen.Spike{Height: 10, Width: 30 * time.Minute, Count: 3}
	total := 0
	for seed := range uint64(seeds) {
		res, err := gen.Run(gen.Spec{Duration: week, Step: time.Minute, Seed: seed,
			Series: []gen.Series{{Name: "x", Patterns: []gen.Pattern{gen.Constant{Value: 100}, sp}}}})
		if err != nil {
			t.Fatal(err)
		}
		total += len(res.Events)
		vs := column(res.Table, "", 0)
		for _, e := range res.Events {
			i := int(e.Time.Sub(monday) / time.Minute)
			if vs[i] != 1000 {
				t.Errorf("seed %d: spike at %v reaches %v, want 1000", seed, e.Time, vs[i])
			}
			if e.Series != "x" || e.Pattern != 1 {
				t.Errorf("seed %d: event %+v", seed, e)
			}
		}
		if seed == 0 {
			for i, v := range vs {
				if v < 100 || v > 1000 {
					t.Fatalf("row %d: %v, want 100 … 1000", i, v)
				}
			}
		}
	}
	// The mean of 1000 Poisson(3) draws has sd √(3/1000) ≈ 0.055.
	if m := float64(total) / seeds; math.Abs(m-3) > 0.2 {
		t.Errorf("mean spike count %v over %d seeds, want 3", m, seeds)
	}
}

func TestSpikeShape(t *testing.T) {
	// The first seed that draws one spike away from the ends.
	var vs []float64
	p := -1
	for seed := range uint64(100) {
		res, err := gen.Run(gen.Spec{Duration: day, Step: time.Minute, Seed: seed,
			Series: []gen.Series{{Name: "x", Patterns: []gen.Pattern{gen.Constant{Value: 1}, gen.Spike{Height: 5, Width: 2 * time.Hour, Count: 1}}}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Events) == 1 {
			if i := int(res.Events[0].Time.Sub(monday) / time.Minute); i >= 70 && i < 1440-70 {
				vs, p = column(res.Table, "", 0), i
				break
			}
		}
	}
	if p < 0 {
		t.Fatal("no seed of 100 drew a single spike")
	}
	for off := -70; off <= 70; off++ {
		want := 1.0
		if d := math.Abs(float64(off)); d < 60 {
			c := math.Cos(math.Pi * d / 120)
			want = 1 + 4*c*c
		}
		if math.Abs(vs[p+off]-want) > 1e-12 {
			t.Errorf("%+d min from the peak: %v, want %v", off, vs[p+off], want)
		}
	}
	// Half of the extra load a quarter width from the peak.
	if math.Abs(vs[p+30]-3) > 1e-12 || math.Abs(vs[p-30]-3) > 1e-12 {
		t.Errorf("a quarter width from the peak: %v and %v, want 3", vs[p-30], vs[p+30])
	}
}

func TestNoise(t *testing.T) {
	const n = 50000
	vs := series(t, n*time.Minute, time.Minute, 3, gen.Constant{Value: 100}, gen.Noise{SD: 0.1})
	if s := sd(vs) / 100; !near(s, 0.1, 0.1) {
		t.Errorf("multiplicative: relative sd %v, want 0.1 ± 10 %%", s)
	}
	if m := mean(vs); !near(m, 100, 0.01) {
		t.Errorf("multiplicative: mean %v, want 100", m)
	}
	vs = series(t, n*time.Minute, time.Minute, 3, gen.Constant{Value: 1000}, gen.Noise{SD: 5, Additive: true})
	if s := sd(vs); !near(s, 5, 0.1) {
		t.Errorf("additive: sd %v, want 5 ± 10 %%", s)
	}
	// The noise is noise: consecutive rows do not repeat.
	if vs[0] == vs[1] || vs[1] == vs[2] {
		t.Errorf("rows repeat: %v", vs[:3])
	}
}

func TestOutage(t *testing.T) {
	base := []gen.Pattern{gen.Constant{Value: 50}}
	zero := series(t, time.Hour, time.Minute, 1, append(base, gen.Outage{At: 10 * time.Minute, For: 5 * time.Minute})...)
	failed := series(t, time.Hour, time.Minute, 1, append(base, gen.Outage{At: 10 * time.Minute, For: 5 * time.Minute, Kind: gen.OutageFailed}, gen.Constant{Value: 1})...)
	for i := range zero {
		in := i >= 10 && i < 15
		if in && (zero[i] != 0 || !math.IsNaN(failed[i])) || !in && (zero[i] != 50 || failed[i] != 51) {
			t.Errorf("row %d: zero %v, failed %v", i, zero[i], failed[i])
		}
	}
	// An outage past the end is cut there.
	vs := series(t, time.Hour, time.Minute, 1, append(base, gen.Outage{At: 50 * time.Minute, For: day})...)
	if vs[49] != 50 || vs[50] != 0 || vs[59] != 0 {
		t.Errorf("outage to the end: %v", vs[48:])
	}
}

func TestStuck(t *testing.T) {
	const step = 15 * time.Second
	vs := series(t, 2*time.Hour, step, 1, gen.Ramp{From: 0, To: 100, End: time.Hour}, gen.Stuck{At: 30 * time.Minute, For: 20 * time.Minute, Rate: 4})
	lo, hi := int(30*time.Minute/step), int(50*time.Minute/step)
	if vs[lo] != 50 {
		t.Errorf("at the start: %v, want 50, the ramp's value", vs[lo])
	}
	for i := lo; i < hi; i++ {
		want := 50 + 4*float64(i-lo)*step.Seconds()
		if math.Abs(vs[i]-want) > 1e-9 {
			t.Fatalf("row %d: %v, want %v (slope 4/s)", i, vs[i], want)
		}
	}
	// Then the ramp again.
	if want := 100 * 50 / 60.0; math.Abs(vs[hi]-want) > 1e-9 || vs[hi-1] < 4000 {
		t.Errorf("after: %v, want %v", vs[hi], want)
	}
}

func TestClamp(t *testing.T) {
	for i, v := range series(t, 2*time.Hour, time.Minute, 1, gen.Sine{Amplitude: 5, Period: time.Hour}, gen.Constant{Value: -1}) {
		want := max(5*math.Sin(2*math.Pi*float64(i)/60)-1, 0)
		if math.Abs(v-want) > 1e-9 || v < 0 || math.Signbit(v) {
			t.Fatalf("row %d: %v, want %v", i, v, want)
		}
	}
}

// launchWeek is the docs' example: a week of request rate with a launch
// spike, in two regions.
func launchWeek(seed uint64) gen.Spec {
	return gen.Spec{
		Duration: week, Step: time.Minute, Seed: seed,
		Series: []gen.Series{
			{Name: "rps", Patterns: []gen.Pattern{
				gen.Diurnal{Mean: 200, Amplitude: 0.6, Peak: 14 * time.Hour, Weekend: 0.5},
				gen.Spike{Height: 10, Width: 2 * time.Hour, Count: 1},
				gen.Noise{SD: 0.05},
			}},
			{Name: "lag", Patterns: []gen.Pattern{
				gen.Constant{Value: 20}, gen.Noise{SD: 5, Additive: true},
				gen.Stuck{At: 2*day + 3*time.Hour, For: 30 * time.Minute, Rate: 10},
				gen.Outage{At: 4 * day, For: time.Hour, Kind: gen.OutageFailed},
			}},
		},
		Regions: []gen.Region{{Name: "us-east", Scale: 1, Shift: -5 * time.Hour}, {Name: "eu-west", Scale: 0.4, Shift: time.Hour}},
	}
}

func encode(t *testing.T, tb *trace.Table) (csv, parquet []byte) {
	t.Helper()
	var c, p bytes.Buffer
	cw := trace.NewCSVWriter(&c, tb.Header)
	pw := trace.NewParquetWriter(&p, tb.Header)
	for i := range tb.Samples {
		if err := errors.Join(cw.Write(&tb.Samples[i]), pw.Write(&tb.Samples[i])); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(cw.Flush(), pw.Close()); err != nil {
		t.Fatal(err)
	}
	return c.Bytes(), p.Bytes()
}

func TestDeterministic(t *testing.T) {
	gen1 := func(seed uint64) (csv, parquet []byte) {
		tb, err := gen.Generate(launchWeek(seed))
		if err != nil {
			t.Fatal(err)
		}
		return encode(t, tb)
	}
	c1, p1 := gen1(1)
	c2, p2 := gen1(1)
	c3, p3 := gen1(2)
	if !bytes.Equal(c1, c2) || !bytes.Equal(p1, p2) {
		t.Error("the same seed gave different bytes")
	}
	if bytes.Equal(c1, c3) || bytes.Equal(p1, p3) {
		t.Error("seeds 1 and 2 gave the same bytes")
	}
	// The Parquet file reads back as the CSV file.
	r, err := trace.NewParquetReader("t.parquet", bytes.NewReader(p1), int64(len(p1)))
	if err != nil {
		t.Fatal(err)
	}
	tb, err := trace.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := encode(t, tb); !bytes.Equal(c, c1) {
		t.Error("the Parquet trace reads back differently from the CSV one")
	}
	if lines := strings.Count(string(c1), "\n"); lines != 1+2*7*24*60 {
		t.Errorf("%d lines", lines)
	}
	if !strings.HasPrefix(string(c1), "time,region,rps,lag\n2026-01-05T00:00:00Z,us-east,") {
		t.Errorf("CSV starts %q", c1[:60])
	}
}

// Streams are independent per series, region and pattern: a noise added
// in front does not move the spikes, another region draws other spikes.
func TestStreams(t *testing.T) {
	spec := func(ps ...gen.Pattern) gen.Spec {
		return gen.Spec{Duration: week, Step: time.Minute, Seed: 9,
			Series:  []gen.Series{{Name: "x", Patterns: ps}},
			Regions: []gen.Region{{Name: "a", Scale: 1}, {Name: "b", Scale: 1}}}
	}
	sp := gen.Spike{Height: 3, Width: time.Hour, Count: 20}
	times := func(s gen.Spec, region string) []time.Time {
		res, err := gen.Run(s)
		if err != nil {
			t.Fatal(err)
		}
		var ts []time.Time
		for _, e := range res.Events {
			if e.Region == region {
				ts = append(ts, e.Time)
			}
		}
		return ts
	}
	plain := times(spec(gen.Constant{Value: 1}, sp), "a")
	noisy := times(spec(gen.Constant{Value: 1}, gen.Noise{SD: 0.1}, sp), "a")
	if len(plain) == 0 || !cmp.Equal(plain, noisy) {
		t.Errorf("a noise pattern moved the spikes:\n%v\n%v", plain, noisy)
	}
	if other := times(spec(gen.Constant{Value: 1}, sp), "b"); cmp.Equal(plain, other) {
		t.Error("regions a and b drew the same spikes")
	}
}

// A region's scale multiplies its values, and its shift is its UTC offset:
// a 14:00 peak at UTC-6 is at 20:00 UTC, at UTC+1 at 13:00 UTC.
func TestRegions(t *testing.T) {
	tb, err := gen.Generate(gen.Spec{Duration: 2 * day, Step: time.Minute,
		Series: []gen.Series{{Name: "rps", Patterns: []gen.Pattern{gen.NewDiurnal(100)}}, {Name: "base", Patterns: []gen.Pattern{gen.Constant{Value: 10}}}},
		Regions: []gen.Region{
			{Name: "us-central", Scale: 1, Shift: -6 * time.Hour},
			{Name: "eu-west", Scale: 0.4, Shift: time.Hour},
			{Name: "utc", Scale: 2},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !tb.Header.Region {
		t.Fatal("no region column")
	}
	for i, s := range tb.Samples[:6] {
		if want := []string{"us-central", "eu-west", "utc"}[i%3]; s.Region != want || !s.Time.Equal(monday.Add(time.Duration(i/3)*time.Minute)) {
			t.Errorf("row %d: %s %v, want %s", i, s.Time, s.Region, want)
		}
	}
	for _, c := range []struct {
		region string
		scale  float64
		peak   time.Duration // UTC
	}{{"us-central", 1, 20 * time.Hour}, {"eu-west", 0.4, 13 * time.Hour}, {"utc", 2, 14 * time.Hour}} {
		rps, base := column(tb, c.region, 0), column(tb, c.region, 1)
		if base[0] != 10*c.scale {
			t.Errorf("%s: constant 10 reads %v, want %v", c.region, base[0], 10*c.scale)
		}
		if got := time.Duration(argmax(rps[:1440])) * time.Minute; got != c.peak {
			t.Errorf("%s: peak at %v UTC, want %v", c.region, got, c.peak)
		}
		if mx := rps[argmax(rps)]; !near(mx, 150*c.scale, 1e-9) {
			t.Errorf("%s: maximum %v, want %v", c.region, mx, 150*c.scale)
		}
	}
}

// The weekend is the region's: at UTC+9 Saturday starts on Friday 15:00 UTC.
func TestWeekendInLocalTime(t *testing.T) {
	tb, err := gen.Generate(gen.Spec{Duration: week, Step: time.Hour,
		Series:  []gen.Series{{Name: "x", Patterns: []gen.Pattern{gen.Diurnal{Mean: 10, Weekend: 0}}}},
		Regions: []gen.Region{{Name: "tokyo", Scale: 1, Shift: 9 * time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	vs := column(tb, "tokyo", 0)
	friday15 := 4*24 + 15
	if vs[friday15-1] != 10 || vs[friday15] != 0 || vs[friday15+47] != 0 || vs[friday15+48] != 10 {
		t.Errorf("around the weekend: %v", vs[friday15-1:friday15+49])
	}
}

func TestValidate(t *testing.T) {
	one := []gen.Series{{Name: "x", Patterns: []gen.Pattern{gen.Constant{Value: 1}}}}
	with := func(ps ...gen.Pattern) []gen.Series { return []gen.Series{{Name: "x", Patterns: ps}} }
	for _, c := range []struct {
		name string
		spec gen.Spec
		want string
	}{
		{"negative step", gen.Spec{Duration: day, Step: -time.Second, Series: one}, "step -1s: want a positive duration"},
		{"short", gen.Spec{Duration: 10 * time.Second, Series: one}, "duration 10s: want at least one step (15s)"},
		{"too many rows", gen.Spec{Duration: 3000 * day, Step: time.Second, Series: one}, "259200000 times × 1 regions: want at most 50000000 rows (a longer step or a shorter duration)"},
		{"too many rows in regions", gen.Spec{Duration: 400 * day, Step: time.Second, Series: one,
			Regions: []gen.Region{{Name: "a", Scale: 1}, {Name: "b", Scale: 1}}}, "34560000 times × 2 regions: want at most 50000000 rows (a longer step or a shorter duration)"},
		{"out of range", gen.Spec{Start: time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC), Duration: 365 * day, Step: time.Hour, Series: one},
			"start 2262-01-01T00:00:00Z, duration 365d: the rows must lie within 1677-09-21T00:12:43Z … 2262-04-11T23:47:16Z"},
		{"no series", gen.Spec{Duration: day}, "no series: want at least one"},
		{"reserved", gen.Spec{Duration: day, Series: []gen.Series{{Name: "region", Patterns: one[0].Patterns}}}, `series "region": the name is reserved for the region column`},
		{"empty name", gen.Spec{Duration: day, Series: []gen.Series{{Patterns: one[0].Patterns}}}, "series 1: empty name"},
		{"line break", gen.Spec{Duration: day, Series: []gen.Series{{Name: "a\nb", Patterns: one[0].Patterns}}}, `series "a\nb": a line break in the name`},
		{"twice", gen.Spec{Duration: day, Series: append(one, one...)}, `series "x": the name is given twice`},
		{"no pattern", gen.Spec{Duration: day, Series: []gen.Series{{Name: "x"}}}, `series "x": no pattern: want at least one, e.g. constant(value=1)`},
		{"nil pattern", gen.Spec{Duration: day, Series: with(nil)}, `series "x": <nil>: a nil pattern`},
		{"outage after the end", gen.Spec{Duration: day, Series: with(gen.Constant{Value: 1}, gen.Outage{At: 2 * day, For: time.Hour})},
			`series "x": outage(at=2d,for=1h): at 2d: want an offset before the end of the trace (1d)`},
		{"stuck for nothing", gen.Spec{Duration: day, Series: with(gen.Stuck{At: time.Hour, Rate: 1})}, `series "x": stuck(at=1h,for=0s,rate=1): for 0s: want a positive duration`},
		{"ramp backwards", gen.Spec{Duration: day, Series: with(gen.Ramp{From: 1, To: 2, Start: 5 * time.Hour, End: time.Hour})},
			`series "x": ramp(from=1,to=2,start=5h,end=1h): end 1h: want an offset after start (5h)`},
		{"ramp past the end", gen.Spec{Duration: day, Series: with(gen.Ramp{From: 1, To: 2, End: 25 * time.Hour})},
			`series "x": ramp(from=1,to=2,end=1d1h): end 1d1h: want an offset within the trace (1d)`},
		{"ramp starts at the last row", gen.Spec{Duration: time.Hour, Step: time.Minute, Series: with(gen.Ramp{From: 1, To: 2, Start: 59 * time.Minute})},
			`series "x": ramp(from=1,to=2,start=59m): start 59m: want an offset before the last row (59m), where the ramp ends`},
		{"diurnal without weekend is fine, amplitude is not", gen.Spec{Duration: day, Series: with(gen.Diurnal{Mean: 1, Amplitude: 2})},
			`series "x": diurnal(mean=1,amplitude=2,peak=00:00,weekend=0): amplitude 2: want a number from 0 to 1 (relative to the mean)`},
		{"spike too often", gen.Spec{Duration: time.Hour, Step: time.Minute, Series: with(gen.Spike{Height: 2, Width: time.Minute, Every: time.Second})},
			`series "x": spike(height=2,width=1m,every=1s): every 1s: want at least the step (1m)`},
		{"spike count", gen.Spec{Duration: time.Hour, Step: time.Minute, Series: with(gen.Spike{Height: 2, Width: time.Minute, Count: 100})},
			`series "x": spike(height=2,width=1m,count=100): count 100: want at most one spike per row (60)`},
		{"spike after the end", gen.Spec{Duration: time.Hour, Series: with(gen.Spike{Height: 2, Width: time.Minute, At: 2 * time.Hour})},
			`series "x": spike(height=2,width=1m,at=2h): at 2h: want an offset before the end of the trace (1h)`},
		{"spike count and at", gen.Spec{Duration: time.Hour, Series: with(gen.Spike{Height: 2, Width: time.Minute, Count: 1, At: time.Minute})},
			`series "x": spike(height=2,width=1m,count=1,at=1m): count, every and at: give one of them`},
		{"spike count", gen.Spec{Duration: time.Hour, Series: with(gen.Spike{Height: 2, Width: time.Minute, Count: -1})},
			`series "x": spike(height=2,width=1m,count=-1): count -1: want a number > 0 (the expected number of spikes)`},
		{"noise NaN", gen.Spec{Duration: time.Hour, Series: with(gen.Noise{SD: math.NaN()})}, `series "x": noise(sd=NaN): sd NaN: want a finite number >= 0`},
		{"constant Inf", gen.Spec{Duration: time.Hour, Series: with(gen.Constant{Value: math.Inf(1)})}, `series "x": constant(value=+Inf): value +Inf: want a finite number`},
		{"region name", gen.Spec{Duration: day, Series: one, Regions: []gen.Region{{Scale: 1}}}, "region 1: empty name"},
		{"region twice", gen.Spec{Duration: day, Series: one, Regions: []gen.Region{{Name: "a", Scale: 1}, {Name: "a", Scale: 2}}}, `region "a": the name is given twice`},
		{"region scale", gen.Spec{Duration: day, Series: one, Regions: []gen.Region{{Name: "a", Scale: -1}}}, `region "a": scale -1: want a finite number >= 0`},
		{"region scale Inf", gen.Spec{Duration: day, Series: one, Regions: []gen.Region{{Name: "a", Scale: math.Inf(1)}}}, `region "a": scale +Inf: want a finite number >= 0`},
		{"region shift", gen.Spec{Duration: day, Series: one, Regions: []gen.Region{{Name: "a", Scale: 1, Shift: 25 * time.Hour}}}, `region "a": shift 1d1h: want a UTC offset from -24h to 24h`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.spec.Validate()
			if err == nil || err.Error() != c.want {
				t.Fatalf("got  %v\nwant %s", err, c.want)
			}
			if _, err := gen.Generate(c.spec); err == nil || err.Error() != c.want {
				t.Errorf("Generate: %v", err)
			}
		})
	}
	var se *gen.SeriesError
	err := gen.Spec{Duration: day, Series: []gen.Series{one[0], {Name: "y", Patterns: []gen.Pattern{gen.Constant{Value: 1}, gen.Step{At: 3 * day, By: 1}}}}}.Validate()
	if !errors.As(err, &se) || se.Index != 1 || se.Name != "y" || se.PatternIndex != 1 || se.Pattern != (gen.Step{At: 3 * day, By: 1}) ||
		se.Err.Error() != "at 3d: want an offset before the end of the trace (1d)" {
		t.Errorf("SeriesError: %#v", err)
	}
	var re *gen.RegionError
	err = gen.Spec{Duration: day, Series: one, Regions: []gen.Region{{Name: "a", Scale: 1}, {Name: "b", Scale: -2}}}.Validate()
	if !errors.As(err, &re) || re.Index != 1 || re.Name != "b" || re.Err.Error() != "scale -2: want a finite number >= 0" {
		t.Errorf("RegionError: %#v", err)
	}
}

func TestOverflow(t *testing.T) {
	_, err := gen.Generate(gen.Spec{Duration: time.Hour, Series: []gen.Series{{Name: "x", Patterns: []gen.Pattern{gen.Constant{Value: 1e308}, gen.Constant{Value: 1e308}}}},
		Regions: []gen.Region{{Name: "a", Scale: 1}}})
	if want := `series "x" in region "a": the value at 2026-01-05T00:00:00Z is +Inf: the patterns overflow float64`; err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

// A spike at a given offset peaks there in every region, with no draw.
func TestSpikeAt(t *testing.T) {
	res, err := gen.Run(gen.Spec{Duration: day, Step: time.Minute,
		Series:  []gen.Series{{Name: "x", Patterns: []gen.Pattern{gen.Constant{Value: 2}, gen.Spike{Height: 4, Width: time.Hour, At: 10*time.Hour + 20*time.Second}}}},
		Regions: []gen.Region{{Name: "a", Scale: 1}, {Name: "b", Scale: 0.5}}})
	if err != nil {
		t.Fatal(err)
	}
	at := monday.Add(10 * time.Hour)
	want := []gen.Event{{Series: "x", Region: "a", Pattern: 1, Time: at}, {Series: "x", Region: "b", Pattern: 1, Time: at}}
	if diff := cmp.Diff(want, res.Events); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
	a, b := column(res.Table, "a", 0), column(res.Table, "b", 0)
	if a[600] != 8 || b[600] != 4 || a[570] != 2 || a[630] != 2 || a[585] != 5 {
		t.Errorf("around the peak: %v", a[565:635])
	}
}
