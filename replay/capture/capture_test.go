package capture

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/internal/promtest"
	"github.com/autoreplay/autoreplay/replay/trace"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The test data: series of known samples, 10 s before each of 40 grid
// times 15 s apart, so that no sample lies on the edge of Prometheus' 5
// minute lookback at a grid time.
const (
	t0     = 1767603600 // 2026-01-05T09:00:00Z, the first grid time
	points = 40
	step   = 15 * time.Second
)

// series is one backfilled series: its labels and its sample per grid
// index j (at t0 + 15j - 10 s); a missing j has no sample.
type series struct {
	metric, labels string
	at             map[int]float64
}

func every(f func(j int) (float64, bool)) map[int]float64 {
	m := map[int]float64{}
	for j := range points {
		if v, ok := f(j); ok {
			m[j] = v
		}
	}
	return m
}

var data = []series{
	// lag: a gap from j=10 to 34 (stale from k=29 to 34), NaN at 5, +Inf at 6.
	{"lag", `topic="orders"`, every(func(j int) (float64, bool) {
		switch {
		case j >= 10 && j <= 34:
			return 0, false
		case j == 5:
			return math.NaN(), true
		case j == 6:
			return math.Inf(1), true
		}
		return float64(j * 10), true
	})},
	// dup: a second series from j=20 to 25, held by the lookback to k=39.
	{"dup", `a="1"`, every(func(int) (float64, bool) { return 1, true })},
	{"dup", `a="2"`, every(func(j int) (float64, bool) { return 2, j >= 20 && j <= 25 })},
	// busy: two pods.
	{"busy", `pod="a"`, every(func(j int) (float64, bool) { return float64(j), true })},
	{"busy", `pod="b"`, every(func(j int) (float64, bool) { return 2 * float64(j), true })},
	// kube_replicas: 3, then 4.5 (not a whole number) at 20 and 21, then 5.
	{"kube_replicas", `deployment="orders"`, every(func(j int) (float64, bool) {
		switch {
		case j < 20:
			return 3, true
		case j < 22:
			return 4.5, true
		}
		return 5, true
	})},
}

func openMetrics() string {
	var b strings.Builder
	seen := map[string]bool{}
	for _, s := range data {
		if !seen[s.metric] {
			fmt.Fprintf(&b, "# TYPE %s gauge\n", s.metric)
			seen[s.metric] = true
		}
		for j := range points {
			if v, ok := s.at[j]; ok {
				fmt.Fprintf(&b, "%s{%s} %s %d\n", s.metric, s.labels, strconv.FormatFloat(v, 'g', -1, 64), t0+15*j-10)
			}
		}
	}
	b.WriteString("# EOF\n")
	return b.String()
}

// visible is what an instant query of metric returns at grid time k: the
// latest sample of each series within the 5 minute lookback.
func visible(metric string, k int) []float64 {
	var vs []float64
	for _, s := range data {
		if s.metric != metric {
			continue
		}
		for j := k; j > k-20 && j >= 0; j-- {
			if v, ok := s.at[j]; ok {
				vs = append(vs, v)
				break
			}
		}
	}
	return vs
}

// expect is the value the reading gives for what an instant query returns,
// written out from KEDA's ExecutePromQuery and the HPA's metrics clients.
func expect(r Reading, vs []float64) trace.Value {
	failed, zero := trace.Value{Status: trace.Failed}, trace.Value{Status: trace.Present}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch r {
	case ScalerIgnoreNull:
		if len(vs) == 0 || (len(vs) == 1 && !finite(vs[0])) {
			return zero
		}
		if len(vs) > 1 {
			return failed
		}
	case ScalerFailOnNull, One:
		if len(vs) == 0 || len(vs) > 1 || (r == ScalerFailOnNull && !finite(vs[0])) {
			return failed
		}
	case Sum, Mean:
		if len(vs) == 0 {
			return failed
		}
		s := 0.0
		for _, v := range vs {
			s += v
		}
		if r == Mean {
			s /= float64(len(vs))
		}
		return trace.Value{V: s, Status: trace.Present}
	}
	return trace.Value{V: vs[0], Status: trace.Present}
}

