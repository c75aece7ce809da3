package gen

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Parse reads a list of patterns, applied left to right:
//
//	list    = pattern { "," pattern }
//	pattern = name "(" [ arg { "," arg } ] ")"
//	arg     = value | key "=" value | flag
//
// Arguments without a key come first, in the order below; a flag is a bare
// word. Spaces around names, arguments and commas are ignored. Numbers are
// as strconv.ParseFloat reads them (finite); durations are Go durations with
// days and weeks as well (90s, 30m, 1h30m, 7d, 2w, 1d12h); times of day are
// HH:MM. Arguments in [brackets] are optional, with their default:
//
//	constant(value)
//	diurnal(mean, [amplitude=0.5], [peak=14:00], [weekend=1])
//	ramp(from, to, [start=0s], [end=the last row])
//	step(at, by)
//	sine(amplitude, period, [phase=0s])
//	spike(height, [width=30m], count) or spike(height, [width=30m], every=D)
//	                                      or spike(height, [width=30m], at=D)
//	noise(sd, [add])
//	outage(at, for, [kind=zero|failed])
//	stuck(at, for, rate)
//
// Errors name the pattern and the argument: diurnal: mean "x": want a
// number. Checks that depend on the trace, such as an offset past its end,
// are Generate's.
func Parse(s string) ([]Pattern, error) {
	pieces, err := split(s)
	if err != nil {
		return nil, err
	}
	ps := make([]Pattern, 0, len(pieces))
	for _, piece := range pieces {
		p, err := parseOne(piece)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// split cuts s at the commas outside parentheses.
func split(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("no pattern: want e.g. diurnal(mean=100)")
	}
	var pieces []string
	depth, from := 0, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			switch s[i] {
			case '(':
				depth++
				continue
			case ')':
				depth--
				if depth < 0 {
					return nil, fmt.Errorf("%q: unexpected \")\"", strings.TrimSpace(s[from:]))
				}
				continue
			case ',':
				if depth > 0 {
					continue
				}
			default:
				continue
			}
		}
		piece := strings.TrimSpace(s[from:i])
		if piece == "" {
			return nil, errors.New("an empty pattern in the list: want patterns separated by single commas")
		}
		if depth > 0 {
			return nil, fmt.Errorf("%q: missing \")\"", piece)
		}
		pieces = append(pieces, piece)
		from = i + 1
	}
	return pieces, nil
}

// valueKind is the type of an argument.
type valueKind uint8

const (
	number valueKind = iota
	duration
	timeOfDay
	outageKind
)

// param is one argument of a pattern.
type param struct {
	key  string
	kind valueKind
}

// def is the syntax of one pattern.
type def struct {
	params     []param // in positional order
	positional int     // how many may be given without a key
	required   int     // the first required params are required
	flags      []string
	build      func(a *args) (Pattern, error)
}

// patternNames lists the patterns in the order of the docs.
const patternNames = "constant, diurnal, ramp, step, sine, spike, noise, outage or stuck"

