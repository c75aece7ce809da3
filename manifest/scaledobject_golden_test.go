package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBadScaledObjects checks the error text for each
// testdata/bad-keda/*.yaml against its .golden file (one line per error).
// Run `go test ./manifest -run TestBadScaledObjects -update` to rewrite
// them.
func TestBadScaledObjects(t *testing.T) {
	files, err := filepath.Glob("testdata/bad-keda/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/bad-keda/*.yaml")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sos, err := ParseScaledObjects(filepath.ToSlash(file), strings.NewReader(string(src)), DefaultOptions())
			if err == nil {
				t.Fatalf("ParseScaledObjects succeeded with %d ScaledObjects, want an error", len(sos))
			}
			if sos != nil {
				t.Errorf("ParseScaledObjects returned %d ScaledObjects along with its error, want none", len(sos))
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