// plain starts a server with the test data for t.
func plain(t *testing.T) string {
	t.Helper()
	return promtest.Start(t, promtest.Options{OpenMetrics: openMetrics()}).URL
}

var testQueries = []Query{
	{Column: "lag", Expr: "lag", Reading: ScalerIgnoreNull},
	{Column: "lag_strict", Expr: "lag", Reading: ScalerFailOnNull},
	{Column: "dup", Expr: "dup", Reading: ScalerIgnoreNull},
	{Column: "dup_one", Expr: "dup", Reading: One},
	{Column: "busy_sum", Expr: "busy", Reading: Sum},
	{Column: "busy_mean", Expr: "busy", Reading: Mean},
	{Column: "replicas", Expr: "kube_replicas", Reading: Replicas},
}

func testOptions(url string) Options {
	return Options{
		Targets: []Target{{URL: url}},
		Start:   time.Unix(t0, 0), End: time.Unix(t0, 0).Add((points - 1) * step), Step: step,
		Wait: func(context.Context, time.Duration) error { return nil },
	}
}

// want is the table the test data should give, from the model above.
func want(regions ...string) *trace.Table {
	h := trace.Header{Region: len(regions) > 0, Replicas: true}
	var metric []string
	for _, q := range testQueries {
		if q.Reading != Replicas {
			h.Series = append(h.Series, q.Column)
			metric = append(metric, q.Expr)
		}
	}
	if len(regions) == 0 {
		regions = []string{""}
	}
	tb := &trace.Table{Header: h}
	for k := range points {
		for _, r := range regions {
			s := trace.Sample{Time: time.Unix(t0+15*int64(k), 0).UTC(), Region: r}
			for i, q := range testQueries {
				if q.Reading == Replicas {
					if vs := visible(q.Expr, k); len(vs) == 1 && vs[0] == math.Trunc(vs[0]) {
						s.Replicas, s.HasReplicas = int32(vs[0]), true
					}
					continue
				}
				s.Values = append(s.Values, expect(q.Reading, visible(metric[i], k)))
			}
			tb.Samples = append(tb.Samples, s)
		}
	}
	return tb
}

var nanEqual = cmpopts.EquateNaNs()

func TestCaptureReadsAsTheScalers(t *testing.T) {
	url := plain(t)
	for _, tc := range []struct {
		name      string
		maxPoints int
		requests  int
		regions   []string
	}{
		{"one request per query", 0, len(testQueries) * 2, nil},
		{"chunks of 7 points", 7, len(testQueries) * (1 + 6), nil},
		{"chunks of 1 point", 1, len(testQueries) * (1 + points), nil},
		{"two regions", 0, 2 * len(testQueries) * 2, []string{"eu-west", "us-east"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := testOptions(url)
			opt.MaxPoints = tc.maxPoints
			if tc.regions != nil {
				opt.Targets = nil
				for _, r := range tc.regions {
					opt.Targets = append(opt.Targets, Target{Region: r, URL: url})
				}
			}
			var calls []int
			opt.Progress = func(done, total int) {
				calls = append(calls, done)
				if total != tc.requests {
					t.Errorf("progress total %d, want %d", total, tc.requests)
				}
			}
			res, err := Capture(context.Background(), testQueries, opt)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want(tc.regions...), res.Table, nanEqual); diff != "" {
				t.Errorf("table (-want +got):\n%s", diff)
			}
			if res.Requests != tc.requests || len(calls) != tc.requests || calls[len(calls)-1] != tc.requests {
				t.Errorf("requests %d, progress calls %d, want %d", res.Requests, len(calls), tc.requests)
			}
		})
	}
}

