package replay

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/keda"
	"github.com/autoreplay/autoreplay/replay/trace"
)

// TimelineWriter writes a timeline, one Row at a time, in a file format.
// The writers in this package are NewCSVTimeline, NewJSONTimeline and
// NewParquetTimeline; all write the same columns, keep the same rows (every
// HPA tick, and the KEDA polls that changed the replicas) and are
// deterministic: the same rows give the same bytes.
type TimelineWriter interface {
	// Write writes one row, or nothing for a KEDA poll that did not
	// change the replicas (Event KEDAPoll, Rescale false). Rows must have
	// one Seen value per Columns.Series and one Actual value per
	// Columns.Actual. The writer does not keep r.
	Write(r *Row) error
	// Close flushes the buffered rows and finishes the format (a CSV
	// header when no row was written, the closing brackets of JSON, the
	// Parquet footer). It does not close the underlying io.Writer.
	Close() error
}

// csvTimeline is the TimelineWriter of NewCSVTimeline.
type csvTimeline struct {
	out     bufWriter
	c       Columns
	header  bool
	reasons []string
}

// NewCSVTimeline returns a TimelineWriter of CSV (RFC 4180, "\n" line ends,
// quoted as encoding/csv quotes) to w: a header line, then one line per HPA
// tick and one per KEDA poll that changed the replicas; a poll that did not
// is left out (Write returns nil). The columns, all always present and in
// this order, are:
//
//	time        the step's time, RFC 3339 in UTC with nanoseconds
//	            (time.RFC3339Nano: trailing zeros of the fraction dropped)
//	region      the row's region; empty without a region column
//	replicas    spec.replicas after the step (Row.Desired); whether the
//	            step rescaled shows against the region's previous row
//	desired     what the metrics asked for: at an hpa row the HPA's raw
//	            recommendation before stabilization, rate limits and
//	            bounds (Row.Recommendation), empty when the HPA computed no
//	            metrics or refused them (FailedComputeMetricsReplicas); at
//	            a keda row the poll's target (Row.Desired)
//	source      hpa (an HPA reconcile) or keda (a KEDA poll)
//	loop        open or closed (Columns.Loop)
//	ready       the ready pods after the step (Row.Ready)
//	recorded    the replicas the trace recorded (sample and hold); empty
//	            when the trace has no replicas column
//	<series>    one column per Columns.Series, named as the series: the
//	            value the controller read, as strconv.FormatFloat(v, 'g',
//	            -1, 64) (NaN, +Inf and -Inf spelled so); "failed" when the
//	            source failed; empty when the series had no value (stale,
//	            not sampled yet) or the step did not read it
//	actual:<s>  one column per Columns.Actual: the closed-loop workload's
//	            metric before the pipeline, formatted as above
//	reasons     the decision's reasons, KEDA's then the HPA's, joined by
//	            '+' (Row.Reasons); empty when there are none
//
// A column name that appears twice (a series named like a fixed column, or
// a series named "actual:x" next to an actual series x) is an error, returned
// by Write and Close. Rows are buffered; Close writes the rest.
func NewCSVTimeline(w io.Writer, c Columns) TimelineWriter {
	t := &csvTimeline{out: bufWriter{w: w}, c: c}
	_, t.out.err = timelineColumns(c)
	return t
}

func (t *csvTimeline) writeHeader() {
	names, _ := timelineColumns(t.c)
	b := t.out.buf
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, n)
	}
	t.out.buf = append(b, '\n')
	t.header = true
}

func (t *csvTimeline) Write(r *Row) error {
	if err := t.out.check(t.c, r); err != nil {
		return err
	}
	if !keepRow(r) {
		return nil
	}
	if !t.header {
		t.writeHeader()
	}
	b := r.Time.UTC().AppendFormat(t.out.buf, time.RFC3339Nano)
	b = append(b, ',')
	b = appendCSVField(b, r.Region)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.Desired), 10)
	b = append(b, ',')
	if d, ok := rowDesired(r); ok {
		b = strconv.AppendInt(b, int64(d), 10)
	}
	b = append(b, ',')
	b = append(b, sourceName(r.Event)...)
	b = append(b, ',')
	b = append(b, t.c.Loop.String()...)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.Ready), 10)
	b = append(b, ',')
	if r.HasRecorded {
		b = strconv.AppendInt(b, int64(r.Recorded), 10)
	}
	for _, v := range r.Seen {
		b = append(b, ',')
		switch v.Status {
		case trace.Absent:
		case trace.Failed:
			b = append(b, "failed"...)
		default:
			b = strconv.AppendFloat(b, v.V, 'g', -1, 64)
		}
	}
	for _, v := range r.Actual {
		b = append(b, ',')
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	b = append(b, ',')
	t.reasons = reasonNames(t.reasons[:0], r)
	for i, n := range t.reasons {
		if i > 0 {
			b = append(b, '+')
		}
		b = append(b, n...)
	}
	t.out.buf = append(b, '\n')
	return t.out.flushIfFull()
}

