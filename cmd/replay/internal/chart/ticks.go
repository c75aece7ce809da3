package chart

import (
	"math"
	"strconv"
	"time"

	"gonum.org/v1/plot"
)

// tickStep is a candidate spacing of time-axis ticks: either a duration
// (major, minor) or a number of calendar months (months, minorMonths).
type tickStep struct {
	major, minor        time.Duration
	months, minorMonths int
}

// tickSteps are the candidate spacings, finest first. Duration steps
// divide a day (or are whole days), so ticks at multiples of the step
// since the Unix epoch fall on round UTC clock times.
var tickSteps = [...]tickStep{
	{major: time.Second},
	{major: 2 * time.Second, minor: time.Second},
	{major: 5 * time.Second, minor: time.Second},
	{major: 10 * time.Second, minor: 5 * time.Second},
	{major: 15 * time.Second, minor: 5 * time.Second},
	{major: 30 * time.Second, minor: 10 * time.Second},
	{major: time.Minute, minor: 15 * time.Second},
	{major: 2 * time.Minute, minor: 30 * time.Second},
	{major: 5 * time.Minute, minor: time.Minute},
	{major: 10 * time.Minute, minor: 2 * time.Minute},
	{major: 15 * time.Minute, minor: 5 * time.Minute},
	{major: 30 * time.Minute, minor: 10 * time.Minute},
	{major: time.Hour, minor: 15 * time.Minute},
	{major: 2 * time.Hour, minor: 30 * time.Minute},
	{major: 3 * time.Hour, minor: time.Hour},
	{major: 6 * time.Hour, minor: time.Hour},
	{major: 12 * time.Hour, minor: 3 * time.Hour},
	{major: 24 * time.Hour, minor: 6 * time.Hour},
	{major: 48 * time.Hour, minor: 12 * time.Hour},
	{major: 7 * 24 * time.Hour, minor: 24 * time.Hour},
	{months: 1},
	{months: 2, minorMonths: 1},
	{months: 3, minorMonths: 1},
	{months: 6, minorMonths: 1},
	{months: 12, minorMonths: 3},
}

const avgMonth = 30.436875 * 24 * 60 * 60 // seconds

// chooseStep returns the finest tick step that puts at most maxMajor
// major ticks on a span of the given number of seconds.
func chooseStep(span float64, maxMajor int) tickStep {
	for _, s := range tickSteps {
		if span/s.seconds() < float64(maxMajor) {
			return s
		}
	}
	years := int(span/(12*avgMonth)/float64(maxMajor)) + 1
	return tickStep{months: 12 * years, minorMonths: 12}
}

// seconds returns the (average) major spacing in seconds.
func (s tickStep) seconds() float64 {
	if s.months > 0 {
		return float64(s.months) * avgMonth
	}
	return s.major.Seconds()
}

// timeFormat returns the tick label layout for a span of the given
// number of seconds with step s: clock time within two days, date and
// clock time beyond, the date alone when every tick is at midnight, and
// month and year for calendar-month steps.
func timeFormat(span float64, s tickStep) string {
	switch {
	case s.months > 0:
		return "Jan 2006"
	case s.major >= 24*time.Hour:
		return "Jan 2"
	case span < (48 * time.Hour).Seconds():
		if s.major < time.Minute {
			return "15:04:05"
		}
		return "15:04"
	default:
		return "Jan 2 15:04"
	}
}

// timeTicker places ticks at round UTC times with spacing s. Major ticks
// carry a placeholder label that plot.TimeTicks replaces with the
// formatted time.
type timeTicker struct{ step tickStep }

// Ticks implements plot.Ticker for min and max in Unix seconds.
func (t timeTicker) Ticks(lo, hi float64) []plot.Tick {
	if t.step.months > 0 {
		return t.monthTicks(lo, hi)
	}
	major := int64(t.step.major / time.Second)
	minor := int64(t.step.minor / time.Second)
	if minor == 0 {
		minor = major
	}
	var ticks []plot.Tick
	for k := int64(math.Ceil(lo / float64(minor))); float64(k*minor) <= hi; k++ {
		v := k * minor
		tk := plot.Tick{Value: float64(v)}
		if v%major == 0 {
			tk.Label = "major"
		}
		ticks = append(ticks, tk)
	}
	return ticks
}