func TestCaptureStats(t *testing.T) {
	res, err := Capture(context.Background(), testQueries, testOptions(plain(t)))
	if err != nil {
		t.Fatal(err)
	}
	// Counted from the data's comments: lag is stale at k=29..34 (6
	// times), NaN at 5 and +Inf at 6; dup has two series from k=20 on (20
	// times); kube_replicas is 4.5 at 20 and 21.
	wantStats := []Stats{
		{Column: "lag", Reading: ScalerIgnoreNull, Times: 40, Values: 32, Empty: 6, NonFinite: 2},
		{Column: "lag_strict", Reading: ScalerFailOnNull, Times: 40, Values: 32, Empty: 6, NonFinite: 2},
		{Column: "dup", Reading: ScalerIgnoreNull, Times: 40, Values: 20, Several: 20},
		{Column: "dup_one", Reading: One, Times: 40, Values: 20, Several: 20},
		{Column: "busy_sum", Reading: Sum, Times: 40, Values: 40},
		{Column: "busy_mean", Reading: Mean, Times: 40, Values: 40},
		{Column: "replicas", Reading: Replicas, Times: 40, Values: 38, NonFinite: 2},
	}
	if diff := cmp.Diff(wantStats, res.Stats); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestCaptureGridAlignment(t *testing.T) {
	for _, tc := range []struct {
		name       string
		start, end time.Time
		step       time.Duration
		first      int64
		n          int
		err        string
	}{
		{"aligned", time.Unix(60, 0), time.Unix(120, 0), 15 * time.Second, 60_000, 5, ""},
		{"rounded in", time.Unix(61, 0), time.Unix(119, 0), 15 * time.Second, 75_000, 3, ""},
		{"a nanosecond after a grid time", time.Unix(60, 1), time.Unix(120, 0), 15 * time.Second, 75_000, 4, ""},
		{"one time", time.Unix(60, 0), time.Unix(60, 0), time.Second, 60_000, 1, ""},
		{"before the epoch", time.Unix(-31, 0), time.Unix(0, 0), 15 * time.Second, -30_000, 3, ""},
		{"empty", time.Unix(61, 0), time.Unix(74, 0), 15 * time.Second, 0, 0, "no multiple of the step 15s"},
		{"backwards", time.Unix(120, 0), time.Unix(60, 0), time.Second, 0, 0, "is before start"},
		{"sub-millisecond step", time.Unix(0, 0), time.Unix(1, 0), 1500 * time.Microsecond, 0, 0, "whole number of milliseconds"},
		{"too many rows", time.Unix(0, 0), time.Unix(0, 0).Add(400 * 24 * time.Hour), time.Second, 0, 0, "at most 32000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := newGrid(&Options{Start: tc.start, End: tc.end, Step: tc.step})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.first != tc.first || g.n != tc.n {
				t.Errorf("grid first %d n %d, want %d %d", g.first, g.n, tc.first, tc.n)
			}
		})
	}
}

// secrets are credentials the tests send; no error may show them.
var secrets = []string{"s3cr3t-t0ken", promtest.Password, "hunter2", "tenant-secret"}

func checkRedacted(t *testing.T, err error) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("the error shows a credential: %v", err)
		}
	}
}

// captureErr runs a capture of lag that must fail, and returns its *Error.
func captureErr(t *testing.T, opt Options, qs ...Query) *Error {
	t.Helper()
	if qs == nil {
		qs = []Query{{Column: "lag", Expr: "lag"}}
	}
	_, err := Capture(context.Background(), qs, opt)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want an *Error", err, err)
	}
	checkRedacted(t, err)
	return e
}

