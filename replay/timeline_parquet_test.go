package replay

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// dumpParquet reads a Parquet timeline back and prints its schema and rows
// as text, one "column=value" line per value.
func dumpParquet(t testing.TB, data []byte) string {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("OpenFile: %v", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nrows: %d, row groups: %d\n", f.Schema(), f.NumRows(), len(f.RowGroups()))
	cols := f.Schema().Columns()
	r := parquet.NewReader(bytes.NewReader(data))
	defer r.Close()
	rows := make([]parquet.Row, 1)
	for i := 0; ; i++ {
		n, err := r.ReadRows(rows)
		if n == 0 {
			if err != io.EOF {
				t.Fatalf("ReadRows: %v", err)
			}
			break
		}
		fmt.Fprintf(&b, "row %d\n", i)
		for _, v := range rows[0] {
			name := strings.Join(cols[v.Column()], ".")
			var s string
			switch {
			case v.IsNull():
				s = "null"
			case name == "time":
				s = time.Unix(0, v.Int64()).UTC().Format(time.RFC3339Nano)
			case v.Kind() == parquet.ByteArray:
				s = strconv.Quote(string(v.ByteArray()))
			case v.Kind() == parquet.Double:
				s = strconv.FormatFloat(v.Double(), 'g', -1, 64)
			default:
				s = v.String()
			}
			fmt.Fprintf(&b, "  %s=%s\n", name, s)
		}
	}
	return b.String()
}

func TestTimelineParquetGolden(t *testing.T) {
	for _, tc := range timelineCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := writeTimeline(t, newParquet, tc.c, tc.rows)
			if again := writeTimeline(t, newParquet, tc.c, tc.rows); !bytes.Equal(got, again) {
				t.Error("two writes of the same rows differ")
			}
			golden(t, "timeline/"+tc.name+".parquet.golden", []byte(dumpParquet(t, got)))
		})
	}
}

// TestTimelineParquetRowGroups checks that a long timeline is cut into row
// groups of ParquetRowGroupRows rows and reads back whole.
func TestTimelineParquetRowGroups(t *testing.T) {
	c, rows := timelineBenchRows(2*ParquetRowGroupRows + 10)
	data := writeTimeline(t, newParquet, c, rows)
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int64
	for _, g := range f.RowGroups() {
		sizes = append(sizes, g.NumRows())
	}
	if want := []int64{ParquetRowGroupRows, ParquetRowGroupRows, 10}; fmt.Sprint(sizes) != fmt.Sprint(want) {
		t.Errorf("row groups of %v rows, want %v", sizes, want)
	}
	r := parquet.NewReader(bytes.NewReader(data))
	defer r.Close()
	buf := make([]parquet.Row, 1000)
	i := 0
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			want := rows[i]
			// time, replicas, actual:lag, reasons
			if got := time.Unix(0, row[0].Int64()); !got.Equal(want.Time) || row[2].Int32() != want.Desired ||
				row[9].Double() != want.Actual[0] || string(row[10].ByteArray()) != want.Reasons() {
				t.Fatalf("row %d read back as %v", i, row)
			}
			i++
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if i != len(rows) {
		t.Errorf("read %d rows, want %d", i, len(rows))
	}
}

func BenchmarkTimelineParquet(b *testing.B) { benchmarkTimeline(b, newParquet) }

func TestTimelineParquetTimeRange(t *testing.T) {
	w := NewParquetTimeline(discard{}, Columns{})
	for _, tm := range []time.Time{time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2262, 4, 12, 0, 0, 0, 0, time.UTC)} {
		err := w.Write(&Row{Time: tm, Event: HPATick})
		if err == nil || !strings.Contains(err.Error(), "Parquet timestamps in nanoseconds end in 1677 and 2262") {
			t.Errorf("Write(%v) = %v, want a range error", tm, err)
		}
	}
	if err := w.Write(&Row{Time: time.Date(2262, 4, 11, 0, 0, 0, 0, time.UTC), Event: HPATick}); err != nil {
		t.Errorf("Write(2262-04-11) = %v", err)
	}
	if err := w.Close(); err != nil {
		t.Error(err)
	}
}
