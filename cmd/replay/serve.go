package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/autoreplay/autoreplay/replay/serve"
	"github.com/autoreplay/autoreplay/replay/trace"
)

const serveExamples = `  # A week of lag at 60x (the week in 2h48m) for KEDA in a local cluster:
  replay serve --trace lag.csv --speed 60x --listen 0.0.0.0:9091

  # From the third day, over and over, behind a token read from the environment:
  export REPLAY_SERVE_BEARER_TOKEN=$(openssl rand -hex 16)
  replay serve --trace lag.parquet --start 2026-01-07T00:00:00Z --loop --speed 10x

  # Each request KEDA makes, on stderr:
  replay serve --trace lag.csv --speed 60 --log
`

// Environment variables that hold serve's credentials, so that they stay
// out of the process list and the shell history.
const (
	envServeBearer = "REPLAY_SERVE_BEARER_TOKEN"
	envServeAPIKey = "REPLAY_SERVE_API_KEY"
	envServeBasic  = "REPLAY_SERVE_BASIC_AUTH"
)

// serveShutdownTimeout is how long requests in flight may take to finish
// once the server is asked to stop.
const serveShutdownTimeout = 10 * time.Second

type serveFlags struct {
	src          setup // the trace flags only
	speed        string
	listen       string
	start        string
	loop         bool
	staleness    time.Duration
	bearer       string
	apiKey       string
	apiKeyHeader string
	apiKeyParam  string
	basicAuth    string
	log          bool

	getenv func(string) string
	now    func() time.Time // the wall clock
	// stop ends the server; nil: SIGINT or SIGTERM.
	stop context.Context
	// listening, when set, is called with the server's URL once it
	// accepts connections.
	listening func(url string)
}

func serveCmd(args []string, stdout, stderr io.Writer) error {
	f := serveFlags{getenv: os.Getenv, now: time.Now}
	return f.run(args, stdout, stderr)
}

func (f *serveFlags) run(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "Play a trace as a live metrics endpoint for a real KEDA: Prometheus text, JSON and a Prometheus instant-query API.",
		"replay serve --trace TRACE [--speed 60x] [--listen ADDR] [--start TIME] [--loop] [--bearer-token T | --api-key K | --basic-auth USER:PASS] [--log]", serveExamples, stdout)
	fs.StringVar(&f.src.traceFile, "trace", "", "the trace: .csv, .parquet, or Prometheus query_range .json")
	fs.StringVar(&f.src.column, "column", "", "query_range JSON: the column every series goes to")
	fs.StringVar(&f.src.columnLabel, "column-label", "", "query_range JSON: the label that names each series' column")
	fs.StringVar(&f.src.regionLabel, "region-label", "", "query_range JSON: the label that names each series' region")
	fs.StringVar(&f.speed, "speed", "1x", "trace time per wall time: 60x plays a minute of trace per second (fractions allowed)")
	fs.StringVar(&f.listen, "listen", "127.0.0.1:9091", "the address to listen on (0.0.0.0:9091 for other hosts, port 0 for any free port)")
	fs.StringVar(&f.start, "start", "", "the trace time to start at: RFC 3339 or Unix seconds (default the trace's first time)")
	fs.BoolVar(&f.loop, "loop", false, "start the trace over after its end (default: its last values hold)")
	fs.DurationVar(&f.staleness, "staleness", serve.DefaultStaleness, "how long a sample holds without a newer one (negative: forever)")
	fs.StringVar(&f.bearer, "bearer-token", "", "require Authorization: Bearer TOKEN (or $"+envServeBearer+")")
	fs.StringVar(&f.apiKey, "api-key", "", "require an API key in a header or query parameter (or $"+envServeAPIKey+")")
	fs.StringVar(&f.apiKeyHeader, "api-key-header", serve.DefaultAPIKeyHeader, "the header that carries the API key")
	fs.StringVar(&f.apiKeyParam, "api-key-param", serve.DefaultAPIKeyParam, "the query parameter that may carry the API key instead")
	fs.StringVar(&f.basicAuth, "basic-auth", "", "USER:PASSWORD to require basic auth (or $"+envServeBasic+")")
	fs.BoolVar(&f.log, "log", false, "write a line per request on stderr: method, path, status, trace time")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	speed, err := parseSpeed(f.speed)
	if err != nil {
		return err
	}
	auth, err := f.credentials()
	if err != nil {
		return err
	}
	if f.src.traceFile == "" {
		return errors.New("serve: no trace: give one with --trace")
	}
	r, c, err := f.src.openTrace()
	if err != nil {
		return err
	}
	tb, err := trace.ReadAll(r)
	c.Close()
	if err != nil {
		return err
	}
	if len(tb.Samples) == 0 {
		return fmt.Errorf("%s: the trace has no rows", f.src.traceFile)
	}
	opt := serve.Options{Speed: speed, Loop: f.loop, Auth: auth, Staleness: f.staleness, Now: f.now}
	if f.start != "" {
		t, err := parseInstant(f.start)
		if err != nil {
			return fmt.Errorf("--start %q: %w", f.start, err)
		}
		first, last := tb.Samples[0].Time, tb.Samples[len(tb.Samples)-1].Time
		if t.Before(first) || t.After(last) {
			return fmt.Errorf("--start %s: the trace runs from %s to %s", f.start, first.Format(time.RFC3339Nano), last.Format(time.RFC3339Nano))
		}
		opt.Start = t
	}
	errw := &lockedWriter{w: stderr}
	var finished atomic.Bool
	opt.OnRequest = func(req serve.Request) {
		if f.log {
			errw.printf("%s %s\n", f.now().UTC().Format("2006-01-02T15:04:05.000Z07:00"), requestLine(req))
		}
		if req.Position.Finished && !finished.Swap(true) {
			errw.printf("replay serve: the trace has reached its end, %s: its last values hold\n", req.Position.Time.Format(time.RFC3339Nano))
		}
	}
	// The play starts here, a moment before the port is taken.
	srv, err := serve.New(tb, opt)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", f.listen, err)
	}
	url := "http://" + displayAddr(ln.Addr())
	if err := writeServeBanner(stdout, f.src.traceFile, url, srv, opt.Auth, f.loop); err != nil {
		ln.Close()
		return err
	}

	stop := f.stop
	if stop == nil {
		var cancel context.CancelFunc
		stop, cancel = signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer cancel()
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(errw, "replay serve: ", 0),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	if f.listening != nil {
		f.listening(url)
	}
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-stop.Done():
	}
	ctx, cancel := context.WithTimeout(context.Background(), serveShutdownTimeout)
	defer cancel()
	err = hs.Shutdown(ctx)
	<-served
	pos := srv.Position()
	errw.printf("replay serve: stopped at trace time %s\n", pos.Time.Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("serve: shutting down: %w", err)
	}
	return nil
}

