package tune

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/autoreplay/autoreplay/replay"
	"github.com/autoreplay/autoreplay/replay/trace"
	yaml "go.yaml.in/yaml/v3"
)

// Current is the Record.Config of the manifest as written.
const Current = -1

// Status is the outcome of one configuration in one region.
type Status uint8

// Outcomes.
const (
	// OK: the replay ran to the end of the trace.
	OK Status = iota + 1
	// Invalid: the configuration is not a valid object (a combination the
	// API server or KEDA would reject) or could not be replayed.
	Invalid
	// Pruned: the replay stopped early because a constraint was broken for
	// good; the figures are those at the stop.
	Pruned
)

func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case Invalid:
		return "invalid"
	case Pruned:
		return "pruned"
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// Record is the evaluation of one configuration in one region.
type Record struct {
	// Config is the configuration's index in the grid (Space.Point), or
	// Current.
	Config int
	Region string
	Status Status
	// Metrics holds one figure per Metrics.Names: NaN for an Invalid record
	// and for the figures a Pruned replay could not complete (mean and
	// quantiles).
	Metrics []float64
	// Note says why a record is Invalid or Pruned.
	Note string
}

// Input describes a study: the manifest and the values to try, the replay
// they run in, and what is asked of them.
type Input struct {
	// Base is the manifest being tuned.
	Base *Base
	// Space is the grid of values.
	Space Space
	// Replay configures the replays (clock, pipeline, workload model); its
	// HPA and ScaledObject are replaced by each configuration's.
	Replay replay.Config
	// Trace is the trace, in memory; each region is tuned on its own rows.
	Trace *trace.Table
	// Goal is the objective and the constraints.
	Goal Goal
	// FlapWindow is the summaries' flap window (replay.SummaryOptions).
	FlapWindow time.Duration
	// Prune stops a configuration's replay in a region as soon as a
	// constraint on a figure that only grows (replica-hours, scale events,
	// maxima, time above a bound) is broken: the configuration is
	// infeasible whatever comes next. Its record is Pruned.
	Prune bool
}

// Study is a prepared search: the grid bound to the manifest, the trace
// split by region, and the manifest as written already evaluated. It is
// read-only once made: its methods are safe for concurrent use.
type Study struct {
	in       Input
	binding  *Binding
	size     int
	regions  []*trace.Table
	names    []string
	hours    []float64 // per region: the trace's duration, an upper bound of a timeline's
	metrics  *Metrics
	sumOpt   replay.SummaryOptions
	current  []Record
	objIdx   int
	consIdx  []int
	pruneIdx []int // constraints on monotone figures, upper bounds
	print    string
	cols     replay.Columns
}

// NewStudy binds the grid to the manifest, checks the goal against the
// figures the replay has, and evaluates the manifest as written.
func NewStudy(in Input) (*Study, error) {
	if in.Base == nil || in.Trace == nil {
		return nil, errors.New("tune: a study needs a Base and a Trace")
	}
	s := &Study{in: in}
	var err error
	if s.size, err = in.Space.Size(); err != nil {
		return nil, err
	}
	if s.binding, err = in.Base.Bind(in.Space.Params); err != nil {
		return nil, err
	}
	s.regions = in.Trace.Regions()
	if len(in.Trace.Samples) == 0 {
		return nil, errors.New("the trace has no rows")
	}
	for _, g := range s.regions {
		s.names = append(s.names, g.Samples[0].Region)
		s.hours = append(s.hours, g.Samples[len(g.Samples)-1].Time.Sub(g.Samples[0].Time).Hours())
	}
	s.sumOpt = replay.SummaryOptions{SLO: in.Goal.SLO, FlapWindow: in.FlapWindow}
	if err := s.sumOpt.Validate(); err != nil {
		return nil, err
	}
	cfg := s.config(in.Base.Config())
	rp, err := replay.New(cfg, in.Trace.Header)
	if err != nil {
		return nil, err
	}
	for name := range in.Goal.SLO {
		if !slices.Contains(rp.Columns().Actual, name) {
			return nil, fmt.Errorf("a bound on %q: %w", name, NewMetrics(rp.Columns().Actual, nil).unknown(name+"."+SeriesAboveFraction))
		}
	}
	s.cols = rp.Columns()
	s.metrics = NewMetrics(rp.Columns().Actual, in.Goal.SLO)
	if err := in.Goal.check(s.metrics); err != nil {
		return nil, err
	}
	s.objIdx = s.metrics.Index(in.Goal.objective())
	for i, c := range in.Goal.Constraints {
		k := s.metrics.Index(c.Metric)
		s.consIdx = append(s.consIdx, k)
		if s.metrics.figs[k].monotone && (c.Op == LE || c.Op == LT) {
			s.pruneIdx = append(s.pruneIdx, i)
		}
	}
	s.print = s.fingerprint()
	ev := s.newEvaluator(nil)
	s.current = ev.evaluate(cfg, nil, false)
	for _, r := range s.current {
		if r.Status != OK {
			return nil, fmt.Errorf("the manifest as written: region %s: %s", orDash(r.Region), r.Note)
		}
	}
	return s, nil
}

