// Package tune searches autoscaler settings offline: it replays a trace
// through every configuration of a grid of values (thresholds, activation
// thresholds, stabilization windows, policies, replica bounds, polling and
// cooldown periods) filled into the user's own HorizontalPodAutoscaler or
// ScaledObject, and ranks the configurations of each region of the trace by
// an objective under constraints.
//
// A study has four parts: the manifest (Base), the grid (Space, one Param
// per setting), the replay settings and trace (package replay), and the
// Goal: a figure to minimise, replica-hours by default, and constraints on
// figures such as "lag <= 5000 for 99.9%" or "scale_events_per_hour <= 6".
//
//	st, err := tune.NewStudy(tune.Input{Base: base, Space: space, Replay: cfg, Trace: table, Goal: goal})
//	col, err := st.NewCollector(tune.ReportOptions{})
//	err = st.Run(ctx, tune.Options{}, func(recs []tune.Record) error { return col.Add(recs) })
//	rep := col.Report()
//
// Run replays the configurations on a pool of workers and emits their
// records in grid order, so that the output does not depend on the number
// of workers; a Shard evaluates a deterministic slice of the grid, and the
// evaluation files of all shards merge (Study.ReadEval, Study.Merge) into
// the records of one unsharded run. Study.Document gives the manifest with
// a configuration's values filled in, ready to apply.
//
// In the open loop the trace's values do not depend on the replicas, so
// the figures are the cost and the stability of the configurations only;
// the closed-loop models of package replay also give the modelled series'
// figures (lag, utilization). See docs/tune.md.
package tune
