package tune

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/autoreplay/autoreplay/replay"
)

// checkEvery is how many timeline rows pass between two checks of the
// pruning bounds and of cancellation.
const checkEvery = 256

// errStop stops a replay from its emit function.
var errStop = errors.New("stop")

// evaluator replays configurations; each worker owns one.
type evaluator struct {
	s    *Study
	ctx  context.Context // nil: never cancelled
	sum  *replay.Summarizer
	part replay.RegionSummary
	idx  []int
	// set by the emit function when it stops a replay
	broke int // constraint index
	at    time.Time
}

func (s *Study) newEvaluator(ctx context.Context) *evaluator {
	return &evaluator{s: s, ctx: ctx}
}

// config evaluates configuration i in every region.
func (ev *evaluator) config(i int) []Record {
	ev.idx = ev.s.in.Space.Point(i, ev.idx)
	obj, err := ev.s.binding.Config(ev.idx)
	if err != nil {
		return ev.invalid(i, err)
	}
	recs := ev.evaluate(ev.s.config(obj), nil, ev.s.in.Prune)
	for k := range recs {
		recs[k].Config = i
	}
	return recs
}

func (ev *evaluator) invalid(i int, err error) []Record {
	recs := make([]Record, len(ev.s.regions))
	n := len(ev.s.metrics.figs)
	for k := range recs {
		m := make([]float64, n)
		nanAll(m)
		recs[k] = Record{Config: i, Region: ev.s.names[k], Status: Invalid, Metrics: m, Note: oneLine(err.Error())}
	}
	return recs
}

// evaluate replays cfg in every region; a cancelled context yields nil.
// emitRow, when not nil, sees every row too.
func (ev *evaluator) evaluate(cfg replay.Config, emitRow func(*replay.Row) error, prune bool) []Record {
	s := ev.s
	recs := make([]Record, len(s.regions))
	metrics := make([]float64, len(s.regions)*len(s.metrics.figs))
	for k, table := range s.regions {
		rec := &recs[k]
		rec.Config, rec.Region, rec.Status = Current, s.names[k], OK
		rec.Metrics = metrics[k*len(s.metrics.figs) : (k+1)*len(s.metrics.figs) : (k+1)*len(s.metrics.figs)]
		rp, err := replay.New(cfg, table.Header)
		if err != nil {
			rec.Status, rec.Note = Invalid, oneLine(err.Error())
			nanAll(rec.Metrics)
			continue
		}
		if ev.sum == nil {
			ev.sum = replay.NewSummarizer(rp.Columns(), s.sumOpt)
		}
		ev.sum.Reset()
		rows := 0
		name := s.names[k]
		_, err = rp.Run(table.Reader(), func(r *replay.Row) error {
			ev.sum.Add(r)
			if emitRow != nil {
				if err := emitRow(r); err != nil {
					return err
				}
			}
			if rows++; rows%checkEvery != 0 {
				return nil
			}
			if ev.ctx != nil && ev.ctx.Err() != nil {
				return ev.ctx.Err()
			}
			if prune && ev.broken(name, s.hours[k], r.Time) {
				return errStop
			}
			return nil
		})
		switch {
		case errors.Is(err, errStop):
			c := s.in.Goal.Constraints[ev.broke]
			ev.sum.Partial(name, &ev.part)
			s.metrics.Fill(rec.Metrics, &ev.part, s.hours[k]) // lower bounds of the per-hour figures
			for j, f := range s.metrics.figs {
				if !f.monotone {
					rec.Metrics[j] = math.NaN()
				}
			}
			rec.Status = Pruned
			rec.Note = fmt.Sprintf("stopped at %s: %s is broken for good", ev.at.UTC().Format(time.RFC3339), c.Text)
		case ev.ctx != nil && ev.ctx.Err() != nil:
			return nil
		case err != nil:
			rec.Status, rec.Note = Invalid, oneLine(err.Error())
			nanAll(rec.Metrics)
		default:
			sum := ev.sum.Summary()
			rs := &sum.Regions[0]
			s.metrics.Fill(rec.Metrics, rs, rs.End.Sub(rs.Start).Hours())
		}
	}
	return recs
}

// broken reports whether the partial summary of a region already breaks a
// constraint on a monotone figure for good: the figure can only grow, and
// the per-hour figures are divided by maxHours, at least the timeline's
// final duration.
func (ev *evaluator) broken(region string, maxHours float64, now time.Time) bool {
	s := ev.s
	if len(s.pruneIdx) == 0 || !ev.sum.Partial(region, &ev.part) {
		return false
	}
	for _, i := range s.pruneIdx {
		k := s.consIdx[i]
		if v := s.metrics.figs[k].value(&ev.part, maxHours); !math.IsNaN(v) && !s.in.Goal.Constraints[i].Holds(v) {
			ev.broke, ev.at = i, now
			return true
		}
	}
	return false
}

func nanAll(m []float64) {
	for j := range m {
		m[j] = math.NaN()
	}
}

// oneLine joins the lines of a message (errors.Join separates with
// newlines) for a one-line note.
func oneLine(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c == '\n' || c == '\r' {
			out[i] = ';'
		}
	}
	return string(out)
}
