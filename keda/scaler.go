package keda

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/robfig/cron/v3"
)

// Reading is what one trigger's source returned at one query.
type Reading struct {
	// Value is the scaler's raw value: the query result (prometheus,
	// metrics-api), the consumer group's total lag (kafka). For cpu/memory
	// triggers it is what the HPA reads: the pods' utilization in percent
	// (Utilization) or the per-pod value (AverageValue). Cron ignores it.
	Value float64
	// Partitions and PartitionsWithLag are the kafka topic's partition
	// count and how many of them have lag.
	Partitions, PartitionsWithLag int64
	// Failed marks a query that returned an error.
	Failed bool
	// Empty marks a query that returned no value: a prometheus query whose
	// series is stale or absent. The prometheus scaler reads it as 0, or as
	// an error with ignoreNullValues "false" (Trigger.FailOnNull); every
	// other scaler reads it as an error.
	Empty bool
}

// scalerResult is a scaler's answer to GetMetricsAndActivity.
type scalerResult struct {
	milli  int64   // the value served, after GenerateMetricInMili
	approx float64 // the served quantity's AsApproximateFloat64
	active bool
	err    bool
}

// observe mirrors the trigger's GetMetricsAndActivity at now.
func (t *Trigger) observe(now time.Time, r Reading) scalerResult {
	switch t.Kind {
	case Cron:
		within := t.Cron.within(now)
		v := 0.0
		if within {
			v = float64(t.Cron.DesiredReplicas)
		}
		m, f := quantity(v)
		return scalerResult{milli: m, approx: f, active: within}
	case Kafka:
		if r.Failed || r.Empty {
			return scalerResult{err: true}
		}
		lag := int64(r.Value)
		v := float64(t.kafkaLag(lag, r))
		m, f := quantity(v)
		return scalerResult{milli: m, approx: f, active: float64(lag) > t.Activation}
	}
	if r.Failed || (r.Empty && t.Kind != Prometheus) {
		return scalerResult{err: true}
	}
	v := r.Value
	if t.Kind == Prometheus && (r.Empty || math.IsNaN(v) || math.IsInf(v, 0)) {
		// prometheusScaler.ExecutePromQuery: an empty result, NaN or ±Inf
		// is 0 with ignoreNullValues (the default), before the activation
		// test of GetMetricsAndActivity, and an error without it.
		if t.FailOnNull {
			return scalerResult{err: true}
		}
		v = 0
	}
	m, f := quantity(v)
	return scalerResult{milli: m, approx: f, active: v > t.Activation}
}

// kafkaLag mirrors the cap at the end of kafkaScaler.getTotalLag.
func (t *Trigger) kafkaLag(totalLag int64, r Reading) int64 {
	o := t.Kafka
	threshold := int64(t.Target)
	if threshold <= 0 {
		return totalLag
	}
	if !o.AllowIdleConsumers || o.LimitToPartitionsWithLag || o.EnsureEvenDistributionOfPartitions {
		upperBound := r.Partitions
		if o.EnsureEvenDistributionOfPartitions {
			totalLag = nextFactor(totalLag, r.Partitions, threshold) * threshold
		}
		if o.LimitToPartitionsWithLag {
			upperBound = r.PartitionsWithLag
		}
		if totalLag/threshold > upperBound {
			totalLag = upperBound * threshold
		}
	}
	return totalLag
}

// nextFactor mirrors getNextFactorThatBalancesConsumersToTopicPartitions
// with FindFactors (the divisors of n in increasing order).
func nextFactor(totalLag, partitions, threshold int64) int64 {
	for f := int64(1); f <= partitions; f++ {
		if partitions%f == 0 && f*threshold >= totalLag {
			return f
		}
	}
	return partitions
}

// metricInMilli mirrors GenerateMetricInMili (quantityFromFloat64): NaN,
// ±Inf and negative values become 0; others are formatted "%.3f", which
// rounds to the nearest milli, and read back with MilliValue(). Values
// beyond the int64 range of milli-units saturate.
func metricInMilli(v float64) int64 {
	m, _ := quantity(v)
	return m
}

