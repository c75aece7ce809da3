package replay

import (
	"io"
	"strconv"
	"time"

	"github.com/autoreplay/autoreplay/replay/trace"
)

// jsonTimeline is the TimelineWriter of NewJSONTimeline.
type jsonTimeline struct {
	out     bufWriter
	c       Columns
	rows    int
	reasons []string
}

// NewJSONTimeline returns a TimelineWriter of one JSON document to w,
// streamed as rows arrive, one row per line:
//
//	{"loop":"closed","series":["lag","cpu"],"actual":["lag"],"rows":[
//	{"time":"2024-05-01T10:00:15Z","region":"eu","replicas":4,"desired":6,"source":"hpa","ready":3,"recorded":null,"seen":{"lag":12.5,"cpu":"failed"},"actual":{"lag":12.5},"reasons":["ScaleUpLimit"]},
//	...
//	]}
//
// The rows are those of the CSV timeline: every HPA tick, and the KEDA polls
// that changed the replicas; Write returns nil for a poll that did not. The
// header holds loop (open or closed; the rows do not repeat it), series
// (Columns.Series) and actual (Columns.Actual). Every row object has the
// same keys in the same order, with the meanings of the CSV columns
// (NewCSVTimeline):
//
//	time      string, RFC 3339 in UTC with nanoseconds
//	region    string; "" without a region column
//	replicas  number: spec.replicas after the step
//	desired   number: the HPA's raw recommendation at an hpa row, the
//	          poll's target at a keda row; null at an hpa row whose HPA
//	          computed no metrics or refused them
//	source    "hpa" or "keda"
//	ready     number: the ready pods after the step
//	recorded  number, or null when the trace has no replicas column
//	seen      object: per series the step read, in Columns.Series order,
//	          the value: a number, the string "NaN", "+Inf" or "-Inf" (JSON
//	          has no such numbers), or the string "failed"; series without
//	          a value (stale, not sampled yet) or not read are left out
//	actual    object: per Columns.Actual series, in that order, a number
//	          (non-finite values as strings, as in seen)
//	reasons   array of reason names, the KEDA reasons then the HPA
//	          reasons, each in reason order; [] when there are none. The
//	          name BelowMinReplicas exists in both sets.
//
// Numbers are formatted as strconv.FormatFloat(v, 'g', -1, 64), so a JSON
// decoder into float64 gets the value back exactly. Series names are keys,
// so the document stays valid JSON for any name; a name repeated within
// Columns.Series would repeat a key.
func NewJSONTimeline(w io.Writer, c Columns) TimelineWriter {
	t := &jsonTimeline{out: bufWriter{w: w}, c: c}
	b := append(t.out.buf, `{"loop":`...)
	b = appendJSONString(b, c.Loop.String())
	b = appendJSONNames(append(b, `,"series":`...), c.Series)
	b = appendJSONNames(append(b, `,"actual":`...), c.Actual)
	t.out.buf = append(b, `,"rows":[`...)
	return t
}

func appendJSONNames(b []byte, names []string) []byte {
	b = append(b, '[')
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, n)
	}
	return append(b, ']')
}

func (t *jsonTimeline) Write(r *Row) error {
	if err := t.out.check(t.c, r); err != nil {
		return err
	}
	if !keepRow(r) {
		return nil
	}
	b := t.out.buf
	if t.rows > 0 {
		b = append(b, ',')
	}
	t.rows++
	b = append(b, "\n{\"time\":\""...)
	b = r.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","region":`...)
	b = appendJSONString(b, r.Region)
	b = append(b, `,"replicas":`...)
	b = strconv.AppendInt(b, int64(r.Desired), 10)
	b = append(b, `,"desired":`...)
	if d, ok := rowDesired(r); ok {
		b = strconv.AppendInt(b, int64(d), 10)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"source":"`...)
	b = append(b, sourceName(r.Event)...)
	b = append(b, `","ready":`...)
	b = strconv.AppendInt(b, int64(r.Ready), 10)
	b = append(b, `,"recorded":`...)
	if r.HasRecorded {
		b = strconv.AppendInt(b, int64(r.Recorded), 10)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"seen":{`...)
	n := 0
	for i, v := range r.Seen {
		if v.Status == trace.Absent {
			continue
		}
		if n++; n > 1 {
			b = append(b, ',')
		}
		b = append(appendJSONString(b, t.c.Series[i]), ':')
		if v.Status == trace.Failed {
			b = append(b, `"failed"`...)
		} else {
			b = appendJSONFloat(b, v.V)
		}
	}
	b = append(b, `},"actual":{`...)
	for i, v := range r.Actual {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendJSONString(b, t.c.Actual[i]), ':')
		b = appendJSONFloat(b, v)
	}
	b = append(b, `},"reasons":[`...)
	t.reasons = reasonNames(t.reasons[:0], r)
	for i, name := range t.reasons {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(append(b, '"'), name...), '"')
	}
	t.out.buf = append(b, "]}"...)
	return t.out.flushIfFull()
}

func (t *jsonTimeline) Close() error {
	if t.out.err == nil {
		if t.rows > 0 {
			t.out.buf = append(t.out.buf, '\n')
		}
		t.out.buf = append(t.out.buf, "]}\n"...)
	}
	return t.out.close()
}
