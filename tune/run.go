package tune

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// Shard is a deterministic slice of the grid: the configurations whose
// index is Index modulo Count. The zero value is the whole grid.
type Shard struct{ Index, Count int }

// ParseShard parses "i/n" (0 <= i < n).
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: want INDEX/COUNT, e.g. 0/4", s)
	}
	sh := Shard{Index: i, Count: n}
	return sh, sh.validate()
}

func (sh Shard) validate() error {
	if sh.Count < 0 || (sh.Count > 0 && (sh.Index < 0 || sh.Index >= sh.Count)) || (sh.Count == 0 && sh.Index != 0) {
		return fmt.Errorf("shard %d/%d: want 0 <= index < count", sh.Index, sh.Count)
	}
	return nil
}

func (sh Shard) String() string {
	if sh.Count == 0 {
		return "0/1"
	}
	return fmt.Sprintf("%d/%d", sh.Index, sh.Count)
}

// Configs returns the number of configurations of a grid of size n in the
// shard.
func (sh Shard) Configs(n int) int {
	count, _ := sh.configs(n)
	return count
}

// configs returns the number of configurations of a grid of size n in the
// shard, and the grid index of the shard's k-th.
func (sh Shard) configs(n int) (int, func(k int) int) {
	if sh.Count <= 1 {
		return n, func(k int) int { return k }
	}
	count := 0
	if n > sh.Index {
		count = (n-sh.Index-1)/sh.Count + 1
	}
	return count, func(k int) int { return sh.Index + k*sh.Count }
}

// Options control a Run.
type Options struct {
	// Workers is the number of configurations replayed at once; 0 means
	// runtime.GOMAXPROCS(0). The records do not depend on it.
	Workers int
	// Shard selects the configurations to evaluate; the zero value is all.
	Shard Shard
	// Progress, when not nil, is called after each configuration is
	// emitted, with the number emitted and the shard's total.
	Progress func(done, total int)
}

// Run evaluates the shard's configurations on a pool of workers and calls
// emit with each configuration's records (one per region, in region order),
// in increasing configuration order, from the calling goroutine: the
// output does not depend on the number of workers or on their scheduling.
// At most a few configurations per worker wait to be emitted, so memory
// does not grow with the grid.
//
// When ctx is cancelled Run stops the replays under way and returns
// ctx.Err() after emitting the configurations finished in order before it:
// what was emitted is a prefix of the complete run. An error from emit stops
// the run and is returned.
func (s *Study) Run(ctx context.Context, opt Options, emit func([]Record) error) error {
	if err := opt.Shard.validate(); err != nil {
		return err
	}
	total, index := opt.Shard.configs(s.size)
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, total))
	ctx, cancel := context.WithCancel(ctx)

	type result struct {
		k    int
		recs []Record
	}
	window := 4 * workers
	tokens := make(chan struct{}, window) // configurations handed out and not yet emitted
	jobs := make(chan int)
	results := make(chan result, window)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // feeder
		defer wg.Done()
		defer close(jobs)
		for k := range total {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- k:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := s.newEvaluator(ctx)
			for k := range jobs {
				recs := ev.config(index(k))
				if recs == nil { // cancelled
					return
				}
				results <- result{k, recs} // buffered: room for every token
			}
		}()
	}
	defer func() {
		cancel()
		wg.Wait()
	}()

	pending := make(map[int][]Record, window)
	for next := 0; next < total; {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case r := <-results:
			pending[r.k] = r.recs
		}
		for recs, ok := pending[next]; ok; recs, ok = pending[next] {
			delete(pending, next)
			if err := emit(recs); err != nil {
				return err
			}
			next++
			<-tokens
			if opt.Progress != nil {
				opt.Progress(next, total)
			}
		}
	}
	return nil
}
