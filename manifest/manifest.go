// Package manifest reads Kubernetes autoscaling/v2 HorizontalPodAutoscaler
// manifests and converts each to the hpa.Spec the controller would run.
//
// It does what the API server and the controller of Kubernetes v1.37 do
// between `kubectl apply` and the first reconcile, without depending on
// k8s.io/kubernetes:
//
//  1. strict decoding: unknown or misspelt fields, duplicate keys and values
//     of the wrong type are errors, each with its line, column and field path;
//  2. API defaulting (SetDefaults_HorizontalPodAutoscaler);
//  3. API validation (ValidateHorizontalPodAutoscaler, with HPAScaleToZero
//     on, as it is by default in v1.37);
//  4. checks for what the API server accepts but the controller cannot
//     compute as written (a target type that does not match the value set,
//     ignored target fields, target quantities whose milli-value overflows
//     int64, unparsable metric selectors);
//  5. conversion with the controller's settings (Options), checked by
//     hpa.Spec.Validate.
//
// ParseScaledObjects reads KEDA v2.21 ScaledObjects the same way, through
// the CRD's schema, KEDA's admission webhook and the scalers' parsing of
// the trigger metadata, into the keda.Spec the keda package runs.
package manifest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
	yaml "go.yaml.in/yaml/v3"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
)

// Options are the controller settings that shape an hpa.Spec beyond the
// manifest.
type Options struct {
	// Tolerance is kube-controller-manager's
	// --horizontal-pod-autoscaler-tolerance: the dead band around a usage
	// ratio of 1, as a fraction (0.1 means ±10 %). It applies to both
	// directions of an HPA without behavior, and to a direction of a behavior
	// whose tolerance is unset. It must be finite and >= 0; 0 means no dead
	// band at all, not the default (use DefaultOptions for that).
	Tolerance float64
	// DownscaleStabilizationWindow is kube-controller-manager's
	// --horizontal-pod-autoscaler-downscale-stabilization: how far back the
	// largest recommendation holds scale-down off. It applies to HPAs without
	// behavior and to a behavior whose scaleDown leaves
	// stabilizationWindowSeconds unset. It must be a whole number of seconds
	// >= 0; 0 means no stabilization, not the default. The hpa engine accepts
	// at most one hour for the behavior case.
	DownscaleStabilizationWindow time.Duration
}

// DefaultOptions returns the controller's defaults: hpa.DefaultTolerance and
// hpa.DefaultDownscaleStabilizationWindow.
func DefaultOptions() Options {
	return Options{
		Tolerance:                    hpa.DefaultTolerance,
		DownscaleStabilizationWindow: hpa.DefaultDownscaleStabilizationWindow,
	}
}

func (o Options) validate() error {
	var errs []error
	if math.IsNaN(o.Tolerance) || math.IsInf(o.Tolerance, 0) || o.Tolerance < 0 {
		errs = append(errs, fmt.Errorf("manifest: invalid Options.Tolerance %v, expected a finite number >= 0", o.Tolerance))
	}
	w := o.DownscaleStabilizationWindow
	if w < 0 || w%time.Second != 0 || w > math.MaxInt32*time.Second {
		errs = append(errs, fmt.Errorf("manifest: invalid Options.DownscaleStabilizationWindow %v, expected a whole number of seconds >= 0", w))
	}
	return errors.Join(errs...)
}

// HPA is one HorizontalPodAutoscaler read from a manifest.
type HPA struct {
	// Name and Namespace are the object's metadata.name and
	// metadata.namespace; Namespace is empty when the manifest sets none.
	Name, Namespace string
	// Line is the 1-based line where the object starts: the first key of its
	// document, or of its entry in the items of a List.
	Line int
	// Object is the object as decoded, after API defaulting.
	Object *autoscalingv2.HorizontalPodAutoscaler
	// Spec is what the controller runs for it.
	Spec hpa.Spec
}

// maxListDepth bounds the nesting of Lists in Lists.
const maxListDepth = 8

// The apiVersion and kind this package reads.
const (
	apiVersionV2 = "autoscaling/v2"
	kindHPA      = "HorizontalPodAutoscaler"
)

// ParseHPAs reads the YAML documents of r and returns their
// HorizontalPodAutoscalers, in order, each defaulted, validated and
// converted with opt. file names the input in error messages only.
//
// Empty documents and objects of other kinds (Deployment, Service, ...) are
// skipped; the items of a v1 List (as `kubectl get -o yaml` writes) are read
// as objects. A HorizontalPodAutoscaler of another apiVersion than
// autoscaling/v2 is an error. So is any problem in any HPA: the error is an
// *Error, or several joined with errors.Join, one per problem (all problems
// of the file are reported, not just the first), and no HPA is returned.
func ParseHPAs(file string, r io.Reader, opt Options) ([]HPA, error) {
	p, err := parseDocuments(file, r, opt, kindHPA)
	if err != nil {
		return nil, err
	}
	return p.hpas, nil
}

