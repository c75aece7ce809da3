// Command replay is a small example of the replay package: it replays a
// trace through the HorizontalPodAutoscaler or ScaledObject of a manifest,
// in the open loop, and prints every rescale and a summary.
//
//	go run ./examples/replay testdata/examples/nasa-gateway-hpa.yaml testdata/traces/nasa-http-1995-07-01-rate.csv
//
// The trace is a CSV file in the format of docs/replay.md: a time column and
// one column per metric, named as the metric (or trigger) it feeds. The
// manifest holds exactly one HorizontalPodAutoscaler or ScaledObject.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/autoreplay/autoreplay/manifest"
	"github.com/autoreplay/autoreplay/replay"
	"github.com/autoreplay/autoreplay/replay/trace"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	if len(args) != 2 {
		return errors.New("usage: replay MANIFEST.yaml TRACE.csv")
	}
	cfg, name, err := readManifest(args[0])
	if err != nil {
		return err
	}
	f, err := os.Open(args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	r := trace.NewCSVReader(args[1], f)
	rp, err := replay.New(cfg, r.Header())
	if err != nil {
		return fmt.Errorf("%s: %s: %w", args[0], name, err)
	}
	var out bytes.Buffer // nothing is printed if the replay fails
	fmt.Fprintf(&out, "%s through %s (%s loop); rescales:\n", filepath.Base(args[1]), name, rp.Columns().Loop)
	w := replay.NewCSVTimeline(&out, rp.Columns())
	sum := replay.NewSummarizer(rp.Columns(), replay.SummaryOptions{})
	res, err := rp.Run(r, func(row *replay.Row) error {
		sum.Add(row)
		if !row.Rescale {
			return nil
		}
		return w.Write(row)
	})
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	fmt.Fprintln(&out)
	if err := replay.WriteSummaryText(&out, sum.Summary()); err != nil {
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(&out, "warning: %s: %s\n", args[1], w)
	}
	_, err = stdout.Write(out.Bytes())
	return err
}

// readManifest reads the one HPA or ScaledObject of a manifest.
func readManifest(path string) (replay.Config, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return replay.Config{}, "", err
	}
	objs, err := manifest.ParseObjects(path, b, manifest.DefaultOptions())
	switch {
	case err != nil:
		return replay.Config{}, "", err
	case len(objs) == 1 && objs[0].HPA != nil:
		return replay.Config{HPA: &objs[0].HPA.Spec}, objs[0].String(), nil
	case len(objs) == 1:
		return replay.Config{ScaledObject: &objs[0].ScaledObject.Spec}, objs[0].String(), nil
	}
	hpas := 0
	for _, o := range objs {
		if o.HPA != nil {
			hpas++
		}
	}
	return replay.Config{}, "", fmt.Errorf("%s: found %d HorizontalPodAutoscalers and %d ScaledObjects, want exactly one object", path, hpas, len(objs)-hpas)
}
