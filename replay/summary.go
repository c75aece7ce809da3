package replay

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"gonum.org/v1/gonum/stat"
)

// DefaultFlapWindow is the flap window of a zero SummaryOptions.FlapWindow.
const DefaultFlapWindow = 10 * time.Minute

// SummaryOptions configures a Summarizer.
type SummaryOptions struct {
	// SLO maps an Actual series (Columns.Actual) to its bound, in the
	// series' unit (items of lag, percent of utilization). The summary
	// reports the seconds the series spent above the bound. Series without
	// an entry have no SLO; entries naming no Actual series are ignored.
	SLO map[string]float64
	// FlapWindow: a rescale in the direction opposite to the region's
	// previous rescale, at most FlapWindow after it, is a flap. 0 means
	// DefaultFlapWindow.
	FlapWindow time.Duration
}

// Validate reports options a Summarizer cannot use: a negative flap window
// or a bound that is NaN.
func (o *SummaryOptions) Validate() error {
	var errs []error
	if o.FlapWindow < 0 {
		errs = append(errs, fmt.Errorf("flapWindow %v: must not be negative", o.FlapWindow))
	}
	for _, s := range slices.Sorted(maps.Keys(o.SLO)) {
		if math.IsNaN(o.SLO[s]) {
			errs = append(errs, fmt.Errorf("slo[%q]: must be a number, not NaN", s))
		}
	}
	return errors.Join(errs...)
}

// Summary condenses a timeline, per region.
type Summary struct {
	// Loop is the model the replay ran.
	Loop Loop
	// Series names the Actual series (Columns.Actual), in the order of
	// RegionSummary.Actual.
	Series []string
	// Regions holds one summary per region, sorted by name; one with an
	// empty name without a region column.
	Regions []RegionSummary
}

// RegionSummary condenses the timeline rows of one region.
type RegionSummary struct {
	Region string
	// Start and End are the times of the region's first and last row.
	Start, End time.Time
	// HPATicks and Polls count the rows by Event.
	HPATicks, Polls int
	// ReplicaHours is ∫ pods dt over [Start, End] in pod-hours: after each
	// row the workload has the row's Desired pods until the next row (of
	// rows at the same instant the last one counts). In the closed loop
	// pods count from their creation, ready or not.
	ReplicaHours float64
	// MinReplicas and MaxReplicas bound the rows' Desired.
	MinReplicas, MaxReplicas int32
	// ScaleUps and ScaleDowns count the rescales by direction (Desired
	// above or below Replicas). Flaps counts the rescales opposite in
	// direction to the previous rescale and at most SummaryOptions
	// .FlapWindow after it.
	ScaleUps, ScaleDowns, Flaps int
	// Actual holds one summary per Summary.Series.
	Actual []SeriesSummary
}

// SeriesSummary condenses one Actual series of a region over the HPA-tick
// rows: the regular sync-period grid, so that each tick weighs the same.
// NaN values are left out. Max, Mean, P95 and P99 are NaN when no tick had a
// value.
type SeriesSummary struct {
	Series string
	// Max and Mean are the largest and the mean value. P95 and P99 are the
	// empirical 95th and 99th percentiles: the smallest value that at least
	// 95 % (99 %) of the ticks do not exceed (gonum stat.Quantile,
	// stat.Empirical).
	Max, Mean, P95, P99 float64
	// SLO is the series' bound, when HasSLO.
	SLO    float64
	HasSLO bool
	// SecondsAboveSLO is the time the series spent above SLO: each tick
	// whose value is above stands for the interval to the region's next
	// HPA tick; the last tick stands for 0 s. 0 without an SLO.
	SecondsAboveSLO float64
}

// Summarizer computes a Summary from timeline rows as they stream by. Per
// region it keeps a fixed amount of state plus, for the quantiles, the
// Actual values of every HPA tick: 8 bytes per tick and Actual series (a
// week of 15 s ticks: 320 KiB per series and region).
type Summarizer struct {
	c       Columns
	window  time.Duration
	slo     []float64
	hasSLO  []bool
	regions map[string]*regionSummarizer
	free    []*regionSummarizer // kept by Reset for reuse
	last    *regionSummarizer   // the region of the last row
}

