package keda

import (
	"math"

	"github.com/autoreplay/autoreplay/hpa"
)

// health mirrors status.health[metric] in one copy of the ScaledObject.
type health struct {
	failures int32
	status   healthStatus
}

// healthStatus is the entry's status; noEntry when there is no entry.
type healthStatus uint8

const (
	noEntry healthStatus = iota
	happy
	failingStatus
)

// condStatus is the status of the ScaledObject's Fallback condition, which
// the reconciler initializes to Unknown.
type condStatus uint8

const (
	condUnknown condStatus = iota
	condTrue
	condFalse
)

// statusCopy is what the fallback processing reads and writes of one copy
// of the ScaledObject's status: status.health, one entry per trigger
// (external ones only are used), and the Fallback condition.
type statusCopy struct {
	health   []health
	fallback condStatus
}

func (c *statusCopy) set(from *statusCopy) {
	copy(c.health, from.health)
	c.fallback = from.fallback
}

// cacheState is the scale handler's scalers cache of the ScaledObject, and
// whose copy of the ScaledObject it holds (ScalersCache.ScaledObject): the
// metrics adapter path (GetScaledObjectMetrics) processes fallback on that
// copy.
type cacheState uint8

const (
	// cacheNone: no cache; the next access builds one. An error of any
	// trigger, in a scale loop iteration or a metrics adapter call, clears
	// it (ClearScalersCache).
	cacheNone cacheState = iota
	// cacheLoop: built by the scale loop (GetScalersCache from
	// getScaledObjectState) around the loop's own object, which it reads
	// from the API server at every iteration: both paths then process
	// fallback on the stored status.
	cacheLoop
	// cacheSnapshot: built around a copy of the ScaledObject read at that
	// time, by the metrics adapter (getScalersCacheForScaledObject) or by the
	// reconciler when it generated the HPA. The scale loop does not see it:
	// it counts failures on the stored status, and the copy catches up only
	// when the adapter path patches the status through it (the patch
	// response is read back into the copy).
	cacheSnapshot
)

// record mirrors metricscache.MetricsRecord: one trigger's observation after
// fallback processing.
type record struct {
	milli     int64   // the metric value served, when hasMetric
	approx    float64 // its AsApproximateFloat64, which the formula reads
	hasMetric bool
	active    bool // the scaler's own activity (IsMetricActive)
	fallback  bool // FallbackActive
	err       bool // ScalerError after fallback
	// renamed: the metric carries the composite metric's name, as doFallback
	// names it with scalingModifiers. Replayed from the cache
	// (useCachedMetrics), such a record is no longer in fallback and reaches
	// the formula under no trigger's name.
	renamed bool
}

// raw is a scaler's answer, or a cached record replayed as one.
func (r scalerResult) record() record {
	return record{milli: r.milli, approx: r.approx, hasMetric: !r.err, active: r.active, err: r.err}
}

// statusOf returns the copy of the status a path processes fallback on:
// the stored status for the scale loop (it reads the ScaledObject from the
// API server at every iteration and every change it makes is patched back),
// the cache's copy for the metrics adapter when the cache holds a snapshot.
func (so *ScaledObject) statusOf(adapter bool) *statusCopy {
	if adapter && so.cache == cacheSnapshot {
		return &so.snap
	}
	return &so.status
}

// openCache is the access of a scale loop iteration (adapter false) or a
// metrics adapter call to the scalers cache: it builds the cache when there
// is none.
func (so *ScaledObject) openCache(adapter bool) {
	if so.cache != cacheNone {
		return
	}
	if adapter {
		so.snap.set(&so.status)
		so.cache = cacheSnapshot
	} else {
		so.cache = cacheLoop
	}
}

