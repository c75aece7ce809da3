package hpa

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fzSource hands out the fuzz input piece by piece; an exhausted source
// gives zeros.
type fzSource struct{ b []byte }

func (s *fzSource) empty() bool { return len(s.b) == 0 }

func (s *fzSource) u8() byte {
	if len(s.b) == 0 {
		return 0
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c
}

func (s *fzSource) u16() uint16 { return uint16(s.u8()) | uint16(s.u8())<<8 }
func (s *fzSource) u32() uint32 { return uint32(s.u16()) | uint32(s.u16())<<16 }
func (s *fzSource) u64() uint64 { return uint64(s.u32()) | uint64(s.u32())<<32 }

// Limits of the checked tier. The reference model does its arithmetic in
// int32 as the controller does; these keep every sum it forms (replica
// counts, policy values, changes summed over at most fzMaxSteps events) far
// from overflow, and keep the legacy max(2×current, 4) within int32 (see
// the report of that overflow: a legacy HPA at more than 2^30 replicas gets a
// negative desired count).
const (
	fzMaxSteps    = 128
	fzMaxReplicas = 1 << 20
	fzMaxPods     = 1 << 24
	fzMaxPercent  = 400
)

// fzSpec decodes a spec. extreme selects replica counts and policy values
// over the whole int32 range. The result may be invalid; the caller skips
// those.
func fzSpec(s *fzSource, extreme bool) Spec {
	var spec Spec
	replicas := func() int32 {
		if extreme {
			switch s.u8() % 4 {
			case 0:
				return math.MaxInt32
			case 1:
				return math.MaxInt32 - int32(s.u8())
			case 2:
				return int32(s.u32() & math.MaxInt32)
			}
		}
		if s.u8()%4 == 0 {
			return int32(s.u32() % (fzMaxReplicas + 1))
		}
		return int32(s.u8() % 48)
	}
	spec.MinReplicas = replicas()
	spec.MaxReplicas = replicas()
	if spec.MaxReplicas < spec.MinReplicas {
		spec.MinReplicas, spec.MaxReplicas = spec.MaxReplicas, spec.MinReplicas
	}
	for range 1 + s.u8()%3 {
		m := Metric{Type: MetricType(1 + s.u8()%5), Target: TargetType(1 + s.u8()%3), Name: "m"}
		switch s.u8() % 6 {
		case 0:
			m.TargetMilli = math.MaxInt64
		case 1:
			m.TargetMilli = 1
		case 2:
			m.TargetMilli = int64(s.u64() >> 1) // may be 0: invalid
		default:
			m.TargetMilli = 1 + int64(s.u16())*10
		}
		if s.u8()%8 == 0 {
			m.TargetUtilization = int32(s.u32() & math.MaxInt32)
		} else {
			m.TargetUtilization = int32(s.u8())
		}
		spec.Metrics = append(spec.Metrics, m)
	}
	tol := func() float64 {
		switch c := s.u8(); {
		case c == 255:
			return math.NaN() // invalid
		case c == 254:
			return math.Inf(1)
		default:
			return float64(c) / 200
		}
	}
	spec.Tolerance = Tolerance{Down: tol(), Up: tol()}
	seconds := func(limit uint16) time.Duration {
		return time.Duration(s.u16()%limit) * time.Second
	}
	if s.u8()%4 == 0 {
		spec.LegacyDownscaleWindow = seconds(3700)
		return spec
	}
	rules := func() Rules {
		r := Rules{StabilizationWindow: seconds(3602), SelectPolicy: SelectPolicy(s.u8() % 3)}
		for range 1 + s.u8()%3 {
			p := Policy{Type: PolicyType(1 + s.u8()%2), Period: seconds(1802)}
			switch {
			case extreme && s.u8()%2 == 0:
				p.Value = int32(s.u32() & math.MaxInt32)
			case p.Type == PodsPolicy:
				p.Value = int32(s.u32() % (fzMaxPods + 1))
			default:
				p.Value = int32(s.u16() % (fzMaxPercent + 1))
			}
			r.Policies = append(r.Policies, p)
		}
		return r
	}
	spec.Behavior = &Behavior{ScaleUp: rules(), ScaleDown: rules()}
	return spec
}

// fzObservation decodes one reading for metric m, from plausible values to
// the extremes.
func fzObservation(s *fzSource, m *Metric) Observation {
	switch k := s.u8(); k % 16 {
	case 0:
		return Observation{Failed: true}
	case 1:
		return Observation{Milli: math.MaxInt64}
	case 2:
		return Observation{Milli: math.MinInt64}
	case 3:
		return Observation{Milli: -int64(s.u16())}
	case 4:
		return Observation{Milli: 0}
	case 5:
		return Observation{Milli: int64(s.u64())}
	default:
		// about k/16 to 16× the target per pod or in total
		scale := m.TargetMilli
		if m.Target == Utilization {
			scale = int64(m.TargetUtilization) * 1000
		}
		return Observation{Milli: int64(float64(scale) * float64(s.u16()) / 4096)}
	}
}

func fzDelta(s *fzSource) time.Duration {
	switch s.u8() % 8 {
	case 0:
		return 0
	case 1:
		return 1 // one nanosecond
	case 2:
		return time.Duration(s.u16()) * time.Millisecond
	case 3:
		return time.Duration(s.u32()) * time.Second // up to 136 years
	case 4:
		return time.Duration(s.u8()) * time.Second
	default:
		return DefaultSyncPeriod
	}
}

// FuzzStep decodes a spec and a trace, runs Step in a closed loop (with
// decoded lags and hand changes of the replica count) and checks it does not
// panic on valid input. In the checked tier every step is also checked
// against the reference model of property_test.go (properties (a)–(e)); in
// the extreme tier, with replica counts and policy values anywhere in int32,
// it checks the bounds. It also checks that the documented misuse panics.
func FuzzStep(f *testing.F) {
	// A few hand-made inputs: a flag byte, the spec, then steps of (delta,
	// target kind, observations...).
	f.Add([]byte{0, 1, 2, 3, 20, 0, 0, 2, 0, 3, 0, 20, 20, 1, 0, 3, 2, 5, 0, 1, 1, 15, 0, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add([]byte{0, 1, 0, 3, 40, 1, 1, 1, 3, 0, 0, 0, 20, 20, 1, 0, 1, 44, 1, 1, 1, 2, 2, 200, 5, 1, 1, 0, 0, 0, 6, 6, 6, 6, 6, 6})
	f.Add([]byte{1, 0, 0, 0, 0, 1, 2, 2, 5, 0, 0, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7})
	f.Add([]byte{0, 0, 0, 0, 5, 0, 0, 0, 5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 255, 254, 1, 2, 3})
	r := rand.New(rand.NewPCG(1, 1))
	for range 12 {
		b := make([]byte, 64+r.IntN(400))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		b[0] &^= 1 // mostly the checked tier
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src := &fzSource{b: data}
		flags := src.u8()
		extreme := flags&1 != 0
		spec := fzSpec(src, extreme)
		if spec.Validate() != nil {
			if _, err := New(spec); err == nil {
				t.Fatalf("New accepted a spec Validate rejects: %+v", spec)
			}
			return
		}
		a, err := New(spec)
		if err != nil {
			t.Fatalf("New rejected a valid spec: %v", err)
		}
		var model *propModel
		if !extreme {
			model = newPropModel(spec)
		}
		now := time.Unix(int64(src.u32()), 0)
		cur := Steady(spec.MinReplicas)
		obs := make([]Observation, len(spec.Metrics))
		for i := 0; i < fzMaxSteps && !src.empty(); i++ {
			now = now.Add(fzDelta(src))
			for j := range obs {
				obs[j] = fzObservation(src, &spec.Metrics[j])
			}
			prevZero := a.ScaledToZero()
			d := a.Step(now, cur, obs)
			if model != nil {
				if err := model.step(now, cur, obs, prevZero, d, a.ScaledToZero()); err != nil {
					t.Fatalf("step %d at %v, target %+v, obs %+v: %v\nspec %s\ndecision %+v", i, now, cur, obs, err, propSpecString(&spec), d)
				}
			} else if err := fzExtremeBounds(&spec, cur, prevZero, d); err != nil {
				t.Fatalf("step %d, target %+v, obs %+v: %v\nspec %s\ndecision %+v", i, cur, obs, err, propSpecString(&spec), d)
			}

			// the next target: the decided count, lagging or changed by hand
			next := max(d.Desired, 0)
			switch k := src.u8(); k % 8 {
			case 0: // lagging status and ready counts
				status := int32(int64(src.u32()) % (int64(next) + 2) % (math.MaxInt32 + 1))
				ready := int32(int64(src.u32()) % (int64(status) + 1))
				cur = Target{Replicas: next, StatusReplicas: status, ReadyReplicas: ready}
			case 1: // a hand change, possibly outside the bounds or to zero
				limit := int64(spec.MaxReplicas) + 10
				if !extreme {
					limit = min(limit, fzMaxReplicas)
				}
				cur = Steady(int32(min(int64(src.u32())%limit, math.MaxInt32)))
			default:
				cur = Steady(next)
			}
			if k := src.u8(); k == 255 {
				fzMisuse(t, a, now, cur, obs)
			}
		}
	})
}

// fzExtremeBounds checks the bounds in the extreme tier: the snapping rules,
// and property (a) wherever the controller's arithmetic cannot overflow.
func fzExtremeBounds(s *Spec, cur Target, prevZero bool, d Decision) error {
	c := cur.Replicas
	switch {
	case c == 0 && !prevZero:
		if d.Desired != 0 {
			return fmt.Errorf("scaled from 0 without ScaledToZero")
		}
	case c > s.MaxReplicas:
		if d.Desired != s.MaxReplicas {
			return fmt.Errorf("above max: Desired %d", d.Desired)
		}
	case c < s.MinReplicas && c != 0:
		if d.Desired != s.MinReplicas {
			return fmt.Errorf("below min: Desired %d", d.Desired)
		}
	case s.Behavior == nil && int64(c) > math.MaxInt32/2:
		// Known: int32(2×current) overflows in the legacy scale-up limit.
	default:
		if d.Desired < s.MinReplicas || d.Desired > s.MaxReplicas {
			return fmt.Errorf("(a) started within [%d,%d] at %d, ended at %d", s.MinReplicas, s.MaxReplicas, c, d.Desired)
		}
	}
	return nil
}

// fzMisuse checks the documented panics: a step back in time, the wrong
// number of observations and an impossible target. None may change state,
// which the caller's next steps then check.
func fzMisuse(t *testing.T, a *Autoscaler, now time.Time, cur Target, obs []Observation) {
	t.Helper()
	mustPanic := func(what string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Fatalf("%s did not panic", what)
			}
		}()
		f()
	}
	mustPanic("a step back in time", func() { a.Step(now.Add(-1), cur, obs) })
	mustPanic("a missing observation", func() { a.Step(now, cur, obs[:len(obs)-1]) })
	mustPanic("an extra observation", func() { a.Step(now, cur, append(obs[:len(obs):len(obs)], Observation{})) })
	mustPanic("more ready than existing pods", func() {
		a.Step(now, Target{Replicas: cur.Replicas, StatusReplicas: 1, ReadyReplicas: 2}, obs)
	})
	mustPanic("negative replicas", func() { a.Step(now, Target{Replicas: -1}, obs) })
}

