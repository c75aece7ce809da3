package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/internal/promtest"
	"github.com/autoreplay/autoreplay/replay/trace"
	"github.com/google/go-cmp/cmp"
)

const (
	captureSO    = "../../examples/capture/gateway.yaml"
	captureOM    = "../../examples/capture/http_requests.om"
	nasaRequests = "../../testdata/traces/nasa-http-1995-07-01.csv"
)

// exampleOpenMetrics builds examples/capture/http_requests.om from the NASA
// trace by the rule in examples/capture/SOURCE.md.
func exampleOpenMetrics(t *testing.T) string {
	t.Helper()
	f, err := os.Open(nasaRequests)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var counts []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if sc.Text() == "minute_index,requests" {
			continue
		}
		_, n, _ := strings.Cut(sc.Text(), ",")
		v, err := strconv.Atoi(n)
		if err != nil {
			t.Fatalf("%s: %q: %v", nasaRequests, sc.Text(), err)
		}
		counts = append(counts, v)
	}
	const start = 804571201 // 1995-07-01T04:00:01Z
	var b strings.Builder
	b.WriteString("# HELP http_requests_total Requests served.\n# TYPE http_requests_total counter\n")
	for pod, share := range []func(int) int{func(n int) int { return (n + 1) / 2 }, func(n int) int { return n / 2 }} {
		total := 0
		fmt.Fprintf(&b, "http_requests_total{service=\"gateway\",pod=\"gateway-%d\"} 0 %d\n", pod, start)
		for m, n := range counts {
			total += share(n)
			fmt.Fprintf(&b, "http_requests_total{service=\"gateway\",pod=\"gateway-%d\"} %d %d\n", pod, total, start+60*(m+1))
		}
	}
	b.WriteString("# EOF\n")
	return b.String()
}

func TestCaptureExampleData(t *testing.T) {
	want := exampleOpenMetrics(t)
	if *update {
		write(t, captureOM, want)
		return
	}
	got, err := os.ReadFile(captureOM)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is not what SOURCE.md says it is (go test -update rewrites it)", captureOM)
	}
}

// exampleServer starts a Prometheus server holding
// examples/capture/http_requests.om.
func exampleServer(t *testing.T) *promtest.Server {
	t.Helper()
	om, err := os.ReadFile(captureOM)
	if err != nil {
		t.Fatal(err)
	}
	return promtest.Start(t, promtest.Options{OpenMetrics: string(om)})
}

// inExampleDir runs the test in a directory holding examples/capture, so
// that the commands read as in docs/capture.md.
func inExampleDir(t *testing.T) string {
	t.Helper()
	so, err := os.ReadFile(captureSO)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "examples", "capture"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "examples", "capture", "gateway.yaml"), string(so))
	t.Chdir(dir)
	return dir
}

