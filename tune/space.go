package tune

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// MaxConfigs bounds the size of a grid: a Space of more configurations is
// an error.
const MaxConfigs = 1_000_000_000

// maxRangeValues bounds the values one range of ParseValues gives.
const maxRangeValues = 1_000_000

// Param is one axis of the grid: a setting and the values it takes.
type Param struct {
	// Name is the setting as written, e.g. "triggers.lag.threshold" (see
	// Base.Bind for the names).
	Name string
	// Values are the values in grid order; durations are in seconds.
	Values []float64
}

// Text returns value i as written into a manifest: integers without a
// decimal point ("300", "2000"), others in the shortest form strconv's 'g'
// format gives ("0.25", "1e-07").
func (p Param) Text(i int) string {
	return formatValue(p.Values[i])
}

// formatValue writes v as Param.Text does. Integers of 21 digits or more
// are written in 'g' form too, as a manifest's integer fields cannot hold
// them anyway.
func formatValue(v float64) string {
	if isInteger(v) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// isInteger reports a whole number that formatValue writes as digits.
func isInteger(v float64) bool {
	return v == math.Trunc(v) && math.Abs(v) < 1e21
}

// ParseParam parses NAME=VALUES, the --param flag; see ParseValues for
// VALUES. Errors read "--param NAME: what was expected".
func ParseParam(s string) (Param, error) {
	name, text, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	switch {
	case !ok:
		return Param{}, fmt.Errorf("--param %q: expected NAME=VALUES, e.g. minReplicaCount=1,2,4", s)
	case name == "":
		return Param{}, fmt.Errorf("--param %q: empty parameter name, expected NAME=VALUES", s)
	}
	values, err := parseValues(text)
	if err != nil {
		return Param{}, fmt.Errorf("--param %s: %w", name, err)
	}
	return Param{Name: name, Values: values}, nil
}

// ParseValues parses the values of parameter name. text is one of
//
//	a,b,c                 a list, in that order; a value given twice is an error
//	start:stop:step       an arithmetic range: start+k*step for k = 0, 1, ...
//	                      up to stop (included when on the grid); step > 0,
//	                      start <= stop
//	start:stop:*factor    a geometric range: start*factor^k up to stop;
//	                      factor > 1, start > 0
//
// Each number may instead be a Go duration ("30s", "5m", "1h30m"), which
// gives its seconds; numbers and durations mix. The values of an arithmetic
// range are rounded to the largest number of decimals of start, stop and
// step, so 0.1:0.5:0.1 gives exactly 0.1, 0.2, 0.3, 0.4 and 0.5; those of a
// geometric range to 12 significant digits. NaN, infinities and a range of
// more than 1,000,000 values are errors. Errors read "name: what was
// expected".
func ParseValues(name, text string) ([]float64, error) {
	values, err := parseValues(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return values, nil
}

const valuesForms = "a,b,c, start:stop:step or start:stop:*factor"

// parseValues is ParseValues without the parameter's name in errors.
func parseValues(text string) ([]float64, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, errors.New("no values, expected " + valuesForms)
	}
	parts := strings.Split(text, ":")
	switch len(parts) {
	case 1:
		return parseList(text)
	case 3:
		return parseRange(parts[0], parts[1], parts[2])
	}
	return nil, fmt.Errorf("%q: expected %s", text, valuesForms)
}

// parseList parses a,b,c.
func parseList(text string) ([]float64, error) {
	var values []float64
	for i, s := range strings.Split(text, ",") {
		if strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("empty value at position %d of the list, expected a number or a Go duration", i+1)
		}
		v, err := parseNumber(s)
		if err != nil {
			return nil, err
		}
		values = append(values, v)
	}
	if err := checkDuplicates(values); err != nil {
		return nil, err
	}
	return values, nil
}

// checkDuplicates reports the first value given twice.
func checkDuplicates(values []float64) error {
	seen := make(map[float64]bool, len(values))
	for _, v := range values {
		if seen[v] {
			return fmt.Errorf("duplicate value %s, expected each value once", formatValue(v))
		}
		seen[v] = true
	}
	return nil
}