// config is the replay config with the object's spec.
func (s *Study) config(obj replay.Config) replay.Config {
	cfg := s.in.Replay
	cfg.HPA, cfg.ScaledObject = obj.HPA, obj.ScaledObject
	return cfg
}

// Size is the number of configurations in the grid.
func (s *Study) Size() int { return s.size }

// Metrics are the figures of the records.
func (s *Study) Metrics() *Metrics { return s.metrics }

// Regions are the trace's regions, sorted; one empty name without a region
// column.
func (s *Study) Regions() []string { return s.names }

// Space is the grid.
func (s *Study) Space() Space { return s.in.Space }

// Goal is the objective and constraints.
func (s *Study) Goal() Goal { return s.in.Goal }

// Base is the manifest being tuned.
func (s *Study) Base() *Base { return s.in.Base }

// CurrentRecords are the records of the manifest as written, one per
// region.
func (s *Study) CurrentRecords() []Record { return slices.Clone(s.current) }

// Fingerprint identifies the study: the manifest, the grid, the replay
// settings, the trace and the goal. Shards of one study share it.
func (s *Study) Fingerprint() string { return s.print }

// Values returns the text of each parameter's value in configuration i.
func (s *Study) Values(i int) []string {
	idx := s.in.Space.Point(i, nil)
	out := make([]string, len(idx))
	for k, j := range idx {
		out[k] = s.in.Space.Params[k].Text(j)
	}
	return out
}

// Document returns the manifest with configuration i's values filled in.
func (s *Study) Document(i int) ([]byte, error) {
	if i == Current {
		return s.in.Base.Document(), nil
	}
	return s.binding.Document(s.in.Space.Point(i, nil))
}

// Config returns configuration i as the replay config the study runs.
func (s *Study) Config(i int) (replay.Config, error) {
	if i == Current {
		return s.config(s.in.Base.Config()), nil
	}
	obj, err := s.binding.Config(s.in.Space.Point(i, nil))
	if err != nil {
		return replay.Config{}, err
	}
	return s.config(obj), nil
}

func (s *Study) fingerprint() string {
	h := sha256.New()
	field := func(parts ...string) {
		for _, p := range parts {
			fmt.Fprintf(h, "%d:%s;", len(p), p)
		}
	}
	field("base", s.in.Base.Kind(), s.in.Base.Name(), string(s.in.Base.Document()))
	for _, p := range s.in.Space.Params {
		field("param", p.Name)
		for i := range p.Values {
			field(p.Text(i))
		}
	}
	rc := s.in.Replay
	rc.HPA, rc.ScaledObject = nil, nil
	field("replay", fmt.Sprintf("%+v", rc)) // maps print sorted
	g := s.in.Goal
	field("goal", g.objective(), fmt.Sprintf("%v", g.SLO), s.in.FlapWindow.String(), strconv.FormatBool(s.in.Prune))
	for _, c := range g.Constraints {
		field(c.Metric, c.Op.String(), strconv.FormatFloat(c.Bound, 'g', -1, 64))
	}
	t := s.in.Trace
	field("trace", strings.Join(t.Header.Series, "\x00"), strconv.FormatBool(t.Header.Region), strconv.FormatBool(t.Header.Replicas))
	var b [8]byte
	for _, r := range t.Samples {
		binary.LittleEndian.PutUint64(b[:], uint64(r.Time.UnixNano()))
		h.Write(b[:])
		field(r.Region)
		binary.LittleEndian.PutUint64(b[:], uint64(r.Replicas))
		h.Write(b[:])
		for _, v := range r.Values {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(v.V))
			h.Write(b[:])
			h.Write([]byte{byte(v.Status)})
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Replay replays configuration i (or Current) in every region, as Run
// does but without pruning, and calls emit with every timeline row; it
// returns the configuration's records.
func (s *Study) Replay(i int, emit func(*replay.Row) error) ([]Record, error) {
	cfg, err := s.Config(i)
	if err != nil {
		return nil, err
	}
	ev := s.newEvaluator(nil)
	recs := ev.evaluate(cfg, emit, false)
	for k := range recs {
		recs[k].Config = i
		if recs[k].Status != OK {
			return recs, fmt.Errorf("configuration %d, region %s: %s", i, orDash(recs[k].Region), recs[k].Note)
		}
	}
	return recs, nil
}

// CurrentValues returns each parameter's field as the manifest as written
// has it, "default" where it does not set it.
func (s *Study) CurrentValues() []string {
	out := make([]string, len(s.binding.fields))
	for k, f := range s.binding.fields {
		n, err := s.in.Base.written(f.steps)
		if err != nil || n == nil || isNullNode(n) || n.Kind != yaml.ScalarNode {
			out[k] = "default"
			continue
		}
		out[k] = n.Value
	}
	return out
}

// Columns describes the rows of the study's replays.
func (s *Study) Columns() replay.Columns { return s.cols }
