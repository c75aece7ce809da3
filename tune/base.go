package tune

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/autoreplay/autoreplay/manifest"
	"github.com/autoreplay/autoreplay/replay"
	yaml "go.yaml.in/yaml/v3"
)

// The kinds a Base holds.
const (
	kindHPA          = "HorizontalPodAutoscaler"
	kindScaledObject = "ScaledObject"
)

// Base is the manifest being tuned: one HorizontalPodAutoscaler or
// ScaledObject, as its own YAML document.
type Base struct {
	file string
	kind string
	name string
	// doc is the object's YAML document; it is never modified.
	doc *yaml.Node
	opt manifest.Options
	cfg replay.Config
	// minReplicas and maxReplicas are the bounds as the manifest sets them
	// (after defaulting).
	minReplicas, maxReplicas int32
}

// baseObject is an object the manifest package read.
type baseObject struct {
	kind, name string
	line       int
	cfg        replay.Config
	min, max   int32
}

func (o baseObject) String() string { return o.kind + " " + o.name }

// NewBase reads the YAML documents of data, as the manifest package does
// with opt, and keeps the HorizontalPodAutoscaler (autoscaling/v2) or
// ScaledObject (keda.sh/v1alpha1) named name, or the only one when name is
// "". file names the input in errors. A problem the manifest package finds
// in data is returned as is; the object must be a YAML document of its own,
// not an item of a v1 List.
func NewBase(file string, data []byte, name string, opt manifest.Options) (*Base, error) {
	parsed, err := manifest.ParseObjects(file, data, opt)
	if err != nil {
		return nil, err
	}
	var objs []baseObject
	for _, m := range parsed {
		if h := m.HPA; h != nil {
			objs = append(objs, baseObject{kindHPA, h.Name, h.Line, replay.Config{HPA: &h.Spec}, h.Spec.MinReplicas, h.Spec.MaxReplicas})
		} else {
			so := m.ScaledObject
			objs = append(objs, baseObject{kindScaledObject, so.Name, so.Line, replay.Config{ScaledObject: &so.Spec}, so.Spec.MinReplicaCount, so.Spec.MaxReplicaCount})
		}
	}
	var pick []baseObject
	names := make([]string, len(objs))
	for i, o := range objs {
		names[i] = o.String()
		if name == "" || o.name == name {
			pick = append(pick, o)
		}
	}
	switch {
	case len(objs) == 0:
		return nil, fmt.Errorf("%s: no HorizontalPodAutoscaler (autoscaling/v2) or ScaledObject (keda.sh/v1alpha1)", file)
	case len(pick) == 0:
		return nil, fmt.Errorf("--name %q: no such object; %s holds %s", name, file, strings.Join(names, ", "))
	case len(pick) > 1 && name == "":
		return nil, fmt.Errorf("%s holds %s: choose one with --name", file, strings.Join(names, ", "))
	case len(pick) > 1:
		return nil, fmt.Errorf("--name %q: %s holds several objects of that name (%s): keep one of them in the file tune reads", name, file, strings.Join(names, ", "))
	}
	o := pick[0]
	doc, err := findDocument(data, o)
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, fmt.Errorf("%s:%d: %s is an item of a v1 List: tune needs the object as its own YAML document", file, o.line, o)
	}
	return &Base{file: file, kind: o.kind, name: o.name, doc: doc, opt: opt, cfg: o.cfg, minReplicas: o.min, maxReplicas: o.max}, nil
}

// findDocument returns the document whose root is object o, nil when o is
// not the root of a document.
func findDocument(data []byte, o baseObject) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		doc := new(yaml.Node)
		if err := dec.Decode(doc); err == io.EOF {
			return nil, nil
		} else if err != nil {
			// The manifest package has read data: this is a bug.
			return nil, fmt.Errorf("tune: internal error: cannot read the YAML documents again: %w", err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if root.Kind == yaml.MappingNode && root.Line == o.line &&
			scalarAt(root, "kind") == o.kind && scalarAt(childNode(root, "metadata"), "name") == o.name {
			return doc, nil
		}
	}
}

// Kind returns "HorizontalPodAutoscaler" or "ScaledObject".
func (b *Base) Kind() string { return b.kind }

// Name returns the object's metadata.name.
func (b *Base) Name() string { return b.name }