// parseSpeed reads 60x, 60, 1x or 0.5x.
func parseSpeed(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSuffix(s, "x"), "X"), 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("--speed %q: want a factor > 0: 60x, 1x, 0.5x", s)
	}
	return v, nil
}

// credentials reads the auth flags and their environment variables; a
// flag wins over its variable. Values never appear in errors.
func (f *serveFlags) credentials() (serve.Auth, error) {
	a := serve.Auth{APIKeyHeader: f.apiKeyHeader, APIKeyParam: f.apiKeyParam}
	var given []string
	pick := func(flag, env, what string) string {
		if v := strings.TrimSpace(f.flagValue(flag)); v != "" {
			given = append(given, fmt.Sprintf("%s (--%s)", what, flag))
			return v
		}
		if v := strings.TrimSpace(f.getenv(env)); v != "" {
			given = append(given, fmt.Sprintf("%s ($%s)", what, env))
			return v
		}
		return ""
	}
	a.BearerToken = pick("bearer-token", envServeBearer, "a bearer token")
	a.APIKey = pick("api-key", envServeAPIKey, "an API key")
	basic := pick("basic-auth", envServeBasic, "basic auth")
	if len(given) > 1 {
		return a, fmt.Errorf("serve: %s: give one credential", strings.Join(given, " and "))
	}
	if basic != "" {
		user, pass, ok := strings.Cut(basic, ":")
		if !ok || user == "" {
			from := "--basic-auth"
			if f.basicAuth == "" {
				from = "$" + envServeBasic
			}
			return a, fmt.Errorf("%s: want USER:PASSWORD (the value is not shown)", from)
		}
		a.Username, a.Password = user, pass
	}
	if err := a.Validate(); err != nil {
		return a, fmt.Errorf("serve: %w", err)
	}
	return a, nil
}

func (f *serveFlags) flagValue(name string) string {
	switch name {
	case "bearer-token":
		return f.bearer
	case "api-key":
		return f.apiKey
	}
	return f.basicAuth
}

// displayAddr is addr as a URL host: an unspecified address (0.0.0.0,
// [::]) as localhost.
func displayAddr(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// requestLine describes a request for --log: never a credential.
func requestLine(r serve.Request) string {
	path := r.Path
	if len(r.Query) > 0 {
		path += "?" + r.Query.Encode()
	}
	s := fmt.Sprintf("%s %s %d trace %s", r.Method, path, r.Status, r.Position.Time.Format(time.RFC3339Nano))
	switch {
	case r.Position.Finished:
		s += " (finished)"
	case r.Position.Lap > 0:
		s += fmt.Sprintf(" (lap %d)", r.Position.Lap+1)
	}
	return s
}

// lockedWriter serializes the writes of concurrent requests.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (l *lockedWriter) printf(format string, a ...any) {
	fmt.Fprintf(l, format, a...)
}

