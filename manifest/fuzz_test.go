package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseHPAs checks that no input makes ParseHPAs panic, that what it
// accepts converts to a spec the engine accepts, that every problem is a
// located *Error, and that results are deterministic.
func FuzzParseHPAs(f *testing.F) {
	addSeedFiles(f, "../testdata/hpa/*.yaml", "testdata/bad/*.yaml")
	f.Add("")
	f.Add("---\n~\n---\n")
	f.Add("apiVersion: v1\nkind: List\nitems: [{apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler}]\n")
	f.Add("a: &a [*a]\n")
	f.Fuzz(func(t *testing.T, src string) {
		hpas, err := ParseHPAs("fuzz.yaml", strings.NewReader(src), DefaultOptions())
		if err != nil && hpas != nil {
			t.Errorf("ParseHPAs returned %d HPAs with an error", len(hpas))
		}
		checkLocated(t, err)
		for _, h := range hpas {
			if h.Object == nil || h.Line < 1 {
				t.Errorf("HPA %q without object or line", h.Name)
			}
			if err := h.Spec.Validate(); err != nil {
				t.Errorf("HPA %q: spec rejected by the engine: %v", h.Name, err)
			}
		}
		hpas2, err2 := ParseHPAs("fuzz.yaml", strings.NewReader(src), DefaultOptions())
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) || len(hpas) != len(hpas2) {
			t.Errorf("second parse differs: %v / %v", err, err2)
		}
	})
}

// addSeedFiles adds the files of each glob pattern to the fuzz corpus.
func addSeedFiles(f *testing.F, patterns ...string) {
	for _, pattern := range patterns {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			src, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(string(src))
		}
	}
}

// checkLocated checks that err, if any, is an *Error located in fuzz.yaml
// or a join of them.
func checkLocated(t *testing.T, err error) {
	if err == nil {
		return
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var pe *Error
		if !errors.As(e, &pe) || pe.File != "fuzz.yaml" || pe.Line < 1 || pe.Err == nil {
			t.Errorf("error %q (%T) is not an *Error located in fuzz.yaml", e, e)
		}
	}
}
