package trace

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"
)

// parquetRowGroup is the number of rows of a row group ParquetWriter
// writes; it bounds the writer's memory.
const parquetRowGroup = 1 << 16

// parquetBatch is the number of rows ParquetReader decodes at a time.
const parquetBatch = 128

// conv says how to read a Parquet column.
type conv uint8

const (
	convInt32 conv = iota + 1
	convUint32
	convInt64
	convUint64
	convFloat
	convDouble
	convString
	convMillis  // INT64 TIMESTAMP(MILLIS)
	convMicros  // INT64 TIMESTAMP(MICROS)
	convNanos   // INT64 TIMESTAMP(NANOS)
	convSeconds // INT64 Unix seconds
)

// ParquetReader reads a trace in Parquet. It implements Reader.
//
// The file has one flat row of columns named as in CSV: "time" (required),
// "region" and "replicas" (optional), and the series, in file column order.
// Columns may be required or optional. The types read:
//
//   - time: INT64 TIMESTAMP(MILLIS), TIMESTAMP(MICROS) or TIMESTAMP(NANOS),
//     adjusted to UTC or not (both read as UTC); INT64 or DOUBLE Unix
//     seconds (a DOUBLE is read as its shortest decimal form, exactly); or
//     a STRING in RFC 3339 (or Unix seconds, as in CSV). Not null.
//   - region: STRING (or plain BYTE_ARRAY); null is the region "".
//   - replicas: INT32 or INT64 (signed or unsigned) 0 to 2147483647; null
//     when not recorded.
//   - series: DOUBLE, FLOAT, INT32 or INT64 (read as float64); null is
//     Failed.
//
// Rows are in non-decreasing time order. A ParseError's Line is the row
// number (1 is the first row) and Column the column's index + 1. The file
// is read a row group at a time, a few rows at a time, in bounded memory.
type ParquetReader struct {
	file   string
	groups []parquet.RowGroup
	rows   parquet.Rows // of groups[0], nil before it is opened
	buf    []parquet.Row
	n, i   int // rows in buf, next row of buf
	row    int // rows read
	layout layout
	convs  []conv // per column
	sample Sample
	order  order
	region interner
	digits []byte // a DOUBLE time in decimal
	err    error
}

// NewParquetReader returns a reader of the Parquet trace in r, of size
// bytes; file names it in errors. It reads the footer and checks the
// schema at once.
func NewParquetReader(file string, r io.ReaderAt, size int64) (pr *ParquetReader, err error) {
	defer recoverMalformed(file, &err)
	if err := checkFooter(r, size); err != nil {
		return nil, &ParseError{File: file, Err: fmt.Errorf("not a Parquet file: %w", err)}
	}
	f, err := parquet.OpenFile(r, size)
	if err != nil {
		return nil, &ParseError{File: file, Err: fmt.Errorf("not a Parquet file: %w", err)}
	}
	fields := f.Schema().Fields()
	names := make([]string, len(fields))
	for i, fl := range fields {
		names[i] = fl.Name()
	}
	l, bad, err := newLayout(names)
	if err != nil {
		return nil, &ParseError{File: file, Column: bad + 1, Err: err}
	}
	p := &ParquetReader{file: file, groups: f.RowGroups(), layout: l, region: interner{}}
	p.convs = make([]conv, len(fields))
	for i, fl := range fields {
		if p.convs[i], err = convOf(fl, i, &l); err != nil {
			return nil, &ParseError{File: file, Column: i + 1, Err: err}
		}
	}
	p.sample.Values = make([]Value, len(l.series))
	p.buf = make([]parquet.Row, parquetBatch)
	return p, nil
}

// checkFooter checks the magic bytes and the footer length of a Parquet
// file against its size: parquet.OpenFile allocates the declared length
// first.
func checkFooter(r io.ReaderAt, size int64) error {
	if size < 12 {
		return fmt.Errorf("%d bytes are too short for a Parquet file", size)
	}
	var head [4]byte
	var tail [8]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return err
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return err
	}
	if string(head[:]) != "PAR1" || string(tail[4:]) != "PAR1" {
		return errors.New(`it does not start and end with "PAR1" (encrypted files are not supported)`)
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-12 {
		return fmt.Errorf("footer of %d bytes declared in a file of %d bytes", n, size)
	}
	return nil
}

