package hpa

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// winNaive keeps every sample pushed and answers by scanning them all: the
// definition the monotonic deque must reproduce.
type winNaive struct {
	window    time.Duration
	inclusive bool
	keepMin   bool
	samples   []sample
}

func (n *winNaive) counts(t, now time.Time) bool {
	cutoff := now.Add(-n.window)
	if n.inclusive {
		return !t.Before(cutoff)
	}
	return t.After(cutoff)
}

func (n *winNaive) extreme(now time.Time, def int32) int32 {
	n.prune(now)
	found := false
	var best int32
	for _, s := range n.samples {
		if !n.counts(s.t, now) {
			continue
		}
		if !found || (n.keepMin && s.v < best) || (!n.keepMin && s.v > best) {
			best, found = s.v, true
		}
	}
	if !found {
		return def
	}
	return best
}

// prune forgets samples strictly before now-window: times never go back,
// so they can never count again under either edge rule. It only keeps the
// scan short; the answers are the same without it.
func (n *winNaive) prune(now time.Time) {
	cutoff := now.Add(-n.window)
	i := 0
	for i < len(n.samples) && n.samples[i].t.Before(cutoff) {
		i++
	}
	n.samples = n.samples[i:]
}

// inWindow is the number of samples that count at now.
func (n *winNaive) inWindow(now time.Time) int {
	c := 0
	for _, s := range n.samples {
		if n.counts(s.t, now) {
			c++
		}
	}
	return c
}

func winVariants() []struct {
	name               string
	keepMin, inclusive bool
} {
	return []struct {
		name               string
		keepMin, inclusive bool
	}{
		{"max/exclusive", false, false},
		{"max/inclusive", false, true},
		{"min/exclusive", true, false},
		{"min/inclusive", true, true},
	}
}

// TestMonoWindowMatchesNaiveScan drives the deque and the naive scan with
// the same random pushes and queries (non-decreasing times with repeats,
// steps of exactly the window so that samples land on the edge, sub-second
// steps, long gaps that empty the window) and requires identical answers.
// It also checks that after each query the deque holds no more samples than
// the window does.
func TestMonoWindowMatchesNaiveScan(t *testing.T) {
	windows := []time.Duration{0, time.Second, 15 * time.Second, 60 * time.Second, 300 * time.Second}
	for _, v := range winVariants() {
		for _, window := range windows {
			for seed := uint64(1); seed <= 8; seed++ {
				t.Run(fmt.Sprintf("%s/w=%v/seed=%d", v.name, window, seed), func(t *testing.T) {
					winCheckAgainstNaive(t, rand.New(rand.NewPCG(seed, uint64(window))), window, v.keepMin, v.inclusive)
				})
			}
		}
	}
}

func winCheckAgainstNaive(t *testing.T, r *rand.Rand, window time.Duration, keepMin, inclusive bool) {
	t.Helper()
	w := monoWindow{window: window, inclusive: inclusive, keepMin: keepMin}
	n := winNaive{window: window, inclusive: inclusive, keepMin: keepMin}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	valueRange := int32(1 + r.IntN(20)) // small ranges give many ties
	queries := 0
	for op := 0; op < 3000; op++ {
		switch k := r.IntN(100); {
		case k < 25: // same instant
		case k < 45:
			now = now.Add(time.Second)
		case k < 60:
			now = now.Add(15 * time.Second)
		case k < 75:
			// exactly one window after some earlier sample: lands on the edge
			if len(n.samples) > 0 {
				edge := n.samples[r.IntN(len(n.samples))].t.Add(window)
				if edge.After(now) {
					now = edge
				}
			}
		case k < 85:
			now = now.Add(time.Duration(r.IntN(1000)) * time.Millisecond)
		case k < 90:
			now = now.Add(window + time.Duration(r.IntN(3))*time.Second) // empties or nearly empties
		default:
			now = now.Add(time.Duration(r.IntN(int(window/time.Second)+2)) * time.Second)
		}
		v := int32(r.IntN(int(valueRange))) - valueRange/4 // includes negatives and zero
		switch r.IntN(4) {
		case 0: // push only (also several pushes at one instant)
			w.push(now, v)
			n.samples = append(n.samples, sample{now, v})
		case 1: // query only
			def := int32(r.IntN(50)) - 25
			got, want := w.extreme(now, def), n.extreme(now, def)
			queries++
			if got != want {
				t.Fatalf("op %d: extreme(%v, def=%d) = %d, naive scan says %d; samples %v", op, now, def, got, want, n.samples)
			}
			if in := n.inWindow(now); w.n > in {
				t.Fatalf("op %d: deque holds %d samples after a query, only %d are in the window", op, w.n, in)
			}
		default: // the engine's pattern: query with the new value as default, then push it
			got, want := w.extreme(now, v), n.extreme(now, v)
			queries++
			if got != want {
				t.Fatalf("op %d: extreme(%v, def=%d) = %d, naive scan says %d", op, now, v, got, want)
			}
			if in := n.inWindow(now); w.n > in {
				t.Fatalf("op %d: deque holds %d samples after a query, only %d are in the window", op, w.n, in)
			}
			w.push(now, v)
			n.samples = append(n.samples, sample{now, v})
		}
	}
	if queries == 0 {
		t.Fatal("no query was made")
	}
}