// writeServeBanner says what is served where, and how KEDA reads it.
func writeServeBanner(w io.Writer, file, url string, s *serve.Server, auth serve.Auth, loop bool) error {
	first, last := s.Span()
	series := s.Series()
	regions := s.Regions()
	var b strings.Builder
	fmt.Fprintf(&b, "replay serve: %s on %s (Ctrl-C stops it)\n\n", file, url)
	fmt.Fprintf(&b, "trace   %s … %s (%s)", first.Format(time.RFC3339Nano), last.Format(time.RFC3339Nano), spanText(last.Sub(first)))
	if len(regions) > 0 {
		fmt.Fprintf(&b, ", regions %s", strings.Join(regions, ", "))
	}
	speed := strconv.FormatFloat(s.Speed(), 'g', -1, 64) + "x"
	fmt.Fprintf(&b, "\nplay    from %s at %s", s.Start().Format(time.RFC3339Nano), speed)
	if perSecond := s.Speed() * float64(time.Second); perSecond < math.MaxInt64 {
		fmt.Fprintf(&b, ": 1s of wall time plays %s of trace", spanText(time.Duration(perSecond)))
	}
	wall0 := s.Started().UTC()
	wall1 := wall0.Add(s.WallDuration())
	fmt.Fprintf(&b, "\nwall    %s … %s (%s)", wall0.Format(time.RFC3339), wall1.Format(time.RFC3339), spanText(s.WallDuration().Round(time.Second)))
	if loop {
		b.WriteString(", the first lap; then the trace starts over\n")
	} else {
		b.WriteString(", then the last values hold\n")
	}
	names := make([]string, len(series))
	for i, se := range series {
		names[i] = se.Name
		if se.Name != se.Column {
			names[i] += " (column " + se.Column + ")"
		}
	}
	fmt.Fprintf(&b, "series  %s\n", strings.Join(names, ", "))
	fmt.Fprintf(&b, "auth    %s\n\n", authText(auth))

	name, region, sel, regionParam := series[0].Name, "", series[0].Name, ""
	if len(regions) > 0 {
		region = regions[0]
		sel = fmt.Sprintf("%s{region=%q}", name, region)
		regionParam = "?region=" + region
	}
	fmt.Fprintf(&b, "endpoints\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  %s/metrics\tPrometheus text format: %s …\n", url, sel)
	fmt.Fprintf(tw, "  %s/json%s\tJSON: {\"time\":…,\"%s\":…}\n", url, regionParam, name)
	fmt.Fprintf(tw, "  %s/api/v1/query\tinstant query: %s\n", url, sel)
	fmt.Fprintf(tw, "  %s/healthz\tok\n", url)
	tw.Flush()
	b.WriteString("\n")

	what := name
	if region != "" {
		what += " in " + region
	}
	fmt.Fprintf(&b, "KEDA triggers for %s, one per way of reading it (set TARGET; KEDA must reach\n%s: docs/serve.md shows how):\n\n", what, url)
	ref := ""
	if auth.Mode() != "none" {
		ref = "    authenticationRef: {name: replay-serve}   # a TriggerAuthentication with the credential\n"
	}
	apiMode := func() string {
		switch auth.Mode() {
		case "none":
			return ""
		case "apiKey":
			s := "      authModes: apiKey\n"
			if auth.APIKeyHeader != "" && auth.APIKeyHeader != serve.DefaultAPIKeyHeader {
				s += "      keyParamName: " + auth.APIKeyHeader + "\n"
			}
			return s
		}
		return "      authModes: " + auth.Mode() + "\n"
	}
	promMode := ""
	switch auth.Mode() {
	case "apiKey":
		promMode = "      authModes: custom   # customAuthHeader: " + orDefault(auth.APIKeyHeader, serve.DefaultAPIKeyHeader) + ", customAuthValue: the key\n"
	case "bearer", "basic":
		promMode = "      authModes: " + auth.Mode() + "\n"
	}
	fmt.Fprintf(&b, "  # metrics-api, JSON\n  - type: metrics-api\n    metadata:\n      url: %q\n      format: json\n      valueLocation: %s\n      targetValue: \"TARGET\"\n%s%s",
		url+"/json"+regionParam, name, apiMode(), ref)
	fmt.Fprintf(&b, "  # metrics-api, Prometheus text format\n  - type: metrics-api\n    metadata:\n      url: %q\n      format: prometheus\n      valueLocation: '%s'\n      targetValue: \"TARGET\"\n%s%s",
		url+"/metrics", sel, apiMode(), ref)
	fmt.Fprintf(&b, "  # prometheus (this server answers the instant query; a Prometheus server scraping /metrics does too)\n  - type: prometheus\n    metadata:\n      serverAddress: %q\n      query: '%s'\n      threshold: \"TARGET\"\n%s%s",
		url, sel, promMode, ref)
	if len(series) > 1 {
		fmt.Fprintf(&b, "\nThe other series go by their names: %s.\n", strings.Join(names[1:], ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// authText says which credential the server wants, never its value.
func authText(a serve.Auth) string {
	switch a.Mode() {
	case "bearer":
		return "a bearer token"
	case "apiKey":
		return fmt.Sprintf("an API key in the header %s or the query parameter %s", orDefault(a.APIKeyHeader, serve.DefaultAPIKeyHeader), orDefault(a.APIKeyParam, serve.DefaultAPIKeyParam))
	case "basic":
		return "basic auth"
	}
	return "none (anyone who reaches the address reads the trace)"
}

// spanText writes d in whole days when it is some, else as shortDuration.
func spanText(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= day && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return shortDuration(d)
}