// defs returns the syntax of the pattern named name.
func defs(name string) (def, bool) {
	switch name {
	case "constant":
		return def{params: []param{{"value", number}}, positional: 1, required: 1, build: func(a *args) (Pattern, error) {
			return Constant{Value: a.num("value", 0)}, nil
		}}, true
	case "diurnal":
		return def{params: []param{{"mean", number}, {"amplitude", number}, {"peak", timeOfDay}, {"weekend", number}}, positional: 4, required: 1,
			build: func(a *args) (Pattern, error) {
				d := NewDiurnal(a.num("mean", 0))
				d.Amplitude = a.num("amplitude", d.Amplitude)
				d.Peak = a.dur("peak", d.Peak)
				d.Weekend = a.num("weekend", d.Weekend)
				return d, nil
			}}, true
	case "ramp":
		return def{params: []param{{"from", number}, {"to", number}, {"start", duration}, {"end", duration}}, positional: 4, required: 2,
			build: func(a *args) (Pattern, error) {
				return Ramp{From: a.num("from", 0), To: a.num("to", 0), Start: a.dur("start", 0), End: a.dur("end", 0)}, nil
			}}, true
	case "step":
		return def{params: []param{{"at", duration}, {"by", number}}, positional: 2, required: 2, build: func(a *args) (Pattern, error) {
			return Step{At: a.dur("at", 0), By: a.num("by", 0)}, nil
		}}, true
	case "sine":
		return def{params: []param{{"amplitude", number}, {"period", duration}, {"phase", duration}}, positional: 3, required: 2,
			build: func(a *args) (Pattern, error) {
				return Sine{Amplitude: a.num("amplitude", 0), Period: a.dur("period", 0), Phase: a.dur("phase", 0)}, nil
			}}, true
	case "spike":
		return def{params: []param{{"height", number}, {"width", duration}, {"count", number}, {"every", duration}, {"at", duration}}, positional: 3, required: 1,
			build: func(a *args) (Pattern, error) {
				n := 0
				for _, k := range []string{"count", "every", "at"} {
					if _, ok := a.raw[k]; ok {
						n++
					}
				}
				switch {
				case n > 1:
					return nil, errors.New("count, every and at: give one of them")
				case n == 0:
					return nil, errors.New("missing count, every or at: how many spikes, the mean time between them, or when the one spike peaks")
				}
				if v, ok := a.vals["count"]; ok && !(v.(float64) > 0) {
					return nil, fmt.Errorf("count %s: want a number > 0 (the expected number of spikes)", formatFloat(v.(float64)))
				}
				if v, ok := a.vals["every"]; ok && v.(time.Duration) <= 0 {
					return nil, positive("every", v.(time.Duration))
				}
				return Spike{Height: a.num("height", 0), Width: a.dur("width", 30*time.Minute), Count: a.num("count", 0), Every: a.dur("every", 0), At: a.dur("at", 0)}, nil
			}}, true
	case "noise":
		return def{params: []param{{"sd", number}}, positional: 1, required: 1, flags: []string{"add"}, build: func(a *args) (Pattern, error) {
			return Noise{SD: a.num("sd", 0), Additive: a.flags["add"]}, nil
		}}, true
	case "outage":
		return def{params: []param{{"at", duration}, {"for", duration}, {"kind", outageKind}}, positional: 3, required: 2,
			build: func(a *args) (Pattern, error) {
				k := OutageZero
				if v, ok := a.vals["kind"]; ok {
					k = v.(OutageKind)
				}
				return Outage{At: a.dur("at", 0), For: a.dur("for", 0), Kind: k}, nil
			}}, true
	case "stuck":
		return def{params: []param{{"at", duration}, {"for", duration}, {"rate", number}}, positional: 3, required: 3,
			build: func(a *args) (Pattern, error) {
				return Stuck{At: a.dur("at", 0), For: a.dur("for", 0), Rate: a.num("rate", 0)}, nil
			}}, true
	}
	return def{}, false
}

// args holds a pattern's arguments by key.
type args struct {
	raw   map[string]string
	vals  map[string]any
	flags map[string]bool
}

func (a *args) num(key string, def float64) float64 {
	if v, ok := a.vals[key]; ok {
		return v.(float64)
	}
	return def
}

func (a *args) dur(key string, def time.Duration) time.Duration {
	if v, ok := a.vals[key]; ok {
		return v.(time.Duration)
	}
	return def
}