// TestMonoWindowEdges pins the edge semantics on hand-made cases, so that a
// naive oracle and deque that agree on a wrong rule would still be caught.
func TestMonoWindowEdges(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, v := range winVariants() {
		w := monoWindow{window: 10 * time.Second, inclusive: v.inclusive, keepMin: v.keepMin}
		big, small := int32(9), int32(1)
		extremeVal := big
		if v.keepMin {
			extremeVal = small
		}
		w.push(t0, extremeVal)
		// At t0+10s the sample sits exactly on the edge: counted only when inclusive.
		got := w.extreme(t0.Add(10*time.Second), 5)
		want := int32(5)
		if v.inclusive {
			want = extremeVal
		}
		if got != want {
			t.Errorf("%s: sample exactly on the edge: got %d, want %d", v.name, got, want)
		}
		// One nanosecond later it is gone in every variant.
		if got := w.extreme(t0.Add(10*time.Second+1), 5); got != 5 {
			t.Errorf("%s: sample past the edge: got %d, want the default 5", v.name, got)
		}
	}
	// A zero window keeps only samples of the same instant, and only when inclusive.
	for _, v := range winVariants() {
		w := monoWindow{window: 0, inclusive: v.inclusive, keepMin: v.keepMin}
		w.push(t0, 7)
		want := int32(3)
		if v.inclusive {
			want = 7
		}
		if got := w.extreme(t0, 3); got != want {
			t.Errorf("%s: zero window at the same instant: got %d, want %d", v.name, got, want)
		}
	}
}

// TestMonoWindowMemoryBounded runs a million engine-style steps (query, then
// push) at 1 s ticks with a 60 s window, with the value sequence that keeps
// the most samples alive (strictly decreasing for a max window, increasing
// for a min window) mixed with random stretches, and checks that the deque
// never holds more than the window's samples plus the one just pushed, and
// that the ring's capacity stays within twice that (it grows by doubling).
func TestMonoWindowMemoryBounded(t *testing.T) {
	const (
		tick   = time.Second
		window = 60 * time.Second
		steps  = 1_000_000
	)
	if testing.Short() {
		t.Skip("long run")
	}
	for _, v := range winVariants() {
		t.Run(v.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 7))
			w := monoWindow{window: window, inclusive: v.inclusive, keepMin: v.keepMin}
			// Samples counted at a query: exclusive (now-60s, now) has 59
			// earlier ticks, inclusive [now-60s, now) has 60.
			inWindow := int(window / tick)
			if !v.inclusive {
				inWindow--
			}
			maxN := inWindow + 1 // plus the sample pushed after the query
			maxCap := max(4, 2*maxN)
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			peak := 0
			var val int32
			for i := 0; i < steps; i++ {
				now = now.Add(tick)
				if (i/5000)%2 == 0 {
					// worst case: every new sample is less extreme than all before
					if v.keepMin {
						val++
					} else {
						val--
					}
				} else {
					val = int32(r.IntN(1000))
				}
				w.extreme(now, val)
				w.push(now, val)
				peak = max(peak, w.n)
				if w.n > maxN {
					t.Fatalf("step %d: %d samples held, window holds at most %d + 1", i, w.n, inWindow)
				}
				if len(w.buf) > maxCap {
					t.Fatalf("step %d: ring capacity %d, want <= %d", i, len(w.buf), maxCap)
				}
			}
			if peak != maxN {
				// The monotone stretches must fill the window; otherwise the
				// bound above was not exercised.
				t.Fatalf("peak occupancy %d, want the worst case %d", peak, maxN)
			}
		})
	}
}