// convOf checks the type of column i and says how to read it.
func convOf(fl parquet.Field, i int, l *layout) (conv, error) {
	if !fl.Leaf() || fl.Repeated() {
		return 0, fmt.Errorf("column %q is a group or repeated (want a flat schema of required or optional columns)", fl.Name())
	}
	t := fl.Type()
	c := physicalConv(t.Kind())
	if lt := t.LogicalType(); lt != nil && lt.Value != nil {
		switch v := lt.Value.(type) {
		case *format.IntType:
			switch {
			case v.IsSigned:
			case c == convInt32:
				c = convUint32
			case c == convInt64:
				c = convUint64
			}
		case *format.StringType, *format.EnumType:
		case *format.TimestampType:
			c = 0
			switch v.Unit.Value.(type) {
			case *format.MilliSeconds:
				c = convMillis
			case *format.MicroSeconds:
				c = convMicros
			case *format.NanoSeconds:
				c = convNanos
			}
		default: // DECIMAL, DATE, JSON, …
			c = 0
		}
	}
	var want string
	switch i {
	case l.time:
		if c == convInt64 {
			c = convSeconds
		}
		if c == convSeconds || c == convDouble || c == convString || c >= convMillis {
			return c, nil
		}
		want = "TIMESTAMP(MILLIS|MICROS|NANOS), INT64 or DOUBLE Unix seconds, or an RFC 3339 STRING"
	case l.region:
		if c == convString {
			return c, nil
		}
		want = "STRING"
	case l.replicas:
		if c >= convInt32 && c <= convUint64 {
			return c, nil
		}
		want = "INT32 or INT64"
	default:
		if c >= convInt32 && c <= convDouble {
			return c, nil
		}
		want = "DOUBLE, FLOAT, INT32 or INT64"
	}
	return 0, fmt.Errorf("column %q is %s (want %s)", fl.Name(), t, want)
}

// physicalConv says how to read a physical type without a logical type.
func physicalConv(k parquet.Kind) conv {
	switch k {
	case parquet.Int32:
		return convInt32
	case parquet.Int64:
		return convInt64
	case parquet.Float:
		return convFloat
	case parquet.Double:
		return convDouble
	case parquet.ByteArray:
		return convString
	}
	return 0
}

// recoverMalformed turns a panic of the Parquet library on a malformed file
// into an error: bad input must not crash the program.
func recoverMalformed(file string, err *error) {
	if e := recover(); e != nil {
		*err = &ParseError{File: file, Err: fmt.Errorf("malformed Parquet file: %v", e)}
	}
}

// Header describes the columns.
func (p *ParquetReader) Header() Header { return p.layout.header }

// Sample is the current row. It and its Values are reused by Scan.
func (p *ParquetReader) Sample() *Sample { return &p.sample }

// Err is the first error met, nil at the end of the input.
func (p *ParquetReader) Err() error { return p.err }

// Scan reads the next row.
func (p *ParquetReader) Scan() bool {
	for p.err == nil && p.i == p.n {
		if len(p.groups) == 0 {
			return false
		}
		p.err = p.fill()
	}
	if p.err != nil {
		return false
	}
	p.row++
	if err := p.parseRow(p.buf[p.i]); err != nil {
		p.err = err
		return false
	}
	p.i++
	return true
}

// fill reads the next rows into p.buf, moving to the next row group at the
// end of one.
func (p *ParquetReader) fill() (err error) {
	defer recoverMalformed(p.file, &err)
	if p.rows == nil {
		p.rows = p.groups[0].Rows()
	}
	p.n, err = p.rows.ReadRows(p.buf)
	p.i = 0
	if err == io.EOF {
		err = p.rows.Close()
		p.rows, p.groups = nil, p.groups[1:]
	}
	if err != nil {
		return &ParseError{File: p.file, Line: p.row + 1, Err: fmt.Errorf("reading: %w", err)}
	}
	return nil
}