// Config returns the object as written, as a replay.Config with only HPA
// or ScaledObject set (to a copy of the spec).
func (b *Base) Config() replay.Config {
	if b.cfg.HPA != nil {
		s := *b.cfg.HPA
		return replay.Config{HPA: &s}
	}
	s := *b.cfg.ScaledObject
	return replay.Config{ScaledObject: &s}
}

// Document returns the object's YAML document as written, re-encoded as
// Binding.Document does.
func (b *Base) Document() []byte {
	out, err := encodeDocument(copyTree(b.doc))
	if err != nil {
		// The document was read by the YAML library: this is a bug.
		panic(fmt.Sprintf("tune: cannot encode the base document: %v", err))
	}
	return out
}

// Binding is a grid's parameters bound to the fields of a Base.
type Binding struct {
	base   *Base
	params []Param
	fields []boundField
}

// boundField is the manifest field a parameter sets.
type boundField struct {
	// steps lead from the document's root mapping to the field; missing
	// mapping keys are created.
	steps []step
	kind  valueKind
	// bound is set on a replica bound (minReplicas and maxReplicas): the
	// other bound, which checkAlone moves to the value when the value alone
	// would cross it (minimum above the maximum, or the reverse).
	bound *replicaBound
}

type replicaBound struct {
	other   []step
	crosses func(v float64) bool
}

// step is a mapping key, or an index in a sequence when key is "".
type step struct {
	key   string
	index int
}

func keys(ks ...string) []step {
	out := make([]step, len(ks))
	for i, k := range ks {
		out[i] = step{key: k}
	}
	return out
}

