package chart_test

import (
	"bytes"
	"fmt"
	"image/png"
	"log"
	"math"
	"slices"
	"time"

	"github.com/autoreplay/autoreplay/cmd/replay/internal/chart"
)

func ExampleDraw() {
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	var times []time.Time
	var lag, replicas []float64
	var events []time.Time
	for i := range 120 { // two hours of one-minute steps
		t := start.Add(time.Duration(i) * time.Minute)
		times = append(times, t)
		lag = append(lag, 500+400*math.Sin(float64(i)/20))
		r := math.Ceil(lag[i] / 100)
		if i > 0 && r != replicas[i-1] {
			events = append(events, t)
		}
		replicas = append(replicas, r)
	}
	c := chart.Chart{
		Title:    "ScaledObject orders-consumer (closed loop)",
		Subtitle: fmt.Sprintf("peak %v · %d scale events", slices.Max(replicas), len(events)),
		Panels: []chart.Panel{{
			Region: "eu-west-1",
			Metrics: []chart.Metric{{
				Name: "lag", Unit: "msgs", Times: times, Values: lag, Target: 100, SLO: 850,
			}},
			Times:    times,
			Replicas: replicas,
			Events:   events,
			Min:      1,
			Max:      10,
		}},
	}

	var buf bytes.Buffer
	height := chart.DefaultHeight(len(c.Panels)) // 448pt
	if err := chart.Draw(&buf, "png", chart.DefaultWidth, height, c); err != nil {
		log.Fatal(err)
	}
	cfg, err := png.DecodeConfig(&buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%vx%vpt: %dx%d pixels at %d dpi\n", float64(chart.DefaultWidth), float64(height), cfg.Width, cfg.Height, chart.DPI)
	// Output:
	// 1200x448pt: 1600x597 pixels at 96 dpi
}