// parseOne reads one pattern: name(args).
func parseOne(piece string) (Pattern, error) {
	name, rest, hasArgs := strings.Cut(piece, "(")
	name = strings.TrimSpace(name)
	if !isWord(name) {
		return nil, fmt.Errorf("%q: want a pattern: a name and its arguments, e.g. diurnal(mean=100)", piece)
	}
	d, ok := defs(name)
	if !ok {
		return nil, fmt.Errorf("unknown pattern %q: want %s", name, patternNames)
	}
	if !hasArgs {
		return nil, fmt.Errorf("%s: want %s(...) with its arguments", name, name)
	}
	if strings.Contains(rest, "(") {
		return nil, fmt.Errorf("%q: unexpected \"(\" in the arguments", piece)
	}
	inner, after, _ := strings.Cut(rest, ")")
	if after = strings.TrimSpace(after); after != "" {
		return nil, fmt.Errorf("%q: unexpected %q after \")\"", piece, after)
	}
	p, err := d.parseArgs(name, inner)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := p.check(0, 0); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

func (d def) parseArgs(name, inner string) (Pattern, error) {
	a := &args{raw: map[string]string{}, vals: map[string]any{}, flags: map[string]bool{}}
	var keys []string
	for _, p := range d.params {
		keys = append(keys, p.key)
	}
	keys = append(keys, d.flags...)
	npos, named := 0, false
	if strings.TrimSpace(inner) != "" {
		for arg := range strings.SplitSeq(inner, ",") {
			arg = strings.TrimSpace(arg)
			key, value, hasKey := strings.Cut(arg, "=")
			key, value = strings.TrimSpace(key), strings.TrimSpace(value)
			switch {
			case arg == "":
				return nil, errors.New("an empty argument")
			case !hasKey && contains(d.flags, arg):
				if a.flags[arg] {
					return nil, fmt.Errorf("%s given twice", arg)
				}
				a.flags[arg] = true
				continue
			case hasKey && contains(d.flags, key):
				return nil, fmt.Errorf("%s takes no value: write %s(…,%s)", key, name, key)
			case hasKey:
				if !contains(keys, key) {
					return nil, fmt.Errorf("unknown argument %q: want %s", key, orList(keys))
				}
				named = true
			case named:
				return nil, fmt.Errorf("%q without a name after a named argument: name it, e.g. %s=%s", arg, d.params[min(npos, len(d.params)-1)].key, arg)
			case npos >= d.positional:
				return nil, fmt.Errorf("too many arguments: want at most %d without names (%s)", d.positional, strings.Join(keys[:d.positional], ", "))
			default:
				key, value = d.params[npos].key, arg
				npos++
			}
			if _, dup := a.raw[key]; dup {
				return nil, fmt.Errorf("%s given twice", key)
			}
			a.raw[key] = value
		}
	}
	for i, p := range d.params {
		value, ok := a.raw[p.key]
		if !ok {
			if i < d.required {
				return nil, fmt.Errorf("missing %s", p.key)
			}
			continue
		}
		v, err := parseValue(p.kind, value)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", p.key, value, err)
		}
		a.vals[p.key] = v
	}
	return d.build(a)
}

func parseValue(k valueKind, s string) (any, error) {
	switch k {
	case duration:
		return ParseDuration(s)
	case timeOfDay:
		return parseTimeOfDay(s)
	case outageKind:
		switch s {
		case "zero":
			return OutageZero, nil
		case "failed":
			return OutageFailed, nil
		}
		return nil, errors.New("want zero or failed")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, errors.New("want a number")
	}
	return v, nil
}

// parseTimeOfDay reads HH:MM (or H:MM), 00:00 to 23:59.
func parseTimeOfDay(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(h) < 1 || len(h) > 2 || len(m) != 2 || !isDigits(h) || !isDigits(m) || hh > 23 || mm > 59 {
		return 0, errors.New("want a time of day HH:MM, 00:00 to 23:59")
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

var errDuration = errors.New("want a duration such as 90s, 30m, 36h, 7d or 2w")

// ParseDuration reads a duration: a Go duration (time.ParseDuration) whose
// units may also be d (24h) and w (7d), with an optional sign: 7d, 2w,
// 1d12h, 90m, -6h, 1.5d.
func ParseDuration(s string) (time.Duration, error) {
	rest, neg := s, false
	if rest != "" && (rest[0] == '-' || rest[0] == '+') {
		neg, rest = rest[0] == '-', rest[1:]
	}
	if rest == "0" {
		return 0, nil
	}
	if rest == "" {
		return 0, errDuration
	}
	var total uint64
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] == '.' || '0' <= rest[i] && rest[i] <= '9') {
			i++
		}
		j := i
		for j < len(rest) && rest[j] != '.' && !('0' <= rest[j] && rest[j] <= '9') {
			j++
		}
		num, unit := rest[:i], rest[i:j]
		rest = rest[j:]
		if num == "" || unit == "" {
			return 0, errDuration
		}
		var d uint64
		switch unit {
		case "d", "w":
			f, err := strconv.ParseFloat(num, 64)
			mult := float64(day)
			if unit == "w" {
				mult *= 7
			}
			if err != nil || f*mult >= 1<<63 {
				return 0, errDuration
			}
			d = uint64(math.Round(f * mult))
		default:
			v, err := time.ParseDuration(num + unit)
			if err != nil {
				return 0, errDuration
			}
			d = uint64(v)
		}
		total += d
		if total > 1<<63-1 && !(neg && total == 1<<63) {
			return 0, errDuration
		}
	}
	if neg {
		return -time.Duration(total), nil
	}
	return time.Duration(total), nil
}

func isWord(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// orList writes a, b or c.
func orList(list []string) string {
	if len(list) == 1 {
		return list[0]
	}
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}
