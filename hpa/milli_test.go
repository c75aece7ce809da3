package hpa

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// The expected values below follow the rule "the decimal value times 1000,
// rounded away from zero to the next integer". Every non-error row was also
// checked against k8s.io/apimachinery v0.37.2
// resource.MustParse(s).MilliValue(), which agrees with it for these inputs
// except the rows marked "Quantity differs". Quantity gives no error for
// out-of-range values, it wraps; ParseMilli reports them.

func TestMilliParseTable(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		// integers and signs
		{"0", 0},
		{"-0", 0},
		{"+0", 0},
		{"0.000", 0},
		{"1", 1000},
		{"-1", -1000},
		{"+5", 5000},
		{"12", 12000},
		{"00012.50", 12500},
		{".5", 500},
		{"5.", 5000},
		// exact milli values
		{"0.1", 100},
		{"-0.25", -250},
		{"0.001", 1},
		{"-0.001", -1},
		{"2.675", 2675},
		// rounding away from zero
		{"0.0011", 2},        // 1.1m → 2m
		{"-0.0011", -2},      // -1.1m → -2m
		{"0.0005", 1},        // 0.5m → 1m
		{"-0.0005", -1},      // -0.5m → -1m
		{"123.4564", 123457}, // 123456.4m → 123457m: up, not to nearest
		{"123.4565", 123457},
		{"0.30000000000000004", 301},
		{"0.3333333333333333", 334},
		{"1e-100", 1},
		{"0.00000000000000000000000000000000000000000001", 1},
		// a non-zero digit far beyond the digits kept still rounds up
		{"1.0000000000000000000000000000000000000000000000001", 1001},
		// exponents
		{"1.5e-4", 1}, // 0.15m → 1m
		{"-1.5e-4", -1},
		{"1e3", 1_000_000},
		{"1E3", 1_000_000},
		{"1e+3", 1_000_000},
		{"1.5e3", 1_500_000},
		{"1e-3", 1},
		{"1000000000000000000000e-6", 1_000_000_000_000_000_000},
		{"123456789012345678901234567890e-27", 123457}, // 123.456789…
		// the int64 edge
		{"9223372036854775.807", math.MaxInt64},
		{"-9223372036854775.807", -math.MaxInt64},  // Quantity differs: it returns 1 (its big-decimal path)
		{"9223372036854775.806001", math.MaxInt64}, // rounds up onto the edge
		{"9.2e15", 9_200_000_000_000_000_000},
	}
	for _, tc := range tests {
		got, err := ParseMilli(tc.in)
		if err != nil {
			t.Errorf("ParseMilli(%q): unexpected error %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseMilli(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestMilliParseErrors(t *testing.T) {
	tests := []struct {
		in      string
		errPart string
	}{
		// out of range
		{"9223372036854775.808", "out of range"},
		{"9223372036854775.8071", "out of range"}, // rounds up past MaxInt64
		{"-9223372036854775.809", "out of range"},
		{"1e16", "out of range"},
		{"9.3e15", "out of range"},
		{"-1e16", "out of range"},
		{"1" + strings.Repeat("0", 40), "out of range"},
		{"1e100000000", "out of range"},
		// malformed
		{"", "not a decimal number"},
		{"-", "not a decimal number"},
		{"+", "not a decimal number"},
		{".", "not a decimal number"},
		{"-.", "not a decimal number"},
		{"e3", "not a decimal number"},
		{"1e", "empty exponent"},
		{"1e+", "empty exponent"},
		{"1e-", "empty exponent"},
		{"1.2.3", "not a decimal number"},
		{"1..2", "not a decimal number"},
		{"abc", "not a decimal number"},
		{"1a", "not a decimal number"},
		{" 1", "not a decimal number"},
		{"1 ", "not a decimal number"},
		{"NaN", "not a decimal number"},
		{"Inf", "not a decimal number"},
		{"-Inf", "not a decimal number"},
		{"0x10", "not a decimal number"},
		{"1_000", "not a decimal number"},
		{"1k", "not a decimal number"}, // Quantity suffixes are not accepted
		{"100m", "not a decimal number"},
		{"--1", "not a decimal number"},
		{"+-1", "not a decimal number"},
		{"1e3.5", "not a decimal number"},
		{"1e--3", "not a decimal number"},
	}
	for _, tc := range tests {
		got, err := ParseMilli(tc.in)
		if err == nil {
			t.Errorf("ParseMilli(%q) = %d, want an error", tc.in, got)
			continue
		}
		if got != 0 {
			t.Errorf("ParseMilli(%q) returned %d with its error, want 0", tc.in, got)
		}
		if !strings.Contains(err.Error(), tc.errPart) {
			t.Errorf("ParseMilli(%q) error %q does not mention %q", tc.in, err, tc.errPart)
		}
		if !strings.Contains(err.Error(), `"`+tc.in+`"`) {
			t.Errorf("ParseMilli(%q) error %q does not quote the input", tc.in, err)
		}
	}
}

func TestMilliFromFloatTable(t *testing.T) {
	tests := []struct {
		in   float64
		want int64
	}{
		{0, 0},
		{math.Copysign(0, -1), 0},
		{1, 1000},
		{-1, -1000},
		{0.1, 100}, // shortest form "0.1", not 0.1000000000000000055…
		{0.3, 300}, // shortest form "0.3", not 0.2999999999999999888…
		{2.675, 2675},
		{0.0011, 2},
		{-0.0011, -2},
		{1.5e-4, 1},
		{-1.5e-4, -1},
		{0.0025, 3},
		{0.30000000000000004, 301}, // the float64 sum 0.1+0.2 (a constant expression would be exactly 0.3)
		{1.0 / 3, 334},
		{123.456, 123456},
		{1e-300, 1},
		{math.SmallestNonzeroFloat64, 1},
		{1e15, 1_000_000_000_000_000_000},
		{9.2e15, 9_200_000_000_000_000_000},
		{-9.2e15, -9_200_000_000_000_000_000},
		{4096, 4_096_000},
	}
	for _, tc := range tests {
		got, err := MilliFromFloat(tc.in)
		if err != nil {
			t.Errorf("MilliFromFloat(%v): unexpected error %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("MilliFromFloat(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestMilliFromFloatErrors(t *testing.T) {
	for _, in := range []float64{
		math.NaN(), math.Inf(1), math.Inf(-1),
		9.3e15, -9.3e15, 1e16, math.MaxFloat64, -math.MaxFloat64,
		math.MaxInt64, // 9.223372036854775807e18 units, far beyond the milli range
	} {
		got, err := MilliFromFloat(in)
		if err == nil {
			t.Errorf("MilliFromFloat(%v) = %d, want an error", in, got)
		} else if got != 0 {
			t.Errorf("MilliFromFloat(%v) returned %d with its error, want 0", in, got)
		}
	}
}

// TestMilliFromFloatIsCeilingAwayFromZero checks the rounding rule on many
// values whose exact milli count is known by construction: k/1000 + a
// fraction of a milli must give k+1 (away from zero), k/1000 exactly must give
// k.
func TestMilliFromFloatIsCeilingAwayFromZero(t *testing.T) {
	for k := int64(-5000); k <= 5000; k++ {
		exact := float64(k) / 1000 // shortest form is the decimal k/1000
		got, err := MilliFromFloat(exact)
		if err != nil || got != k {
			t.Fatalf("MilliFromFloat(%v) = %d, %v; want %d", exact, got, err, k)
		}
		if k == 0 {
			continue
		}
		// k/1000 + 0.4 milli (or - for negatives): the shortest form has a
		// non-zero fourth decimal, so the result moves one milli away from zero.
		frac := (float64(k) + 0.4*float64(milliSign(k))) / 1000
		got, err = MilliFromFloat(frac)
		want := k + milliSign(k)
		if err != nil || got != want {
			t.Fatalf("MilliFromFloat(%v) = %d, %v; want %d", frac, got, err, want)
		}
	}
}

func milliSign(k int64) int64 {
	if k < 0 {
		return -1
	}
	return 1
}

// The fast path of MilliFromFloat agrees with the decimal path on values
// with up to three decimals and on random values.
func TestExactMilliAgreesWithDecimalPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	slow := func(v float64) int64 {
		var buf [32]byte
		m, err := parseMilli(strconv.AppendFloat(buf[:0], v, 'e', -1, 64))
		if err != nil {
			t.Fatalf("%v: %v", v, err)
		}
		return m
	}
	hits := 0
	for i := range 200_000 {
		var v float64
		switch i % 4 {
		case 0:
			v = float64(rng.Int64N(2e12)-1e12) / 1000
		case 1:
			v = float64(rng.Int64N(2e6)-1e6) / 1000
		case 2:
			v = (rng.Float64() - 0.5) * 2e9
		default:
			v = math.Float64frombits(rng.Uint64())
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 9e15 {
				continue
			}
		}
		m, ok := exactMilli(v)
		if !ok {
			continue
		}
		hits++
		if want := slow(v); m != want {
			t.Fatalf("exactMilli(%v) = %d, the decimal path gives %d", v, m, want)
		}
	}
	if hits < 90_000 {
		t.Errorf("the fast path took only %d values", hits)
	}
}