// regionSummarizer is the state of one region.
type regionSummarizer struct {
	s          RegionSummary
	level      int32 // Desired of the last row
	podSeconds float64
	lastDir    int // direction of the last rescale: +1 up, -1 down, 0 none
	lastRescale,
	lastTick time.Time
	ticked   bool
	above    []bool // the last tick's value was above the SLO, per series
	aboveSec []float64
	max      []float64 // running maximum per series, NaN before a value
	values   [][]float64
}

// NewSummarizer returns a Summarizer of the rows of a timeline with
// columns c. The options should pass Validate; a negative FlapWindow counts
// no flaps.
func NewSummarizer(c Columns, opt SummaryOptions) *Summarizer {
	s := &Summarizer{c: c, window: opt.FlapWindow, regions: map[string]*regionSummarizer{}}
	if s.window == 0 {
		s.window = DefaultFlapWindow
	}
	for _, name := range c.Actual {
		v, ok := opt.SLO[name]
		s.slo, s.hasSLO = append(s.slo, v), append(s.hasSLO, ok)
	}
	return s
}

// Add adds a row. Rows must come in time order; regions may interleave.
// Actual values beyond Columns.Actual are ignored.
func (s *Summarizer) Add(r *Row) {
	g := s.last
	if g == nil || g.s.Region != r.Region {
		if g = s.regions[r.Region]; g == nil {
			g = s.newRegion(r)
		}
		s.last = g
	}
	if dt := r.Time.Sub(g.s.End); dt > 0 {
		g.podSeconds += float64(g.level) * dt.Seconds()
		g.s.End = r.Time
	}
	g.level = r.Desired
	g.s.MinReplicas = min(g.s.MinReplicas, r.Desired)
	g.s.MaxReplicas = max(g.s.MaxReplicas, r.Desired)

	if dir := sign(r.Desired - r.Replicas); r.Rescale && dir != 0 {
		if dir > 0 {
			g.s.ScaleUps++
		} else {
			g.s.ScaleDowns++
		}
		if g.lastDir == -dir && r.Time.Sub(g.lastRescale) <= s.window {
			g.s.Flaps++
		}
		g.lastDir, g.lastRescale = dir, r.Time
	}

	switch r.Event {
	case KEDAPoll:
		g.s.Polls++
	case HPATick:
		g.s.HPATicks++
		if g.ticked {
			dt := r.Time.Sub(g.lastTick).Seconds()
			for k, a := range g.above {
				if a {
					g.aboveSec[k] += dt
				}
			}
		}
		g.ticked, g.lastTick = true, r.Time
		for k := range g.values {
			v := math.NaN()
			if k < len(r.Actual) {
				v = r.Actual[k]
			}
			if !math.IsNaN(v) {
				g.values[k] = append(g.values[k], v)
				if !(v <= g.max[k]) {
					g.max[k] = v
				}
			}
			g.above[k] = s.hasSLO[k] && v > s.slo[k]
		}
	}
}

// newRegion starts the summary of r's region, reusing the state of a
// region Reset put aside.
func (s *Summarizer) newRegion(r *Row) *regionSummarizer {
	n := len(s.c.Actual)
	var g *regionSummarizer
	if k := len(s.free); k > 0 {
		g, s.free = s.free[k-1], s.free[:k-1]
		values := g.values
		for k := range values {
			values[k] = values[k][:0]
		}
		*g = regionSummarizer{above: g.above, aboveSec: g.aboveSec, max: g.max, values: values}
		clear(g.above)
		clear(g.aboveSec)
	} else {
		g = &regionSummarizer{above: make([]bool, n), aboveSec: make([]float64, n), max: make([]float64, n), values: make([][]float64, n)}
	}
	for k := range g.max {
		g.max[k] = math.NaN()
	}
	g.s = RegionSummary{Region: r.Region, Start: r.Time, End: r.Time, MinReplicas: r.Desired, MaxReplicas: r.Desired}
	s.regions[r.Region] = g
	return g
}