// parseNumber reads one number: a float, or a Go duration in seconds.
func parseNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		d, derr := time.ParseDuration(s)
		if derr != nil {
			return 0, fmt.Errorf("%q: expected a number or a Go duration such as 30s, 5m or 1h30m", s)
		}
		v, err = d.Seconds(), nil
	}
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q: expected a finite number", s)
	}
	return v, nil
}

// parseRange parses start:stop:step and start:stop:*factor.
func parseRange(startText, stopText, stepText string) ([]float64, error) {
	start, err := parseNumber(startText)
	if err != nil {
		return nil, err
	}
	stop, err := parseNumber(stopText)
	if err != nil {
		return nil, err
	}
	stepText = strings.TrimSpace(stepText)
	geometric := strings.HasPrefix(stepText, "*")
	step, err := parseNumber(strings.TrimPrefix(stepText, "*"))
	if err != nil {
		return nil, err
	}
	if start > stop {
		return nil, fmt.Errorf("start %s > stop %s: expected start <= stop", formatValue(start), formatValue(stop))
	}
	if geometric {
		return geometricRange(start, stop, step)
	}
	return arithmeticRange(start, stop, step)
}

func arithmeticRange(start, stop, step float64) ([]float64, error) {
	if step <= 0 {
		return nil, fmt.Errorf("step %s: must be > 0", formatValue(step))
	}
	if (stop-start)/step >= maxRangeValues {
		return nil, tooManyValues(start, stop, formatValue(step))
	}
	d := max(decimals(start), decimals(stop), decimals(step))
	var values []float64
	for k := 0; ; k++ {
		v := roundDecimals(start+float64(k)*step, d)
		if v > stop {
			break
		}
		if k > 0 && v == values[k-1] {
			return nil, fmt.Errorf("step %s is below the precision of float64 at %s, expected a larger step", formatValue(step), formatValue(v))
		}
		values = append(values, v)
	}
	if len(values) > maxRangeValues {
		return nil, tooManyValues(start, stop, formatValue(step))
	}
	return values, nil
}

func geometricRange(start, stop, factor float64) ([]float64, error) {
	switch {
	case factor <= 1:
		return nil, fmt.Errorf("factor %s: must be > 1", formatValue(factor))
	case start <= 0:
		return nil, fmt.Errorf("start %s: must be > 0 in a geometric range", formatValue(start))
	case math.Log(stop/start)/math.Log(factor) >= maxRangeValues:
		return nil, tooManyValues(start, stop, "*"+formatValue(factor))
	}
	var values []float64
	for k := 0; ; k++ {
		v := roundSignificant(start * math.Pow(factor, float64(k)))
		if v > stop || math.IsInf(v, 0) {
			break
		}
		if k > 0 && v == values[k-1] {
			return nil, fmt.Errorf("factor %s is too close to 1: values repeat at 12 significant digits, expected a larger factor", formatValue(factor))
		}
		values = append(values, v)
	}
	if len(values) > maxRangeValues {
		return nil, tooManyValues(start, stop, "*"+formatValue(factor))
	}
	return values, nil
}

func tooManyValues(start, stop float64, step string) error {
	return fmt.Errorf("range %s:%s:%s has more than %d values, expected fewer", formatValue(start), formatValue(stop), step, maxRangeValues)
}

// decimals is the number of decimals of v's shortest decimal form.
func decimals(v float64) int {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

// roundDecimals rounds v to d decimals.
func roundDecimals(v float64, d int) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', d, 64), 64)
	return r
}

// roundSignificant rounds v to 12 significant digits.
func roundSignificant(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	return r
}

// Space is the grid: the Cartesian product of its parameters' values.
type Space struct {
	Params []Param
}

