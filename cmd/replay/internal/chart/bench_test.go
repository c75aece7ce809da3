package chart

import (
	"fmt"
	"io"
	"testing"
	"time"
)

// BenchmarkDraw renders three regions of n 15-second steps (40,320 is a
// week) with two metrics, desired, ready and events each, at the default
// size.
func BenchmarkDraw(b *testing.B) {
	for _, n := range []int{1440, 40320} {
		c := synthChart(3, n, 15*time.Second)
		for _, format := range []string{"svg", "png"} {
			b.Run(fmt.Sprintf("steps=%d/%s", n, format), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := Draw(io.Discard, format, DefaultWidth, DefaultHeight(3), c); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
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
