package promtest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// injectedFailureBody is the body of the 503 answers injected by FailFirst.
const injectedFailureBody = `{"status":"error","errorType":"unavailable","error":"proxy: injected failure"}`

// Proxy is a loopback reverse proxy in front of a server, for auth and
// failure tests.
type Proxy struct {
	// URL is the proxy's base URL, http://127.0.0.1:PORT, no trailing slash.
	URL string

	opt     ProxyOptions
	rp      *httputil.ReverseProxy
	closing chan struct{} // closed when the test ends, to release delayed requests

	mu   sync.Mutex
	seen []Request
	api  int // requests to /api/ paths that passed the auth checks

	delaying atomic.Int64 // requests currently held by Delay
}

// ProxyOptions configure a Proxy. Zero values disable each check.
type ProxyOptions struct {
	// BearerToken: requests without "Authorization: Bearer <token>" get 401.
	BearerToken string
	// HeaderName and HeaderValue: requests without this header name with
	// exactly this value get 403. Both must be set, or both empty.
	HeaderName, HeaderValue string
	// FailFirst: the first N requests to /api/ paths get a 503 with a
	// Prometheus-style error body
	// {"status":"error","errorType":"unavailable","error":"proxy: injected failure"}.
	// Requests rejected by the auth checks above are not counted.
	FailFirst int
	// DelayFirst: the first N requests to /api/ paths (counted after the
	// FailFirst ones) wait Delay before being forwarded. A request stops
	// waiting, and is not forwarded, when its context is done (the client
	// gave up).
	DelayFirst int
	// Delay is how long each of the DelayFirst requests waits.
	Delay time.Duration
	// CAFile: trust this PEM file when the target is HTTPS.
	CAFile string
	// Username and Password: credentials the proxy adds (as HTTP basic auth)
	// when forwarding, for a target with basic auth.
	Username, Password string
}

// Request is what a client sent to a Proxy.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the URL path, without the query string.
	Path string
	// Query holds the URL query values followed by, for a POST with an
	// application/x-www-form-urlencoded body, the body's form values.
	Query url.Values
	// Header holds the request headers as received.
	Header http.Header
}

// NewProxy starts an httptest.Server (net/http/httputil.ReverseProxy) in
// front of target, closed in t.Cleanup.
func NewProxy(t testing.TB, target string, opt ProxyOptions) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		t.Fatalf("promtest: proxy target %q is not an http(s) URL (%v)", target, err)
	}
	if (opt.HeaderName == "") != (opt.HeaderValue == "") {
		t.Fatalf("promtest: ProxyOptions.HeaderName and HeaderValue must both be set or both be empty (got %q, %q)", opt.HeaderName, opt.HeaderValue)
	}
	if opt.DelayFirst > 0 && opt.Delay <= 0 {
		t.Fatalf("promtest: ProxyOptions.DelayFirst is %d but Delay is %v", opt.DelayFirst, opt.Delay)
	}

	transport := http.DefaultTransport.(*http.Transport).Clone()
	if opt.CAFile != "" {
		pemData, err := os.ReadFile(opt.CAFile)
		if err != nil {
			t.Fatalf("promtest: proxy CA file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemData) {
			t.Fatalf("promtest: proxy CA file %s holds no PEM certificate", opt.CAFile)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool}
	}

	p := &Proxy{opt: opt, closing: make(chan struct{})}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			if opt.Username != "" {
				r.Out.SetBasicAuth(opt.Username, opt.Password)
			}
		},
		Transport: transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				return // the client is gone
			}
			writeError(w, http.StatusBadGateway, "unavailable", "proxy: upstream: "+err.Error())
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = srv.URL
	t.Cleanup(func() {
		close(p.closing)
		srv.Close()
		transport.CloseIdleConnections()
	})
	return p
}

// serve records the request, applies the checks and injected failures, and
// forwards it to the target.
func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	rec := Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.Query(),
		Header: r.Header.Clone(),
	}
	if r.Method == http.MethodPost && r.Body != nil && isForm(r.Header.Get("Content-Type")) {
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err != nil {
			p.record(rec)
			writeError(w, http.StatusBadRequest, "bad_data", "proxy: reading body: "+err.Error())
			return
		}
		form, err := url.ParseQuery(string(body))
		if err == nil {
			for k, vs := range form {
				rec.Query[k] = append(rec.Query[k], vs...)
			}
		}
	}
	p.record(rec)

	if tok := p.opt.BearerToken; tok != "" {
		h := r.Header.Get("Authorization")
		const scheme = "Bearer "
		if len(h) < len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) || h[len(scheme):] != tok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="promtest"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "proxy: missing or wrong bearer token")
			return
		}
	}
	if p.opt.HeaderName != "" {
		if vs := r.Header.Values(p.opt.HeaderName); len(vs) != 1 || vs[0] != p.opt.HeaderValue {
			writeError(w, http.StatusForbidden, "forbidden", fmt.Sprintf("proxy: missing or wrong %s header", p.opt.HeaderName))
			return
		}
	}

	if strings.HasPrefix(r.URL.Path, "/api/") {
		p.mu.Lock()
		n := p.api
		p.api++
		p.mu.Unlock()
		switch {
		case n < p.opt.FailFirst:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, injectedFailureBody)
			return
		case n < p.opt.FailFirst+p.opt.DelayFirst:
			if !p.wait(r) {
				return
			}
		}
	}
	p.rp.ServeHTTP(w, r)
}

// wait holds r for the configured delay. It reports false when the client
// gave up or the proxy is closing first.
func (p *Proxy) wait(r *http.Request) bool {
	p.delaying.Add(1)
	defer p.delaying.Add(-1)
	timer := time.NewTimer(p.opt.Delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-r.Context().Done():
		return false
	case <-p.closing:
		return false
	}
}

// record appends rec to the list of seen requests.
func (p *Proxy) record(rec Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, rec)
}

// Requests returns how many requests reached the proxy (all paths), safe
// for concurrent use.
func (p *Proxy) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.seen)
}

// Seen returns a copy of every request's method, URL path, query values
// (URL query and form values of a POST body, if any) and headers, in
// arrival order, for tests that assert what a client sent.
func (p *Proxy) Seen() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Request, len(p.seen))
	for i, r := range p.seen {
		q := make(url.Values, len(r.Query))
		for k, vs := range r.Query {
			q[k] = append([]string(nil), vs...)
		}
		out[i] = Request{Method: r.Method, Path: r.Path, Query: q, Header: r.Header.Clone()}
	}
	return out
}

// isForm reports whether contentType is application/x-www-form-urlencoded.
func isForm(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// writeError writes a Prometheus-style JSON error response.
func writeError(w http.ResponseWriter, code int, errorType, msg string) {
	body, _ := json.Marshal(struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
	}{"error", errorType, msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(body)
}