// withFallback mirrors fallback.GetMetricsWithFallback for trigger i, on the
// path's copy of the status (statusOf): a success resets the failure count
// (when a valid fallback is configured); a failure increments it and, once
// it exceeds failureThreshold, serves the fallback value instead of the
// error.
func (so *ScaledObject) withFallback(i int, in record, cur hpa.Target, adapter bool) record {
	s := &so.spec
	configured := s.validFallback()
	st := so.statusOf(adapter)
	if !in.err {
		if configured {
			prev, prevCond := st.health[i], st.fallback
			st.health[i] = health{status: happy} // UpdateHealthStatus
			so.updateStatus(st, i, prev, prevCond)
		}
		return record{milli: in.milli, approx: in.approx, hasMetric: in.hasMetric, active: in.active, renamed: in.renamed}
	}
	if !configured {
		return record{err: true}
	}
	prev, prevCond := st.health[i], st.fallback
	st.health[i].failures++ // IncrementFailure
	st.health[i].status = failingStatus
	failures := st.health[i].failures
	so.updateStatus(st, i, prev, prevCond)
	if failures <= s.Fallback.FailureThreshold {
		return record{err: true}
	}
	if s.Fallback.Behavior == FallbackScalingModifiers {
		// A placeholder of -1 (resource.NewQuantity(-1)); the formula sees
		// nil for this trigger.
		return record{milli: -1000, approx: -1, hasMetric: true}
	}
	milli, ok := so.fallbackMilli(i, cur)
	if !ok {
		return record{err: true} // "error performing fallback"
	}
	return record{milli: milli, approx: asFloat(milli), hasMetric: true, fallback: true, renamed: s.UsesModifiers()}
}

// updateStatus mirrors ScaledObjectHandler.updateStatus after trigger i's
// entry of st changed from prev: the Fallback condition is recomputed from
// st (fallbackExceededThreshold) and, if the status changed, patched to the
// stored status with a merge patch (the changed fields of the entry, the
// whole entry if it is new, the conditions if they changed); the patch
// response is then read back into the copy.
func (so *ScaledObject) updateStatus(st *statusCopy, i int, prev health, prevCond condStatus) {
	threshold := so.spec.Fallback.FailureThreshold
	st.fallback = condFalse
	for _, h := range st.health {
		if h.status == failingStatus && h.failures > threshold {
			st.fallback = condTrue
		}
	}
	cur := st.health[i]
	if cur == prev && st.fallback == prevCond {
		return
	}
	if st == &so.status {
		return
	}
	stored := &so.status.health[i]
	switch {
	case cur == prev:
	case prev.status == noEntry:
		*stored = cur
	default:
		if cur.failures != prev.failures {
			stored.failures = cur.failures
		}
		if cur.status != prev.status {
			stored.status = cur.status
		}
	}
	if st.fallback != prevCond {
		so.status.fallback = st.fallback
	}
	st.set(&so.status)
}

// fallbackMilli mirrors doFallback: the replicas R chosen by the behavior,
// divided by the ready pods for a Value target, times the target, truncated
// to milli-units, so that the HPA computes exactly R.
func (so *ScaledObject) fallbackMilli(i int, cur hpa.Target) (int64, bool) {
	s := &so.spec
	f := s.Fallback
	fallbackReplicas := int64(f.Replicas)
	current := int64(cur.Replicas)
	var replicas float64
	switch f.Behavior {
	case FallbackCurrentReplicas:
		replicas = float64(current)
	case FallbackCurrentReplicasIfHigher:
		replicas = float64(max(current, fallbackReplicas))
	case FallbackCurrentReplicasIfLower:
		replicas = float64(min(current, fallbackReplicas))
	default:
		replicas = float64(fallbackReplicas)
	}
	metricType := s.Triggers[i].MetricType
	if s.UsesModifiers() {
		metricType = s.Modifiers.metricType()
	}
	if metricType == hpa.Value {
		if cur.ReadyReplicas == 0 {
			return 0, false
		}
		replicas /= float64(cur.ReadyReplicas)
	}
	var norm float64
	if s.UsesModifiers() {
		norm = s.Modifiers.target()
	} else {
		norm = s.Triggers[i].targetFloat()
	}
	v := norm * 1000 * replicas
	if v >= math.MaxInt64 {
		return math.MaxInt64, true
	}
	return int64(v), true
}

// targetFloat is the trigger's HPA target as Quantity.AsApproximateFloat64
// reads it: kafka and cron targets are whole quantities (GetMetricTarget),
// the others milli-quantities (GetMetricTargetMili).
func (t *Trigger) targetFloat() float64 {
	if t.Kind == Kafka || t.Kind == Cron {
		return float64(t.TargetMilli / 1000)
	}
	return asFloat(t.TargetMilli)
}
