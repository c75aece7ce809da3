package trace

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// maxLine bounds the length of a CSV line, so that reading stays in bounded
// memory whatever the input.
const maxLine = 1 << 20

// CSVReader reads a trace in CSV. It implements Reader.
//
// The format:
//
//   - The first line that is not blank is the header. It names a "time"
//     column (required), optionally "region" and "replicas" columns, in any
//     order, and at least one metric series: every other column, in column
//     order (Header.Series). Names are unique and not empty.
//   - time: RFC 3339 with an uppercase T and Z, with or without fractional
//     seconds and with any offset (2024-01-01T00:00:10.5+02:00), or Unix
//     seconds with an optional fraction (1704067210.5); at most 9 fraction
//     digits, parsed exactly. Times are returned in UTC and must lie in the
//     range of int64 nanoseconds since 1970 (1677-09-21 to 2262-04-11).
//     Rows are in non-decreasing time order across the whole file.
//   - region: any string; an empty cell is the region "".
//   - replicas: an integer 0 to 2147483647, or an empty cell when the row
//     records no replica count.
//   - series: a number as strconv.ParseFloat reads it (NaN and ±Inf
//     included, out-of-range values are errors), or an empty cell when the
//     metric source failed (Status Failed). CSV cells are never Absent.
//
// Cells are separated by commas; spaces and tabs around a cell are trimmed.
// A cell may be quoted as in RFC 4180 ("eu, west", with "" for a quote
// inside); the text between the quotes is taken as it is. A quoted cell may
// not span lines. Lines end in LF or CRLF; a UTF-8 byte order mark at the
// start is skipped; blank lines (empty or only spaces and tabs) are skipped.
// Every row has as many cells as the header. Lines are at most 1 MiB.
//
// A ParseError's Line is the line in the file (1-based, blank lines
// counted) and its Column the 1-based byte offset in the line of the start
// of the offending cell (the byte after the preceding comma), counted after
// a byte order mark.
type CSVReader struct {
	file   string
	br     *bufio.Reader
	line   int    // number of the last line read
	long   []byte // a line longer than br's buffer
	cells  []cell
	layout layout
	ncols  int // cells in the header
	sample Sample
	order  order
	region interner
	err    error
}

// cell is a cell of the current line: text line[lo:hi] (unquoted and
// trimmed), starting at byte col (1-based).
type cell struct{ col, lo, hi int }

// NewCSVReader returns a reader of the CSV trace r; file names it in
// errors. It reads the header at once: a problem with it is reported by
// Err, and Header is then empty.
func NewCSVReader(file string, r io.Reader) *CSVReader {
	c := &CSVReader{file: file, br: bufio.NewReaderSize(r, 64<<10), region: interner{}}
	c.readHeader()
	return c
}

func (c *CSVReader) readHeader() {
	line, ok := c.next()
	if !ok {
		if c.err == nil {
			c.err = &ParseError{File: c.file, Err: errors.New("empty input (want a header line naming the columns)")}
		}
		return
	}
	names := make([]string, len(c.cells))
	for i, f := range c.cells {
		names[i] = string(line[f.lo:f.hi])
	}
	l, bad, err := newLayout(names)
	if err != nil {
		col := 0
		if bad >= 0 {
			col = c.cells[bad].col
		}
		c.err = c.errorf(col, "%w", err)
		return
	}
	c.layout, c.ncols = l, len(names)
	c.sample.Values = make([]Value, len(l.series))
}

// Header describes the columns.
func (c *CSVReader) Header() Header { return c.layout.header }

// Sample is the current row. It and its Values are reused by Scan.
func (c *CSVReader) Sample() *Sample { return &c.sample }

// Err is the first error met, nil at the end of the input.
func (c *CSVReader) Err() error { return c.err }

// Scan reads the next row.
func (c *CSVReader) Scan() bool {
	if c.err != nil {
		return false
	}
	line, ok := c.next()
	if !ok {
		return false
	}
	if err := c.parseRow(line); err != nil {
		c.err = err
		return false
	}
	return true
}

