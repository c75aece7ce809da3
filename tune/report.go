package tune

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// DefaultTop is the length of a ranking when ReportOptions.Top is 0.
const DefaultTop = 10

// ReportOptions shape a Report.
type ReportOptions struct {
	// Top is how many configurations each region's ranking keeps; 0 means
	// DefaultTop.
	Top int
	// FrontY names the figure the Pareto front sets against the objective;
	// "" means the first constraint's figure other than the objective, else
	// scale_events_per_hour (or replica_hours when that is the objective).
	FrontY string
	// HeatX and HeatY name the parameters of the heatmap; "" means the
	// first two parameters with more than one value. Without two such
	// parameters there is no heatmap.
	HeatX, HeatY string
}

// Entry is a record with where it stands.
type Entry struct {
	Record
	// Feasible: the replay ran to the end and every constraint holds.
	Feasible bool
	// Excess sums, over the broken constraints, how far the figure is past
	// its bound relative to the bound; 0 when feasible.
	Excess float64
	// Broken lists the constraints that do not hold, as written.
	Broken []string
}

// Report is what a study found, per region.
type Report struct {
	// Metrics names the figures of the records; Objective and FrontY are
	// the figures ranked and set against it.
	Metrics           []string
	Objective, FrontY string
	Regions           []RegionReport
}

// RegionReport is one region's outcome.
type RegionReport struct {
	Region string
	// Current is the manifest as written.
	Current Entry
	// Evaluated counts the configurations seen; Feasible, Infeasible,
	// Pruned and Invalid split them.
	Evaluated, Feasible, Infeasible, Pruned, Invalid int
	// Top is the ranking: feasible configurations by the objective (ties:
	// fewer scale events per hour, then fewer replica-hours, then the
	// earlier grid index), then the infeasible ones by their excess, then
	// the pruned and the invalid ones, by index.
	Top []Entry
	// Front is the Pareto front of the replays that ran to the end:
	// objective against FrontY, both minimised, by increasing objective.
	// Of equal points the earliest index stands.
	Front []Entry
	// Heat is the heatmap, nil without one.
	Heat *Heatmap
}

// Best is the region's first configuration, and whether it is feasible.
func (r *RegionReport) Best() (Entry, bool) {
	if len(r.Top) == 0 {
		return Entry{}, false
	}
	return r.Top[0], r.Top[0].Feasible
}

// Heatmap holds, for each pair of values of two parameters, the best
// objective among the feasible configurations with those values.
type Heatmap struct {
	// X and Y index Space.Params.
	X, Y int
	// Value[i][j] is the best objective with X's value i and Y's value j;
	// NaN when no such configuration is feasible. Config[i][j] is its index
	// (-1 with NaN).
	Value  [][]float64
	Config [][]int
}

// Collector builds a Report from records as they come, in any order: its
// memory depends on the regions, Top, the front and the heatmap's size,
// not on the number of records.
type Collector struct {
	s       *Study
	opt     ReportOptions
	yIdx    int
	heatX   int
	heatY   int
	regions []*RegionReport
	byName  map[string]int
	idx     []int
}