// TestFuzzStepMisuseLeavesNoTrace pins that the panicking calls in fzMisuse
// leave the state alone: a run with them interleaved decides exactly as a
// run without.
func TestFuzzStepMisuseLeavesNoTrace(t *testing.T) {
	spec := Spec{MinReplicas: 1, MaxReplicas: 20, Behavior: DefaultBehavior(), Tolerance: Tolerance{0.1, 0.1},
		Metrics: []Metric{{Type: External, Target: AverageValue, TargetMilli: 1000}}}
	x, _ := New(spec)
	y, _ := New(spec)
	cx, cy := Steady(2), Steady(2)
	for i := range 100 {
		now := propT0.Add(time.Duration(i) * 15 * time.Second)
		o := []Observation{{Milli: int64(1000 * (1 + (i*7)%17))}}
		dx := x.Step(now, cx, o)
		dy := y.Step(now, cy, o)
		fzMisuse(t, y, now, Steady(dy.Desired), o)
		if !propSameDecision(dx, dy) {
			t.Fatalf("step %d: %+v after misuse vs %+v", i, dy, dx)
		}
		cx, cy = Steady(dx.Desired), Steady(dy.Desired)
	}
}

// milliGrammar is what ParseMilli accepts: an optional sign, digits with at
// most one decimal point (at least one digit), an optional exponent.
var milliGrammar = regexp.MustCompile(`^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$`)