func (p *ParquetReader) parseRow(row parquet.Row) error {
	l, s := &p.layout, &p.sample
	if len(row) != len(p.convs) {
		return &ParseError{File: p.file, Line: p.row, Err: fmt.Errorf("row has %d values, the schema %d columns", len(row), len(p.convs))}
	}
	s.Line, s.Region, s.Replicas, s.HasReplicas = p.row, "", 0, false
	for i, v := range row {
		if err := p.parseValue(l, s, i, v); err != nil {
			return &ParseError{File: p.file, Line: p.row, Column: i + 1, Err: err}
		}
	}
	return nil
}

func (p *ParquetReader) parseValue(l *layout, s *Sample, i int, v parquet.Value) error {
	c := p.convs[i]
	switch i {
	case l.time:
		if v.IsNull() {
			return errors.New("time is null")
		}
		ns, err := p.parseTime(c, v)
		if err != nil {
			if c == convString {
				return fmt.Errorf("time: %q %w", v.ByteArray(), err)
			}
			return fmt.Errorf("time: %s %w", v, err)
		}
		if err := p.order.check(ns, p.row, "row"); err != nil {
			return err
		}
		s.Time = timeOf(ns)
	case l.region:
		if !v.IsNull() {
			s.Region = p.region.get(v.ByteArray())
		}
	case l.replicas:
		if v.IsNull() {
			return nil
		}
		var ok bool
		if s.Replicas, ok = replicasOf(number(c, v)); !ok {
			return fmt.Errorf("replicas: %s is not a replica count (%s, or null when not recorded)", v, wantReplicas)
		}
		s.HasReplicas = true
	default:
		k := p.seriesIndex(i)
		if v.IsNull() {
			s.Values[k] = Value{Status: Failed}
		} else {
			s.Values[k] = Value{V: number(c, v), Status: Present}
		}
	}
	return nil
}

// seriesIndex returns the index in Header.Series of column i.
func (p *ParquetReader) seriesIndex(i int) int {
	k := i
	for _, c := range [...]int{p.layout.time, p.layout.region, p.layout.replicas} {
		if c >= 0 && c < i {
			k--
		}
	}
	return k
}

func (p *ParquetReader) parseTime(c conv, v parquet.Value) (int64, error) {
	var perSec int64
	switch c {
	case convString:
		return parseTime(v.ByteArray())
	case convDouble:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, errNotTime
		}
		p.digits = strconv.AppendFloat(p.digits[:0], f, 'f', -1, 64)
		return parseUnix(p.digits)
	case convSeconds:
		perSec = 1
	case convMillis:
		perSec = 1e3
	case convMicros:
		perSec = 1e6
	case convNanos:
		return v.Int64(), nil
	}
	n := v.Int64()
	sec, rem := n/perSec, n%perSec
	if rem < 0 {
		sec, rem = sec-1, rem+perSec
	}
	ns, ok := nanos(sec, rem*(1e9/perSec))
	if !ok {
		return 0, errTimeRange
	}
	return ns, nil
}

// number returns a numeric Parquet value as a float64.
func number(c conv, v parquet.Value) float64 {
	switch c {
	case convInt32:
		return float64(v.Int32())
	case convUint32:
		return float64(v.Uint32())
	case convInt64:
		return float64(v.Int64())
	case convUint64:
		return float64(v.Uint64())
	case convFloat:
		return float64(v.Float())
	}
	return v.Double()
}

// ParquetWriter writes a trace in Parquet, in the schema
//
//	required int64 time (TIMESTAMP(isAdjustedToUTC=true,unit=NANOS));
//	required binary region (STRING);             // with Header.Region
//	optional int32 replicas (INT(32,true));      // with Header.Replicas; null: not recorded
//	optional double <series>;                    // per series; null: Failed
//
// compressed with Snappy, in row groups of 65536 rows (which bound its
// memory).
type ParquetWriter struct {
	w      *parquet.Writer
	h      Header
	rows   []parquet.Row // one row, reused
	region []byte
	err    error
}