// NewCollector returns a Collector of the study's records.
func (s *Study) NewCollector(opt ReportOptions) (*Collector, error) {
	if opt.Top < 0 {
		return nil, fmt.Errorf("top %d: must be >= 0", opt.Top)
	}
	if opt.Top == 0 {
		opt.Top = DefaultTop
	}
	c := &Collector{s: s, opt: opt, byName: map[string]int{}, heatX: -1, heatY: -1}
	obj := s.in.Goal.objective()
	if opt.FrontY == "" {
		for _, con := range s.in.Goal.Constraints {
			if con.Metric != obj {
				opt.FrontY = con.Metric
				break
			}
		}
	}
	if opt.FrontY == "" {
		opt.FrontY = ScaleEventsPerHour
		if obj == ScaleEventsPerHour {
			opt.FrontY = ReplicaHours
		}
	}
	c.opt.FrontY = opt.FrontY
	if c.yIdx = s.metrics.Index(opt.FrontY); c.yIdx < 0 {
		return nil, fmt.Errorf("front: %w", s.metrics.unknown(opt.FrontY))
	}
	params := s.in.Space.Params
	find := func(name string) (int, error) {
		i := slices.IndexFunc(params, func(p Param) bool { return p.Name == name })
		if i < 0 {
			var names []string
			for _, p := range params {
				names = append(names, p.Name)
			}
			return -1, fmt.Errorf("heatmap: %q is not a parameter of the grid (%v)", name, names)
		}
		return i, nil
	}
	var err error
	switch {
	case opt.HeatX != "" && opt.HeatY != "":
		if c.heatX, err = find(opt.HeatX); err != nil {
			return nil, err
		}
		if c.heatY, err = find(opt.HeatY); err != nil {
			return nil, err
		}
		if c.heatX == c.heatY {
			return nil, fmt.Errorf("heatmap: %q on both axes", opt.HeatX)
		}
	case opt.HeatX != "" || opt.HeatY != "":
		return nil, fmt.Errorf("heatmap: name both parameters or neither")
	default:
		for i, p := range params {
			if len(p.Values) < 2 {
				continue
			}
			if c.heatX < 0 {
				c.heatX = i
			} else if c.heatY < 0 {
				c.heatY = i
			}
		}
		if c.heatY < 0 {
			c.heatX = -1
		}
	}
	for k, name := range s.names {
		r := &RegionReport{Region: name, Current: c.entry(s.current[k])}
		if c.heatX >= 0 {
			nx, ny := len(params[c.heatX].Values), len(params[c.heatY].Values)
			h := &Heatmap{X: c.heatX, Y: c.heatY, Value: make([][]float64, nx), Config: make([][]int, nx)}
			for i := range nx {
				h.Value[i], h.Config[i] = make([]float64, ny), make([]int, ny)
				for j := range ny {
					h.Value[i][j], h.Config[i][j] = math.NaN(), -1
				}
			}
			r.Heat = h
		}
		c.regions = append(c.regions, r)
		c.byName[name] = k
	}
	return c, nil
}

// Judge returns a record with where it stands against the goal.
func (c *Collector) Judge(rec Record) Entry { return c.entry(rec) }

// entry judges a record against the goal.
func (c *Collector) entry(rec Record) Entry {
	e := Entry{Record: rec, Feasible: rec.Status == OK}
	if rec.Status == Invalid {
		return e
	}
	for i, con := range c.s.in.Goal.Constraints {
		v := rec.Metrics[c.s.consIdx[i]]
		if !con.Holds(v) {
			e.Feasible = false
			e.Excess += con.excess(v)
			e.Broken = append(e.Broken, con.Text)
		}
	}
	return e
}

// class orders the kinds of entries in a ranking.
func class(e *Entry) int {
	switch {
	case e.Feasible:
		return 0
	case e.Status == OK:
		return 1
	case e.Status == Pruned:
		return 2
	}
	return 3
}

// compare orders entries for the ranking.
func (c *Collector) compare(a, b *Entry) int {
	if d := cmp.Compare(class(a), class(b)); d != 0 {
		return d
	}
	m := c.s.metrics
	events, hours := m.Index(ScaleEventsPerHour), m.Index(ReplicaHours)
	switch class(a) {
	case 0:
		for _, k := range []int{c.s.objIdx, events, hours} {
			if d := cmp.Compare(a.Metrics[k], b.Metrics[k]); d != 0 {
				return d
			}
		}
	case 1:
		if d := cmp.Compare(a.Excess, b.Excess); d != 0 {
			return d
		}
		if d := cmp.Compare(a.Metrics[c.s.objIdx], b.Metrics[c.s.objIdx]); d != 0 {
			return d
		}
	}
	return cmp.Compare(a.Config, b.Config)
}

