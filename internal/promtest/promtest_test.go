package promtest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// series is backfilled into the servers of these tests. The payments
// sample at 1767603615.5 lies between two 15 s steps. The archive sample,
// years older than the others, is only kept with a long retention.
const series = `# HELP lag Consumer lag.
# TYPE lag gauge
lag{topic="archive"} 3 1000000000
lag{topic="orders"} 5 1767603600
lag{topic="orders"} 7 1767603615
lag{topic="orders"} 9.5 1767603630
lag{topic="orders"} 12 1767603645
lag{topic="payments"} 1 1767603600
lag{topic="payments"} 2 1767603615.5
# EOF
`

// wantLag is the query_range answer for query=lag, start=1767603600,
// end=1767603645, step=15, as "timestamp value" pairs per topic.
var wantLag = map[string][]string{
	"orders":   {"1767603600 5", "1767603615 7", "1767603630 9.5", "1767603645 12"},
	"payments": {"1767603600 1", "1767603615 1", "1767603630 2", "1767603645 2"},
}

const lagRange = "query=lag&start=1767603600&end=1767603645&step=15"

// apiResponse is the envelope of a Prometheus HTTP API answer.
type apiResponse struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Values [][]any           `json:"values"`
		} `json:"result"`
	} `json:"data"`
}

// decodeMatrix decodes a query_range answer into "timestamp value" pairs
// keyed by the topic label.
func decodeMatrix(t *testing.T, body []byte) map[string][]string {
	t.Helper()
	var r apiResponse
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	if r.Status != "success" || r.Data.ResultType != "matrix" {
		t.Fatalf("unexpected answer: %s", body)
	}
	got := map[string][]string{}
	for _, s := range r.Data.Result {
		if s.Metric["__name__"] != "lag" {
			t.Errorf("unexpected metric %v", s.Metric)
		}
		for _, v := range s.Values {
			if len(v) != 2 {
				t.Fatalf("bad sample %v in %s", v, body)
			}
			got[s.Metric["topic"]] = append(got[s.Metric["topic"]], fmt.Sprint(v[0], " ", v[1]))
		}
	}
	return got
}

// get sends a GET with optional basic auth and returns status and body.
func get(t *testing.T, c *http.Client, u, user, pass string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	return do(t, c, req)
}

