package hpa

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// errMilliRange is returned for values whose milli-units do not fit an
// int64 (|v| above about 9.2e15).
var errMilliRange = errors.New("out of range: milli-units do not fit in 64 bits")

// MilliFromFloat converts v to milli-units the way the controller reads a
// resource.Quantity written as v's shortest decimal form with
// Quantity.MilliValue(): rounded away from zero to the next milli
// (0.0011 → 2, -0.0011 → -2). NaN and ±Inf are errors, as are values out of
// range.
//
// The result equals MilliValue() for every non-negative value. For a
// negative value it does when the decimal form has at most 18 digits and 9
// decimals; longer negative forms take apimachinery's big-decimal path,
// which rounds them toward zero plus one milli (-0.3333333333333333 is -332
// there, -334 here). Metric adapters publish milli-quantities, so this only
// concerns values typed by hand.
func MilliFromFloat(v float64) (int64, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%v is not a finite number", v)
	}
	if m, ok := exactMilli(v); ok {
		return m, nil
	}
	var buf [32]byte
	return parseMilli(strconv.AppendFloat(buf[:0], v, 'e', -1, 64))
}

// ParseMilli parses a decimal number ("12", "-0.25", "1.5e3") into
// milli-units, rounded as MilliFromFloat rounds.
func ParseMilli(s string) (int64, error) {
	m, err := parseMilli([]byte(s))
	if err != nil {
		return 0, fmt.Errorf("parsing %q: %w", s, err)
	}
	return m, nil
}

func parseMilli(s []byte) (int64, error) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	// Collect the significant digits and the position of the decimal point.
	var digits [40]byte
	nd := 0          // digits kept
	dp := 0          // decimal point position relative to the digits kept
	dropped := false // a non-zero digit beyond the kept ones
	sawDigit, sawDot := false, false
scan:
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			sawDigit = true
			if nd == 0 && c == '0' {
				if sawDot {
					dp--
				}
				continue
			}
			if nd < len(digits) {
				digits[nd] = c - '0'
				nd++
				if !sawDot {
					dp++
				}
			} else {
				if c != '0' {
					dropped = true
				}
				if !sawDot {
					dp++
				}
			}
			continue
		case c == '.' && !sawDot:
			sawDot = true
			continue
		}
		break scan
	}
	if !sawDigit {
		return 0, errors.New("not a decimal number")
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return 0, errors.New("not a decimal number: empty exponent")
		}
		e := 0
		for ; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, errors.New("not a decimal number")
			}
			if e < 100000 {
				e = e*10 + int(s[i]-'0')
			}
		}
		if eneg {
			e = -e
		}
		dp += e
	}
	if i != len(s) {
		return 0, errors.New("not a decimal number")
	}
	// The value is 0.d1d2...dnd × 10^dp; milli-units keep dp+3 digits.
	keep := dp + 3
	if nd == 0 {
		return 0, nil
	}
	if keep > 19 {
		return 0, errMilliRange
	}
	var m uint64
	for k := 0; k < keep; k++ {
		var d byte
		if k < nd {
			d = digits[k]
		}
		if m > (math.MaxUint64-uint64(d))/10 {
			return 0, errMilliRange
		}
		m = m*10 + uint64(d)
	}
	for k := max(keep, 0); k < nd; k++ {
		if digits[k] != 0 {
			dropped = true
		}
	}
	if dropped {
		m++
	}
	if m > math.MaxInt64 {
		return 0, errMilliRange
	}
	if neg {
		return -int64(m), nil
	}
	return int64(m), nil
}

// exactMilli is the fast path of MilliFromFloat for a value that is a
// whole number of milli-units: below 1e9 in magnitude, when v × 1000 is a
// whole number n and n / 1000 reads back as v, the shortest decimal form
// of v is n / 1000 (any other decimal within v's rounding interval has at
// least 15 significant digits), so its milli-value is n.
func exactMilli(v float64) (int64, bool) {
	if !(v > -1e9 && v < 1e9) {
		return 0, false
	}
	m := v * 1000
	n := math.Round(m)
	if m != n || n/1000 != v {
		return 0, false
	}
	return int64(n), true
}
