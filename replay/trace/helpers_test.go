package trace

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// epoch is the fixed time the tests count from.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// at returns epoch plus d.
func at(d time.Duration) time.Time { return epoch.Add(d) }

// present, failed and absent build values.
func present(v float64) Value { return Value{V: v, Status: Present} }

var (
	failed = Value{Status: Failed}
	absent = Value{Status: Absent}
)

// sampleCmp compares samples: NaN equals NaN, other floats by their bits
// (0 and -0 differ), times by Equal.
var sampleCmp = cmp.Comparer(func(a, b float64) bool {
	return math.IsNaN(a) && math.IsNaN(b) || math.Float64bits(a) == math.Float64bits(b)
})

// readAll returns copies of the samples of r, and r.Err.
func readAll(r Reader) ([]Sample, error) {
	var out []Sample
	for r.Scan() {
		s := *r.Sample()
		s.Values = append([]Value(nil), s.Values...)
		out = append(out, s)
	}
	return out, r.Err()
}

// formatRows renders a reader's header and rows for golden files: one line
// per row with time, region, replicas and each value (a number, "failed"
// or "absent"), "-" where the trace has no such column or no replicas.
func formatRows(r Reader) string {
	var b strings.Builder
	h := r.Header()
	fmt.Fprintf(&b, "# time")
	if h.Region {
		b.WriteString(" region")
	}
	if h.Replicas {
		b.WriteString(" replicas")
	}
	for _, s := range h.Series {
		b.WriteString(" " + s)
	}
	b.WriteString("\n")
	for r.Scan() {
		s := r.Sample()
		b.WriteString(s.Time.Format(time.RFC3339Nano))
		if h.Region {
			b.WriteString(" " + strconv.Quote(s.Region))
		}
		if h.Replicas {
			if s.HasReplicas {
				fmt.Fprintf(&b, " %d", s.Replicas)
			} else {
				b.WriteString(" -")
			}
		}
		for _, v := range s.Values {
			if v.Status == Present {
				b.WriteString(" " + strconv.FormatFloat(v.V, 'g', -1, 64))
			} else {
				b.WriteString(" " + v.Status.String())
			}
		}
		fmt.Fprintf(&b, " (line %d)\n", s.Line)
	}
	if err := r.Err(); err != nil {
		fmt.Fprintf(&b, "error: %v\n", err)
	}
	return b.String()
}

// golden compares got with the file testdata/name, or rewrites it with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// errorCase is a case of a testdata error file:
//
//	=== name key=value…
//	input lines
//	--- error
//	the expected error
type errorCase struct {
	name  string
	args  map[string]string
	input string
	want  string
}

// runErrorCases runs each case of testdata/file through do, which returns
// the error the input gives, and compares it with the case's expected
// error, or rewrites the file with -update. Lines before the first case
// are kept as a comment.
func runErrorCases(t *testing.T, file string, do func(c errorCase) error) {
	t.Helper()
	path := "testdata/" + file
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var preamble strings.Builder
	var cases []*errorCase
	var part *string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "=== "):
			fields := strings.Fields(line[4:])
			c := &errorCase{name: fields[0], args: map[string]string{}}
			for _, kv := range fields[1:] {
				k, v, _ := strings.Cut(kv, "=")
				c.args[k] = v
			}
			cases = append(cases, c)
			part = &c.input
		case line == "--- error" && len(cases) > 0:
			part = &cases[len(cases)-1].want
		case part == nil:
			preamble.WriteString(line + "\n")
		default:
			*part += line + "\n"
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	out.WriteString(preamble.String())
	for _, c := range cases {
		got := "<nil>"
		if err := do(*c); err != nil {
			got = err.Error()
		}
		if want := strings.TrimRight(c.want, "\n"); !*update && got != want {
			t.Errorf("%s: %s:\ngot  %s\nwant %s", file, c.name, got, want)
		}
		fmt.Fprintf(&out, "=== %s", c.name)
		for _, k := range sortedKeys(c.args) {
			fmt.Fprintf(&out, " %s=%s", k, c.args[k])
		}
		fmt.Fprintf(&out, "\n%s--- error\n%s\n\n", c.input, got)
	}
	if *update {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
