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

func ExampleDrawScatter() {
	// Four configurations of one region: replica-hours against p99 lag.
	points := []chart.Point{
		{X: 310, Y: 900, Config: 0},
		{X: 340, Y: 280, Config: 1, Feasible: true},
		{X: 380, Y: 190, Config: 2, Feasible: true},
		{X: 420, Y: 240, Config: 3, Feasible: true},
	}
	s := chart.Scatter{
		Title:  "Tuning orders-consumer",
		XLabel: "replica-hours", YLabel: "p99 lag (msgs)",
		Panels: []chart.ScatterPanel{{
			Region:  "eu-west-1",
			Points:  points,
			Front:   []chart.Point{points[0], points[1], points[2]}, // by increasing X
			Best:    &points[1],
			Current: &points[3],
			YBound:  300, HasYBound: true,
		}},
	}
	var buf bytes.Buffer
	height := chart.DefaultScatterHeight(len(s.Panels))
	if err := chart.DrawScatter(&buf, "svg", chart.DefaultWidth, height, s); err != nil {
		log.Fatal(err)
	}
	fmt.Println(bytes.Contains(buf.Bytes(), []byte(">tuned #1<")))
	// Output:
	// true
}

func ExampleDrawHeatmap() {
	nan := math.NaN()
	h := chart.Heatmap{
		Title:  "Tuning orders-consumer: best replica-hours",
		XLabel: "target (msgs)", YLabel: "stabilization (s)", ZLabel: "replica-hours",
		Panels: []chart.HeatPanel{{
			Region: "eu-west-1",
			X:      []float64{50, 100, 200},
			Y:      []float64{0, 300},
			Z:      [][]float64{{420, 450}, {380, 400}, {nan, 390}}, // Z[i][j] for X[i], Y[j]
			Best:   [2]int{1, 0},
		}},
	}
	var buf bytes.Buffer
	height := chart.DefaultHeatmapHeight(len(h.Panels))
	if err := chart.DrawHeatmap(&buf, "png", chart.DefaultWidth, height, h); err != nil {
		log.Fatal(err)
	}
	cfg, err := png.DecodeConfig(&buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%dx%d pixels\n", cfg.Width, cfg.Height)
	// Output:
	// 1600x597 pixels
}
