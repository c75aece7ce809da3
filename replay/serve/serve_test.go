package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/autoreplay/autoreplay/replay"
	"github.com/autoreplay/autoreplay/replay/trace"
)

// wall0 is the wall time the tests' servers start at.
var wall0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// clock is a wall clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: wall0} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// set puts the clock at wall0 + d.
func (c *clock) set(d time.Duration) {
	c.mu.Lock()
	c.t = wall0.Add(d)
	c.mu.Unlock()
}

// table reads a CSV trace.
func table(t testing.TB, csv string) *trace.Table {
	t.Helper()
	tb, err := trace.ReadAll(trace.NewCSVReader("test.csv", strings.NewReader(csv)))
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// start serves tb over HTTP on loopback with the test's clock.
func start(t *testing.T, tb *trace.Table, opt Options) (*clock, *Server, *httptest.Server) {
	t.Helper()
	c := newClock()
	opt.Now = c.now
	s, err := New(tb, opt)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return c, s, hs
}

// answer is one HTTP answer.
type answer struct {
	status int
	header http.Header
	body   string
}

// get requests url with the headers given as name, value pairs.
func get(t *testing.T, u string, headers ...string) answer {
	t.Helper()
	return do(t, http.MethodGet, u, headers...)
}

func do(t *testing.T, method, u string, headers ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// promQueryResult is the answer KEDA v2.21's prometheus scaler parses
// (pkg/scalers/prometheus_scaler.go).
type promQueryResult struct {
	Status string `json:"status"`

	Data struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric struct{} `json:"metric"`
			Value  []any    `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

// promError is a Prometheus API error answer.
type promError struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
}

// scrape parses /metrics as a Prometheus server or KEDA's metrics-api
// scraper would (parseExposition), checks that every family is a gauge
// and every label a region, and returns the samples as "name{region}" →
// value.
func scrape(t *testing.T, u string) map[string]float64 {
	t.Helper()
	a := get(t, u)
	if a.status != http.StatusOK || a.header.Get("Content-Type") != TextFormat {
		t.Fatalf("%s: %d %q\n%s", u, a.status, a.header.Get("Content-Type"), a.body)
	}
	fams, err := parseExposition(a.body)
	if err != nil {
		t.Fatalf("%s: %v\n%s", u, err, a.body)
	}
	got := map[string]float64{}
	for _, f := range fams {
		if f.typ != "gauge" {
			t.Errorf("%s: %s is a %q, want a gauge", u, f.name, f.typ)
		}
		for _, m := range f.samples {
			key := f.name
			for name, v := range m.labels {
				if name != "region" {
					t.Errorf("%s: %s has the label %s", u, f.name, name)
				}
				key += "{" + v + "}"
			}
			if _, dup := got[key]; dup {
				t.Errorf("%s: %s twice", u, key)
			}
			got[key] = m.value
		}
	}
	return got
}

// family is a metric family read back from the exposition.
type family struct {
	name, typ string
	samples   []sample
}

type sample struct {
	labels map[string]string
	value  float64
}

// regionTrace has two regions and two series, a failed cell, a NaN, a gap
// longer than the staleness and a duplicate time.
const regionTrace = `time,region,lag,cpu-percent
2026-01-05T09:00:00Z,eu-west,100,50
2026-01-05T09:00:00Z,us-east,200,
2026-01-05T09:01:00Z,eu-west,110,NaN
2026-01-05T09:02:00Z,us-east,210,40
2026-01-05T09:10:00Z,eu-west,,55
2026-01-05T09:12:00Z,us-east,220,41
2026-01-05T09:12:00Z,us-east,225,42
2026-01-05T09:20:00Z,eu-west,130,60
`

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// Every endpoint serves, at each trace time, the latest sample at or
// before it; no value once a sample is more than 5 minutes old; failed
// until the next sample. The endpoints agree with one another.
func TestValuesAtTraceTimes(t *testing.T) {
	c, _, hs := start(t, table(t, regionTrace), Options{})
	const none, fail = "none", "failed"
	for _, tc := range []struct {
		at       time.Duration // after t0
		finished bool
		// lag and cpu_percent, in eu-west then us-east
		want [4]string
	}{
		{0, false, [4]string{"100", "50", "200", fail}},
		{30 * time.Second, false, [4]string{"100", "50", "200", fail}},               // between samples
		{90 * time.Second, false, [4]string{"110", "NaN", "200", fail}},              // NaN is a value
		{2 * time.Minute, false, [4]string{"110", "NaN", "210", "40"}},               // a failed cell until the next sample
		{6 * time.Minute, false, [4]string{"110", "NaN", "210", "40"}},               // eu-west 5m old: still held
		{6*time.Minute + time.Nanosecond, false, [4]string{none, none, "210", "40"}}, // stale
		{10 * time.Minute, false, [4]string{fail, "55", none, none}},
		{12 * time.Minute, false, [4]string{fail, "55", "225", "42"}}, // the second row at 09:12 replaced the first
		{14*time.Minute + 59*time.Second, false, [4]string{fail, "55", "225", "42"}},
		{19*time.Minute + 59*time.Second, false, [4]string{fail, none, none, none}}, // failed stays failed, however old
		{20 * time.Minute, true, [4]string{"130", "60", none, none}},
		{3 * time.Hour, true, [4]string{"130", "60", none, none}}, // after the end: the last values hold
	} {
		c.set(tc.at)
		tt := t0.Add(min(tc.at, 20*time.Minute))
		name := tt.Format("15:04:05.999999999")
		metrics := scrape(t, hs.URL+"/metrics")
		if v, ok := metrics[TraceTimeMetric]; !ok || v != unixSeconds(tt) {
			t.Errorf("%s: %s = %v, want %v", name, TraceTimeMetric, v, unixSeconds(tt))
		}
		if v := metrics[FinishedMetric]; v != map[bool]float64{true: 1}[tc.finished] {
			t.Errorf("%s: %s = %v", name, FinishedMetric, v)
		}
		var all struct {
			Time     time.Time                             `json:"time"`
			Finished bool                                  `json:"finished"`
			Regions  map[string]map[string]json.RawMessage `json:"regions"`
		}
		if err := json.Unmarshal([]byte(get(t, hs.URL+"/json").body), &all); err != nil {
			t.Fatal(err)
		}
		if !all.Time.Equal(tt) || all.Finished != tc.finished {
			t.Errorf("%s: /json time %v finished %v", name, all.Time, all.Finished)
		}
		for k, want := range tc.want {
			series, region := []string{"lag", "cpu_percent"}[k%2], []string{"eu-west", "us-east"}[k/2]
			where := fmt.Sprintf("%s %s{region=%q}", name, series, region)

			// /metrics: the sample, or none.
			got, ok := metrics[series+"{"+region+"}"]
			switch want {
			case none, fail:
				if ok {
					t.Errorf("%s: /metrics has %v, want no sample", where, got)
				}
			default:
				if !ok || strconv.FormatFloat(got, 'g', -1, 64) != want {
					t.Errorf("%s: /metrics %v (present %v), want %s", where, got, ok, want)
				}
			}

			// /json, one region and all of them: a number, "NaN", or null.
			wantJSON := want
			switch want {
			case none, fail:
				wantJSON = "null"
			case "NaN":
				wantJSON = `"NaN"`
			}
			var one map[string]json.RawMessage
			a := get(t, hs.URL+"/json?region="+region)
			if err := json.Unmarshal([]byte(a.body), &one); err != nil || a.header.Get("Content-Type") != "application/json" {
				t.Fatalf("%s: /json?region: %v %q", where, err, a.body)
			}
			if string(one[series]) != wantJSON || string(all.Regions[region][series]) != wantJSON {
				t.Errorf("%s: /json?region= %s, /json %s, want %s", where, one[series], all.Regions[region][series], wantJSON)
			}

			// /api/v1/query as KEDA's prometheus scaler reads it.
			q := hs.URL + "/api/v1/query?query=" + url.QueryEscape(fmt.Sprintf("%s{region=%q}", series, region)) + "&time=2030-01-01T00:00:00Z"
			a = get(t, q)
			if want == fail {
				var e promError
				if a.status != http.StatusServiceUnavailable || json.Unmarshal([]byte(a.body), &e) != nil || e.Status != "error" || e.ErrorType != "unavailable" {
					t.Errorf("%s: query answered %d %s, want 503 unavailable", where, a.status, a.body)
				}
				continue
			}
			var r promQueryResult
			if a.status != http.StatusOK || json.Unmarshal([]byte(a.body), &r) != nil || r.Status != "success" || r.Data.ResultType != "vector" {
				t.Fatalf("%s: query answered %d %s", where, a.status, a.body)
			}
			if want == none {
				if len(r.Data.Result) != 0 {
					t.Errorf("%s: query %s, want an empty vector", where, a.body)
				}
				continue
			}
			if len(r.Data.Result) != 1 || len(r.Data.Result[0].Value) != 2 {
				t.Fatalf("%s: query %s, want one element", where, a.body)
			}
			ts, _ := r.Data.Result[0].Value[0].(float64)
			str, _ := r.Data.Result[0].Value[1].(string)
			if v, err := strconv.ParseFloat(str, 64); err != nil || strconv.FormatFloat(v, 'g', -1, 64) != want || ts != unixSeconds(tt) {
				t.Errorf("%s: query %s, want %s at %v", where, a.body, want, unixSeconds(tt))
			}
		}
	}
}

// The exact answers, as docs/serve.md shows them.
func TestAnswerShapes(t *testing.T) {
	c, _, hs := start(t, table(t, regionTrace), Options{})
	c.set(2 * time.Minute)
	for _, tc := range []struct{ path, want string }{
		{"/json?region=eu-west", `{"time":"2026-01-05T09:02:00Z","finished":false,"region":"eu-west","lag":110,"cpu_percent":"NaN"}` + "\n"},
		{"/json", `{"time":"2026-01-05T09:02:00Z","finished":false,"regions":{"eu-west":{"lag":110,"cpu_percent":"NaN"},"us-east":{"lag":210,"cpu_percent":40}}}` + "\n"},
		{"/api/v1/query?query=lag", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"lag","region":"eu-west"},"value":[1767603720,"110"]},{"metric":{"__name__":"lag","region":"us-east"},"value":[1767603720,"210"]}]}}` + "\n"},
		{"/api/v1/query?query=lag%7Bregion%3D%22us-east%22%7D", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"lag","region":"us-east"},"value":[1767603720,"210"]}]}}` + "\n"},
		{"/api/v1/query?query=lag&region=us-east", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"lag","region":"us-east"},"value":[1767603720,"210"]}]}}` + "\n"},
		{"/metrics?region=us-east", `# HELP lag Trace column "lag" at the trace time (sample and hold).
# TYPE lag gauge
lag{region="us-east"} 210
# HELP cpu_percent Trace column "cpu-percent" at the trace time (sample and hold).
# TYPE cpu_percent gauge
cpu_percent{region="us-east"} 40
# HELP replay_trace_time_seconds The trace time being served, in Unix seconds.
# TYPE replay_trace_time_seconds gauge
replay_trace_time_seconds 1767603720
# HELP replay_trace_finished 1 once the trace has reached its last time and its last values hold, else 0.
# TYPE replay_trace_finished gauge
replay_trace_finished 0
`},
		{"/healthz", "ok\n"},
	} {
		a := get(t, hs.URL+tc.path)
		if a.status != http.StatusOK {
			t.Errorf("%s: status %d", tc.path, a.status)
		}
		if diff := cmp.Diff(tc.want, a.body); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", tc.path, diff)
		}
	}
	// KEDA's metrics-api valueLocation lag{region="us-east"} against the
	// whole exposition.
	if v := scrape(t, hs.URL+"/metrics")["lag{us-east}"]; v != 210 {
		t.Errorf("lag{region=\"us-east\"} = %v, want 210", v)
	}
}