// fieldPath writes steps as the manifest package's error paths do:
// "spec.triggers[0].metadata.lagThreshold".
func fieldPath(steps []step) string {
	var b strings.Builder
	for i, s := range steps {
		if s.key == "" {
			fmt.Fprintf(&b, "[%d]", s.index)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

// valueKind is how a value is written into its field.
type valueKind uint8

const (
	// intValue is a YAML integer; the value must be whole.
	intValue valueKind = iota + 1
	// numberValue is a YAML number (a quantity of an HPA target).
	numberValue
	// stringValue is a YAML string ("2000"), as trigger metadata is.
	stringValue
)

// Bind resolves each parameter to the manifest field it sets and checks
// each value alone: the base with only that value set must be a manifest
// the manifest package accepts, unless its only problems are with other
// fields (a combination, such as minReplicaCount above maxReplicaCount, is
// Binding.Config's to report; when the value alone crosses the other
// replica bound, that bound moves with it for the check). Errors read
// "--param NAME: value V: FIELD: the manifest's message".
//
// The names, under spec, for a ScaledObject:
//
//	triggers.T.threshold            metadata threshold (prometheus), targetValue (metrics-api),
//	                                lagThreshold (kafka), value (cpu, memory)
//	triggers.T.activation           metadata activationThreshold (prometheus),
//	                                activationTargetValue (metrics-api), activationLagThreshold (kafka)
//	triggers.T.metadata.KEY         metadata KEY, any key
//	pollingInterval, cooldownPeriod, initialCooldownPeriod
//	minReplicaCount, maxReplicaCount (aliases minReplicas, maxReplicas)
//	fallback.failureThreshold, fallback.replicas        (fallback must be written)
//	scalingModifiers.target, scalingModifiers.activationTarget
//	                                under advanced.scalingModifiers (which must be written)
//
// where T is the trigger's name, else its type when no other trigger has
// that type; triggers[i] (by index) works for every trigger. Trigger
// metadata and scalingModifiers are written as YAML strings ("2000"), as
// KEDA's CRD requires; the rest as integers.
//
// For a HorizontalPodAutoscaler:
//
//	metrics.M.target                target.averageValue, target.value or target.averageUtilization
//	                                (whichever target.type names), written as a number
//	minReplicas, maxReplicas        (aliases minReplicaCount, maxReplicaCount)
//
// where M is the metric's name (metric.name of an External, Object or Pods
// metric, the resource's name of a Resource or ContainerResource metric)
// when no other metric has it; metrics[i] works for every metric.
//
// For both, under behavior (spec.behavior of an HPA,
// spec.advanced.horizontalPodAutoscalerConfig.behavior of a ScaledObject),
// integers:
//
//	scaleUp.stabilizationWindowSeconds    (alias scaleUp.window); the mappings are created when missing
//	scaleDown.stabilizationWindowSeconds  (alias scaleDown.window)
//	scaleUp.policies[i].value, scaleUp.policies[i].periodSeconds      (the policy must be written)
//	scaleDown.policies[i].value, scaleDown.policies[i].periodSeconds
//
// Integer fields take whole values only. Two names for the same field are
// an error.
func (b *Base) Bind(params []Param) (*Binding, error) {
	bd := &Binding{base: b, params: slices.Clone(params), fields: make([]boundField, len(params))}
	var errs []error
	setBy := map[string]string{}
	for k, p := range params {
		f, err := b.resolve(p.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("--param %s: %w", p.Name, err))
			continue
		}
		if _, err := b.written(f.steps); err != nil {
			errs = append(errs, fmt.Errorf("--param %s: %w", p.Name, err))
			continue
		}
		path := fieldPath(f.steps)
		if other, ok := setBy[path]; ok {
			errs = append(errs, fmt.Errorf("--param %s: sets %s, as --param %s does: expected each field once", p.Name, path, other))
			continue
		}
		setBy[path] = p.Name
		bd.fields[k] = f
		if err := bd.checkAlone(k); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return bd, nil
}

// checkAlone checks each value of parameter k set alone in the base, and
// reports the first value that fails.
func (bd *Binding) checkAlone(k int) error {
	p, f := bd.params[k], bd.fields[k]
	path := fieldPath(f.steps)
	for i, v := range p.Values {
		text := p.Text(i)
		if f.kind == intValue && !isInteger(v) {
			return fmt.Errorf("--param %s: value %s: %s takes an integer", p.Name, text, path)
		}
		root := copyTree(bd.base.doc)
		setField(root.Content[0], f.steps, f.kind, text)
		if f.bound != nil && f.bound.crosses(v) {
			setField(root.Content[0], f.bound.other, intValue, text)
		}
		_, err := bd.base.parse(root)
		if err == nil {
			continue
		}
		var mine []string
		for _, e := range splitErrors(err) {
			var me *manifest.Error
			if errors.As(e, &me) && !relatedPath(me.Path, path) {
				continue
			}
			mine = append(mine, unlocated(e, "").Error())
		}
		if len(mine) > 0 {
			return fmt.Errorf("--param %s: value %s: %s", p.Name, text, strings.Join(mine, "; "))
		}
	}
	return nil
}

// relatedPath reports whether a problem at path a is about field b: the
// same field, one inside it, or one that holds it.
func relatedPath(a, b string) bool {
	inside := func(x, y string) bool {
		return strings.HasPrefix(x, y) && len(x) > len(y) && (x[len(y)] == '.' || x[len(y)] == '[')
	}
	return a == b || a == "" || inside(a, b) || inside(b, a)
}

// Document returns the object's YAML document with value idx[k] of
// parameter k written into its field: comments, key order and the other
// fields are kept, indentation is 2 spaces, and there is no leading "---".
// It is safe for concurrent use.
func (bd *Binding) Document(idx []int) ([]byte, error) {
	if len(idx) != len(bd.params) {
		return nil, fmt.Errorf("tune: %d value indices for %d parameters", len(idx), len(bd.params))
	}
	root := copyTree(bd.base.doc)
	for k, i := range idx {
		p := bd.params[k]
		if i < 0 || i >= len(p.Values) {
			return nil, fmt.Errorf("tune: value index %d of parameter %s out of range [0, %d)", i, p.Name, len(p.Values))
		}
		setField(root.Content[0], bd.fields[k].steps, bd.fields[k].kind, p.Text(i))
	}
	return encodeDocument(root)
}

// Config parses Document(idx) with the manifest package and returns the
// replay.Config with HPA or ScaledObject set. An invalid combination of
// values is an error: the manifest package's, without line and column (they
// would be those of the generated document).
func (bd *Binding) Config(idx []int) (replay.Config, error) {
	doc, err := bd.Document(idx)
	if err != nil {
		return replay.Config{}, err
	}
	return bd.base.parseBytes(doc, bd.base.file)
}

// parse parses a document tree with the manifest package.
func (b *Base) parse(doc *yaml.Node) (replay.Config, error) {
	data, err := encodeDocument(doc)
	if err != nil {
		return replay.Config{}, err
	}
	return b.parseBytes(data, "")
}

// parseBytes parses one document holding the base's object, as a file
// named file in errors, which carry no line and column.
func (b *Base) parseBytes(data []byte, file string) (replay.Config, error) {
	var cfg replay.Config
	var n int
	var err error
	if b.kind == kindHPA {
		var hpas []manifest.HPA
		hpas, err = manifest.ParseHPAs(file, bytes.NewReader(data), b.opt)
		if n = len(hpas); n == 1 {
			cfg.HPA = &hpas[0].Spec
		}
	} else {
		var sos []manifest.ScaledObject
		sos, err = manifest.ParseScaledObjects(file, bytes.NewReader(data), b.opt)
		if n = len(sos); n == 1 {
			cfg.ScaledObject = &sos[0].Spec
		}
	}
	if err != nil {
		errs := splitErrors(err)
		for i, e := range errs {
			errs[i] = unlocated(e, file)
		}
		return replay.Config{}, errors.Join(errs...)
	}
	if n != 1 {
		return replay.Config{}, fmt.Errorf("tune: internal error: the generated document holds %d objects of kind %s", n, b.kind)
	}
	return cfg, nil
}

// splitErrors returns the errors joined in err.
func splitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return slices.Clone(j.Unwrap())
	}
	return []error{err}
}

// unlocated returns a *manifest.Error without line and column, in file.
func unlocated(err error, file string) error {
	var me *manifest.Error
	if !errors.As(err, &me) {
		return err
	}
	return &manifest.Error{File: file, Path: me.Path, Err: me.Err}
}

// resolve finds the field a parameter name sets.
func (b *Base) resolve(name string) (boundField, error) {
	canonical := name
	if a, ok := paramAliases[b.kind][name]; ok {
		canonical = a
	}
	if f, ok, err := b.resolveCommon(canonical); ok || err != nil {
		return f, err
	}
	if b.kind == kindScaledObject {
		if f, ok, err := b.resolveScaledObject(canonical); ok || err != nil {
			return f, err
		}
		if strings.HasPrefix(name, "metrics") {
			return boundField{}, fmt.Errorf("applies to a HorizontalPodAutoscaler, and %s is a ScaledObject: write triggers.T.threshold", b.name)
		}
	} else {
		if f, ok, err := b.resolveHPA(canonical); ok || err != nil {
			return f, err
		}
		if slices.Contains(scaledObjectFields, name) || strings.HasPrefix(name, "triggers") ||
			strings.HasPrefix(name, "fallback.") || strings.HasPrefix(name, "scalingModifiers.") {
			return boundField{}, fmt.Errorf("applies to a ScaledObject, and %s is a HorizontalPodAutoscaler", b.name)
		}
	}
	return boundField{}, b.unknownParam(name)
}

// paramAliases maps, by kind, the other names of a field to its own.
var paramAliases = map[string]map[string]string{
	kindScaledObject: {
		"minReplicas":      "minReplicaCount",
		"maxReplicas":      "maxReplicaCount",
		"scaleUp.window":   "scaleUp.stabilizationWindowSeconds",
		"scaleDown.window": "scaleDown.stabilizationWindowSeconds",
	},
	kindHPA: {
		"minReplicaCount":  "minReplicas",
		"maxReplicaCount":  "maxReplicas",
		"scaleUp.window":   "scaleUp.stabilizationWindowSeconds",
		"scaleDown.window": "scaleDown.stabilizationWindowSeconds",
	},
}

// scaledObjectFields are the integer fields of a ScaledObject's spec
// without an HPA counterpart.
var scaledObjectFields = []string{"pollingInterval", "cooldownPeriod", "initialCooldownPeriod"}

var policyParamRE = regexp.MustCompile(`^(scaleUp|scaleDown)\.policies\[(\d+)\]\.(value|periodSeconds)$`)

// resolveCommon resolves the replica bounds and the behavior; ok is false
// for other names.
func (b *Base) resolveCommon(name string) (f boundField, ok bool, err error) {
	minName, maxName := "minReplicas", "maxReplicas"
	behavior := keys("spec", "behavior")
	if b.kind == kindScaledObject {
		minName, maxName = "minReplicaCount", "maxReplicaCount"
		behavior = keys("spec", "advanced", "horizontalPodAutoscalerConfig", "behavior")
	}
	switch name {
	case minName:
		return boundField{steps: keys("spec", minName), kind: intValue, bound: &replicaBound{
			other:   keys("spec", maxName),
			crosses: func(v float64) bool { return v > float64(b.maxReplicas) },
		}}, true, nil
	case maxName:
		return boundField{steps: keys("spec", maxName), kind: intValue, bound: &replicaBound{
			other:   keys("spec", minName),
			crosses: func(v float64) bool { return v < float64(b.minReplicas) },
		}}, true, nil
	case "scaleUp.stabilizationWindowSeconds", "scaleDown.stabilizationWindowSeconds":
		dir, _, _ := strings.Cut(name, ".")
		return boundField{steps: append(behavior, keys(dir, "stabilizationWindowSeconds")...), kind: intValue}, true, nil
	}
	m := policyParamRE.FindStringSubmatch(name)
	if m == nil {
		return boundField{}, false, nil
	}
	i, err := strconv.Atoi(m[2])
	if err != nil {
		return boundField{}, true, fmt.Errorf("policy index %s: expected a small integer", m[2])
	}
	policy := append(behavior, step{key: m[1]}, step{key: "policies"}, step{index: i})
	if err := b.mustExist(policy, "write the policy in the manifest first: tune sets the value or periodSeconds of a policy, it does not add one"); err != nil {
		return boundField{}, true, err
	}
	return boundField{steps: append(policy, step{key: m[3]}), kind: intValue}, true, nil
}

// resolveScaledObject resolves the fields of a ScaledObject only.
func (b *Base) resolveScaledObject(name string) (f boundField, ok bool, err error) {
	switch {
	case slices.Contains(scaledObjectFields, name):
		return boundField{steps: keys("spec", name), kind: intValue}, true, nil
	case name == "fallback.failureThreshold" || name == "fallback.replicas":
		steps := keys("spec", "fallback")
		if err := b.mustExist(steps, "write the fallback in the manifest first"); err != nil {
			return boundField{}, true, err
		}
		return boundField{steps: append(steps, keys(strings.TrimPrefix(name, "fallback."))...), kind: intValue}, true, nil
	case name == "scalingModifiers.target" || name == "scalingModifiers.activationTarget":
		steps := keys("spec", "advanced", "scalingModifiers")
		if err := b.mustExist(steps, "write the scalingModifiers (with their formula) in the manifest first"); err != nil {
			return boundField{}, true, err
		}
		return boundField{steps: append(steps, keys(strings.TrimPrefix(name, "scalingModifiers."))...), kind: stringValue}, true, nil
	case strings.HasPrefix(name, "triggers"):
		f, err := b.resolveTrigger(name)
		return f, true, err
	}
	return boundField{}, false, nil
}

// Trigger settings: the metadata key of threshold and activation, by type.
var (
	thresholdKeys = map[string]string{
		"prometheus": "threshold", "metrics-api": "targetValue", "kafka": "lagThreshold", "cpu": "value", "memory": "value",
	}
	activationKeys = map[string]string{
		"prometheus": "activationThreshold", "metrics-api": "activationTargetValue", "kafka": "activationLagThreshold",
	}
)

// member is a trigger of a ScaledObject or a metric of an HPA.
type member struct {
	// ref is how parameters name it: "triggers.lag", "metrics[1]".
	ref string
	// index is its index in the sequence, typ its type.
	index int
	typ   string
	node  *yaml.Node
}

// items returns the items of the sequence spec.<list>.
func (b *Base) items(list string) []*yaml.Node {
	seq := childNode(b.doc.Content[0], "spec", list)
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, len(seq.Content))
	for i, item := range seq.Content {
		out[i] = resolveNode(item)
	}
	return out
}

