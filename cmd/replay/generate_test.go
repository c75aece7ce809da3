package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/autoreplay/autoreplay/replay/trace"
)

// generate runs replay generate as the command line would.
func generate(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	code = exitCode(generateCmd(args, &o, &e), &e)
	return o.String(), e.String(), code
}

// generateTranscript is one command's golden text; the trace on stdout is
// cut to its first head lines, with the length and checksum of the whole.
func generateTranscript(t *testing.T, head int, args ...string) string {
	t.Helper()
	stdout, stderr, code := generate(args...)
	if head > 0 {
		lines := strings.SplitAfter(stdout, "\n")
		if len(lines) > head+1 {
			stdout = strings.Join(lines[:head], "") + fmt.Sprintf("... %d lines, sha256 %x\n", len(lines)-1, sha256.Sum256([]byte(stdout)))
		}
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	return fmt.Sprintf("$ replay generate %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(quoted, " "), code, stdout, stderr)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " ()'\"*?;&|<>$`\\") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

const (
	launchPattern = "rps=diurnal(mean=200,amplitude=0.6,peak=14:00,weekend=0.5),spike(height=10,width=2h,at=2d15h),noise(sd=0.05)"
	randomPattern = "rps=diurnal(mean=200,amplitude=0.6,peak=14:00,weekend=0.5),spike(height=10,width=2h,count=1),noise(sd=0.05)"
	lagPattern    = "lag=constant(50),noise(sd=10,add),stuck(at=1h,for=30m,rate=2),outage(at=4h,for=15m,kind=failed),outage(at=5h,for=10m)"
)

func TestGenerateCommands(t *testing.T) {
	t.Chdir(t.TempDir())
	write(t, "kept.csv", "time,rps\n")
	regions := []string{"--region", "us-east=1@-5h", "--region", "eu-west=0.4@1h"}
	week := append([]string{"--duration", "7d", "--step", "1m"}, regions...)
	for _, tc := range []struct {
		name string
		head int // lines of the trace to keep; 0: all
		args []string
	}{
		// A launch week in two regions: the spike at Wednesday 15:00 UTC
		// (10:00 in us-east, 16:00 in eu-west).
		{"launch-week", 7, append([]string{"--pattern", launchPattern, "-o", "-"}, week...)},
		// The same week with a random spike: count=1 is one spike expected,
		// per region; seed 3 draws one in each.
		{"random-spike", 5, append([]string{"--pattern", randomPattern, "--seed", "3", "-o", "-"}, week...)},
		{"lag-file", 0, []string{"--pattern", lagPattern, "--duration", "6h", "--step", "5m", "--start", "2026-03-02T08:00:00Z", "-o", "lag.csv"}},
		{"lag-stdout", 0, []string{"--pattern", lagPattern, "--duration", "6h", "--step", "5m", "--start", "2026-03-02T08:00:00Z", "-o", "-"}},
		{"two-columns", 0, []string{"--pattern", "rps=sine(50,1h),constant(100)", "--pattern", "cpu=ramp(20,80)", "--duration", "1h", "--step", "10m", "--seed", "7", "-o", "-", "--region", "a=1", "--region", "b=0"}},
		{"help", 0, []string{"--help"}},
		{"no-pattern", 0, []string{"-o", "x.csv"}},
		{"no-output", 0, []string{"--pattern", "rps=constant(1)"}},
		{"bad-output", 0, []string{"--pattern", "rps=constant(1)", "-o", "trace.xlsx"}},
		{"bad-pattern", 0, []string{"--pattern", "lag=diurnal(mean=x)", "-o", "x.csv"}},
		{"unknown-pattern", 0, []string{"--pattern", "lag=diurnel(mean=1)", "-o", "x.csv"}},
		{"no-name", 0, []string{"--pattern", "diurnal(mean=100)", "-o", "x.csv"}},
		{"reserved-name", 0, []string{"--pattern", "time=constant(1)", "-o", "x.csv"}},
		{"name-twice", 0, []string{"--pattern", "rps=constant(1)", "--pattern", "rps=constant(2)", "-o", "x.csv"}},
		{"outage-after-the-end", 0, []string{"--pattern", "rps=constant(1)", "--pattern", "lag=constant(1),outage(at=8d,for=1h)", "-o", "x.csv"}},
		{"bad-region", 0, []string{"--pattern", "rps=constant(1)", "--region", "eu-west", "-o", "x.csv"}},
		{"bad-scale", 0, []string{"--pattern", "rps=constant(1)", "--region", "eu-west=-1", "-o", "x.csv"}},
		{"bad-shift", 0, []string{"--pattern", "rps=constant(1)", "--region", "eu-west=1@6", "-o", "x.csv"}},
		{"region-twice", 0, []string{"--pattern", "rps=constant(1)", "--region", "eu=1", "--region", "eu=2", "-o", "x.csv"}},
		{"bad-duration", 0, []string{"--pattern", "rps=constant(1)", "--duration", "a week", "-o", "x.csv"}},
		{"bad-step", 0, []string{"--pattern", "rps=constant(1)", "--step", "0s", "-o", "x.csv"}},
		{"shorter-than-a-step", 0, []string{"--pattern", "rps=constant(1)", "--duration", "10s", "-o", "x.csv"}},
		{"bad-start", 0, []string{"--pattern", "rps=constant(1)", "--start", "monday", "-o", "x.csv"}},
		{"too-many-rows", 0, []string{"--pattern", "rps=constant(1)", "--duration", "1000w", "--step", "1s", "-o", "x.csv"}},
		{"failure-keeps-file", 0, []string{"--pattern", "rps=constant(1),outage(at=30d,for=1h)", "-o", "kept.csv"}},
		{"unexpected-argument", 0, []string{"--pattern", "rps=constant(1)", "-o", "x.csv", "rps.csv"}},
		{"unknown-flag", 0, []string{"--patterns", "rps=constant(1)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, "generate/"+tc.name, generateTranscript(t, tc.head, tc.args...))
		})
	}
	if b, err := os.ReadFile("kept.csv"); err != nil || string(b) != "time,rps\n" {
		t.Errorf("a failed generate changed kept.csv: %q %v", b, err)
	}
	if _, err := os.Stat("x.csv"); !os.IsNotExist(err) {
		t.Errorf("a failed generate wrote x.csv: %v", err)
	}
	// The file holds what stdout held.
	file, err := os.ReadFile("lag.csv")
	if err != nil {
		t.Fatal(err)
	}
	stdout, _, _ := generate("--pattern", lagPattern, "--duration", "6h", "--step", "5m", "--start", "2026-03-02T08:00:00Z", "-o", "-")
	if string(file) != stdout {
		t.Error("lag.csv differs from the trace written to stdout")
	}
}

// The same flags write the same bytes, CSV and Parquet; another seed
// other bytes; the Parquet file reads back as the CSV one.
func TestGenerateDeterministic(t *testing.T) {
	t.Chdir(t.TempDir())
	args := func(seed, out string) []string {
		return []string{"--pattern", randomPattern, "--pattern", "lag=constant(20),noise(sd=5,add),stuck(at=2d3h,for=30m,rate=10)",
			"--region", "us-east=1@-5h", "--region", "eu-west=0.4@1h", "--seed", seed, "-o", out}
	}
	sum := func(name string) [32]byte {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
	for _, run := range [][]string{args("1", "a.csv"), args("1", "b.csv"), args("2", "c.csv"), args("1", "a.parquet"), args("1", "b.parquet"), args("2", "c.parquet")} {
		if _, stderr, code := generate(run...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	for _, ext := range []string{".csv", ".parquet"} {
		if sum("a"+ext) != sum("b"+ext) {
			t.Errorf("%s: the same seed wrote different bytes", ext)
		}
		if sum("a"+ext) == sum("c"+ext) {
			t.Errorf("%s: seeds 1 and 2 wrote the same bytes", ext)
		}
	}
	stdout, _, _ := generate(args("1", "-")...)
	if b, _ := os.ReadFile("a.csv"); string(b) != stdout || len(b) < 1e6 {
		t.Error("-o - and -o a.csv differ")
	}
	f, err := os.Open("a.parquet")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := trace.Open("a.parquet", f, trace.PromOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tb, err := trace.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	var csv bytes.Buffer
	if err := writeTrace(&csv, ".csv", tb); err != nil {
		t.Fatal(err)
	}
	if csv.String() != stdout {
		t.Error("a.parquet reads back differently from a.csv")
	}
}

// TestGenerateWalkthrough runs docs/generate.md: a launch week generated
// for examples/capture/gateway.yaml, then replayed; its column feeds the
// trigger of the same name, in each region.
func TestGenerateWalkthrough(t *testing.T) {
	inExampleDir(t)
	gen := []string{"--pattern", "requests_per_minute=diurnal(mean=60,amplitude=0.6,peak=14:00,weekend=0.5),spike(height=10,width=2h,at=2d15h),noise(sd=0.05)",
		"--region", "us-east=1@-5h", "--region", "eu-west=0.4@1h", "--step", "1m", "-o", "launch.csv"}
	golden(t, "generate/walkthrough-generate", generateTranscript(t, 0, gen...))
	run := []string{"run", "-f", "examples/capture/gateway.yaml", "--trace", "launch.csv", "--plot", "generate-launch.png"}
	stdout, stderr, code := invoke(run...)
	golden(t, "generate/walkthrough-run", fmt.Sprintf("$ replay %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(run, " "), code, stdout, stderr))
	if _, err := os.Stat("generate-launch.png"); err != nil {
		t.Error(err)
	}
}