// A trace without regions has no region label, key or parameter.
func TestNoRegions(t *testing.T) {
	tb := table(t, "time,requests-per-minute\n2026-01-05T09:00:00Z,12\n2026-01-05T09:01:00Z,\n2026-01-05T09:02:00Z,1e21\n")
	c, s, hs := start(t, tb, Options{})
	if s.Regions() != nil {
		t.Errorf("Regions() = %v, want nil", s.Regions())
	}
	want := []Series{{Name: "requests_per_minute", Column: "requests-per-minute"}}
	if diff := cmp.Diff(want, s.Series()); diff != "" {
		t.Errorf("Series mismatch (-want +got):\n%s", diff)
	}
	c.set(30 * time.Second)
	if a := get(t, hs.URL+"/json"); a.body != `{"time":"2026-01-05T09:00:30Z","finished":false,"requests_per_minute":12}`+"\n" {
		t.Errorf("/json: %s", a.body)
	}
	if m := scrape(t, hs.URL+"/metrics"); m["requests_per_minute"] != 12 {
		t.Errorf("/metrics: %v", m)
	}
	if a := get(t, hs.URL+"/api/v1/query?query=requests_per_minute"); !strings.Contains(a.body, `"metric":{"__name__":"requests_per_minute"},"value":[1767603630,"12"]`) {
		t.Errorf("query: %s", a.body)
	}
	c.set(time.Minute)
	if a := get(t, hs.URL+"/json"); a.body != `{"time":"2026-01-05T09:01:00Z","finished":false,"requests_per_minute":null}`+"\n" {
		t.Errorf("/json failed: %s", a.body)
	}
	if a := get(t, hs.URL+"/api/v1/query?query=requests_per_minute"); a.status != http.StatusServiceUnavailable {
		t.Errorf("query failed: %d %s", a.status, a.body)
	}
	c.set(2 * time.Minute)
	if a := get(t, hs.URL+"/json"); a.body != `{"time":"2026-01-05T09:02:00Z","finished":true,"requests_per_minute":1e+21}`+"\n" {
		t.Errorf("/json 1e21: %s", a.body)
	}
	for _, p := range []string{"/json?region=x", "/metrics?region=x", "/api/v1/query?query=requests_per_minute&region=x", "/api/v1/query?query=requests_per_minute%7Bregion%3D%22x%22%7D"} {
		if a := get(t, hs.URL+p); a.status != http.StatusBadRequest || !strings.Contains(a.body, `the trace has no regions`) {
			t.Errorf("%s: %d %s, want 400 naming the problem", p, a.status, a.body)
		}
	}
}