// members names the items of spec.<list> by names[i] when no other item
// has that name, else by index.
func members(list string, items []*yaml.Node, names []string) []member {
	count := map[string]int{}
	for _, n := range names {
		count[n]++
	}
	out := make([]member, len(items))
	for i, item := range items {
		out[i] = member{ref: list + "." + names[i], index: i, typ: scalarAt(item, "type"), node: item}
		if names[i] == "" || count[names[i]] > 1 {
			out[i].ref = fmt.Sprintf("%s[%d]", list, i)
		}
	}
	return out
}

// triggers lists the triggers, each named by its name, else by its type
// when no other trigger has that type, else by index.
func (b *Base) triggers() []member {
	items := b.items("triggers")
	types := map[string]int{}
	for _, item := range items {
		types[scalarAt(item, "type")]++
	}
	names := make([]string, len(items))
	for i, item := range items {
		names[i] = scalarAt(item, "name")
		if t := scalarAt(item, "type"); names[i] == "" && types[t] == 1 {
			names[i] = t
		}
	}
	return members("triggers", items, names)
}

// metrics lists the HPA's metrics, each named by its metric's or
// resource's name when no other metric has it, else by index.
func (b *Base) metrics() []member {
	items := b.items("metrics")
	names := make([]string, len(items))
	for i, item := range items {
		src := childNode(item, metricSources[scalarAt(item, "type")])
		if names[i] = scalarAt(childNode(src, "metric"), "name"); names[i] == "" {
			names[i] = scalarAt(src, "name")
		}
	}
	return members("metrics", items, names)
}

