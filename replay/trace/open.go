package trace

import (
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
)

// File is what Open reads: an os.File, or a file of an embed.FS.
type File interface {
	io.Reader
	io.ReaderAt
	Stat() (fs.FileInfo, error)
}

// Open returns a reader of f by the extension of its name: .csv, .parquet,
// or .json (a Prometheus query_range result, mapped to columns by prom,
// which must give Column or ColumnLabel).
func Open(name string, f File, prom PromOptions) (Reader, error) {
	switch ext := strings.ToLower(filepath.Ext(name)); ext {
	case ".csv":
		return NewCSVReader(name, f), nil
	case ".parquet":
		st, err := f.Stat()
		if err != nil {
			return nil, err
		}
		return NewParquetReader(name, f, st.Size())
	case ".json":
		if prom.Column == "" && prom.ColumnLabel == "" {
			return nil, fmt.Errorf("%s: a Prometheus query_range result needs a column name or a column label", name)
		}
		return NewPromReader(name, f, prom)
	default:
		return nil, fmt.Errorf("%s: unknown trace format %q: want .csv, .parquet or .json (Prometheus query_range)", name, ext)
	}
}

// Region returns a reader of the rows of r in region only. Its Err reports
// a trace without regions, or without a row of region.
func Region(r Reader, region string) Reader {
	return &regionFilter{Reader: r, region: region}
}

type regionFilter struct {
	Reader
	region string
	seen   bool
}

func (r *regionFilter) Scan() bool {
	if !r.Reader.Header().Region {
		return false
	}
	for r.Reader.Scan() {
		if r.Sample().Region == r.region {
			r.seen = true
			return true
		}
	}
	return false
}

func (r *regionFilter) Err() error {
	if err := r.Reader.Err(); err != nil || r.seen {
		return err
	}
	if !r.Reader.Header().Region {
		return fmt.Errorf("region %q: the trace has no regions", r.region)
	}
	return fmt.Errorf("region %q: the trace has no row of that region", r.region)
}