func (t *csvTimeline) Close() error {
	if t.out.err == nil && !t.header {
		t.writeHeader()
	}
	return t.out.close()
}

// The helpers below are shared by the three timeline writers.

// errTimelineClosed is returned by Write and Close after Close.
var errTimelineClosed = errors.New("timeline: writer is closed")

// bufWriter buffers output in buf and writes it to w in large pieces. err is
// sticky: after the first error every call returns it.
type bufWriter struct {
	w      io.Writer
	buf    []byte
	err    error
	closed bool
}

// flushSize is the buffered size at which bufWriter writes to w.
const flushSize = 64 << 10

// check returns the writer's error, or an error when r does not fit c.
func (b *bufWriter) check(c Columns, r *Row) error {
	if b.err != nil {
		return b.err
	}
	return checkRow(c, r)
}

func (b *bufWriter) flushIfFull() error {
	if len(b.buf) >= flushSize {
		b.flush()
	}
	return b.err
}

func (b *bufWriter) flush() {
	if b.err == nil && len(b.buf) > 0 {
		_, b.err = b.w.Write(b.buf)
		b.buf = b.buf[:0]
	}
}

// close flushes and makes later calls fail.
func (b *bufWriter) close() error {
	if b.closed {
		return errTimelineClosed
	}
	b.flush()
	b.closed = true
	err := b.err
	if b.err == nil {
		b.err = errTimelineClosed
	}
	b.buf = nil
	return err
}

// keepRow reports whether the timeline writers write r: every HPA tick, and
// a KEDA poll only when it changed the replicas.
func keepRow(r *Row) bool {
	return r.Event != KEDAPoll || r.Rescale
}

// sourceName is the source column of a row of event e: hpa or keda.
func sourceName(e Event) string {
	switch e {
	case HPATick:
		return "hpa"
	case KEDAPoll:
		return "keda"
	}
	return e.String()
}

// rowDesired is the desired column of r, when it has one: at a KEDA poll
// the poll's target, else the HPA's raw recommendation when it computed
// one. An HPA that refused its metrics (every metric failed, or some failed
// and the rest would scale down) has none: its Recommendation is 0.
func rowDesired(r *Row) (int32, bool) {
	if r.Event == KEDAPoll {
		return r.Desired, true
	}
	if r.HPAReasons.Has(hpa.ReasonFailedComputeMetricsReplicas) {
		return 0, false
	}
	return r.Recommendation, r.HasRecommendation
}

// checkRow reports a row whose values do not match the columns.
func checkRow(c Columns, r *Row) error {
	if len(r.Seen) != len(c.Series) || len(r.Actual) != len(c.Actual) {
		return fmt.Errorf("timeline: row at %s has %d seen and %d actual values for %d series and %d actual series",
			r.Time.UTC().Format(time.RFC3339Nano), len(r.Seen), len(r.Actual), len(c.Series), len(c.Actual))
	}
	return nil
}

// timelineColumns returns the column names of the CSV and Parquet
// timelines, or an error when a name is empty or repeated.
func timelineColumns(c Columns) ([]string, error) {
	names := []string{"time", "region", "replicas", "desired", "source", "loop", "ready", "recorded"}
	names = append(names, c.Series...)
	for _, s := range c.Actual {
		names = append(names, "actual:"+s)
	}
	names = append(names, "reasons")
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		switch {
		case n == "":
			return nil, errors.New("timeline: a series has an empty name")
		case seen[n]:
			return nil, fmt.Errorf("timeline: column %q appears twice (a series named like a timeline column?)", n)
		}
		seen[n] = true
	}
	return names, nil
}

// reasonNames appends the names of r's reasons to dst: the KEDA reasons,
// then the HPA reasons, each in reason order, as Row.Reasons joins them. It
// does not allocate beyond growing dst.
func reasonNames(dst []string, r *Row) []string {
	for s := uint32(r.KEDAReasons); s != 0; s &= s - 1 {
		dst = append(dst, keda.Reason(bits.TrailingZeros32(s)).String())
	}
	for s := uint32(r.HPAReasons); s != 0; s &= s - 1 {
		dst = append(dst, hpa.Reason(bits.TrailingZeros32(s)).String())
	}
	return dst
}

// appendCSVField appends s quoted as encoding/csv.Writer quotes a field.
func appendCSVField(b []byte, s string) []byte {
	if !csvNeedsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// csvNeedsQuotes mirrors encoding/csv's fieldNeedsQuotes with Comma ','.
func csvNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` || strings.ContainsAny(s, ",\"\r\n") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

// appendJSONFloat appends v as a JSON number, or as the string "NaN",
// "+Inf" or "-Inf" when it is not finite.
func appendJSONFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		b = append(b, '"')
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
		return append(b, '"')
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, so the output is always valid JSON.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}