// metricSources maps a metric type to the field of its source.
var metricSources = map[string]string{
	"External":          "external",
	"Object":            "object",
	"Pods":              "pods",
	"Resource":          "resource",
	"ContainerResource": "containerResource",
}

// findMember splits name into the member it names (by ref or index) and
// the setting after it, one of settings (a setting ending in "." takes a
// suffix).
func findMember(name string, ms []member, list string, settings []string) (member, string, bool) {
	for _, m := range ms {
		for _, ref := range []string{m.ref, fmt.Sprintf("%s[%d]", list, m.index)} {
			rest, ok := strings.CutPrefix(name, ref+".")
			if !ok {
				continue
			}
			for _, s := range settings {
				prefix := strings.HasSuffix(s, ".")
				if (!prefix && rest == s) || (prefix && strings.HasPrefix(rest, s) && len(rest) > len(s)) {
					return m, rest, true
				}
			}
		}
	}
	return member{}, "", false
}

func (b *Base) resolveTrigger(name string) (boundField, error) {
	ts := b.triggers()
	t, setting, ok := findMember(name, ts, "triggers", []string{"threshold", "activation", "metadata."})
	if !ok {
		return boundField{}, b.noMember(name, "trigger", ts, []string{".threshold", ".activation", ".metadata."})
	}
	var key string
	switch {
	case setting == "threshold":
		if key = thresholdKeys[t.typ]; key == "" {
			return boundField{}, fmt.Errorf("a %s trigger has no threshold: set one of its metadata with %s.metadata.KEY", t.typ, t.ref)
		}
	case setting == "activation":
		if key = activationKeys[t.typ]; key == "" {
			return boundField{}, fmt.Errorf("a %s trigger has no activation threshold: set one of its metadata with %s.metadata.KEY", t.typ, t.ref)
		}
	default:
		key = strings.TrimPrefix(setting, "metadata.")
	}
	steps := []step{{key: "spec"}, {key: "triggers"}, {index: t.index}, {key: "metadata"}}
	if err := b.mustExist(steps, "write the trigger's metadata in the manifest first"); err != nil {
		return boundField{}, err
	}
	return boundField{steps: append(steps, step{key: key}), kind: stringValue}, nil
}

