package chart

import (
	"fmt"
	"io"
	"testing"
	"time"

	"gonum.org/v1/plot/vg"
)

// benchDraw runs a sub-benchmark per format named prefix/format that
// draws fig at the given size.
func benchDraw[T any](b *testing.B, prefix string, draw drawFunc[T], w, h vg.Length, fig T) {
	for _, format := range []string{"svg", "png"} {
		b.Run(prefix+"/"+format, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := draw(io.Discard, format, w, h, fig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDraw renders three regions of n 15-second steps (40,320 is a
// week) with two metrics, desired, ready and events each, at the default
// size.
func BenchmarkDraw(b *testing.B) {
	for _, n := range []int{1440, 40320} {
		benchDraw(b, fmt.Sprintf("steps=%d", n), Draw, DefaultWidth, DefaultHeight(3), synthChart(3, n, 15*time.Second))
	}
}

// BenchmarkBuild measures validation and decimation alone (no drawing)
// for three regions of a week of 15-second steps.
func BenchmarkBuild(b *testing.B) {
	c := synthChart(3, 40320, 15*time.Second)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.validate(); err != nil {
			b.Fatal(err)
		}
		build(c, DefaultWidth)
	}
}

// BenchmarkDrawScatter renders three regions of n configurations each at
// the default size.
func BenchmarkDrawScatter(b *testing.B) {
	for _, n := range []int{1000, 20000} {
		benchDraw(b, fmt.Sprintf("points=%d", n), DrawScatter, DefaultWidth, DefaultScatterHeight(3), synthScatter(3, n))
	}
}