// do sends req and returns status and body.
func do(t *testing.T, c *http.Client, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestPlainServer(t *testing.T) {
	t.Parallel()
	srv := Start(t, Options{OpenMetrics: series})
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") || strings.HasSuffix(srv.URL, "/") {
		t.Errorf("URL = %q", srv.URL)
	}
	if srv.CAFile != "" {
		t.Errorf("CAFile = %q for a server without TLS", srv.CAFile)
	}
	c := &http.Client{Timeout: 5 * time.Second}

	t.Run("query_range", func(t *testing.T) {
		t.Parallel()
		code, body := get(t, c, srv.URL+"/api/v1/query_range?"+lagRange, "", "")
		if code != http.StatusOK {
			t.Fatalf("status %d: %s", code, body)
		}
		if got := decodeMatrix(t, body); !reflect.DeepEqual(got, wantLag) {
			t.Errorf("query_range = %v, want %v", got, wantLag)
		}
	})

	t.Run("old_data_kept", func(t *testing.T) {
		t.Parallel()
		code, body := get(t, c, srv.URL+"/api/v1/query?query=lag&time=1000000060", "", "")
		want := `"result":[{"metric":{"__name__":"lag","topic":"archive"},"value":[1000000060,"3"]}]`
		if code != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("status %d: %s, want %s", code, body, want)
		}
	})

	t.Run("proxy_bearer", func(t *testing.T) {
		t.Parallel()
		p := NewProxy(t, srv.URL, ProxyOptions{BearerToken: "s3cret"})
		for _, tc := range []struct {
			auth string
			want int
		}{
			{"", http.StatusUnauthorized},
			{"Bearer wrong", http.StatusUnauthorized},
			{"Basic czNjcmV0", http.StatusUnauthorized},
			{"Bearer s3cret", http.StatusOK},
		} {
			req, _ := http.NewRequest(http.MethodGet, p.URL+"/api/v1/query_range?"+lagRange, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			if code, body := do(t, c, req); code != tc.want {
				t.Errorf("Authorization %q: status %d, want %d: %s", tc.auth, code, tc.want, body)
			}
		}
		if n := p.Requests(); n != 4 {
			t.Errorf("Requests() = %d, want 4", n)
		}
	})

	t.Run("proxy_header", func(t *testing.T) {
		t.Parallel()
		p := NewProxy(t, srv.URL, ProxyOptions{HeaderName: "X-Scope-OrgID", HeaderValue: "tenant-a"})
		for _, tc := range []struct {
			value string
			want  int
		}{
			{"", http.StatusForbidden},
			{"tenant-b", http.StatusForbidden},
			{"tenant-a", http.StatusOK},
		} {
			req, _ := http.NewRequest(http.MethodGet, p.URL+"/api/v1/query_range?"+lagRange, nil)
			if tc.value != "" {
				req.Header.Set("X-Scope-OrgID", tc.value)
			}
			code, body := do(t, c, req)
			if code != tc.want {
				t.Errorf("X-Scope-OrgID %q: status %d, want %d: %s", tc.value, code, tc.want, body)
			}
			if code == http.StatusOK {
				if got := decodeMatrix(t, body); !reflect.DeepEqual(got, wantLag) {
					t.Errorf("through proxy: %v, want %v", got, wantLag)
				}
			}
		}
	})

	t.Run("proxy_fail_first", func(t *testing.T) {
		t.Parallel()
		p := NewProxy(t, srv.URL, ProxyOptions{FailFirst: 2})
		// Paths outside /api/ are neither failed nor counted.
		if code, body := get(t, c, p.URL+"/-/ready", "", ""); code != http.StatusOK {
			t.Errorf("/-/ready: status %d: %s", code, body)
		}
		for i, want := range []int{503, 503, 200} {
			code, body := get(t, c, p.URL+"/api/v1/query_range?"+lagRange, "", "")
			if code != want {
				t.Errorf("request %d: status %d, want %d: %s", i, code, want, body)
			}
			if code == 503 && string(body) != injectedFailureBody {
				t.Errorf("request %d: body %s", i, body)
			}
		}
		if n := p.Requests(); n != 4 {
			t.Errorf("Requests() = %d, want 4", n)
		}
	})

	t.Run("proxy_seen_post", func(t *testing.T) {
		t.Parallel()
		p := NewProxy(t, srv.URL, ProxyOptions{})
		form := url.Values{"query": {"lag"}, "start": {"1767603600"}, "end": {"1767603645"}, "step": {"15"}}
		req, _ := http.NewRequest(http.MethodPost, p.URL+"/api/v1/query_range?dedup=false", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Client", "capture")
		code, body := do(t, c, req)
		if code != http.StatusOK {
			t.Fatalf("status %d: %s", code, body)
		}
		// Prometheus got the body back intact.
		if got := decodeMatrix(t, body); !reflect.DeepEqual(got, wantLag) {
			t.Errorf("POST query_range = %v, want %v", got, wantLag)
		}
		seen := p.Seen()
		if len(seen) != 1 {
			t.Fatalf("Seen() has %d requests, want 1", len(seen))
		}
		r := seen[0]
		if r.Method != http.MethodPost || r.Path != "/api/v1/query_range" {
			t.Errorf("Seen()[0] = %s %s", r.Method, r.Path)
		}
		wantQuery := url.Values{"dedup": {"false"}, "query": {"lag"}, "start": {"1767603600"}, "end": {"1767603645"}, "step": {"15"}}
		if !reflect.DeepEqual(r.Query, wantQuery) {
			t.Errorf("Seen()[0].Query = %v, want %v", r.Query, wantQuery)
		}
		if r.Header.Get("X-Client") != "capture" {
			t.Errorf("Seen()[0].Header = %v", r.Header)
		}
		// Seen returns copies.
		r.Query.Set("query", "changed")
		r.Header.Set("X-Client", "changed")
		if again := p.Seen()[0]; again.Query.Get("query") != "lag" || again.Header.Get("X-Client") != "capture" {
			t.Errorf("Seen() shares its maps with the caller: %+v", again)
		}
	})

	t.Run("proxy_delay_first", func(t *testing.T) {
		t.Parallel()
		p := NewProxy(t, srv.URL, ProxyOptions{FailFirst: 1, DelayFirst: 1, Delay: 20 * time.Second})
		short := &http.Client{Timeout: 300 * time.Millisecond}
		if code, _ := get(t, short, p.URL+"/api/v1/query_range?"+lagRange, "", ""); code != 503 {
			t.Errorf("first request: status %d, want 503", code)
		}
		start := time.Now()
		resp, err := short.Get(p.URL + "/api/v1/query_range?" + lagRange)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("delayed request succeeded with status %d", resp.StatusCode)
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("delayed request: %v, want a timeout", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("delayed request took %v", d)
		}
		// The proxy stops waiting once the client has gone.
		for deadline := time.Now().Add(3 * time.Second); p.delaying.Load() != 0; {
			if time.Now().After(deadline) {
				t.Fatal("proxy still holds the abandoned request")
			}
			time.Sleep(10 * time.Millisecond)
		}
		code, body := get(t, short, p.URL+"/api/v1/query_range?"+lagRange, "", "")
		if code != http.StatusOK {
			t.Fatalf("third request: status %d: %s", code, body)
		}
		if got := decodeMatrix(t, body); !reflect.DeepEqual(got, wantLag) {
			t.Errorf("third request = %v, want %v", got, wantLag)
		}
		if n := p.Requests(); n != 3 {
			t.Errorf("Requests() = %d, want 3", n)
		}
	})

	t.Run("proxy_upstream_down", func(t *testing.T) {
		t.Parallel()
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		p := NewProxy(t, fmt.Sprintf("http://127.0.0.1:%d", port), ProxyOptions{})
		code, body := get(t, c, p.URL+"/api/v1/query?query=up", "", "")
		if code != http.StatusBadGateway || !strings.Contains(string(body), `"status":"error"`) {
			t.Errorf("status %d: %s", code, body)
		}
	})
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	// No data: this server also covers starting without a backfill.
	srv := Start(t, Options{Username: Username, Password: Password})
	c := &http.Client{Timeout: 5 * time.Second}
	query := srv.URL + "/api/v1/query?query=vector(42)&time=1767603600"

	for _, path := range []string{"/-/ready", "/api/v1/query?query=vector(42)"} {
		if code, body := get(t, c, srv.URL+path, "", ""); code != http.StatusUnauthorized {
			t.Errorf("%s without credentials: status %d, want 401: %s", path, code, body)
		}
	}
	if code, _ := get(t, c, query, Username, "wrong-password"); code != http.StatusUnauthorized {
		t.Errorf("wrong password: status %d, want 401", code)
	}
	if code, _ := get(t, c, query, "someone", Password); code != http.StatusUnauthorized {
		t.Errorf("wrong user: status %d, want 401", code)
	}
	code, body := get(t, c, query, Username, Password)
	if code != http.StatusOK || !strings.Contains(string(body), `"42"`) {
		t.Errorf("with credentials: status %d: %s", code, body)
	}
	code, body = get(t, c, srv.URL+"/api/v1/query?query=lag&time=1767603600", Username, Password)
	if code != http.StatusOK || !strings.Contains(string(body), `"result":[]`) {
		t.Errorf("empty server: status %d: %s", code, body)
	}

	p := NewProxy(t, srv.URL, ProxyOptions{Username: Username, Password: Password})
	if code, body := get(t, c, p.URL+"/api/v1/query?query=vector(42)", "", ""); code != http.StatusOK {
		t.Errorf("through a proxy adding credentials: status %d: %s", code, body)
	}
	if got := p.Seen()[0].Header.Get("Authorization"); got != "" {
		t.Errorf("Seen records the proxy's own credentials: %q", got)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	srv := Start(t, Options{OpenMetrics: series, TLS: true})
	if !strings.HasPrefix(srv.URL, "https://127.0.0.1:") {
		t.Errorf("URL = %q", srv.URL)
	}
	pemData, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		t.Fatalf("%s holds no certificate", srv.CAFile)
	}
	trusting := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	code, body := get(t, trusting, srv.URL+"/api/v1/query_range?"+lagRange, "", "")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	if got := decodeMatrix(t, body); !reflect.DeepEqual(got, wantLag) {
		t.Errorf("query_range over TLS = %v, want %v", got, wantLag)
	}

	plain := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	resp, err := plain.Get(srv.URL + "/-/ready")
	if err == nil {
		resp.Body.Close()
		t.Fatal("a client without the CA reached the server")
	}
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("error without the CA = %v, want an x509.UnknownAuthorityError", err)
	}

	p := NewProxy(t, srv.URL, ProxyOptions{CAFile: srv.CAFile})
	if code, body := get(t, plain, p.URL+"/api/v1/query_range?"+lagRange, "", ""); code != http.StatusOK {
		t.Errorf("through a proxy trusting the CA: status %d: %s", code, body)
	}
	p = NewProxy(t, srv.URL, ProxyOptions{})
	if code, body := get(t, plain, p.URL+"/-/ready", "", ""); code != http.StatusBadGateway || !strings.Contains(string(body), "certificate") {
		t.Errorf("through a proxy not trusting the CA: status %d: %s", code, body)
	}
}

