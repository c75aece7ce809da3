package capture

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Error is a request that failed for good.
type Error struct {
	// Server is the base URL, without credentials.
	Server string
	// Column is the query's column; Region its target's region.
	Column, Region string
	// Status is the HTTP status of the last answer; 0 when there was none.
	Status int
	// Attempts is how many times the request was sent.
	Attempts int
	// Msg says what went wrong. It never holds a credential.
	Msg string
}

func (e *Error) Error() string {
	where := e.Server
	if e.Region != "" {
		where = fmt.Sprintf("%s (region %s)", e.Server, e.Region)
	}
	s := fmt.Sprintf("capture %q from %s: %s", e.Column, where, e.Msg)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return s
}

// capturer sends the requests of one capture.
type capturer struct {
	opt      *Options
	g        grid
	secrets  []string
	apis     map[string]v1.API // by base URL as given
	bases    map[string]base
	total    int
	done     int
	warnings []string
}

// base is a server's URL without credentials, and the credentials it held.
type base struct {
	url, shown string
	host       string
	user, pass string
}

// callKey carries a call's extra parameters and headers to the transport,
// and brings back the HTTP status.
type callKey struct{}

type call struct {
	params, headers map[string]string
	status          int
}

func newCapturer(qs []Query, opt *Options, g grid) (*capturer, error) {
	if len(opt.Targets) == 0 {
		return nil, errors.New("capture: no target server")
	}
	if len(qs) == 0 {
		return nil, errors.New("capture: no query")
	}
	regions := map[string]bool{}
	for _, t := range opt.Targets {
		if regions[t.Region] {
			if t.Region == "" {
				return nil, errors.New("capture: several targets need a region each")
			}
			return nil, fmt.Errorf("capture: region %q given twice", t.Region)
		}
		regions[t.Region] = true
	}
	c := &capturer{opt: opt, g: g, apis: map[string]v1.API{}, bases: map[string]base{}}
	for _, s := range []string{opt.Auth.BearerToken, opt.Auth.Password} {
		c.secret(s)
	}
	for _, v := range opt.Auth.Headers {
		c.secret(v)
	}
	maxPts := opt.MaxPoints
	if maxPts <= 0 {
		maxPts = DefaultMaxPoints
	}
	chunks := (g.n + maxPts - 1) / maxPts
	transport := opt.Transport
	if transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{RootCAs: opt.RootCAs, InsecureSkipVerify: opt.InsecureSkipVerify}
		transport = t
	}
	for _, t := range opt.Targets {
		for _, q := range qs {
			if q.Expr == "" {
				return nil, fmt.Errorf("capture %q: no query", q.Column)
			}
			addr := t.URL
			if addr == "" {
				addr = q.Server
			}
			if addr == "" {
				return nil, fmt.Errorf("capture %q: no server: the query names none and the target has no URL", q.Column)
			}
			if _, ok := c.apis[addr]; ok {
				continue
			}
			b, err := c.parseBase(addr)
			if err != nil {
				return nil, err
			}
			client, err := api.NewClient(api.Config{Address: b.url, RoundTripper: &roundTripper{next: transport, auth: opt.Auth, base: b}})
			if err != nil {
				return nil, fmt.Errorf("capture %q: server %s: %s", q.Column, b.shown, c.redact(err.Error()))
			}
			c.apis[addr], c.bases[addr] = v1.NewAPI(client), b
		}
	}
	c.total = len(opt.Targets) * len(qs) * (1 + chunks)
	return c, nil
}

// secret records a value that must never be shown.
func (c *capturer) secret(s string) {
	if s != "" {
		c.secrets = append(c.secrets, s, url.QueryEscape(s), url.PathEscape(s))
	}
}

// redact removes the credentials from s.
func (c *capturer) redact(s string) string {
	for _, sec := range c.secrets {
		s = strings.ReplaceAll(s, sec, "REDACTED")
	}
	return s
}

// parseBase checks a server URL and takes out its credentials.
func (c *capturer) parseBase(addr string) (base, error) {
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		shown := addr
		if err == nil {
			shown = u.Redacted()
		} else if i := strings.LastIndex(addr, "@"); i >= 0 {
			shown = "…" + addr[i:]
		}
		return base{}, fmt.Errorf("capture: server %q: want an http:// or https:// URL with a host", shown)
	}
	var b base
	if u.User != nil {
		b.user = u.User.Username()
		b.pass, _ = u.User.Password()
		c.secret(b.pass)
		u.User = nil
	}
	u.RawQuery, u.Fragment = "", ""
	b.url, b.host = u.String(), u.Host
	b.shown = strings.TrimRight(b.url, "/")
	return b, nil
}

