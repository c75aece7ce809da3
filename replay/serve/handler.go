package serve

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Content types of the answers.
const (
	// TextFormat is the Content-Type of /metrics: the Prometheus text
	// exposition format 0.0.4.
	TextFormat  = "text/plain; version=0.0.4; charset=utf-8"
	contentJSON = "application/json"
	contentText = "text/plain; charset=utf-8"
)

// Handler returns the server's HTTP handler: /metrics, /json,
// /api/v1/query and /healthz, by GET (or HEAD).
func (s *Server) Handler() http.Handler { return handler{s} }

type handler struct{ s *Server }

// ServeHTTP reads the clock once: every value of an answer is at the same
// trace time.
func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := h.s
	pos := s.Position()
	sw := &statusWriter{ResponseWriter: w}
	s.route(sw, r, pos)
	if s.onRequest != nil {
		all, _ := url.ParseQuery(r.URL.RawQuery)
		q := url.Values{}
		for _, k := range []string{"query", "region"} {
			if v, ok := all[k]; ok {
				q[k] = v
			}
		}
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		s.onRequest(Request{Method: r.Method, Path: r.URL.Path, Query: q, Status: status, Position: pos})
	}
}

// statusWriter remembers the status answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

const endpoints = "/metrics, /json, /api/v1/query?query=NAME and /healthz"

func (s *Server) route(w http.ResponseWriter, r *http.Request, pos Position) {
	if r.URL.Path == "/healthz" {
		if getOnly(w, r) {
			writeText(w, http.StatusOK, "ok\n")
		}
		return
	}
	if !s.auth.allow(r) {
		s.auth.deny(w)
		return
	}
	var serve func(http.ResponseWriter, url.Values, Position)
	switch r.URL.Path {
	case "/metrics":
		serve = s.metrics
	case "/json":
		serve = s.json
	case "/api/v1/query":
		serve = s.query
	case "/":
		serve = s.home
	default:
		writeText(w, http.StatusNotFound, fmt.Sprintf("not found: %s: replay serve answers %s\n", r.URL.Path, endpoints))
		return
	}
	if !getOnly(w, r) {
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeText(w, http.StatusBadRequest, fmt.Sprintf("bad query string: %v\n", err))
		return
	}
	serve(w, q, pos)
}

// getOnly answers 405 to a method other than GET and HEAD.
func getOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	writeText(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed: replay serve answers GET\n", r.Method))
	return false
}

// pick returns the region ?region= selects: its index, or -1 for all
// when the parameter is not given.
func (s *Server) pick(q url.Values) (int, error) {
	vs, ok := q["region"]
	if !ok {
		return -1, nil
	}
	return s.regionIndex(vs[len(vs)-1])
}

// regionIndex returns the index of region name.
func (s *Server) regionIndex(name string) (int, error) {
	if !s.hasRegion {
		return 0, fmt.Errorf("region %q: the trace has no regions; leave the region out", name)
	}
	r, ok := s.region[name]
	if !ok {
		return 0, fmt.Errorf("unknown region %q: the trace has %s", name, strings.Join(s.regions, ", "))
	}
	return r, nil
}

// selected lists the regions r selects (-1: all).
func (s *Server) selected(r int) []int {
	if r >= 0 {
		return []int{r}
	}
	all := make([]int, len(s.regions))
	for i := range all {
		all[i] = i
	}
	return all
}

// metrics answers the Prometheus text exposition: one gauge per series,
// one sample per region with a value; a failed series or one without a
// value is left out, which KEDA v2.21's metrics-api scaler (format
// prometheus, getValueFromPrometheusResponse in
// pkg/scalers/metrics_api_scaler.go) reads as an error.
func (s *Server) metrics(w http.ResponseWriter, q url.Values, pos Position) {
	r, err := s.pick(q)
	if err != nil {
		writeText(w, http.StatusBadRequest, err.Error()+"\n")
		return
	}
	bp := s.bufs.Get().(*[]byte)
	b := s.appendMetrics((*bp)[:0], r, pos)
	write(w, http.StatusOK, TextFormat, b)
	*bp = b
	s.bufs.Put(bp)
}