// Reset forgets the rows added so far, keeping the memory for the next
// timeline: a Summarizer reset between replays of the same length does not
// allocate again.
func (s *Summarizer) Reset() {
	for _, name := range slices.Sorted(maps.Keys(s.regions)) {
		s.free = append(s.free, s.regions[name])
	}
	clear(s.regions)
	s.last = nil
}

// Partial sets *dst to the summary so far of a region, without the
// quantiles: Mean, P95 and P99 are NaN, Max is the largest value so far
// (NaN before one) and ReplicaHours counts up to the last row. It is cheap
// enough to call during a replay, to stop one early once a bound is
// broken; dst.Actual is reused. It reports false when the region has no
// row yet.
func (s *Summarizer) Partial(region string, dst *RegionSummary) bool {
	g := s.regions[region]
	if g == nil {
		return false
	}
	actual := dst.Actual[:0]
	*dst = g.s
	dst.ReplicaHours = g.podSeconds / 3600
	for k, series := range s.c.Actual {
		actual = append(actual, SeriesSummary{
			Series: series, Max: g.max[k], Mean: math.NaN(), P95: math.NaN(), P99: math.NaN(),
			SLO: s.slo[k], HasSLO: s.hasSLO[k], SecondsAboveSLO: g.aboveSec[k],
		})
		if !s.hasSLO[k] {
			actual[k].SLO = 0
		}
	}
	dst.Actual = actual
	return true
}

func sign(d int32) int {
	switch {
	case d > 0:
		return 1
	case d < 0:
		return -1
	}
	return 0
}

// Summary returns the summary of the rows added so far.
func (s *Summarizer) Summary() Summary {
	out := Summary{Loop: s.c.Loop, Series: slices.Clone(s.c.Actual)}
	for _, name := range slices.Sorted(maps.Keys(s.regions)) {
		g := s.regions[name]
		rs := g.s
		rs.ReplicaHours = g.podSeconds / 3600
		for k, series := range s.c.Actual {
			ss := SeriesSummary{Series: series, SLO: s.slo[k], HasSLO: s.hasSLO[k], SecondsAboveSLO: g.aboveSec[k]}
			if !ss.HasSLO {
				ss.SLO = 0
			}
			v := g.values[k]
			slices.Sort(v)
			if len(v) == 0 {
				ss.Max, ss.Mean, ss.P95, ss.P99 = math.NaN(), math.NaN(), math.NaN(), math.NaN()
			} else {
				ss.Max = v[len(v)-1]
				ss.Mean = stat.Mean(v, nil)
				ss.P95 = stat.Quantile(0.95, stat.Empirical, v, nil)
				ss.P99 = stat.Quantile(0.99, stat.Empirical, v, nil)
			}
			rs.Actual = append(rs.Actual, ss)
		}
		out.Regions = append(out.Regions, rs)
	}
	return out
}

