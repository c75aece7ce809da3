// Package chart draws replica-over-time charts for the replay CLI.
//
// It is a presentation package: the caller computes everything (metric
// series, replicas, desired and ready counts, scale events) and passes it
// as a plain [Chart]; chart does not import the replay engine. [Draw]
// renders one panel pair per region, stacked vertically under a title and
// a subtitle:
//
//   - the metric panel: each metric in its own colour, its target as a
//     thin line of the same colour, its KEDA activation threshold dashed,
//     and the area above its SLO shaded;
//   - the replica panel: replicas as a post-step line (a value holds until
//     the next step), desired dashed, ready in another colour, scale
//     events as markers on the replicas line, and the min/max bounds as
//     faint grey lines. Further replica lines ([Panel.Compare]), such as
//     those of another configuration, are drawn the same way in their own
//     colours.
//
// All panels share one wall-clock time axis in UTC; tick labels read
// 15:04 for spans under two days and Jan 2 15:04 beyond (Jan 2 once ticks
// are whole days, Jan 2006 for month steps). Legends sit in a column
// right of the panels, so they never hide data. Metrics whose magnitudes
// differ by more than [NormalizeRatio] are each drawn divided by their
// own maximum.
//
// Long series are decimated before drawing, keeping per column of a grid
// of [DPI] columns per inch of chart width the first, last, minimum and
// maximum point, so spikes survive. Output is deterministic: identical
// inputs give byte-identical SVG.
//
// Two more figures show a tuning study, one panel per region, two panels
// to a row: [DrawScatter] the trade-off between the objective and a second
// figure (every configuration a dot, the Pareto front a step line, the
// chosen and the current configuration marked, a bound dashed), and
// [DrawHeatmap] the best objective for each pair of values of two
// parameters, as a grid of cells coloured on a perceptual scale that is
// darkest at the lowest (best) value, with a colour bar.
//
// A typical use, from the CLI:
//
//	c := chart.Chart{
//		Title:    "ScaledObject orders-consumer (closed loop)",
//		Subtitle: "replica-hours 312.6 · peak 20 · 170 scale events",
//		Panels:   []chart.Panel{{Region: "eu-west-1", Times: ts, Replicas: rs /* ... */}},
//	}
//	h := chart.DefaultHeight(len(c.Panels))
//	if err := chart.Draw(w, "svg", chart.DefaultWidth, h, c); err != nil {
//		return err
//	}
package chart
