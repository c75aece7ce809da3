package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// The example's whole output for the bundled day of NASA-HTTP traffic is a
// golden file: a change in any decision shows up as a diff.
func TestNASAGatewayGolden(t *testing.T) {
	var out bytes.Buffer
	err := run([]string{
		"../../testdata/examples/nasa-gateway-hpa.yaml",
		"../../testdata/traces/nasa-http-1995-07-01-rate.csv",
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
	if diff := cmp.Diff(string(want), out.String()); diff != "" {
		t.Errorf("output differs from %s (rerun with -update and review the diff):\n%s", golden, diff)
	}
}

func TestErrorsNameFileAndPlace(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, manifest, trace, want string
	}{
		{"bad cell", "../../testdata/examples/nasa-gateway-hpa.yaml", "time,http_requests_per_minute\n1995-07-01T04:00:01Z,12\n1995-07-01T04:01:01Z,12x\n", "trace.csv:3:22: "},
		{"no column", "../../testdata/examples/nasa-gateway-hpa.yaml", "time,rps\n1995-07-01T04:00:01Z,12\n", `HorizontalPodAutoscaler gateway: the trace has no column for metrics[0] (External "http_requests_per_minute")`},
		{"no object", "deployment.yaml", "time,x\n", "deployment.yaml: found 0 HorizontalPodAutoscalers and 0 ScaledObjects, want exactly one object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "trace.csv")
			if err := os.WriteFile(path, []byte(tc.trace), 0o644); err != nil {
				t.Fatal(err)
			}
			m := tc.manifest
			if !strings.HasPrefix(m, "../") {
				m = filepath.Join(dir, m)
				if err := os.WriteFile(m, []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var out bytes.Buffer
			err := run([]string{m, path}, &out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to contain %q", err, tc.want)
			}
			if out.Len() != 0 {
				t.Errorf("printed %q on error", out.String())
			}
		})
	}
}
