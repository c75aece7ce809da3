package main

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/autoreplay/autoreplay/replay"
)

// example is the bundled example `replay` runs without arguments.
//
//go:embed example/orders-consumer.yaml example/arrivals.csv
var example embed.FS

// exampleArgs are the flags of the bundled example, as `replay run` takes
// them.
var exampleArgs = []string{
	"-f", "example/orders-consumer.yaml", "--trace", "example/arrivals.csv",
	"--model", "queue", "--arrivals", "arrivals", "--throughput", "5", "--max-consumers", "12",
	"--partitions", "lag=12", "--startup-delay", "45s",
	"--pipeline-delay", "30s", "--scrape-interval", "30s", "--slo", "5000",
	"--plot", "replay.png",
}

func runExample(stdout, stderr io.Writer) error {
	fmt.Fprintf(stdout, "The bundled example: a Kafka consumer group scaled by KEDA on its lag, replayed in\nthe closed loop against a day of real arrivals. With the files of cmd/replay/example\n(embedded in the command), the same as:\n\n  replay run %s\n\n", strings.Join(exampleArgs, " "))
	return runWith(exampleArgs, &example, stdout, stderr)
}

func runCmd(args []string, stdout, stderr io.Writer) error {
	return runWith(args, nil, stdout, stderr)
}

const runExamples = `  # What would KEDA have done on last week's lag? Timeline and plot:
  replay run -f orders-consumer.yaml --trace lag.csv -o timeline.csv --plot replicas.png

  # The lag the same config would have left, with pods that take 90 s to start:
  replay run -f orders-consumer.yaml --trace lag.csv --model queue --throughput 40 \
    --startup-delay 90s --max-consumers 24 --partitions lag=24 --plot lag.svg

  # A Prometheus range query as the trace, one region:
  replay run -f hpa.yaml --trace rps.json --column rps --region-label cluster --region eu-1
`

func runWith(args []string, fsys *embed.FS, stdout, stderr io.Writer) error {
	var s setup
	if fsys != nil {
		s.fsys = fsys
	}
	var out, plotFile string
	var width, height float64
	fs := newFlags("run", "Replay a trace through the HorizontalPodAutoscaler or ScaledObject of a manifest.",
		"replay run -f MANIFEST --trace TRACE [-o TIMELINE] [--plot IMAGE] [flags]", runExamples, stdout)
	s.flags(fs)
	fs.StringVarP(&out, "output", "o", "", "write the timeline: .csv, .json, .parquet, or - for CSV on stdout")
	fs.StringVar(&plotFile, "plot", "", "draw replicas over time: .png or .svg")
	fs.Float64Var(&width, "width", 0, "plot width in points (0: the default)")
	fs.Float64Var(&height, "height", 0, "plot height per region in points (0: the default)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("run: unexpected argument %q (the trace is given with --trace)", fs.Arg(0))
	}
	tw, err := timelineFormat(out)
	if err != nil {
		return err
	}
	if plotFile != "" {
		if _, err := imageFormat(plotFile); err != nil {
			return err
		}
	}
	o, r, closer, rp, err := s.prepare()
	if err != nil {
		return err
	}
	defer closer.Close()

	cols := rp.Columns()
	so := replay.SummaryOptions{}
	if s.slo > 0 && len(cols.Actual) > 0 {
		so.SLO = map[string]float64{cols.Actual[0]: s.slo}
	}
	sum := replay.NewSummarizer(cols, so)
	pd := newPlotData(o, cols, s.slo)
	summaryOut := stdout
	var res replay.Result
	// replayTo runs the replay, streaming the timeline to w (none when nil).
	replayTo := func(w io.Writer) error {
		var tl replay.TimelineWriter
		if w != nil {
			tl = tw(w, cols)
		}
		var err error
		res, err = rp.Run(r, func(row *replay.Row) error {
			sum.Add(row)
			pd.add(row)
			if tl == nil {
				return nil
			}
			return tl.Write(row)
		})
		if err != nil || tl == nil {
			return err
		}
		return tl.Close()
	}
	switch out {
	case "":
		err = replayTo(nil)
	case "-":
		summaryOut = stderr
		err = replayTo(stdout)
	default:
		err = writeAtomic(out, replayTo)
	}
	if err != nil {
		return err
	}
	summary := sum.Summary()
	if plotFile != "" {
		if err := writeAtomic(plotFile, func(w io.Writer) error { return pd.draw(w, plotFile, width, height, summary) }); err != nil {
			return err
		}
	}
	fmt.Fprintf(summaryOut, "%s, %s loop\n", o, cols.Loop)
	if err := replay.WriteSummaryText(summaryOut, summary); err != nil {
		return err
	}
	for _, name := range []string{out, plotFile} {
		if name != "" && name != "-" {
			fmt.Fprintf(summaryOut, "wrote %s\n", name)
		}
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "warning: %s: %s\n", s.traceFile, w)
	}
	if res.WarningsDropped > 0 {
		fmt.Fprintf(stderr, "warning: %s: %d more warnings\n", s.traceFile, res.WarningsDropped)
	}
	return nil
}

// timelineFormat returns the timeline writer for a file name by its
// extension; nil for no file.
func timelineFormat(name string) (func(io.Writer, replay.Columns) replay.TimelineWriter, error) {
	switch ext := strings.ToLower(filepath.Ext(name)); {
	case name == "":
		return nil, nil
	case name == "-" || ext == ".csv":
		return replay.NewCSVTimeline, nil
	case ext == ".json":
		return replay.NewJSONTimeline, nil
	case ext == ".parquet":
		return replay.NewParquetTimeline, nil
	default:
		return nil, fmt.Errorf("-o %s: unknown timeline format %q: want .csv, .json, .parquet or -", name, ext)
	}
}

// imageFormat is "png" or "svg" by the file's extension.
func imageFormat(name string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(name)); ext {
	case ".png", ".svg":
		return ext[1:], nil
	default:
		return "", fmt.Errorf("--plot %s: unknown image format %q: want .png or .svg", name, ext)
	}
}

// writeAtomic writes a file through write: to a temporary file in the same
// directory, renamed over name only when write succeeded, so that name is
// never left half written.
func writeAtomic(name string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), name); err != nil {
		return errors.Join(err, os.Remove(f.Name()))
	}
	return nil
}
