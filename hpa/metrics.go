package hpa

import "math"

// isWithin mirrors Tolerances.isWithin: inclusive at both ends.
func (t Tolerance) isWithin(ratio float64) bool {
	return (1.0-t.Down) <= ratio && ratio <= (1.0+t.Up)
}

// computeReplicasForMetric mirrors HorizontalController.computeReplicasForMetric
// and the ReplicaCalculator function each metric type reaches, with pods
// modelled from cur: StatusReplicas pods exist, ReadyReplicas of them are
// Running and Ready and report the observed value, the rest are Pending.
func (a *Autoscaler) computeReplicasForMetric(m *Metric, cur Target, o Observation) Proposal {
	if o.Failed {
		return Proposal{Failed: true}
	}
	tol := a.spec.Tolerance
	switch m.Type {
	case External:
		if m.Target == AverageValue {
			return externalPerPodReplicas(cur.StatusReplicas, m.TargetMilli, tol, o.Milli)
		}
		return usageRatioReplicas(cur, o.Milli, m.TargetMilli, tol)
	case Object:
		if m.Target == AverageValue {
			return objectPerPodReplicas(cur.StatusReplicas, m.TargetMilli, tol, o.Milli)
		}
		return usageRatioReplicas(cur, o.Milli, m.TargetMilli, tol)
	case Pods:
		return plainMetricReplicas(cur, m.TargetMilli, tol, o.Milli)
	case Resource, ContainerResource:
		if m.Target == AverageValue {
			return plainMetricReplicas(cur, m.TargetMilli, tol, o.Milli)
		}
		return resourceReplicas(cur, m.TargetUtilization, tol, o.Milli)
	}
	return Proposal{Failed: true}
}

// usageRatioReplicas mirrors GetExternalMetricReplicas and
// GetObjectMetricReplicas with getUsageRatioReplicaCount: within tolerance
// the current count, else ceil(ratio × ready pods); from zero replicas
// ceil(ratio), without tolerance.
func usageRatioReplicas(cur Target, usage, target int64, tol Tolerance) Proposal {
	ratio := float64(usage) / float64(target)
	p := Proposal{Usage: usage, Ratio: ratio}
	if cur.Replicas != 0 {
		if tol.isWithin(ratio) {
			p.Replicas = cur.Replicas
			p.WithinTolerance = true
			return p
		}
		// getReadyPodsCount fails when the selector matches no pod.
		if cur.StatusReplicas == 0 {
			return Proposal{Failed: true}
		}
		f := ratio * float64(cur.ReadyReplicas)
		if f > math.MaxInt32 {
			p.Replicas = math.MaxInt32
		} else {
			p.Replicas = int32(math.Ceil(f))
		}
		return p
	}
	p.Replicas = int32(math.Ceil(ratio))
	return p
}

// externalPerPodReplicas mirrors GetExternalPerPodMetricReplicas: the
// tolerance is measured against status.replicas, the proposal is
// ceil(total ÷ per-pod target). A negative running sum is taken for an
// int64 overflow, as upstream does.
func externalPerPodReplicas(statusReplicas int32, target int64, tol Tolerance, total int64) Proposal {
	usage := total
	if usage < 0 {
		usage = math.MaxInt64
	}
	p := Proposal{Replicas: statusReplicas}
	ratio := float64(usage) / (float64(target) * float64(statusReplicas))
	p.Ratio = ratio
	if !tol.isWithin(ratio) {
		r := math.Ceil(float64(usage) / float64(target))
		if r > float64(math.MaxInt32) {
			p.Replicas = math.MaxInt32
		} else {
			p.Replicas = int32(r)
		}
	} else {
		p.WithinTolerance = true
	}
	if float64(usage) >= float64(math.MaxInt64) {
		p.Usage = math.MaxInt64
	} else {
		p.Usage = int64(math.Ceil(float64(usage) / float64(statusReplicas)))
	}
	return p
}

