package manifest

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Limits that keep hostile input (alias bombs, deep nesting) cheap.
const (
	// maxNodes bounds the YAML nodes visited per file, aliases counted at
	// every use.
	maxNodes = 1 << 20
	// maxDepth bounds the nesting of free-form values (metadata.managedFields).
	maxDepth = 200
)

// position is where a field's key and value start in the YAML source.
type position struct {
	keyLine, keyCol int
	line, col       int
}

// strictDecoder walks the YAML node tree of one object against its Go type,
// the way encoding/json would decode it, but reporting unknown fields,
// duplicate keys and values of the wrong type with their line and column
// (sigs.k8s.io/yaml's strict mode reports neither). It builds the JSON value
// the tree stands for, so that the object can then be decoded by
// encoding/json with the API types' own unmarshalers (resource.Quantity,
// metav1.Time, ...).
type strictDecoder struct {
	file string
	errs []error
	// pos indexes every field, map entry and list item by its path.
	pos map[string]position
	// budget counts down the nodes that may still be visited.
	budget *int
	fields map[reflect.Type][]fieldInfo
}

func newStrictDecoder(file string, budget *int) *strictDecoder {
	return &strictDecoder{
		file:   file,
		pos:    make(map[string]position),
		budget: budget,
		fields: make(map[reflect.Type][]fieldInfo),
	}
}

func (d *strictDecoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: n.Line, Column: n.Column, Path: path, Err: fmt.Errorf(format, args...)})
}

// spend takes one node from the budget; false once it is exhausted (and
// reports that once).
func (d *strictDecoder) spend(n *yaml.Node, path string) bool {
	if *d.budget <= 0 {
		return false
	}
	*d.budget--
	if *d.budget == 0 {
		d.errorf(n, path, "too many YAML nodes (more than %d, counting every use of an alias), expected a manifest of reasonable size", maxNodes)
		return false
	}
	return true
}

func childPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// resolve follows aliases to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	quantityType        = reflect.TypeFor[resource.Quantity]()
	timeType            = reflect.TypeFor[metav1.Time]()
	microTimeType       = reflect.TypeFor[metav1.MicroTime]()
	typeOfHPA           = reflect.TypeFor[autoscalingv2.HorizontalPodAutoscaler]()
)

// walk checks n against type t and returns the JSON value it stands for
// (map[string]any, []any, string, json.Number, bool, json.RawMessage or
// nil). Problems are recorded in d.errs; the returned value is then
// meaningless.
func (d *strictDecoder) walk(n *yaml.Node, t reflect.Type, path string, depth int) any {
	if !d.spend(n, path) {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		n = resolve(n)
		if n == nil || n.Kind == yaml.AliasNode {
			return nil
		}
		if !d.spend(n, path) {
			return nil
		}
	}
	if depth > maxDepth {
		d.errorf(n, path, "nested too deeply (more than %d levels), expected a manifest of reasonable depth", maxDepth)
		return nil
	}
	if isNull(n) {
		return nil
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(jsonUnmarshalerType) {
		return d.custom(n, t, path, depth)
	}
	switch t.Kind() {
	case reflect.Pointer:
		return d.walk(n, t.Elem(), path, depth)
	case reflect.Struct:
		return d.object(n, t, path, depth)
	case reflect.Map:
		return d.mapping(n, t, path, depth)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return d.scalarString(n, path, "a base64 string")
		}
		return d.sequence(n, t, path, depth)
	case reflect.String:
		return d.scalarString(n, path, "a string")
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.wrongType(n, path, "a boolean (true or false)")
			return nil
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			d.wrongType(n, path, "a boolean (true or false)")
			return nil
		}
		return b
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return d.integer(n, t, path, true)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return d.integer(n, t, path, false)
	case reflect.Float32, reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!float" && n.ShortTag() != "!!int") {
			d.wrongType(n, path, "a number")
			return nil
		}
		var f float64
		if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			d.wrongType(n, path, "a finite number")
			return nil
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
	case reflect.Interface:
		return d.generic(n, path, depth)
	}
	d.errorf(n, path, "field of Go type %s cannot be read from YAML", t)
	return nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names the kind of a node for messages, with its text for