func (c *CSVReader) parseRow(line []byte) error {
	l, s := &c.layout, &c.sample
	if len(c.cells) != c.ncols {
		return c.errorf(0, "the row has %d cells, the header has %d", len(c.cells), c.ncols)
	}
	f := c.cells[l.time]
	ns, err := parseTime(line[f.lo:f.hi])
	if err != nil {
		return c.errorf(f.col, "time: %q %w", line[f.lo:f.hi], err)
	}
	if err := c.order.check(ns, c.line, "line"); err != nil {
		return c.errorf(f.col, "%w", err)
	}
	s.Time, s.Line = timeOf(ns), c.line
	if l.region >= 0 {
		f := c.cells[l.region]
		s.Region = c.region.get(line[f.lo:f.hi])
	}
	if l.replicas >= 0 {
		f := c.cells[l.replicas]
		s.Replicas, s.HasReplicas = 0, f.lo < f.hi
		if s.HasReplicas {
			var ok bool
			if s.Replicas, ok = parseReplicas(line[f.lo:f.hi]); !ok {
				return c.errorf(f.col, "replicas: %q is not a replica count (%s, or an empty cell when not recorded)", line[f.lo:f.hi], wantReplicas)
			}
		}
	}
	for i, col := range l.series {
		f := c.cells[col]
		if f.lo == f.hi {
			s.Values[i] = Value{Status: Failed}
			continue
		}
		v, err := parseNumber(line[f.lo:f.hi])
		if err != nil {
			if err == errNotNumber {
				return c.errorf(f.col, "%s: %q %w (want a decimal number, NaN, ±Inf, or an empty cell for a failed source)", l.header.Series[i], line[f.lo:f.hi], err)
			}
			return c.errorf(f.col, "%s: %q %w", l.header.Series[i], line[f.lo:f.hi], err)
		}
		s.Values[i] = Value{V: v, Status: Present}
	}
	return nil
}

func (c *CSVReader) errorf(col int, format string, args ...any) error {
	return &ParseError{File: c.file, Line: c.line, Column: col, Err: fmt.Errorf(format, args...)}
}

// next reads the next line that is not blank and splits it into c.cells.
// It returns false at the end of the input or on an error (c.err).
func (c *CSVReader) next() ([]byte, bool) {
	for {
		line, err := c.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			c.long = append(c.long[:0], line...)
			for err == bufio.ErrBufferFull && len(c.long) <= maxLine {
				line, err = c.br.ReadSlice('\n')
				c.long = append(c.long, line...)
			}
			line = c.long
			if len(line) > maxLine {
				c.line++
				c.err = c.errorf(0, "line longer than %d bytes", maxLine)
				return nil, false
			}
		}
		if err != nil && err != io.EOF {
			c.err = fmt.Errorf("%s: %w", c.file, err)
			return nil, false
		}
		if len(line) == 0 {
			return nil, false // io.EOF
		}
		c.line++
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if c.line == 1 {
			line = bytes.TrimPrefix(line, []byte("\ufeff"))
		}
		if len(trimSpace(line)) == 0 {
			if err == io.EOF {
				return nil, false
			}
			continue
		}
		if err := c.split(line); err != nil {
			c.err = err
			return nil, false
		}
		return line, true
	}
}

// split splits line into c.cells. Quoted cells are unescaped in place.
func (c *CSVReader) split(line []byte) error {
	c.cells = c.cells[:0]
	quoted := bytes.IndexByte(line, '"') >= 0
	for start := 0; ; {
		end := len(line)
		if i := bytes.IndexByte(line[start:], ','); i >= 0 {
			end = start + i
		}
		f := trimCell(line, start, end)
		if quoted {
			var err error
			if f, end, err = c.splitQuoted(line, start, end); err != nil {
				return err
			}
		}
		c.cells = append(c.cells, f)
		if end == len(line) {
			return nil
		}
		start = end + 1
	}
}