// Add takes the records of one configuration (or any records of the study).
func (c *Collector) Add(recs []Record) error {
	for _, rec := range recs {
		k, ok := c.byName[rec.Region]
		if !ok {
			return fmt.Errorf("record of configuration %d: region %q is not in the trace", rec.Config, rec.Region)
		}
		if len(rec.Metrics) != len(c.s.metrics.figs) {
			return fmt.Errorf("record of configuration %d: %d figures, want %d", rec.Config, len(rec.Metrics), len(c.s.metrics.figs))
		}
		r := c.regions[k]
		e := c.entry(rec)
		r.Evaluated++
		switch {
		case e.Feasible:
			r.Feasible++
		case rec.Status == OK:
			r.Infeasible++
		case rec.Status == Pruned:
			r.Pruned++
		default:
			r.Invalid++
		}
		c.rank(r, e)
		if rec.Status == OK {
			c.front(r, e)
		}
		if e.Feasible && r.Heat != nil {
			c.idx = c.s.in.Space.Point(rec.Config, c.idx)
			i, j := c.idx[r.Heat.X], c.idx[r.Heat.Y]
			v, old := rec.Metrics[c.s.objIdx], r.Heat.Config[i][j]
			if cur := r.Heat.Value[i][j]; old < 0 || v < cur || (v == cur && rec.Config < old) {
				r.Heat.Value[i][j], r.Heat.Config[i][j] = v, rec.Config
			}
		}
	}
	return nil
}

func (c *Collector) rank(r *RegionReport, e Entry) {
	i, _ := slices.BinarySearchFunc(r.Top, e, func(a, b Entry) int { return c.compare(&a, &b) })
	if i >= c.opt.Top {
		return
	}
	r.Top = slices.Insert(r.Top, i, e)
	if len(r.Top) > c.opt.Top {
		r.Top = r.Top[:c.opt.Top]
	}
}

// front adds e to the Pareto front unless a point of the front dominates
// it, and drops the points it dominates.
func (c *Collector) front(r *RegionReport, e Entry) {
	x, y := e.Metrics[c.s.objIdx], e.Metrics[c.yIdx]
	if math.IsNaN(x) || math.IsNaN(y) {
		return
	}
	for _, q := range r.Front {
		qx, qy := q.Metrics[c.s.objIdx], q.Metrics[c.yIdx]
		if qx <= x && qy <= y && (qx < x || qy < y || q.Config < e.Config) {
			return
		}
	}
	r.Front = slices.DeleteFunc(r.Front, func(q Entry) bool {
		qx, qy := q.Metrics[c.s.objIdx], q.Metrics[c.yIdx]
		return x <= qx && y <= qy
	})
	i, _ := slices.BinarySearchFunc(r.Front, e, func(a, b Entry) int {
		if d := cmp.Compare(a.Metrics[c.s.objIdx], b.Metrics[c.s.objIdx]); d != 0 {
			return d
		}
		return cmp.Compare(a.Metrics[c.yIdx], b.Metrics[c.yIdx])
	})
	r.Front = slices.Insert(r.Front, i, e)
}

// Report returns the report of the records added so far.
func (c *Collector) Report() Report {
	rep := Report{Metrics: c.s.metrics.Names(), Objective: c.s.in.Goal.objective(), FrontY: c.opt.FrontY}
	for _, r := range c.regions {
		cp := *r
		cp.Top = slices.Clone(r.Top)
		cp.Front = slices.Clone(r.Front)
		if r.Heat != nil {
			h := *r.Heat
			h.Value, h.Config = make([][]float64, len(r.Heat.Value)), make([][]int, len(r.Heat.Config))
			for i := range h.Value {
				h.Value[i], h.Config[i] = slices.Clone(r.Heat.Value[i]), slices.Clone(r.Heat.Config[i])
			}
			cp.Heat = &h
		}
		rep.Regions = append(rep.Regions, cp)
	}
	return rep
}