// appendMetrics appends the exposition of region r (-1: all) at pos.
func (s *Server) appendMetrics(b []byte, r int, pos Position) []byte {
	t := pos.Time.UnixNano()
	for j, se := range s.series {
		b = append(b, s.help[j]...)
		for lo, hi := s.span(r); lo < hi; lo++ {
			st, v := s.value(lo, j, t)
			if st != present {
				continue
			}
			b = append(b, se.Name...)
			if s.hasRegion {
				b = append(b, s.label[lo]...)
			}
			b = append(b, ' ')
			b = appendFloat(b, v)
			b = append(b, '\n')
		}
	}
	b = append(b, "# HELP "+TraceTimeMetric+" The trace time being served, in Unix seconds.\n# TYPE "+TraceTimeMetric+" gauge\n"+TraceTimeMetric+" "...)
	b = appendFloat(b, unixSeconds(pos.Time))
	b = append(b, "\n# HELP "+FinishedMetric+" 1 once the trace has reached its last time and its last values hold, else 0.\n# TYPE "+FinishedMetric+" gauge\n"+FinishedMetric+" "...)
	if pos.Finished {
		b = append(b, "1\n"...)
	} else {
		b = append(b, "0\n"...)
	}
	return b
}

// span is the range of region indexes r selects (-1: all).
func (s *Server) span(r int) (int, int) {
	if r >= 0 {
		return r, r + 1
	}
	return 0, len(s.regions)
}

// json answers the values as a JSON object: flat for one region (or a
// trace without regions), by region under "regions" otherwise. A failed
// series or one without a value is null; NaN and ±Inf are the strings
// "NaN", "+Inf", "-Inf". KEDA v2.21's metrics-api scaler (format json,
// getValueFromJSONResponse) reads both as errors.
func (s *Server) json(w http.ResponseWriter, q url.Values, pos Position) {
	r, err := s.pick(q)
	if err != nil {
		b, _ := json.Marshal(struct {
			Error string `json:"error"`
		}{err.Error()})
		write(w, http.StatusBadRequest, contentJSON, append(b, '\n'))
		return
	}
	bp := s.bufs.Get().(*[]byte)
	b := s.appendJSON((*bp)[:0], r, pos)
	write(w, http.StatusOK, contentJSON, b)
	*bp = b
	s.bufs.Put(bp)
}

func (s *Server) appendJSON(b []byte, r int, pos Position) []byte {
	t := pos.Time.UnixNano()
	b = append(b, `{"time":"`...)
	b = pos.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","finished":`...)
	b = strconv.AppendBool(b, pos.Finished)
	values := func(b []byte, r int) []byte {
		for j := range s.series {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, s.jsonName[j]...)
			b = append(b, ':')
			switch st, v := s.value(r, j, t); {
			case st != present:
				b = append(b, "null"...)
			case math.IsNaN(v) || math.IsInf(v, 0):
				b = append(b, '"')
				b = appendFloat(b, v)
				b = append(b, '"')
			default:
				b = appendFloat(b, v)
			}
		}
		return b
	}
	switch {
	case !s.hasRegion:
		b = append(b, ',')
		b = values(b, 0)
	case r >= 0:
		b = append(b, `,"region":`...)
		b = append(b, s.jsonReg[r]...)
		b = append(b, ',')
		b = values(b, r)
	default:
		b = append(b, `,"regions":{`...)
		for i := range s.regions {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, s.jsonReg[i]...)
			b = append(b, ":{"...)
			b = values(b, i)
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	return append(b, "}\n"...)
}