const milliOracleMaxLen = 2000

// milliOracle computes the milli-units of s exactly (big integers), rounded
// away from zero. ok is false when s is not in the grammar or too large to
// compute cheaply; fits reports whether the result fits an int64.
func milliOracle(s string) (want int64, fits, ok bool) {
	g := milliGrammar.FindStringSubmatch(s)
	if g == nil || g[2]+g[3] == "" || len(s) > milliOracleMaxLen {
		return 0, false, false
	}
	digits := strings.TrimLeft(g[2]+g[3], "0")
	if digits == "" {
		return 0, true, true
	}
	neg := g[1] == "-"
	// value = digits × 10^(exp - len(frac)); milli = value × 1000
	shift := int64(3 - len(g[3]))
	if g[4] != "" {
		e := strings.TrimLeft(strings.TrimLeft(g[4], "+-"), "0")
		if len(e) > 6 {
			e = "999999" // the same as far as any int64 is concerned
		}
		n, _ := strconv.ParseInt(e, 10, 64)
		if strings.HasPrefix(g[4], "-") {
			n = -n
		}
		shift += n
	}
	switch {
	case shift > int64(20): // at least 10^20 milli-units
		return 0, false, true
	case shift < -int64(len(digits))-1: // less than one milli: rounds to ±1
		if neg {
			return -1, true, true
		}
		return 1, true, true
	}
	num, _ := new(big.Int).SetString(digits, 10)
	den := big.NewInt(1)
	ten := big.NewInt(10)
	if shift >= 0 {
		num.Mul(num, new(big.Int).Exp(ten, big.NewInt(shift), nil))
	} else {
		den.Exp(ten, big.NewInt(-shift), nil)
	}
	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if rem.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	if !q.IsInt64() {
		return 0, false, true
	}
	return q.Int64(), true, true
}

