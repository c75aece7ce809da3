package gen

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Pattern is one stage of a series' shape: a level it adds, a factor it
// multiplies by, or an override. The patterns are Constant, Diurnal, Ramp,
// Step, Sine, Spike, Noise, Outage and Stuck; Parse reads them from text.
type Pattern interface {
	// String returns the pattern as Parse reads it, with every argument
	// named: diurnal(mean=200,amplitude=0.6,peak=14:00,weekend=0.5).
	String() string
	// kind is the pattern's name in the syntax: "diurnal".
	kind() string
	// check validates the pattern for a trace of duration span at step
	// step; span 0: only what does not depend on the trace.
	check(span, step time.Duration) error
	// apply applies the pattern to a column.
	apply(c *column)
}

// Constant adds Value to every row.
type Constant struct {
	// Value is any finite number.
	Value float64
}

// Diurnal adds a daily cycle around Mean:
//
//	Mean · (1 + Amplitude · cos(2π (tod − Peak) / 24h)) · w
//
// where tod is the row's time of day in the region's local time and w is
// Weekend on Saturdays and Sundays (local time), 1 on other days. Over a
// whole weekday its mean is Mean; its maximum, Mean·(1+Amplitude), falls at
// Peak and its minimum 12 hours away. The weekend factor changes at local
// midnight.
type Diurnal struct {
	// Mean is the mean over a weekday; any finite number.
	Mean float64
	// Amplitude is the swing relative to Mean, from 0 (flat) to 1 (down to
	// 0 at the trough).
	Amplitude float64
	// Peak is the time of day of the maximum, local time, from 0 to 24h.
	Peak time.Duration
	// Weekend multiplies the value on Saturdays and Sundays: 1 for no
	// weekend effect, 0.5 for half the traffic, 0 for none. It has no
	// default: NewDiurnal returns a Diurnal with the defaults Parse uses.
	Weekend float64
}

// NewDiurnal returns a Diurnal around mean with the defaults Parse uses:
// amplitude 0.5, peak 14:00, weekend 1.
func NewDiurnal(mean float64) Diurnal {
	return Diurnal{Mean: mean, Amplitude: 0.5, Peak: 14 * time.Hour, Weekend: 1}
}

// Ramp adds a level that goes linearly from From at offset Start to To at
// offset End: From before Start, To after End.
type Ramp struct {
	// From and To are finite numbers.
	From, To float64
	// Start is the offset from the trace's start at which the ramp
	// starts, at least 0.
	Start time.Duration
	// End is the offset at which it reaches To, after Start and within the
	// trace; zero means the last row.
	End time.Duration
}

// Step adds By to every row at offset At or later.
type Step struct {
	// At is the offset from the trace's start, within the trace.
	At time.Duration
	// By is any finite number.
	By float64
}

// Sine adds a sine wave, Amplitude · sin(2π (offset − Phase) / Period),
// where offset is the row's offset from the trace's start. It is zero at
// offset Phase and every half Period from there, rising at Phase.
type Sine struct {
	// Amplitude is any finite number.
	Amplitude float64
	// Period is the wave's period, positive.
	Period time.Duration
	// Phase shifts the wave later; any duration.
	Phase time.Duration
}

// Spike multiplies by spikes at random times: a Poisson process over the
// trace, with Count spikes expected over its duration, or one every Every
// on average; or by one spike at offset At, when Count and Every are 0.
// Each arrival is moved to the nearest row, where the spike peaks. Around a
// peak at p the factor is
//
//	1 + (Height − 1) · cos²(π (t − p) / Width)   for |t − p| < Width/2
//
// and 1 elsewhere: a smooth rise over Width/2 to Height at the peak and a
// smooth fall over Width/2 (half of the extra load lasts Width/2). Where
// spikes overlap the nearest peak applies, so no row exceeds Height times
// its value. Height below 1 makes dips.
type Spike struct {
	// Height is the factor at the peak, at least 0.
	Height float64
	// Width is the spike's whole width, positive.
	Width time.Duration
	// Count is the expected number of spikes over the trace.
	Count float64
	// Every is the mean time between spikes.
	Every time.Duration
	// At is the offset of the one spike's peak, within the trace, when
	// Count and Every are 0.
	At time.Duration
}

// Noise adds Gaussian noise to every row: v ·= 1 + N(0, SD) by default,
// v += N(0, SD) when Additive.
type Noise struct {
	// SD is the standard deviation, at least 0: relative to the value
	// (0.1: 10 %), or in the series' unit when Additive.
	SD float64
	// Additive adds the noise instead of multiplying by it.
	Additive bool
}

// OutageKind is what an Outage writes.
type OutageKind uint8

