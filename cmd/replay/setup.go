package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/keda"
	"github.com/autoreplay/autoreplay/manifest"
	"github.com/autoreplay/autoreplay/replay"
	"github.com/autoreplay/autoreplay/replay/trace"
)

// setup holds the flags that describe a replay: the manifest, the trace,
// the controller settings and the workload model.
type setup struct {
	files       []string
	name        string
	traceFile   string
	column      string
	columnLabel string
	regionLabel string
	region      string
	columns     []string
	partitions  []string

	syncPeriod time.Duration
	staleness  time.Duration
	initial    int32
	tolerance  float64
	downscale  time.Duration

	model        string
	series       string
	arrivals     string
	throughput   float64
	initialLag   float64
	load         string
	capacity     float64
	maxConsumers int32
	startup      time.Duration
	delay        time.Duration
	scrape       time.Duration
	slo          float64

	fsys fs.FS // where files are read from; nil: the operating system
}

func (s *setup) flags(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&s.files, "filename", "f", nil, "manifest with the HorizontalPodAutoscaler or ScaledObject (repeatable; multi-document files)")
	fs.StringVar(&s.name, "name", "", "the object to replay when the manifests hold several")
	fs.StringVar(&s.traceFile, "trace", "", "the trace: .csv, .parquet, or Prometheus query_range .json")
	fs.StringVar(&s.column, "column", "", "query_range JSON: the column every series goes to")
	fs.StringVar(&s.columnLabel, "column-label", "", "query_range JSON: the label that names each series' column")
	fs.StringVar(&s.regionLabel, "region-label", "", "query_range JSON: the label that names each series' region")
	fs.StringVar(&s.region, "region", "", "replay only this region of the trace")
	fs.StringArrayVar(&s.columns, "map", nil, "SERIES=COLUMN: feed a trigger or metric from another column (repeatable)")
	fs.StringArrayVar(&s.partitions, "partitions", nil, "SERIES=N: a kafka trigger's partition count (repeatable)")
	fs.DurationVar(&s.syncPeriod, "sync-period", hpa.DefaultSyncPeriod, "the HPA's --horizontal-pod-autoscaler-sync-period")
	fs.Float64Var(&s.tolerance, "tolerance", hpa.DefaultTolerance, "the controller's --horizontal-pod-autoscaler-tolerance")
	fs.DurationVar(&s.downscale, "downscale-stabilization", hpa.DefaultDownscaleStabilizationWindow, "the controller's --horizontal-pod-autoscaler-downscale-stabilization")
	fs.DurationVar(&s.staleness, "staleness", replay.DefaultStaleness, "how long a sample holds without a newer one")
	fs.Int32Var(&s.initial, "initial-replicas", 0, "replicas at the start (0: the trace's recorded count, else the minimum)")
	fs.StringVar(&s.model, "model", "open", "open (recorded values), queue or utilization (closed loop)")
	fs.StringVar(&s.series, "series", "", "closed loop: the trigger or metric the model computes (default: the only one)")
	fs.StringVar(&s.arrivals, "arrivals", "", "queue: the column with the arrival rate per second (default: derived from the recorded lag and replicas)")
	fs.Float64Var(&s.throughput, "throughput", 0, "queue: items one ready replica processes per second")
	fs.Float64Var(&s.initialLag, "initial-lag", 0, "queue: the lag at the start (0: the trace's first)")
	fs.StringVar(&s.load, "load", "", "utilization: the column with the offered load")
	fs.Float64Var(&s.capacity, "capacity", 0, "utilization: the load one ready replica carries at 100 %")
	fs.Int32Var(&s.maxConsumers, "max-consumers", 0, "closed loop: the most replicas that do work, e.g. Kafka partitions (0: no cap)")
	fs.DurationVar(&s.startup, "startup-delay", 0, "closed loop: how long a new pod takes to become ready")
	fs.DurationVar(&s.delay, "pipeline-delay", 0, "the age of the metric the controllers read")
	fs.DurationVar(&s.scrape, "scrape-interval", 0, "the metric's scrape period (0: read the source directly)")
	fs.Float64Var(&s.slo, "slo", 0, "closed loop: a bound on the modelled series; time above it is reported and shaded")
}

