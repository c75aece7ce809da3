package replay

import (
	"fmt"
	"slices"
	"strings"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/keda"
	"github.com/autoreplay/autoreplay/replay/trace"
)

// input is one series a controller reads: a ScaledObject trigger (other
// than cron) or an HPA metric.
type input struct {
	name string // the column name, or the first candidate when a workload computes it
	col  int    // index in the trace's series; -1 when a workload computes it
	work int    // index in Config.Workloads; -1 when read from the trace
	// index is the trigger's index (ScaledObject) or the metric's (HPA).
	index      int
	kafka      bool
	partitions int64
}

// candidates are the column names a trigger's series goes by, in order of
// preference: its name; its type when no other trigger has that type; the
// metric name KEDA generates (s<index>-<scaler>).
func triggerCandidates(ts []keda.Trigger, i int) []string {
	t := ts[i]
	var c []string
	if t.Name != "" {
		c = append(c, t.Name)
	}
	n := 0
	for _, u := range ts {
		if u.Kind == t.Kind {
			n++
		}
	}
	if n == 1 {
		c = append(c, t.Kind.String())
	}
	if !slices.Contains(c, t.MetricName) {
		c = append(c, t.MetricName)
	}
	return c
}

// Input is one series a controller reads: a ScaledObject trigger (other
// than cron) or an HPA metric, with the trace columns that may feed it.
type Input struct {
	// Index is the trigger's index in the ScaledObject's Triggers, or the
	// metric's in the HPA's Metrics.
	Index int
	// Names are the column names the series goes by, preferred first (see
	// docs/replay.md, "Which column feeds which trigger").
	Names []string
	// Desc describes the trigger or metric for messages, e.g.
	// `triggers[0] (prometheus "lag")`.
	Desc string
}

// Inputs lists the series cfg's controller reads, in trigger or metric
// order. It is what Run binds to the trace's columns, and what a capture
// records.
func Inputs(cfg *Config) []Input {
	var ins []Input
	if so := cfg.ScaledObject; so != nil {
		for i, t := range so.Triggers {
			if t.Kind == keda.Cron {
				continue
			}
			ins = append(ins, Input{Index: i, Names: triggerCandidates(so.Triggers, i), Desc: describe(cfg, i)})
		}
		return ins
	}
	for i, m := range cfg.HPA.Metrics {
		ins = append(ins, Input{Index: i, Names: []string{m.Name}, Desc: describe(cfg, i)})
	}
	return ins
}

// bind finds the trace column of every series the controller reads.
func bind(cfg *Config, h trace.Header) ([]input, []string, error) {
	type want struct {
		index      int
		candidates []string
		kafka      bool
	}
	var wants []want
	for _, in := range Inputs(cfg) {
		if cfg.HPA != nil {
			for _, w := range wants {
				if w.candidates[0] == in.Names[0] {
					return nil, nil, fmt.Errorf("metrics[%d] and metrics[%d] are both named %q: map each to a column with Columns", w.index, in.Index, in.Names[0])
				}
			}
		}
		kafka := cfg.ScaledObject != nil && cfg.ScaledObject.Triggers[in.Index].Kind == keda.Kafka
		wants = append(wants, want{index: in.Index, candidates: in.Names, kafka: kafka})
	}

	column := map[string]int{}
	for i, s := range h.Series {
		column[s] = i
	}
	used := make([]bool, len(h.Series))
	var ins []input
	var missing []string
	for _, w := range wants {
		in := input{col: -1, work: -1, index: w.index, kafka: w.kafka, name: w.candidates[0]}
		names := w.candidates
		for _, c := range w.candidates {
			if col, ok := cfg.Columns[c]; ok {
				names = []string{col}
				break
			}
		}
		for wi, wl := range cfg.Workloads {
			if slices.Contains(w.candidates, wl.Series) || slices.Contains(names, wl.Series) {
				in.work = wi
			}
		}
		for _, n := range names {
			if i, ok := column[n]; ok {
				in.col, in.name = i, n
				used[i] = true
				break
			}
		}
		if in.col < 0 && len(names) == 1 {
			in.name = names[0]
		}
		if in.col < 0 && in.work < 0 {
			missing = append(missing, fmt.Sprintf("%s (a column named %s)", describe(cfg, w.index), orList(names)))
		}
		if w.kafka {
			n, ok := cfg.Partitions[in.name]
			if !ok {
				return nil, nil, fmt.Errorf("%s is a kafka trigger: give its topic's partition count (Partitions[%q])", describe(cfg, w.index), in.name)
			}
			in.partitions = n
		}
		ins = append(ins, in)
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("the trace has no column for %s; its columns are %s", strings.Join(missing, "; "), list(h.Series))
	}
	for k, c := range cfg.Columns {
		if _, ok := column[c]; !ok {
			return nil, nil, fmt.Errorf("Columns[%q] = %q: the trace has no such column; its columns are %s", k, c, list(h.Series))
		}
	}
	for wi, wl := range cfg.Workloads {
		found := false
		for _, in := range ins {
			found = found || in.work == wi
		}
		if !found {
			var names []string
			for _, in := range ins {
				names = append(names, in.name)
			}
			return nil, nil, fmt.Errorf("workloads[%d].series %q: no trigger or metric reads it; the series are %s", wi, wl.Series, list(names))
		}
		for _, c := range []string{wl.Arrivals, wl.Load} {
			if c == "" {
				continue
			}
			i, ok := column[c]
			if !ok {
				return nil, nil, fmt.Errorf("workloads[%d]: the trace has no column %q; its columns are %s", wi, c, list(h.Series))
			}
			used[i] = true
		}
	}
	var unused []string
	for i, u := range used {
		if !u {
			unused = append(unused, h.Series[i])
		}
	}
	return ins, unused, nil
}

func describe(cfg *Config, i int) string {
	if so := cfg.ScaledObject; so != nil {
		t := so.Triggers[i]
		if t.Name != "" {
			return fmt.Sprintf("triggers[%d] (%s %q)", i, t.Kind, t.Name)
		}
		return fmt.Sprintf("triggers[%d] (%s)", i, t.Kind)
	}
	m := cfg.HPA.Metrics[i]
	return fmt.Sprintf("metrics[%d] (%s %q)", i, metricTypeName(m.Type), m.Name)
}

func metricTypeName(t hpa.MetricType) string {
	switch t {
	case hpa.External:
		return "External"
	case hpa.Object:
		return "Object"
	case hpa.Pods:
		return "Pods"
	case hpa.Resource:
		return "Resource"
	case hpa.ContainerResource:
		return "ContainerResource"
	}
	return "metric"
}

func quote(names []string) []string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return q
}

func list(names []string) string {
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(quote(names), ", ")
}

func orList(names []string) string {
	q := quote(names)
	switch len(q) {
	case 0:
		return "(none)"
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