// query answers a Prometheus instant query for one series, with an
// optional region matcher, at the server's trace time, in the shape KEDA
// v2.21's prometheus scaler parses (ExecutePromQuery in
// pkg/scalers/prometheus_scaler.go): a vector of the regions with a value
// (empty: 0 with ignoreNullValues), or 503 when one failed. The time
// parameter is ignored: KEDA sends its wall clock, which says nothing of
// where the trace is.
func (s *Server) query(w http.ResponseWriter, q url.Values, pos Position) {
	expr := q.Get("query")
	if strings.TrimSpace(expr) == "" {
		s.apiError(w, http.StatusBadRequest, "bad_data", "no query: give ?query=NAME or NAME{region=\"R\"}; "+s.supported())
		return
	}
	sel, err := parseSelector(expr)
	if err != nil {
		s.apiError(w, http.StatusBadRequest, "bad_data", fmt.Sprintf("unsupported query %q: %v; %s", expr, err, s.supported()))
		return
	}
	j := -1
	for i, se := range s.series {
		if se.Name == sel.name {
			j = i
		}
	}
	if j < 0 {
		s.apiError(w, http.StatusBadRequest, "bad_data", fmt.Sprintf("unknown series %q: %s", sel.name, s.supported()))
		return
	}
	r := -1
	if sel.hasRegion {
		if r, err = s.regionIndex(sel.region); err != nil {
			s.apiError(w, http.StatusBadRequest, "bad_data", err.Error())
			return
		}
	}
	if vs, ok := q["region"]; ok {
		p, err := s.regionIndex(vs[len(vs)-1])
		switch {
		case err != nil:
			s.apiError(w, http.StatusBadRequest, "bad_data", err.Error())
			return
		case r >= 0 && p != r:
			s.apiError(w, http.StatusBadRequest, "bad_data", fmt.Sprintf("the query selects region %q and ?region= region %q", sel.region, vs[len(vs)-1]))
			return
		}
		r = p
	}
	t := pos.Time.UnixNano()
	b := []byte(`{"status":"success","data":{"resultType":"vector","result":[`)
	n := 0
	for lo, hi := s.span(r); lo < hi; lo++ {
		st, v := s.value(lo, j, t)
		switch st {
		case failed:
			s.apiError(w, http.StatusServiceUnavailable, "unavailable", fmt.Sprintf("%s: the source failed at the trace time %s (the trace records a failed read until its next sample)", s.seriesLabel(j, lo), pos.Time.UTC().Format(time.RFC3339Nano)))
			return
		case noValue:
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = append(b, `{"metric":{"__name__":`...)
		b = append(b, s.jsonName[j]...)
		if s.hasRegion {
			b = append(b, `,"region":`...)
			b = append(b, s.jsonReg[lo]...)
		}
		b = append(b, `},"value":[`...)
		b = strconv.AppendFloat(b, float64(pos.Time.UnixMilli())/1000, 'f', -1, 64)
		b = append(b, `,"`...)
		b = appendFloat(b, v)
		b = append(b, `"]}`...)
	}
	b = append(b, "]}}\n"...)
	write(w, http.StatusOK, contentJSON, b)
}

// seriesLabel names series j in region r as a selector.
func (s *Server) seriesLabel(j, r int) string {
	if !s.hasRegion {
		return s.series[j].Name
	}
	return s.series[j].Name + `{region=` + strconv.Quote(s.regions[r]) + `}`
}

// supported says what the query endpoint answers.
func (s *Server) supported() string {
	names := make([]string, len(s.series))
	for i, se := range s.series {
		names[i] = se.Name
	}
	example := s.series[0].Name
	if s.hasRegion {
		example += `{region=` + strconv.Quote(s.regions[0]) + `}`
	}
	return fmt.Sprintf("replay serve answers a series name with an optional region matcher, e.g. %s; its series are %s", example, strings.Join(names, ", "))
}

// apiError answers a Prometheus API error.
func (s *Server) apiError(w http.ResponseWriter, status int, kind, msg string) {
	b, _ := json.Marshal(struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
	}{"error", kind, msg})
	write(w, status, contentJSON, append(b, '\n'))
}

// home lists the endpoints and series.
func (s *Server) home(w http.ResponseWriter, _ url.Values, pos Position) {
	var b strings.Builder
	fmt.Fprintf(&b, "replay serve: trace time %s", pos.Time.UTC().Format(time.RFC3339Nano))
	if pos.Finished {
		b.WriteString(" (finished: the last values hold)")
	}
	fmt.Fprintf(&b, "\nendpoints: %s (?region=R selects a region)\nseries:", endpoints)
	for _, se := range s.series {
		b.WriteString(" " + se.Name)
	}
	if s.hasRegion {
		b.WriteString("\nregions: " + strings.Join(s.regions, ", "))
	}
	b.WriteString("\n")
	writeText(w, http.StatusOK, b.String())
}

func writeText(w http.ResponseWriter, status int, msg string) {
	write(w, status, contentText, []byte(msg))
}

func write(w http.ResponseWriter, status int, contentType string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // the client went away; nothing to do
}

// appendFloat appends v as Prometheus and JSON read it: NaN, +Inf, -Inf,
// else the shortest decimal that reads back exactly, in exponent form
// only beyond 1e21 or below 1e-6 (as encoding/json writes numbers).
func appendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	}
	if a := math.Abs(v); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.AppendFloat(b, v, 'e', -1, 64)
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// unixSeconds is t in Unix seconds.
func unixSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// appendLabelValue escapes a label value of the text format: \\, \" and
// \n.
func appendLabelValue(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// escapeHelp escapes a HELP text: \\ and \n.
func escapeHelp(v string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(v)
}

// jsonString is s as a JSON string.
func jsonString(s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return q
}