// NewParquetWriter returns a writer of rows with header h to w. Call Close
// at the end.
func NewParquetWriter(w io.Writer, h Header) *ParquetWriter {
	p := &ParquetWriter{h: h, rows: make([]parquet.Row, 1)}
	if err := checkSeries(h.Series); err != nil {
		p.err = fmt.Errorf("parquet: %w", err)
		return p
	}
	var g orderedGroup
	add := func(name string, n parquet.Node) { g = append(g, &field{Node: n, name: name}) }
	add(timeColumn, parquet.Timestamp(parquet.Nanosecond))
	if h.Region {
		add(regionColumn, parquet.String())
	}
	if h.Replicas {
		add(replicasColumn, parquet.Optional(parquet.Int(32)))
	}
	for _, name := range h.Series {
		add(name, parquet.Optional(parquet.Leaf(parquet.DoubleType)))
	}
	p.w = parquet.NewWriter(w, parquet.NewSchema("trace", g),
		parquet.MaxRowsPerRowGroup(parquetRowGroup), parquet.Compression(&snappy.Codec{}))
	p.rows[0] = make(parquet.Row, 0, len(g))
	return p
}

// Write writes a row. It fails without writing when the row has a value
// the format cannot hold: an Absent value (a null is Failed) or a time out
// of range. Region is written only with Header.Region and Replicas only
// with Header.Replicas.
func (p *ParquetWriter) Write(s *Sample) error {
	if p.err != nil {
		return p.err
	}
	ns, err := checkSample(&p.h, s)
	if err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	row := append(p.rows[0][:0], parquet.Int64Value(ns).Level(0, 0, 0))
	if p.h.Region {
		p.region = append(p.region[:0], s.Region...)
		row = append(row, parquet.ByteArrayValue(p.region).Level(0, 0, len(row)))
	}
	if p.h.Replicas {
		v := parquet.NullValue().Level(0, 0, len(row))
		if s.HasReplicas {
			v = parquet.Int32Value(s.Replicas).Level(0, 1, len(row))
		}
		row = append(row, v)
	}
	for i, v := range s.Values {
		switch v.Status {
		case Present:
			row = append(row, parquet.DoubleValue(v.V).Level(0, 1, len(row)))
		case Failed:
			row = append(row, parquet.NullValue().Level(0, 0, len(row)))
		default:
			return fmt.Errorf("parquet: series %s at %s is %v; the Parquet format has no value for it", p.h.Series[i], s.Time.Format(timeFormat), v.Status)
		}
	}
	p.rows[0] = row
	if _, err := p.w.WriteRows(p.rows); err != nil {
		p.err = fmt.Errorf("parquet: %w", err)
	}
	return p.err
}

// Close writes the buffered rows and the footer. It does not close the
// underlying writer.
func (p *ParquetWriter) Close() error {
	if p.err != nil || p.w == nil {
		return p.err
	}
	if err := p.w.Close(); err != nil {
		p.err = fmt.Errorf("parquet: %w", err)
		return p.err
	}
	p.err = errors.New("parquet: write after Close")
	return nil
}

// orderedGroup is a Parquet group node whose fields keep their order
// (parquet.Group sorts them by name).
type orderedGroup []parquet.Field

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) String() string              { return parquet.NewSchema("", g).String() }
func (g orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Fields() []parquet.Field     { return g }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }

// GoType is not used: rows are written as parquet.Row, not Go values.
func (g orderedGroup) GoType() reflect.Type { return reflect.TypeFor[struct{}]() }

// field is a named node of an orderedGroup.
type field struct {
	parquet.Node
	name string
}

func (f *field) Name() string { return f.name }

// Value is not used: rows are written as parquet.Row, not Go values.
func (f *field) Value(reflect.Value) reflect.Value { return reflect.Value{} }
