package trace

import (
	"math"
	"regexp"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		err  error
	}{
		{"2024-01-01T00:00:10Z", at(10 * time.Second), nil},
		{"2024-01-01T00:00:10.5Z", at(10500 * time.Millisecond), nil},
		{"2024-01-01T05:30:10.000000001+05:30", at(10*time.Second + 1), nil},
		{"2023-12-31T23:59:59.999999999-00:00", at(-1), nil},
		{"2024-02-29T00:00:00Z", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), nil},
		{"2000-02-29T00:00:00Z", time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC), nil},
		{"1900-02-29T00:00:00Z", time.Time{}, errNotTime},
		{"1677-09-21T00:12:43.145224192Z", time.Unix(0, math.MinInt64).UTC(), nil},
		{"1677-09-21T00:12:43.145224191Z", time.Time{}, errTimeRange},
		{"2262-04-11T23:47:16.854775807Z", time.Unix(0, math.MaxInt64).UTC(), nil},
		{"2262-04-11T23:47:16.854775808Z", time.Time{}, errTimeRange},
		{"2024-01-01T00:00:60Z", time.Time{}, errNotTime},
		{"2024-01-01T00:00:00+01:60", time.Time{}, errNotTime},
		{"2024-01-01T00:00:00.Z", time.Time{}, errNotTime},
		{"2024-01-01 00:00:00Z", time.Time{}, errNotTime},
		{"1704067210", at(10 * time.Second), nil},
		{"1704067210.123456789", at(10*time.Second + 123456789), nil},
		{"-1.5", time.Unix(-2, 5e8).UTC(), nil},
		{"-0", time.Unix(0, 0).UTC(), nil},
		{"9223372036.854775807", time.Unix(0, math.MaxInt64).UTC(), nil},
		{"9223372036.854775808", time.Time{}, errTimeRange},
		{"-9223372036.854775808", time.Unix(0, math.MinInt64).UTC(), nil},
		{"-9223372036.854775809", time.Time{}, errTimeRange},
		{"99999999999999999999999", time.Time{}, errTimeRange},
		{"1.", time.Time{}, errNotTime},
		{".5", time.Time{}, errNotTime},
		{"+1", time.Time{}, errNotTime},
		{"1e9", time.Time{}, errNotTime},
		{"", time.Time{}, errNotTime},
		{"-", time.Time{}, errNotTime},
	}
	for _, tt := range tests {
		ns, err := parseTime([]byte(tt.in))
		if err != tt.err || err == nil && !timeOf(ns).Equal(tt.want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v, %v", tt.in, timeOf(ns), err, tt.want, tt.err)
		}
	}
}

// strictRFC3339 is the shape parseRFC3339 accepts. Unlike time.Parse it
// holds offsets to RFC 3339's hours 00-23 and minutes 00-59 (time.Parse
// accepts +24:00: go.dev/issue/54580).
var strictRFC3339 = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$`)

// FuzzParseRFC3339 checks parseRFC3339 against time.Parse: it accepts
// what time.Parse(time.RFC3339Nano, …) accepts in the strict shape (within
// range) and returns the same instant, and accepts nothing else.
func FuzzParseRFC3339(f *testing.F) {
	for _, s := range []string{"2024-01-01T00:00:10Z", "2024-02-29T23:59:59.999999999+14:00", "0000-01-01T00:00:00Z",
		"9999-12-31T23:59:59-23:59", "2024-01-01T00:00:10,5Z", "2024-01-01T1:00:10Z", "2024-13-01T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ns, err := parseRFC3339([]byte(s))
		want, perr := time.Parse(time.RFC3339Nano, s)
		if err == nil {
			if perr != nil || !strictRFC3339.MatchString(s) || !want.Equal(timeOf(ns)) {
				t.Fatalf("parseRFC3339(%q) = %v, time.Parse = %v, %v", s, timeOf(ns), want, perr)
			}
			return
		}
		if _, inRange := unixNanos(want); perr == nil && strictRFC3339.MatchString(s) && inRange {
			t.Fatalf("parseRFC3339(%q): %v; time.Parse = %v", s, err, want)
		}
	})
}