// fakeTB records Fatal and Skip calls instead of ending the test.
type fakeTB struct {
	testing.TB
	fatal, skip string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatal(args ...any) {
	f.fatal = fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Skip(args ...any) {
	f.skip = fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// runFake runs fn with a fakeTB around t in its own goroutine and returns
// what it recorded.
func runFake(t *testing.T, fn func(tb testing.TB)) *fakeTB {
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

func TestStartRejectsOtherPasswords(t *testing.T) {
	t.Parallel()
	f := runFake(t, func(tb testing.TB) {
		Start(tb, Options{Username: "capture", Password: "hunter2"})
		t.Error("Start returned")
	})
	if !strings.Contains(f.fatal, "promtest only has a bcrypt hash for promtest.Password") {
		t.Errorf("Fatal message = %q", f.fatal)
	}
}

func TestStartReportsBackfillErrors(t *testing.T) {
	t.Parallel()
	requireBinaries(t)
	f := runFake(t, func(tb testing.TB) {
		Start(tb, Options{OpenMetrics: "# TYPE lag gauge\nlag 1 1767603600\n"})
		t.Error("Start returned")
	})
	if !strings.Contains(f.fatal, "promtool tsdb create-blocks-from openmetrics") || !strings.Contains(f.fatal, "does not end with # EOF") {
		t.Errorf("Fatal message = %q", f.fatal)
	}
}

func TestNewProxyRejectsHalfHeader(t *testing.T) {
	t.Parallel()
	f := runFake(t, func(tb testing.TB) {
		NewProxy(tb, "http://127.0.0.1:1", ProxyOptions{HeaderName: "X-Scope-OrgID"})
		t.Error("NewProxy returned")
	})
	if !strings.Contains(f.fatal, "HeaderName and HeaderValue") {
		t.Errorf("Fatal message = %q", f.fatal)
	}
}

// TestMissingBinaries changes PATH, so it cannot run in parallel.
func TestMissingBinaries(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if Available() {
		t.Fatal("Available() with an empty PATH")
	}

	t.Setenv(requireEnv, "")
	f := runFake(t, func(tb testing.TB) {
		Start(tb, Options{OpenMetrics: series})
		t.Error("Start returned")
	})
	if f.fatal != "" || !strings.Contains(f.skip, `apt-get install prometheus`) {
		t.Errorf("without %s: skip %q, fatal %q", requireEnv, f.skip, f.fatal)
	}

	t.Setenv(requireEnv, "1")
	f = runFake(t, func(tb testing.TB) {
		Start(tb, Options{OpenMetrics: series})
		t.Error("Start returned")
	})
	if f.skip != "" || !strings.Contains(f.fatal, `apt-get install prometheus`) {
		t.Errorf("with %s: skip %q, fatal %q", requireEnv, f.skip, f.fatal)
	}
}

func TestTail(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	got := tail([]byte(b.String()))
	lines := strings.Split(got, "\n")
	if len(lines) != 51 || lines[0] != "... (10 earlier lines omitted)" || lines[1] != "line 11" || lines[50] != "line 60" {
		t.Errorf("tail = %q", got)
	}
	if tail(nil) != "(no output)" {
		t.Errorf("tail(nil) = %q", tail(nil))
	}
}
