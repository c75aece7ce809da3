package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serveTrace is 20 minutes of two regions and two series, with a failed
// cell.
const serveTrace = `time,region,lag,cpu-percent
2026-01-05T09:00:00Z,eu-west,100,50
2026-01-05T09:00:00Z,us-east,200,
2026-01-05T09:05:00Z,eu-west,110,52
2026-01-05T09:05:00Z,us-east,210,40
2026-01-05T09:10:00Z,eu-west,120,55
2026-01-05T09:10:00Z,us-east,220,41
2026-01-05T09:15:00Z,eu-west,,58
2026-01-05T09:15:00Z,us-east,230,43
2026-01-05T09:20:00Z,eu-west,130,60
2026-01-05T09:20:00Z,us-east,240,44
`

// handClock is a wall clock the tests move.
type handClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *handClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *handClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// envOf is a getenv of the pairs given.
func envOf(kv ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1]
			}
		}
		return ""
	}
}

// invokeServe runs replay serve to an error (or, should it start, stops it
// at once).
func invokeServe(env func(string) string, args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	f := serveFlags{getenv: env, now: time.Now, stop: stopped}
	code = exitCode(f.run(args, &o, &e), &e)
	return o.String(), e.String(), code
}

// The usage and input errors of serve, one golden file each.
func TestServeErrors(t *testing.T) {
	dir := t.TempDir()
	tr := filepath.Join(dir, "lag.csv")
	write(t, tr, serveTrace)
	txt := filepath.Join(dir, "lag.txt")
	write(t, txt, serveTrace)
	empty := filepath.Join(dir, "empty.csv")
	write(t, empty, "time,lag\n")
	clash := filepath.Join(dir, "clash.csv")
	write(t, clash, "time,a-b,a_b\n2026-01-05T09:00:00Z,1,2\n")
	for _, tc := range []struct {
		name string
		env  []string
		args []string
	}{
		{"help", nil, []string{"--help"}},
		{"no-trace", nil, []string{"--speed", "60x"}},
		{"unknown-trace", nil, []string{"--trace", filepath.Join(dir, "missing.csv")}},
		{"unknown-format", nil, []string{"--trace", txt}},
		{"empty-trace", nil, []string{"--trace", empty}},
		{"name-clash", nil, []string{"--trace", clash, "--listen", "127.0.0.1:0"}},
		{"bad-speed", nil, []string{"--trace", tr, "--speed", "fast"}},
		{"zero-speed", nil, []string{"--trace", tr, "--speed", "0x"}},
		{"negative-speed", nil, []string{"--trace", tr, "--speed", "-2"}},
		{"bad-start", nil, []string{"--trace", tr, "--start", "yesterday"}},
		{"start-outside", nil, []string{"--trace", tr, "--start", "2026-01-05T10:00:00Z"}},
		{"bearer-and-api-key", nil, []string{"--trace", tr, "--bearer-token", "s3cret", "--api-key", "k3y"}},
		{"bearer-and-env-basic", []string{envServeBasic, "keda:pa55"}, []string{"--trace", tr, "--bearer-token", "s3cret"}},
		{"bad-basic-auth", nil, []string{"--trace", tr, "--basic-auth", "pa55word"}},
		{"bad-env-basic-auth", []string{envServeBasic, "pa55word"}, []string{"--trace", tr}},
		{"bad-api-key-header", nil, []string{"--trace", tr, "--api-key", "k3y", "--api-key-header", "X Key"}},
		{"bad-listen", nil, []string{"--trace", tr, "--listen", "127.0.0.1:99999"}},
		{"extra-argument", nil, []string{"--trace", tr, "lag.csv"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := invokeServe(envOf(tc.env...), tc.args...)
			text := fmt.Sprintf("$ replay serve %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(tc.args, " "), code, stdout, stderr)
			for _, secret := range []string{"s3cret", "k3y", "pa55"} {
				if strings.Contains(stdout+stderr, secret) {
					t.Errorf("the output shows a credential:\n%s", text)
				}
			}
			if tc.name != "help" && code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			golden(t, "serve/"+tc.name, strings.ReplaceAll(text, dir, "TMP"))
		})
	}
}

// A served trace over real HTTP: the banner, auth, values as the fake wall
// clock moves at 60x, the end of the trace, the request log, and a clean
// shutdown when the context ends.
func TestServeLive(t *testing.T) {
	dir := t.TempDir()
	tr := filepath.Join(dir, "lag.csv")
	write(t, tr, serveTrace)
	clock := &handClock{t: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	urls := make(chan string, 1)
	f := serveFlags{getenv: envOf(envServeBearer, "t0ken"), now: clock.now, stop: ctx, listening: func(u string) { urls <- u }}
	var stdout, stderr bytes.Buffer
	args := []string{"--trace", tr, "--speed", "60x", "--listen", "127.0.0.1:0", "--log"}
	url, done := startServe(t, &f, args, urls, &stdout, &stderr)

	getBody := func(path string, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var transcript strings.Builder
	step := func(path, token string) {
		code, body := getBody(path, token)
		with := map[string]string{"": "no token", "wrong": "a wrong token", "t0ken": "the token"}[token]
		fmt.Fprintf(&transcript, "wall %s: GET %s with %s: %d %s", clock.now().Format(time.TimeOnly), path, with, code, body)
		if !strings.HasSuffix(body, "\n") {
			transcript.WriteString("\n")
		}
	}
	step("/healthz", "")
	step("/json?region=eu-west", "")
	step("/json?region=eu-west", "wrong")
	step("/json?region=eu-west", "t0ken")
	clock.add(7 * time.Second) // 7 minutes of trace
	step("/json", "t0ken")
	step("/api/v1/query?query=lag%7Bregion%3D%22us-east%22%7D&time=2030-01-01T12:00:07Z", "t0ken")
	clock.add(8 * time.Second) // 09:15: eu-west's lag failed
	step("/api/v1/query?query=lag&region=eu-west", "t0ken")
	step("/metrics?region=eu-west", "t0ken")
	clock.add(time.Hour) // long after the end
	step("/json?region=us-east", "t0ken")
	step("/json?region=us-east", "t0ken")

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("the server still answers after it stopped")
	}
	if strings.Contains(stdout.String()+stderr.String()+transcript.String(), "t0ken") {
		t.Error("the output shows the token")
	}
	port := url[strings.LastIndex(url, ":")+1:]
	text := fmt.Sprintf("$ replay serve %s\n--- stdout\n%s--- stderr\n%s--- requests\n%s", strings.Join(args, " "), stdout.String(), stderr.String(), transcript.String())
	text = strings.ReplaceAll(strings.ReplaceAll(text, dir, "TMP"), "127.0.0.1:"+port, "127.0.0.1:PORT")
	golden(t, "serve/live", text)
}

// The banner for a trace without regions, looping, behind an API key, and
// a SIGTERM that stops the server cleanly.
func TestServeSignal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM to send on Windows")
	}
	dir := t.TempDir()
	tr := filepath.Join(dir, "rpm.csv")
	write(t, tr, "time,requests-per-minute\n2026-01-05T00:00:00Z,12\n2026-01-06T00:00:00Z,14\n2026-01-12T00:00:00Z,15\n")
	urls := make(chan string, 1)
	f := serveFlags{getenv: envOf(envServeAPIKey, "k3y"), now: time.Now, listening: func(u string) { urls <- u }}
	var stdout, stderr bytes.Buffer
	args := []string{"--trace", tr, "--speed", "0.5x", "--listen", "127.0.0.1:0", "--loop", "--api-key-header", "X-Token", "--start", "1767657600"}
	url, done := startServe(t, &f, args, urls, &stdout, &stderr)
	req, _ := http.NewRequest("GET", url+"/json", nil)
	req.Header.Set("X-Token", "k3y")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"requests_per_minute":`) {
		t.Errorf("/json: %d %s", resp.StatusCode, b)
	}
	p, _ := os.FindProcess(os.Getpid())
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	port := url[strings.LastIndex(url, ":")+1:]
	text := fmt.Sprintf("$ replay serve %s\n--- stdout\n%s", strings.Join(args, " "), stdout.String())
	text = strings.ReplaceAll(strings.ReplaceAll(text, dir, "TMP"), "127.0.0.1:"+port, "127.0.0.1:PORT")
	text = regexp.MustCompile(`(?m)^wall    \S+ … \S+`).ReplaceAllString(text, "wall    WALL0 … WALL1")
	golden(t, "serve/signal", text)
	if !strings.HasPrefix(stderr.String(), "replay serve: stopped at trace time 2026-01-06T00:00:0") {
		t.Errorf("stderr: %s", stderr.String())
	}
}

func TestParseSpeed(t *testing.T) {
	for in, want := range map[string]float64{"60x": 60, "60": 60, "1x": 1, "0.5x": 0.5, "2.5X": 2.5, "1e3x": 1000} {
		if got, err := parseSpeed(in); err != nil || got != want {
			t.Errorf("parseSpeed(%q) = %v, %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "0", "-1x", "NaNx", "Infx", "60xx", "fast"} {
		if _, err := parseSpeed(in); err == nil {
			t.Errorf("parseSpeed(%q): no error", in)
		}
	}
}

// startServe runs f with args until it listens, and returns its URL and
// the channel of its result.
func startServe(t *testing.T, f *serveFlags, args []string, urls chan string, stdout, stderr *bytes.Buffer) (string, chan error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f.run(args, stdout, stderr) }()
	select {
	case url := <-urls:
		return url, done
	case err := <-done:
		t.Fatalf("serve returned: %v\n%s", err, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	return "", nil
}
