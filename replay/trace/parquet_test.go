package trace

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
)

func TestParquetRoundTrip(t *testing.T) {
	h := Header{Series: []string{"lag", "a,b", "cpu"}, Region: true, Replicas: true}
	var want []Sample
	for i := range parquetRowGroup + 10 { // two row groups
		s := Sample{Time: at(time.Duration(i/2)*10*time.Second + 7), Region: []string{"eu-west", "us-east"}[i%2],
			Values: []Value{present(float64(i)), failed, present(0.5)}, Line: i + 1}
		if i%3 == 0 {
			s.Replicas, s.HasReplicas = int32(i%7), true
		}
		want = append(want, s)
	}
	want[1].Values = []Value{present(math.NaN()), present(math.Inf(1)), present(math.Inf(-1))}
	want[2].Values = []Value{present(math.Copysign(0, -1)), present(math.MaxFloat64), present(math.SmallestNonzeroFloat64)}
	want[3].Region = ""
	var b bytes.Buffer
	w := NewParquetWriter(&b, h)
	for i := range want {
		if err := w.Write(&want[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := NewParquetReader("in.parquet", bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(h, r.Header()); diff != "" {
		t.Errorf("Header mismatch (-want +got):\n%s", diff)
	}
	got, err := readAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, sampleCmp); diff != "" {
		t.Errorf("samples mismatch (-want +got):\n%s", diff)
	}
}

func TestParquetWriterErrors(t *testing.T) {
	h := Header{Series: []string{"lag"}}
	var b bytes.Buffer
	w := NewParquetWriter(&b, h)
	err := w.Write(&Sample{Time: at(0), Values: []Value{absent}})
	if want := "parquet: series lag at 2024-01-01T00:00:00Z is absent; the Parquet format has no value for it"; err == nil || err.Error() != want {
		t.Errorf("Write(absent) = %v, want %s", err, want)
	}
	err = w.Write(&Sample{Time: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), Values: []Value{failed}})
	if want := "parquet: time 1600-01-01T00:00:00Z is out of range (want 1677-09-21 to 2262-04-11 in UTC, the range of int64 nanoseconds since 1970)"; err == nil || err.Error() != want {
		t.Errorf("Write(1600) = %v, want %s", err, want)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&Sample{Time: at(0), Values: []Value{failed}}); err == nil {
		t.Error("Write after Close succeeded")
	}
	w = NewParquetWriter(&b, Header{Series: []string{"time"}})
	if err := w.Close(); err == nil || err.Error() != `parquet: series name "time" is reserved for the time column` {
		t.Errorf("Close with a bad header = %v", err)
	}
}

// col is a column of a Parquet file a test writes.
type col struct {
	name string
	node parquet.Node
	vals []any // nil is null
}

// parquetFile writes a Parquet file of cols, in row groups of 2 rows.
func parquetFile(t *testing.T, cols ...col) []byte {
	t.Helper()
	var g orderedGroup
	for _, c := range cols {
		g = append(g, &field{Node: c.node, name: c.name})
	}
	var b bytes.Buffer
	w := parquet.NewWriter(&b, parquet.NewSchema("t", g), parquet.MaxRowsPerRowGroup(2))
	for i := 0; len(cols) > 0 && i < len(cols[0].vals); i++ {
		var row parquet.Row
		for j, c := range cols {
			v := parquet.ValueOf(c.vals[i])
			def := 0
			if c.vals[i] != nil && c.node.Optional() {
				def = 1
			}
			if s, ok := c.vals[i].(string); ok {
				v = parquet.ByteArrayValue([]byte(s))
			}
			row = append(row, v.Level(0, def, j))
		}
		if _, err := w.WriteRows([]parquet.Row{row}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readParquet(data []byte) (Header, []Sample, error) {
	r, err := NewParquetReader("in.parquet", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Header{}, nil, err
	}
	s, err := readAll(r)
	return r.Header(), s, err
}

func TestParquetReaderTypes(t *testing.T) {
	t0 := epoch.Unix()
	times := []time.Time{at(0), at(1500 * time.Millisecond), at(3 * time.Second)}
	opt := parquet.Optional
	tests := []struct {
		name   string
		cols   []col
		header Header
		want   []Sample
	}{{
		name: "TIMESTAMP(MILLIS), optional FLOAT, optional INT64 replicas",
		cols: []col{
			{"lag", opt(parquet.Leaf(parquet.FloatType)), []any{float32(1.5), nil, float32(3)}},
			{"replicas", opt(parquet.Int(64)), []any{int64(2), nil, int64(0)}},
			{"time", parquet.Timestamp(parquet.Millisecond), []any{t0 * 1e3, t0*1e3 + 1500, t0*1e3 + 3000}},
		},
		header: Header{Series: []string{"lag"}, Replicas: true},
		want: []Sample{
			{Time: times[0], Replicas: 2, HasReplicas: true, Values: []Value{present(1.5)}, Line: 1},
			{Time: times[1], Values: []Value{failed}, Line: 2},
			{Time: times[2], HasReplicas: true, Values: []Value{present(3)}, Line: 3},
		},
	}, {
		name: "TIMESTAMP(MICROS), INT32 and INT64 series, INT32 replicas",
		cols: []col{
			{"time", parquet.Timestamp(parquet.Microsecond), []any{t0 * 1e6, t0*1e6 + 1.5e6, t0*1e6 + 3e6}},
			{"a", parquet.Leaf(parquet.Int32Type), []any{int32(-1), int32(2), int32(3)}},
			{"b", opt(parquet.Leaf(parquet.Int64Type)), []any{int64(1) << 53, nil, int64(-5)}},
			{"replicas", parquet.Leaf(parquet.Int32Type), []any{int32(1), int32(2), int32(math.MaxInt32)}},
		},
		header: Header{Series: []string{"a", "b"}, Replicas: true},
		want: []Sample{
			{Time: times[0], Replicas: 1, HasReplicas: true, Values: []Value{present(-1), present(1 << 53)}, Line: 1},
			{Time: times[1], Replicas: 2, HasReplicas: true, Values: []Value{present(2), failed}, Line: 2},
			{Time: times[2], Replicas: math.MaxInt32, HasReplicas: true, Values: []Value{present(3), present(-5)}, Line: 3},
		},
	}, {
		name: "INT64 Unix seconds, unsigned series",
		cols: []col{
			{"time", parquet.Leaf(parquet.Int64Type), []any{t0, t0 + 1, t0 + 3}},
			{"u32", parquet.Uint(32), []any{uint32(math.MaxUint32), uint32(0), uint32(1)}},
			{"u64", opt(parquet.Uint(64)), []any{uint64(math.MaxUint64), nil, uint64(1)}},
		},
		header: Header{Series: []string{"u32", "u64"}},
		want: []Sample{
			{Time: at(0), Values: []Value{present(math.MaxUint32), present(math.MaxUint64)}, Line: 1},
			{Time: at(time.Second), Values: []Value{present(0), failed}, Line: 2},
			{Time: at(3 * time.Second), Values: []Value{present(1), present(1)}, Line: 3},
		},
	}, {
		name: "DOUBLE Unix seconds read exactly, TIMESTAMP(NANOS)",
		cols: []col{
			{"time", parquet.Leaf(parquet.DoubleType), []any{float64(t0) + 0.1, float64(t0) + 1.5, float64(t0) + 3.000001}},
			{"lag", parquet.Leaf(parquet.DoubleType), []any{1.0, 2.0, 3.0}},
		},
		header: Header{Series: []string{"lag"}},
		want: []Sample{
			{Time: at(100 * time.Millisecond), Values: []Value{present(1)}, Line: 1},
			{Time: times[1], Values: []Value{present(2)}, Line: 2},
			{Time: at(3*time.Second + time.Microsecond), Values: []Value{present(3)}, Line: 3},
		},
	}, {
		name: "RFC 3339 STRING time, optional region",
		cols: []col{
			{"region", opt(parquet.String()), []any{"eu", nil, "us"}},
			{"lag", parquet.Leaf(parquet.DoubleType), []any{1.0, 2.0, 3.0}},
			{"time", parquet.String(), []any{"2024-01-01T01:00:00+01:00", "2024-01-01T00:00:01.5Z", "1704067203"}},
		},
		header: Header{Series: []string{"lag"}, Region: true},
		want: []Sample{
			{Time: times[0], Region: "eu", Values: []Value{present(1)}, Line: 1},
			{Time: times[1], Values: []Value{present(2)}, Line: 2},
			{Time: times[2], Region: "us", Values: []Value{present(3)}, Line: 3},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, got, err := readParquet(parquetFile(t, tt.cols...))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.header, h); diff != "" {
				t.Errorf("Header mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, got, sampleCmp); diff != "" {
				t.Errorf("samples mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParquetReaderErrors(t *testing.T) {
	t0 := epoch.Unix()
	ts := func(secs ...int64) col {
		c := col{"time", parquet.Timestamp(parquet.Nanosecond), nil}
		for _, s := range secs {
			c.vals = append(c.vals, (t0+s)*1e9)
		}
		return c
	}
	lag := col{"lag", parquet.Leaf(parquet.DoubleType), []any{1.0, 2.0, 3.0}}
	opt := parquet.Optional
	tests := []struct {
		name string
		cols []col
		want string
	}{
		{"no time", []col{lag}, `in.parquet: no "time" column (want a column named time holding RFC 3339 times or Unix seconds)`},
		{"no series", []col{ts(0, 1, 2)}, `in.parquet: no series column (want at least one column besides time, region and replicas)`},
		{"INT32 time", []col{{"time", parquet.Leaf(parquet.Int32Type), nil}, lag}, `in.parquet: column "time" is INT(32,true) (want TIMESTAMP(MILLIS|MICROS|NANOS), INT64 or DOUBLE Unix seconds, or an RFC 3339 STRING)`},
		{"DATE time", []col{{"time", parquet.Date(), nil}, lag}, `in.parquet: column "time" is DATE (want TIMESTAMP(MILLIS|MICROS|NANOS), INT64 or DOUBLE Unix seconds, or an RFC 3339 STRING)`},
		{"STRING series", []col{ts(), {"lag", parquet.String(), nil}}, `in.parquet: column "lag" is STRING (want DOUBLE, FLOAT, INT32 or INT64)`},
		{"DECIMAL series", []col{ts(), {"lag", parquet.Decimal(2, 9, parquet.Int32Type), nil}}, `in.parquet: column "lag" is DECIMAL(9,2) (want DOUBLE, FLOAT, INT32 or INT64)`},
		{"BOOLEAN series", []col{ts(), {"up", parquet.Leaf(parquet.BooleanType), nil}}, `in.parquet: column "up" is BOOLEAN (want DOUBLE, FLOAT, INT32 or INT64)`},
		{"DOUBLE replicas", []col{ts(), lag, {"replicas", parquet.Leaf(parquet.DoubleType), nil}}, `in.parquet: column "replicas" is DOUBLE (want INT32 or INT64)`},
		{"INT64 region", []col{ts(), lag, {"region", parquet.Leaf(parquet.Int64Type), nil}}, `in.parquet: column "region" is INT(64,true) (want STRING)`},
		{"repeated series", []col{ts(), {"lag", parquet.Repeated(parquet.Leaf(parquet.DoubleType)), nil}}, `in.parquet: column "lag" is a group or repeated (want a flat schema of required or optional columns)`},
		{"group series", []col{ts(), {"lag", orderedGroup{&field{parquet.Leaf(parquet.DoubleType), "p99"}}, nil}}, `in.parquet: column "lag" is a group or repeated (want a flat schema of required or optional columns)`},
		{"out of order", []col{ts(0, 10, 5), lag}, `in.parquet:3:1: time 2024-01-01T00:00:05Z is before 2024-01-01T00:00:10Z, the time of the previous row (row 2); the file must be sorted by time`},
		{"null time", []col{{"time", opt(parquet.Timestamp(parquet.Nanosecond)), []any{t0 * 1e9, nil, t0 * 1e9}}, lag}, `in.parquet:2:1: time is null`},
		{"bad time string", []col{lag, {"time", parquet.String(), []any{"2024-01-01T00:00:00Z", "2024-01-01", "x"}}}, `in.parquet:2:2: time: "2024-01-01" is not a time (want RFC 3339, e.g. 2024-01-01T00:00:10Z, or Unix seconds, e.g. 1704067210.5)`},
		{"NaN time", []col{lag, {"time", parquet.Leaf(parquet.DoubleType), []any{0.0, math.NaN(), 1.0}}}, `in.parquet:2:2: time: NaN is not a time (want RFC 3339, e.g. 2024-01-01T00:00:10Z, or Unix seconds, e.g. 1704067210.5)`},
		{"time out of range", []col{{"time", parquet.Timestamp(parquet.Millisecond), []any{int64(math.MaxInt64), int64(0), int64(0)}}, lag}, `in.parquet:1:1: time: 9223372036854775807 is out of range (want 1677-09-21 to 2262-04-11 in UTC, the range of int64 nanoseconds since 1970)`},
		{"seconds out of range", []col{{"time", parquet.Leaf(parquet.Int64Type), []any{int64(-1e10), int64(0), int64(0)}}, lag}, `in.parquet:1:1: time: -10000000000 is out of range (want 1677-09-21 to 2262-04-11 in UTC, the range of int64 nanoseconds since 1970)`},
		{"negative replicas", []col{ts(0, 1, 2), lag, {"replicas", parquet.Leaf(parquet.Int32Type), []any{int32(1), int32(-1), int32(1)}}}, `in.parquet:2:3: replicas: -1 is not a replica count (want an integer 0 to 2147483647, or null when not recorded)`},
		{"replicas too large", []col{ts(0, 1, 2), lag, {"replicas", parquet.Leaf(parquet.Int64Type), []any{int64(1), int64(1), int64(math.MaxInt32 + 1)}}}, `in.parquet:3:3: replicas: 2147483648 is not a replica count (want an integer 0 to 2147483647, or null when not recorded)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readParquet(parquetFile(t, tt.cols...))
			var pe *ParseError
			if err == nil || err.Error() != tt.want || !errors.As(err, &pe) {
				t.Errorf("err = %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestParquetReaderMalformed(t *testing.T) {
	data := parquetFile(t, col{"time", parquet.Timestamp(parquet.Nanosecond), []any{int64(0), int64(1)}},
		col{"lag", parquet.Leaf(parquet.DoubleType), []any{1.0, 2.0}})
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "in.parquet: not a Parquet file: 0 bytes are too short for a Parquet file"},
		{"text", []byte("time,lag\n0,1\n"), `in.parquet: not a Parquet file: it does not start and end with "PAR1" (encrypted files are not supported)`},
		{"truncated", data[:len(data)-20], `in.parquet: not a Parquet file: it does not start and end with "PAR1" (encrypted files are not supported)`},
		// Found by FuzzParquetReader: parquet.OpenFile allocated the 2.5 GB.
		{"footer longer than the file", []byte("PAR1\x15\x06\x15 \x15 \x15\x96PAR1"), "in.parquet: not a Parquet file: footer of 2517966869 bytes declared in a file of 16 bytes"},
		{"corrupt pages", append(append([]byte{}, data[:4]...), append(bytes.Repeat([]byte{0xff}, 40), data[44:]...)...),
			"in.parquet:1: reading: decoding thrift payload: 15:FIELD<?>: skipping unsupported thrift type 15"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readParquet(tt.data)
			var pe *ParseError
			if !errors.As(err, &pe) || err.Error() != tt.want {
				t.Errorf("err = %v\nwant *ParseError %s", err, tt.want)
			}
		})
	}
}

// TestParquetWriterDeterministic checks that the same rows give the same
// bytes.
func TestParquetWriterDeterministic(t *testing.T) {
	write := func() []byte {
		var b bytes.Buffer
		w := NewParquetWriter(&b, Header{Series: []string{"z", "a"}, Region: true, Replicas: true})
		for i := range 100 {
			s := Sample{Time: at(time.Duration(i) * time.Second), Region: fmt.Sprint("r", i%3), Replicas: int32(i), HasReplicas: i%2 == 0,
				Values: []Value{present(float64(i)), failed}}
			if err := w.Write(&s); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	if !bytes.Equal(write(), write()) {
		t.Error("two writes of the same rows differ")
	}
}

// FuzzParquetReader reads arbitrary bytes as Parquet: it must not panic,
// and errors are *ParseError.
func FuzzParquetReader(f *testing.F) {
	t := &testing.T{}
	f.Add(parquetFile(t, col{"time", parquet.Timestamp(parquet.Millisecond), []any{int64(0), int64(1), int64(1)}},
		col{"region", parquet.Optional(parquet.String()), []any{"eu", nil, "us"}},
		col{"lag", parquet.Optional(parquet.Leaf(parquet.FloatType)), []any{float32(1), nil, float32(2)}}))
	f.Add(parquetFile(t, col{"time", parquet.String(), []any{"2024-01-01T00:00:00Z"}},
		col{"replicas", parquet.Leaf(parquet.Int64Type), []any{int64(3)}},
		col{"lag", parquet.Leaf(parquet.Int32Type), []any{int32(1)}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewParquetReader("in.parquet", bytes.NewReader(data), int64(len(data)))
		if err == nil {
			_, err = readAll(r)
		}
		var pe *ParseError
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("%T is not a *ParseError: %v", err, err)
		}
	})
}

func ExampleNewParquetWriter() {
	var b bytes.Buffer
	w := NewParquetWriter(&b, Header{Series: []string{"lag"}, Region: true})
	for i, region := range []string{"eu-west", "us-east"} {
		s := Sample{Time: time.Unix(1704067200, 0), Region: region, Values: []Value{{V: float64(i), Status: Present}}}
		if err := w.Write(&s); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	r, err := NewParquetReader("lag.parquet", bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		panic(err)
	}
	for r.Scan() {
		s := r.Sample()
		fmt.Println(s.Line, s.Time.Format(time.RFC3339), s.Region, s.Values[0].V)
	}
	fmt.Println(r.Err())
	// Output:
	// 1 2024-01-01T00:00:00Z eu-west 0
	// 2 2024-01-01T00:00:00Z us-east 1
	// <nil>
}