// FuzzParseMilli checks that ParseMilli never panics, accepts exactly the
// decimal grammar, returns the exact value rounded away from zero (big
// integer oracle) or an out-of-range error, and agrees with MilliFromFloat
// on strings that are the shortest form of a float64.
func FuzzParseMilli(f *testing.F) {
	for _, s := range []string{
		"0", "-0", "1", "-1", "0.1", "0.0011", "-0.0011", "1.5e-4", "1e3", "1E-3", ".5", "5.", "+5",
		"9223372036854775.807", "9223372036854775.808", "-9223372036854775.808", "1e16", "1e-100",
		"1e999999999999", "1e-999999999999", "0e99999", "123456789012345678901234567890e-27",
		"", "-", ".", "e3", "1e", "1.2.3", "NaN", "Inf", "0x10", "1k", "0.30000000000000004",
		"1.0000000000000000000000000000000000000000000000001", "00000000000000000000000000000000000001",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseMilli(s)
		if err != nil && got != 0 {
			t.Fatalf("ParseMilli(%q) = %d with error %v", s, got, err)
		}
		want, fits, ok := milliOracle(s)
		switch {
		case ok:
			switch {
			case fits && want == math.MinInt64:
				// Known: ParseMilli reports the one value whose magnitude
				// does not fit (-2^63 milli) as out of range.
				if err == nil && got != want {
					t.Fatalf("ParseMilli(%q) = %d, want %d", s, got, want)
				}
			case fits && (err != nil || got != want):
				t.Fatalf("ParseMilli(%q) = %d, %v; want %d", s, got, err, want)
			case !fits && err == nil:
				t.Fatalf("ParseMilli(%q) = %d, want an out-of-range error", s, got)
			}
		case len(s) > milliOracleMaxLen && milliGrammar.MatchString(s):
			// in the grammar but too long for the oracle: at least no panic
		case err == nil:
			t.Fatalf("ParseMilli(%q) = %d, want an error: not a decimal number", s, got)
		}

		// Agreement with MilliFromFloat where s is how strconv writes a float.
		v, perr := strconv.ParseFloat(s, 64)
		if perr != nil {
			return
		}
		roundTrips := false
		for _, fmtc := range []byte{'g', 'e', 'f'} {
			if strconv.FormatFloat(v, fmtc, -1, 64) == s {
				roundTrips = true
			}
		}
		if !roundTrips {
			return
		}
		fm, ferr := MilliFromFloat(v)
		if (ferr == nil) != (err == nil) || fm != got {
			t.Fatalf("ParseMilli(%q) = %d, %v but MilliFromFloat(%v) = %d, %v", s, got, err, v, fm, ferr)
		}
	})
}

// TestMilliOracle keeps the fuzz oracle honest on values worked out by hand.
func TestMilliOracle(t *testing.T) {
	for _, tc := range []struct {
		in       string
		want     int64
		fits, ok bool
	}{
		{"0.0011", 2, true, true},
		{"-0.0011", -2, true, true},
		{"1.5e-4", 1, true, true},
		{"12", 12000, true, true},
		{"-0.00e7", 0, true, true},
		{"9223372036854775.807", math.MaxInt64, true, true},
		{"9223372036854775.808", 0, false, true},
		{"-9223372036854775.808", math.MinInt64, true, true},
		{"1e-999999999", 1, true, true},
		{"1e999999999", 0, false, true},
		{"1k", 0, false, false},
		{".", 0, false, false},
	} {
		want, fits, ok := milliOracle(tc.in)
		if want != tc.want || fits != tc.fits || ok != tc.ok {
			t.Errorf("milliOracle(%q) = %d, %v, %v; want %d, %v, %v", tc.in, want, fits, ok, tc.want, tc.fits, tc.ok)
		}
	}
}
