package chart

import (
	"math"
	"math/rand/v2"
	"time"
)

// compareChart is a region drawn for two configurations: two modelled
// lag series with an SLO, and two replica lines with their own times,
// one with a gap.
func compareChart() Chart {
	ts := at(8, time.Minute)
	return Chart{
		Title:    "ScaledObject orders-consumer: current vs tuned",
		Subtitle: "replica-hours 0.6 → 0.5",
		Panels: []Panel{{
			Region: "eu-west-1",
			Metrics: []Metric{
				{Name: "lag (current)", Unit: "msgs", SLO: 300, Times: ts, Values: []float64{100, 250, 400, 320, 200, 150, 90, 60}},
				{Name: "lag (tuned)", Unit: "msgs", SLO: 300, Times: ts, Values: []float64{100, 220, 280, 240, 170, 120, 80, 50}},
			},
			Times:         ts,
			Replicas:      []float64{1, 2, 3, 4, 4, 3, 2, 2},
			ReplicasLabel: "replicas (current)",
			Compare: []Line{
				{Label: "replicas (tuned)", Times: at(6, 90*time.Second), Values: []float64{2, 3, nan, 4, 3, 2}},
				{Times: at(2, 7*time.Minute), Values: []float64{1, 1}}, // unlabelled: no legend entry
			},
			Min: 1, Max: 5,
		}},
	}
}

func ptr(p Point) *Point { return &p }

// smallScatter exercises every element of a scatter on a few points: a
// region with feasible and infeasible points (one NaN, skipped; two on
// the same pixel, drawn once), a front with a NaN point, best, current
// and a bound; and a region with only feasible points and current.
func smallScatter() Scatter {
	return Scatter{
		Title:    "Tuning orders-consumer: 12 configurations",
		Subtitle: "objective: replica-hours · constraint: p99 lag ≤ 300 msgs",
		XLabel:   "replica-hours",
		YLabel:   "p99 lag (msgs)",
		Panels: []ScatterPanel{
			{
				Region: "eu-west-1",
				Points: []Point{
					{X: 10, Y: 500, Config: 0}, {X: 12, Y: 280, Config: 1, Feasible: true},
					{X: 12, Y: 280, Config: 2, Feasible: true}, {X: 14, Y: 200, Config: 3, Feasible: true},
					{X: 15, Y: 260, Config: 4, Feasible: true}, {X: 18, Y: 120, Config: 5, Feasible: true},
					{X: 20, Y: 150, Config: 6, Feasible: true}, {X: 9, Y: 700, Config: 7},
					{X: nan, Y: 100, Config: 8, Feasible: true}, {X: 25, Y: 110, Config: 9, Feasible: true},
				},
				Front:   []Point{{X: 9, Y: 700, Config: 7}, {X: 10, Y: 500}, {X: nan, Y: 1}, {X: 12, Y: 280, Config: 1, Feasible: true}, {X: 14, Y: 200, Config: 3, Feasible: true}, {X: 18, Y: 120, Config: 5, Feasible: true}},
				Best:    ptr(Point{X: 12, Y: 280, Config: 1, Feasible: true}),
				Current: ptr(Point{X: 20, Y: 150, Config: 6, Feasible: true}),
				YBound:  300, HasYBound: true,
			},
			{
				Region:  "us-east-1",
				Points:  []Point{{X: 2e6, Y: 0.5, Feasible: true}, {X: 2.5e6, Y: 0.25, Feasible: true}},
				Current: ptr(Point{X: 2.5e6, Y: 0.25, Feasible: true}),
			},
		},
	}
}

// smallHeatmap has a 3×4 region with two cells none feasible and a best
// cell, and a 2×2 region with no feasible cell at all.
func smallHeatmap() Heatmap {
	return Heatmap{
		Title:  "Tuning orders-consumer: best replica-hours",
		XLabel: "target (msgs)", YLabel: "stabilization (s)", ZLabel: "replica-hours",
		Panels: []HeatPanel{
			{
				Region: "eu-west-1",
				X:      []float64{50, 100, 200},
				Y:      []float64{0, 60, 300, 600},
				Z: [][]float64{
					{14.5, 15.25, 16, 18},
					{12, 12.5, 13, nan},
					{10.125, 1234.5, nan, 0.0625},
				},
				Best: [2]int{1, 0},
			},
			{
				Region: "us-east-1",
				X:      []float64{50, 100},
				Y:      []float64{0, 60},
				Z:      [][]float64{{nan, nan}, {nan, nan}},
				Best:   [2]int{-1, -1},
			},
		},
	}
}

// synthScatter returns a region of n configurations on a coarse grid, so
// many fall on the same pixel.
func synthScatter(regions, n int) Scatter {
	s := Scatter{Title: "synthetic", XLabel: "cost", YLabel: "lag"}
	for r := range regions {
		rng := rand.New(rand.NewPCG(uint64(r+1), 2))
		p := ScatterPanel{Region: "r" + string(rune('0'+r)), YBound: 400, HasYBound: true}
		for i := range n {
			x := math.Round(100+900*rng.Float64()) / 10
			y := math.Round(30000/x+50*rng.NormFloat64()) + 0
			p.Points = append(p.Points, Point{X: x, Y: y, Config: i, Feasible: y <= 400})
		}
		p.Front = paretoFront(p.Points)
		p.Best = &p.Front[len(p.Front)/2]
		p.Current = &p.Points[0]
		s.Panels = append(s.Panels, p)
	}
	return s
}

// paretoFront returns the points not dominated in (X, Y), by increasing X.
func paretoFront(pts []Point) []Point {
	var front []Point
	for _, p := range pts {
		dominated := false
		for _, q := range pts {
			if (q.X < p.X && q.Y <= p.Y) || (q.X <= p.X && q.Y < p.Y) {
				dominated = true
				break
			}
		}
		if !dominated {
			front = append(front, p)
		}
	}
	for i := 1; i < len(front); i++ {
		for j := i; j > 0 && front[j].X < front[j-1].X; j-- {
			front[j], front[j-1] = front[j-1], front[j]
		}
	}
	return front
}

// synthHeatmap returns regions of an nx×ny grid with a smooth objective,
// a band of cells none feasible and the best cell marked.
func synthHeatmap(regions, nx, ny int) Heatmap {
	h := Heatmap{Title: "synthetic", XLabel: "a", YLabel: "b", ZLabel: "cost"}
	for r := range regions {
		p := HeatPanel{Region: "r" + string(rune('0'+r)), Best: [2]int{-1, -1}}
		best := math.Inf(1)
		for i := range nx {
			p.X = append(p.X, float64(10*(i+1)))
			col := make([]float64, ny)
			for j := range ny {
				z := 100 + 3*float64((i-nx/3)*(i-nx/3)) + 2*float64((j-ny/2)*(j-ny/2)) + float64(r)
				if j > i+ny/2 {
					z = nan
				} else if z < best {
					best, p.Best = z, [2]int{i, j}
				}
				col[j] = z
			}
			p.Z = append(p.Z, col)
		}
		for j := range ny {
			p.Y = append(p.Y, float64(j)*0.5)
		}
		h.Panels = append(h.Panels, p)
	}
	return h
}