// scalars.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.DocumentNode:
		return "a document"
	case yaml.AliasNode:
		return "an alias"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:37] + "..."
	}
	switch n.ShortTag() {
	case "!!str":
		return fmt.Sprintf("a string (%q)", v)
	case "!!int":
		return fmt.Sprintf("an integer (%s)", v)
	case "!!float":
		return fmt.Sprintf("a number (%s)", v)
	case "!!bool":
		return fmt.Sprintf("a boolean (%s)", v)
	case "!!null":
		return "null"
	case "!!timestamp":
		return fmt.Sprintf("a timestamp (%s)", v)
	}
	return fmt.Sprintf("a value tagged %s (%q)", n.ShortTag(), v)
}

func (d *strictDecoder) wrongType(n *yaml.Node, path, want string) {
	d.errorf(n, path, "wrong type: got %s, expected %s", describe(n), want)
}

// scalarString accepts a string scalar, and a timestamp, which YAML 1.1
// parsers resolve to a string when the target is a string.
func (d *strictDecoder) scalarString(n *yaml.Node, path, want string) any {
	if n.Kind != yaml.ScalarNode {
		d.wrongType(n, path, want)
		return nil
	}
	switch n.ShortTag() {
	case "!!str", "!!timestamp":
		return n.Value
	case "!!int", "!!float", "!!bool":
		d.wrongType(n, path, want+" (quote the value)")
		return nil
	}
	d.wrongType(n, path, want)
	return nil
}

func (d *strictDecoder) integer(n *yaml.Node, t reflect.Type, path string, signed bool) any {
	want := "an integer"
	if t.Kind() != reflect.Int && t.Kind() != reflect.Uint {
		want = fmt.Sprintf("an integer (%s)", t.Kind())
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float" {
		// kubectl turns YAML into JSON through float64, which prints a
		// whole number such as 10.0 or 1e3 as an integer.
		var f float64
		if err := n.Decode(&f); err != nil || f != math.Trunc(f) || math.IsInf(f, 0) {
			d.wrongType(n, path, want)
			return nil
		}
		if f < -(1<<63) || f >= 1<<63 || (!signed && f < 0) {
			d.errorf(n, path, "integer %s out of range, expected %s", n.Value, want)
			return nil
		}
		return d.integerValue(n, int64(f), t, path, signed, want)
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.wrongType(n, path, want)
		return nil
	}
	bits := t.Bits()
	if signed {
		var v int64
		if err := n.Decode(&v); err != nil || (bits < 64 && (v < -(1<<(bits-1)) || v > 1<<(bits-1)-1)) {
			d.errorf(n, path, "integer %s out of range, expected %s", n.Value, want)
			return nil
		}
		return json.Number(strconv.FormatInt(v, 10))
	}
	var v uint64
	if err := n.Decode(&v); err != nil || (bits < 64 && v > 1<<bits-1) {
		d.errorf(n, path, "integer %s out of range, expected a non-negative %s", n.Value, strings.TrimPrefix(want, "an "))
		return nil
	}
	return json.Number(strconv.FormatUint(v, 10))
}

// integerValue range-checks a whole number read from a float.
func (d *strictDecoder) integerValue(n *yaml.Node, v int64, t reflect.Type, path string, signed bool, want string) any {
	bits := t.Bits()
	inRange := bits == 64 || v >= -(1<<(bits-1)) && v <= 1<<(bits-1)-1
	if !signed {
		inRange = v >= 0 && (bits == 64 || v <= 1<<bits-1)
	}
	if !inRange {
		d.errorf(n, path, "integer %s out of range, expected %s", n.Value, want)
		return nil
	}
	return json.Number(strconv.FormatInt(v, 10))
}

// fieldInfo is one JSON field of a struct.
type fieldInfo struct {
	name string
	typ  reflect.Type
}