// object is the manifest object a replay runs.
type object struct {
	kind, name string
	cfg        replay.Config
	// queries are a ScaledObject's prometheus queries, by trigger.
	queries []*manifest.PrometheusQuery
	// file is the manifest it came from; several reports that the
	// manifests hold other objects too.
	file    string
	several bool
}

func (o object) String() string { return o.kind + " " + o.name }

func (s *setup) readFile(name string) ([]byte, error) {
	if s.fsys != nil {
		return fs.ReadFile(s.fsys, name)
	}
	return os.ReadFile(name)
}

// object reads the manifests and resolves the flags into a replay config.
func (s *setup) object() (object, error) {
	o, err := pickObject(s.files, s.name, manifest.Options{Tolerance: s.tolerance, DownscaleStabilizationWindow: s.downscale}, s.readFile)
	if err != nil {
		return object{}, err
	}
	if err := s.configure(&o.cfg); err != nil {
		return object{}, err
	}
	return o, nil
}

// pickObject reads the manifests in files and returns the object named
// name, or the only one.
func pickObject(files []string, name string, opt manifest.Options, read func(string) ([]byte, error)) (object, error) {
	if len(files) == 0 {
		return object{}, errors.New("no manifest: give one with -f/--filename")
	}
	var objs []object
	for _, f := range files {
		b, err := read(f)
		if err != nil {
			return object{}, err
		}
		parsed, err := manifest.ParseObjects(f, b, opt)
		if err != nil {
			return object{}, err
		}
		for _, m := range parsed {
			o := object{kind: m.Kind(), name: m.Name(), file: f}
			if m.HPA != nil {
				o.cfg = replay.Config{HPA: &m.HPA.Spec}
			} else {
				o.cfg, o.queries = replay.Config{ScaledObject: &m.ScaledObject.Spec}, m.ScaledObject.Queries
			}
			objs = append(objs, o)
		}
	}
	var pick []object
	var names []string
	for _, o := range objs {
		names = append(names, o.String())
		if name == "" || o.name == name {
			pick = append(pick, o)
		}
	}
	switch {
	case len(objs) == 0:
		return object{}, fmt.Errorf("%s: no HorizontalPodAutoscaler or ScaledObject", strings.Join(files, ", "))
	case len(pick) == 0:
		return object{}, fmt.Errorf("--name %q: no such object; the manifests hold %s", name, strings.Join(names, ", "))
	case len(pick) > 1:
		return object{}, fmt.Errorf("the manifests hold %s: choose one with --name", strings.Join(names, ", "))
	}
	o := pick[0]
	o.several = len(objs) > 1
	return o, nil
}

// configure applies the flags to cfg.
func (s *setup) configure(cfg *replay.Config) error {
	cfg.SyncPeriod, cfg.InitialReplicas = s.syncPeriod, s.initial
	cfg.Staleness = s.staleness
	cfg.Pipeline = replay.Pipeline{Delay: s.delay, ScrapeInterval: s.scrape}
	cfg.StartupDelay = s.startup
	var err error
	if cfg.Columns, err = pairs("--map", s.columns, func(v string) (string, error) { return v, nil }); err != nil {
		return err
	}
	if cfg.Partitions, err = pairs("--partitions", s.partitions, func(v string) (int64, error) { return strconv.ParseInt(v, 10, 64) }); err != nil {
		return err
	}
	w := replay.Workload{Series: s.series, MaxConsumers: s.maxConsumers}
	switch s.model {
	case "open":
		for _, f := range []string{s.arrivals, s.load} {
			if f != "" {
				return errors.New("--arrivals and --load need --model queue or utilization")
			}
		}
		return nil
	case "queue":
		w.Kind, w.Arrivals, w.Throughput, w.InitialLag = replay.Queue, s.arrivals, s.throughput, s.initialLag
	case "utilization":
		w.Kind, w.Load, w.Capacity = replay.Utilization, s.load, s.capacity
	default:
		return fmt.Errorf("--model %q: want open, queue or utilization", s.model)
	}
	cfg.Workloads = []replay.Workload{w}
	return nil
}