// query runs q on t over the whole grid and adds its series into pts.
func (c *capturer) query(ctx context.Context, t Target, q Query, pts []point) error {
	addr := t.URL
	if addr == "" {
		addr = q.Server
	}
	a, b := c.apis[addr], c.bases[addr]
	fail := func(cl *call, attempts int, msg string) *Error {
		return &Error{Server: b.shown, Column: q.Column, Region: t.Region, Status: cl.status, Attempts: attempts, Msg: c.redact(msg)}
	}
	// An instant query first: it checks the expression and the
	// credentials at once, and tells the result's type, which a range
	// query hides (a scalar comes back as a matrix).
	last := c.g.time(c.g.n - 1)
	var typ model.ValueType
	err := c.do(ctx, q, fail, func(ctx context.Context) (v1.Warnings, error) {
		v, w, err := a.Query(ctx, q.Expr, last)
		if err == nil {
			typ = v.Type()
		}
		return w, err
	})
	if err != nil {
		return err
	}
	switch typ {
	case model.ValVector:
	case model.ValScalar, model.ValString:
		if q.Reading == ScalerIgnoreNull || q.Reading == ScalerFailOnNull {
			return fail(&call{}, 1, fmt.Sprintf("the query returns a %s, and KEDA's prometheus scaler fails on every result that is not an instant vector; wrap it in vector(…)", typ))
		}
		return fail(&call{}, 1, fmt.Sprintf("the query returns a %s: want an instant vector; wrap it in vector(…)", typ))
	default:
		return fail(&call{}, 1, "the query returns a range vector: want an instant vector (no range selector such as [5m] outside a function)")
	}

	maxPts := c.opt.MaxPoints
	if maxPts <= 0 {
		maxPts = DefaultMaxPoints
	}
	for lo := 0; lo < c.g.n; lo += maxPts {
		hi := min(lo+maxPts, c.g.n) - 1
		r := v1.Range{Start: c.g.time(lo), End: c.g.time(hi), Step: time.Duration(c.g.step) * time.Millisecond}
		var m model.Matrix
		err := c.do(ctx, q, fail, func(ctx context.Context) (v1.Warnings, error) {
			v, w, err := a.QueryRange(ctx, q.Expr, r)
			if err != nil {
				return w, err
			}
			mm, ok := v.(model.Matrix)
			if !ok {
				return w, fmt.Errorf("%w: the range query returned a %s, not a matrix", errNotProm, v.Type())
			}
			m = mm
			return w, nil
		})
		if err != nil {
			return err
		}
		for _, s := range m {
			for _, sp := range s.Values {
				k, ok := c.index(int64(sp.Timestamp), lo, hi)
				if !ok {
					return fail(&call{}, 1, fmt.Sprintf("the server returned a point at %s, off the step grid of the request", sp.Timestamp.Time().UTC().Format(time.RFC3339Nano)))
				}
				pts[k].addFloat(float64(sp.Value))
			}
			for _, sh := range s.Histograms {
				k, ok := c.index(int64(sh.Timestamp), lo, hi)
				if !ok {
					return fail(&call{}, 1, fmt.Sprintf("the server returned a point at %s, off the step grid of the request", sh.Timestamp.Time().UTC().Format(time.RFC3339Nano)))
				}
				pts[k].addHistogram()
			}
		}
	}
	return nil
}

// index is the grid index of a point's time, which must lie in [lo, hi].
func (c *capturer) index(ms int64, lo, hi int) (int, bool) {
	d := ms - c.g.first
	if d%c.g.step != 0 {
		return 0, false
	}
	k := d / c.g.step
	if k < int64(lo) || k > int64(hi) {
		return 0, false
	}
	return int(k), true
}

var errNotProm = errors.New("not a Prometheus API answer")

