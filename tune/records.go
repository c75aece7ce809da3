package tune

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// The evaluation file is CSV: a comment line naming the study and the
// shard, then a header and one row per configuration and region, in
// configuration order (docs/tune.md, "Evaluation file"):
//
//	# replay tune evaluation; study sha256:…; configurations 40; shard 0/1
//	config,region,status,PARAM…,FIGURE…,note
//
// Values are the parameters' values as written into the manifest; figures
// are shortest round-trip decimals, NaN for none.
const evalComment = "# replay tune evaluation"

// EvalWriter writes the evaluation file.
type EvalWriter struct {
	s   *Study
	w   *csv.Writer
	row []string
	err error
}

// NewEvalWriter writes the comment line and the header of the shard's
// evaluation file.
func (s *Study) NewEvalWriter(w io.Writer, shard Shard) (*EvalWriter, error) {
	if err := shard.validate(); err != nil {
		return nil, err
	}
	if _, err := fmt.Fprintf(w, "%s; study %s; configurations %d; shard %s\n", evalComment, s.print, s.size, shard); err != nil {
		return nil, err
	}
	ew := &EvalWriter{s: s, w: csv.NewWriter(w)}
	ew.err = ew.w.Write(s.evalHeader())
	return ew, ew.err
}

func (s *Study) evalHeader() []string {
	h := []string{"config", "region", "status"}
	for _, p := range s.in.Space.Params {
		h = append(h, p.Name)
	}
	return append(append(h, s.metrics.Names()...), "note")
}

// Write writes records.
func (ew *EvalWriter) Write(recs []Record) error {
	for _, rec := range recs {
		if ew.err != nil {
			return ew.err
		}
		row := append(ew.row[:0], strconv.Itoa(rec.Config), rec.Region, rec.Status.String())
		row = append(row, ew.s.Values(rec.Config)...)
		for _, v := range rec.Metrics {
			row = append(row, strconv.FormatFloat(v, 'g', -1, 64))
		}
		row = append(row, rec.Note)
		ew.row = row
		ew.err = ew.w.Write(row)
	}
	return ew.err
}

// Flush flushes the file.
func (ew *EvalWriter) Flush() error {
	if ew.err != nil {
		return ew.err
	}
	ew.w.Flush()
	return ew.w.Error()
}

