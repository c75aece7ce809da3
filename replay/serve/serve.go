// Package serve plays a trace as a live metrics endpoint, for a real KEDA
// (or a Prometheus server) to read while the trace unfolds.
//
// The server maps wall time to trace time: a request at wall time w reads
// the trace at
//
//	Start + Speed × (w − the wall time at New)
//
// and answers, per series and region, the latest sample at or before that
// time (sample and hold, as the replay reads a trace). A sample older than
// Staleness has no value; a failed cell stays failed until the next sample.
// After the trace's last time its last values hold, or with Loop the trace
// starts over.
//
//	s, err := serve.New(table, serve.Options{Speed: 60, Now: time.Now})
//	http.ListenAndServe("127.0.0.1:9091", s.Handler())
//
// The handler serves, all by GET and with an optional ?region=R:
//
//	/metrics        Prometheus text exposition 0.0.4: one gauge per series
//	/json           {"time":"…","finished":false,"lag":1234.5,"cpu":61.2}
//	/api/v1/query   a minimal instant query: NAME or NAME{region="R"}
//	/healthz        200 "ok"
//
// Each series is served under one name, its trace column made a valid
// Prometheus metric name (MetricName). See docs/serve.md for the exact
// answers and for ScaledObjects that read them.
//
// The package reads no clock of its own (Options.Now), prints nothing
// (Options.OnRequest reports requests) and holds no global state.
package serve

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/autoreplay/autoreplay/replay/trace"
)

// DefaultStaleness is how long a sample holds when no newer one comes: 5
// minutes, Prometheus' lookback delta, as the replay's own default.
const DefaultStaleness = 5 * time.Minute

// DefaultAPIKeyHeader is the header an API key is read from when
// Auth.APIKeyHeader is empty: the one KEDA's metrics-api scaler sends by
// default.
const DefaultAPIKeyHeader = "X-API-KEY"

// DefaultAPIKeyParam is the query parameter an API key is read from when
// Auth.APIKeyParam is empty: the one KEDA's metrics-api scaler sends with
// method "query" and no keyParamName.
const DefaultAPIKeyParam = "api_key"

// Names the server serves besides the series.
const (
	// TraceTimeMetric is the /metrics gauge of the trace time being
	// served, in Unix seconds.
	TraceTimeMetric = "replay_trace_time_seconds"
	// FinishedMetric is the /metrics gauge that is 1 once the trace has
	// reached its last time (its last values hold), else 0.
	FinishedMetric = "replay_trace_finished"
)

// reservedJSON reports a key of /json that is not a series.
func reservedJSON(key string) bool {
	switch key {
	case "time", "finished", "region", "regions":
		return true
	}
	return false
}

// Options configures a Server.
type Options struct {
	// Start is the trace time served at the wall time of New. It must lie
	// within the trace's first … last time. Zero means the trace's first
	// time.
	Start time.Time
	// Speed is the trace time that passes per unit of wall time: 60 plays
	// a minute of trace per second. It must be finite and positive; 0
	// means 1 (real time).
	Speed float64
	// Now is the wall clock, required. New reads it once as the start of
	// play; each request reads it once. It is called from concurrent
	// requests.
	Now func() time.Time
	// Loop starts the trace over after its end, instead of holding its
	// last values. A lap lasts from the trace's first time to its last
	// plus the interval between its last two times, so a week sampled
	// every 15 s loops every 7 days; the trace needs two distinct times.
	Loop bool
	// Auth is the credential every endpoint but /healthz requires; none
	// when empty.
	Auth Auth
	// Staleness is how long a sample holds: a series read more than
	// Staleness after its last sample has no value. 0 means
	// DefaultStaleness; negative means samples never go stale.
	Staleness time.Duration
	// OnRequest, when set, is called after each request is answered. It is
	// called from concurrent requests. It never sees credentials.
	OnRequest func(Request)
}