// Size returns the number of configurations: the product of the numbers of
// values, 1 for no parameters. A parameter without values, a name given
// twice and a product above MaxConfigs are errors.
func (s Space) Size() (int, error) {
	seen := make(map[string]bool, len(s.Params))
	for _, p := range s.Params {
		if len(p.Values) == 0 {
			return 0, fmt.Errorf("parameter %s has no values, expected at least one", p.Name)
		}
		if seen[p.Name] {
			return 0, fmt.Errorf("parameter %s is given twice, expected each parameter once", p.Name)
		}
		seen[p.Name] = true
	}
	n := 1
	for _, p := range s.Params {
		if n > MaxConfigs/len(p.Values) {
			return 0, fmt.Errorf("the grid has more than %d configurations (%s), expected fewer values", MaxConfigs, s.dimensions())
		}
		n *= len(p.Values)
	}
	return n, nil
}

// dimensions writes the numbers of values as "10 × 20 × 5".
func (s Space) dimensions() string {
	lens := make([]string, len(s.Params))
	for i, p := range s.Params {
		lens[i] = strconv.Itoa(len(p.Values))
	}
	return strings.Join(lens, " × ")
}

// Point writes into idx the index in each parameter's Values of
// configuration i (0 <= i < Size), in mixed radix with the last parameter
// varying fastest, and returns it. idx is reused when its capacity is
// len(s.Params) or more.
func (s Space) Point(i int, idx []int) []int {
	n := len(s.Params)
	if cap(idx) < n {
		idx = make([]int, n)
	}
	idx = idx[:n]
	for k := n - 1; k >= 0; k-- {
		m := len(s.Params[k].Values)
		idx[k] = i % m
		i /= m
	}
	return idx
}

// File is a parsed study file:
//
//	# tune.yaml
//	parameters:                 # the grid, in this order
//	  triggers.lag.threshold: 500:4000:500      # VALUES as for --param
//	  scaleDown.stabilizationWindowSeconds: [0, 300, 600, 1800]
//	objective: replica_hours    # optional
//	constraints:                # optional
//	  - lag.p99 <= 5000
//	top: 10                     # optional, > 0
//
// A parameter's values are a VALUES string (see ParseValues), a single
// number, or a YAML list of numbers and Go durations.
type File struct {
	// Params are the parameters in the order written.
	Params []Param
	// Objective is as written; "" when absent.
	Objective string
	// Constraints are as written, in order.
	Constraints []string
	// Top is as written; 0 when absent.
	Top int
}

// FileError is one problem in a study file. Its message reads
//
//	file:line:col: path: what is wrong, what was expected
//
// where the column is omitted when unknown (malformed YAML) and the path
// when the problem is not about one field.
type FileError struct {
	// File names the file, as given to ParseFile.
	File string
	// Line and Column are 1-based; Column is 0 when unknown.
	Line, Column int
	// Path is the field, e.g. "parameters.minReplicaCount" or
	// "constraints[1]".
	Path string
	// Err says what is wrong.
	Err error
}