const (
	// OutageZero sets the value to 0: the source answered, with nothing.
	OutageZero OutageKind = iota
	// OutageFailed fails the cells: scrapes that returned an error (empty
	// CSV cells, Parquet nulls).
	OutageFailed
)

// String returns "zero" or "failed".
func (k OutageKind) String() string {
	switch k {
	case OutageZero:
		return "zero"
	case OutageFailed:
		return "failed"
	}
	return fmt.Sprintf("OutageKind(%d)", uint8(k))
}

// Outage overrides the rows at offsets from At to At+For (excluded) with 0
// or failed scrapes.
type Outage struct {
	// At is the offset from the trace's start, within the trace; For is
	// the length, positive (rows past the end are not generated).
	At, For time.Duration
	// Kind is OutageZero or OutageFailed.
	Kind OutageKind
}

// Stuck is a stuck consumer: from the first row at offset At or later, the
// value (a lag) grows by Rate per second from what it was at that row, for
// For; then the pattern's value returns.
//
//	v(t) = v(t₀) + Rate · (t − t₀)   for At ≤ t − start < At + For
//
// where t₀ is that first row.
type Stuck struct {
	// At is the offset from the trace's start, within the trace; For is
	// the length, positive.
	At, For time.Duration
	// Rate is the growth per second; any finite number.
	Rate float64
}

func (Constant) kind() string { return "constant" }
func (Diurnal) kind() string  { return "diurnal" }
func (Ramp) kind() string     { return "ramp" }
func (Step) kind() string     { return "step" }
func (Sine) kind() string     { return "sine" }
func (Spike) kind() string    { return "spike" }
func (Noise) kind() string    { return "noise" }
func (Outage) kind() string   { return "outage" }
func (Stuck) kind() string    { return "stuck" }

// Strings.

// String returns constant(value=V).
func (p Constant) String() string { return fmt.Sprintf("constant(value=%s)", formatFloat(p.Value)) }

// String returns diurnal(mean=M,amplitude=A,peak=HH:MM,weekend=W).
func (p Diurnal) String() string {
	return fmt.Sprintf("diurnal(mean=%s,amplitude=%s,peak=%s,weekend=%s)", formatFloat(p.Mean), formatFloat(p.Amplitude), formatTimeOfDay(p.Peak), formatFloat(p.Weekend))
}

// String returns ramp(from=A,to=B[,start=D][,end=D]).
func (p Ramp) String() string {
	s := fmt.Sprintf("ramp(from=%s,to=%s", formatFloat(p.From), formatFloat(p.To))
	if p.Start != 0 {
		s += ",start=" + FormatDuration(p.Start)
	}
	if p.End != 0 {
		s += ",end=" + FormatDuration(p.End)
	}
	return s + ")"
}

// String returns step(at=D,by=V).
func (p Step) String() string {
	return fmt.Sprintf("step(at=%s,by=%s)", FormatDuration(p.At), formatFloat(p.By))
}

// String returns sine(amplitude=A,period=D[,phase=D]).
func (p Sine) String() string {
	s := fmt.Sprintf("sine(amplitude=%s,period=%s", formatFloat(p.Amplitude), FormatDuration(p.Period))
	if p.Phase != 0 {
		s += ",phase=" + FormatDuration(p.Phase)
	}
	return s + ")"
}

// String returns spike(height=H,width=D,count=N), spike(height=H,width=D,every=D)
// or spike(height=H,width=D,at=D).
func (p Spike) String() string {
	s := fmt.Sprintf("spike(height=%s,width=%s", formatFloat(p.Height), FormatDuration(p.Width))
	if p.Count != 0 {
		s += ",count=" + formatFloat(p.Count)
	}
	if p.Every != 0 {
		s += ",every=" + FormatDuration(p.Every)
	}
	if p.At != 0 || p.Count == 0 && p.Every == 0 {
		s += ",at=" + FormatDuration(p.At)
	}
	return s + ")"
}

// String returns noise(sd=S) or noise(sd=S,add).
func (p Noise) String() string {
	if p.Additive {
		return fmt.Sprintf("noise(sd=%s,add)", formatFloat(p.SD))
	}
	return fmt.Sprintf("noise(sd=%s)", formatFloat(p.SD))
}

// String returns outage(at=D,for=D[,kind=failed]).
func (p Outage) String() string {
	s := fmt.Sprintf("outage(at=%s,for=%s", FormatDuration(p.At), FormatDuration(p.For))
	if p.Kind != OutageZero {
		s += ",kind=" + p.Kind.String()
	}
	return s + ")"
}

// String returns stuck(at=D,for=D,rate=R).
func (p Stuck) String() string {
	return fmt.Sprintf("stuck(at=%s,for=%s,rate=%s)", FormatDuration(p.At), FormatDuration(p.For), formatFloat(p.Rate))
}

// Checks.