// resolveHPA resolves the fields of an HPA only.
func (b *Base) resolveHPA(name string) (f boundField, ok bool, err error) {
	if !strings.HasPrefix(name, "metrics") {
		return boundField{}, false, nil
	}
	ms := b.metrics()
	m, _, found := findMember(name, ms, "metrics", []string{"target"})
	if !found {
		return boundField{}, true, b.noMember(name, "metric", ms, []string{".target"})
	}
	source := metricSources[m.typ]
	target := []step{{key: "spec"}, {key: "metrics"}, {index: m.index}, {key: source}, {key: "target"}}
	if err := b.mustExist(target, "write the metric's target in the manifest first"); err != nil {
		return boundField{}, true, err
	}
	tt := scalarAt(childNode(m.node, source, "target"), "type")
	switch tt {
	case "Utilization":
		return boundField{steps: append(target, step{key: "averageUtilization"}), kind: intValue}, true, nil
	case "Value":
		return boundField{steps: append(target, step{key: "value"}), kind: numberValue}, true, nil
	case "AverageValue":
		return boundField{steps: append(target, step{key: "averageValue"}), kind: numberValue}, true, nil
	}
	return boundField{}, true, fmt.Errorf("%s has target type %q, expected Utilization, Value or AverageValue", fieldPath(target), tt)
}

