package trace

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// The parsing helpers below are shared by the readers: times, numbers,
// replica counts, the column layout and the time-order rule.

// Reserved column names; every other column is a metric series.
const (
	timeColumn     = "time"
	regionColumn   = "region"
	replicasColumn = "replicas"
)

var (
	errNotTime   = errors.New("is not a time (want RFC 3339, e.g. 2024-01-01T00:00:10Z, or Unix seconds, e.g. 1704067210.5)")
	errTimeFrac  = errors.New("has more than 9 fraction digits (want at most nanoseconds)")
	errTimeRange = errors.New("is out of range (want 1677-09-21 to 2262-04-11 in UTC, the range of int64 nanoseconds since 1970)")
)

// timeFormat formats times in messages and in CSV.
const timeFormat = time.RFC3339Nano

// maxSec is the largest whole second whose nanoseconds fit an int64.
const maxSec = math.MaxInt64 / 1_000_000_000

// nanos returns sec seconds plus frac nanoseconds (0 <= frac < 1e9) as
// nanoseconds since 1970, reporting whether they fit an int64.
func nanos(sec, frac int64) (int64, bool) {
	if sec > maxSec || sec < -maxSec-1 {
		return 0, false
	}
	if sec < 0 && frac > 0 {
		sec, frac = sec+1, frac-1e9
	}
	ns := sec * 1e9
	if frac > 0 && ns > math.MaxInt64-frac || frac < 0 && ns < math.MinInt64-frac {
		return 0, false
	}
	return ns + frac, true
}

// timeOf returns ns nanoseconds since 1970 as a time in UTC.
func timeOf(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// unixNanos returns t as nanoseconds since 1970 and reports whether it is in
// the range the readers accept.
func unixNanos(t time.Time) (int64, bool) {
	return nanos(t.Unix(), int64(t.Nanosecond()))
}

// parseTime parses an RFC 3339 time or Unix seconds into nanoseconds since
// 1970. Cells with '-' at index 4 (2024-…) are RFC 3339, others Unix seconds.
func parseTime(b []byte) (int64, error) {
	if len(b) > 4 && b[4] == '-' {
		return parseRFC3339(b)
	}
	return parseUnix(b)
}

// parseUnix parses Unix seconds: an optional '-', decimal digits, and
// optionally '.' and 1 to 9 fraction digits, exactly to the nanosecond.
func parseUnix(b []byte) (int64, error) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	var sec, frac int64
	i := 0
	for ; i < len(b) && isDigit(b[i]); i++ {
		if sec <= maxSec+1 { // larger values are out of range anyway
			sec = sec*10 + int64(b[i]-'0')
		}
	}
	if i == 0 {
		return 0, errNotTime
	}
	if i < len(b) {
		if b[i] != '.' || i+1 == len(b) {
			return 0, errNotTime
		}
		digits := b[i+1:]
		for _, c := range digits {
			if !isDigit(c) {
				return 0, errNotTime
			}
		}
		if len(digits) > 9 {
			return 0, errTimeFrac
		}
		for j := range 9 {
			frac *= 10
			if j < len(digits) {
				frac += int64(digits[j] - '0')
			}
		}
	}
	if neg && frac > 0 {
		sec, frac = -sec-1, 1e9-frac
	} else if neg {
		sec = -sec
	}
	ns, ok := nanos(sec, frac)
	if !ok {
		return 0, errTimeRange
	}
	return ns, nil
}

// parseRFC3339 parses YYYY-MM-DDTHH:MM:SS[.frac](Z|±hh:mm) with the checks
// of time.Parse(time.RFC3339Nano, …): it accepts a subset of what
// time.Parse accepts (the strict RFC 3339 shape, at most 9 fraction digits)
// and returns the same instant, without allocating.
func parseRFC3339(b []byte) (int64, error) {
	if len(b) < len("2006-01-02T15:04:05Z") || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return 0, errNotTime
	}
	ok := true
	num := func(b []byte, lo, hi int64) int64 {
		var n int64
		for _, c := range b {
			if !isDigit(c) {
				ok = false
			}
			n = n*10 + int64(c-'0')
		}
		if n < lo || n > hi {
			ok = false
		}
		return n
	}
	year := num(b[0:4], 0, 9999)
	month := num(b[5:7], 1, 12)
	day := num(b[8:10], 1, 31)
	hour := num(b[11:13], 0, 23)
	minute := num(b[14:16], 0, 59)
	sec := num(b[17:19], 0, 59)
	if !ok || day > daysIn(year, month) {
		return 0, errNotTime
	}
	b = b[19:]
	var frac int64
	if len(b) >= 2 && b[0] == '.' && isDigit(b[1]) {
		n := 1
		for n < len(b) && isDigit(b[n]) {
			n++
		}
		if n-1 > 9 {
			return 0, errTimeFrac
		}
		frac = num(b[1:n], 0, 999999999)
		for range 10 - n {
			frac *= 10
		}
		b = b[n:]
	}
	var offset int64
	switch {
	case len(b) == 1 && b[0] == 'Z':
	case len(b) == 6 && (b[0] == '+' || b[0] == '-') && b[3] == ':':
		offset = (num(b[1:3], 0, 23)*60 + num(b[4:6], 0, 59)) * 60
		if !ok {
			return 0, errNotTime
		}
		if b[0] == '-' {
			offset = -offset
		}
	default:
		return 0, errNotTime
	}
	ns, fits := nanos(daysFromCivil(year, month, day)*86400+hour*3600+minute*60+sec-offset, frac)
	if !fits {
		return 0, errTimeRange
	}
	return ns, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func daysIn(year, month int64) int64 {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days from 1970-01-01 to the date in the
// proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	doy := (153*((m+9)%12)+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// parseNumber parses a value as strconv.ParseFloat does. It returns
// errNotNumber or errNumberRange on failure.
func parseNumber(b []byte) (float64, error) {
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, errNumberRange
		}
		return 0, errNotNumber
	}
	return v, nil
}

