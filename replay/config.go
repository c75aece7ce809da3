package replay

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/keda"
)

// DefaultStaleness is how long a sample holds when no newer one comes:
// Prometheus' default lookback delta.
const DefaultStaleness = 5 * time.Minute

// Config is one replay: the controller, how the trace feeds it, and the
// workload model.
type Config struct {
	// HPA and ScaledObject: exactly one is set. A ScaledObject runs KEDA's
	// scale loop every pollingInterval and the HPA KEDA generates every
	// SyncPeriod.
	HPA          *hpa.Spec
	ScaledObject *keda.Spec

	// SyncPeriod is kube-controller-manager's
	// --horizontal-pod-autoscaler-sync-period; 0 means
	// hpa.DefaultSyncPeriod (15 s).
	SyncPeriod time.Duration

	// Staleness is how long a series' last sample holds: a series read
	// more than Staleness after its last sample has no value (a prometheus
	// trigger reads an empty result; every other source fails). 0 means
	// DefaultStaleness; negative means samples never go stale.
	Staleness time.Duration

	// Columns maps a series (a trigger or metric, by the name Columns
	// reports) to the trace column that feeds it, overriding the default
	// naming (docs/replay.md).
	Columns map[string]string

	// Partitions gives, by series name, the partition count of a kafka
	// trigger's topic (the scaler caps its value with it). Required for
	// kafka triggers.
	Partitions map[string]int64

	// InitialReplicas is the workload's replica count at the start; 0 means
	// the trace's first recorded count, or without one the minimum
	// (minReplicas, minReplicaCount).
	InitialReplicas int32

	// Pipeline is the metric pipeline between the source and the
	// controllers.
	Pipeline Pipeline

	// Workloads, when not empty, make the replay closed-loop: each
	// workload's series is computed from the simulated ready replicas
	// instead of read from the trace.
	Workloads []Workload

	// StartupDelay is how long a new pod takes to become ready, in the
	// closed loop (the open loop's pods are ready at once). It also
	// applies to the recorded replicas when a workload derives its
	// arrivals from them.
	StartupDelay time.Duration
}

// Pipeline models the delay between a metric's source and what the
// controllers read: at time t they read the last scrape at or before
// t − Delay. With ScrapeInterval 0 the source is read fresh at t − Delay
// (no scrape grid); with both 0 the controllers read the source at t.
// Before the trace starts, the first value stands.
type Pipeline struct {
	// Delay is the age of what the controllers read: the rate window, the
	// recording rule and adapter cache latency.
	Delay time.Duration
	// ScrapeInterval is the scrape period, aligned to the region's first
	// sample; 0 means no scrape grid.
	ScrapeInterval time.Duration
}

// WorkloadKind selects a closed-loop workload model.
type WorkloadKind uint8

const (
	// Queue is a backlog drained by the ready replicas: its series is the
	// lag.
	Queue WorkloadKind = iota + 1
	// Utilization is an offered load shared by the ready replicas: its
	// series is the utilization in percent.
	Utilization
)

func (k WorkloadKind) String() string {
	switch k {
	case Queue:
		return "queue"
	case Utilization:
		return "utilization"
	}
	return fmt.Sprintf("WorkloadKind(%d)", uint8(k))
}

// Workload is a closed-loop model of one series.
//
// Queue: between two instants the lag L grows by the arrivals A and shrinks
// by what the ready replicas process, at most L + A:
//
//	processed = min(L + A, Throughput · ∫ min(ready(t), MaxConsumers) dt)
//	L' = L + A − processed
//
// Utilization: at each instant
//
//	utilization = 100 · load / (min(ready, MaxConsumers) · Capacity)
//
// and the series has no value while no replica is ready.
type Workload struct {
	// Series names the series the model computes (as Columns reports it).
	Series string
	// Kind is the model.
	Kind WorkloadKind

	// Arrivals (Queue) names the trace column with the arrival rate, in
	// items per second (sample and hold). Empty: the rate is derived from
	// the recorded lag (the Series column) and the recorded replicas, with
	// Throughput and StartupDelay.
	Arrivals string
	// Throughput (Queue) is the items one ready replica processes per
	// second; > 0.
	Throughput float64
	// InitialLag (Queue) is the lag at the start; 0 means the trace's
	// first recorded lag (0 without one).
	InitialLag float64

	// Load (Utilization) names the trace column with the offered load, in
	// any unit (sample and hold).
	Load string
	// Capacity (Utilization) is the load one ready replica carries at
	// 100 %; > 0.
	Capacity float64

	// MaxConsumers caps the replicas that do work (a Kafka consumer group
	// uses at most one consumer per partition); 0 means no cap.
	MaxConsumers int32
}