// transcript is one command's golden text, with the server's URL written
// as in the docs.
func transcript(url string, args []string) string {
	stdout, stderr, code := invoke(args...)
	text := fmt.Sprintf("$ replay %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(args, " "), code, stdout, stderr)
	return strings.ReplaceAll(text, url, "http://localhost:9090")
}

// TestCaptureWalkthrough runs docs/capture.md against a real Prometheus
// server holding examples/capture/http_requests.om: capture, run, plot.
func TestCaptureWalkthrough(t *testing.T) {
	srv := exampleServer(t)
	dir := inExampleDir(t)

	capture := []string{"capture", "-f", "examples/capture/gateway.yaml", "--prometheus", srv.URL,
		"--start", "1995-07-01T04:00:00Z", "--end", "1995-07-02T04:00:00Z", "-o", "trace.csv"}
	golden(t, "capture/walkthrough-capture", transcript(srv.URL, capture))
	b, err := os.ReadFile(filepath.Join(dir, "trace.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) != 5763 { // header, 5761 rows (24 h at 15 s, both ends included), final newline
		t.Errorf("trace.csv has %d lines", len(lines))
	}
	// The head of the day and 10:00 EDT, as the contract of the
	// trace's format and values.
	golden(t, "capture/walkthrough-trace", strings.Join(lines[:25], "\n")+"\n...\n"+strings.Join(lines[2401:2425], "\n")+"\n")

	run := []string{"run", "-f", "examples/capture/gateway.yaml", "--trace", "trace.csv", "-o", "timeline.csv"}
	golden(t, "capture/walkthrough-run", transcript(srv.URL, run))
	plot := []string{"plot", "timeline.csv", "-o", "replicas.png", "-f", "examples/capture/gateway.yaml"}
	golden(t, "capture/walkthrough-plot", transcript(srv.URL, plot))
	f, err := os.Open(filepath.Join(dir, "replicas.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("replicas.png: %v", err)
	}

	// The same capture as Parquet replays to the same timeline.
	parquetCapture := append(capture[:len(capture)-1:len(capture)-1], "trace.parquet")
	if _, stderr, code := invoke(parquetCapture...); code != 0 {
		t.Fatalf("capture to Parquet: exit %d: %s", code, stderr)
	}
	csvTimeline, _, _ := invoke("run", "-f", "examples/capture/gateway.yaml", "--trace", "trace.csv", "-o", "-")
	pqTimeline, stderr, code := invoke("run", "-f", "examples/capture/gateway.yaml", "--trace", "trace.parquet", "-o", "-")
	if code != 0 || csvTimeline != pqTimeline || len(csvTimeline) < 1000 {
		t.Errorf("the Parquet trace replays differently (exit %d, %s)", code, stderr)
	}
}

// TestCaptureCommands covers the summary's counts and the messages of
// failures, against real servers.
func TestCaptureCommands(t *testing.T) {
	srv := exampleServer(t)
	dir := inExampleDir(t)
	const so = "examples/capture/gateway.yaml"
	day := []string{"--start", "1995-07-01T04:00:00Z", "--end", "1995-07-01T06:00:00Z"}
	args := func(extra ...string) []string {
		a := append([]string{"capture", "-f", so, "--prometheus", srv.URL}, day...)
		return append(a, extra...)
	}
	write(t, "kept.csv", "time,requests_per_minute\n")
	for _, tc := range []struct {
		name string
		args []string
	}{
		// Without sum(), each pod is a series: KEDA fails those polls.
		{"several-series", args("--query", `requests_per_minute=rate(http_requests_total{service="gateway"}[5m]) * 60`, "--step", "10m", "-o", "-")},
		// Before the data: an empty result reads as 0 (ignoreNullValues).
		{"empty-result", []string{"capture", "-f", so, "--prometheus", srv.URL, "--start", "1995-07-01T03:30:00Z", "--end", "1995-07-01T04:15:00Z", "--step", "5m", "-o", "-"}},
		{"two-regions-and-replicas", append([]string{"capture", "-f", so, "--prometheus", "eu=" + srv.URL, "--prometheus", "us=" + srv.URL, "--step", "30m", "-o", "-",
			"--query", `replicas=count(http_requests_total{service="gateway"})`}, day...)},
		{"chunked", args("--step", "1m", "--max-points", "25", "-o", "chunked.csv")},
		{"query-error", args("--query", "requests_per_minute=sum(rate(http_requests_total[5m])", "-o", "kept.csv")},
		{"scalar", args("--query", "requests_per_minute=scalar(sum(http_requests_total))", "-o", "kept.csv")},
		{"wrong-url", append([]string{"capture", "-f", so, "--prometheus", srv.URL + "/prometheus", "-o", "kept.csv"}, day...)},
		{"nothing-listening", append([]string{"capture", "-f", so, "--prometheus", "http://127.0.0.1:1", "--retries", "0", "-o", "kept.csv"}, day...)},
		{"unknown-column", args("--query", "rps=sum(x)", "-o", "x.csv")},
		{"no-range", []string{"capture", "-f", so, "--prometheus", srv.URL, "-o", "x.csv"}},
		{"since-and-start", args("--since", "7d", "-o", "x.csv")},
		{"bad-since", []string{"capture", "-f", so, "--since", "7 days", "-o", "x.csv"}},
		{"bad-start", []string{"capture", "-f", so, "--start", "yesterday", "-o", "x.csv"}},
		{"backwards", []string{"capture", "-f", so, "--start", "1995-07-02T00:00:00Z", "--end", "1995-07-01T00:00:00Z", "-o", "x.csv"}},
		{"bad-step", args("--step", "1500us", "-o", "x.csv")},
		{"bad-max-points", args("--max-points", "20000", "-o", "x.csv")},
		{"bad-output", args("-o", "trace.xlsx")},
		{"no-output", args()},
		{"no-manifest", []string{"capture", "--prometheus", srv.URL, "--since", "1h", "-o", "x.csv"}},
		{"bad-url", append([]string{"capture", "-f", so, "--prometheus", "localhost:9090", "-o", "x.csv"}, day...)},
		{"help", []string{"capture", "--help"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, "capture/"+tc.name, strings.ReplaceAll(transcript(srv.URL, tc.args), dir, "TMP"))
		})
	}
	if b, err := os.ReadFile("kept.csv"); err != nil || string(b) != "time,requests_per_minute\n" {
		t.Errorf("a failed capture changed kept.csv: %q %v", b, err)
	}
	if _, err := os.Stat("x.csv"); !os.IsNotExist(err) {
		t.Errorf("a failed capture wrote x.csv: %v", err)
	}
	// The chunked capture holds the same rows as one request would give.
	chunked, err := os.ReadFile("chunked.csv")
	if err != nil {
		t.Fatal(err)
	}
	whole, stderr, code := invoke(args("--step", "1m", "-o", "-")...)
	if code != 0 || whole != string(chunked) {
		t.Errorf("chunked capture differs from one request (exit %d, %s)", code, stderr)
	}
}

// TestCaptureNeverShowsCredentials sends credentials from flags and the
// environment through every failure, and looks for them in all output.
func TestCaptureNeverShowsCredentials(t *testing.T) {
	srv := exampleServer(t)
	om, err := os.ReadFile(captureOM)
	if err != nil {
		t.Fatal(err)
	}
	basic := promtest.Start(t, promtest.Options{OpenMetrics: string(om), Username: promtest.Username, Password: promtest.Password, TLS: true})
	proxy := promtest.NewProxy(t, srv.URL, promtest.ProxyOptions{BearerToken: "right-t0ken", HeaderName: "X-Scope-OrgID", HeaderValue: "tenant-a"})
	dir := inExampleDir(t)
	secrets := []string{"wr0ng-t0ken", "right-t0ken", "hunter2", promtest.Password, "tenant-secret"}
	write(t, "token", "right-t0ken\n")
	base := []string{"capture", "-f", "examples/capture/gateway.yaml", "--start", "1995-07-01T04:00:00Z", "--end", "1995-07-01T05:00:00Z", "--retries", "0"}
	for _, tc := range []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		expect string
	}{
		{"token from the environment", map[string]string{envBearerToken: "right-t0ken", envHeaders: "X-Scope-OrgID=tenant-a"},
			[]string{"--prometheus", proxy.URL, "-o", "t.csv"}, 0, "captured 241 rows"},
		{"token from a file", nil, []string{"--prometheus", proxy.URL, "--bearer-token-file", "token", "--header", "X-Scope-OrgID=tenant-a", "-o", "t.csv"}, 0, "captured 241 rows"},
		{"wrong token", map[string]string{envBearerToken: "wr0ng-t0ken"}, []string{"--prometheus", proxy.URL, "-o", "t.csv"}, 2,
			`replay: capture "requests_per_minute" from ` + proxy.URL + `: HTTP 401 Unauthorized: the server wants credentials, or refused the ones given`},
		{"wrong header", nil, []string{"--prometheus", proxy.URL, "--bearer-token", "right-t0ken", "--header", "X-Scope-OrgID=tenant-secret", "-o", "t.csv"}, 2,
			"HTTP 403 Forbidden: the credentials given may not read this server"},
		{"basic auth", nil, []string{"--prometheus", basic.URL, "--ca-file", basic.CAFile, "--basic-auth", promtest.Username + ":" + promtest.Password, "-o", "t.csv"}, 0, "captured 241 rows"},
		{"basic auth from the environment, skipping verification", map[string]string{envBasicAuth: promtest.Username + ":" + promtest.Password},
			[]string{"--prometheus", basic.URL, "--insecure-skip-verify", "-o", "t.csv"}, 0, "captured 241 rows"},
		{"wrong password", nil, []string{"--prometheus", basic.URL, "--ca-file", basic.CAFile, "--basic-auth", promtest.Username + ":hunter2", "-o", "t.csv"}, 2, "HTTP 401 Unauthorized"},
		{"password in the URL", nil, []string{"--prometheus", strings.Replace(basic.URL, "https://", "https://capture:hunter2@", 1), "--ca-file", basic.CAFile, "-o", "t.csv"}, 2,
			`from ` + basic.URL + `: HTTP 401 Unauthorized`},
		{"no CA", nil, []string{"--prometheus", basic.URL, "--basic-auth", promtest.Username + ":" + promtest.Password, "-o", "t.csv"}, 2,
			"TLS: x509: certificate signed by unknown authority; trust the server's CA, or skip verification"},
		{"password in an unreachable URL", nil, []string{"--prometheus", "http://capture:hunter2@127.0.0.1:1", "-o", "t.csv"}, 2,
			`from http://127.0.0.1:1: cannot connect: dial tcp 127.0.0.1:1: connect: connection refused`},
		{"basic auth without a colon", nil, []string{"--prometheus", basic.URL, "--basic-auth", "hunter2", "-o", "t.csv"}, 2,
			"replay: --basic-auth: want USER:PASSWORD (the value is not shown)"},
		{"bad header from the environment", map[string]string{envHeaders: "X-Scope-OrgID: tenant-secret"}, []string{"--prometheus", srv.URL, "-o", "t.csv"}, 2,
			"replay: $REPLAY_PROMETHEUS_HEADERS line 1: want NAME=VALUE (the value is not shown)"},
		{"token and basic auth", nil, []string{"--prometheus", srv.URL, "--bearer-token", "right-t0ken", "--basic-auth", "a:hunter2", "-o", "t.csv"}, 2,
			"replay: a bearer token and basic auth: give one of them"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{envBearerToken, envBasicAuth, envHeaders} {
				t.Setenv(k, tc.env[k])
			}
			stdout, stderr, code := invoke(append(base, tc.args...)...)
			out := stdout + stderr
			if code != tc.code || !strings.Contains(out, tc.expect) {
				t.Errorf("exit %d, want %d; output does not hold %q:\n%s", code, tc.code, tc.expect, out)
			}
			for _, s := range secrets {
				if strings.Contains(strings.ReplaceAll(out, dir, ""), s) {
					t.Errorf("the output shows the credential %q:\n%s", s, out)
				}
			}
		})
	}
	if n := proxy.Requests(); n < 4 {
		t.Errorf("the proxy saw %d requests", n)
	}
}

