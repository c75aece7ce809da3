// Package keda reproduces the decisions of KEDA v2.21 for a ScaledObject: the
// operator's scale loop (activation, scale to and from zero or the idle
// count, cooldown), the values its metrics adapter serves to the HPA it
// generates (milli rounding, fallback, scalingModifiers formulas), and that
// HPA itself, run by package hpa.
//
// Like hpa, it is a pure state machine: time and readings come in, decisions
// come out as data. The caller (the replay clock) calls Poll every
// pollingInterval and Reconcile every HPA sync period.
package keda

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
)

// Defaults of KEDA v2.21 (apis/keda/v1alpha1, pkg/scaling/executor).
const (
	DefaultPollingInterval       = 30 * time.Second
	DefaultCooldownPeriod        = 300 * time.Second
	DefaultInitialCooldownPeriod = 0
	DefaultMaxReplicaCount       = 100
	// CompositeMetricName is the HPA metric that replaces the triggers'
	// external metrics when scalingModifiers are used.
	CompositeMetricName = "composite-metric"
)

// ScalerKind is a trigger's scaler type.
type ScalerKind uint8

// Scalers the engine models.
const (
	// Prometheus: the value of an instant query (prometheus_scaler.go);
	// active when value > activationThreshold.
	Prometheus ScalerKind = iota + 1
	// MetricsAPI: a value read from an HTTP endpoint (metrics_api_scaler.go);
	// active when value > activationTargetValue.
	MetricsAPI
	// Kafka: the consumer group's total lag (kafka_scaler.go), capped by the
	// partition count unless allowIdleConsumers; active when the lag
	// (before the cap) > activationLagThreshold.
	Kafka
	// Cron: desiredReplicas inside the schedule's window, else 0; active
	// inside the window (cron_scaler.go). It needs no reading.
	Cron
	// CPU and Memory become Resource (or ContainerResource) metrics of the
	// HPA; they never make the ScaledObject active unless all triggers are
	// cpu/memory (cpu_memory_scaler.go, getScaledObjectState).
	CPU
	Memory
)

// String returns the trigger type as written in a ScaledObject.
func (k ScalerKind) String() string {
	switch k {
	case Prometheus:
		return "prometheus"
	case MetricsAPI:
		return "metrics-api"
	case Kafka:
		return "kafka"
	case Cron:
		return "cron"
	case CPU:
		return "cpu"
	case Memory:
		return "memory"
	}
	return fmt.Sprintf("ScalerKind(%d)", uint8(k))
}

// External reports whether the trigger is served to the HPA as an External
// metric through KEDA's metrics adapter.
func (k ScalerKind) External() bool { return k != CPU && k != Memory }

// Trigger is one entry of spec.triggers after KEDA has parsed its metadata.
type Trigger struct {
	// Name is the trigger's name: the scalingModifiers formula variable.
	// Empty for an unnamed trigger. It does not name the HPA metric.
	Name string
	// Kind is the scaler type.
	Kind ScalerKind
	// MetricName is the HPA metric: s<index>-<scaler name> for external
	// scalers (GenerateMetricNameWithIndex), the resource name for cpu and
	// memory.
	MetricName string
	// MetricType is the HPA target type: AverageValue (the default for
	// external scalers, GetMetricTargetType) or Value; Utilization or
	// AverageValue for cpu/memory.
	MetricType hpa.TargetType
	// Target is the scaler's target as KEDA reads it: threshold
	// (prometheus), targetValue (metrics-api), lagThreshold (kafka), 1
	// (cron), the utilization percentage or per-pod value (cpu/memory).
	Target float64
	// TargetMilli is the target as the HPA reads it, in milli-units.
	TargetMilli int64
	// Activation is activationThreshold / activationTargetValue /
	// activationLagThreshold (default 0).
	Activation float64
	// UseCachedMetrics serves the HPA the reading of the last poll instead
	// of querying the source.
	UseCachedMetrics bool
	// FailOnNull is a prometheus trigger's ignoreNullValues "false": an
	// empty result, NaN or ±Inf is an error. The zero value is KEDA's
	// default (ignoreNullValues "true": they read as 0).
	FailOnNull bool
	// Kafka holds the kafka scaler's options.
	Kafka KafkaOptions
	// Cron is the schedule of a cron trigger.
	Cron *CronSchedule
	// ContainerName makes a cpu/memory trigger a ContainerResource metric.
	ContainerName string
}

// KafkaOptions are the kafka scaler options that shape its value.
type KafkaOptions struct {
	// AllowIdleConsumers lets the lag ask for more consumers than partitions.
	AllowIdleConsumers bool
	// LimitToPartitionsWithLag caps at the partitions that have lag.
	LimitToPartitionsWithLag bool
	// EnsureEvenDistributionOfPartitions rounds the consumer count up to a
	// factor of the partition count.
	EnsureEvenDistributionOfPartitions bool
}

