package replay

import "time"

// pods models a workload's pods in the closed loop: a scale-up creates pods
// that become ready startup delay later; a scale-down deletes pods that are
// not ready first, newest first, then ready ones, as the ReplicaSet
// controller ranks pods for deletion (getPodsToDelete: pending before
// running, not ready before ready, newer before older).
type pods struct {
	delay time.Duration
	ready int32
	// pending holds the ready times of the pods that are not ready yet, in
	// creation order (and so in ready-time order).
	pending []time.Time
}

// newPods returns n ready pods.
func newPods(n int32, delay time.Duration) pods {
	return pods{delay: delay, ready: n}
}

// total is the number of pods that exist.
func (p *pods) total() int32 { return p.ready + int32(len(p.pending)) }

// scale sets the pod count to n at now. New pods are ready at now+delay
// (at once when the delay is 0).
func (p *pods) scale(now time.Time, n int32) {
	p.advance(now)
	for t := p.total(); t < n; t++ {
		if p.delay <= 0 {
			p.ready++
		} else {
			p.pending = append(p.pending, now.Add(p.delay))
		}
	}
	for t := p.total(); t > n; t-- {
		if k := len(p.pending); k > 0 {
			p.pending = p.pending[:k-1]
		} else {
			p.ready--
		}
	}
}

// advance makes the pods whose ready time is at or before now ready.
func (p *pods) advance(now time.Time) {
	k := 0
	for k < len(p.pending) && !p.pending[k].After(now) {
		k++
	}
	if k > 0 {
		p.ready += int32(k)
		p.pending = append(p.pending[:0], p.pending[k:]...)
	}
}

// integrate returns ∫ min(ready(t), limit) dt over [from, to) in seconds
// (limit <= 0: no limit) and advances the pods to to.
func (p *pods) integrate(from, to time.Time, limit int32) float64 {
	var out [1]float64
	p.integrateAll(from, to, []int32{limit}, out[:])
	return out[0]
}

// integrateAll sets out[i] to ∫ min(ready(t), limits[i]) dt over [from, to)
// in seconds (limits[i] <= 0: no limit) and advances the pods to to.
func (p *pods) integrateAll(from, to time.Time, limits []int32, out []float64) {
	clear(out)
	for from.Before(to) {
		next := to
		if len(p.pending) > 0 && p.pending[0].Before(to) {
			next = p.pending[0]
		}
		d := next.Sub(from).Seconds()
		for i, l := range limits {
			r := p.ready
			if l > 0 && r > l {
				r = l
			}
			out[i] += float64(r) * d
		}
		p.advance(next)
		from = next
	}
	p.advance(to)
}
