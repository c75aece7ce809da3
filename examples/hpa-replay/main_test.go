package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// The example's whole output for the bundled day of NASA-HTTP traffic is a
// golden file: a change in any decision shows up as a diff.
func TestNASAGatewayGolden(t *testing.T) {
	var out bytes.Buffer
	err := run([]string{
		"../../testdata/examples/nasa-gateway-hpa.yaml",
		"../../testdata/traces/nasa-http-1995-07-01.csv",
	}, &out)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "nasa-gateway.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, out.Bytes()) {
		t.Errorf("output differs from %s (rerun with -update and review the diff)", golden)
	}
}

func TestBadTraceNamesFileAndLine(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "trace.csv")
	if err := os.WriteFile(trace, []byte("minute,value\n0,12\n1,NaN\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run([]string{"../../testdata/examples/nasa-gateway-hpa.yaml", trace}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), trace+":3: value") {
		t.Errorf("error = %v, want one naming %s:3", err, trace)
	}
}
