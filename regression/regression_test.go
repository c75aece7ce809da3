package regression

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreplay/autoreplay/replay"
	"github.com/autoreplay/autoreplay/replaytest"
)

func init() { replaytest.RegisterUpdateFlag() }

const dir = "../testdata/regression"

// scenario is a seed manifest on its trace, with what it is there to
// exercise: reasons that must appear in its timeline, and figures.
type scenario struct {
	name, manifest, trace, region string
	configure                     func(*replay.Config)
	reasons                       []string
	checks                        []string
}

var scenarios = []scenario{
	{name: "kafka-lag", manifest: "kafka-lag.yaml", trace: "kafka-lag.csv",
		checks: []string{"min_replicas >= 2", "max_replicas >= 20", "scale_ups >= 10"}},
	{name: "kafka-lag-us-east", manifest: "kafka-lag-us-east.yaml", trace: "kafka-lag-regions.csv", region: "us-east",
		checks: []string{"min_replicas >= 2", "max_replicas >= 10"}},
	{name: "kafka-lag-eu-west", manifest: "kafka-lag-eu-west.yaml", trace: "kafka-lag-regions.csv", region: "eu-west",
		checks: []string{"min_replicas >= 2", "max_replicas >= 20"}},
	{name: "prometheus-rps", manifest: "prometheus-rps.yaml", trace: "prometheus-rps.csv",
		reasons: []string{"Activated", "Deactivated"}, checks: []string{"min_replicas <= 0", "max_replicas >= 20"}},
	{name: "modifiers", manifest: "modifiers.yaml", trace: "modifiers.csv",
		reasons: []string{"FormulaValue"}, checks: []string{"max_replicas >= 20"}},
	{name: "fallback", manifest: "fallback.yaml", trace: "fallback.csv",
		reasons: []string{"FallbackApplied"}},
	{name: "hpa-latency", manifest: "hpa-latency.yaml", trace: "hpa-latency.csv",
		reasons: []string{"ScaleUpLimit"}, checks: []string{"max_replicas >= 10"}},
	{name: "hpa-latency-closed", manifest: "hpa-latency.yaml", trace: "hpa-latency.csv",
		configure: func(c *replay.Config) {
			c.Workloads = []replay.Workload{{Series: "latency", Kind: replay.Utilization, Load: "requests_per_minute", Capacity: 100}}
		},
		reasons: []string{"ScaleUpLimit"}, checks: []string{"latency.p99 >= 40"}},
	{name: "celery", manifest: "celery.yaml", trace: "celery.csv",
		reasons: []string{"ScaleUpLimit", "ScaleDownLimit"}, checks: []string{"min_replicas >= 2", "max_replicas <= 10"}},
}

// TestScenarios replays every scenario and compares its timeline with
// testdata/regression/golden/NAME.timeline.csv (go test -update rewrites
// them: a golden file changes only with a reviewed diff).
func TestScenarios(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			res := replaytest.Run(t, replaytest.Case{
				Manifest:  filepath.Join(dir, sc.manifest),
				Trace:     filepath.Join(dir, "traces", sc.trace),
				Region:    sc.region,
				Configure: sc.configure,
			})
			res.Golden(t, filepath.Join(dir, "golden", sc.name+".timeline.csv"))
			res.Check(t, sc.checks...)
			for _, r := range sc.reasons {
				if !bytes.Contains(res.Timeline, []byte(r)) {
					t.Errorf("no step of the timeline has the reason %s, which the scenario is there to exercise", r)
				}
			}
		})
	}
}

// TestTracesAreGenerated rebuilds the traces with generate.py and compares
// them with the committed ones, so that SOURCE.md's formulas are the
// traces' (the generator needs Python 3).
func TestTracesAreGenerated(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed: the traces' generator is not checked")
	}
	out := t.TempDir()
	cmd := exec.Command(py, filepath.Join(dir, "generate.py"))
	cmd.Env = append(os.Environ(), "REGRESSION_TRACES_OUT="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generate.py: %v\n%s", err, b)
	}
	files, err := filepath.Glob(filepath.Join(dir, "traces", "*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no traces: %v", err)
	}
	for _, f := range files {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(out, filepath.Base(f)))
		if err != nil {
			t.Errorf("generate.py did not write %s: %v", filepath.Base(f), err)
			continue
		}
		if !bytes.Equal(want, got) {
			t.Errorf("%s differs from what generate.py writes", f)
		}
	}
	generated, _ := filepath.Glob(filepath.Join(out, "*.csv"))
	if len(generated) != len(files) {
		t.Errorf("generate.py wrote %d traces, %d are committed: %s", len(generated), len(files), strings.Join(generated, ", "))
	}
}