// parseDocuments reads the YAML documents of r and collects the objects of the
// given kind (kindHPA or kindScaledObject), skipping the others.
func parseDocuments(file string, r io.Reader, opt Options, kind string) (*fileParser, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &Error{File: file, Err: err}
	}
	p := &fileParser{file: file, opt: opt, budget: maxNodes, kind: kind}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := decodeNode(dec, &doc)
		if err == io.EOF {
			break
		}
		if err != nil {
			p.errs = append(p.errs, syntaxError(file, data, err))
			break
		}
		if len(doc.Content) == 0 {
			continue
		}
		p.object(doc.Content[0], 0)
		if p.budget <= 0 {
			break
		}
	}
	if len(p.errs) > 0 {
		return nil, joinErrors(p.errs)
	}
	return p, nil
}

// decodeNode reads the next document, turning a panic of the YAML library
// into an error.
func decodeNode(dec *yaml.Decoder, doc *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: internal error of the YAML parser: %v", r)
		}
	}()
	return dec.Decode(doc)
}

// Convert defaults, validates and converts an HPA that is already decoded,
// for example one read from a cluster. obj is not modified. The error joins
// one *Error per problem, with Path set and no position.
func Convert(obj *autoscalingv2.HorizontalPodAutoscaler, opt Options) (hpa.Spec, error) {
	if err := opt.validate(); err != nil {
		return hpa.Spec{}, err
	}
	obj = obj.DeepCopy()
	setDefaults(obj)
	spec, errs := build(obj, opt)
	if len(errs) > 0 {
		located := make([]*Error, len(errs))
		for i, e := range errs {
			located[i] = &Error{Path: e.path, Err: e.err}
		}
		// By path, then message: deterministic even for the errors upstream
		// finds by ranging over maps.
		slices.SortStableFunc(located, func(a, b *Error) int {
			return cmp.Or(strings.Compare(a.Path, b.Path), strings.Compare(a.Error(), b.Error()))
		})
		out := make([]error, len(located))
		for i, e := range located {
			out[i] = e
		}
		return hpa.Spec{}, joinErrors(out)
	}
	return spec, nil
}

// fileParser holds the state of one ParseHPAs or ParseScaledObjects call.
type fileParser struct {
	file   string
	opt    Options
	budget int
	// kind is the kind collected (kindHPA or kindScaledObject); objects of
	// other kinds are skipped.
	kind string
	hpas []HPA
	sos  []ScaledObject
	errs []error
}

func (p *fileParser) errorf(n *yaml.Node, path, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: n.Line, Column: n.Column, Path: path, Err: fmt.Errorf(format, args...)})
}

// topField returns the value of a top-level key of a mapping, or nil.
func topField(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := resolve(n.Content[i]); k != nil && k.Kind == yaml.ScalarNode && k.Value == key {
			return resolve(n.Content[i+1])
		}
	}
	return nil
}

// duplicateKey returns the second key node named key in mapping n, or nil.
func duplicateKey(n *yaml.Node, key string) *yaml.Node {
	seen := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := resolve(n.Content[i]); k != nil && k.Kind == yaml.ScalarNode && k.Value == key {
			if seen {
				return k
			}
			seen = true
		}
	}
	return nil
}

// scalarText returns the text of a scalar node, "" for anything else.
func scalarText(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || isNull(n) {
		return ""
	}
	return n.Value
}

