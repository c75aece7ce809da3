package manifest

import (
	"strings"
	"testing"
)

// TestBadScaledObjects checks the error text for each
// testdata/bad-keda/*.yaml against its .golden file (one line per error).
// Run `go test ./manifest -run TestBadScaledObjects -update` to rewrite
// them.
func TestBadScaledObjects(t *testing.T) {
	checkBadFiles(t, "testdata/bad-keda/*.yaml", "ScaledObjects", func(file, src string) (int, bool, error) {
		sos, err := ParseScaledObjects(file, strings.NewReader(src), DefaultOptions())
		return len(sos), sos != nil, err
	})
}
