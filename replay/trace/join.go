package trace

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Join merges time-ordered readers into one, an outer join on time and
// region. Its Header.Series is the concatenation of the inputs' series (a
// series name in two inputs is an error); it has a region column if any
// input has one and a replicas column if one input has one (two are an
// error).
//
// Rows of different inputs with equal time and region combine into one
// row; an input without a row at that time and region contributes Absent
// values (and no replicas). An input without a region column has rows of
// the region "". Rows come in order of time, then region name; rows of
// one input with equal time and region stay separate rows, in their input
// order, each combined with the next unused row of the other inputs.
// Sample.Line is the line of the first input (in argument order)
// contributing to the row. Errors of the inputs are returned as they are.
//
// Join buffers the rows of each input that share one time, so its memory
// is bounded by the number of regions.
func Join(readers ...Reader) (Reader, error) {
	if len(readers) == 0 {
		return nil, errors.New("join: no readers")
	}
	j := &joinReader{inputs: make([]joinInput, len(readers)), replicas: -1}
	seen := map[string]int{}
	for i, r := range readers {
		if err := r.Err(); err != nil {
			return nil, err
		}
		h := r.Header()
		j.inputs[i] = joinInput{r: r, off: len(j.header.Series), n: len(h.Series)}
		for _, name := range h.Series {
			if k, ok := seen[name]; ok {
				return nil, fmt.Errorf("join: series %q is in inputs %d and %d", name, k+1, i+1)
			}
			seen[name] = i
		}
		j.header.Series = append(j.header.Series, h.Series...)
		j.header.Region = j.header.Region || h.Region
		if h.Replicas {
			if j.replicas >= 0 {
				return nil, fmt.Errorf("join: inputs %d and %d both have a replicas column", j.replicas+1, i+1)
			}
			j.replicas, j.header.Replicas = i, true
		}
	}
	j.sample.Values = make([]Value, len(j.header.Series))
	return j, nil
}

type joinReader struct {
	inputs   []joinInput
	header   Header
	replicas int       // the input with replicas, or -1
	time     time.Time // time of the buffered rows
	sample   Sample
	started  bool
	err      error
}

type joinInput struct {
	r       Reader
	off, n  int      // the input's values in Sample.Values
	pending bool     // r.Sample() is a row not yet in rows
	err     error    // r's error, returned after the rows before it
	rows    []Sample // the input's rows at joinReader.time, sorted by region
	used    int      // rows in use
	next    int      // next row of rows
}

// Header describes the joined columns.
func (j *joinReader) Header() Header { return j.header }

// Sample is the current row. It and its Values are reused by Scan.
func (j *joinReader) Sample() *Sample { return &j.sample }

// Err is the first error of an input, or of the join.
func (j *joinReader) Err() error { return j.err }

// Scan moves to the next (time, region).
func (j *joinReader) Scan() bool {
	if j.err != nil {
		return false
	}
	if !j.started {
		j.started = true
		for i := range j.inputs {
			j.inputs[i].advance()
		}
	}
	for {
		region, ok := j.nextRegion()
		if ok {
			j.combine(region)
			return true
		}
		if !j.load() {
			return false
		}
	}
}

// nextRegion returns the least region among the buffered rows.
func (j *joinReader) nextRegion() (string, bool) {
	var region string
	ok := false
	for i := range j.inputs {
		in := &j.inputs[i]
		if in.next < in.used && (!ok || in.rows[in.next].Region < region) {
			region, ok = in.rows[in.next].Region, true
		}
	}
	return region, ok
}

// combine makes the row of region from the buffered rows.
func (j *joinReader) combine(region string) {
	s := &j.sample
	s.Time, s.Region, s.Replicas, s.HasReplicas, s.Line = j.time, region, 0, false, 0
	for i := range j.inputs {
		in := &j.inputs[i]
		vs := s.Values[in.off : in.off+in.n]
		if in.next == in.used || in.rows[in.next].Region != region {
			clear(vs)
			continue
		}
		row := &in.rows[in.next]
		in.next++
		copy(vs, row.Values)
		if s.Line == 0 {
			s.Line = row.Line
		}
		if i == j.replicas {
			s.Replicas, s.HasReplicas = row.Replicas, row.HasReplicas
		}
	}
}

// load buffers the rows at the next time. It returns false at the end of
// all inputs or on an error.
func (j *joinReader) load() bool {
	first := true
	for i := range j.inputs {
		in := &j.inputs[i]
		if in.err != nil {
			j.err = in.err
			return false
		}
		in.used, in.next = 0, 0
		if in.pending && (first || in.r.Sample().Time.Before(j.time)) {
			j.time, first = in.r.Sample().Time, false
		}
	}
	if first {
		return false
	}
	for i := range j.inputs {
		in := &j.inputs[i]
		for in.pending && in.r.Sample().Time.Equal(j.time) {
			if in.used == len(in.rows) {
				in.rows = append(in.rows, Sample{})
			}
			s := in.r.Sample()
			if len(s.Values) != in.n {
				j.err = fmt.Errorf("join: input %d has a row of %d values, its header %d series", i+1, len(s.Values), in.n)
				return false
			}
			vs := append(in.rows[in.used].Values[:0], s.Values...)
			in.rows[in.used] = *s
			in.rows[in.used].Values = vs
			in.used++
			in.advance()
			if in.pending && in.r.Sample().Time.Before(j.time) {
				j.err = fmt.Errorf("join: input %d: time %s is before %s (want inputs sorted by time)",
					i+1, in.r.Sample().Time.Format(timeFormat), j.time.Format(timeFormat))
				return false
			}
		}
		slices.SortStableFunc(in.rows[:in.used], func(a, b Sample) int { return strings.Compare(a.Region, b.Region) })
	}
	return true
}

// advance reads the input's next row.
func (in *joinInput) advance() {
	if in.pending = in.r.Scan(); !in.pending {
		in.err = in.r.Err()
	}
}