// Trace time = start + speed × wall time elapsed; after the end the last
// time holds; with Loop a lap lasts the span plus the last interval.
func TestSpeedAndLoop(t *testing.T) {
	tb := table(t, "time,lag\n2026-01-05T09:00:00Z,1\n2026-01-05T10:00:00Z,2\n2026-01-05T11:00:00Z,3\n")
	at := func(h, m, s int) time.Time { return time.Date(2026, 1, 5, h, m, s, 0, time.UTC) }
	for _, tc := range []struct {
		name string
		opt  Options
		wall time.Duration
		want Position
	}{
		{"1x", Options{}, 90 * time.Second, Position{Time: at(9, 1, 30)}},
		{"60x", Options{Speed: 60}, 90 * time.Second, Position{Time: at(10, 30, 0)}},
		{"0.5x", Options{Speed: 0.5}, 3 * time.Second, Position{Time: at(9, 0, 1).Add(500 * time.Millisecond)}},
		{"start", Options{Speed: 60, Start: at(10, 0, 0)}, 30 * time.Second, Position{Time: at(10, 30, 0)}},
		{"end", Options{Speed: 60}, 2 * time.Minute, Position{Time: at(11, 0, 0), Finished: true}},
		{"after the end", Options{Speed: 60}, time.Hour, Position{Time: at(11, 0, 0), Finished: true}},
		{"a clock that went back", Options{Speed: 60}, -time.Hour, Position{Time: at(9, 0, 0)}},
		// A lap is 3 h: 09:00 … 12:00, the last value holding its interval.
		{"loop before the end", Options{Speed: 60, Loop: true}, 150 * time.Second, Position{Time: at(11, 30, 0)}},
		{"loop lap 1", Options{Speed: 60, Loop: true}, 3 * time.Minute, Position{Time: at(9, 0, 0), Lap: 1}},
		{"loop from a start", Options{Speed: 60, Loop: true, Start: at(10, 0, 0)}, 4 * time.Minute, Position{Time: at(11, 0, 0), Lap: 1}},
		{"loop from a start, lap 2", Options{Speed: 60, Loop: true, Start: at(10, 0, 0)}, 5 * time.Minute, Position{Time: at(9, 0, 0), Lap: 2}},
		// 7 days and 10 s at 3600x: 604,810 h of trace, 201,603 laps of 3 h
		// and 1 h.
		{"loop many laps", Options{Speed: 3600, Loop: true}, 7*24*time.Hour + 10*time.Second, Position{Time: at(10, 0, 0), Lap: 201603}},
		{"loop far", Options{Speed: 1e9, Loop: true}, 1000 * time.Hour, Position{}}, // checked below
		{"far without loop", Options{Speed: 1e9}, 1000 * time.Hour, Position{Time: at(11, 0, 0), Finished: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, s, hs := start(t, tb, tc.opt)
			c.set(tc.wall)
			got := s.Position()
			if tc.name == "loop far" {
				// 1000 h × 1e9 is beyond int64 nanoseconds: computed in
				// floating point, a whole number of laps within rounding.
				if got.Lap < 333_333_333_332 || got.Lap > 333_333_333_333 || got.Time.Before(at(9, 0, 0)) || !got.Time.Before(at(12, 0, 0)) {
					t.Errorf("Position() = %+v", got)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Position mismatch (-want +got):\n%s", diff)
			}
			if !s.TraceTime().Equal(tc.want.Time) {
				t.Errorf("TraceTime() = %v", s.TraceTime())
			}
			if v := scrape(t, hs.URL+"/metrics")[TraceTimeMetric]; v != unixSeconds(tc.want.Time) {
				t.Errorf("%s = %v, want %v", TraceTimeMetric, v, unixSeconds(tc.want.Time))
			}
		})
	}

	// The value at a lap's end holds for the last interval, then the
	// first comes back.
	c, s, hs := start(t, tb, Options{Speed: 60, Loop: true, Staleness: -1})
	for _, tc := range []struct {
		wall time.Duration
		want string
	}{{0, "1"}, {119 * time.Second, "2"}, {150 * time.Second, "3"}, {179 * time.Second, "3"}, {180 * time.Second, "1"}, {181 * time.Second, "1"}, {241 * time.Second, "2"}} {
		c.set(tc.wall)
		if a := get(t, hs.URL+"/api/v1/query?query=lag"); !strings.Contains(a.body, `"`+tc.want+`"]`) {
			t.Errorf("wall +%v (trace %v): %s, want %s", tc.wall, s.TraceTime(), a.body, tc.want)
		}
	}
	if d := s.WallDuration(); d != 3*time.Minute {
		t.Errorf("WallDuration() with Loop = %v, want a lap: 3m", d)
	}
	s2, _ := New(tb, Options{Now: newClock().now, Speed: 7, Start: at(10, 0, 0)})
	if d := s2.WallDuration(); d != time.Duration(math.Ceil(float64(time.Hour)/7)) {
		t.Errorf("WallDuration() = %v, want 1h/7", d)
	}
}

// A sample holds for Staleness: the default is the replay's; negative
// means never stale.
func TestStaleness(t *testing.T) {
	if DefaultStaleness != replay.DefaultStaleness {
		t.Errorf("DefaultStaleness %v, the replay's %v", DefaultStaleness, replay.DefaultStaleness)
	}
	tb := table(t, "time,lag\n2026-01-05T09:00:00Z,1\n2026-01-05T11:00:00Z,3\n")
	for _, tc := range []struct {
		staleness time.Duration
		at        time.Duration
		want      string
	}{
		{0, 5 * time.Minute, "1"},
		{0, 5*time.Minute + time.Millisecond, "null"},
		{time.Minute, time.Minute, "1"},
		{time.Minute, 61 * time.Second, "null"},
		{-1, 119 * time.Minute, "1"},
		{-1, 120 * time.Minute, "3"},
	} {
		c, _, hs := start(t, tb, Options{Staleness: tc.staleness})
		c.set(tc.at)
		if a := get(t, hs.URL+"/json"); !strings.HasSuffix(a.body, `"lag":`+tc.want+"}\n") {
			t.Errorf("staleness %v at +%v: %s, want %s", tc.staleness, tc.at, a.body, tc.want)
		}
	}
}

// The served value is the naive reading of the trace: the last sample at
// or before the time, by a linear scan, at random times.
func TestValueMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString("time,region,a,b\n")
	tm := t0
	for range 2000 {
		tm = tm.Add(time.Duration(rng.IntN(4)) * time.Duration(rng.IntN(200)) * time.Second)
		cell := func() string {
			switch rng.IntN(10) {
			case 0:
				return ""
			case 1:
				return "NaN"
			}
			return strconv.Itoa(rng.IntN(1000))
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", tm.Format(time.RFC3339), []string{"x", "y", "z"}[rng.IntN(3)], cell(), cell())
	}
	tb := table(t, b.String())
	s, err := New(tb, Options{Now: newClock().now})
	if err != nil {
		t.Fatal(err)
	}
	first, last := s.Span()
	for range 3000 {
		at := first.Add(time.Duration(rng.Int64N(int64(last.Sub(first)) + 1)))
		for r, region := range s.regions {
			for j := range s.series {
				wantState, wantV := noValue, 0.0
				for _, smp := range tb.Samples {
					if smp.Region != region || smp.Time.After(at) {
						continue
					}
					switch v := smp.Values[j]; {
					case v.Status == trace.Failed:
						wantState = failed
					case at.Sub(smp.Time) > DefaultStaleness:
						wantState = noValue
					default:
						wantState, wantV = present, v.V
					}
				}
				st, v := s.value(r, j, at.UnixNano())
				if st != wantState || st == present && math.Float64bits(v) != math.Float64bits(wantV) {
					t.Fatalf("%s %s at %v: %v %v, want %v %v", region, s.series[j].Name, at, st, v, wantState, wantV)
				}
			}
		}
	}
}

// Bad queries are 400 bad_data and say what is supported.
func TestQueryErrors(t *testing.T) {
	_, _, hs := start(t, table(t, regionTrace), Options{})
	for _, tc := range []struct{ query, want string }{
		{"", `no query: give ?query=NAME or NAME{region=\"R\"}`},
		{"sum(lag)", `unsupported query \"sum(lag)\": unexpected \"(lag)\" after the series name; replay serve answers a series name with an optional region matcher, e.g. lag{region=\"eu-west\"}; its series are lag, cpu_percent`},
		{"rate(lag[5m])", `unsupported query`},
		{`lag{region=~"eu.*"}`, `matcher region=~: only = is supported`},
		{`lag{job="x"}`, `matcher on the label \"job\": only region is matched`},
		{`lag{region="eu-west",region="us-east"}`, `two region matchers`},
		{`lag{region="eu-west"} + 1`, `unexpected \"+ 1\" after the selector`},
		{`lag{region="eu-west"`, `want ',' or '}' after the matcher`},
		{`lag{region=eu}`, `region value: want a quoted string`},
		{"cpu-percent", `unexpected \"-percent\" after the series name`},
		{"cpu", `unknown series \"cpu\": replay serve answers`},
		{`lag{region="ap-south"}`, `unknown region \"ap-south\": the trace has eu-west, us-east`},
	} {
		a := get(t, hs.URL+"/api/v1/query?query="+url.QueryEscape(tc.query))
		var e promError
		if a.status != http.StatusBadRequest || json.Unmarshal([]byte(a.body), &e) != nil || e.ErrorType != "bad_data" || !strings.Contains(a.body, tc.want) {
			t.Errorf("query %q: %d %s, want 400 bad_data with %s", tc.query, a.status, a.body, tc.want)
		}
	}
	for _, tc := range []struct{ query, region string }{
		{`lag{region='us-east'}`, "us-east"},
		{"lag{region=`us-east`}", "us-east"},
		{` lag { region = "us-east" , } `, "us-east"},
		{`lag{}`, ""},
	} {
		a := get(t, hs.URL+"/api/v1/query?query="+url.QueryEscape(tc.query))
		if a.status != http.StatusOK || strings.Count(a.body, `"region":"us-east"`) != 1 || tc.region == "" && !strings.Contains(a.body, "eu-west") {
			t.Errorf("query %q: %d %s", tc.query, a.status, a.body)
		}
	}
	if a := get(t, hs.URL+"/api/v1/query?query=lag%7Bregion%3D%22eu-west%22%7D&region=us-east"); a.status != http.StatusBadRequest {
		t.Errorf("a matcher and ?region= that disagree: %d %s", a.status, a.body)
	}
	for _, p := range []string{"/json?region=ap-south", "/metrics?region=ap-south"} {
		if a := get(t, hs.URL+p); a.status != http.StatusBadRequest || !strings.Contains(a.body, `unknown region \"ap-south\": the trace has eu-west, us-east`) && !strings.Contains(a.body, `unknown region "ap-south": the trace has eu-west, us-east`) {
			t.Errorf("%s: %d %s", p, a.status, a.body)
		}
	}
	if a := get(t, hs.URL+"/nope"); a.status != http.StatusNotFound || !strings.Contains(a.body, "/metrics, /json") {
		t.Errorf("/nope: %d %s", a.status, a.body)
	}
	if a := do(t, http.MethodPost, hs.URL+"/metrics"); a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /metrics: %d %v", a.status, a.header)
	}
	if a := do(t, http.MethodHead, hs.URL+"/metrics"); a.status != http.StatusOK || a.body != "" || a.header.Get("Content-Type") != TextFormat {
		t.Errorf("HEAD /metrics: %d %v %q", a.status, a.header, a.body)
	}
	if a := get(t, hs.URL+"/"); a.status != http.StatusOK || !strings.Contains(a.body, "series: lag cpu_percent\nregions: eu-west, us-east") {
		t.Errorf("/: %d %s", a.status, a.body)
	}
}

