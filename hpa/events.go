package hpa

import (
	"math"
	"time"
)

// scaleEvent mirrors timestampedScaleEvent.
type scaleEvent struct {
	change   int32 // absolute value
	t        time.Time
	outdated bool
}

// storeScaleEvent mirrors HorizontalController.storeScaleEvent: only on the
// behavior path; before storing, the direction's events older than its
// longest policy period are marked outdated (markScaleEventsOutdated) and
// the new event replaces the last outdated one, else it is appended. The
// reuse matters beyond memory: an event replaced this way no longer counts
// in the other direction's periods, which may be longer.
func (a *Autoscaler) storeScaleEvent(now time.Time, prev, next int32) {
	b := a.spec.Behavior
	if b == nil {
		return
	}
	if next > prev {
		a.upEvents = storeEvent(a.upEvents, now, longestPolicyPeriod(&b.ScaleUp), next-prev)
	} else {
		a.downEvents = storeEvent(a.downEvents, now, longestPolicyPeriod(&b.ScaleDown), prev-next)
	}
}

func storeEvent(events []scaleEvent, now time.Time, longest time.Duration, change int32) []scaleEvent {
	cutoff := now.Add(-longest)
	old := -1
	for i := range events {
		if events[i].t.Before(cutoff) {
			events[i].outdated = true
		}
		if events[i].outdated {
			old = i
		}
	}
	e := scaleEvent{change: change, t: now}
	if old >= 0 {
		events[old] = e
		return events
	}
	return append(events, e)
}

// longestPolicyPeriod mirrors getLongestPolicyPeriod.
func longestPolicyPeriod(r *Rules) time.Duration {
	var longest time.Duration
	for _, p := range r.Policies {
		longest = max(longest, p.Period)
	}
	return longest
}

// changeInPeriod mirrors getReplicasChangePerPeriod: the sum of the changes
// of events strictly after now-period.
func changeInPeriod(now time.Time, period time.Duration, events []scaleEvent) int32 {
	cutoff := now.Add(-period)
	var sum int32
	for i := range events {
		if events[i].t.After(cutoff) {
			sum += events[i].change
		}
	}
	return sum
}

// scaleUpLimit mirrors calculateScaleUpLimitWithScalingRules and also
// returns the index of the policy that gave the limit (-1 when Disabled or
// without policies).
func (a *Autoscaler) scaleUpLimit(now time.Time, current int32, r *Rules) (int32, int) {
	if r.SelectPolicy == Disabled {
		return current, -1
	}
	result, policy := int32(math.MinInt32), -1
	if r.SelectPolicy == MinChange {
		result = math.MaxInt32
	}
	for i, p := range r.Policies {
		start := current - changeInPeriod(now, p.Period, a.upEvents) + changeInPeriod(now, p.Period, a.downEvents)
		var proposed int32
		switch p.Type {
		case PodsPolicy:
			proposed = start + p.Value
		case PercentPolicy:
			proposed = int32(math.Ceil(float64(start) * (1 + float64(p.Value)/100)))
		}
		if (r.SelectPolicy == MinChange && proposed < result) || (r.SelectPolicy != MinChange && proposed > result) {
			result, policy = proposed, i
		}
	}
	return result, policy
}

// scaleDownLimit mirrors calculateScaleDownLimitWithBehaviors: Percent
// truncates toward zero; MaxChange keeps the lowest limit.
func (a *Autoscaler) scaleDownLimit(now time.Time, current int32, r *Rules) (int32, int) {
	if r.SelectPolicy == Disabled {
		return current, -1
	}
	result, policy := int32(math.MaxInt32), -1
	if r.SelectPolicy == MinChange {
		result = math.MinInt32
	}
	for i, p := range r.Policies {
		start := current - changeInPeriod(now, p.Period, a.upEvents) + changeInPeriod(now, p.Period, a.downEvents)
		var proposed int32
		switch p.Type {
		case PodsPolicy:
			proposed = start - p.Value
		case PercentPolicy:
			proposed = int32(float64(start) * (1 - float64(p.Value)/100))
		}
		if (r.SelectPolicy == MinChange && proposed > result) || (r.SelectPolicy != MinChange && proposed < result) {
			result, policy = proposed, i
		}
	}
	return result, policy
}
