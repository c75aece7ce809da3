package gen_test

import (
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/replay/gen"
	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []gen.Pattern
	}{
		{"constant(5)", []gen.Pattern{gen.Constant{Value: 5}}},
		{"constant(value=-1.5e3)", []gen.Pattern{gen.Constant{Value: -1500}}},
		{"diurnal(mean=100)", []gen.Pattern{gen.Diurnal{Mean: 100, Amplitude: 0.5, Peak: 14 * time.Hour, Weekend: 1}}},
		{" diurnal ( 200 , 0.6, peak = 9:30 , weekend=0 ) ", []gen.Pattern{gen.Diurnal{Mean: 200, Amplitude: 0.6, Peak: 9*time.Hour + 30*time.Minute}}},
		{"ramp(0, 100)", []gen.Pattern{gen.Ramp{To: 100}}},
		{"ramp(from=5,to=1,start=1d,end=1w)", []gen.Pattern{gen.Ramp{From: 5, To: 1, Start: day, End: week}}},
		{"step(at=36h,by=-20)", []gen.Pattern{gen.Step{At: 36 * time.Hour, By: -20}}},
		{"sine(5, 1h, phase=-10m)", []gen.Pattern{gen.Sine{Amplitude: 5, Period: time.Hour, Phase: -10 * time.Minute}}},
		{"spike(height=10,width=2h,count=1)", []gen.Pattern{gen.Spike{Height: 10, Width: 2 * time.Hour, Count: 1}}},
		{"spike(3, every=1d)", []gen.Pattern{gen.Spike{Height: 3, Width: 30 * time.Minute, Every: day}}},
		{"spike(3, 1h, at=2d14h)", []gen.Pattern{gen.Spike{Height: 3, Width: time.Hour, At: 2*day + 14*time.Hour}}},
		{"spike(3, at=0s)", []gen.Pattern{gen.Spike{Height: 3, Width: 30 * time.Minute}}},
		{"noise(sd=0.1)", []gen.Pattern{gen.Noise{SD: 0.1}}},
		{"noise(sd=5, add)", []gen.Pattern{gen.Noise{SD: 5, Additive: true}}},
		{"noise(add, sd=5)", []gen.Pattern{gen.Noise{SD: 5, Additive: true}}},
		{"outage(at=2d, for=1h)", []gen.Pattern{gen.Outage{At: 2 * day, For: time.Hour}}},
		{"outage(2d, 10m, failed)", []gen.Pattern{gen.Outage{At: 2 * day, For: 10 * time.Minute, Kind: gen.OutageFailed}}},
		{"stuck(at=1d10h,for=20m,rate=40)", []gen.Pattern{gen.Stuck{At: 34 * time.Hour, For: 20 * time.Minute, Rate: 40}}},
		{"diurnal(mean=200,amplitude=0.6,peak=14:00,weekend=0.5),spike(height=10,width=2h,count=1),noise(sd=0.05)", []gen.Pattern{
			gen.Diurnal{Mean: 200, Amplitude: 0.6, Peak: 14 * time.Hour, Weekend: 0.5},
			gen.Spike{Height: 10, Width: 2 * time.Hour, Count: 1},
			gen.Noise{SD: 0.05},
		}},
	} {
		got, err := gen.Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("Parse(%q) mismatch (-want +got):\n%s", c.in, diff)
		}
		// String writes what Parse reads.
		for _, p := range got {
			again, err := gen.Parse(p.String())
			if err != nil || len(again) != 1 || !cmp.Equal(p, again[0]) {
				t.Errorf("Parse(%q) = %v, %v; want %#v", p.String(), again, err, p)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "no pattern: want e.g. diurnal(mean=100)"},
		{"diurnal(mean=x)", `diurnal: mean "x": want a number`},
		{"diurnal(mean=NaN)", `diurnal: mean "NaN": want a number`},
		{"diurnal(mean=1e400)", `diurnal: mean "1e400": want a number`},
		{"diurnel(mean=1)", `unknown pattern "diurnel": want constant, diurnal, ramp, step, sine, spike, noise, outage or stuck`},
		{"diurnal(mena=1)", `diurnal: unknown argument "mena": want mean, amplitude, peak or weekend`},
		{"diurnal(amplitude=0.5)", "diurnal: missing mean"},
		{"diurnal()", "diurnal: missing mean"},
		{"diurnal", "diurnal: want diurnal(...) with its arguments"},
		{"diurnal(mean=1,mean=2)", "diurnal: mean given twice"},
		{"diurnal(1,mean=2)", "diurnal: mean given twice"},
		{"diurnal(mean=1,0.5)", `diurnal: "0.5" without a name after a named argument: name it, e.g. mean=0.5`},
		{"diurnal(mean=1,amplitude=1.5)", "diurnal: amplitude 1.5: want a number from 0 to 1 (relative to the mean)"},
		{"diurnal(mean=1,peak=25:00)", `diurnal: peak "25:00": want a time of day HH:MM, 00:00 to 23:59`},
		{"diurnal(mean=1,peak=2pm)", `diurnal: peak "2pm": want a time of day HH:MM, 00:00 to 23:59`},
		{"diurnal(mean=1,weekend=-1)", "diurnal: weekend -1: want a finite number >= 0"},
		{"diurnal(mean=1", `"diurnal(mean=1": missing ")"`},
		{"diurnal(mean=1))", `"diurnal(mean=1))": unexpected ")"`},
		{"diurnal(mean=1)x", `"diurnal(mean=1)x": unexpected "x" after ")"`},
		{"ramp(from=(1),to=2)", `"ramp(from=(1),to=2)": unexpected "(" in the arguments`},
		{"diurnal(mean=1,)", "diurnal: an empty argument"},
		{"diurnal(mean=1),,noise(sd=1)", "an empty pattern in the list: want patterns separated by single commas"},
		{"diurnal(mean=1),", "an empty pattern in the list: want patterns separated by single commas"},
		{"2x(1)", `"2x(1)": want a pattern: a name and its arguments, e.g. diurnal(mean=100)`},
		{"step(1h, 2, 3)", "step: too many arguments: want at most 2 without names (at, by)"},
		{"step(at=x,by=1)", `step: at "x": want a duration such as 90s, 30m, 36h, 7d or 2w`},
		{"step(at=-1h,by=1)", "step: at -1h: want an offset >= 0 from the trace's start"},
		{"sine(5, 0s)", "sine: period 0s: want a positive duration"},
		{"spike(height=10)", "spike: missing count, every or at: how many spikes, the mean time between them, or when the one spike peaks"},
		{"spike(height=10,count=1,every=1d)", "spike: count, every and at: give one of them"},
		{"spike(height=10,every=0s)", "spike: every 0s: want a positive duration"},
		{"spike(height=10,at=-1h)", "spike: at -1h: want an offset >= 0 from the trace's start"},
		{"spike(height=10,count=0)", "spike: count 0: want a number > 0 (the expected number of spikes)"},
		{"spike(height=10,width=0s,count=1)", "spike: width 0s: want a positive duration"},
		{"spike(10, 1h, 2, 3)", "spike: too many arguments: want at most 3 without names (height, width, count)"},
		{"noise(sd=-0.1)", "noise: sd -0.1: want a finite number >= 0"},
		{"noise(sd=1,add=yes)", "noise: add takes no value: write noise(…,add)"},
		{"noise(sd=1,add,add)", "noise: add given twice"},
		{"noise(mult)", `noise: sd "mult": want a number`},
		{"outage(at=1h,for=1h,kind=partial)", `outage: kind "partial": want zero or failed`},
		{"outage(at=1h)", "outage: missing for"},
		{"stuck(at=1h,for=1h)", "stuck: missing rate"},
	} {
		_, err := gen.Parse(c.in)
		if err == nil || err.Error() != c.want {
			t.Errorf("Parse(%q):\ngot  %v\nwant %s", c.in, err, c.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"7d", week}, {"2w", 2 * week}, {"1d12h", 36 * time.Hour}, {"1.5d", 36 * time.Hour}, {"90m", 90 * time.Minute},
		{"-6h", -6 * time.Hour}, {"+5h30m", 5*time.Hour + 30*time.Minute}, {"0", 0}, {"0s", 0}, {"15s", 15 * time.Second},
		{"250ms", 250 * time.Millisecond}, {"1w1d", 8 * day},
	} {
		got, err := gen.ParseDuration(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "-", "7", "d", "7 days", "1x", "1d-2h", "100000000d", "1..5h", "h1"} {
		if got, err := gen.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
	for _, c := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"}, {week, "7d"}, {36 * time.Hour, "1d12h"}, {90 * time.Minute, "1h30m"}, {-6 * time.Hour, "-6h"},
		{15 * time.Second, "15s"}, {1500 * time.Millisecond, "1.5s"}, {time.Hour + 500*time.Millisecond, "1h500ms"},
		{time.Duration(-1 << 63), "-106751d23h47m16.854775808s"},
	} {
		if got := gen.FormatDuration(c.in); got != c.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", c.in, got, c.want)
		}
		if back, err := gen.ParseDuration(gen.FormatDuration(c.in)); err != nil || back != c.in {
			t.Errorf("ParseDuration(FormatDuration(%v)) = %v, %v", c.in, back, err)
		}
	}
}

// FuzzParse: Parse never panics, and what it reads writes back as itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"diurnal(mean=200,amplitude=0.6,peak=14:00,weekend=0.5),spike(height=10,width=2h,count=1),noise(sd=0.05)",
		"ramp(0,100,start=1h),step(2h,5),sine(3,1h,-5m)", "outage(1d,1h,failed),stuck(at=2d,for=20m,rate=40)",
		"noise(5, add)", "constant(1)", "spike(3, every=1d)", "(", ")", ",", "a(b=c=d)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := gen.Parse(s)
		if err != nil {
			return
		}
		for _, p := range ps {
			again, err := gen.Parse(p.String())
			if err != nil || len(again) != 1 || !cmp.Equal(p, again[0]) {
				t.Errorf("Parse(%q) → %s → %v, %v", s, p, again, err)
			}
		}
	})
}
