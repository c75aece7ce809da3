package replay

import (
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/autoreplay/autoreplay/replay/trace"
)

// ParquetRowGroupRows is the most rows a Parquet timeline buffers before it
// writes them out as a row group; it bounds the writer's memory.
const ParquetRowGroupRows = 1 << 16

// parquetTimeline is the TimelineWriter of NewParquetTimeline.
type parquetTimeline struct {
	c       Columns
	w       *parquet.Writer
	err     error
	closed  bool
	loop    []byte
	rows    []parquet.Row
	scratch []byte
	reasons []string
}

// NewParquetTimeline returns a TimelineWriter of a Parquet file to w, with
// the rows of NewCSVTimeline (every HPA tick, and the KEDA polls that
// changed the replicas; Write returns nil for a poll that did not) and its
// columns in the same order, typed:
//
//	time        INT64 TIMESTAMP(NANOS, UTC); a row outside 1677-09-21 to
//	            2262-04-11, which the type cannot hold, is an error
//	region      STRING; "" without a region column
//	replicas    INT32: spec.replicas after the step
//	desired     optional INT32: the HPA's raw recommendation at an hpa
//	            row, the poll's target at a keda row; null at an hpa row
//	            whose HPA computed no metrics or refused them
//	source      STRING: hpa or keda
//	loop        STRING: open or closed
//	ready       INT32: the ready pods after the step
//	recorded    optional INT32: null when the trace has no replicas column
//	<series>    optional DOUBLE per Columns.Series: the value the controller
//	            read (NaN and ±Inf as such); null when the step did not
//	            read the series and when the source failed (the reasons,
//	            e.g. TriggerError or InvalidMetric, tell failures)
//	actual:<s>  DOUBLE per Columns.Actual
//	reasons     STRING, as in the CSV: names joined by '+'
//
// The string columns are dictionary encoded, pages Snappy compressed. The
// writer buffers at most ParquetRowGroupRows rows, then writes a row group.
// Repeated or empty column names are an error, returned by Write and Close.
func NewParquetTimeline(w io.Writer, c Columns) TimelineWriter {
	t := &parquetTimeline{c: c, loop: []byte(c.Loop.String()), rows: make([]parquet.Row, 1)}
	names, err := timelineColumns(c)
	if err != nil {
		t.err = err
		return t
	}
	str := parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
	i32, f64 := parquet.Int(32), parquet.Leaf(parquet.DoubleType)
	nodes := []parquet.Node{
		parquet.Timestamp(parquet.Nanosecond), str, i32, parquet.Optional(i32), str, str, i32,
		parquet.Optional(i32),
	}
	for range c.Series {
		nodes = append(nodes, parquet.Optional(f64))
	}
	for range c.Actual {
		nodes = append(nodes, f64)
	}
	nodes = append(nodes, str)
	g := orderedGroup{Group: parquet.Group{}, order: names}
	for i, n := range names {
		g.Group[n] = nodes[i]
	}
	cfg, err := parquet.NewWriterConfig(
		parquet.NewSchema("timeline", g),
		parquet.Compression(&parquet.Snappy),
		parquet.MaxRowsPerRowGroup(ParquetRowGroupRows),
	)
	if err != nil {
		t.err = err
		return t
	}
	t.w = parquet.NewWriter(w, cfg)
	return t
}

// orderedGroup is a parquet.Group whose fields come in the order of order
// rather than sorted by name.
type orderedGroup struct {
	parquet.Group
	order []string
}

func (g orderedGroup) Fields() []parquet.Field {
	fields := g.Group.Fields()
	slices.SortFunc(fields, func(a, b parquet.Field) int {
		return slices.Index(g.order, a.Name()) - slices.Index(g.order, b.Name())
	})
	return fields
}

func (t *parquetTimeline) Write(r *Row) error {
	if t.err != nil {
		return t.err
	}
	if err := checkRow(t.c, r); err != nil {
		return err
	}
	if !keepRow(r) {
		return nil
	}
	if r.Time.Before(time.Unix(0, math.MinInt64)) || r.Time.After(time.Unix(0, math.MaxInt64)) {
		return fmt.Errorf("timeline: row at %s: Parquet timestamps in nanoseconds end in 1677 and 2262",
			r.Time.UTC().Format(time.RFC3339Nano))
	}
	// The region, the source and the reasons share scratch; slice it once
	// all are in.
	s := append(t.scratch[:0], r.Region...)
	nr := len(s)
	s = append(s, sourceName(r.Event)...)
	ne := len(s)
	t.reasons = reasonNames(t.reasons[:0], r)
	for i, n := range t.reasons {
		if i > 0 {
			s = append(s, '+')
		}
		s = append(s, n...)
	}
	t.scratch = s

	row := t.rows[0][:0]
	add := func(v parquet.Value, def int) {
		row = append(row, v.Level(0, def, len(row)))
	}
	add(parquet.Int64Value(r.Time.UnixNano()), 0)
	add(parquet.ByteArrayValue(s[:nr]), 0)
	add(parquet.Int32Value(r.Desired), 0)
	if d, ok := rowDesired(r); ok {
		add(parquet.Int32Value(d), 1)
	} else {
		add(parquet.NullValue(), 0)
	}
	add(parquet.ByteArrayValue(s[nr:ne]), 0)
	add(parquet.ByteArrayValue(t.loop), 0)
	add(parquet.Int32Value(r.Ready), 0)
	if r.HasRecorded {
		add(parquet.Int32Value(r.Recorded), 1)
	} else {
		add(parquet.NullValue(), 0)
	}
	for _, v := range r.Seen {
		if v.Status == trace.Absent || v.Status == trace.Failed {
			add(parquet.NullValue(), 0)
		} else {
			add(parquet.DoubleValue(v.V), 1)
		}
	}
	for _, v := range r.Actual {
		add(parquet.DoubleValue(v), 0)
	}
	add(parquet.ByteArrayValue(s[ne:]), 0)
	t.rows[0] = row
	if _, err := t.w.WriteRows(t.rows); err != nil {
		t.err = err
	}
	return t.err
}

func (t *parquetTimeline) Close() error {
	if t.closed {
		return errTimelineClosed
	}
	t.closed = true
	err := t.err
	if err == nil {
		err = t.w.Close()
	}
	t.err = errTimelineClosed
	return err
}
