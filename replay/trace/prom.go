package trace

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// PromOptions maps the series of a Prometheus range query result to the
// columns of a trace. Exactly one of Column and ColumnLabel is set.
type PromOptions struct {
	// Column names the one column every series goes to; the series then
	// differ by region (RegionLabel). "replicas" makes it the recorded
	// replicas column. Empty: the column comes from ColumnLabel.
	Column string
	// ColumnLabel is the label whose value names a series' column, e.g.
	// "topic" or "__name__"; a series without it is an error. A value of
	// "replicas" makes the series the recorded replicas column. Empty: all
	// series go to Column.
	ColumnLabel string
	// RegionLabel is the label whose value is a series' region; a series
	// without it is an error. Empty: the trace has no region column.
	RegionLabel string
}

// Validate reports whether exactly one of Column and ColumnLabel is set,
// and Column is not a reserved name.
func (o PromOptions) Validate() error {
	switch {
	case (o.Column == "") == (o.ColumnLabel == ""):
		return errors.New("set exactly one of PromOptions.Column and PromOptions.ColumnLabel")
	case o.Column == timeColumn || o.Column == regionColumn:
		return fmt.Errorf("PromOptions.Column %q is reserved for the %s column", o.Column, o.Column)
	}
	return nil
}

// PromReader reads the JSON response of Prometheus' /api/v1/query_range
// (resultType "matrix") as a trace. It implements Reader.
//
// It yields one row per distinct (time, region) of the points, in order of
// time then region name. Header.Series holds the distinct column names in
// sorted order (without "replicas"); a column whose series has no point at
// a row's time is Absent in that row (the replay holds the previous value
// until it is stale). Values are Present, with NaN and ±Inf as Prometheus
// writes them; Prometheus has no failed samples. Times are read exactly
// from the JSON number text (1704067210.123 is 123 ms). Replica values must
// be whole numbers 0 to 2147483647. Sample.Line is 0.
//
// It reads the whole response into memory: Prometheus limits a range query
// to 11,000 points per series. Every point is checked when the reader is
// created, so Scan does not fail. A ParseError has the line and column of a
// JSON syntax or type error; other errors name the series' labels and the
// point's index (0-based).
type PromReader struct {
	header  Header
	regions []string     // sorted
	series  []promSeries // sorted by column then region
	sample  Sample
}

type promSeries struct {
	Metric     map[string]string `json:"metric"`
	Values     []promPoint       `json:"values"`
	Histograms json.RawMessage   `json:"histograms"`
	name       string            // column name
	regionName string            // region name
	col        int               // index in Header.Series, -1 for replicas
	region     int               // index in PromReader.regions
	next       int               // next point of Values
}

type promPoint struct {
	ns  int64
	v   float64
	err error // what was wrong with the point, reported with its position
}

// NewPromReader reads the query_range response r; file names it in errors.
func NewPromReader(file string, r io.Reader, opt PromOptions) (*PromReader, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var head struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      *struct {
			ResultType string `json:"resultType"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, jsonError(file, data, err)
	}
	perr := func(format string, args ...any) error {
		return &ParseError{File: file, Err: fmt.Errorf(format, args...)}
	}
	switch {
	case head.Status == "error":
		return nil, perr("Prometheus returned an error: %s: %s", head.ErrorType, head.Error)
	case head.Status != "success":
		return nil, perr(`status %q (want "success"; is this a Prometheus API response?)`, head.Status)
	case head.Data == nil:
		return nil, perr(`no "data" in the response`)
	case head.Data.ResultType != "matrix":
		return nil, perr(`resultType %q (want "matrix", the result of a range query, /api/v1/query_range)`, head.Data.ResultType)
	}
	var body struct {
		Data struct {
			Result []promSeries `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &body); err != nil {
		return nil, jsonError(file, data, err)
	}
	p := &PromReader{series: body.Data.Result, header: Header{Region: opt.RegionLabel != ""}}
	if len(p.series) == 0 {
		return nil, perr("the result has no series (check the query)")
	}
	if err := p.index(opt); err != nil {
		return nil, &ParseError{File: file, Err: err}
	}
	p.sample.Values = make([]Value, len(p.header.Series))
	return p, nil
}

// index checks the series and their points and maps them to columns and
// regions.
func (p *PromReader) index(opt PromOptions) error {
	cols, regions := map[string]bool{}, map[string]bool{}
	for i := range p.series {
		s := &p.series[i]
		if s.Histograms != nil && string(s.Histograms) != "null" {
			return fmt.Errorf("series %s has native histogram samples (want float samples)", labels(s.Metric))
		}
		s.name = opt.Column
		if opt.ColumnLabel != "" {
			if s.name = s.Metric[opt.ColumnLabel]; s.name == "" {
				return fmt.Errorf("series %s has no label %s to name its column (PromOptions.ColumnLabel)", labels(s.Metric), opt.ColumnLabel)
			}
			if s.name == timeColumn || s.name == regionColumn {
				return fmt.Errorf("series %s: column name %q is reserved", labels(s.Metric), s.name)
			}
		}
		if opt.RegionLabel != "" {
			if s.regionName = s.Metric[opt.RegionLabel]; s.regionName == "" {
				return fmt.Errorf("series %s has no label %s to name its region (PromOptions.RegionLabel)", labels(s.Metric), opt.RegionLabel)
			}
		}
		if s.name == replicasColumn {
			p.header.Replicas = true
		} else if !cols[s.name] {
			cols[s.name] = true
			p.header.Series = append(p.header.Series, s.name)
		}
		if !regions[s.regionName] {
			regions[s.regionName] = true
			p.regions = append(p.regions, s.regionName)
		}
		if err := s.check(); err != nil {
			return err
		}
	}
	slices.Sort(p.header.Series)
	slices.Sort(p.regions)
	for i := range p.series {
		s := &p.series[i]
		s.region, _ = slices.BinarySearch(p.regions, s.regionName)
		s.col = -1
		if s.name != replicasColumn {
			s.col, _ = slices.BinarySearch(p.header.Series, s.name)
		}
	}
	slices.SortStableFunc(p.series, func(a, b promSeries) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return a.region - b.region
	})
	for i := 1; i < len(p.series); i++ {
		if a, b := &p.series[i-1], &p.series[i]; a.name == b.name && a.region == b.region {
			return fmt.Errorf("series %s and %s both map to column %q in region %q (aggregate them in the query, e.g. sum by (%s) (…))",
				labels(a.Metric), labels(b.Metric), a.name, p.regions[a.region], strings.Trim(opt.RegionLabel+", "+opt.ColumnLabel, ", "))
		}
	}
	return nil
}

