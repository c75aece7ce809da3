// Package capture records a trace from Prometheus: for every series a
// controller reads, the query its scaler runs (or one given for it),
// evaluated over a past range on a step grid with /api/v1/query_range, and
// read at each time the way the scaler reads an instant query's result.
//
//	qs, err := capture.Plan(&cfg, so.Queries, nil)
//	res, err := capture.Capture(ctx, qs, capture.Options{
//		Targets: []capture.Target{{URL: "http://localhost:9090"}},
//		Start:   start, End: end, Step: 15 * time.Second,
//	})
//	// res.Table is a replay-ready trace.
//
// A range query evaluates the expression at start, start+step, … exactly as
// instant queries at those times would, so a captured value is what the
// scaler would have read had it polled at that time. The replay holds each
// value until the next (docs/replay.md §3). See docs/capture.md.
package capture

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/autoreplay/autoreplay/replay/trace"
)

// Reading says how a query's result at one time becomes a trace value.
type Reading uint8

const (
	// ScalerIgnoreNull reads as KEDA's prometheus scaler with
	// ignoreNullValues "true" (the default; ExecutePromQuery): no series,
	// NaN and ±Inf are 0; several series are an error (failed).
	ScalerIgnoreNull Reading = iota
	// ScalerFailOnNull reads as the prometheus scaler with
	// ignoreNullValues "false": no series, NaN and ±Inf are errors too.
	ScalerFailOnNull
	// Sum is the total over the series: an HPA External metric, whose
	// controller sums the values its selector matches. No series fails
	// ("no metrics returned from external metrics API").
	Sum
	// Mean is the mean over the series: a per-pod value (Pods and
	// Resource metrics, cpu and memory triggers). No series fails.
	Mean
	// One wants exactly one series (Object metrics, scalers other than
	// prometheus); none or several fail.
	One
	// Replicas is the recorded replica count: one series with a whole
	// number from 0 to 2147483647. Other times are not recorded.
	Replicas
)

var readingNames = [...]string{"scaler", "scaler, ignoreNullValues false", "sum", "mean", "one series", "replicas"}

// String names the reading as the capture summary prints it.
func (r Reading) String() string {
	if int(r) < len(readingNames) {
		return readingNames[r]
	}
	return fmt.Sprintf("Reading(%d)", uint8(r))
}

// Query is one trace column to capture.
type Query struct {
	// Column is the trace column: the name the replay looks the series up
	// by, or ReplicasColumn.
	Column string
	// Expr is the PromQL expression.
	Expr string
	// Reading is how a result becomes a value.
	Reading Reading
	// Source says what the column feeds, for messages.
	Source string
	// Server is the base URL the query's trigger names (serverAddress),
	// used when the Target has none.
	Server string
	// Params are extra URL parameters and Headers extra request headers
	// sent with every request of this query (a trigger's namespace,
	// queryParameters and customHeaders).
	Params, Headers map[string]string
}

// Target is one Prometheus server, for one region of the trace.
type Target struct {
	// Region is the value of the trace's region column for the rows of
	// this server; empty when the trace has one region and no such column.
	Region string
	// URL is the server's base URL (with any path prefix, e.g.
	// https://example.com/prometheus); empty: each query's Server. A
	// user:password in the URL is basic auth, sent as such and never shown.
	URL string
}

// Auth is sent with every request.
type Auth struct {
	// BearerToken is sent as "Authorization: Bearer <token>".
	BearerToken string
	// Username and Password are sent as basic auth when Username is set.
	Username, Password string
	// Headers are sent as they are, after a query's own headers (a custom
	// authorization header, a tenant ID).
	Headers map[string]string
}

