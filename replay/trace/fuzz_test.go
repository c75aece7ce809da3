package trace

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzCSVRoundTrip reads arbitrary bytes as CSV; what reads without error
// must read back the same after CSVWriter, and after ParquetWriter.
func FuzzCSVRoundTrip(f *testing.F) {
	for _, s := range []string{
		"time,lag\n2024-01-01T00:00:10Z,1\n",
		"\ufefftime,region,replicas,lag,cpu\r\n2024-01-01T00:00:10+01:00,eu-west,3,1234.5,0.75\r\n1704067210.25,\"us \"\"east\"\"\",,NaN,\r\n",
		"region,time,a\n,0,-Inf\n x ,1,+inf\n\"a,b\",1.5,-0\n",
		"time,\"a,b\", c \n0,1e308,0x1p-2\n",
		"\"time \",time,\"a\rb\",\"\tc\",region\n0,1,2,3,\"\tx\x00\xff\r\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewCSVReader("in.csv", bytes.NewReader(data))
		want, err := readAll(r)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("%T is not a *ParseError: %v", err, err)
			}
			return
		}
		h := r.Header()
		for i := range want {
			want[i].Line = 0
		}
		ignoreLine := cmpopts.IgnoreFields(Sample{}, "Line")

		var b bytes.Buffer
		w := NewCSVWriter(&b, h)
		for i := range want {
			if err := w.Write(&want[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		r2 := NewCSVReader("out.csv", bytes.NewReader(b.Bytes()))
		got, err := readAll(r2)
		if err != nil {
			t.Fatalf("reading back %q: %v", b.String(), err)
		}
		if diff := cmp.Diff(h, r2.Header()); diff != "" {
			t.Fatalf("CSV Header mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, got, sampleCmp, ignoreLine, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("CSV samples mismatch (-want +got):\n%s", diff)
		}

		b.Reset()
		pw := NewParquetWriter(&b, h)
		for i := range want {
			if err := pw.Write(&want[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		pr, err := NewParquetReader("out.parquet", bytes.NewReader(b.Bytes()), int64(b.Len()))
		if err != nil {
			t.Fatal(err)
		}
		got, err = readAll(pr)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(h, pr.Header()); diff != "" {
			t.Fatalf("Parquet Header mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, got, sampleCmp, ignoreLine, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("Parquet samples mismatch (-want +got):\n%s", diff)
		}
	})
}

// FuzzPromReader reads arbitrary bytes as a query_range response: it must
// not panic, and what it reads has rows in order of time then region, each
// with a value.
func FuzzPromReader(f *testing.F) {
	for _, file := range []string{"testdata/prom-lag.json", "testdata/prom-replicas.json"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(0))
		f.Add(data, uint8(1))
	}
	cases, err := os.ReadFile("testdata/prom-errors.txt")
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range strings.Split(string(cases), "\n") {
		if strings.HasPrefix(line, "{") {
			f.Add([]byte(line), uint8(2))
		}
	}
	options := []PromOptions{
		{ColumnLabel: "topic", RegionLabel: "region"},
		{Column: "replicas", RegionLabel: "region"},
		{Column: "lag"},
		{ColumnLabel: "__name__"},
	}
	f.Fuzz(func(t *testing.T, data []byte, opt uint8) {
		r, err := NewPromReader("in.json", bytes.NewReader(data), options[int(opt)%len(options)])
		if err != nil {
			return
		}
		var prev *Sample
		for r.Scan() {
			s := *r.Sample()
			if prev != nil && (s.Time.Before(prev.Time) || s.Time.Equal(prev.Time) && s.Region <= prev.Region) {
				t.Fatalf("row %v %q after %v %q", s.Time, s.Region, prev.Time, prev.Region)
			}
			n := 0
			for _, v := range s.Values {
				if v.Status == Present {
					n++
				} else if v.Status != Absent {
					t.Fatalf("status %v", v.Status)
				}
			}
			if n == 0 && !s.HasReplicas {
				t.Fatalf("row %v %q has no value", s.Time, s.Region)
			}
			prev = &s
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
	})
}
