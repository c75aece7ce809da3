package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/autoreplay/autoreplay/replay"
)

const plotExamples = `  # Redraw a saved timeline:
  replay plot timeline.csv -o replicas.svg

  # With the targets and thresholds of the manifest it was replayed with:
  replay plot timeline.csv -o replicas.png -f scaledobject.yaml
`

func plotCmd(args []string, stdout, stderr io.Writer) error {
	var s setup
	var out string
	var width, height float64
	fs := newFlags("plot", "Draw replicas over time from a saved CSV timeline.",
		"replay plot TIMELINE.csv -o IMAGE [-f MANIFEST]", plotExamples, stdout)
	fs.StringArrayVarP(&s.files, "filename", "f", nil, "the manifest the timeline was replayed with, for targets and thresholds")
	fs.StringVar(&s.name, "name", "", "the object, when the manifests hold several")
	fs.StringVarP(&out, "output", "o", "", "the image: .png or .svg")
	fs.Float64Var(&width, "width", 0, "plot width in points (0: the default)")
	fs.Float64Var(&height, "height", 0, "plot height per region in points (0: the default)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("plot: give one timeline file (see --help)")
	}
	if out == "" {
		return errors.New("plot: give the image file with -o")
	}
	if _, err := imageFormat(out); err != nil {
		return err
	}
	in := fs.Arg(0)
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	o := object{kind: "timeline", name: filepath.Base(in)}
	if len(s.files) > 0 {
		s.model = "open"
		if o, err = s.object(); err != nil {
			return err
		}
	}
	pd, err := readTimeline(in, f, o)
	if err != nil {
		return err
	}
	if err := writeAtomic(out, func(w io.Writer) error { return pd.draw(w, out, width, height, replay.Summary{}) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", out)
	return nil
}

// readTimeline reads a CSV timeline (docs/replay.md §9) into plot data.
func readTimeline(file string, r io.Reader, o object) (*plotData, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	col := map[string]int{}
	var series, actual []string
	var seriesAt, actualAt []int
	for i, h := range head {
		col[h] = i
		switch {
		case strings.HasPrefix(h, "actual:"):
			actual, actualAt = append(actual, strings.TrimPrefix(h, "actual:")), append(actualAt, i)
		case !fixedColumn[h]:
			series, seriesAt = append(series, h), append(seriesAt, i)
		}
	}
	for _, need := range []string{"time", "region", "replicas", "desired", "source", "loop", "ready", "reasons"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%s:1: no %q column: not a replay timeline (docs/replay.md)", file, need)
		}
	}
	cols := replay.Columns{Series: series, Actual: actual}
	if o.kind == "timeline" {
		pd := &plotData{title: o.name, actual: actual}
		for _, s := range series {
			pd.lines = append(pd.lines, line{name: s})
		}
		return fillTimeline(file, cr, col, seriesAt, actualAt, pd)
	}
	if len(o.cfg.Workloads) == 0 && len(actual) > 0 {
		o.cfg.Workloads = []replay.Workload{{Series: actual[0]}}
	}
	pd := newPlotData(o, cols, 0)
	if len(pd.lines) != len(series) {
		return nil, fmt.Errorf("%s: %d series columns, but %s reads %d", file, len(series), o, len(pd.lines))
	}
	return fillTimeline(file, cr, col, seriesAt, actualAt, pd)
}

var fixedColumn = map[string]bool{"time": true, "region": true, "replicas": true, "desired": true, "source": true, "loop": true, "ready": true, "recorded": true, "reasons": true}

func fillTimeline(file string, cr *csv.Reader, col map[string]int, seriesAt, actualAt []int, pd *plotData) (*plotData, error) {
	prev := map[string]float64{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		bad := func(name string, err error) error {
			return fmt.Errorf("%s:%d: column %s: %w", file, line, name, err)
		}
		t, err := time.Parse(time.RFC3339Nano, rec[col["time"]])
		if err != nil {
			return nil, bad("time", err)
		}
		num := func(name string) (float64, error) {
			s := rec[col[name]]
			if s == "" {
				return math.NaN(), nil
			}
			return strconv.ParseFloat(s, 64)
		}
		replicas, err := num("replicas")
		if err != nil {
			return nil, bad("replicas", err)
		}
		desired, err := num("desired")
		if err != nil {
			return nil, bad("desired", err)
		}
		ready, err := num("ready")
		if err != nil {
			return nil, bad("ready", err)
		}
		region := rec[col["region"]]
		p := pd.panel(region)
		p.Times = append(p.Times, t)
		p.Replicas = append(p.Replicas, replicas)
		p.Desired = append(p.Desired, desired)
		p.Ready = append(p.Ready, ready)
		if last, ok := prev[region]; ok && last != replicas {
			p.Events = append(p.Events, t)
		}
		prev[region] = replicas
		k := 0
		for _, at := range seriesAt {
			v, err := strconv.ParseFloat(rec[at], 64)
			if err != nil {
				v = math.NaN() // empty or "failed"
			}
			addPoint(&p.Metrics[k], t, v)
			k++
		}
		for _, at := range actualAt {
			v, err := strconv.ParseFloat(rec[at], 64)
			if err != nil {
				return nil, bad("actual", err)
			}
			addPoint(&p.Metrics[k], t, v)
			k++
		}
		for i, l := range pd.lines {
			if l.perReplica <= 0 {
				continue
			}
			v, err := strconv.ParseFloat(rec[seriesAt[i]], 64)
			if err != nil || replicas == 0 {
				v = math.NaN()
			} else {
				v /= replicas
			}
			addPoint(&p.Metrics[k], t, v)
			k++
		}
	}
	return pd, nil
}
