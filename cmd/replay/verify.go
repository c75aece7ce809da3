package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/autoreplay/autoreplay/replay"
	"github.com/autoreplay/autoreplay/replay/trace"
)

const verifyExamples = `  # CI: the replay of a captured trace must give the golden timeline:
  replay verify -f hpa.yaml --trace captured.csv --golden testdata/timeline.csv

  # Accept a deliberate change:
  replay verify -f hpa.yaml --trace captured.csv --golden testdata/timeline.csv --update

  # How close is the replay to what production did (the trace's replicas column)?
  replay verify -f scaledobject.yaml --trace week.csv --recorded --min-agreement 95
`

// maxDivergences is how many differing rows verify prints.
const maxDivergences = 5

func verifyCmd(args []string, stdout, stderr io.Writer) error {
	var s setup
	var golden string
	var recorded, update bool
	var minAgreement float64
	fs := newFlags("verify", "Compare a replay with a golden timeline, or with the replicas the trace recorded.",
		"replay verify -f MANIFEST --trace TRACE (--golden TIMELINE.csv | --recorded) [flags]", verifyExamples, stdout)
	s.flags(fs)
	fs.StringVar(&golden, "golden", "", "the golden timeline (CSV) the replay must reproduce")
	fs.BoolVar(&recorded, "recorded", false, "compare the replicas after each HPA tick with the trace's replicas column")
	fs.BoolVar(&update, "update", false, "with --golden: rewrite the golden file with this replay")
	fs.Float64Var(&minAgreement, "min-agreement", -1, "the % of rows that must agree, else exit 1 (default 100 with --golden, 0 with --recorded)")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case (golden == "") == !recorded:
		return errors.New("verify: give exactly one of --golden FILE and --recorded")
	case update && golden == "":
		return errors.New("verify: --update rewrites a --golden file")
	case minAgreement > 100:
		return fmt.Errorf("verify: --min-agreement %v: want a percentage 0-100", minAgreement)
	case minAgreement < 0 && recorded:
		minAgreement = 0
	case minAgreement < 0:
		minAgreement = 100
	}
	o, r, closer, rp, err := s.prepare()
	if err != nil {
		return err
	}
	defer closer.Close()

	if recorded {
		if !rp.Columns().Recorded {
			return fmt.Errorf("%s: --recorded needs a replicas column in the trace", s.traceFile)
		}
		return verifyRecorded(o, rp, r, minAgreement, stdout)
	}
	var got bytes.Buffer
	tl := replay.NewCSVTimeline(&got, rp.Columns())
	if _, err := rp.Run(r, tl.Write); err != nil {
		return err
	}
	if err := tl.Close(); err != nil {
		return err
	}
	if update {
		if err := writeAtomic(golden, func(w io.Writer) error { _, err := w.Write(got.Bytes()); return err }); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: wrote %s\n", o, golden)
		return nil
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		return err
	}
	return compareTimelines(golden, want, got.Bytes(), minAgreement, stdout)
}

// compareTimelines compares two CSV timelines row by row: the share of rows
// whose replicas agree, the largest difference, and the first differing
// rows.
func compareTimelines(file string, want, got []byte, minAgreement float64, stdout io.Writer) error {
	wr, err := csv.NewReader(bytes.NewReader(want)).ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	gr, _ := csv.NewReader(bytes.NewReader(got)).ReadAll()
	if len(wr) == 0 || strings.Join(wr[0], ",") != strings.Join(gr[0], ",") {
		return fmt.Errorf("%s: the columns differ from this replay's:\n  golden: %s\n  replay: %s", file, header(wr), header(gr))
	}
	rep := -1
	for i, c := range gr[0] {
		if c == "replicas" {
			rep = i
		}
	}
	n := max(len(wr), len(gr)) - 1
	agree, maxDiff := 0, 0
	var diffs []string
	for i := 1; i <= n; i++ {
		var w, g []string
		if i < len(wr) {
			w = wr[i]
		}
		if i < len(gr) {
			g = gr[i]
		}
		if w != nil && g != nil && w[rep] == g[rep] {
			agree++
		} else if w != nil && g != nil {
			a, _ := strconv.Atoi(w[rep])
			b, _ := strconv.Atoi(g[rep])
			maxDiff = max(maxDiff, a-b, b-a)
		}
		if strings.Join(w, ",") != strings.Join(g, ",") && len(diffs) < maxDivergences {
			d := fmt.Sprintf("row %d:\n", i)
			if w != nil {
				d += "  - " + strings.Join(w, ",") + "\n"
			}
			if g != nil {
				d += "  + " + strings.Join(g, ",") + "\n"
			}
			diffs = append(diffs, d)
		}
	}
	return report(stdout, file, n, agree, maxDiff, diffs, minAgreement, " (-golden +replay)")
}

func header(rows [][]string) string {
	if len(rows) == 0 {
		return "(empty)"
	}
	return strings.Join(rows[0], ",")
}

// verifyRecorded compares the replicas after each HPA tick with the
// recorded ones.
func verifyRecorded(o object, rp *replay.Replay, r trace.Reader, minAgreement float64, stdout io.Writer) error {
	n, agree, maxDiff := 0, 0, 0
	var diffs []string
	_, err := rp.Run(r, func(row *replay.Row) error {
		if row.Event != replay.HPATick || !row.HasRecorded {
			return nil
		}
		n++
		d := int(row.Desired) - int(row.Recorded)
		if d == 0 {
			agree++
			return nil
		}
		maxDiff = max(maxDiff, d, -d)
		if len(diffs) < maxDivergences {
			where := row.Time.UTC().Format(time.RFC3339)
			if row.Region != "" {
				where += " region " + row.Region
			}
			diffs = append(diffs, fmt.Sprintf("  %s: - recorded %d + replayed %d (%s)\n", where, row.Recorded, row.Desired, orNone(row.Reasons())))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return report(stdout, fmt.Sprintf("%s against the recorded replicas", o), n, agree, maxDiff, diffs, minAgreement, "")
}

func orNone(s string) string {
	if s == "" {
		return "no reasons"
	}
	return s
}

// report prints the agreement and fails below minAgreement.
func report(w io.Writer, what string, n, agree, maxDiff int, diffs []string, minAgreement float64, legend string) error {
	pct := 100.0
	if n > 0 {
		pct = 100 * float64(agree) / float64(n)
	}
	fmt.Fprintf(w, "%s: %d of %d rows agree on replicas (%.2f %%), largest difference %d\n", what, agree, n, pct, maxDiff)
	if len(diffs) > 0 {
		fmt.Fprintf(w, "first differences%s:\n%s", legend, strings.Join(diffs, ""))
	}
	if pct < minAgreement {
		return &checkFailed{fmt.Sprintf("agreement %.2f %% is below --min-agreement %v %%", pct, minAgreement)}
	}
	return nil
}