func finite(name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%s %s: want a finite number", name, formatFloat(v))
	}
	return nil
}

func nonNegative(name string, v float64) error {
	if !(v >= 0) || math.IsInf(v, 1) {
		return fmt.Errorf("%s %s: want a finite number >= 0", name, formatFloat(v))
	}
	return nil
}

func positive(name string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s %s: want a positive duration", name, FormatDuration(d))
	}
	return nil
}

// within checks an offset: at least 0 and, when span is known, before the
// end of the trace.
func within(name string, d, span time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%s %s: want an offset >= 0 from the trace's start", name, FormatDuration(d))
	}
	if span > 0 && d >= span {
		return fmt.Errorf("%s %s: want an offset before the end of the trace (%s)", name, FormatDuration(d), FormatDuration(span))
	}
	return nil
}

func (p Constant) check(time.Duration, time.Duration) error { return finite("value", p.Value) }

func (p Diurnal) check(time.Duration, time.Duration) error {
	if err := finite("mean", p.Mean); err != nil {
		return err
	}
	if !(p.Amplitude >= 0 && p.Amplitude <= 1) {
		return fmt.Errorf("amplitude %s: want a number from 0 to 1 (relative to the mean)", formatFloat(p.Amplitude))
	}
	if p.Peak < 0 || p.Peak >= 24*time.Hour {
		return fmt.Errorf("peak %s: want a time of day from 00:00 to 23:59", FormatDuration(p.Peak))
	}
	return nonNegative("weekend", p.Weekend)
}

func (p Ramp) check(span, step time.Duration) error {
	if err := errors.Join(finite("from", p.From), finite("to", p.To)); err != nil {
		return err
	}
	if err := within("start", p.Start, span); err != nil {
		return err
	}
	if p.End == 0 {
		if span > 0 && p.Start >= lastOffset(span, step) {
			return fmt.Errorf("start %s: want an offset before the last row (%s), where the ramp ends", FormatDuration(p.Start), FormatDuration(lastOffset(span, step)))
		}
		return nil
	}
	if p.End <= p.Start {
		return fmt.Errorf("end %s: want an offset after start (%s)", FormatDuration(p.End), FormatDuration(p.Start))
	}
	if span > 0 && p.End > span {
		return fmt.Errorf("end %s: want an offset within the trace (%s)", FormatDuration(p.End), FormatDuration(span))
	}
	return nil
}

// lastOffset is the last row's offset from the start.
func lastOffset(span, step time.Duration) time.Duration { return (span - 1) / step * step }

func (p Step) check(span, _ time.Duration) error {
	return errors.Join(within("at", p.At, span), finite("by", p.By))
}

func (p Sine) check(time.Duration, time.Duration) error {
	return errors.Join(finite("amplitude", p.Amplitude), positive("period", p.Period))
}

func (p Spike) check(span, step time.Duration) error {
	if err := nonNegative("height", p.Height); err != nil {
		return err
	}
	if err := positive("width", p.Width); err != nil {
		return err
	}
	switch {
	case p.Count != 0 && p.Every != 0, p.Count != 0 && p.At != 0, p.Every != 0 && p.At != 0:
		return errors.New("count, every and at: give one of them")
	case p.Count == 0 && p.Every == 0:
		return within("at", p.At, span)
	case p.Every < 0:
		return positive("every", p.Every)
	case p.Every > 0:
		if span > 0 && float64(span)/float64(p.Every) > float64(rowsOf(span, step)) {
			return fmt.Errorf("every %s: want at least the step (%s)", FormatDuration(p.Every), FormatDuration(step))
		}
		return nil
	case !(p.Count > 0) || math.IsInf(p.Count, 1):
		return fmt.Errorf("count %s: want a number > 0 (the expected number of spikes)", formatFloat(p.Count))
	case span > 0 && p.Count > float64(rowsOf(span, step)):
		return fmt.Errorf("count %s: want at most one spike per row (%d)", formatFloat(p.Count), rowsOf(span, step))
	}
	return nil
}

func rowsOf(span, step time.Duration) int64 { return int64((span-1)/step) + 1 }

func (p Noise) check(time.Duration, time.Duration) error { return nonNegative("sd", p.SD) }

func (p Outage) check(span, _ time.Duration) error {
	if p.Kind > OutageFailed {
		return fmt.Errorf("kind %v: want zero or failed", p.Kind)
	}
	return errors.Join(within("at", p.At, span), positive("for", p.For))
}

func (p Stuck) check(span, _ time.Duration) error {
	return errors.Join(within("at", p.At, span), positive("for", p.For), finite("rate", p.Rate))
}

// Application.

func (p Constant) apply(c *column) {
	for i := range c.v {
		c.v[i] += p.Value
	}
}

const day = int64(24 * time.Hour)