func (e *FileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d", e.File, e.Line)
	if e.Column > 0 {
		fmt.Fprintf(&b, ":%d", e.Column)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns Err.
func (e *FileError) Unwrap() error { return e.Err }

// studyKeys are the top-level keys of a study file, in the order documented.
var studyKeys = []string{"parameters", "objective", "constraints", "top"}

// ParseFile parses a study file; file names it in errors. The error is a
// *FileError, or several joined with errors.Join, one per problem.
func ParseFile(file string, data []byte) (*File, error) {
	p := &studyParser{file: file}
	root, err := decodeStudy(data)
	if err != nil {
		return nil, studySyntaxError(file, err)
	}
	if root == nil {
		return nil, &FileError{File: file, Line: 1, Err: fmt.Errorf("empty file, expected a mapping with %s", strings.Join(studyKeys, ", "))}
	}
	if root.Kind != yaml.MappingNode {
		return nil, &FileError{File: file, Line: root.Line, Column: root.Column, Err: fmt.Errorf("the file is %s, expected a mapping with %s", describeNode(root), strings.Join(studyKeys, ", "))}
	}
	f := &File{}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], resolveNode(root.Content[i+1])
		key, ok := p.key(k, "")
		if !ok {
			continue
		}
		if first := seen[key]; first != nil {
			p.errorf(k, key, "duplicate key (first at line %d), expected each key once", first.Line)
			continue
		}
		seen[key] = k
		switch key {
		case "parameters":
			f.Params = p.parameters(v)
		case "objective":
			f.Objective = p.str(v, key, "an objective such as replica_hours")
		case "constraints":
			f.Constraints = p.constraints(v)
		case "top":
			f.Top = p.top(v)
		default:
			msg := fmt.Sprintf("unknown key %q, expected one of %s", key, strings.Join(studyKeys, ", "))
			if near := nearestName(key, studyKeys); near != "" {
				msg = fmt.Sprintf("unknown key %q, did you mean %q?", key, near)
			}
			p.errorf(k, key, "%s", msg)
		}
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return f, nil
}

// decodeStudy returns the root node of the only document of data, nil for
// an empty file, turning a panic of the YAML library into an error.
func decodeStudy(data []byte) (root *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("yaml: internal error of the YAML parser: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err == io.EOF {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, fmt.Errorf("yaml: line %d: a second document, expected one", max(next.Line, 1))
	} else if err != io.EOF {
		return nil, err
	}
	if len(doc.Content) == 0 || isNullNode(doc.Content[0]) {
		return nil, nil
	}
	return resolveNode(doc.Content[0]), nil
}

var yamlErrorLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// studySyntaxError locates an error of the YAML parser at the line it
// reports (where it gave up), or the first line.
func studySyntaxError(file string, err error) *FileError {
	e := &FileError{File: file, Line: 1}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlErrorLineRE.FindStringSubmatch(err.Error()); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
		// The parser's "did not find expected ..." comes with a 0-based line.
		if strings.HasPrefix(msg, "did not find expected ") && msg != "did not find expected node content" {
			e.Line++
		}
	}
	e.Err = fmt.Errorf("malformed YAML: %s", msg)
	return e
}

// studyParser collects the problems of a study file.
type studyParser struct {
	file string
	errs []error
}

func (p *studyParser) errorf(n *yaml.Node, path, format string, args ...any) {
	p.errs = append(p.errs, &FileError{File: p.file, Line: n.Line, Column: n.Column, Path: path, Err: fmt.Errorf(format, args...)})
}

// key reads a mapping key, which must be a non-empty string.
func (p *studyParser) key(k *yaml.Node, parent string) (string, bool) {
	k = resolveNode(k)
	if k.Kind != yaml.ScalarNode || k.Tag != "!!str" || k.Value == "" {
		p.errorf(k, parent, "key is %s, expected a name", describeNode(k))
		return "", false
	}
	return k.Value, true
}

func (p *studyParser) parameters(n *yaml.Node) []Param {
	const path = "parameters"
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "got %s, expected a mapping of parameter names to values", describeNode(n))
		return nil
	}
	if len(n.Content) == 0 {
		p.errorf(n, path, "no parameters, expected at least one")
		return nil
	}
	var params []Param
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolveNode(n.Content[i+1])
		name, ok := p.key(k, path)
		if !ok {
			continue
		}
		at := path + "." + name
		if first := seen[name]; first != nil {
			p.errorf(k, at, "duplicate parameter (first at line %d), expected each parameter once", first.Line)
			continue
		}
		seen[name] = k
		if values, ok := p.values(v, at); ok {
			params = append(params, Param{Name: name, Values: values})
		}
	}
	return params
}