// noMember reports a name whose trigger or metric does not exist, or whose
// setting is unknown.
func (b *Base) noMember(name, what string, ms []member, settings []string) error {
	list := what + "s"
	ref := ""
	for _, s := range settings {
		if i := strings.LastIndex(name, s); i > 0 {
			ref = name[:i]
			break
		}
	}
	for _, m := range ms {
		if strings.HasPrefix(name, m.ref+".") || strings.HasPrefix(name, fmt.Sprintf("%s[%d].", list, m.index)) {
			ref = ""
		}
	}
	if ref == "" {
		return b.unknownParam(name)
	}
	if len(ms) == 0 {
		return fmt.Errorf("no %s %s: %s %s has no %s", what, ref, b.kind, b.name, list)
	}
	have := make([]string, len(ms))
	for i, m := range ms {
		index := fmt.Sprintf("%s[%d]", list, m.index)
		have[i] = fmt.Sprintf("%s (%s)", m.ref, m.typ)
		if m.ref != index {
			have[i] = fmt.Sprintf("%s (%s, %s)", m.ref, index, m.typ)
		}
	}
	return fmt.Errorf("no %s %s: the %s of %s %s are %s", what, ref, list, b.kind, b.name, strings.Join(have, ", "))
}

// unknownParam reports an unknown name, suggesting the closest and listing
// the names the base takes.
func (b *Base) unknownParam(name string) error {
	names := b.paramNames()
	var aliases []string
	for alias := range paramAliases[b.kind] {
		aliases = append(aliases, alias)
	}
	slices.Sort(aliases)
	msg := "unknown parameter;"
	if near := nearestName(name, append(slices.Clone(names), aliases...)); near != "" {
		msg = "unknown parameter, did you mean " + near + "?"
	}
	return fmt.Errorf("%s %s %s takes %s (aliases %s)", msg, b.kind, b.name, strings.Join(names, ", "), strings.Join(aliases, ", "))
}

// paramNames lists the names the base takes, aliases aside.
func (b *Base) paramNames() []string {
	var names []string
	if b.kind == kindScaledObject {
		for _, t := range b.triggers() {
			if thresholdKeys[t.typ] != "" {
				names = append(names, t.ref+".threshold")
			}
			if activationKeys[t.typ] != "" {
				names = append(names, t.ref+".activation")
			}
			names = append(names, t.ref+".metadata.KEY")
		}
		names = append(names, scaledObjectFields...)
		names = append(names, "minReplicaCount", "maxReplicaCount")
		if b.mustExist(keys("spec", "fallback"), "") == nil {
			names = append(names, "fallback.failureThreshold", "fallback.replicas")
		}
		if b.mustExist(keys("spec", "advanced", "scalingModifiers"), "") == nil {
			names = append(names, "scalingModifiers.target", "scalingModifiers.activationTarget")
		}
	} else {
		for _, m := range b.metrics() {
			names = append(names, m.ref+".target")
		}
		names = append(names, "minReplicas", "maxReplicas")
	}
	behavior := keys("spec", "behavior")
	if b.kind == kindScaledObject {
		behavior = keys("spec", "advanced", "horizontalPodAutoscalerConfig", "behavior")
	}
	for _, dir := range []string{"scaleUp", "scaleDown"} {
		names = append(names, dir+".stabilizationWindowSeconds")
		policies := resolveNode(lookup(b.doc.Content[0], append(behavior, step{key: dir}, step{key: "policies"})))
		if policies == nil || policies.Kind != yaml.SequenceNode {
			continue
		}
		for i := range policies.Content {
			names = append(names, fmt.Sprintf("%s.policies[%d].value", dir, i), fmt.Sprintf("%s.policies[%d].periodSeconds", dir, i))
		}
	}
	return names
}

// mustExist checks that the node at steps is written in the base.
func (b *Base) mustExist(steps []step, hint string) error {
	n, err := b.written(steps)
	if err == nil && (n == nil || isNullNode(n)) {
		err = fmt.Errorf("%s %s has no %s: %s", b.kind, b.name, fieldPath(steps), hint)
	}
	return err
}