func TestCaptureAuthAndTransport(t *testing.T) {
	url := plain(t)
	basic := promtest.Start(t, promtest.Options{OpenMetrics: openMetrics(), Username: promtest.Username, Password: promtest.Password, TLS: true})
	pem, err := os.ReadFile(basic.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	lag := []Query{{Column: "lag", Expr: "lag", Reading: ScalerIgnoreNull}}
	wantLag := func(t *testing.T, res *Result) {
		t.Helper()
		if len(res.Table.Samples) != points || res.Table.Samples[0].Values[0] != (trace.Value{V: 0, Status: trace.Present}) ||
			res.Table.Samples[39].Values[0] != (trace.Value{V: 390, Status: trace.Present}) {
			t.Errorf("unexpected table %+v", res.Table.Samples)
		}
	}

	t.Run("basic auth and a CA", func(t *testing.T) {
		opt := testOptions(basic.URL)
		opt.RootCAs = pool
		opt.Auth = Auth{Username: promtest.Username, Password: promtest.Password}
		res, err := Capture(context.Background(), lag, opt)
		if err != nil {
			t.Fatal(err)
		}
		wantLag(t, res)
	})
	t.Run("basic auth in the URL", func(t *testing.T) {
		opt := testOptions(strings.Replace(basic.URL, "https://", "https://"+promtest.Username+":"+promtest.Password+"@", 1))
		opt.InsecureSkipVerify = true
		res, err := Capture(context.Background(), lag, opt)
		if err != nil {
			t.Fatal(err)
		}
		wantLag(t, res)
	})
	t.Run("wrong password", func(t *testing.T) {
		opt := testOptions(basic.URL)
		opt.RootCAs = pool
		opt.Auth = Auth{Username: promtest.Username, Password: "hunter2"}
		e := captureErr(t, opt)
		if e.Status != http.StatusUnauthorized || !strings.Contains(e.Error(), "HTTP 401 Unauthorized: the server wants credentials") || e.Attempts != 1 {
			t.Errorf("got %v (status %d, attempts %d)", e, e.Status, e.Attempts)
		}
	})
	t.Run("password in the URL is not shown", func(t *testing.T) {
		opt := testOptions(strings.Replace(basic.URL, "https://", "https://"+promtest.Username+":hunter2@", 1))
		opt.RootCAs = pool
		e := captureErr(t, opt)
		if e.Status != http.StatusUnauthorized || e.Server != basic.URL {
			t.Errorf("got %v (server %q)", e, e.Server)
		}
	})
	t.Run("unknown CA", func(t *testing.T) {
		opt := testOptions(basic.URL)
		opt.Auth = Auth{Username: promtest.Username, Password: promtest.Password}
		e := captureErr(t, opt)
		if !strings.Contains(e.Msg, "TLS: x509: certificate signed by unknown authority") || e.Attempts != 1 {
			t.Errorf("got %v", e)
		}
	})

	proxy := promtest.NewProxy(t, url, promtest.ProxyOptions{BearerToken: "s3cr3t-t0ken", HeaderName: "X-Scope-OrgID", HeaderValue: "tenant-secret"})
	t.Run("bearer token, header, and a trigger's parameters", func(t *testing.T) {
		opt := testOptions(proxy.URL)
		opt.Auth = Auth{BearerToken: "s3cr3t-t0ken", Headers: map[string]string{"X-Scope-OrgID": "tenant-secret"}}
		q := lag[0]
		q.Params = map[string]string{"namespace": "shop", "dedup": "true"}
		q.Headers = map[string]string{"X-Trigger": "orders"}
		before := len(proxy.Seen())
		res, err := Capture(context.Background(), []Query{q}, opt)
		if err != nil {
			t.Fatal(err)
		}
		wantLag(t, res)
		seen := proxy.Seen()[before:]
		if len(seen) != 2 {
			t.Fatalf("the proxy saw %d requests, want 2", len(seen))
		}
		for i, r := range seen {
			path := []string{"/api/v1/query", "/api/v1/query_range"}[i]
			if !strings.HasPrefix(r.Path, path) || r.Query.Get("namespace") != "shop" || r.Query.Get("dedup") != "true" ||
				r.Query.Get("query") != "lag" || r.Header.Get("X-Trigger") != "orders" {
				t.Errorf("request %d: %s %s %v %v", i, r.Method, r.Path, r.Query, r.Header)
			}
		}
		if q := seen[1].Query; q.Get("start") != "1767603600" || q.Get("end") != "1767604185" || q.Get("step") != "15" {
			t.Errorf("range %v", q)
		}
	})
	t.Run("no token", func(t *testing.T) {
		e := captureErr(t, testOptions(proxy.URL))
		if e.Status != http.StatusUnauthorized {
			t.Errorf("got %v", e)
		}
	})
	t.Run("wrong header", func(t *testing.T) {
		opt := testOptions(proxy.URL)
		opt.Auth = Auth{BearerToken: "s3cr3t-t0ken", Headers: map[string]string{"X-Scope-OrgID": "hunter2"}}
		e := captureErr(t, opt)
		if e.Status != http.StatusForbidden || !strings.Contains(e.Msg, "HTTP 403 Forbidden") {
			t.Errorf("got %v", e)
		}
	})
}

func TestCaptureRetries(t *testing.T) {
	url := plain(t)
	lag := []Query{{Column: "lag", Expr: "lag"}}
	t.Run("5xx then success", func(t *testing.T) {
		proxy := promtest.NewProxy(t, url, promtest.ProxyOptions{FailFirst: 3})
		opt := testOptions(proxy.URL)
		opt.Retries = 3
		opt.Backoff = 100 * time.Millisecond
		var waits []time.Duration
		opt.Wait = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
		res, err := Capture(context.Background(), lag, opt)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}, waits); diff != "" {
			t.Errorf("waits (-want +got):\n%s", diff)
		}
		if res.Requests != 2 || proxy.Requests() != 5 {
			t.Errorf("requests %d, the proxy saw %d, want 2 and 5", res.Requests, proxy.Requests())
		}
	})
	t.Run("5xx for good", func(t *testing.T) {
		proxy := promtest.NewProxy(t, url, promtest.ProxyOptions{FailFirst: 10})
		opt := testOptions(proxy.URL)
		opt.Retries = 2
		e := captureErr(t, opt)
		if e.Status != http.StatusServiceUnavailable || e.Attempts != 3 || !strings.Contains(e.Error(), "HTTP 503 Service Unavailable: proxy: injected failure (after 3 attempts)") {
			t.Errorf("got %v", e)
		}
	})
	t.Run("timeout then success", func(t *testing.T) {
		proxy := promtest.NewProxy(t, url, promtest.ProxyOptions{DelayFirst: 1, Delay: 5 * time.Second})
		opt := testOptions(proxy.URL)
		opt.Timeout, opt.Retries = 200*time.Millisecond, 1
		if _, err := Capture(context.Background(), lag, opt); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("timeout for good", func(t *testing.T) {
		proxy := promtest.NewProxy(t, url, promtest.ProxyOptions{DelayFirst: 1, Delay: 5 * time.Second})
		opt := testOptions(proxy.URL)
		opt.Timeout = 200 * time.Millisecond
		e := captureErr(t, opt)
		if e.Msg != "no answer within 200ms" || e.Attempts != 1 {
			t.Errorf("got %v", e)
		}
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		proxy := promtest.NewProxy(t, url, promtest.ProxyOptions{FailFirst: 10})
		opt := testOptions(proxy.URL)
		opt.Retries = 5
		ctx, cancel := context.WithCancel(context.Background())
		opt.Wait = func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }
		_, err := Capture(ctx, lag, opt)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
	})
}