// Auth is the credential the server requires. At most one of a bearer
// token, an API key and a username may be set.
type Auth struct {
	// BearerToken requires "Authorization: Bearer BearerToken".
	BearerToken string
	// APIKey requires the key in the header APIKeyHeader or in the query
	// parameter APIKeyParam (KEDA's metrics-api authModes apiKey, method
	// header or query).
	APIKey string
	// APIKeyHeader is the header that may carry APIKey; empty means
	// DefaultAPIKeyHeader.
	APIKeyHeader string
	// APIKeyParam is the query parameter that may carry APIKey; empty
	// means DefaultAPIKeyParam.
	APIKeyParam string
	// Username and Password require HTTP basic auth.
	Username, Password string
}

// Mode names the credential required: "none", "bearer", "apiKey" or
// "basic", as KEDA's authModes name them.
func (a Auth) Mode() string {
	switch {
	case a.BearerToken != "":
		return "bearer"
	case a.APIKey != "":
		return "apiKey"
	case a.Username != "":
		return "basic"
	}
	return "none"
}

// Validate reports more than one credential, a password without a
// username, and header or parameter names that cannot carry a key. Values
// never appear in its errors.
func (a Auth) Validate() error {
	n := 0
	for _, set := range []bool{a.BearerToken != "", a.APIKey != "", a.Username != ""} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return errors.New("auth: give one of a bearer token, an API key and basic auth")
	case a.Password != "" && a.Username == "":
		return errors.New("auth: a password without a username")
	case strings.Contains(a.Username, ":"):
		return errors.New("auth: a basic auth username cannot hold a colon")
	case a.APIKeyHeader != "" && !validHeaderName(a.APIKeyHeader):
		return fmt.Errorf("auth: API key header %q is not a valid header name", a.APIKeyHeader)
	case a.APIKeyParam != "" && strings.ContainsAny(a.APIKeyParam, "&=#? "):
		return fmt.Errorf("auth: API key parameter %q is not a valid query parameter name", a.APIKeyParam)
	}
	return nil
}

// validHeaderName reports a token of RFC 9110 §5.6.2.
func validHeaderName(s string) bool {
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return s != ""
}

// Request describes one answered request, for Options.OnRequest.
type Request struct {
	// Method and Path are the request's; Path has no query.
	Method, Path string
	// Query holds the query parameters the server reads, query and region:
	// never an API key, nor anything else a client sent.
	Query url.Values
	// Status is the HTTP status answered.
	Status int
	// Position is where the trace was when the request was answered.
	Position Position
}

// Position is where the trace is at a wall time.
type Position struct {
	// Time is the trace time served.
	Time time.Time
	// Lap counts the laps completed with Options.Loop; 0 without.
	Lap int64
	// Finished reports that, without Loop, the trace has reached its last
	// time: Time stays there and the last values hold.
	Finished bool
}

// Series is one series the server serves.
type Series struct {
	// Name is the metric name it is served under (MetricName(Column)).
	Name string
	// Column is the trace column it comes from.
	Column string
}

// Server plays a trace. It is safe for concurrent use and does not change
// after New.
type Server struct {
	series  []Series
	regions []string // sorted; one "" without a region column
	region  map[string]int
	// points[r][j] are region r's samples of series j.
	points    [][]points
	hasRegion bool

	first, last time.Time
	period      time.Duration // a lap with Loop
	start       time.Time
	speed       float64
	loop        bool
	staleness   time.Duration // < 0: never stale
	now         func() time.Time
	started     time.Time // wall time of New

	auth      authenticator
	onRequest func(Request)
	bufs      sync.Pool // *[]byte for answers

	// Written once by New: each series' HELP and TYPE lines, its name as
	// a JSON string; each region's label set and name as a JSON string.
	help, jsonName [][]byte
	label, jsonReg [][]byte
}

// points are one series' samples in one region: Present or Failed values
// by strictly increasing time (a later sample at the same time replaces
// an earlier one; absent values are left out).
type points struct {
	t []int64 // Unix nanoseconds
	v []trace.Value
}