// written returns the node at steps in the base, nil when a step is
// missing. A YAML alias on the way is an error: setting a field behind it
// would set it at its anchor too.
func (b *Base) written(steps []step) (*yaml.Node, error) {
	n := b.doc.Content[0]
	for i := range steps {
		if n.Kind == yaml.AliasNode {
			return nil, fmt.Errorf("%s is a YAML alias (*%s): write it out in the manifest to tune what is inside", fieldPath(steps[:i]), n.Value)
		}
		if n = lookup(n, steps[i:i+1]); n == nil {
			return nil, nil
		}
	}
	return n, nil
}

// lookup follows steps from n; it returns nil when a step is missing.
// Aliases are not followed.
func lookup(n *yaml.Node, steps []step) *yaml.Node {
	for _, s := range steps {
		switch {
		case n == nil:
			return nil
		case s.key == "":
			if n.Kind != yaml.SequenceNode || s.index >= len(n.Content) {
				return nil
			}
			n = n.Content[s.index]
		default:
			if n.Kind != yaml.MappingNode {
				return nil
			}
			i := keyIndex(n, s.key)
			if i < 0 {
				return nil
			}
			n = n.Content[i+1]
		}
	}
	return n
}

// keyIndex returns the index in n.Content of key's node, or -1.
func keyIndex(n *yaml.Node, key string) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return i
		}
	}
	return -1
}

// childNode follows mapping keys, and aliases, from n; nil when missing.
func childNode(n *yaml.Node, path ...string) *yaml.Node {
	for _, key := range path {
		n = resolveNode(lookup(resolveNode(n), keys(key)))
	}
	return n
}

// scalarAt returns the text of the scalar at key of mapping n, or "".
func scalarAt(n *yaml.Node, key string) string {
	v := childNode(n, key)
	if v == nil || v.Kind != yaml.ScalarNode || isNullNode(v) {
		return ""
	}
	return v.Value
}

// setField writes text into the field at steps below the root mapping,
// creating missing mapping keys. The steps were checked by Bind.
func setField(root *yaml.Node, steps []step, kind valueKind, text string) {
	n := root
	for i, s := range steps {
		if s.key == "" {
			n = n.Content[s.index]
			continue
		}
		if n.Kind == yaml.ScalarNode { // a null mapping: `behavior:`
			*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", HeadComment: n.HeadComment, LineComment: n.LineComment, FootComment: n.FootComment, Line: n.Line, Column: n.Column}
		}
		j := keyIndex(n, s.key)
		if j < 0 {
			child := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			if i == len(steps)-1 {
				child = &yaml.Node{Kind: yaml.ScalarNode}
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s.key}, child)
			j = len(n.Content) - 2
		}
		n = n.Content[j+1]
	}
	setScalar(n, kind, text)
}

// setScalar makes n the scalar text, keeping its comments and anchor.
func setScalar(n *yaml.Node, kind valueKind, text string) {
	style := yaml.Style(0)
	tag := "!!int"
	switch {
	case kind == stringValue:
		tag = "!!str"
		style = yaml.DoubleQuotedStyle
		if n.Kind == yaml.ScalarNode && n.Style&yaml.SingleQuotedStyle != 0 {
			style = yaml.SingleQuotedStyle
		}
	case kind == numberValue && strings.ContainsAny(text, ".eE"):
		tag = "!!float"
	}
	n.Kind, n.Tag, n.Value, n.Style, n.Content, n.Alias = yaml.ScalarNode, tag, text, style, nil, nil
}

// copyTree returns a deep copy of the tree at n, aliases pointing into the
// copy.
func copyTree(n *yaml.Node) *yaml.Node {
	copied := map[*yaml.Node]*yaml.Node{}
	var walk func(n *yaml.Node) *yaml.Node
	walk = func(n *yaml.Node) *yaml.Node {
		if n == nil {
			return nil
		}
		if c, ok := copied[n]; ok {
			return c
		}
		c := new(yaml.Node)
		*c = *n
		copied[n] = c
		if n.Content != nil {
			c.Content = make([]*yaml.Node, len(n.Content))
			for i, m := range n.Content {
				c.Content[i] = walk(m)
			}
		}
		c.Alias = walk(n.Alias)
		return c
	}
	return walk(n)
}

// encodeDocument writes a document with 2-space indentation.
func encodeDocument(doc *yaml.Node) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("tune: cannot encode the document: %v", r)
		}
	}()
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
