package keda

import (
	"math"

	"github.com/autoreplay/autoreplay/hpa"
)

// health mirrors status.health[metric] of a ScaledObject.
type health struct {
	failures int32
	failing  bool
}

// record mirrors metricscache.MetricsRecord: one trigger's observation after
// fallback processing.
type record struct {
	milli     int64 // the metric value served, when hasMetric
	hasMetric bool
	active    bool // the scaler's own activity (IsMetricActive)
	fallback  bool // FallbackActive
	err       bool // ScalerError after fallback
}

// raw is a scaler's answer, or a cached record replayed as one.
func (r scalerResult) record() record {
	return record{milli: r.milli, hasMetric: !r.err, active: r.active, err: r.err}
}

// withFallback mirrors fallback.GetMetricsWithFallback for trigger i: a
// success resets the failure count (when a valid fallback is configured); a
// failure increments it and, once it exceeds failureThreshold, serves the
// fallback value instead of the error.
func (so *ScaledObject) withFallback(i int, in record, cur hpa.Target) record {
	s := &so.spec
	configured := s.validFallback()
	if !in.err {
		if configured {
			so.health[i] = health{}
		}
		return record{milli: in.milli, hasMetric: in.hasMetric, active: in.active}
	}
	if !configured {
		return record{err: true}
	}
	h := &so.health[i]
	h.failures++
	h.failing = true
	if h.failures <= s.Fallback.FailureThreshold {
		return record{err: true}
	}
	if s.Fallback.Behavior == FallbackScalingModifiers {
		// A placeholder of -1 (resource.NewQuantity(-1)); the formula sees
		// nil for this trigger.
		return record{milli: -1000, hasMetric: true}
	}
	milli, ok := so.fallbackMilli(i, cur)
	if !ok {
		return record{err: true} // "error performing fallback"
	}
	return record{milli: milli, hasMetric: true, fallback: true}
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
