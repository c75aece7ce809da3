package trace

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCSVReader(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		name   string
		in     string
		header Header
		want   []Sample
	}{{
		name:   "RFC 3339 with offsets to UTC",
		in:     "time,lag\n2024-01-01T01:00:00+01:00,1\n2024-01-01T00:00:10.5Z,2\n2023-12-31T19:00:20.123456789-05:00,3\n",
		header: Header{Series: []string{"lag"}},
		want: []Sample{
			{Time: at(0), Values: []Value{present(1)}, Line: 2},
			{Time: at(10500 * time.Millisecond), Values: []Value{present(2)}, Line: 3},
			{Time: at(20*time.Second + 123456789), Values: []Value{present(3)}, Line: 4},
		},
	}, {
		name:   "fractional Unix seconds exact to the nanosecond",
		in:     "lag,time\n1,1704067200\n2,1704067200.000000001\n3,1704067200.1\n4,1704067201.999999999\n5,0001704067202.250\n",
		header: Header{Series: []string{"lag"}},
		want: []Sample{
			{Time: at(0), Values: []Value{present(1)}, Line: 2},
			{Time: at(1), Values: []Value{present(2)}, Line: 3},
			{Time: at(100 * time.Millisecond), Values: []Value{present(3)}, Line: 4},
			{Time: at(2*time.Second - 1), Values: []Value{present(4)}, Line: 5},
			{Time: at(2250 * time.Millisecond), Values: []Value{present(5)}, Line: 6},
		},
	}, {
		name:   "regions, replicas, equal times",
		in:     "time,region,replicas,lag,cpu\n2024-01-01T00:00:00Z,eu-west,3,1234.5,0.75\n2024-01-01T00:00:00Z,us-east,,7,0.5\n2024-01-01T00:00:00Z,eu-west,0,8,0.25\n",
		header: Header{Series: []string{"lag", "cpu"}, Region: true, Replicas: true},
		want: []Sample{
			{Time: at(0), Region: "eu-west", Replicas: 3, HasReplicas: true, Values: []Value{present(1234.5), present(0.75)}, Line: 2},
			{Time: at(0), Region: "us-east", Values: []Value{present(7), present(0.5)}, Line: 3},
			{Time: at(0), Region: "eu-west", HasReplicas: true, Values: []Value{present(8), present(0.25)}, Line: 4},
		},
	}, {
		name:   "NaN, infinities and failed cells",
		in:     "time,a,b,c,d\n0,NaN,+Inf,-inf,\n1,nan,Infinity,-0,  \n2,1e308,0x1p-2,,1_000\n",
		header: Header{Series: []string{"a", "b", "c", "d"}},
		want: []Sample{
			{Time: time.Unix(0, 0).UTC(), Values: []Value{present(math.NaN()), present(inf), present(-inf), failed}, Line: 2},
			{Time: time.Unix(1, 0).UTC(), Values: []Value{present(math.NaN()), present(inf), present(math.Copysign(0, -1)), failed}, Line: 3},
			{Time: time.Unix(2, 0).UTC(), Values: []Value{present(1e308), present(0.25), failed, present(1000)}, Line: 4},
		},
	}, {
		name:   "BOM, CRLF, blank lines, spaces, no final newline",
		in:     "\ufefftime , lag\r\n\r\n  \t\r\n 2024-01-01T00:00:00Z ,\t1 \r\n\n2024-01-01T00:00:01Z,2",
		header: Header{Series: []string{"lag"}},
		want: []Sample{
			{Time: at(0), Values: []Value{present(1)}, Line: 4},
			{Time: at(time.Second), Values: []Value{present(2)}, Line: 6},
		},
	}, {
		name:   "quoted cells",
		in:     "\"time\",region,\"lag, p99\",\"say \"\"hi\"\"\"\n2024-01-01T00:00:00Z, \"eu, west\" ,\"1\",2\n2024-01-01T00:00:00Z,\" us \"\"east\"\" \",3,\"\"\n",
		header: Header{Series: []string{"lag, p99", `say "hi"`}, Region: true},
		want: []Sample{
			{Time: at(0), Region: "eu, west", Values: []Value{present(1), present(2)}, Line: 2},
			{Time: at(0), Region: ` us "east" `, Values: []Value{present(3), failed}, Line: 3},
		},
	}, {
		name:   "header only",
		in:     "time,lag\n",
		header: Header{Series: []string{"lag"}},
	}, {
		name:   "empty region",
		in:     "time,region,lag\n2024-01-01T00:00:00Z,,1\n",
		header: Header{Series: []string{"lag"}, Region: true},
		want:   []Sample{{Time: at(0), Values: []Value{present(1)}, Line: 2}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A one-byte reader exercises lines split across reads.
			for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
				cr := NewCSVReader("in.csv", r)
				if diff := cmp.Diff(tt.header, cr.Header()); diff != "" {
					t.Errorf("Header mismatch (-want +got):\n%s", diff)
				}
				got, err := readAll(cr)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got, sampleCmp); diff != "" {
					t.Errorf("samples mismatch (-want +got):\n%s", diff)
				}
				for _, s := range got {
					if s.Time.Location() != time.UTC {
						t.Errorf("time %v not in UTC", s.Time)
					}
				}
			}
		})
	}
}

