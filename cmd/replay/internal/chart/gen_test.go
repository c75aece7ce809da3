package chart

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// epoch is the fixed start of all test data.
var epoch = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

// synthPanel returns a deterministic region of n steps, step apart: a
// Kafka-lag metric with a daily cycle, noise and rare spikes, a CPU
// metric in percent, and a closed-loop replica count that follows the
// lag with a two-step readiness delay.
func synthPanel(region string, seed uint64, n int, step time.Duration) Panel {
	rng := rand.New(rand.NewPCG(seed, 1))
	p := Panel{Region: region, Min: 1, Max: 20}
	lag := Metric{Name: "lag", Target: 100, Activation: 5, SLO: 1500, Unit: "msgs"}
	cpu := Metric{Name: "cpu", Target: 70, Unit: "%"}
	replicas := 1.0
	for i := range n {
		t := epoch.Add(time.Duration(i) * step)
		day := float64(t.Sub(epoch)) / float64(24*time.Hour)
		v := 800 + 700*math.Sin(2*math.Pi*day) + 60*rng.NormFloat64()
		if rng.IntN(2000) == 0 {
			v += 3000 // a spike
		}
		v = math.Max(v, 0)
		if i%997 == 500 {
			v = math.NaN() // a scrape gap
		}
		c := math.Min(100, 55+10*rng.NormFloat64()+8*math.Sin(2*math.Pi*day))
		desired := math.NaN()
		if !math.IsNaN(v) {
			desired = math.Min(math.Max(math.Ceil(v/lag.Target), p.Min), p.Max)
			if desired > replicas || (desired < replicas && i%40 == 0) {
				p.Events = append(p.Events, t)
				replicas = desired
			}
		}
		ready := replicas
		if k := len(p.Replicas); k >= 2 {
			ready = math.Min(replicas, p.Replicas[k-2])
		}
		lag.Times = append(lag.Times, t)
		lag.Values = append(lag.Values, v)
		cpu.Times = append(cpu.Times, t)
		cpu.Values = append(cpu.Values, c)
		p.Times = append(p.Times, t)
		p.Replicas = append(p.Replicas, replicas)
		p.Desired = append(p.Desired, desired)
		p.Ready = append(p.Ready, ready)
	}
	p.Metrics = []Metric{lag, cpu}
	return p
}

// synthChart returns a chart of the given regions with synthPanel data.
func synthChart(regions, n int, step time.Duration) Chart {
	c := Chart{
		Title:    "ScaledObject orders-consumer (closed loop)",
		Subtitle: fmt.Sprintf("%d steps of %v · %d region(s)", n, step, regions),
	}
	names := []string{"eu-west-1", "us-east-1", "ap-south-1"}
	for r := range regions {
		c.Panels = append(c.Panels, synthPanel(names[r%len(names)], uint64(r+1), n, step))
	}
	return c
}