// objectPerPodReplicas mirrors GetObjectPerPodMetricReplicas.
func objectPerPodReplicas(statusReplicas int32, target int64, tol Tolerance, usage int64) Proposal {
	p := Proposal{Replicas: statusReplicas}
	ratio := float64(usage) / (float64(target) * float64(statusReplicas))
	p.Ratio = ratio
	if !tol.isWithin(ratio) {
		p.Replicas = int32(math.Ceil(float64(usage) / float64(target)))
	} else {
		p.WithinTolerance = true
	}
	p.Usage = int64(math.Ceil(float64(usage) / float64(statusReplicas)))
	return p
}

// plainMetricReplicas mirrors calcPlainMetricReplicas (Pods metrics and
// Resource AverageValue targets) for ready pods that all report value and
// unready (Pending) pods that report nothing. There are no pods with a
// missing metric in this model.
func plainMetricReplicas(cur Target, target int64, tol Tolerance, value int64) Proposal {
	ready, all := int64(cur.ReadyReplicas), int64(cur.StatusReplicas)
	if all == 0 || ready == 0 {
		// "no pods returned by selector" / "did not receive metrics"
		return Proposal{Failed: true}
	}
	total := ready * value // the sum over ready pods, with int64 wrap-around
	usage := total / ready
	ratio := float64(usage) / float64(target)
	// On a scale-up, unready pods count as using 0.
	newRatio := float64(total/all) / float64(target)
	return podsProposal(cur, Proposal{Usage: usage, Ratio: ratio}, newRatio, tol)
}

// resourceReplicas mirrors GetResourceReplicas for a Utilization target,
// with every ready pod at the observed utilization of its request and the
// request taken as 100 units, so that the controller's integer percentage
// int32(Σusage×100 ÷ Σrequest) is reproduced exactly.
func resourceReplicas(cur Target, targetUtilization int32, tol Tolerance, milliPercent int64) Proposal {
	const request = 100_000 // milli-units per pod
	ready, all := int64(cur.ReadyReplicas), int64(cur.StatusReplicas)
	if all == 0 || ready == 0 {
		return Proposal{Failed: true}
	}
	total := ready * milliPercent
	utilization := int32((total * 100) / (ready * request))
	ratio := float64(utilization) / float64(targetUtilization)
	// On a scale-up, unready pods count as using 0 of their request.
	newUtilization := int32((total * 100) / (all * request))
	newRatio := float64(newUtilization) / float64(targetUtilization)
	return podsProposal(cur, Proposal{Usage: int64(utilization), Ratio: ratio}, newRatio, tol)
}

// podsProposal is the decision shared by calcPlainMetricReplicas and
// GetResourceReplicas once the usage ratio over the ready pods (p.Ratio) and
// the ratio with unready pods counted as 0 (newRatio) are known: without
// unready pods on a scale-up, the current count within tolerance, else
// ceil(ratio × ready pods); otherwise rebalance.
func podsProposal(cur Target, p Proposal, newRatio float64, tol Tolerance) Proposal {
	scaleUpWithUnready := cur.StatusReplicas > cur.ReadyReplicas && p.Ratio > 1.0
	if !scaleUpWithUnready {
		if tol.isWithin(p.Ratio) {
			p.Replicas = cur.Replicas
			p.WithinTolerance = true
			return p
		}
		p.Replicas = int32(math.Ceil(p.Ratio * float64(cur.ReadyReplicas)))
		return p
	}
	p.Replicas = rebalance(cur.Replicas, p.Ratio, newRatio, int64(cur.StatusReplicas), tol, &p)
	return p
}

// rebalance is the second half of calcPlainMetricReplicas and
// GetResourceReplicas: keep the current count when the recomputed ratio is
// within tolerance or would reverse the direction of change.
func rebalance(current int32, ratio, newRatio float64, pods int64, tol Tolerance, p *Proposal) int32 {
	if tol.isWithin(newRatio) || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0) {
		p.WithinTolerance = tol.isWithin(newRatio)
		return current
	}
	newReplicas := int32(math.Ceil(newRatio * float64(pods)))
	if (newRatio < 1.0 && newReplicas > current) || (newRatio > 1.0 && newReplicas < current) {
		return current
	}
	return newReplicas
}