// structFields lists the JSON fields of t as encoding/json sees them,
// embedded structs without a name (the API types' `json:",inline"`
// TypeMeta and ObjectMeta) merged in.
func (d *strictDecoder) structFields(t reflect.Type) []fieldInfo {
	if fs, ok := d.fields[t]; ok {
		return fs
	}
	var fs []fieldInfo
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				fs = append(fs, d.structFields(et)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fs = append(fs, fieldInfo{name: name, typ: f.Type})
	}
	d.fields[t] = fs
	return fs
}

// mappingKey returns the text of a mapping key, or false after reporting a
// key that cannot name a field.
func (d *strictDecoder) mappingKey(k *yaml.Node, path string) (string, bool) {
	if k.Kind == yaml.AliasNode {
		k = resolve(k)
		if k == nil {
			return "", false
		}
	}
	if k.Kind != yaml.ScalarNode {
		d.errorf(k, path, "wrong type of key: got %s, expected a field name", describe(k))
		return "", false
	}
	if k.ShortTag() == "!!merge" {
		d.errorf(k, path, "merge keys (<<) are not supported, expected the fields written out")
		return "", false
	}
	return k.Value, true
}

func (d *strictDecoder) object(n *yaml.Node, t reflect.Type, path string, depth int) any {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, fmt.Sprintf("a mapping (%s)", typeName(t)))
		return nil
	}
	fields := d.structFields(t)
	out := make(map[string]any, len(n.Content)/2)
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, ok := d.mappingKey(k, path)
		if !ok {
			continue
		}
		p := childPath(path, name)
		if first, dup := seen[name]; dup {
			d.errorf(k, p, "duplicate field, already set at line %d:%d, expected each field once", first.Line, first.Column)
			continue
		}
		seen[name] = k
		j := slices.IndexFunc(fields, func(f fieldInfo) bool { return f.name == name })
		if j < 0 {
			d.errorf(k, p, "%s", unknownField(name, t, fields))
			continue
		}
		d.pos[p] = position{k.Line, k.Column, v.Line, v.Column}
		out[name] = d.walk(v, fields[j].typ, p, depth+1)
	}
	return out
}

// unknownField says that name is not a field of t, suggesting the closest
// field name.
func unknownField(name string, t reflect.Type, fields []fieldInfo) string {
	names := make([]string, 0, len(fields))
	best, bestDist := "", math.MaxInt
	for _, f := range fields {
		names = append(names, f.name)
		if dist := editDistance(strings.ToLower(name), strings.ToLower(f.name)); dist < bestDist {
			best, bestDist = f.name, dist
		}
	}
	if best != "" && bestDist <= max(2, len(best)/4) {
		return fmt.Sprintf("unknown field %q, did you mean %q?", name, best)
	}
	slices.Sort(names)
	return fmt.Sprintf("unknown field %q, expected one of the fields of %s: %s", name, typeName(t), strings.Join(names, ", "))
}

// typeName names a Go type for messages as the API names it: the
// unexported mirrors of the KEDA types (scaleTriggers) read as KEDA's
// (ScaleTriggers).
func typeName(t reflect.Type) string {
	name := t.Name()
	if name != "" && name[0] >= 'a' && name[0] <= 'z' {
		name = strings.ToUpper(name[:1]) + name[1:]
	}
	return name
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (d *strictDecoder) mapping(n *yaml.Node, t reflect.Type, path string, depth int) any {
	want := "a mapping"
	if t.Elem().Kind() == reflect.String {
		want = "a mapping of strings to strings"
	}
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, want)
		return nil
	}
	if t.Key().Kind() != reflect.String {
		d.errorf(n, path, "map of Go type %s cannot be read from YAML", t)
		return nil
	}
	out := make(map[string]any, len(n.Content)/2)
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key, ok := d.mappingKey(k, path)
		if !ok {
			continue
		}
		p := path + "[" + key + "]"
		if first, dup := seen[key]; dup {
			d.errorf(k, p, "duplicate key, already set at line %d:%d, expected each key once", first.Line, first.Column)
			continue
		}
		seen[key] = k
		d.pos[p] = position{k.Line, k.Column, v.Line, v.Column}
		out[key] = d.walk(v, t.Elem(), p, depth+1)
	}
	return out
}