// pairs parses KEY=VALUE flags.
func pairs[V any](flag string, args []string, parse func(string) (V, error)) (map[string]V, error) {
	if len(args) == 0 {
		return nil, nil
	}
	m := map[string]V{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: want NAME=VALUE", flag, a)
		}
		x, err := parse(v)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", flag, a, err)
		}
		m[k] = x
	}
	return m, nil
}

// traceFile is what the readers need of a file: os.File and embed's files
// have it.
type traceFile interface {
	io.Reader
	io.ReaderAt
	io.Closer
	Stat() (fs.FileInfo, error)
}

// openTrace opens the trace by its extension. The closer closes the file.
func (s *setup) openTrace() (trace.Reader, io.Closer, error) {
	if s.traceFile == "" {
		return nil, nil, errors.New("no trace: give one with --trace")
	}
	var f traceFile
	if s.fsys != nil {
		ef, err := s.fsys.Open(s.traceFile)
		if err != nil {
			return nil, nil, err
		}
		var ok bool
		if f, ok = ef.(traceFile); !ok {
			ef.Close()
			return nil, nil, fmt.Errorf("%s: cannot be read at random", s.traceFile)
		}
	} else {
		of, err := os.Open(s.traceFile)
		if err != nil {
			return nil, nil, err
		}
		f = of
	}
	if strings.ToLower(filepath.Ext(s.traceFile)) == ".json" && s.column == "" && s.columnLabel == "" {
		f.Close()
		return nil, nil, fmt.Errorf("%s: a Prometheus query_range result needs --column NAME or --column-label LABEL", s.traceFile)
	}
	r, err := trace.Open(s.traceFile, f, trace.PromOptions{Column: s.column, ColumnLabel: s.columnLabel, RegionLabel: s.regionLabel})
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if s.region != "" {
		if !r.Header().Region {
			f.Close()
			return nil, nil, fmt.Errorf("--region %q: %s has no regions", s.region, s.traceFile)
		}
		r = &regionFilter{Reader: trace.Region(r, s.region), region: s.region}
	}
	return r, f, nil
}

// regionFilter says --region in the error of a region without rows.
type regionFilter struct {
	trace.Reader
	region string
}

func (r *regionFilter) Err() error {
	err := r.Reader.Err()
	if err != nil && strings.HasPrefix(err.Error(), fmt.Sprintf("region %q:", r.region)) {
		return fmt.Errorf("--%s", err)
	}
	return err
}

// prepare reads the manifest and opens the trace: the replay is ready to
// run. The workload's series defaults to the only series.
func (s *setup) prepare() (object, trace.Reader, io.Closer, *replay.Replay, error) {
	o, err := s.object()
	if err != nil {
		return object{}, nil, nil, nil, err
	}
	r, c, err := s.openTrace()
	if err != nil {
		return object{}, nil, nil, nil, err
	}
	if len(o.cfg.Workloads) == 1 && o.cfg.Workloads[0].Series == "" {
		if o.cfg.Workloads[0].Series = onlySeries(o.cfg); o.cfg.Workloads[0].Series == "" {
			c.Close()
			return object{}, nil, nil, nil, fmt.Errorf("%s reads several series: name the one the model computes with --series", o)
		}
	}
	rp, err := replay.New(o.cfg, r.Header())
	if err != nil {
		c.Close()
		return object{}, nil, nil, nil, fmt.Errorf("%s with %s: %w", strings.Join(s.files, ", "), s.traceFile, err)
	}
	return o, r, c, rp, nil
}

// onlySeries is the name of the only series cfg reads, or "".
func onlySeries(cfg replay.Config) string {
	if cfg.HPA != nil {
		if len(cfg.HPA.Metrics) == 1 {
			return cfg.HPA.Metrics[0].Name
		}
		return ""
	}
	name := ""
	for _, t := range cfg.ScaledObject.Triggers {
		if t.Kind == keda.Cron {
			continue
		}
		if name != "" {
			return ""
		}
		name = t.Name
		if name == "" {
			name = t.Kind.String()
		}
	}
	return name
}