var (
	errNotNumber   = errors.New("is not a number")
	errNumberRange = errors.New("is out of the range of a float64")
)

// parseReplicas parses a replica count: decimal digits, 0 to 2147483647.
func parseReplicas(b []byte) (int32, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return int32(n), n <= math.MaxInt32
}

// replicasOf converts a recorded replica count read as a number.
func replicasOf(v float64) (int32, bool) {
	if !(v >= 0 && v <= math.MaxInt32) || v != math.Trunc(v) {
		return 0, false
	}
	return int32(v), true
}

const wantReplicas = "want an integer 0 to 2147483647"

// layout maps the columns of a file to a Header.
type layout struct {
	header                 Header
	time, region, replicas int   // column indexes, -1 when absent
	series                 []int // column index of each Header.Series
}

// newLayout classifies column names: time (required), region and replicas
// (optional), and series (at least one). On error it returns the index of
// the offending column, or -1.
func newLayout(names []string) (layout, int, error) {
	l := layout{time: -1, region: -1, replicas: -1}
	seen := make(map[string]bool, len(names))
	for i, name := range names {
		if name == "" {
			return l, i, errors.New("empty column name (want time, region, replicas or a series name)")
		}
		if seen[name] {
			return l, i, fmt.Errorf("duplicate column name %q", name)
		}
		seen[name] = true
		switch name {
		case timeColumn:
			l.time = i
		case regionColumn:
			l.region, l.header.Region = i, true
		case replicasColumn:
			l.replicas, l.header.Replicas = i, true
		default:
			l.series = append(l.series, i)
			l.header.Series = append(l.header.Series, name)
		}
	}
	if l.time < 0 {
		return l, -1, errors.New(`no "time" column (want a column named time holding RFC 3339 times or Unix seconds)`)
	}
	if len(l.series) == 0 {
		return l, -1, errors.New("no series column (want at least one column besides time, region and replicas)")
	}
	return l, -1, nil
}

// checkSeries checks the series names of a header a writer or a reader
// builds: non-empty, not a reserved name, unique.
func checkSeries(series []string) error {
	seen := make(map[string]bool, len(series))
	for _, name := range series {
		switch {
		case name == "":
			return errors.New("empty series name")
		case name == timeColumn || name == regionColumn || name == replicasColumn:
			return fmt.Errorf("series name %q is reserved for the %s column", name, name)
		case seen[name]:
			return fmt.Errorf("duplicate series name %q", name)
		}
		seen[name] = true
	}
	return nil
}

// checkSample checks that a writer can write s under h.
func checkSample(h *Header, s *Sample) (int64, error) {
	ns, ok := unixNanos(s.Time)
	if !ok {
		return 0, fmt.Errorf("time %s %w", s.Time.Format(timeFormat), errTimeRange)
	}
	if len(s.Values) != len(h.Series) {
		return 0, fmt.Errorf("row at %s has %d values, the header has %d series", timeOf(ns).Format(timeFormat), len(s.Values), len(h.Series))
	}
	if h.Replicas && s.HasReplicas && s.Replicas < 0 {
		return 0, fmt.Errorf("row at %s has %d replicas (%s)", timeOf(ns).Format(timeFormat), s.Replicas, wantReplicas)
	}
	return ns, nil
}

// order enforces non-decreasing times.
type order struct {
	prev     int64
	prevLine int
	started  bool
}

// check accepts ns at line, or returns the error naming both rows; unit is
// "line" or "row".
func (o *order) check(ns int64, line int, unit string) error {
	if o.started && ns < o.prev {
		return fmt.Errorf("time %s is before %s, the time of the previous %s (%s %d); the file must be sorted by time",
			timeOf(ns).Format(timeFormat), timeOf(o.prev).Format(timeFormat), unit, unit, o.prevLine)
	}
	o.prev, o.prevLine, o.started = ns, line, true
	return nil
}

// interner shares the strings of repeated region names so that reading a
// region costs no allocation. It holds at most maxInterned names.
type interner map[string]string

const maxInterned = 1024

func (m interner) get(b []byte) string {
	if s, ok := m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(m) < maxInterned {
		m[s] = s
	}
	return s
}
