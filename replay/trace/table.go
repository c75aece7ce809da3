package trace

import (
	"slices"
	"strings"
)

// Table is a trace held in memory, to be replayed many times: read once with
// ReadAll, then read back with Reader by as many replays as needed, at the
// same time if they like. Its samples must not be modified once it is
// shared.
type Table struct {
	Header  Header
	Samples []Sample
}

// ReadAll reads r to the end into a Table. The samples' values share one
// backing array.
func ReadAll(r Reader) (*Table, error) {
	t := &Table{Header: r.Header()}
	n := len(t.Header.Series)
	var vals []Value
	for r.Scan() {
		s := *r.Sample()
		if len(vals)+n > cap(vals) {
			vals = make([]Value, 0, max(4096, 2*cap(vals)))
		}
		off := len(vals)
		vals = append(vals, s.Values...)
		s.Values = vals[off : off+len(s.Values) : off+len(s.Values)]
		t.Samples = append(t.Samples, s)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	t.Header.Series = slices.Clone(t.Header.Series)
	return t, nil
}

// Reader returns a Reader of the table's samples, from the first. The
// samples it returns are the table's own: they must not be modified.
func (t *Table) Reader() Reader { return &tableReader{t: t} }

// Regions splits the table by region: one table per region, sorted by
// name, sharing the samples' values with t. A table without a region column
// is returned whole.
func (t *Table) Regions() []*Table {
	if !t.Header.Region {
		return []*Table{t}
	}
	byName := map[string]*Table{}
	var names []string
	for _, s := range t.Samples {
		g := byName[s.Region]
		if g == nil {
			g = &Table{Header: t.Header}
			byName[s.Region] = g
			names = append(names, s.Region)
		}
		g.Samples = append(g.Samples, s)
	}
	slices.SortFunc(names, strings.Compare)
	out := make([]*Table, len(names))
	for i, name := range names {
		out[i] = byName[name]
	}
	return out
}

type tableReader struct {
	t *Table
	i int
}

func (r *tableReader) Header() Header  { return r.t.Header }
func (r *tableReader) Sample() *Sample { return &r.t.Samples[r.i-1] }
func (r *tableReader) Err() error      { return nil }

func (r *tableReader) Scan() bool {
	if r.i >= len(r.t.Samples) {
		return false
	}
	r.i++
	return true
}