// New returns a server of t, which it reads without changing, and which
// must not change while the server runs.
func New(t *trace.Table, opt Options) (*Server, error) {
	if opt.Now == nil {
		return nil, errors.New("serve: Options.Now is required: give the wall clock (time.Now)")
	}
	speed := opt.Speed
	switch {
	case speed == 0:
		speed = 1
	case math.IsNaN(speed) || math.IsInf(speed, 0) || speed < 0:
		return nil, fmt.Errorf("serve: speed %v: want a finite factor > 0", opt.Speed)
	}
	if err := opt.Auth.Validate(); err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	if t == nil || len(t.Samples) == 0 {
		return nil, errors.New("serve: the trace has no rows")
	}
	if len(t.Header.Series) == 0 {
		return nil, errors.New("serve: the trace has no series")
	}
	s := &Server{
		hasRegion: t.Header.Region,
		first:     t.Samples[0].Time,
		last:      t.Samples[len(t.Samples)-1].Time,
		speed:     speed,
		loop:      opt.Loop,
		staleness: opt.Staleness,
		now:       opt.Now,
		auth:      newAuthenticator(opt.Auth),
		onRequest: opt.OnRequest,
		region:    map[string]int{},
	}
	if s.staleness == 0 {
		s.staleness = DefaultStaleness
	}
	if err := s.name(t.Header.Series); err != nil {
		return nil, err
	}
	if err := s.index(t); err != nil {
		return nil, err
	}
	s.start = opt.Start
	if s.start.IsZero() {
		s.start = s.first
	}
	if s.start.Before(s.first) || s.start.After(s.last) {
		return nil, fmt.Errorf("serve: start %s is outside the trace, %s … %s", s.start.UTC().Format(time.RFC3339Nano), s.first.Format(time.RFC3339Nano), s.last.Format(time.RFC3339Nano))
	}
	s.bufs.New = func() any { b := make([]byte, 0, 4096); return &b }
	s.strings()
	s.started = opt.Now()
	return s, nil
}

// name gives each column its metric name and checks that the names are
// distinct and free.
func (s *Server) name(columns []string) error {
	by := map[string]string{}
	for _, c := range columns {
		n := MetricName(c)
		if o, ok := by[n]; ok {
			return fmt.Errorf("serve: columns %q and %q are both served as %q: rename one", o, c, n)
		}
		if n == TraceTimeMetric || n == FinishedMetric || reservedJSON(n) {
			return fmt.Errorf("serve: column %q: the name %q is the server's own: rename the column", c, n)
		}
		by[n] = c
		s.series = append(s.series, Series{Name: n, Column: c})
	}
	return nil
}

// index splits the samples by region and series, and finds a lap's
// length.
func (s *Server) index(t *trace.Table) error {
	prev, lastGap := t.Samples[0].Time, time.Duration(0)
	for i := range t.Samples {
		smp := &t.Samples[i]
		if smp.Time.Before(prev) {
			return fmt.Errorf("serve: row %d (%s) is earlier than the row before it: a trace is in time order", i+1, smp.Time.Format(time.RFC3339Nano))
		}
		if smp.Time.After(prev) {
			lastGap = smp.Time.Sub(prev)
		}
		prev = smp.Time
		name := ""
		if s.hasRegion {
			name = smp.Region
		}
		r, ok := s.region[name]
		if !ok {
			r = len(s.regions)
			s.region[name] = r
			s.regions = append(s.regions, name)
			s.points = append(s.points, make([]points, len(s.series)))
		}
		ns := smp.Time.UnixNano()
		for j, v := range smp.Values {
			if v.Status == trace.Absent {
				continue
			}
			p := &s.points[r][j]
			if n := len(p.t); n > 0 && p.t[n-1] == ns {
				p.v[n-1] = v
				continue
			}
			p.t = append(p.t, ns)
			p.v = append(p.v, v)
		}
	}
	// Regions in name order.
	order := make([]int, len(s.regions))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(s.regions[a], s.regions[b]) })
	regions, pts := make([]string, len(order)), make([][]points, len(order))
	for i, o := range order {
		regions[i], pts[i] = s.regions[o], s.points[o]
		s.region[regions[i]] = i
	}
	s.regions, s.points = regions, pts
	if s.loop {
		if lastGap == 0 {
			return errors.New("serve: loop: the trace has a single time; a lap needs two")
		}
		s.period = s.last.Sub(s.first) + lastGap
		if s.period <= 0 {
			return errors.New("serve: loop: the trace spans more than 292 years")
		}
	}
	return nil
}