// Fallback configures spec.fallback.
type Fallback struct {
	// FailureThreshold: fallback starts when a metric's consecutive
	// failures exceed it.
	FailureThreshold int32
	// Replicas is the replica count the fallback asks for.
	Replicas int32
	// Behavior chooses the replicas (default Static).
	Behavior FallbackBehavior
}

// FallbackBehavior is spec.fallback.behavior.
type FallbackBehavior uint8

// Fallback behaviors (kedav1alpha1.FallbackBehavior*).
const (
	FallbackStatic FallbackBehavior = iota
	FallbackCurrentReplicas
	FallbackCurrentReplicasIfHigher
	FallbackCurrentReplicasIfLower
	// FallbackScalingModifiers passes a failing trigger to the formula as
	// nil once its failures exceed the threshold.
	FallbackScalingModifiers
)

// String returns the behavior as written in a ScaledObject.
func (b FallbackBehavior) String() string {
	switch b {
	case FallbackStatic:
		return "static"
	case FallbackCurrentReplicas:
		return "currentReplicas"
	case FallbackCurrentReplicasIfHigher:
		return "currentReplicasIfHigher"
	case FallbackCurrentReplicasIfLower:
		return "currentReplicasIfLower"
	case FallbackScalingModifiers:
		return "scalingModifiers"
	}
	return fmt.Sprintf("FallbackBehavior(%d)", uint8(b))
}

// Modifiers configures advanced.scalingModifiers.
type Modifiers struct {
	// Formula is the expression as written; it is compiled with
	// github.com/expr-lang/expr after KEDA's castToFloatIfNecessary.
	Formula string
	// Target is the target as written (a decimal string); the HPA target is
	// int64(target×1000) milli-units, and a fallback needs it to be an
	// integer.
	Target string
	// ActivationTarget is the activation threshold of the formula's value
	// (as written; "" means 0).
	ActivationTarget string
	// MetricType is AverageValue or Value; the zero value means AverageValue,
	// the default.
	MetricType hpa.TargetType
}

// Spec is a ScaledObject after KEDA's defaults, plus the HPA behavior it
// passes through and the controller settings of the cluster.
type Spec struct {
	// PollingInterval is how often the operator's scale loop runs.
	PollingInterval time.Duration
	// CooldownPeriod is how long after the last active poll the workload is
	// scaled to zero (or to the idle count).
	CooldownPeriod time.Duration
	// InitialCooldownPeriod delays the first scale to zero after creation.
	InitialCooldownPeriod time.Duration
	// MinReplicaCount is the minimum (0 allows scale to zero).
	MinReplicaCount int32
	// MaxReplicaCount is the maximum.
	MaxReplicaCount int32
	// IdleReplicaCount, when not nil, is the count while inactive; it must
	// be below MinReplicaCount.
	IdleReplicaCount *int32
	// Triggers in spec order.
	Triggers []Trigger
	// Fallback, when not nil, is spec.fallback.
	Fallback *Fallback
	// Modifiers, when not nil, is advanced.scalingModifiers.
	Modifiers *Modifiers
	// Behavior is advanced.horizontalPodAutoscalerConfig.behavior after the
	// API server's defaults (paused-scale-in/-out annotations applied); nil
	// for the HPA's legacy path.
	Behavior *hpa.Behavior
	// Tolerance and LegacyDownscaleWindow are the HPA's, resolved as in
	// hpa.Spec.
	Tolerance             hpa.Tolerance
	LegacyDownscaleWindow time.Duration

	// Annotations.
	Paused          bool   // autoscaling.keda.sh/paused
	PausedReplicas  *int32 // autoscaling.keda.sh/paused-replicas
	PausedScaleIn   bool   // autoscaling.keda.sh/paused-scale-in
	PausedScaleOut  bool   // autoscaling.keda.sh/paused-scale-out
	ForceActivation bool   // autoscaling.keda.sh/force-activation
}

// UsesModifiers mirrors ScaledObject.IsUsingModifiers.
func (s *Spec) UsesModifiers() bool { return s.Modifiers != nil }

// usesHPAObservations mirrors ScaledObject.UsesHPAObservations: with
// minReplicaCount > 0, no idle count, no cached metrics and no modifiers the
// scale loop reuses the HPA's readings.
func (s *Spec) usesHPAObservations() bool {
	if s.MinReplicaCount == 0 || s.IdleReplicaCount != nil || s.UsesModifiers() {
		return false
	}
	for _, t := range s.Triggers {
		if t.UseCachedMetrics {
			return false
		}
	}
	return true
}

// metricType is the composite metric's target type; the zero value is the
// default, AverageValue.
func (m *Modifiers) metricType() hpa.TargetType {
	if m.MetricType == 0 {
		return hpa.AverageValue
	}
	return m.MetricType
}

// target is the formula target as a float (validated > 0).
func (m *Modifiers) target() float64 {
	v, _ := strconv.ParseFloat(m.Target, 64)
	return v
}

