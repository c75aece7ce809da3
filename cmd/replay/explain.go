package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/keda"
	"github.com/autoreplay/autoreplay/replay"
	"github.com/autoreplay/autoreplay/replay/trace"
)

const explainExamples = `  # Why did it (not) scale at 14:02? The steps at or just before that time:
  replay explain -f scaledobject.yaml --trace lag.csv --at 2026-01-05T14:02:00Z

  # One line per step that changed replicas:
  replay explain -f hpa.yaml --trace rps.csv --all
`

func explainCmd(args []string, stdout, stderr io.Writer) error {
	var s setup
	var at string
	var all bool
	fs := newFlags("explain", "Explain the controllers' decisions at a time, in sentences like the HPA's condition messages.",
		"replay explain -f MANIFEST --trace TRACE (--at TIME | --all) [flags]", explainExamples, stdout)
	s.flags(fs)
	fs.StringVar(&at, "at", "", "the time to explain (RFC 3339): the steps at it, or the last step before it")
	fs.BoolVar(&all, "all", false, "a table of every step that changed replicas, with its reasons")
	if err := parse(fs, args); err != nil {
		return err
	}
	var when time.Time
	switch {
	case (at == "") == !all:
		return errors.New("explain: give exactly one of --at TIME and --all")
	case at != "":
		var err error
		if when, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return fmt.Errorf("explain: --at %q: want an RFC 3339 time such as 2026-01-05T14:02:00Z", at)
		}
	}
	o, r, closer, rp, err := s.prepare()
	if err != nil {
		return err
	}
	defer closer.Close()
	ex := newExplainer(o, rp.Columns())
	if all {
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "time\tregion\tsource\tfrom\tto\twanted\treasons")
		if _, err := rp.Run(r, func(row *replay.Row) error {
			ex.track(row)
			if row.Rescale {
				wanted := "-"
				if row.HasRecommendation {
					wanted = strconv.Itoa(int(row.Recommendation))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", row.Time.UTC().Format(time.RFC3339), orDash(row.Region), source(row), row.Replicas, row.Desired, wanted, orNone(row.Reasons()))
			}
			return nil
		}); err != nil {
			return err
		}
		return tw.Flush()
	}
	// The steps at when, or else those of the last instant before it.
	var pending []string
	var pendingAt time.Time
	found := false
	_, err = rp.Run(r, func(row *replay.Row) error {
		text := ex.explain(row)
		if row.Time.After(when) {
			return nil
		}
		if !row.Time.Equal(pendingAt) {
			pending, pendingAt = nil, row.Time
		}
		pending = append(pending, text)
		found = true
		return nil
	})
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("--at %s: the replay starts later", at)
	}
	if !pendingAt.Equal(when) {
		fmt.Fprintf(stdout, "No step at %s; the last steps before it:\n\n", when.UTC().Format(time.RFC3339Nano))
	}
	_, err = io.WriteString(stdout, strings.Join(pending, "\n"))
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func source(r *replay.Row) string {
	if r.Event == replay.KEDAPoll {
		return "keda"
	}
	return "hpa"
}

// explainer turns rows into sentences. It keeps each region's recent
// recommendations to show the stabilization windows.
type explainer struct {
	o       object
	cols    replay.Columns
	spec    hpa.Spec
	history map[string][]recommendation
}

type recommendation struct {
	t time.Time
	n int32
}

func newExplainer(o object, cols replay.Columns) *explainer {
	ex := &explainer{o: o, cols: cols, history: map[string][]recommendation{}}
	if o.cfg.HPA != nil {
		ex.spec = *o.cfg.HPA
	} else {
		ex.spec = o.cfg.ScaledObject.HPA()
	}
	return ex
}

// windows are the stabilization windows of the spec (0 when none).
func (ex *explainer) windows() (up, down time.Duration) {
	if b := ex.spec.Behavior; b != nil {
		return b.ScaleUp.StabilizationWindow, b.ScaleDown.StabilizationWindow
	}
	return 0, ex.spec.LegacyDownscaleWindow
}

// track records the row's recommendation, dropping what left the windows.
func (ex *explainer) track(r *replay.Row) {
	if !r.HasRecommendation {
		return
	}
	up, down := ex.windows()
	keep := max(up, down)
	h := append(ex.history[r.Region], recommendation{r.Time, r.Recommendation})
	for len(h) > 0 && r.Time.Sub(h[0].t) > keep {
		h = h[1:]
	}
	ex.history[r.Region] = h
}

// explain returns the sentences for one row (and tracks it).
func (ex *explainer) explain(r *replay.Row) string {
	var b strings.Builder
	where := r.Time.UTC().Format(time.RFC3339Nano)
	if r.Region != "" {
		where += ", region " + r.Region
	}
	change := fmt.Sprintf("stays at %d replicas", r.Replicas)
	if r.Rescale {
		change = fmt.Sprintf("scales from %d to %d replicas", r.Replicas, r.Desired)
	}
	if r.Event == replay.KEDAPoll {
		fmt.Fprintf(&b, "%s: KEDA's scale loop polls the triggers; the workload %s.\n", where, change)
		ex.kedaPoll(&b, r)
	} else {
		fmt.Fprintf(&b, "%s: the HPA reconciles; the workload %s.\n", where, change)
		if r.KEDA != nil {
			ex.kedaServed(&b, r)
		}
		ex.track(r)
		ex.hpa(&b, r)
	}
	if reasons := r.Reasons(); reasons != "" {
		fmt.Fprintf(&b, "  Reasons: %s.\n", reasons)
	}
	return b.String()
}

