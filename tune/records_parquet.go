package tune

import (
	"io"
	"slices"

	"github.com/parquet-go/parquet-go"
)

// EvalParquetWriter writes the evaluation records as Parquet, with the
// columns of the CSV evaluation file, typed: config INT64, region and
// status STRING, each parameter DOUBLE (its value as a number, seconds for
// durations), each figure DOUBLE (NaN for none), note STRING. The key-value
// metadata "study" and "shard" hold the fingerprint and the shard.
type EvalParquetWriter struct {
	s   *Study
	w   *parquet.Writer
	row parquet.Row
	idx []int
}

// NewEvalParquetWriter returns a Parquet evaluation writer to w.
func (s *Study) NewEvalParquetWriter(w io.Writer, shard Shard) (*EvalParquetWriter, error) {
	if err := shard.validate(); err != nil {
		return nil, err
	}
	names := s.evalHeader()
	str := parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
	f64 := parquet.Leaf(parquet.DoubleType)
	g := orderedGroup{Group: parquet.Group{}, order: names}
	for i, n := range names {
		switch {
		case i == 0:
			g.Group[n] = parquet.Int(64)
		case i < 3 || i == len(names)-1:
			g.Group[n] = str
		default:
			g.Group[n] = f64
		}
	}
	cfg, err := parquet.NewWriterConfig(
		parquet.NewSchema("evaluation", g),
		parquet.Compression(&parquet.Snappy),
		parquet.KeyValueMetadata("study", s.print),
		parquet.KeyValueMetadata("shard", shard.String()),
	)
	if err != nil {
		return nil, err
	}
	return &EvalParquetWriter{s: s, w: parquet.NewWriter(w, cfg)}, nil
}

// Write writes records.
func (ew *EvalParquetWriter) Write(recs []Record) error {
	for _, rec := range recs {
		row := ew.row[:0]
		add := func(v parquet.Value) { row = append(row, v.Level(0, 0, len(row))) }
		add(parquet.Int64Value(int64(rec.Config)))
		add(parquet.ByteArrayValue([]byte(rec.Region)))
		add(parquet.ByteArrayValue([]byte(rec.Status.String())))
		ew.idx = ew.s.in.Space.Point(rec.Config, ew.idx)
		for k, j := range ew.idx {
			add(parquet.DoubleValue(ew.s.in.Space.Params[k].Values[j]))
		}
		for _, v := range rec.Metrics {
			add(parquet.DoubleValue(v))
		}
		add(parquet.ByteArrayValue([]byte(rec.Note)))
		ew.row = row
		if _, err := ew.w.WriteRows([]parquet.Row{row}); err != nil {
			return err
		}
	}
	return nil
}

// Close flushes and closes the file (not w).
func (ew *EvalParquetWriter) Close() error { return ew.w.Close() }

// orderedGroup is a parquet.Group whose fields keep the order of order.
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