// strings writes the names the answers repeat.
func (s *Server) strings() {
	for _, se := range s.series {
		h := append([]byte("# HELP "+se.Name+" Trace column "), escapeHelp(strconv.Quote(se.Column))...)
		h = append(h, " at the trace time (sample and hold).\n# TYPE "+se.Name+" gauge\n"...)
		s.help = append(s.help, h)
		s.jsonName = append(s.jsonName, jsonString(se.Name))
	}
	for _, r := range s.regions {
		l := []byte(`{region="`)
		l = append(appendLabelValue(l, r), `"}`...)
		s.label = append(s.label, l)
		s.jsonReg = append(s.jsonReg, jsonString(r))
	}
}

// MetricName is the name a trace column is served under: each character
// outside [a-zA-Z0-9_:] becomes one '_', and a name that starts with a
// digit (or is empty) gets a leading '_'. requests-per-minute is served as
// requests_per_minute, s0-prometheus as s0_prometheus, and a valid name
// as itself.
func MetricName(column string) string {
	var b strings.Builder
	b.Grow(len(column) + 1)
	if column == "" || column[0] >= '0' && column[0] <= '9' {
		b.WriteByte('_')
	}
	for _, r := range column {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == ':' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// Series lists the series in column order.
func (s *Server) Series() []Series { return slices.Clone(s.series) }

// Regions lists the trace's regions by name; nil without a region column.
func (s *Server) Regions() []string {
	if !s.hasRegion {
		return nil
	}
	return slices.Clone(s.regions)
}

// Span returns the trace's first and last times.
func (s *Server) Span() (first, last time.Time) { return s.first, s.last }

// Start returns the trace time served at the start of play.
func (s *Server) Start() time.Time { return s.start }

// Started returns the wall time play started at (the clock's reading in
// New).
func (s *Server) Started() time.Time { return s.started }

// Speed returns the trace time that passes per unit of wall time.
func (s *Server) Speed() float64 { return s.speed }

// WallDuration is the wall time from the start of play to the trace's
// last time; with Loop, to the end of the first lap.
func (s *Server) WallDuration() time.Duration {
	end := s.last
	if s.loop {
		end = s.first.Add(s.period)
	}
	return time.Duration(math.Ceil(float64(end.Sub(s.start)) / s.speed))
}

// maxOffset bounds the trace offsets computed in integer nanoseconds;
// beyond it (centuries of trace) they are computed in floating point.
const maxOffset = 1 << 62

// Position returns where the trace is now, by Options.Now.
func (s *Server) Position() Position {
	return s.at(s.now())
}

// TraceTime returns the trace time served now.
func (s *Server) TraceTime() time.Time { return s.Position().Time }

// at returns the position at wall time w.
func (s *Server) at(w time.Time) Position {
	el := max(w.Sub(s.started), 0) // a clock that went back: the start
	off := float64(el) * s.speed   // trace nanoseconds since the start
	base := s.start.Sub(s.first)
	if off >= maxOffset || base >= maxOffset {
		if !s.loop {
			return Position{Time: s.last, Finished: true}
		}
		total, p := float64(base)+off, float64(s.period)
		return Position{Time: s.first.Add(time.Duration(math.Mod(total, p))), Lap: int64(min(math.Floor(total/p), maxOffset))}
	}
	d := time.Duration(off)
	if s.speed == 1 {
		d = el // exact beyond float64's 2^53 ns
	}
	if !s.loop {
		if d >= s.last.Sub(s.start) {
			return Position{Time: s.last, Finished: true}
		}
		return Position{Time: s.start.Add(d)}
	}
	total := base + d
	return Position{Time: s.first.Add(total % s.period), Lap: int64(total / s.period)}
}

// state is what a series reads at a time.
type state uint8

const (
	noValue state = iota // never sampled yet, or stale
	present
	failed
)

// value is series j of region r at trace time t (Unix nanoseconds).
func (s *Server) value(r, j int, t int64) (state, float64) {
	p := &s.points[r][j]
	// The last sample at or before t.
	lo, hi := 0, len(p.t)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if p.t[m] <= t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	i := lo - 1
	if i < 0 {
		return noValue, 0
	}
	v := p.v[i]
	if v.Status == trace.Failed {
		return failed, 0
	}
	if s.staleness >= 0 && t-p.t[i] > int64(s.staleness) {
		return noValue, 0
	}
	return present, v.V
}