// do sends one request through f, again after a transient failure, and
// reports progress.
func (c *capturer) do(ctx context.Context, q Query, fail func(*call, int, string) *Error, f func(context.Context) (v1.Warnings, error)) error {
	timeout := c.opt.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	backoff := c.opt.Backoff
	if backoff <= 0 {
		backoff = DefaultBackoff
	}
	for attempt := 1; ; attempt++ {
		cl := &call{params: q.Params, headers: q.Headers}
		rctx, cancel := context.WithTimeout(context.WithValue(ctx, callKey{}, cl), timeout)
		w, err := f(rctx)
		cancel()
		for _, s := range w {
			c.warnings = dedupe(c.warnings, c.redact(fmt.Sprintf("%s: %s", q.Column, s)))
		}
		if err == nil {
			c.done++
			if c.opt.Progress != nil {
				c.opt.Progress(c.done, c.total)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		msg, retry := explain(err, cl, timeout)
		if !retry || attempt > c.opt.Retries {
			return fail(cl, attempt, msg)
		}
		wait := backoff << (attempt - 1)
		if wait > MaxBackoff || wait <= 0 {
			wait = MaxBackoff
		}
		if err := c.wait(ctx, wait); err != nil {
			return err
		}
	}
}

func (c *capturer) wait(ctx context.Context, d time.Duration) error {
	if c.opt.Wait != nil {
		return c.opt.Wait(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// explain says what a failed request means, and whether trying again may
// help.
func explain(err error, cl *call, timeout time.Duration) (string, bool) {
	status := ""
	if cl.status != 0 {
		status = fmt.Sprintf("HTTP %d %s", cl.status, http.StatusText(cl.status))
	}
	var ae *v1.Error
	apiMsg := ""
	if errors.As(err, &ae) {
		apiMsg = ae.Msg
		if ae.Detail != "" && (ae.Type == v1.ErrClient || ae.Type == v1.ErrServer || ae.Type == v1.ErrBadResponse) {
			apiMsg = strings.TrimSpace(detail(ae.Detail))
		}
	}
	switch {
	case cl.status == http.StatusUnauthorized:
		return status + ": the server wants credentials, or refused the ones given", false
	case cl.status == http.StatusForbidden:
		return status + ": the credentials given may not read this server" + suffix(apiMsg), false
	case cl.status == http.StatusNotFound:
		return status + ": no Prometheus API at this URL; give the server's base URL, with its path prefix if it has one", false
	case cl.status == http.StatusTooManyRequests:
		return status + suffix(apiMsg), true
	case cl.status >= 500:
		return status + suffix(apiMsg), true
	case cl.status == http.StatusBadRequest || cl.status == http.StatusUnprocessableEntity:
		return "the server rejected the query: " + apiMsg, false
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Sprintf("no answer within %s", timeout), true
	case errors.Is(err, errNotProm):
		return err.Error(), false
	case ae != nil && ae.Type == v1.ErrBadResponse:
		return "the answer is not a Prometheus API response" + suffix(status) + suffix(ae.Msg), false
	case ae != nil:
		return strings.TrimPrefix(status+": ", ": ") + apiMsg, cl.status >= 500
	}
	var ce *tls.CertificateVerificationError
	if errors.As(err, &ce) {
		return "TLS: " + ce.Err.Error() + "; trust the server's CA, or skip verification", false
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its text would repeat the URL
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return "cannot connect: " + oe.Error(), true
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		return "cannot connect: " + de.Error(), !de.IsNotFound
	}
	return err.Error(), true
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// detail is the error of a Prometheus error body, or the first line of
// another body, at most 200 bytes.
func detail(body string) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal([]byte(body), &e) == nil && e.Error != "" {
		body = e.Error
	}
	body, _, _ = strings.Cut(body, "\n")
	if len(body) > 200 {
		body = body[:200] + "…"
	}
	return body
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// roundTripper adds a call's parameters and headers, then the credentials,
// and records the answer's status.
type roundTripper struct {
	next http.RoundTripper
	auth Auth
	base base
}

func (rt *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	cl, _ := req.Context().Value(callKey{}).(*call)
	// A redirect to another host gets none of the credentials.
	if req.URL.Host == rt.base.host {
		req = rt.decorate(req, cl)
	}
	resp, err := rt.next.RoundTrip(req)
	if err == nil && cl != nil {
		cl.status = resp.StatusCode
	}
	return resp, err
}

// decorate returns req with a call's parameters and headers, and the
// credentials.
func (rt *roundTripper) decorate(req *http.Request, cl *call) *http.Request {
	req = req.Clone(req.Context())
	if cl != nil {
		if len(cl.params) > 0 {
			v := req.URL.Query()
			for _, k := range slices.Sorted(maps.Keys(cl.params)) {
				v.Set(k, cl.params[k])
			}
			req.URL.RawQuery = v.Encode()
		}
		for _, k := range slices.Sorted(maps.Keys(cl.headers)) {
			req.Header.Add(k, cl.headers[k])
		}
	}
	switch a := rt.auth; {
	case a.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+a.BearerToken)
	case a.Username != "":
		req.SetBasicAuth(a.Username, a.Password)
	case rt.base.user != "":
		req.SetBasicAuth(rt.base.user, rt.base.pass)
	}
	for _, k := range slices.Sorted(maps.Keys(rt.auth.Headers)) {
		req.Header.Set(k, rt.auth.Headers[k])
	}
	return req
}