func (t timeTicker) monthTicks(lo, hi float64) []plot.Tick {
	minor := t.step.minorMonths
	if minor == 0 {
		minor = t.step.months
	}
	start := time.Unix(int64(math.Floor(lo)), 0).UTC()
	m := time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC)
	var ticks []plot.Tick
	for ; float64(m.Unix()) <= hi; m = m.AddDate(0, 1, 0) {
		idx := m.Year()*12 + int(m.Month()) - 1
		if v := float64(m.Unix()); v >= lo && idx%minor == 0 {
			tk := plot.Tick{Value: v}
			if idx%t.step.months == 0 {
				tk.Label = "major"
			}
			ticks = append(ticks, tk)
		}
	}
	return ticks
}

// timeAxis returns the ticks and label of the shared UTC time axis from
// lo to hi (Unix seconds) with at most maxMajor labelled ticks.
func timeAxis(lo, hi float64, maxMajor int) ([]plot.Tick, string) {
	span := hi - lo
	step := chooseStep(span, maxMajor)
	tt := plot.TimeTicks{
		Ticker: timeTicker{step: step},
		Format: timeFormat(span, step),
		Time:   plot.UTCUnixTime,
	}
	first := time.Unix(int64(math.Floor(lo)), 0).UTC().Format(time.DateOnly)
	last := time.Unix(int64(math.Floor(hi)), 0).UTC().Format(time.DateOnly)
	label := "time (UTC), " + first
	if last != first {
		label += " – " + last
	}
	return tt.Ticks(lo, hi), label
}

// integerTicks places major ticks at whole multiples of 1, 2 or 5 × 10ⁿ
// (at most about six of them), so replica counts are never labelled 2.5.
func integerTicks(lo, hi float64) []plot.Tick {
	step := 1.0
	for mag := 1.0; (hi-lo)/step > 6; mag *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if step = m * mag; (hi-lo)/step <= 6 {
				break
			}
		}
	}
	minor := step / 5
	switch {
	case step == 1:
		minor = step
	case step == 2:
		minor = 1
	case math.Mod(step, 20) == 0 && step/math.Pow(10, math.Floor(math.Log10(step))) == 2:
		minor = step / 4
	}
	var ticks []plot.Tick
	for k := math.Ceil(lo / minor); k*minor <= hi; k++ {
		v := k * minor
		tk := plot.Tick{Value: v}
		if math.Mod(v, step) == 0 {
			tk.Label = formatNumber(v)
		}
		ticks = append(ticks, tk)
	}
	return ticks
}

// numericTicks places ticks like plot.DefaultTicks but labels them in
// plain decimal notation, with no exponent and as few decimals as the
// labelled values need: 2000000 rather than 2e+06.
func numericTicks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	tiny := 1e-9 * (hi - lo)
	exact := func(decimals int) bool {
		for _, tk := range ticks {
			if tk.IsMinor() {
				continue
			}
			r, _ := strconv.ParseFloat(strconv.FormatFloat(tk.Value, 'f', decimals, 64), 64)
			if math.Abs(r-tk.Value) > tiny {
				return false
			}
		}
		return true
	}
	decimals := 0
	for decimals < 15 && !exact(decimals) {
		decimals++
	}
	for i, tk := range ticks {
		if tk.IsMinor() {
			continue
		}
		if math.Abs(tk.Value) <= tiny {
			tk.Value = 0 // no "-0"
		}
		ticks[i].Label = strconv.FormatFloat(tk.Value, 'f', decimals, 64)
	}
	return ticks
}

// categoryTicks returns a tick at each of the positions 0 … len(values)-1
// of a categorical axis, labelled with the value at most every few
// positions so that at most maxLabels labels show.
func categoryTicks(values []float64, maxLabels int) []plot.Tick {
	every := max(1, (len(values)+max(maxLabels, 1)-1)/max(maxLabels, 1))
	ticks := make([]plot.Tick, len(values))
	for i, v := range values {
		ticks[i].Value = float64(i)
		if i%every == 0 {
			ticks[i].Label = formatNumber(v)
		}
	}
	return ticks
}