// Each auth mode refuses a missing or wrong credential with 401 on every
// endpoint but /healthz, and accepts the right one.
func TestAuth(t *testing.T) {
	basic := func(user, pass string) string {
		r, _ := http.NewRequest("GET", "/", nil)
		r.SetBasicAuth(user, pass)
		return r.Header.Get("Authorization")
	}
	type try struct {
		query   string // added to the URL
		headers []string
		ok      bool
	}
	for _, tc := range []struct {
		name      string
		auth      Auth
		challenge string
		tries     []try
	}{
		{"none", Auth{}, "", []try{{"", nil, true}, {"", []string{"Authorization", "Bearer x"}, true}}},
		{"bearer", Auth{BearerToken: "s3cret"}, `Bearer realm="replay serve"`, []try{
			{"", nil, false},
			{"", []string{"Authorization", "Bearer wrong"}, false},
			{"", []string{"Authorization", "Bearer s3cre"}, false},
			{"", []string{"Authorization", "Basic s3cret"}, false},
			{"", []string{"Authorization", "s3cret"}, false},
			{"", []string{"Authorization", "Bearer s3cret"}, true},
			{"", []string{"Authorization", "bearer s3cret"}, true},
		}},
		{"apiKey", Auth{APIKey: "k3y"}, "", []try{
			{"", nil, false},
			{"", []string{"X-API-KEY", "wrong"}, false},
			{"&api_key=wrong", nil, false},
			{"&key=k3y", nil, false},
			{"", []string{"X-API-KEY", "k3y"}, true},
			{"", []string{"x-api-key", "k3y"}, true},
			{"&api_key=k3y", nil, true},
		}},
		{"apiKey named", Auth{APIKey: "k3y", APIKeyHeader: "X-Token", APIKeyParam: "token"}, "", []try{
			{"", []string{"X-API-KEY", "k3y"}, false},
			{"&api_key=k3y", nil, false},
			{"", []string{"X-Token", "k3y"}, true},
			{"&token=k3y", nil, true},
		}},
		{"basic", Auth{Username: "keda", Password: "pa:ss"}, `Basic realm="replay serve", charset="UTF-8"`, []try{
			{"", nil, false},
			{"", []string{"Authorization", basic("keda", "wrong")}, false},
			{"", []string{"Authorization", basic("other", "pa:ss")}, false},
			{"", []string{"Authorization", "Bearer pa:ss"}, false},
			{"", []string{"Authorization", basic("keda", "pa:ss")}, true},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logged []Request
			var mu sync.Mutex
			_, _, hs := start(t, table(t, regionTrace), Options{Auth: tc.auth, OnRequest: func(r Request) {
				mu.Lock()
				logged = append(logged, r)
				mu.Unlock()
			}})
			for _, tr := range tc.tries {
				for _, path := range []string{"/metrics?region=eu-west", "/json?region=eu-west", "/api/v1/query?query=lag", "/nope?x=1"} {
					a := get(t, hs.URL+path+tr.query, tr.headers...)
					switch {
					case tr.ok && path == "/nope?x=1" && a.status != http.StatusNotFound,
						tr.ok && path != "/nope?x=1" && a.status != http.StatusOK:
						t.Errorf("%s%s %v: %d %s, want it accepted", path, tr.query, tr.headers, a.status, a.body)
					case !tr.ok && a.status != http.StatusUnauthorized:
						t.Errorf("%s%s %v: %d, want 401", path, tr.query, tr.headers, a.status)
					case !tr.ok && a.header.Get("WWW-Authenticate") != tc.challenge:
						t.Errorf("%s: WWW-Authenticate %q, want %q", path, a.header.Get("WWW-Authenticate"), tc.challenge)
					case !tr.ok && strings.Contains(a.body, "s3cret") || strings.Contains(a.body, "k3y") || strings.Contains(a.body, "pa:ss"):
						t.Errorf("%s: the answer shows the credential: %s", path, a.body)
					}
				}
				if a := get(t, hs.URL+"/healthz"); a.status != http.StatusOK {
					t.Errorf("/healthz without credentials: %d", a.status)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for _, r := range logged {
				if strings.Contains(fmt.Sprint(r), "k3y") || strings.Contains(fmt.Sprint(r), "s3cret") {
					t.Errorf("OnRequest saw a credential: %+v", r)
				}
			}
		})
	}
}

// OnRequest sees each answered request with its status and trace time.
func TestOnRequest(t *testing.T) {
	var got []Request
	var mu sync.Mutex
	c, _, hs := start(t, table(t, regionTrace), Options{Auth: Auth{APIKey: "k"}, OnRequest: func(r Request) {
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
	}})
	c.set(time.Minute)
	get(t, hs.URL+"/json?region=eu-west&api_key=k")
	get(t, hs.URL+"/metrics")
	get(t, hs.URL+"/healthz")
	mu.Lock()
	defer mu.Unlock()
	want := []Request{
		{Method: "GET", Path: "/json", Query: url.Values{"region": {"eu-west"}}, Status: 200, Position: Position{Time: t0.Add(time.Minute)}},
		{Method: "GET", Path: "/metrics", Query: url.Values{}, Status: 401, Position: Position{Time: t0.Add(time.Minute)}},
		{Method: "GET", Path: "/healthz", Query: url.Values{}, Status: 200, Position: Position{Time: t0.Add(time.Minute)}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
}

func TestMetricName(t *testing.T) {
	for in, want := range map[string]string{
		"lag":                 "lag",
		"requests-per-minute": "requests_per_minute",
		"s0-prometheus":       "s0_prometheus",
		"http:rate5m":         "http:rate5m",
		"0day":                "_0day",
		"":                    "_",
		"p99 latency (ms)":    "p99_latency__ms_",
		"größe":               "gr__e",
		"a.b/c":               "a_b_c",
	} {
		if got := MetricName(in); got != want {
			t.Errorf("MetricName(%q) = %q, want %q", in, got, want)
		}
		if !validMetricName(MetricName(in)) {
			t.Errorf("MetricName(%q) = %q is not a valid metric name", in, MetricName(in))
		}
	}
}

func TestNewErrors(t *testing.T) {
	now := newClock().now
	tb := table(t, regionTrace)
	for _, tc := range []struct {
		name string
		tb   *trace.Table
		opt  Options
		want string
	}{
		{"no clock", tb, Options{}, "serve: Options.Now is required: give the wall clock (time.Now)"},
		{"negative speed", tb, Options{Now: now, Speed: -1}, "serve: speed -1: want a finite factor > 0"},
		{"NaN speed", tb, Options{Now: now, Speed: math.NaN()}, "serve: speed NaN: want a finite factor > 0"},
		{"two credentials", tb, Options{Now: now, Auth: Auth{BearerToken: "a", APIKey: "b"}}, "serve: auth: give one of a bearer token, an API key and basic auth"},
		{"password only", tb, Options{Now: now, Auth: Auth{Password: "b"}}, "serve: auth: a password without a username"},
		{"colon user", tb, Options{Now: now, Auth: Auth{Username: "a:b"}}, "serve: auth: a basic auth username cannot hold a colon"},
		{"bad header", tb, Options{Now: now, Auth: Auth{APIKey: "k", APIKeyHeader: "X Key"}}, `serve: auth: API key header "X Key" is not a valid header name`},
		{"empty", &trace.Table{Header: trace.Header{Series: []string{"a"}}}, Options{Now: now}, "serve: the trace has no rows"},
		{"nil", nil, Options{Now: now}, "serve: the trace has no rows"},
		{"start before", tb, Options{Now: now, Start: t0.Add(-time.Second)}, "serve: start 2026-01-05T08:59:59Z is outside the trace, 2026-01-05T09:00:00Z … 2026-01-05T09:20:00Z"},
		{"start after", tb, Options{Now: now, Start: t0.Add(time.Hour)}, "serve: start 2026-01-05T10:00:00Z is outside the trace, 2026-01-05T09:00:00Z … 2026-01-05T09:20:00Z"},
		{"same name", table(t, "time,a-b,a_b\n2026-01-05T09:00:00Z,1,2\n"), Options{Now: now}, `serve: columns "a-b" and "a_b" are both served as "a_b": rename one`},
		{"reserved", table(t, "time,finished\n2026-01-05T09:00:00Z,1\n"), Options{Now: now}, `serve: column "finished": the name "finished" is the server's own: rename the column`},
		{"reserved metric", table(t, "time,replay_trace_finished\n2026-01-05T09:00:00Z,1\n"), Options{Now: now}, `serve: column "replay_trace_finished": the name "replay_trace_finished" is the server's own: rename the column`},
		{"loop one time", table(t, "time,lag\n2026-01-05T09:00:00Z,1\n2026-01-05T09:00:00Z,2\n"), Options{Now: now, Loop: true}, "serve: loop: the trace has a single time; a lap needs two"},
	} {
		_, err := New(tc.tb, tc.opt)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
	s, err := New(table(t, "time,lag\n2026-01-05T09:00:00Z,1\n"), Options{Now: now})
	if err != nil || !s.Position().Finished {
		t.Errorf("a single time without loop: %v, %+v: want it served, finished", err, s)
	}
}

// Region names and columns are escaped where they appear.
func TestEscaping(t *testing.T) {
	tb := table(t, "time,region,\"a\"\"b\"\n2026-01-05T09:00:00Z,\"x\"\"\\y\",1\n")
	_, s, hs := start(t, tb, Options{})
	if diff := cmp.Diff([]string{`x"\y`}, s.Regions()); diff != "" {
		t.Fatalf("regions mismatch (-want +got):\n%s", diff)
	}
	if m := scrape(t, hs.URL+"/metrics"); m[`a_b{x"\y}`] != 1 {
		t.Errorf("/metrics: %v", m)
	}
	var v struct {
		Regions map[string]map[string]float64 `json:"regions"`
	}
	if err := json.Unmarshal([]byte(get(t, hs.URL+"/json").body), &v); err != nil || v.Regions[`x"\y`]["a_b"] != 1 {
		t.Errorf("/json: %v %v", v, err)
	}
	if a := get(t, hs.URL+"/api/v1/query?query="+url.QueryEscape(`a_b{region="x\"\\y"}`)); a.status != 200 || !strings.Contains(a.body, `"region":"x\"\\y"`) {
		t.Errorf("query: %d %s", a.status, a.body)
	}
	if a := get(t, hs.URL+"/json?region="+url.QueryEscape(`x"\y`)); !strings.Contains(a.body, `"region":"x\"\\y","a_b":1`) {
		t.Errorf("/json?region: %s", a.body)
	}
	if !slices.Equal(s.Regions(), []string{`x"\y`}) {
		t.Error("Regions changed")
	}
}
