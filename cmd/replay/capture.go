package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/autoreplay/autoreplay/manifest"
	"github.com/autoreplay/autoreplay/replay/capture"
	"github.com/autoreplay/autoreplay/replay/gen"
	"github.com/autoreplay/autoreplay/replay/trace"
)

const captureExamples = `  # Last week of every prometheus trigger's own query, every 15 s:
  replay capture -f orders-consumer.yaml --prometheus http://localhost:9090 --since 7d -o lag.csv

  # Two regions, each from its own server, behind a token (read from the environment):
  export REPLAY_PROMETHEUS_BEARER_TOKEN=$(cat token)
  replay capture -f orders-consumer.yaml --since 7d -o lag.parquet \
    --prometheus us-east=https://prom.us-east.example.com \
    --prometheus eu-west=https://prom.eu-west.example.com

  # An HPA on an External metric, with the replicas production ran for comparison:
  replay capture -f hpa.yaml --prometheus http://localhost:9090 \
    --start 2026-01-05T00:00:00Z --end 2026-01-12T00:00:00Z --step 30s \
    --query 'rps=sum(rate(http_requests_total{app="gateway"}[2m]))' \
    --query 'replicas=kube_deployment_status_replicas{deployment="gateway"}' -o rps.csv
`

// Environment variables that hold credentials, so that they stay out of the
// process list and the shell history.
const (
	envBearerToken = "REPLAY_PROMETHEUS_BEARER_TOKEN"
	envBasicAuth   = "REPLAY_PROMETHEUS_BASIC_AUTH"
	envHeaders     = "REPLAY_PROMETHEUS_HEADERS"
)

type captureFlags struct {
	files       []string
	name        string
	servers     []string
	since       string
	start, end  string
	step        time.Duration
	queries     []string
	out         string
	bearer      string
	bearerFile  string
	basicAuth   string
	headers     []string
	caFile      string
	insecure    bool
	timeout     time.Duration
	retries     int
	maxPoints   int
	getenv      func(string) string
	now         func() time.Time
	interrupted context.Context // nil: Ctrl-C
}

func captureCmd(args []string, stdout, stderr io.Writer) error {
	f := captureFlags{getenv: os.Getenv, now: time.Now}
	return f.run(args, stdout, stderr)
}

func (f *captureFlags) run(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("capture", "Record a trace from Prometheus: every prometheus trigger's own query, evaluated over a past range.",
		"replay capture -f MANIFEST --prometheus [REGION=]URL (--since DURATION | --start TIME [--end TIME]) -o TRACE [flags]", captureExamples, stdout)
	fs.StringArrayVarP(&f.files, "filename", "f", nil, "manifest with the HorizontalPodAutoscaler or ScaledObject (repeatable)")
	fs.StringVar(&f.name, "name", "", "the object to capture for when the manifests hold several")
	fs.StringArrayVar(&f.servers, "prometheus", nil, "[REGION=]URL: the server's base URL, per region (repeatable; default: each trigger's serverAddress)")
	fs.StringVar(&f.since, "since", "", "capture the DURATION before --end (e.g. 7d, 36h)")
	fs.StringVar(&f.start, "start", "", "the first time: RFC 3339 or Unix seconds")
	fs.StringVar(&f.end, "end", "", "the last time: RFC 3339 or Unix seconds (default now)")
	fs.DurationVar(&f.step, "step", 15*time.Second, "the time between rows (the rows fall on multiples of it)")
	fs.StringArrayVar(&f.queries, "query", nil, "COLUMN=PROMQL: the query of a series without one (HPA metrics, other scalers), or replicas=PROMQL (repeatable)")
	fs.StringVarP(&f.out, "output", "o", "", "the trace to write: .csv, .parquet, or - for CSV on stdout")
	fs.StringVar(&f.bearer, "bearer-token", "", "send Authorization: Bearer TOKEN (or $"+envBearerToken+")")
	fs.StringVar(&f.bearerFile, "bearer-token-file", "", "read the bearer token from FILE")
	fs.StringVar(&f.basicAuth, "basic-auth", "", "USER:PASSWORD for basic auth (or $"+envBasicAuth+")")
	fs.StringArrayVar(&f.headers, "header", nil, "NAME=VALUE: a header to send, e.g. X-Scope-OrgID=team-a (repeatable; or $"+envHeaders+", one per line)")
	fs.StringVar(&f.caFile, "ca-file", "", "PEM file of the CAs that sign the server's certificate")
	fs.BoolVar(&f.insecure, "insecure-skip-verify", false, "accept any server certificate")
	fs.DurationVar(&f.timeout, "timeout", capture.DefaultTimeout, "the longest a request may take")
	fs.IntVar(&f.retries, "retries", 3, "tries again after a 5xx or 429 answer, a timeout or a network error, waiting 1s, 2s, 4s…")
	fs.IntVar(&f.maxPoints, "max-points", capture.DefaultMaxPoints, "the most points one range request asks for per series (Prometheus allows 11,000)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("capture: unexpected argument %q", fs.Arg(0))
	}
	opt, err := f.options()
	if err != nil {
		return err
	}
	if f.out == "" {
		return errors.New("capture: no output: give the trace to write with -o (.csv, .parquet, or -)")
	}
	format := strings.ToLower(filepath.Ext(f.out))
	if f.out != "-" && format != ".csv" && format != ".parquet" {
		return fmt.Errorf("-o %s: unknown trace format %q: want .csv or .parquet", f.out, format)
	}
	obj, err := pickObject(f.files, f.name, manifest.Options{}, os.ReadFile)
	if err != nil {
		return err
	}
	user, err := pairs("--query", f.queries, func(v string) (string, error) {
		if strings.TrimSpace(v) == "" {
			return "", errors.New("empty query")
		}
		return v, nil
	})
	if err != nil {
		return err
	}
	qs, err := capture.Plan(&obj.cfg, obj.queries, user)
	if err != nil {
		return fmt.Errorf("%s: %w", obj, err)
	}

	ctx := f.interrupted
	if ctx == nil {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
	}
	prog := newProgress(stderr, "requests")
	opt.Progress = prog.update
	res, err := capture.Capture(ctx, qs, opt)
	prog.finish()
	if errors.Is(err, context.Canceled) {
		return errors.New("capture: interrupted; no file written")
	}
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(stderr, "replay: warning: server:", w)
	}
	write := func(w io.Writer) error { return writeTrace(w, format, res.Table) }
	if f.out == "-" {
		if err := write(stdout); err != nil {
			return err
		}
		return writeCaptureSummary(stderr, obj, qs, opt, res, f.out)
	}
	if err := writeAtomic(f.out, write); err != nil {
		return err
	}
	return writeCaptureSummary(stdout, obj, qs, opt, res, f.out)
}

