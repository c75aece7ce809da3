package manifest

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the .golden files of testdata/bad")

// TestBadManifests checks the error text for each testdata/bad/*.yaml
// against its .golden file (one line per error). Run
// `go test ./manifest -run TestBadManifests -update` to rewrite them.
func TestBadManifests(t *testing.T) {
	checkBadFiles(t, "testdata/bad/*.yaml", "HPAs", func(file, src string) (int, bool, error) {
		hpas, err := ParseHPAs(file, strings.NewReader(src), DefaultOptions())
		return len(hpas), hpas != nil, err
	})
}

// checkBadFiles parses each file of glob, which must fail with a tree of
// *Error and nothing parsed, and compares the error text with the file's
// .golden (rewritten with -update).
func checkBadFiles(t *testing.T, glob, what string, parse func(file, src string) (n int, nonNil bool, err error)) {
	files, err := filepath.Glob(glob)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no %s", glob)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			n, nonNil, err := parse(filepath.ToSlash(file), string(src))
			if err == nil {
				t.Fatalf("parsing succeeded with %d %s, want an error", n, what)
			}
			if nonNil {
				t.Errorf("parsing returned %d %s along with its error, want none", n, what)
			}
			checkErrorTree(t, err)
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("error text mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// checkErrorTree checks that err is an *Error or a join of them, each with
// a file and a line.
func checkErrorTree(t *testing.T, err error) {
	t.Helper()
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var pe *Error
		if !errors.As(e, &pe) || e != error(pe) {
			t.Errorf("error %q is a %T, want *Error", e, e)
			continue
		}
		if pe.File == "" || pe.Line <= 0 {
			t.Errorf("error %q has no file or line", e)
		}
	}
}