func (ex *explainer) seen(r *replay.Row, i int) string {
	v := r.Seen[i]
	switch v.Status {
	case trace.Present:
		return strconv.FormatFloat(v.V, 'g', -1, 64)
	case trace.Failed:
		return "an error"
	}
	return "no value"
}

func (ex *explainer) kedaPoll(b *strings.Builder, r *replay.Row) {
	so := ex.o.cfg.ScaledObject
	d := r.KEDA
	k := 0
	for i, t := range so.Triggers {
		st := d.Triggers[i]
		name := triggerName(t, i)
		if t.Kind == keda.Cron {
			fmt.Fprintf(b, "  Trigger %s (cron): %s.\n", name, activeWord(st.Active))
			continue
		}
		v := ex.seen(r, k)
		k++
		switch {
		case st.Fallback:
			fmt.Fprintf(b, "  Trigger %s read %s; after %d failures its fallback value is served.\n", name, v, st.Failures)
		case st.Failed:
			fmt.Fprintf(b, "  Trigger %s read %s (failure %d in a row): it counts as inactive.\n", name, v, st.Failures)
		default:
			fmt.Fprintf(b, "  Trigger %s read %s against the activation threshold %g: %s.\n", name, v, t.Activation, activeWord(st.Active))
		}
	}
	switch {
	case d.Reasons.Has(keda.ReasonPaused):
		b.WriteString("  The ScaledObject is paused.\n")
	case d.Reasons.Has(keda.ReasonActivated):
		fmt.Fprintf(b, "  A trigger is active and the workload was below minReplicaCount: KEDA scales it to %d; the HPA takes over from there.\n", r.Desired)
	case d.Reasons.Has(keda.ReasonDeactivated):
		fmt.Fprintf(b, "  No trigger has been active for cooldownPeriod (%v): KEDA scales the workload to %d.\n", so.CooldownPeriod, r.Desired)
	case d.Reasons.Has(keda.ReasonCooldown):
		fmt.Fprintf(b, "  No trigger is active, but cooldownPeriod (%v) has not passed since the last activity: KEDA waits.\n", so.CooldownPeriod)
	case d.Active:
		b.WriteString("  The ScaledObject is active: the HPA decides the count.\n")
	}
}

func activeWord(a bool) string {
	if a {
		return "active"
	}
	return "not active"
}

func triggerName(t keda.Trigger, i int) string {
	if t.Name != "" {
		return fmt.Sprintf("%q", t.Name)
	}
	return fmt.Sprintf("#%d (%s)", i, t.Kind)
}

func (ex *explainer) kedaServed(b *strings.Builder, r *replay.Row) {
	d := r.KEDA
	if d.HasFormula {
		fmt.Fprintf(b, "  KEDA's metrics adapter serves the scalingModifiers formula's value %g.\n", d.Formula)
	}
	if d.FallbackActive {
		b.WriteString("  A trigger is in fallback: its value is fallback.replicas × its target.\n")
	}
}