// ReadEval reads an evaluation file of the study s (file names it in
// errors): its shard and its records. It checks that the file is of the
// same study (the fingerprint), that the columns and the parameters' values
// are the study's, and that no configuration appears twice.
func (s *Study) ReadEval(file string, r io.Reader) (Shard, []Record, error) {
	br := bufio.NewReader(r)
	first, err := br.ReadString('\n')
	if err != nil && (err != io.EOF || first == "") {
		if err == io.EOF {
			return Shard{}, nil, fmt.Errorf("%s: empty file: want a replay tune evaluation file", file)
		}
		return Shard{}, nil, fmt.Errorf("%s: %w", file, err)
	}
	shard, err := s.parseComment(strings.TrimRight(first, "\r\n"))
	if err != nil {
		return Shard{}, nil, fmt.Errorf("%s:1: %w", file, err)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return Shard{}, nil, fmt.Errorf("%s:2: header: %w", file, err)
	}
	header = slices.Clone(header) // the reader reuses its record
	if want := s.evalHeader(); !slices.Equal(header, want) {
		return Shard{}, nil, fmt.Errorf("%s:2: the columns are %s: want %s", file, strings.Join(header, ","), strings.Join(want, ","))
	}
	np := len(s.in.Space.Params)
	nm := len(s.metrics.figs)
	total, _ := shard.configs(s.size)
	seen := map[[2]string]bool{}
	var recs []Record
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		line++ // the comment line
		if err != nil {
			return Shard{}, nil, fmt.Errorf("%s: %w", file, err)
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s", file, line, fmt.Sprintf(format, args...))
		}
		rec := Record{Region: row[1], Note: row[len(row)-1], Metrics: make([]float64, nm)}
		if !slices.Contains(s.names, rec.Region) {
			return Shard{}, nil, bad("region %q: not a region of the trace (%s)", rec.Region, strings.Join(s.names, ", "))
		}
		if rec.Config, err = strconv.Atoi(row[0]); err != nil || rec.Config < 0 || rec.Config >= s.size {
			return Shard{}, nil, bad("config %q: want an index of the grid, 0 to %d", row[0], s.size-1)
		}
		if shard.Count > 1 && rec.Config%shard.Count != shard.Index {
			return Shard{}, nil, bad("config %d is not in shard %s", rec.Config, shard)
		}
		switch row[2] {
		case "ok":
			rec.Status = OK
		case "invalid":
			rec.Status = Invalid
		case "pruned":
			rec.Status = Pruned
		default:
			return Shard{}, nil, bad("status %q: want ok, invalid or pruned", row[2])
		}
		if want := s.Values(rec.Config); !slices.Equal(row[3:3+np], want) {
			return Shard{}, nil, bad("config %d has the values %s: the study's are %s", rec.Config, strings.Join(row[3:3+np], ","), strings.Join(want, ","))
		}
		for k := range nm {
			v, err := strconv.ParseFloat(row[3+np+k], 64)
			if err != nil {
				return Shard{}, nil, bad("%s %q: want a number or NaN", header[3+np+k], row[3+np+k])
			}
			rec.Metrics[k] = v
		}
		key := [2]string{row[0], row[1]}
		if seen[key] {
			return Shard{}, nil, bad("config %d, region %q: a second time", rec.Config, rec.Region)
		}
		seen[key] = true
		recs = append(recs, rec)
	}
	if want := total * len(s.names); len(recs) != want {
		return shard, recs, fmt.Errorf("%s: %d records for shard %s of %d configurations in %d regions: want %d (a shard cut short?)", file, len(recs), shard, s.size, len(s.names), want)
	}
	return shard, recs, nil
}

func (s *Study) parseComment(line string) (Shard, error) {
	rest, ok := strings.CutPrefix(line, evalComment+"; ")
	if !ok {
		return Shard{}, fmt.Errorf("want the line %q…: not a replay tune evaluation file", evalComment)
	}
	var print, shard string
	var n int
	if _, err := fmt.Sscanf(rest, "study %s configurations %d; shard %s", &print, &n, &shard); err != nil {
		return Shard{}, fmt.Errorf("%q: want %q", line, evalComment+"; study sha256:…; configurations N; shard I/N")
	}
	print = strings.TrimSuffix(print, ";")
	if print != s.print {
		return Shard{}, fmt.Errorf("another study: its fingerprint is %s, this one's %s (the manifest, grid, replay flags, trace and goal must be the same)", print, s.print)
	}
	if n != s.size {
		return Shard{}, fmt.Errorf("%d configurations: the study has %d", n, s.size)
	}
	return ParseShard(shard)
}

// Merge checks that shards cover the grid once, with every shard of one
// count, and returns their records in configuration and region order: what
// one unsharded Run emits.
func (s *Study) Merge(shards []Shard, recs [][]Record) ([]Record, error) {
	if len(shards) == 0 {
		return nil, errors.New("no evaluation files to merge")
	}
	count := max(shards[0].Count, 1)
	got := make([]bool, count)
	for _, sh := range shards {
		if max(sh.Count, 1) != count {
			return nil, fmt.Errorf("shards %s and %s: of different counts", shards[0], sh)
		}
		if got[sh.Index] {
			return nil, fmt.Errorf("shard %s: given twice", sh)
		}
		got[sh.Index] = true
	}
	var missing []string
	for i, ok := range got {
		if !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, count))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("shards %s are missing", strings.Join(missing, ", "))
	}
	var all []Record
	for _, r := range recs {
		all = append(all, r...)
	}
	region := map[string]int{}
	for k, name := range s.names {
		region[name] = k
	}
	slices.SortFunc(all, func(a, b Record) int {
		if a.Config != b.Config {
			return a.Config - b.Config
		}
		return region[a.Region] - region[b.Region]
	})
	return all, nil
}