// TestCaptureTraceReadsBack checks the written trace with the trace
// package's own reader: times on the grid, one column per trigger.
func TestCaptureTraceReadsBack(t *testing.T) {
	srv := exampleServer(t)
	inExampleDir(t)
	_, stderr, code := invoke("capture", "-f", "examples/capture/gateway.yaml", "--prometheus", srv.URL,
		"--start", "1995-07-01T04:00:07Z", "--end", "1995-07-01T05:00:00Z", "--step", "1m", "-o", "t.parquet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile("t.parquet")
	if err != nil {
		t.Fatal(err)
	}
	r, err := trace.NewParquetReader("t.parquet", bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	tb, err := trace.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(trace.Header{Series: []string{"requests_per_minute"}}, tb.Header); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if len(tb.Samples) != 60 {
		t.Fatalf("%d rows, want 60 (04:01 … 05:00)", len(tb.Samples))
	}
	for i, s := range tb.Samples {
		if want := int64(804571260 + 60*i); s.Time.Unix() != want || s.Time.Nanosecond() != 0 || s.Values[0].Status != trace.Present {
			t.Errorf("row %d: %v %+v, want time %d and a value", i, s.Time, s.Values[0], want)
		}
	}
}

// TestCaptureSinceAndInterrupt drives the command with its clock and its
// interruption given: --since counts back from now, and an interrupted
// capture writes nothing.
func TestCaptureSinceAndInterrupt(t *testing.T) {
	srv := exampleServer(t)
	inExampleDir(t)
	now := func() time.Time { return time.Date(1995, 7, 1, 5, 0, 7, 0, time.UTC) }
	var out, errs bytes.Buffer
	f := captureFlags{getenv: func(string) string { return "" }, now: now}
	err := f.run([]string{"-f", "examples/capture/gateway.yaml", "--prometheus", srv.URL, "--since", "1h", "-o", "since.csv"}, &out, &errs)
	if err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	if !strings.HasPrefix(out.String(), "captured 240 rows for ScaledObject gateway: 1995-07-01T04:00:15Z … 1995-07-01T05:00:00Z every 15s") {
		t.Errorf("since: %s", out.String())
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f = captureFlags{getenv: func(string) string { return "" }, now: now, interrupted: ctx}
	err = f.run([]string{"-f", "examples/capture/gateway.yaml", "--prometheus", srv.URL, "--since", "1h", "-o", "interrupted.csv"}, &out, &errs)
	if err == nil || err.Error() != "capture: interrupted; no file written" {
		t.Errorf("interrupted: %v", err)
	}
	if _, err := os.Stat("interrupted.csv"); !os.IsNotExist(err) {
		t.Errorf("an interrupted capture wrote its file: %v", err)
	}
}

func TestParseSince(t *testing.T) {
	for s, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "36h": 36 * time.Hour, "1d12h": 36 * time.Hour} {
		if d, err := parseSince(s); err != nil || d != want {
			t.Errorf("parseSince(%q) = %v, %v; want %v", s, d, err, want)
		}
	}
	for _, s := range []string{"0", "-1h", "7 days", ""} {
		if _, err := parseSince(s); err == nil || err.Error() != "want a positive duration: 7d, 2w, 36h, 90m" {
			t.Errorf("parseSince(%q): error %v", s, err)
		}
	}
}
