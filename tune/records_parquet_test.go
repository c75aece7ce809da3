package tune

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
)

// TestEvalParquet writes a study's records as Parquet and reads them back:
// the columns, the metadata and every figure.
func TestEvalParquet(t *testing.T) {
	st := newQueueStudy(t, smallGrid)
	var buf bytes.Buffer
	ew, err := st.NewEvalParquetWriter(&buf, Shard{Index: 1, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	var all []Record
	if err := st.Run(context.Background(), Options{Shard: Shard{Index: 1, Count: 2}}, func(recs []Record) error {
		all = append(all, recs...)
		return ew.Write(recs)
	}); err != nil {
		t.Fatal(err)
	}
	if err := ew.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range f.Schema().Fields() {
		names = append(names, c.Name())
	}
	if diff := cmp.Diff(st.evalHeader(), names); diff != "" {
		t.Errorf("columns mismatch (-want +got):\n%s", diff)
	}
	if v, _ := f.Lookup("study"); v != st.Fingerprint() {
		t.Errorf("study metadata %q, want %q", v, st.Fingerprint())
	}
	if v, _ := f.Lookup("shard"); v != "1/2" {
		t.Errorf("shard metadata %q", v)
	}
	rows := make([]parquet.Row, len(all))
	n, _ := parquet.NewReader(f).ReadRows(rows)
	if n != len(all) || f.NumRows() != int64(len(all)) {
		t.Fatalf("%d rows read, %d in the file, want %d", n, f.NumRows(), len(all))
	}
	np := len(st.Space().Params)
	for i, rec := range all {
		row := rows[i]
		if row[0].Int64() != int64(rec.Config) || row[1].String() != rec.Region || row[2].String() != rec.Status.String() {
			t.Fatalf("row %d: %v, want %+v", i, row[:3], rec)
		}
		if got, want := row[3].Double(), st.Space().Params[0].Values[st.Space().Point(rec.Config, nil)[0]]; got != want {
			t.Errorf("row %d: threshold %v, want %v", i, got, want)
		}
		for k, v := range rec.Metrics {
			if got := row[3+np+k].Double(); got != v && !(got != got && v != v) {
				t.Errorf("row %d: %s = %v, want %v", i, names[3+np+k], got, v)
			}
		}
	}
}