func (ex *explainer) hpa(b *strings.Builder, r *replay.Row) {
	d := r.HPA
	if d.Proposals == nil {
		switch {
		case d.Reasons.Has(hpa.ReasonScalingDisabled):
			b.WriteString("  Scaling is disabled (0 replicas): the HPA computes no metric.\n")
		case d.Reasons.Has(hpa.ReasonFailedComputeMetricsReplicas):
			b.WriteString("  The HPA could not compute its metrics and keeps the count.\n")
		default:
			b.WriteString("  The HPA computed no metric at this step.\n")
		}
		return
	}
	tol := ex.spec.Tolerance
	for i, p := range d.Proposals {
		m := ex.spec.Metrics[i]
		name := ex.metricName(i, m)
		if p.Failed {
			fmt.Fprintf(b, "  Metric %s failed (%s): it proposes nothing.\n", name, ex.metricValue(r, i))
			continue
		}
		verdict := fmt.Sprintf("outside the tolerance band [%g, %g]: it proposes %d replicas", 1-tol.Down, 1+tol.Up, p.Replicas)
		if p.WithinTolerance {
			verdict = fmt.Sprintf("within the tolerance band [%g, %g]: it proposes the current %d", 1-tol.Down, 1+tol.Up, p.Replicas)
		}
		fmt.Fprintf(b, "  Metric %s: usage %s against the target %s, ratio %.4g, %s.\n", name, usageText(m, p), target(m), p.Ratio, verdict)
	}
	fmt.Fprintf(b, "  Recommendation: %d replicas (the largest proposal).\n", d.Recommendation)
	if d.Stabilized != d.Recommendation {
		ex.stabilization(b, r)
	}
	switch {
	case d.Reasons.Has(hpa.ReasonScaleUpLimit) && d.Policy >= 0 && ex.spec.Behavior != nil:
		p := ex.spec.Behavior.ScaleUp.Policies[d.Policy]
		fmt.Fprintf(b, "  The scale-up policy %s %d per %v limits the change to %d.\n", p.Type, p.Value, p.Period, r.Desired)
	case d.Reasons.Has(hpa.ReasonScaleUpLimit):
		fmt.Fprintf(b, "  The scale-up limit max(2 × %d, 4) caps the change at %d.\n", r.Replicas, r.Desired)
	case d.Reasons.Has(hpa.ReasonScaleDownLimit) && d.Policy >= 0 && ex.spec.Behavior != nil:
		p := ex.spec.Behavior.ScaleDown.Policies[d.Policy]
		fmt.Fprintf(b, "  The scale-down policy %s %d per %v limits the change to %d.\n", p.Type, p.Value, p.Period, r.Desired)
	case d.Reasons.Has(hpa.ReasonScaleUpDisabled):
		b.WriteString("  Scale-up is disabled (selectPolicy: Disabled).\n")
	case d.Reasons.Has(hpa.ReasonScaleDownDisabled):
		b.WriteString("  Scale-down is disabled (selectPolicy: Disabled).\n")
	}
	switch {
	case d.Reasons.Has(hpa.ReasonTooManyReplicas):
		fmt.Fprintf(b, "  maxReplicas %d caps the count.\n", ex.spec.MaxReplicas)
	case d.Reasons.Has(hpa.ReasonTooFewReplicas):
		fmt.Fprintf(b, "  minReplicas %d is the floor.\n", ex.spec.MinReplicas)
	}
}

// stabilization explains how the windows moved the recommendation, from
// the region's recommendations the explainer tracked.
func (ex *explainer) stabilization(b *strings.Builder, r *replay.Row) {
	d := r.HPA
	up, down := ex.windows()
	h := ex.history[r.Region]
	in := func(x recommendation, w time.Duration, inclusive bool) bool {
		age := r.Time.Sub(x.t)
		return age < w || (inclusive && age == w) || age == 0
	}
	list := func(w time.Duration, inclusive bool) (string, int32, int32) {
		var parts []string
		lo, hi := int32(math.MaxInt32), int32(math.MinInt32)
		for _, x := range h {
			if in(x, w, inclusive) {
				parts = append(parts, fmt.Sprintf("%d at %s", x.n, x.t.UTC().Format("15:04:05")))
				lo, hi = min(lo, x.n), max(hi, x.n)
			}
		}
		return strings.Join(parts, ", "), lo, hi
	}
	if ex.spec.Behavior == nil {
		l, _, hi := list(down, true)
		fmt.Fprintf(b, "  Stabilized to %d: the highest recommendation of the last %v (the downscale stabilization window, %d) holds the count up. Recommendations in the window: %s.\n", d.Stabilized, down, hi, l)
		return
	}
	_, lo, _ := list(up, false)
	l, _, hi := list(down, false)
	fmt.Fprintf(b, "  Stabilized to %d: the count %d is kept between the lowest recommendation of the scale-up window (%v: %d) and the highest of the scale-down window (%v: %d). Recommendations in the scale-down window: %s.\n",
		d.Stabilized, r.Replicas, up, lo, down, hi, l)
}

func (ex *explainer) metricValue(r *replay.Row, i int) string {
	if i < len(r.Seen) && r.KEDA == nil {
		return "read " + ex.seen(r, i)
	}
	return "no value served"
}

func usageText(m hpa.Metric, p hpa.Proposal) string {
	switch m.Target {
	case hpa.Utilization:
		return fmt.Sprintf("%d %%", p.Usage)
	case hpa.AverageValue:
		return milliString(p.Usage) + " per pod"
	}
	return milliString(p.Usage)
}

func target(m hpa.Metric) string {
	switch m.Target {
	case hpa.Utilization:
		return fmt.Sprintf("%d %% utilization", m.TargetUtilization)
	case hpa.AverageValue:
		return milliString(m.TargetMilli) + " per pod (AverageValue)"
	}
	return milliString(m.TargetMilli) + " (Value)"
}

// metricName names the HPA's metric i by the series that feeds it.
func (ex *explainer) metricName(i int, m hpa.Metric) string {
	if ex.o.cfg.HPA != nil {
		return ex.cols.Series[i]
	}
	// KEDA's HPA has one metric per trigger, in trigger order (with a
	// scalingModifiers formula, one composite metric).
	so := ex.o.cfg.ScaledObject
	if so.UsesModifiers() {
		return m.Name + " (the scalingModifiers formula)"
	}
	k := 0
	for j, t := range so.Triggers {
		if j == i {
			if t.Kind == keda.Cron {
				return triggerName(t, j)
			}
			return ex.cols.Series[k]
		}
		if t.Kind != keda.Cron {
			k++
		}
	}
	return m.Name
}

func milliString(m int64) string {
	return strconv.FormatFloat(float64(m)/1000, 'f', -1, 64)
}