func TestCaptureErrors(t *testing.T) {
	url := plain(t)
	for _, tc := range []struct {
		name, url, expr string
		msg             string
		status          int
	}{
		{"parse error", url, "sum(lag", `the server rejected the query: invalid parameter "query": 1:8: parse error: unclosed left parenthesis`, 400},
		{"scalar", url, "scalar(sum(lag))", "the query returns a scalar, and KEDA's prometheus scaler fails on every result that is not an instant vector; wrap it in vector(…)", 0},
		{"range vector", url, "lag[5m]", "the query returns a range vector: want an instant vector (no range selector such as [5m] outside a function)", 0},
		{"path without the API", url + "/nothing", "lag", "HTTP 404 Not Found: no Prometheus API at this URL; give the server's base URL, with its path prefix if it has one", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := captureErr(t, testOptions(tc.url), Query{Column: "lag", Expr: tc.expr})
			if e.Msg != tc.msg || e.Status != tc.status {
				t.Errorf("got %q (status %d), want %q (status %d)", e.Msg, e.Status, tc.msg, tc.status)
			}
		})
	}
	t.Run("nothing listening", func(t *testing.T) {
		opt := testOptions("http://127.0.0.1:1")
		opt.Retries = 2
		e := captureErr(t, opt)
		if !strings.HasPrefix(e.Msg, "cannot connect: dial tcp 127.0.0.1:1: connect: connection refused") || e.Attempts != 3 {
			t.Errorf("got %v", e)
		}
	})
	t.Run("not an http URL", func(t *testing.T) {
		_, err := Capture(context.Background(), []Query{{Column: "lag", Expr: "lag"}}, testOptions("prometheus:9090"))
		if err == nil || err.Error() != `capture: server "prometheus:9090": want an http:// or https:// URL with a host` {
			t.Errorf("error %v", err)
		}
	})
	t.Run("no server", func(t *testing.T) {
		_, err := Capture(context.Background(), []Query{{Column: "lag", Expr: "lag"}}, testOptions(""))
		if err == nil || !strings.Contains(err.Error(), "no server: the query names none and the target has no URL") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("the query's own server", func(t *testing.T) {
		opt := testOptions("")
		res, err := Capture(context.Background(), []Query{{Column: "lag", Expr: "lag", Server: url}}, opt)
		if err != nil || len(res.Table.Samples) != points {
			t.Errorf("error %v", err)
		}
	})
	t.Run("two targets without regions", func(t *testing.T) {
		opt := testOptions(url)
		opt.Targets = append(opt.Targets, Target{URL: url})
		_, err := Capture(context.Background(), []Query{{Column: "lag", Expr: "lag"}}, opt)
		if err == nil || err.Error() != "capture: several targets need a region each" {
			t.Errorf("error %v", err)
		}
	})
}

// TestCaptureRedirectKeepsCredentials: a redirect to another host gets
// neither the token nor the headers.
func TestCaptureRedirectKeepsCredentials(t *testing.T) {
	var mu sync.Mutex
	var elsewhere []http.Header
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		elsewhere = append(elsewhere, r.Header.Clone())
		mu.Unlock()
		http.NotFound(w, r)
	}))
	defer other.Close()
	var first http.Header
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first = r.Header.Clone()
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer origin.Close()
	opt := testOptions(origin.URL)
	opt.Auth = Auth{BearerToken: "s3cr3t-t0ken", Headers: map[string]string{"X-Scope-OrgID": "tenant-secret"}}
	e := captureErr(t, opt)
	if e.Status != http.StatusNotFound {
		t.Errorf("got %v", e)
	}
	if first.Get("Authorization") != "Bearer s3cr3t-t0ken" || first.Get("X-Scope-OrgID") != "tenant-secret" {
		t.Errorf("the server asked got %v", first)
	}
	if len(elsewhere) == 0 {
		t.Fatal("the redirect was not followed")
	}
	for _, h := range elsewhere {
		if h.Get("Authorization") != "" || h.Get("X-Scope-OrgID") != "" {
			t.Errorf("the other host got credentials: %v", h)
		}
	}
}