// Options describe a capture.
type Options struct {
	// Targets are the servers, one per region; at least one.
	Targets []Target
	// Start and End bound the capture, both included. The rows fall on
	// the multiples of Step since the Unix epoch between them.
	Start, End time.Time
	// Step is the time between rows: at least 1 ms, in whole milliseconds
	// (Prometheus' resolution).
	Step time.Duration
	// Auth is sent with every request. Its values never appear in errors.
	Auth Auth
	// RootCAs verifies the servers' certificates; nil: the system's.
	RootCAs *x509.CertPool
	// InsecureSkipVerify accepts any certificate.
	InsecureSkipVerify bool
	// Transport carries the requests; nil: a clone of
	// http.DefaultTransport with the TLS settings above. Auth, parameters
	// and headers are added on top of it.
	Transport http.RoundTripper
	// Timeout bounds each request; 0: DefaultTimeout.
	Timeout time.Duration
	// Retries is how many times a request is tried again after a 5xx or
	// 429 answer, a timeout or a network error; others fail at once.
	Retries int
	// Backoff is the wait before the first retry, doubled for each next
	// one up to MaxBackoff; 0: DefaultBackoff.
	Backoff time.Duration
	// MaxPoints is the most times one range request asks for; longer
	// ranges are split. 0: DefaultMaxPoints. Prometheus refuses more than
	// 11,000 points per series.
	MaxPoints int
	// Progress, when set, is called after each request with the number of
	// requests done and the total.
	Progress func(done, total int)
	// Wait waits d or until ctx is done, for the backoff; nil: a timer.
	Wait func(ctx context.Context, d time.Duration) error
}

// Defaults of Options.
const (
	DefaultTimeout   = 2 * time.Minute
	DefaultBackoff   = time.Second
	MaxBackoff       = 30 * time.Second
	DefaultMaxPoints = 10000
	// MaxRows bounds the grid of one capture (a year at 1 s).
	MaxRows = 32_000_000
)

// Stats count what one query returned in one region.
type Stats struct {
	Region, Column string
	Reading        Reading
	// Times is the number of grid times; the rest add up to it.
	Times int
	// Values are times with a value: one series, or the aggregate of
	// several for Sum and Mean.
	Values int
	// Empty are times without a series: 0 for ScalerIgnoreNull, failed
	// (or not recorded, for Replicas) otherwise.
	Empty int
	// Several are times with more than one series where one was wanted:
	// failed (or not recorded).
	Several int
	// NonFinite are times whose value was NaN or ±Inf (or, for Replicas,
	// not a whole number in range): 0 for ScalerIgnoreNull, failed for
	// ScalerFailOnNull, kept for the others (the HPA fails on them), not
	// recorded for Replicas.
	NonFinite int
}

// Result is a captured trace.
type Result struct {
	// Table holds the rows: by time, then by region in Target order.
	Table *trace.Table
	// Stats has one entry per target and query, in that order.
	Stats []Stats
	// Warnings are the servers' warnings, each once, prefixed with the
	// column.
	Warnings []string
	// Requests is the number of requests that succeeded.
	Requests int
}

// grid is the step grid of a capture: n times from first, step apart.
type grid struct {
	first, step int64 // milliseconds since the epoch
	n           int
}

func (g grid) time(k int) time.Time { return time.UnixMilli(g.first + int64(k)*g.step).UTC() }