// object reads one object: a document's root or an item of a List.
func (p *fileParser) object(n *yaml.Node, depth int) {
	n = resolve(n)
	if n == nil || isNull(n) {
		return
	}
	if p.budget <= 0 {
		return
	}
	p.budget--
	if p.budget == 0 {
		p.errorf(n, "", "too many YAML nodes (more than %d, counting every use of an alias), expected a manifest of reasonable size", maxNodes)
		return
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "", "document is %s, expected a Kubernetes object (a mapping with apiVersion and kind)", describe(n))
		return
	}
	for _, key := range []string{"apiVersion", "kind"} {
		if k := duplicateKey(n, key); k != nil {
			p.errorf(k, key, "duplicate field, expected each field once")
			return
		}
	}
	apiVersionNode, kindNode := topField(n, "apiVersion"), topField(n, "kind")
	apiVersion, kind := scalarText(apiVersionNode), scalarText(kindNode)
	if kind == "" {
		p.errorf(n, "kind", "Required value: every object needs a kind, expected e.g. kind: %s", p.kind)
		return
	}
	switch {
	case kind == "List" && apiVersion == "v1":
		items := topField(n, "items")
		if items == nil || isNull(items) {
			return
		}
		if items.Kind != yaml.SequenceNode {
			p.errorf(items, "items", "wrong type: got %s, expected a sequence of objects", describe(items))
			return
		}
		if depth >= maxListDepth {
			p.errorf(items, "items", "Lists nested more than %d deep, expected objects", maxListDepth)
			return
		}
		for _, item := range items.Content {
			p.object(item, depth+1)
		}
	case kind == p.kind && p.kind == kindHPA:
		if apiVersion != apiVersionV2 {
			p.errorf(orNode(apiVersionNode, n), "apiVersion", "unsupported apiVersion %q for a %s, expected %s (convert the manifest to autoscaling/v2)", apiVersion, kindHPA, apiVersionV2)
			return
		}
		p.hpa(n)
	case kind == p.kind && p.kind == kindScaledObject:
		if apiVersion != apiVersionKEDA {
			p.errorf(orNode(apiVersionNode, n), "apiVersion", "unsupported apiVersion %q for a %s, expected %s", apiVersion, kindScaledObject, apiVersionKEDA)
			return
		}
		p.scaledObject(n)
	case strings.EqualFold(kind, p.kind):
		p.errorf(kindNode, "kind", "unknown kind %q, did you mean %q?", kind, p.kind)
	}
}

// orNode returns n, or else when n is nil.
func orNode(n, orElse *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return orElse
}

// hpa decodes, defaults, validates and converts one HorizontalPodAutoscaler.
func (p *fileParser) hpa(n *yaml.Node) {
	d := newStrictDecoder(p.file, &p.budget)
	v := d.walk(n, typeOfHPA, "", 0)
	if len(d.errs) > 0 {
		p.errs = append(p.errs, d.errs...)
		return
	}
	raw, err := json.Marshal(v)
	if err == nil {
		obj := new(autoscalingv2.HorizontalPodAutoscaler)
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err = dec.Decode(obj); err == nil {
			p.convert(n, d, obj)
			return
		}
	}
	// The walk accepts only what encoding/json decodes; this is a bug.
	p.errorf(n, "", "internal error: cannot decode the checked object: %v", err)
}

func (p *fileParser) convert(n *yaml.Node, d *strictDecoder, obj *autoscalingv2.HorizontalPodAutoscaler) {
	setDefaults(obj)
	spec, errs := build(obj, p.opt)
	if len(errs) > 0 {
		p.addLocated(n, d, len(errs), func(i int) (string, error) { return errs[i].path, errs[i].err })
		return
	}
	p.hpas = append(p.hpas, HPA{
		Name:      obj.Name,
		Namespace: obj.Namespace,
		Line:      n.Line,
		Object:    obj,
		Spec:      spec,
	})
}

// addLocated adds n errors of the object at n, each at(i) a field path and
// its error, located in the source, in source order, then by message: this
// also orders the errors upstream finds by ranging over maps (labels,
// annotations).
func (p *fileParser) addLocated(n *yaml.Node, d *strictDecoder, count int, at func(i int) (string, error)) {
	located := make([]*Error, count)
	for i := range located {
		path, err := at(i)
		line, col := locate(n, d.pos, path)
		located[i] = &Error{File: p.file, Line: line, Column: col, Path: path, Err: err}
	}
	slices.SortStableFunc(located, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), strings.Compare(a.Error(), b.Error()))
	})
	for _, e := range located {
		p.errs = append(p.errs, e)
	}
}

// locate finds where path is in the source: the value of the field when it
// is written there, else the key of the closest written ancestor (a field
// that is missing or was filled in by defaulting), else the object's start.
func locate(root *yaml.Node, pos map[string]position, path string) (line, col int) {
	if p, ok := pos[path]; ok {
		return p.line, p.col
	}
	for path != "" {
		// The parent of a[i] or a[key] is a (the key may hold dots), of a.b is a.
		i := strings.LastIndexByte(path, '.')
		if strings.HasSuffix(path, "]") {
			i = strings.LastIndexByte(path, '[')
		}
		if i < 0 {
			break
		}
		path = path[:i]
		if p, ok := pos[path]; ok {
			return p.keyLine, p.keyCol
		}
	}
	return root.Line, root.Column
}
