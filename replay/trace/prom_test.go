package trace

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func openProm(t *testing.T, file string, opt PromOptions) *PromReader {
	t.Helper()
	f, err := os.Open("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewPromReader(file, f, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPromReader reads a query_range response of
// sum by (region, topic) (kafka_consumergroup_lag), a column per topic.
func TestPromReader(t *testing.T) {
	r := openProm(t, "prom-lag.json", PromOptions{ColumnLabel: "topic", RegionLabel: "region"})
	golden(t, "prom-lag.golden", formatRows(r))
}

// TestPromReaderReplicas reads max by (region) (kube_deployment_spec_replicas)
// into the replicas column.
func TestPromReaderReplicas(t *testing.T) {
	r := openProm(t, "prom-replicas.json", PromOptions{Column: "replicas", RegionLabel: "region"})
	golden(t, "prom-replicas.golden", formatRows(r))
}

// TestPromReaderColumn puts one series in a named column, without regions.
func TestPromReaderColumn(t *testing.T) {
	in := `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up"},"values":[[1704067200,"1"],[1704067210.5,"0"]]}]}}`
	r, err := NewPromReader("in.json", strings.NewReader(in), PromOptions{Column: "lag"})
	if err != nil {
		t.Fatal(err)
	}
	got := formatRows(r)
	want := "# time lag\n2024-01-01T00:00:00Z 1 (line 0)\n2024-01-01T00:00:10.5Z 0 (line 0)\n"
	if got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
}

// TestPromReaderErrors reads each response of testdata/prom-errors.txt
// with the options of its case (column=, label=, region=) and compares the
// error (go test -update rewrites them).
func TestPromReaderErrors(t *testing.T) {
	runErrorCases(t, "prom-errors.txt", func(c errorCase) error {
		opt := PromOptions{Column: c.args["column"], ColumnLabel: c.args["label"], RegionLabel: c.args["region"]}
		r, err := NewPromReader("in.json", strings.NewReader(c.input), opt)
		if err == nil {
			if _, err := readAll(r); err != nil {
				t.Errorf("%s: Scan failed after NewPromReader succeeded: %v", c.name, err)
			}
			return nil
		}
		var pe *ParseError
		if !errors.As(err, &pe) && c.args["options"] != "bad" {
			t.Errorf("%s: %T is not a *ParseError", c.name, err)
		}
		return err
	})
}