// metricFloat mirrors Quantity.AsApproximateFloat64 of the quantity
// GenerateMetricInMili builds for v: the value a scalingModifiers formula
// reads for the trigger.
func metricFloat(v float64) float64 {
	_, f := quantity(v)
	return f
}

// quantity is metricInMilli and metricFloat of v, from one formatting.
// ParseQuantity reads a "%.3f" string of up to 18 digits as an int64
// milli-quantity (asFloat of the milli-value); a longer one (v >= 1e15) as
// an inf.Dec that it rounds to nano scale, whose float is the unscaled nano
// value rounded to float64, times 10^-9, which can differ from value ×
// 10^-3 in the last place.
func quantity(v float64) (milli int64, approx float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, 0
	}
	if v < 1e12 {
		// "%.3f" rounds v's exact binary value x to the nearest milli.
		// x × 1000 = hi + lo exactly (FMA); with n = round(hi), hi − n is
		// exact and x × 1000 − n ≈ (hi − n) + lo to ~1e-16. Clear of a
		// half, n is the nearest milli; near one, format.
		hi := v * 1000
		lo := math.FMA(v, 1000, -hi)
		n := math.Round(hi)
		if f := (hi - n) + lo; f > -0.4999 && f < 0.4999 {
			return int64(n), asFloat(int64(n))
		}
	}
	var buf [400]byte
	b := strconv.AppendFloat(buf[:0], v, 'f', 3, 64)
	m, err := parseMilli3(b)
	if err != nil {
		m = math.MaxInt64
	}
	digits := len(b) - 1 // without the point
	if digits <= 18 {
		return m, asFloat(m)
	}
	d := b[:0]
	for _, c := range b {
		if c != '.' {
			d = append(d, c)
		}
	}
	nano, _ := strconv.ParseFloat(string(d)+"000000", 64)
	return m, nano * math.Pow10(-9)
}

// asFloat mirrors Quantity.AsApproximateFloat64 for a milli-quantity:
// value × 10^-3 in float64, as the formula and the activation of a
// composite value see it.
func asFloat(milli int64) float64 { return float64(milli) * math.Pow10(-3) }

// CronSchedule is a cron trigger's window.
type CronSchedule struct {
	// Location is the timezone the schedules are read in.
	Location *time.Location
	// Start and End are the 5-field cron expressions.
	Start, End string
	// DesiredReplicas is the value inside the window.
	DesiredReplicas int64

	start, end cron.Schedule
}

// NewCronSchedule parses the schedules with the parser KEDA's cron scaler
// uses (robfig/cron/v3, minute hour day-of-month month day-of-week).
func NewCronSchedule(loc *time.Location, start, end string, desired int64) (*CronSchedule, error) {
	p := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
	s, err := p.Parse(start)
	if err != nil {
		return nil, fmt.Errorf("error parsing start schedule: %w", err)
	}
	e, err := p.Parse(end)
	if err != nil {
		return nil, fmt.Errorf("error parsing end schedule: %w", err)
	}
	if start == end {
		return nil, fmt.Errorf("start and end can not have exactly same time input")
	}
	if desired == 0 {
		return nil, fmt.Errorf("no desiredReplicas specified")
	}
	if loc == nil {
		return nil, fmt.Errorf("no timezone")
	}
	return &CronSchedule{Location: loc, Start: start, End: end, DesiredReplicas: desired, start: s, end: e}, nil
}

// within mirrors cronScaler.GetMetricsAndActivity: inside the window when
// the next end comes before the next start.
func (c *CronSchedule) within(now time.Time) bool {
	cur := now.In(c.Location)
	nextStart := c.start.Next(cur)
	nextEnd := c.end.Next(cur)
	if nextStart.Before(nextEnd) {
		return cur.After(nextStart) && cur.Before(nextEnd)
	}
	return cur.After(nextStart) || cur.Before(nextEnd)
}

// parseMilli3 reads a non-negative "%.3f" string as milli-units.
func parseMilli3(b []byte) (int64, error) {
	var m int64
	for _, c := range b {
		if c == '.' {
			continue
		}
		if c < '0' || c > '9' || m > (math.MaxInt64-9)/10 {
			return 0, fmt.Errorf("out of range")
		}
		m = m*10 + int64(c-'0')
	}
	return m, nil
}