// Validate checks the config on its own; New checks it against the trace.
func (c *Config) Validate() error {
	var errs []error
	switch {
	case c.HPA == nil && c.ScaledObject == nil:
		errs = append(errs, errors.New("no controller: set HPA or ScaledObject"))
	case c.HPA != nil && c.ScaledObject != nil:
		errs = append(errs, errors.New("both HPA and ScaledObject are set: a replay runs one"))
	}
	if c.SyncPeriod < 0 {
		errs = append(errs, fmt.Errorf("sync period %v: must be >= 0", c.SyncPeriod))
	}
	if c.InitialReplicas < 0 {
		errs = append(errs, fmt.Errorf("initial replicas %d: must be >= 0", c.InitialReplicas))
	}
	if c.Pipeline.Delay < 0 || c.Pipeline.ScrapeInterval < 0 {
		errs = append(errs, fmt.Errorf("pipeline delay %v, scrape interval %v: must be >= 0", c.Pipeline.Delay, c.Pipeline.ScrapeInterval))
	}
	if c.StartupDelay < 0 {
		errs = append(errs, fmt.Errorf("startup delay %v: must be >= 0", c.StartupDelay))
	}
	for name, n := range c.Partitions {
		if n <= 0 {
			errs = append(errs, fmt.Errorf("partitions[%s] = %d: must be > 0", name, n))
		}
	}
	seen := map[string]bool{}
	for i, w := range c.Workloads {
		p := fmt.Sprintf("workloads[%d]", i)
		if w.Series == "" {
			errs = append(errs, fmt.Errorf("%s.series: required", p))
		} else if seen[w.Series] {
			errs = append(errs, fmt.Errorf("%s.series: %q is modelled twice", p, w.Series))
		}
		seen[w.Series] = true
		if w.MaxConsumers < 0 {
			errs = append(errs, fmt.Errorf("%s.maxConsumers %d: must be >= 0", p, w.MaxConsumers))
		}
		switch w.Kind {
		case Queue:
			if !(w.Throughput > 0) || math.IsInf(w.Throughput, 0) {
				errs = append(errs, fmt.Errorf("%s.throughput %v: must be a finite number > 0", p, w.Throughput))
			}
			if !(w.InitialLag >= 0) || math.IsInf(w.InitialLag, 0) {
				errs = append(errs, fmt.Errorf("%s.initialLag %v: must be a finite number >= 0", p, w.InitialLag))
			}
			if w.Load != "" || w.Capacity != 0 {
				errs = append(errs, fmt.Errorf("%s: load and capacity belong to a utilization workload", p))
			}
		case Utilization:
			if w.Load == "" {
				errs = append(errs, fmt.Errorf("%s.load: required (the column with the offered load)", p))
			}
			if !(w.Capacity > 0) || math.IsInf(w.Capacity, 0) {
				errs = append(errs, fmt.Errorf("%s.capacity %v: must be a finite number > 0", p, w.Capacity))
			}
			if w.Arrivals != "" || w.Throughput != 0 {
				errs = append(errs, fmt.Errorf("%s: arrivals and throughput belong to a queue workload", p))
			}
		default:
			errs = append(errs, fmt.Errorf("%s.kind: want queue or utilization", p))
		}
	}
	return errors.Join(errs...)
}

func (c *Config) syncPeriod() time.Duration {
	if c.SyncPeriod == 0 {
		return hpa.DefaultSyncPeriod
	}
	return c.SyncPeriod
}

func (c *Config) staleness() time.Duration {
	switch {
	case c.Staleness == 0:
		return DefaultStaleness
	case c.Staleness < 0:
		return math.MaxInt64
	}
	return c.Staleness
}

// Loop is the model the config runs.
func (c *Config) Loop() Loop {
	if len(c.Workloads) > 0 {
		return ClosedLoop
	}
	return OpenLoop
}