// values reads a parameter's values: a VALUES string, a number, or a list
// of numbers and durations.
func (p *studyParser) values(n *yaml.Node, path string) ([]float64, bool) {
	switch {
	case isNumberNode(n):
		v, err := yamlNumber(n)
		if err != nil {
			p.errorf(n, path, "%v", err)
			return nil, false
		}
		return []float64{v}, true
	case n.Kind == yaml.ScalarNode && n.Tag == "!!str":
		values, err := parseValues(n.Value)
		if err != nil {
			p.errorf(n, path, "%v", err)
			return nil, false
		}
		return values, true
	case n.Kind == yaml.SequenceNode:
		if len(n.Content) == 0 {
			p.errorf(n, path, "empty list, expected at least one value")
			return nil, false
		}
		values := make([]float64, 0, len(n.Content))
		ok := true
		for i, item := range n.Content {
			item = resolveNode(item)
			v, err := yamlNumber(item)
			if err == nil {
				err = checkDuplicates(append(values, v))
			}
			if err != nil {
				p.errorf(item, fmt.Sprintf("%s[%d]", path, i), "%v", err)
				ok = false
				continue
			}
			values = append(values, v)
		}
		return values, ok
	}
	p.errorf(n, path, "got %s, expected values such as 1,2,4, 500:4000:500 or a list [0, 300, 600]", describeNode(n))
	return nil, false
}

func isNumberNode(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float")
}

// yamlNumber reads one value written as a YAML number or as a string
// holding a number or a Go duration.
func yamlNumber(n *yaml.Node) (float64, error) {
	switch {
	case isNumberNode(n):
		var v float64
		if err := n.Decode(&v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("%s: expected a finite number", n.Value)
		}
		return v, nil
	case n.Kind == yaml.ScalarNode && n.Tag == "!!str":
		return parseNumber(n.Value)
	}
	return 0, fmt.Errorf("got %s, expected a number or a Go duration such as 30s", describeNode(n))
}

func (p *studyParser) str(n *yaml.Node, path, want string) string {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" || strings.TrimSpace(n.Value) == "" {
		p.errorf(n, path, "got %s, expected %s", describeNode(n), want)
		return ""
	}
	return n.Value
}

func (p *studyParser) constraints(n *yaml.Node) []string {
	const path = "constraints"
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, path, "got %s, expected a list of constraints such as [\"lag.p99 <= 5000\"]", describeNode(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		out = append(out, p.str(resolveNode(item), fmt.Sprintf("%s[%d]", path, i), "a constraint such as lag.p99 <= 5000"))
	}
	return out
}

func (p *studyParser) top(n *yaml.Node) int {
	var v int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil || v <= 0 {
		p.errorf(n, "top", "got %s, expected an integer > 0", describeNode(n))
		return 0
	}
	return v
}

// resolveNode follows aliases to the node they stand for.
func resolveNode(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNullNode(n *yaml.Node) bool {
	n = resolveNode(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// describeNode names what a node is, for messages: `the string "x"`,
// "a mapping", "null".
func describeNode(n *yaml.Node) string {
	n = resolveNode(n)
	switch {
	case n == nil || isNullNode(n):
		return "null"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind != yaml.ScalarNode:
		return "a YAML node"
	}
	switch n.Tag {
	case "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	}
	return fmt.Sprintf("%s %s", n.Tag, n.Value)
}

// nearestName returns the name of names closest to s in edit distance, or
// "" when none is close.
func nearestName(s string, names []string) string {
	best, bestDist := "", math.MaxInt
	for _, n := range names {
		if d := nameDistance(strings.ToLower(s), strings.ToLower(n)); d < bestDist {
			best, bestDist = n, d
		}
	}
	if best == "" || bestDist > max(2, len(best)/4) {
		return ""
	}
	return best
}

// nameDistance is the Levenshtein distance between a and b, in bytes,
// computed in one row: d[j] is the distance between the prefix of a read so
// far and b[:j].
func nameDistance(a, b string) int {
	d := make([]int, len(b)+1)
	for j := range d {
		d[j] = j
	}
	for i := range len(a) {
		diagonal := d[0]
		d[0] = i + 1
		for j := range len(b) {
			above := d[j+1]
			if a[i] == b[j] {
				d[j+1] = diagonal
			} else {
				d[j+1] = 1 + min(diagonal, above, d[j])
			}
			diagonal = above
		}
	}
	return d[len(b)]
}