func (p Diurnal) apply(c *column) {
	peak := int64(p.Peak)
	for i := range c.v {
		local := c.start + int64(i)*c.step + c.shift
		tod := local % day
		days := local / day
		if tod < 0 {
			tod += day
			days--
		}
		w := 1.0
		// 1970-01-01 was a Thursday: (days + 4) mod 7 is 0 on Sundays.
		if wd := ((days+4)%7 + 7) % 7; wd == 0 || wd == 6 {
			w = p.Weekend
		}
		c.v[i] += p.Mean * (1 + p.Amplitude*math.Cos(2*math.Pi*float64(tod-peak)/float64(day))) * w
	}
}

func (p Ramp) apply(c *column) {
	end := p.End
	if end == 0 {
		end = c.offset(c.n - 1)
	}
	for i := range c.v {
		off := c.offset(i)
		switch {
		case off <= p.Start:
			c.v[i] += p.From
		case off >= end:
			c.v[i] += p.To
		default:
			f := float64(off-p.Start) / float64(end-p.Start)
			c.v[i] += p.From + (p.To-p.From)*f
		}
	}
}

func (p Step) apply(c *column) {
	for i := c.firstRow(p.At); i < c.n; i++ {
		c.v[i] += p.By
	}
}

func (p Sine) apply(c *column) {
	period := int64(p.Period)
	phase := int64(p.Phase) % period
	for i := range c.v {
		x := (int64(i)*c.step - phase) % period // exact in integers, then one rounding
		c.v[i] += p.Amplitude * math.Sin(2*math.Pi*float64(x)/float64(period))
	}
}

func (p Spike) apply(c *column) {
	if p.Count == 0 && p.Every == 0 {
		c.peaks = append(c.peaks, min(int(math.Round(float64(p.At)/float64(c.step))), c.n-1))
	} else {
		span := float64(c.span)
		gap := float64(p.Every)
		if p.Count > 0 {
			gap = span / p.Count
		}
		for t := c.rand.ExpFloat64() * gap; t < span; t += c.rand.ExpFloat64() * gap {
			k := min(int(math.Round(t/float64(c.step))), c.n-1)
			if len(c.peaks) == 0 || c.peaks[len(c.peaks)-1] != k {
				c.peaks = append(c.peaks, k)
			}
		}
	}
	if len(c.peaks) == 0 {
		return
	}
	half := float64(p.Width) / 2
	j := 0 // the first peak at or after row i
	for i := range c.v {
		for j < len(c.peaks) && c.peaks[j] < i {
			j++
		}
		d := math.Inf(1)
		if j < len(c.peaks) {
			d = float64(c.peaks[j]-i) * float64(c.step)
		}
		if j > 0 {
			d = min(d, float64(i-c.peaks[j-1])*float64(c.step))
		}
		if d < half {
			k := math.Cos(math.Pi / 2 * d / half)
			c.v[i] *= 1 + (p.Height-1)*k*k
		}
	}
}

func (p Noise) apply(c *column) {
	for i := range c.v {
		z := c.rand.NormFloat64() * p.SD
		if p.Additive {
			c.v[i] += z
		} else {
			c.v[i] *= 1 + z
		}
	}
}

func (p Outage) apply(c *column) {
	lo, hi := c.rows(p.At, p.For)
	if p.Kind == OutageFailed {
		c.markFailed(lo, hi)
	}
	clear(c.v[lo:hi])
}

func (p Stuck) apply(c *column) {
	lo, hi := c.rows(p.At, p.For)
	if lo >= hi {
		return
	}
	v0, perRow := c.v[lo], p.Rate*time.Duration(c.step).Seconds()
	for i := lo; i < hi; i++ {
		c.v[i] = v0 + perRow*float64(i-lo)
	}
}

// Formatting.

// formatFloat writes v as strconv does, shortest.
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func formatTimeOfDay(d time.Duration) string {
	if d < 0 || d >= 24*time.Hour || d%time.Minute != 0 {
		return FormatDuration(d)
	}
	return fmt.Sprintf("%02d:%02d", d/time.Hour, d%time.Hour/time.Minute)
}

// FormatDuration writes d as ParseDuration reads it, with days and without
// zero units: 7d, 1d12h, 90m → 1h30m, 15s, -6h, 0s.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	u := uint64(d)
	if d < 0 {
		b.WriteByte('-')
		u = -u
	}
	for _, unit := range []struct {
		name string
		ns   uint64
	}{{"d", uint64(day)}, {"h", uint64(time.Hour)}, {"m", uint64(time.Minute)}} {
		if u >= unit.ns {
			b.WriteString(strconv.FormatUint(u/unit.ns, 10) + unit.name)
			u %= unit.ns
		}
	}
	if u > 0 {
		b.WriteString(time.Duration(u).String())
	}
	return b.String()
}