// WriteSummaryText writes s as aligned text tables: one line per region,
// then one line per region and Actual series. Numbers have two decimals,
// times are RFC 3339 in UTC, the time above the SLO is a time.Duration
// rounded to the millisecond; "-" marks an empty region name and a missing
// SLO.
func WriteSummaryText(w io.Writer, s Summary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "loop: %s\n\n", s.Loop)
	fmt.Fprintln(tw, "region\tstart\tend\thpa ticks\tpolls\treplica-hours\tmin\tmax\tscale-ups\tscale-downs\tflaps")
	for _, r := range s.Regions {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%d\n",
			orDash(r.Region), r.Start.UTC().Format(time.RFC3339Nano), r.End.UTC().Format(time.RFC3339Nano),
			r.HPATicks, r.Polls, num(r.ReplicaHours), r.MinReplicas, r.MaxReplicas, r.ScaleUps, r.ScaleDowns, r.Flaps)
	}
	if len(s.Series) > 0 {
		fmt.Fprintln(tw, "\nregion\tseries\tmax\tmean\tp95\tp99\tslo\tabove slo")
		for _, r := range s.Regions {
			for _, a := range r.Actual {
				slo, above := "-", "-"
				if a.HasSLO {
					slo = strconv.FormatFloat(a.SLO, 'g', -1, 64)
					above = time.Duration(math.Round(a.SecondsAboveSLO*1e3) * 1e6).String()
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
					orDash(r.Region), a.Series, num(a.Max), num(a.Mean), num(a.P95), num(a.P99), slo, above)
			}
		}
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// WriteSummaryJSON writes s as an indented JSON document:
//
//	{"loop": "closed", "series": ["lag"], "regions": [{"region": "eu",
//	 "start": "…", "end": "…", "hpaTicks": 480, "polls": 480,
//	 "replicaHours": 10.5, "minReplicas": 1, "maxReplicas": 9,
//	 "scaleUps": 4, "scaleDowns": 3, "flaps": 1, "actual": [{"series": "lag",
//	 "max": 1200, "mean": 310.5, "p95": 900, "p99": 1150, "slo": 1000,
//	 "secondsAboveSLO": 120}]}]}
//
// Times are RFC 3339 in UTC with nanoseconds; slo and secondsAboveSLO are
// null without an SLO; non-finite numbers are the strings "NaN", "+Inf"
// and "-Inf" (as in the JSON timeline).
func WriteSummaryJSON(w io.Writer, s Summary) error {
	type series struct {
		Series          string     `json:"series"`
		Max             jsonFloat  `json:"max"`
		Mean            jsonFloat  `json:"mean"`
		P95             jsonFloat  `json:"p95"`
		P99             jsonFloat  `json:"p99"`
		SLO             *jsonFloat `json:"slo"`
		SecondsAboveSLO *jsonFloat `json:"secondsAboveSLO"`
	}
	type region struct {
		Region       string    `json:"region"`
		Start        string    `json:"start"`
		End          string    `json:"end"`
		HPATicks     int       `json:"hpaTicks"`
		Polls        int       `json:"polls"`
		ReplicaHours jsonFloat `json:"replicaHours"`
		MinReplicas  int32     `json:"minReplicas"`
		MaxReplicas  int32     `json:"maxReplicas"`
		ScaleUps     int       `json:"scaleUps"`
		ScaleDowns   int       `json:"scaleDowns"`
		Flaps        int       `json:"flaps"`
		Actual       []series  `json:"actual"`
	}
	doc := struct {
		Loop    string   `json:"loop"`
		Series  []string `json:"series"`
		Regions []region `json:"regions"`
	}{Loop: s.Loop.String(), Series: s.Series, Regions: []region{}}
	if doc.Series == nil {
		doc.Series = []string{}
	}
	for _, r := range s.Regions {
		jr := region{
			Region: r.Region, Start: r.Start.UTC().Format(time.RFC3339Nano), End: r.End.UTC().Format(time.RFC3339Nano),
			HPATicks: r.HPATicks, Polls: r.Polls, ReplicaHours: jsonFloat(r.ReplicaHours),
			MinReplicas: r.MinReplicas, MaxReplicas: r.MaxReplicas,
			ScaleUps: r.ScaleUps, ScaleDowns: r.ScaleDowns, Flaps: r.Flaps, Actual: []series{},
		}
		for _, a := range r.Actual {
			js := series{Series: a.Series, Max: jsonFloat(a.Max), Mean: jsonFloat(a.Mean), P95: jsonFloat(a.P95), P99: jsonFloat(a.P99)}
			if a.HasSLO {
				slo, above := jsonFloat(a.SLO), jsonFloat(a.SecondsAboveSLO)
				js.SLO, js.SecondsAboveSLO = &slo, &above
			}
			jr.Actual = append(jr.Actual, js)
		}
		doc.Regions = append(doc.Regions, jr)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// jsonFloat marshals as appendJSONFloat formats.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) { return appendJSONFloat(nil, float64(f)), nil }