// options resolves the time range, the servers and the credentials.
func (f *captureFlags) options() (capture.Options, error) {
	opt := capture.Options{Step: f.step, Timeout: f.timeout, Retries: f.retries, MaxPoints: f.maxPoints, InsecureSkipVerify: f.insecure}
	switch {
	case f.retries < 0:
		return opt, fmt.Errorf("--retries %d: want a number >= 0", f.retries)
	case f.maxPoints < 1 || f.maxPoints > 11000:
		return opt, fmt.Errorf("--max-points %d: want 1 to 11000", f.maxPoints)
	case f.timeout <= 0:
		return opt, fmt.Errorf("--timeout %s: want a positive duration", f.timeout)
	case f.step < time.Millisecond || f.step%time.Millisecond != 0:
		return opt, fmt.Errorf("--step %s: want a whole number of milliseconds, at least 1ms", f.step)
	}
	end := f.now()
	if f.end != "" {
		t, err := parseInstant(f.end)
		if err != nil {
			return opt, fmt.Errorf("--end %q: %w", f.end, err)
		}
		end = t
	}
	switch {
	case f.since != "" && f.start != "":
		return opt, errors.New("--since and --start: give one of them")
	case f.since != "":
		d, err := parseSince(f.since)
		if err != nil {
			return opt, fmt.Errorf("--since %q: %w", f.since, err)
		}
		opt.Start = end.Add(-d)
	case f.start != "":
		t, err := parseInstant(f.start)
		if err != nil {
			return opt, fmt.Errorf("--start %q: %w", f.start, err)
		}
		opt.Start = t
	default:
		return opt, errors.New("capture: no time range: give --since DURATION or --start TIME")
	}
	if !opt.Start.Before(end) {
		return opt, fmt.Errorf("the range %s … %s is empty: the start must come before the end", opt.Start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339))
	}
	opt.End = end
	for _, s := range f.servers {
		t := capture.Target{URL: s}
		if i := strings.Index(s, "="); i > 0 && !strings.ContainsAny(s[:i], ":/") {
			t = capture.Target{Region: s[:i], URL: s[i+1:]}
		}
		opt.Targets = append(opt.Targets, t)
	}
	if len(opt.Targets) == 0 {
		opt.Targets = []capture.Target{{}}
	}
	if err := f.credentials(&opt); err != nil {
		return opt, err
	}
	if f.caFile != "" {
		pem, err := os.ReadFile(f.caFile)
		if err != nil {
			return opt, fmt.Errorf("--ca-file: %w", err)
		}
		opt.RootCAs = x509.NewCertPool()
		if !opt.RootCAs.AppendCertsFromPEM(pem) {
			return opt, fmt.Errorf("--ca-file %s: no PEM certificate in it", f.caFile)
		}
	}
	return opt, nil
}