// validFallback mirrors HasValidFallback: threshold and replicas >= 0 and,
// with modifiers, an integer target > 0.
func (s *Spec) validFallback() bool {
	f := s.Fallback
	if f == nil {
		return false
	}
	ok := true
	if s.UsesModifiers() {
		v, err := strconv.ParseInt(s.Modifiers.Target, 10, 64)
		ok = err == nil && v > 0
	}
	return f.FailureThreshold >= 0 && f.Replicas >= 0 && ok
}

// HPA returns the HPA KEDA generates for the ScaledObject
// (newHPAForScaledObject, getScaledObjectMetricSpecs in controllers/keda/hpa.go):
// minReplicas = max(minReplicaCount, 1), maxReplicas = maxReplicaCount, and
// the triggers' metric specs sorted by source type name ("ContainerResource"
// < "External" < "Resource"; sort.Slice keeps the trigger order within a
// type for such short lists). With modifiers the External metrics are
// replaced by one composite-metric placed after the Resource metrics, and
// ContainerResource metrics are dropped (only specs with Resource set are
// kept).
func (s *Spec) HPA() hpa.Spec {
	out := hpa.Spec{
		MinReplicas:           max(s.MinReplicaCount, 1),
		MaxReplicas:           s.MaxReplicaCount,
		Tolerance:             s.Tolerance,
		Behavior:              s.Behavior,
		LegacyDownscaleWindow: s.LegacyDownscaleWindow,
	}
	add := func(keep func(t *Trigger) bool) {
		for i := range s.Triggers {
			if keep(&s.Triggers[i]) {
				out.Metrics = append(out.Metrics, s.Triggers[i].hpaMetric())
			}
		}
	}
	resource := func(t *Trigger) bool { return !t.Kind.External() && !t.Container() }
	if s.UsesModifiers() {
		add(resource)
		out.Metrics = append(out.Metrics, hpa.Metric{
			Type: hpa.External, Name: CompositeMetricName,
			Target: s.Modifiers.metricType(), TargetMilli: int64(s.Modifiers.target() * 1000),
		})
		return out
	}
	add(func(t *Trigger) bool { return !t.Kind.External() && t.Container() })
	add(func(t *Trigger) bool { return t.Kind.External() })
	add(resource)
	return out
}

// Container reports whether a cpu/memory trigger is a ContainerResource
// metric.
func (t *Trigger) Container() bool { return t.ContainerName != "" }

func (t *Trigger) hpaMetric() hpa.Metric {
	m := hpa.Metric{Type: hpa.External, Name: t.MetricName, Target: t.MetricType, TargetMilli: t.TargetMilli}
	if !t.Kind.External() {
		m.Type = hpa.Resource
		if t.Container() {
			m.Type = hpa.ContainerResource
		}
		if t.MetricType == hpa.Utilization {
			m.TargetUtilization = int32(t.Target)
			m.TargetMilli = 0
		}
	}
	return m
}

// Validate checks what the engine relies on; the manifest package applies
// KEDA's webhook validation with field paths.
func (s *Spec) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if s.PollingInterval <= 0 {
		add("pollingInterval must be > 0")
	}
	if s.CooldownPeriod < 0 || s.InitialCooldownPeriod < 0 {
		add("cooldownPeriod and initialCooldownPeriod must be >= 0")
	}
	if s.MinReplicaCount < 0 {
		add("minReplicaCount must be >= 0")
	}
	if max(s.MinReplicaCount, 1) > s.MaxReplicaCount && s.MinReplicaCount > 0 {
		add("MinReplicaCount=%d must be less than MaxReplicaCount=%d", s.MinReplicaCount, s.MaxReplicaCount)
	}
	// CheckReplicaCountBoundsAreValid compares with GetHPAMinReplicas, at
	// least 1, when minReplicaCount is written; the manifest package rejects
	// an idle count with minReplicaCount left unset.
	if s.IdleReplicaCount != nil && *s.IdleReplicaCount >= max(s.MinReplicaCount, 1) {
		add("IdleReplicaCount=%d must be less than MinReplicaCount=%d", *s.IdleReplicaCount, max(s.MinReplicaCount, 1))
	}
	if len(s.Triggers) == 0 {
		add("no triggers")
	}
	for i, t := range s.Triggers {
		// With modifiers the triggers' own targets never reach the HPA.
		if t.Kind.External() && !s.UsesModifiers() && (math.IsNaN(t.Target) || t.Target < 0) {
			add("triggers[%d]: target must be >= 0", i)
		}
		if t.Kind == Cron && t.Cron == nil {
			add("triggers[%d]: cron trigger without a schedule", i)
		}
	}
	if s.Modifiers != nil {
		if s.Modifiers.Formula == "" {
			add("error ScalingModifiers.Formula is mandatory")
		}
		if s.Modifiers.target() <= 0 {
			add("error converting target for scalingModifiers (string->float) to valid target")
		}
	}
	h := s.HPA()
	if err := h.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("generated HPA: %w", err))
	}
	return errors.Join(errs...)
}
