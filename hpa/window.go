package hpa

import "time"

type sample struct {
	t time.Time
	v int32
}

// monoWindow holds the recommendations of one stabilization window as a
// monotonic deque: it answers the window's maximum (or minimum, keepMin) in
// O(1) amortized time per step instead of scanning the whole history, and
// keeps only samples that can still be the answer. Pushes must come in
// non-decreasing time order.
//
// A sample counts while it is strictly after now-window (the behavior path,
// stabilizeRecommendationWithBehaviors uses timestamp.After(cutoff)), or, with
// inclusive, while it is not before now-window (the legacy path,
// stabilizeRecommendation uses !timestamp.Before(cutoff)).
type monoWindow struct {
	window    time.Duration
	inclusive bool
	keepMin   bool

	buf  []sample // ring buffer
	head int
	n    int
}

func (w *monoWindow) at(i int) *sample { return &w.buf[(w.head+i)%len(w.buf)] }

func (w *monoWindow) expired(t, cutoff time.Time) bool {
	if w.inclusive {
		return t.Before(cutoff)
	}
	return !t.After(cutoff)
}

// extreme drops the samples that left the window at now and returns the
// maximum (minimum) of the rest, or def when none is left.
func (w *monoWindow) extreme(now time.Time, def int32) int32 {
	cutoff := now.Add(-w.window)
	for w.n > 0 && w.expired(w.at(0).t, cutoff) {
		w.head = (w.head + 1) % len(w.buf)
		w.n--
	}
	if w.n == 0 {
		return def
	}
	return w.at(0).v
}

// dominated reports whether a newer sample with value v makes an older one
// with value old useless: it stays in the window at least as long and is at
// least as extreme.
func (w *monoWindow) dominated(old, v int32) bool {
	if w.keepMin {
		return old >= v
	}
	return old <= v
}

// push adds the recommendation v made at t.
func (w *monoWindow) push(t time.Time, v int32) {
	for w.n > 0 && w.dominated(w.at(w.n-1).v, v) {
		w.n--
	}
	if w.n == len(w.buf) {
		grown := make([]sample, max(4, 2*len(w.buf)))
		for i := 0; i < w.n; i++ {
			grown[i] = *w.at(i)
		}
		w.buf, w.head = grown, 0
	}
	*w.at(w.n) = sample{t: t, v: v}
	w.n++
}