// splitQuoted handles the cell starting at start on a line holding quotes;
// end is the next comma or the end of the line. It returns the cell,
// trimmed, and the position of the comma or end of line after it.
func (c *CSVReader) splitQuoted(line []byte, start, end int) (cell, int, error) {
	f := trimCell(line, start, end)
	if f.lo == f.hi || line[f.lo] != '"' {
		if bytes.IndexByte(line[start:end], '"') >= 0 {
			return f, 0, c.errorf(f.col, `bare " in an unquoted cell (quote the whole cell and double the " inside)`)
		}
		return f, end, nil
	}
	p := f.lo
	// Unescape in place: w writes, i reads.
	w, i := p, p+1
	for {
		if i == len(line) {
			return f, 0, c.errorf(f.col, "quoted cell not closed on its line (quoted cells may not span lines)")
		}
		if line[i] == '"' {
			if i+1 < len(line) && line[i+1] == '"' {
				line[w], w, i = '"', w+1, i+2
				continue
			}
			i++
			break
		}
		line[w], w, i = line[i], w+1, i+1
	}
	f.lo, f.hi = p, w
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	if i < len(line) && line[i] != ',' {
		return f, 0, c.errorf(i+1, "%q after a quoted cell (want a comma or the end of the line)", line[i])
	}
	return f, i, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// trimCell returns the cell line[start:end] without surrounding spaces.
func trimCell(line []byte, start, end int) cell {
	f := cell{col: start + 1, lo: start, hi: end}
	for f.lo < f.hi && isSpace(line[f.lo]) {
		f.lo++
	}
	for f.hi > f.lo && isSpace(line[f.hi-1]) {
		f.hi--
	}
	return f
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// CSVWriter writes a trace in the CSV format CSVReader reads: the columns
// time (RFC 3339 in UTC with nanoseconds, timeFormat), region if
// Header.Region, replicas if Header.Replicas, then the series. Values are
// written as strconv.FormatFloat(v, 'g', -1, 64) (NaN, +Inf, -Inf), failed
// values as empty cells; cells are quoted when needed. Lines end in LF.
type CSVWriter struct {
	w      *bufio.Writer
	h      Header
	buf    []byte
	err    error // sticky: a bad header or a write error
	header bool  // the header line is written
}

// NewCSVWriter returns a writer of rows with header h to w. Call Flush at
// the end.
func NewCSVWriter(w io.Writer, h Header) *CSVWriter {
	c := &CSVWriter{w: bufio.NewWriterSize(w, 64<<10), h: h}
	if err := checkSeries(h.Series); err != nil {
		c.err = fmt.Errorf("csv: %w", err)
	}
	return c
}

// Write writes a row. It fails without writing when the row has a value
// the format cannot hold: an Absent value (CSV has no cell for it), a
// region with a line break, or a time out of range. Region is written only
// with Header.Region and Replicas only with Header.Replicas.
func (c *CSVWriter) Write(s *Sample) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	ns, err := checkSample(&c.h, s)
	if err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	b := timeOf(ns).AppendFormat(c.buf[:0], timeFormat)
	if c.h.Region {
		if b, err = appendCell(append(b, ','), s.Region); err != nil {
			return fmt.Errorf("csv: row at %s: region %w", s.Time.Format(timeFormat), err)
		}
	}
	if c.h.Replicas {
		b = append(b, ',')
		if s.HasReplicas {
			b = strconv.AppendInt(b, int64(s.Replicas), 10)
		}
	}
	for i, v := range s.Values {
		b = append(b, ',')
		switch v.Status {
		case Present:
			b = appendFloat(b, v.V)
		case Failed:
		default:
			return fmt.Errorf("csv: series %s at %s is %v; the CSV format has no cell for it", c.h.Series[i], s.Time.Format(timeFormat), v.Status)
		}
	}
	c.buf = append(b, '\n')
	return c.write(c.buf)
}

// Flush writes the header if no row was written, then any buffered data.
func (c *CSVWriter) Flush() error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	if err := c.w.Flush(); err != nil && c.err == nil {
		c.err = err
	}
	return c.err
}

func (c *CSVWriter) writeHeader() error {
	if c.header || c.err != nil {
		return c.err
	}
	c.header = true
	b := append(c.buf[:0], timeColumn...)
	if c.h.Region {
		b = append(b, ","+regionColumn...)
	}
	if c.h.Replicas {
		b = append(b, ","+replicasColumn...)
	}
	var err error
	for _, name := range c.h.Series {
		if b, err = appendCell(append(b, ','), name); err != nil {
			c.err = fmt.Errorf("csv: series name %w", err)
			return c.err
		}
	}
	c.buf = append(b, '\n')
	return c.write(c.buf)
}

func (c *CSVWriter) write(b []byte) error {
	if _, err := c.w.Write(b); err != nil {
		c.err = err
	}
	return c.err
}

// appendFloat formats v as CSVWriter does: +Inf with its sign.
func appendFloat(b []byte, v float64) []byte {
	if math.IsInf(v, 1) {
		return append(b, "+Inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendCell appends s, quoted if CSVReader would otherwise read it
// differently.
func appendCell(b []byte, s string) ([]byte, error) {
	if strings.IndexByte(s, '\n') >= 0 {
		return b, fmt.Errorf("%q has a line break, which a CSV cell cannot hold", s)
	}
	if s == "" || !strings.ContainsAny(s, ",\"\r") && !isSpace(s[0]) && !isSpace(s[len(s)-1]) {
		return append(b, s...), nil
	}
	b = append(b, '"')
	for i := range len(s) {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"'), nil
}