func newGrid(opt *Options) (grid, error) {
	switch {
	case opt.Start.IsZero() || opt.End.IsZero():
		return grid{}, errors.New("capture: start and end must be set")
	case opt.End.Before(opt.Start):
		return grid{}, fmt.Errorf("capture: end %s is before start %s", opt.End.UTC().Format(time.RFC3339), opt.Start.UTC().Format(time.RFC3339))
	case opt.Step < time.Millisecond || opt.Step%time.Millisecond != 0:
		return grid{}, fmt.Errorf("capture: step %s: want a whole number of milliseconds, at least 1ms", opt.Step)
	}
	step := opt.Step.Milliseconds()
	ceilMs := func(t time.Time) int64 {
		ms := t.UnixMilli()
		if t.Sub(time.UnixMilli(ms)) > 0 {
			ms++
		}
		return ms
	}
	first := ceilDiv(ceilMs(opt.Start), step) * step
	last := floorDiv(opt.End.UnixMilli(), step) * step
	if last < first {
		return grid{}, fmt.Errorf("capture: no multiple of the step %s lies between %s and %s", opt.Step, opt.Start.UTC().Format(time.RFC3339Nano), opt.End.UTC().Format(time.RFC3339Nano))
	}
	n := (last-first)/step + 1
	if n > MaxRows {
		return grid{}, fmt.Errorf("capture: %d rows from %s to %s every %s: at most %d; use a longer step or a shorter range", n, opt.Start.UTC().Format(time.RFC3339), opt.End.UTC().Format(time.RFC3339), opt.Step, MaxRows)
	}
	return grid{first: first, step: step, n: int(n)}, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// point accumulates the series a query returned at one time.
type point struct {
	n     int32   // series with a sample
	hist  bool    // one of them is a native histogram sample
	sum   float64 // the sum of the float samples
	first float64 // the first float sample
}

// Capture runs the queries on every target and returns the trace. It stops
// at the first request that fails for good, with an *Error, or when ctx is
// done.
func Capture(ctx context.Context, qs []Query, opt Options) (*Result, error) {
	g, err := newGrid(&opt)
	if err != nil {
		return nil, err
	}
	c, err := newCapturer(qs, &opt, g)
	if err != nil {
		return nil, err
	}
	h := trace.Header{Region: len(opt.Targets) > 1 || opt.Targets[0].Region != ""}
	col := make([]int, len(qs)) // the query's index in the series, -1 for replicas
	for i, q := range qs {
		col[i] = -1
		if q.Reading != Replicas {
			col[i] = len(h.Series)
			h.Series = append(h.Series, q.Column)
		} else {
			h.Replicas = true
		}
	}
	rows := make([]trace.Sample, g.n*len(opt.Targets))
	values := make([]trace.Value, len(rows)*len(h.Series))
	for k := range g.n {
		for ti, t := range opt.Targets {
			r := &rows[k*len(opt.Targets)+ti]
			r.Time, r.Region = g.time(k), t.Region
			r.Values = values[:len(h.Series):len(h.Series)]
			values = values[len(h.Series):]
		}
	}
	res := &Result{Table: &trace.Table{Header: h, Samples: rows}}
	pts := make([]point, g.n)
	for ti, t := range opt.Targets {
		for qi, q := range qs {
			clear(pts)
			if err := c.query(ctx, t, q, pts); err != nil {
				return nil, err
			}
			st := Stats{Region: t.Region, Column: q.Column, Reading: q.Reading, Times: g.n}
			for k, p := range pts {
				r := &rows[k*len(opt.Targets)+ti]
				if col[qi] < 0 {
					r.Replicas, r.HasReplicas = replicas(p, &st)
					continue
				}
				r.Values[col[qi]] = read(q.Reading, p, &st)
			}
			res.Stats = append(res.Stats, st)
		}
	}
	res.Warnings, res.Requests = c.warnings, c.done
	return res, nil
}

// read turns the series at one time into the value the reading gives, and
// counts it.
func read(r Reading, p point, st *Stats) trace.Value {
	failed := trace.Value{Status: trace.Failed}
	zero := trace.Value{Status: trace.Present}
	switch {
	case p.n == 0:
		st.Empty++
		if r == ScalerIgnoreNull {
			return zero
		}
		return failed
	case p.n > 1 && r != Sum && r != Mean:
		st.Several++
		return failed
	}
	v := p.first
	switch r {
	case ScalerIgnoreNull, ScalerFailOnNull:
		if p.hist {
			// A histogram sample has no "value": the scaler reads an empty
			// value list as an empty result.
			st.Empty++
			if r == ScalerIgnoreNull {
				return zero
			}
			return failed
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			st.NonFinite++
			if r == ScalerIgnoreNull {
				return zero
			}
			return failed
		}
	case Sum:
		v = p.sum
	case Mean:
		v = p.sum / float64(p.n)
	}
	if p.hist {
		// The HPA's metrics APIs carry no histograms.
		st.Empty++
		return failed
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		st.NonFinite++
	} else {
		st.Values++
	}
	return trace.Value{V: v, Status: trace.Present}
}

// replicas reads a recorded replica count.
func replicas(p point, st *Stats) (int32, bool) {
	switch {
	case p.n == 0:
		st.Empty++
		return 0, false
	case p.n > 1:
		st.Several++
		return 0, false
	case p.hist || p.first != math.Trunc(p.first) || p.first < 0 || p.first > math.MaxInt32:
		st.NonFinite++
		return 0, false
	}
	st.Values++
	return int32(p.first), true
}

// merge counts the series of a query result at one time.
func (p *point) addFloat(v float64) {
	if p.n == 0 {
		p.first = v
	}
	p.n++
	p.sum += v
}

func (p *point) addHistogram() {
	p.n++
	p.hist = true
}

// dedupe appends w to ws unless it is there.
func dedupe(ws []string, w string) []string {
	if slices.Contains(ws, w) {
		return ws
	}
	return append(ws, w)
}