func (d *strictDecoder) sequence(n *yaml.Node, t reflect.Type, path string, depth int) any {
	if n.Kind != yaml.SequenceNode {
		name := typeName(t.Elem())
		if t.Elem().Kind() == reflect.Pointer {
			name = typeName(t.Elem().Elem())
		}
		d.wrongType(n, path, fmt.Sprintf("a sequence (list of %s)", name))
		return nil
	}
	out := make([]any, len(n.Content))
	for i, item := range n.Content {
		p := path + "[" + strconv.Itoa(i) + "]"
		d.pos[p] = position{item.Line, item.Column, item.Line, item.Column}
		out[i] = d.walk(item, t.Elem(), p, depth+1)
	}
	return out
}

// custom handles a type with its own UnmarshalJSON (resource.Quantity,
// metav1.Time, metav1.FieldsV1, ...): it hands the JSON form of the node to
// that unmarshaler and reports its refusal at the node.
func (d *strictDecoder) custom(n *yaml.Node, t reflect.Type, path string, depth int) any {
	v := d.generic(n, path, depth)
	if v == nil {
		return nil // generic reported the problem
	}
	raw, err := json.Marshal(v)
	if err != nil {
		d.errorf(n, path, "cannot convert %s to JSON: %v", describe(n), err)
		return nil
	}
	target := reflect.New(t).Interface().(json.Unmarshaler)
	if err := target.UnmarshalJSON(raw); err != nil {
		switch t {
		case quantityType:
			d.wrongType(n, path, "a quantity such as 250m, 2, 1.5 or 512Mi")
		case timeType:
			d.wrongType(n, path, "an RFC 3339 time such as 2006-01-02T15:04:05Z")
		case microTimeType:
			d.wrongType(n, path, "an RFC 3339 time with microseconds such as 2006-01-02T15:04:05.000000Z")
		default:
			d.errorf(n, path, "invalid %s: %v", t.Name(), err)
		}
		return nil
	}
	return json.RawMessage(raw)
}

// generic converts a node of free-form content to its JSON value, the way
// sigs.k8s.io/yaml would: scalars by their resolved tag, mapping keys as
// text. It returns nil for null, and nil after reporting a problem.
func (d *strictDecoder) generic(n *yaml.Node, path string, depth int) any {
	if n.Kind == yaml.AliasNode {
		n = resolve(n)
		if n == nil || n.Kind == yaml.AliasNode {
			return nil
		}
	}
	if depth > maxDepth {
		d.errorf(n, path, "nested too deeply (more than %d levels), expected a manifest of reasonable depth", maxDepth)
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key, ok := d.mappingKey(k, path)
			if !ok {
				return nil
			}
			p := path + "[" + key + "]"
			if _, dup := out[key]; dup {
				d.errorf(k, p, "duplicate key, expected each key once")
				return nil
			}
			if !d.spend(v, p) {
				return nil
			}
			if isNull(resolve(v)) {
				out[key] = nil
				continue
			}
			x := d.generic(v, p, depth+1)
			if x == nil {
				return nil
			}
			out[key] = x
		}
		return out
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, item := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			if !d.spend(item, p) {
				return nil
			}
			if isNull(resolve(item)) {
				continue
			}
			x := d.generic(item, p, depth+1)
			if x == nil {
				return nil
			}
			out[i] = x
		}
		return out
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str", "!!timestamp":
			return n.Value
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err == nil {
				return b
			}
		case "!!int":
			var i int64
			if err := n.Decode(&i); err == nil {
				return json.Number(strconv.FormatInt(i, 10))
			}
			var u uint64
			if err := n.Decode(&u); err == nil {
				return json.Number(strconv.FormatUint(u, 10))
			}
		case "!!float":
			var f float64
			if err := n.Decode(&f); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				if json.Valid([]byte(n.Value)) {
					return json.Number(n.Value)
				}
				return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
			}
		}
	}
	d.errorf(n, path, "unsupported value: got %s, expected a string, number, boolean, mapping or sequence", describe(n))
	return nil
}