func TestCSVReaderLongLine(t *testing.T) {
	region := strings.Repeat("r", 100<<10) // longer than the reader's buffer
	in := "time,region,lag\n0," + region + ",1\n1,x,2\n"
	got, err := readAll(NewCSVReader("in.csv", strings.NewReader(in)))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Region != region || got[1].Region != "x" || got[1].Values[0] != present(2) {
		t.Errorf("got %d rows, first region of %d bytes", len(got), len(got[0].Region))
	}
	_, err = readAll(NewCSVReader("in.csv", strings.NewReader("time,lag\n0,"+strings.Repeat("1", maxLine)+"\n")))
	if want := "in.csv:2: line longer than 1048576 bytes"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

// TestCSVReaderErrors reads each input of testdata/csv-errors.txt and
// compares the error with the expected one (go test -update rewrites them).
func TestCSVReaderErrors(t *testing.T) {
	runErrorCases(t, "csv-errors.txt", func(c errorCase) error {
		r := NewCSVReader("in.csv", strings.NewReader(c.input))
		_, err := readAll(r)
		var pe *ParseError
		if err != nil && !errors.As(err, &pe) {
			t.Errorf("%s: %T is not a *ParseError", c.name, err)
		}
		return err
	})
}

func TestCSVReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	r := NewCSVReader("in.csv", io.MultiReader(strings.NewReader("time,lag\n0,1\n"), iotest.ErrReader(boom)))
	got, err := readAll(r)
	if len(got) != 1 || !errors.Is(err, boom) || err.Error() != "in.csv: boom" {
		t.Errorf("got %d rows, err %v; want 1 row, in.csv: boom", len(got), err)
	}
}

func TestCSVWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewCSVWriter(&b, Header{Series: []string{"lag", "a,b", " c"}, Region: true, Replicas: true})
	for _, s := range []Sample{
		{Time: at(0), Region: "eu-west", Replicas: 3, HasReplicas: true, Values: []Value{present(1234.5), present(0.75), failed}},
		{Time: at(time.Second + 5).In(time.FixedZone("x", 3600)), Region: `say "hi", ok`, Values: []Value{present(math.NaN()), present(math.Inf(1)), present(math.Inf(-1))}},
		{Time: at(2 * time.Second), Region: " x", Values: []Value{present(1e21), present(-0.0), present(1e-7)}},
	} {
		if err := w.Write(&s); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `time,region,replicas,lag,"a,b"," c"
2024-01-01T00:00:00Z,eu-west,3,1234.5,0.75,
2024-01-01T00:00:01.000000005Z,"say ""hi"", ok",,NaN,+Inf,-Inf
2024-01-01T00:00:02Z," x",,1e+21,0,1e-07
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("output mismatch (-want +got):\n%s", diff)
	}
}

func TestCSVWriterHeaderOnly(t *testing.T) {
	var b bytes.Buffer
	w := NewCSVWriter(&b, Header{Series: []string{"lag"}})
	if err := w.Flush(); err != nil || b.String() != "time,lag\n" {
		t.Errorf("Flush = %v, output %q; want nil, %q", err, b.String(), "time,lag\n")
	}
}

func TestCSVWriterErrors(t *testing.T) {
	h := Header{Series: []string{"lag"}, Region: true}
	tests := []struct {
		name string
		h    Header
		s    Sample
		want string
	}{
		{"absent", h, Sample{Time: at(0), Values: []Value{absent}}, "csv: series lag at 2024-01-01T00:00:00Z is absent; the CSV format has no cell for it"},
		{"line break in region", h, Sample{Time: at(0), Region: "a\nb", Values: []Value{failed}}, `csv: row at 2024-01-01T00:00:00Z: region "a\nb" has a line break, which a CSV cell cannot hold`},
		{"values", h, Sample{Time: at(0)}, "csv: row at 2024-01-01T00:00:00Z has 0 values, the header has 1 series"},
		{"time range", h, Sample{Time: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), Values: []Value{failed}}, "csv: time 3000-01-01T00:00:00Z is out of range (want 1677-09-21 to 2262-04-11 in UTC, the range of int64 nanoseconds since 1970)"},
		{"negative replicas", Header{Series: []string{"lag"}, Replicas: true}, Sample{Time: at(0), Replicas: -1, HasReplicas: true, Values: []Value{failed}}, "csv: row at 2024-01-01T00:00:00Z has -1 replicas (want an integer 0 to 2147483647)"},
		{"reserved series", Header{Series: []string{"region"}}, Sample{}, `csv: series name "region" is reserved for the region column`},
		{"duplicate series", Header{Series: []string{"a", "a"}}, Sample{}, `csv: duplicate series name "a"`},
		{"empty series", Header{Series: []string{""}}, Sample{}, `csv: empty series name`},
		{"line break in series", Header{Series: []string{"a\n"}}, Sample{}, `csv: series name "a\n" has a line break, which a CSV cell cannot hold`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			w := NewCSVWriter(&b, tt.h)
			err := w.Write(&tt.s)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Write = %v, want %s", err, tt.want)
			}
			// A bad header fails every call and writes nothing; a bad row
			// is not written, and the writer goes on.
			badHeader := strings.Contains(tt.want, "series name")
			if err := w.Flush(); (err != nil) != badHeader {
				t.Errorf("Flush = %v", err)
			}
			if want := map[bool]int{false: 1, true: 0}[badHeader]; strings.Count(b.String(), "\n") != want {
				t.Errorf("wrote %q, want %d lines", b.String(), want)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestCSVWriterWriteError(t *testing.T) {
	w := NewCSVWriter(failWriter{}, Header{Series: []string{"lag"}})
	if err := w.Write(&Sample{Time: at(0), Values: []Value{failed}}); err != nil {
		t.Fatal(err) // buffered
	}
	if err := w.Flush(); err == nil || err.Error() != "disk full" {
		t.Errorf("Flush = %v, want disk full", err)
	}
	if err := w.Write(&Sample{Time: at(0), Values: []Value{failed}}); err == nil {
		t.Error("Write after a failed Flush succeeded")
	}
}

// TestCSVReaderAllocs checks that reading a row allocates nothing once
// the reader has seen the regions.
func TestCSVReaderAllocs(t *testing.T) {
	for _, unix := range []bool{false, true} {
		in := csvInput(10000, unix)
		for _, quoted := range []bool{false, true} {
			if quoted {
				in = bytes.ReplaceAll(in, []byte(",eu-west,"), []byte(`,"eu-west",`))
			}
			r := NewCSVReader("in.csv", bytes.NewReader(in))
			r.Scan()
			r.Scan()
			allocs := testing.AllocsPerRun(5000, func() {
				if !r.Scan() {
					t.Fatal(r.Err())
				}
			})
			if allocs != 0 {
				t.Errorf("unix %v quoted %v: %v allocations per row, want 0", unix, quoted, allocs)
			}
		}
	}
}

// csvInput returns a trace of n rows in two regions, with times in RFC
// 3339 or Unix seconds.
func csvInput(n int, unix bool) []byte {
	var b bytes.Buffer
	b.WriteString("time,region,replicas,lag,cpu\n")
	for i := range n {
		t := at(time.Duration(i/2) * 10 * time.Second)
		ts := t.Format(time.RFC3339)
		if unix {
			ts = fmt.Sprintf("%d.%d", t.Unix(), i%10)
		}
		region := []string{"eu-west", "us-east"}[i%2]
		fmt.Fprintf(&b, "%s,%s,%d,%g,%g\n", ts, region, 3+i%5, 1234.5+float64(i%1000), 0.75)
	}
	return b.Bytes()
}