// credentials reads the auth flags and their environment variables. Values
// never appear in errors.
func (f *captureFlags) credentials(opt *capture.Options) error {
	a := &opt.Auth
	a.BearerToken = f.bearer
	if a.BearerToken == "" {
		a.BearerToken = f.getenv(envBearerToken)
	}
	if f.bearerFile != "" {
		if f.bearer != "" {
			return errors.New("--bearer-token and --bearer-token-file: give one of them")
		}
		b, err := os.ReadFile(f.bearerFile)
		if err != nil {
			return fmt.Errorf("--bearer-token-file: %w", err)
		}
		a.BearerToken = strings.TrimSpace(string(b))
		if a.BearerToken == "" {
			return fmt.Errorf("--bearer-token-file %s: the file is empty", f.bearerFile)
		}
	}
	basic, from := f.basicAuth, "--basic-auth"
	if basic == "" {
		basic, from = f.getenv(envBasicAuth), "$"+envBasicAuth
	}
	if basic != "" {
		user, pass, ok := strings.Cut(basic, ":")
		if !ok || user == "" {
			return fmt.Errorf("%s: want USER:PASSWORD (the value is not shown)", from)
		}
		a.Username, a.Password = user, pass
	}
	if a.BearerToken != "" && a.Username != "" {
		return errors.New("a bearer token and basic auth: give one of them")
	}
	headers := f.headers
	if len(headers) == 0 {
		if env := f.getenv(envHeaders); env != "" {
			headers = strings.Split(strings.TrimSpace(env), "\n")
		}
	}
	for i, h := range headers {
		name, value, ok := strings.Cut(strings.TrimSpace(h), "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " :\t") {
			if len(f.headers) == 0 {
				return fmt.Errorf("$%s line %d: want NAME=VALUE (the value is not shown)", envHeaders, i+1)
			}
			return fmt.Errorf("--header #%d: want NAME=VALUE (the value is not shown)", i+1)
		}
		if a.Headers == nil {
			a.Headers = map[string]string{}
		}
		a.Headers[name] = strings.TrimSpace(value)
	}
	return nil
}

// parseInstant reads RFC 3339 or Unix seconds.
func parseInstant(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && v >= 0 && v < 1e11 {
		sec := int64(v)
		return time.Unix(sec, int64((v-float64(sec))*1e9)).UTC(), nil
	}
	return time.Time{}, errors.New("want RFC 3339 (2026-01-05T09:00:00Z) or Unix seconds")
}

// parseSince reads a positive duration as generate's flags do
// (gen.ParseDuration: Go units plus d and w, e.g. 7d, 2w, 1d12h).
func parseSince(s string) (time.Duration, error) {
	d, err := gen.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, errors.New("want a positive duration: 7d, 2w, 36h, 90m")
	}
	return d, nil
}

// writeTrace writes t as CSV or Parquet.
func writeTrace(w io.Writer, format string, t *trace.Table) error {
	if format == ".parquet" {
		pw := trace.NewParquetWriter(w, t.Header)
		for i := range t.Samples {
			if err := pw.Write(&t.Samples[i]); err != nil {
				return err
			}
		}
		return pw.Close()
	}
	cw := trace.NewCSVWriter(w, t.Header)
	for i := range t.Samples {
		if err := cw.Write(&t.Samples[i]); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// writeCaptureSummary says what was captured and how each query read.
func writeCaptureSummary(w io.Writer, obj object, qs []capture.Query, opt capture.Options, res *capture.Result, out string) error {
	rows := len(res.Table.Samples)
	first, last := res.Table.Samples[0].Time, res.Table.Samples[rows-1].Time
	fmt.Fprintf(w, "captured %d rows for %s: %s … %s every %s, %d requests\n\n", rows, obj, first.Format(time.RFC3339), last.Format(time.RFC3339), shortDuration(opt.Step), res.Requests)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	hasRegion := res.Table.Header.Region
	head := "column\t"
	if hasRegion {
		head += "region\t"
	}
	fmt.Fprintln(tw, head+"reads as\ttimes\tvalues\tempty\tseveral series\tNaN/Inf\tfailed")
	for _, st := range res.Stats {
		line := st.Column + "\t"
		if hasRegion {
			line += st.Region + "\t"
		}
		failed := failedTimes(st)
		fmt.Fprintf(tw, "%s%s\t%d\t%d\t%d\t%d\t%d\t%s\n", line, st.Reading, st.Times, st.Values, st.Empty, st.Several, st.NonFinite, failed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, q := range qs {
		fmt.Fprintf(w, "%s: %s\n", q.Column, q.Expr)
	}
	if out != "-" {
		fmt.Fprintf(w, "\nwrote %s; replay it with:\n  replay run %s --trace %s --plot replicas.png\n", out, manifestArgs(obj), out)
	}
	return nil
}

// failedTimes is the number of times recorded as failed (or not recorded,
// for replicas).
func failedTimes(st capture.Stats) string {
	n := st.Several
	switch st.Reading {
	case capture.ScalerIgnoreNull:
	case capture.ScalerFailOnNull, capture.Replicas:
		n += st.Empty + st.NonFinite
	default:
		n += st.Empty
	}
	if st.Reading == capture.Replicas {
		return fmt.Sprintf("%d not recorded", n)
	}
	return strconv.Itoa(n)
}

// manifestArgs repeats the object's manifest flags for the hint.
func manifestArgs(obj object) string {
	return "-f " + obj.file + nameArg(obj)
}

func nameArg(obj object) string {
	if obj.several {
		return " --name " + obj.name
	}
	return ""
}

// shortDuration writes d without zero units: 10m, not 10m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
