package replaytest

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// UpdateEnv is the environment variable that, when not empty, makes Golden
// rewrite golden files instead of comparing.
const UpdateEnv = "REPLAYTEST_UPDATE"

// RegisterUpdateFlag defines the test flag -update on the command line's
// flag set, unless a flag of that name exists already (a project's own
// -update works as well). Call it from a test file's init or TestMain:
//
//	func init() { replaytest.RegisterUpdateFlag() }
//
// then `go test -run TestOrders -update` rewrites the golden files.
func RegisterUpdateFlag() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden timelines of replaytest")
	}
}

// updating reports whether golden files are to be rewritten: UpdateEnv is
// set, or a boolean -update flag is true.
func updating() bool {
	if os.Getenv(UpdateEnv) != "" {
		return true
	}
	f := flag.Lookup("update")
	if f == nil {
		return false
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	b, ok := g.Get().(bool)
	return ok && b
}

// MaxTicks is how many differing ticks a failed Golden shows.
const MaxTicks = 5

// Golden compares the replay's timeline with the CSV file path, byte for
// byte. When they differ it fails the test with the number of ticks that
// differ, the first MaxTicks of them (go-cmp diffs, -golden +replay), and
// the summary's figures that changed. When updating (RegisterUpdateFlag's
// -update, or UpdateEnv), it writes the file instead (through a temporary
// file renamed over it) and logs it.
func (r *Result) Golden(t testing.TB, path string) {
	t.Helper()
	if updating() {
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, r.Timeline) {
			return
		}
		if err := writeFile(path, r.Timeline); err != nil {
			t.Fatalf("replaytest: %v", err)
		}
		t.Logf("replaytest: wrote %s", path)
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("replaytest: %s: no golden timeline yet; write it with go test -update (RegisterUpdateFlag) or %s=1", path, UpdateEnv)
	}
	if err != nil {
		t.Fatalf("replaytest: %v", err)
	}
	if msg := r.compare(path, want); msg != "" {
		t.Error(msg)
	}
}

// compare describes how the timeline differs from want, the golden file
// path's content; "" when it does not.
func (r *Result) compare(path string, want []byte) string {
	if bytes.Equal(want, r.Timeline) {
		return ""
	}
	golden, err := ReadTimeline(path, want)
	if err != nil {
		return fmt.Sprintf("replaytest: golden timeline %v", err)
	}
	got, err := ReadTimeline("the replay", r.Timeline)
	if err != nil {
		return fmt.Sprintf("replaytest: %v", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s: the timeline differs from %s", r.Object, r.Case.Trace, path)
	if h1, h2 := strings.Join(golden.Header, ","), strings.Join(got.Header, ","); h1 != h2 {
		fmt.Fprintf(&b, " in its columns:\n  golden: %s\n  replay: %s\n", h1, h2)
		return b.String() + hint()
	}
	diffs := DiffTicks(golden, got, nil)
	if len(diffs) == 0 {
		// Same rows, different bytes: line ends or quoting.
		return b.String() + " in its bytes only (line ends or quoting)\n" + hint()
	}
	fmt.Fprintf(&b, " at %d of %d ticks (-golden +replay); the first:\n", len(diffs), len(got.Ticks))
	for _, d := range diffs[:min(len(diffs), MaxTicks)] {
		where := d.Time()
		if d.Region() != "" {
			where += " region " + d.Region()
		}
		switch {
		case d.Old == nil:
			fmt.Fprintf(&b, "%s: only in the replay\n%s", where, indent(cmp.Diff(nil, d.New)))
		case d.New == nil:
			fmt.Fprintf(&b, "%s: only in the golden timeline (line %d)\n%s", where, d.Old.Line, indent(cmp.Diff(d.Old, nil)))
		default:
			fmt.Fprintf(&b, "%s (golden line %d):\n%s", where, d.Old.Line, indent(cmp.Diff(*d.Old, *d.New, cmpopts.IgnoreFields(Tick{}, "Line"))))
		}
	}
	gs, err1 := golden.Summary(r.Case.Summary)
	rs, err2 := got.Summary(r.Case.Summary)
	if err := errors.Join(err1, err2); err != nil {
		fmt.Fprintf(&b, "summary: %v\n", err)
		return b.String() + hint()
	}
	ds, err := Deltas(gs, rs, r.Case.Summary.SLO)
	if err != nil {
		fmt.Fprintf(&b, "summary: %v\n", err)
		return b.String() + hint()
	}
	b.WriteString("summary (golden → replay):\n")
	WriteDeltas(&b, ds, true)
	return b.String() + hint()
}

func hint() string {
	return fmt.Sprintf("if the change is intended, rewrite the golden file with go test -update (RegisterUpdateFlag) or %s=1 and review its diff", UpdateEnv)
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("    " + l + "\n")
	}
	return b.String()
}

// WriteDeltas writes a table of deltas: region, figure, old, new, change.
// With changedOnly, figures that did not change are left out, and a table
// without rows says so.
func WriteDeltas(w io.Writer, ds []Delta, changedOnly bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  region\tfigure\told\tnew\tchange")
	n := 0
	for _, d := range ds {
		if changedOnly && !d.Changed() {
			continue
		}
		n++
		region := d.Region
		if region == "" {
			region = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", region, d.Figure, formatFigure(d.Old), formatFigure(d.New), change(d))
	}
	if n == 0 {
		fmt.Fprintln(tw, "  (no figure changed)\t\t\t\t")
	}
	tw.Flush()
}

// change writes a delta's change: +12.5%, or the absolute difference when
// the old value is 0.
func change(d Delta) string {
	if !d.Changed() {
		return "="
	}
	if c := d.Change(); !math.IsNaN(c) {
		return fmt.Sprintf("%+.1f%%", 100*c)
	}
	return fmt.Sprintf("%+.4g", d.New-d.Old)
}

// writeFile writes data to path through a temporary file in the same
// directory.
func writeFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}