// check checks the points of s: each parsed, times increasing, replica
// counts whole.
func (s *promSeries) check() error {
	for j, pt := range s.Values {
		err := pt.err
		switch {
		case err != nil:
		case j > 0 && pt.ns <= s.Values[j-1].ns:
			err = fmt.Errorf("time %s is not after the previous point's %s (want increasing times)",
				timeOf(pt.ns).Format(timeFormat), timeOf(s.Values[j-1].ns).Format(timeFormat))
		case s.name == replicasColumn:
			if _, ok := replicasOf(pt.v); !ok {
				err = fmt.Errorf("replicas %v is not a replica count (want a whole number 0 to 2147483647)", pt.v)
			}
		}
		if err != nil {
			return fmt.Errorf("series %s, point %d: %w", labels(s.Metric), j, err)
		}
	}
	return nil
}

// UnmarshalJSON reads a point, [<Unix seconds>, "<value>"]. A bad point is
// kept in p.err, to be reported with the series and the point's index.
func (p *promPoint) UnmarshalJSON(b []byte) error {
	p.err = p.parse(b)
	return nil
}

func (p *promPoint) parse(raw []byte) error {
	bad := func() error { return fmt.Errorf("%.40s is not a point (want [<Unix seconds>, \"<value>\"])", raw) }
	b := bytes.TrimSpace(raw)
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return bad()
	}
	ts, v, ok := bytes.Cut(b[1:len(b)-1], []byte(","))
	ts, v = bytes.TrimSpace(ts), bytes.TrimSpace(v)
	if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return bad()
	}
	if bytes.ContainsAny(v[1:len(v)-1], `"\`) {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return bad() // not one string, e.g. "1", "2"
		}
		v = []byte(s)
	} else {
		v = v[1 : len(v)-1]
	}
	var err error
	if p.ns, err = parseUnix(ts); err != nil {
		if err == errNotTime {
			return fmt.Errorf("time %.40s is not Unix seconds (want a decimal number, e.g. 1704067210.123)", ts)
		}
		return fmt.Errorf("time %s %w", ts, err)
	}
	if p.v, err = parseNumber(v); err != nil {
		if err == errNotNumber {
			return fmt.Errorf("value %q %w (want a decimal number, NaN or ±Inf)", v, err)
		}
		return fmt.Errorf("value %q %w", v, err)
	}
	return nil
}

// jsonError locates a JSON syntax or type error in data.
func jsonError(file string, data []byte, err error) error {
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
		want := map[reflect.Kind]string{reflect.Map: "an object", reflect.Struct: "an object", reflect.Slice: "an array", reflect.String: "a string"}[typ.Type.Kind()]
		err = fmt.Errorf("%s is a JSON %s (want %s)", typ.Field, typ.Value, want)
	}
	e := &ParseError{File: file, Err: err}
	if off >= 0 {
		off = min(max(off-1, 0), int64(len(data)))
		before := data[:off]
		e.Line = bytes.Count(before, []byte("\n")) + 1
		e.Column = int(off) - bytes.LastIndexByte(before, '\n')
	}
	return e
}

// labels formats a label set as Prometheus does: {a="1", b="2"}, sorted.
func labels(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + "=" + strconv.Quote(m[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// Header describes the columns.
func (p *PromReader) Header() Header { return p.header }

// Sample is the current row. It and its Values are reused by Scan.
func (p *PromReader) Sample() *Sample { return &p.sample }

// Err is nil: NewPromReader checks every point.
func (p *PromReader) Err() error { return nil }

// Scan moves to the next (time, region).
func (p *PromReader) Scan() bool {
	var head *promSeries
	for i := range p.series {
		s := &p.series[i]
		if s.next < len(s.Values) && (head == nil || before(s, head)) {
			head = s
		}
	}
	if head == nil {
		return false
	}
	ns, region := head.Values[head.next].ns, head.region
	smp := &p.sample
	smp.Time, smp.Region, smp.Replicas, smp.HasReplicas = timeOf(ns), p.regions[region], 0, false
	clear(smp.Values)
	for i := range p.series {
		s := &p.series[i]
		if s.next == len(s.Values) || s.Values[s.next].ns != ns || s.region != region {
			continue
		}
		v := s.Values[s.next].v
		s.next++
		if s.col < 0 {
			smp.Replicas, _ = replicasOf(v)
			smp.HasReplicas = true
		} else {
			smp.Values[s.col] = Value{V: v, Status: Present}
		}
	}
	return true
}

// before orders the next points of two series by time, then region.
func before(a, b *promSeries) bool {
	ta, tb := a.Values[a.next].ns, b.Values[b.next].ns
	return ta < tb || ta == tb && a.region < b.region
}
