package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/keda"
	yaml "go.yaml.in/yaml/v3"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// KEDA ScaledObjects (keda.sh/v1alpha1), read as KEDA v2.21 reads them:
//
//  1. strict decoding, as for HPAs, against mirrors of the CRD's Go types
//     (apis/keda/v1alpha1: ScaledObject, ScaledObjectSpec, ScaleTriggers,
//     ...);
//  2. the CRD's OpenAPI schema and CEL rule (config/crd/bases/
//     keda.sh_scaledobjects.yaml: required fields, minimums, enums,
//     minReplicaCount <= maxReplicaCount) and ObjectMeta validation;
//  3. the admission webhook (scaledobject_webhook.go: validateWorkload and
//     the checks it runs), as far as it does not need the cluster;
//  4. what the operator does next and can fail at: building each trigger's
//     scaler from its metadata (pkg/scalers, TypedConfig), generating the
//     HPA (controllers/keda/hpa.go) and the API server's defaulting and
//     validation of that HPA;
//  5. conversion to keda.Spec with the controller's settings (Options),
//     checked by keda.New.

// The apiVersion and kind of a ScaledObject.
const (
	apiVersionKEDA   = "keda.sh/v1alpha1"
	kindScaledObject = "ScaledObject"
)

// Annotations KEDA v2.21 reads on a ScaledObject (scaledobject_types.go).
const (
	annotationPaused          = "autoscaling.keda.sh/paused"
	annotationPausedReplicas  = "autoscaling.keda.sh/paused-replicas"
	annotationPausedScaleIn   = "autoscaling.keda.sh/paused-scale-in"
	annotationPausedScaleOut  = "autoscaling.keda.sh/paused-scale-out"
	annotationForceActivation = "autoscaling.keda.sh/force-activation"
)

// Defaults KEDA v2.21 applies to a ScaledObject.
const (
	// defaultHPAMinReplicas is the HPA's minReplicas when minReplicaCount is
	// unset or 0 (GetHPAMinReplicas).
	defaultHPAMinReplicas int32 = 1
	// defaultMaxReplicaCount is maxReplicaCount when unset
	// (GetHPAMaxReplicas); the CEL rule of the CRD uses it too.
	defaultMaxReplicaCount int32 = keda.DefaultMaxReplicaCount
	// maxLabelValueLength bounds the ScaledObject and HPA names (verifyName).
	maxLabelValueLength = 63
)

// ScaledObject is one KEDA ScaledObject read from a manifest.
type ScaledObject struct {
	// Name and Namespace are the object's metadata.name and
	// metadata.namespace; Namespace is empty when the manifest sets none.
	Name, Namespace string
	// Line is the 1-based line where the object starts: the first key of its
	// document, or of its entry in the items of a List.
	Line int
	// Spec is what KEDA runs for it, accepted by keda.New.
	Spec keda.Spec
	// Queries hold what each prometheus trigger asks its server, indexed
	// like Spec.Triggers; nil for the triggers of other types.
	Queries []*PrometheusQuery
}

// ParseScaledObjects reads the YAML documents of r and returns their KEDA
// ScaledObjects (apiVersion keda.sh/v1alpha1), in order, each validated and
// converted with opt as KEDA v2.21 would: the CRD schema, the admission
// webhook, the scalers' parsing of the trigger metadata and the HPA KEDA
// generates. file names the input in error messages only.
//
// Empty documents and objects of other kinds are skipped; the items of a v1
// List are read as objects. A ScaledObject of another apiVersion is an
// error. So is any problem in any ScaledObject: the error is an *Error, or
// several joined with errors.Join, one per problem, and no ScaledObject is
// returned.
//
// Trigger types other than prometheus, metrics-api, kafka, cron, cpu and
// memory are errors. Trigger authentication (authenticationRef and the
// authentication parameters of the metadata) is accepted and not checked.
func ParseScaledObjects(file string, r io.Reader, opt Options) ([]ScaledObject, error) {
	p, err := parseDocuments(file, r, opt, kindScaledObject)
	if err != nil {
		return nil, err
	}
	return p.sos, nil
}

// Mirrors of the KEDA v2.21 API types (apis/keda/v1alpha1), with the fields
// of the CRD. Pointers stand for fields whose absence matters: required
// fields, defaults and enums of the schema.

type scaledObjectManifest struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec *scaledObjectSpec `json:"spec"`
	// Status is accepted and ignored, as on create.
	Status any `json:"status,omitempty"`
}

type scaledObjectSpec struct {
	ScaleTargetRef        *scaleTarget    `json:"scaleTargetRef"`
	PollingInterval       *int32          `json:"pollingInterval,omitempty"`
	InitialCooldownPeriod *int32          `json:"initialCooldownPeriod,omitempty"`
	CooldownPeriod        *int32          `json:"cooldownPeriod,omitempty"`
	IdleReplicaCount      *int32          `json:"idleReplicaCount,omitempty"`
	MinReplicaCount       *int32          `json:"minReplicaCount,omitempty"`
	MaxReplicaCount       *int32          `json:"maxReplicaCount,omitempty"`
	Advanced              *advancedConfig `json:"advanced,omitempty"`
	Triggers              []scaleTriggers `json:"triggers"`
	Fallback              *fallback       `json:"fallback,omitempty"`
}

type fallback struct {
	FailureThreshold *int32  `json:"failureThreshold"`
	Replicas         *int32  `json:"replicas"`
	Behavior         *string `json:"behavior,omitempty"`
}

type advancedConfig struct {
	HorizontalPodAutoscalerConfig *horizontalPodAutoscalerConfig `json:"horizontalPodAutoscalerConfig,omitempty"`
	RestoreToOriginalReplicaCount bool                           `json:"restoreToOriginalReplicaCount,omitempty"`
	ScalingModifiers              scalingModifiers               `json:"scalingModifiers,omitempty"`
}

type scalingModifiers struct {
	Formula          string                          `json:"formula,omitempty"`
	Target           string                          `json:"target,omitempty"`
	ActivationTarget string                          `json:"activationTarget,omitempty"`
	MetricType       *autoscalingv2.MetricTargetType `json:"metricType,omitempty"`
}

type horizontalPodAutoscalerConfig struct {
	Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
	Name     string                                         `json:"name,omitempty"`
}

type scaleTarget struct {
	Name                   string `json:"name"`
	APIVersion             string `json:"apiVersion,omitempty"`
	Kind                   string `json:"kind,omitempty"`
	EnvSourceContainerName string `json:"envSourceContainerName,omitempty"`
}

type scaleTriggers struct {
	Type              string                         `json:"type"`
	Name              string                         `json:"name,omitempty"`
	UseCachedMetrics  bool                           `json:"useCachedMetrics,omitempty"`
	Metadata          map[string]string              `json:"metadata"`
	AuthenticationRef *authenticationRef             `json:"authenticationRef,omitempty"`
	MetricType        autoscalingv2.MetricTargetType `json:"metricType,omitempty"`
}

type authenticationRef struct {
	Name *string `json:"name"`
	Kind *string `json:"kind,omitempty"`
}

var typeOfScaledObject = reflect.TypeFor[scaledObjectManifest]()

// usingModifiers mirrors ScaledObject.IsUsingModifiers: advanced is set and
// its scalingModifiers are not all empty.
func (s *scaledObjectSpec) usingModifiers() bool {
	if s.Advanced == nil {
		return false
	}
	m := s.Advanced.ScalingModifiers
	return m.Formula != "" || m.Target != "" || m.ActivationTarget != "" || m.MetricType != nil
}

// hpaConfig returns advanced.horizontalPodAutoscalerConfig, or nil.
func (s *scaledObjectSpec) hpaConfig() *horizontalPodAutoscalerConfig {
	if s.Advanced == nil {
		return nil
	}
	return s.Advanced.HorizontalPodAutoscalerConfig
}

// hpaMinReplicas mirrors GetHPAMinReplicas: minReplicaCount when > 0, else 1.
func (s *scaledObjectSpec) hpaMinReplicas() int32 {
	if s.MinReplicaCount != nil && *s.MinReplicaCount > 0 {
		return *s.MinReplicaCount
	}
	return defaultHPAMinReplicas
}

// hpaMaxReplicas mirrors GetHPAMaxReplicas.
func (s *scaledObjectSpec) hpaMaxReplicas() int32 {
	if s.MaxReplicaCount != nil {
		return *s.MaxReplicaCount
	}
	return defaultMaxReplicaCount
}

// isResourceTrigger reports a cpu or memory trigger, the types the webhook
// singles out.
func isResourceTrigger(typ string) bool { return typ == "cpu" || typ == "memory" }

// scaledObject decodes, validates and converts one ScaledObject.
func (p *fileParser) scaledObject(n *yaml.Node) {
	d := newStrictDecoder(p.file, &p.budget)
	v := d.walk(n, typeOfScaledObject, "", 0)
	if len(d.errs) > 0 {
		for _, e := range d.errs {
			if pe, ok := e.(*Error); ok {
				pe.Path = metadataKeyPath(pe.Path)
			}
			p.errs = append(p.errs, e)
		}
		return
	}
	aliasMetadataKeys(d.pos)
	raw, err := json.Marshal(v)
	if err == nil {
		obj := new(scaledObjectManifest)
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err = dec.Decode(obj); err == nil {
			p.convertScaledObject(n, d, obj)
			return
		}
	}
	// The walk accepts only what encoding/json decodes; this is a bug.
	p.errorf(n, "", "internal error: cannot decode the checked object: %v", err)
}

func (p *fileParser) convertScaledObject(n *yaml.Node, d *strictDecoder, obj *scaledObjectManifest) {
	spec, errs := buildScaledObject(obj, p.opt)
	if len(errs) > 0 {
		p.addLocated(n, d, len(errs), func(i int) (string, error) { return errs[i].Field, errs[i] })
		return
	}
	p.sos = append(p.sos, ScaledObject{
		Name:      obj.Name,
		Namespace: obj.Namespace,
		Line:      n.Line,
		Spec:      spec,
		Queries:   prometheusQueries(obj.Spec.Triggers),
	})
}

// Trigger metadata keys are written spec.triggers[i].metadata.key in
// messages (as KEDA's documentation names them), not in the map notation
// metadata[key] of other maps.
var metadataKeyRE = regexp.MustCompile(`^(spec\.triggers\[\d+\]\.metadata)\[(.*)\]$`)

func metadataKeyPath(path string) string {
	if m := metadataKeyRE.FindStringSubmatch(path); m != nil {
		return m[1] + "." + m[2]
	}
	return path
}

// aliasMetadataKeys indexes the trigger metadata entries under their
// message path too.
func aliasMetadataKeys(pos map[string]position) {
	for path, at := range pos {
		if alias := metadataKeyPath(path); alias != path {
			pos[alias] = at
		}
	}
}

// buildScaledObject validates a decoded ScaledObject and converts it. The
// errors carry the field path they are about; the CRD schema comes first,
// as the API server checks it before the webhook runs.
func buildScaledObject(obj *scaledObjectManifest, opt Options) (keda.Spec, field.ErrorList) {
	if errs := validateScaledObjectSchema(obj); len(errs) > 0 {
		return keda.Spec{}, errs
	}
	var errs field.ErrorList
	errs = append(errs, validateScaledObjectWebhook(obj)...)
	spec, convErrs := convertScaledObject(obj, opt)
	errs = append(errs, convErrs...)
	if len(errs) > 0 {
		return keda.Spec{}, dedupe(errs)
	}
	if _, err := keda.New(spec); err != nil {
		return keda.Spec{}, engineErrors(obj, err)
	}
	return spec, nil
}

// engineErrors reports a spec that keda.New rejects: a formula error at the
// formula, anything else (which validation should have caught) at spec.
func engineErrors(obj *scaledObjectManifest, err error) field.ErrorList {
	var fe *keda.FormulaError
	if errors.As(err, &fe) && obj.Spec.Advanced != nil {
		f := obj.Spec.Advanced.ScalingModifiers.Formula
		return field.ErrorList{field.Invalid(modifiersPath.Child("formula"), f, formulaDetail(fe.Line, fe.Column, fe.Err.Error()))}
	}
	msgs := make([]string, 0, 2)
	for _, e := range unjoin(err) {
		msg := strings.ReplaceAll(e.Error(), "\n", "; ")
		if s := obj.Spec; s.IdleReplicaCount != nil && *s.IdleReplicaCount == 0 && s.MinReplicaCount != nil && *s.MinReplicaCount == 0 &&
			strings.HasPrefix(msg, "IdleReplicaCount=") {
			return field.ErrorList{field.Invalid(specPath.Child("idleReplicaCount"), 0,
				"KEDA v2.21 accepts idleReplicaCount 0 with minReplicaCount written as 0 (CheckReplicaCountBoundsAreValid compares it with GetHPAMinReplicas, 1), "+
					"where it changes nothing, but keda.New requires idleReplicaCount < minReplicaCount; expected idleReplicaCount removed")}
		}
		msgs = append(msgs, msg)
	}
	return field.ErrorList{field.InternalError(field.NewPath("spec"), fmt.Errorf("rejected by keda.New: %s", strings.Join(msgs, "; ")))}
}

var (
	specPath      = field.NewPath("spec")
	triggersPath  = specPath.Child("triggers")
	advancedPath  = specPath.Child("advanced")
	hpaConfigPath = advancedPath.Child("horizontalPodAutoscalerConfig")
	modifiersPath = advancedPath.Child("scalingModifiers")
	fallbackPath  = specPath.Child("fallback")
)

// convertScaledObject applies KEDA's defaults and annotations, parses the
// triggers and resolves the HPA behavior.
func convertScaledObject(obj *scaledObjectManifest, opt Options) (keda.Spec, field.ErrorList) {
	var errs field.ErrorList
	s := obj.Spec
	seconds := func(v *int32, def time.Duration) time.Duration {
		if v == nil {
			return def
		}
		return time.Duration(*v) * time.Second
	}
	out := keda.Spec{
		PollingInterval:       seconds(s.PollingInterval, keda.DefaultPollingInterval),
		CooldownPeriod:        seconds(s.CooldownPeriod, keda.DefaultCooldownPeriod),
		InitialCooldownPeriod: seconds(s.InitialCooldownPeriod, keda.DefaultInitialCooldownPeriod),
		MaxReplicaCount:       s.hpaMaxReplicas(),
	}
	if s.MinReplicaCount != nil {
		out.MinReplicaCount = *s.MinReplicaCount
	}
	if s.IdleReplicaCount != nil {
		idle := *s.IdleReplicaCount
		out.IdleReplicaCount = &idle
	}

	errs = append(errs, readAnnotations(obj.Annotations, &out)...)

	usesModifiers := s.usingModifiers()
	for i := range s.Triggers {
		t, tErrs := buildTrigger(i, &s.Triggers[i], usesModifiers)
		errs = append(errs, tErrs...)
		out.Triggers = append(out.Triggers, t)
	}
	if f := s.Fallback; f != nil {
		out.Fallback = &keda.Fallback{
			FailureThreshold: *f.FailureThreshold,
			Replicas:         *f.Replicas,
			Behavior:         fallbackBehaviors[derefOr(f.Behavior, "static")],
		}
	}
	if usesModifiers {
		m := s.Advanced.ScalingModifiers
		out.Modifiers = &keda.Modifiers{
			Formula:          m.Formula,
			Target:           m.Target,
			ActivationTarget: m.ActivationTarget,
			MetricType:       externalTargetType(derefOr(m.MetricType, autoscalingv2.AverageValueMetricType)),
		}
	}

	hs, hErrs := generatedBehavior(s, out.PausedScaleIn, out.PausedScaleOut, opt)
	errs = append(errs, hErrs...)
	out.Behavior, out.Tolerance, out.LegacyDownscaleWindow = hs.Behavior, hs.Tolerance, hs.LegacyDownscaleWindow
	return out, errs
}

func derefOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// fallbackBehaviors maps the enum of spec.fallback.behavior.
var fallbackBehaviors = map[string]keda.FallbackBehavior{
	"static":                  keda.FallbackStatic,
	"currentReplicas":         keda.FallbackCurrentReplicas,
	"currentReplicasIfHigher": keda.FallbackCurrentReplicasIfHigher,
	"currentReplicasIfLower":  keda.FallbackCurrentReplicasIfLower,
	"scalingModifiers":        keda.FallbackScalingModifiers,
}

// readAnnotations sets the annotations' fields of out, mirroring
// NeedToBePausedByAnnotation, GetPausedReplicaCount, NeedToPauseScaleIn,
// NeedToPauseScaleOut and NeedToForceActivation. paused-replicas must parse
// as a 32-bit integer (the reconciler fails otherwise) and not be negative
// (the scale subresource refuses it).
func readAnnotations(ann map[string]string, out *keda.Spec) field.ErrorList {
	var errs field.ErrorList
	out.Paused = boolAnnotation(ann, annotationPaused)
	out.PausedScaleIn = boolAnnotation(ann, annotationPausedScaleIn)
	out.PausedScaleOut = boolAnnotation(ann, annotationPausedScaleOut)
	out.ForceActivation = boolAnnotation(ann, annotationForceActivation)
	if v, ok := ann[annotationPausedReplicas]; ok {
		p := field.NewPath("metadata", "annotations").Key(annotationPausedReplicas)
		n, err := strconv.ParseInt(v, 10, 32)
		switch {
		case err != nil:
			errs = append(errs, field.Invalid(p, v, "the KEDA operator fails to parse it (strconv.ParseInt(value, 10, 32)); expected a replica count such as \"0\""))
		case n < 0:
			errs = append(errs, field.Invalid(p, v, "the scale subresource rejects a negative replica count; expected an integer >= 0"))
		default:
			c := int32(n)
			out.PausedReplicas = &c
		}
	}
	return errs
}

// boolAnnotation mirrors getBoolAnnotation: absent is false, a value
// strconv.ParseBool does not read is true.
func boolAnnotation(ann map[string]string, key string) bool {
	v, ok := ann[key]
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return true
	}
	return b
}

// generatedBehavior resolves the behavior of the HPA KEDA generates
// (newHPAForScaledObject): advanced.horizontalPodAutoscalerConfig.behavior
// as written, scaleDown (paused-scale-in) or scaleUp (paused-scale-out)
// selectPolicy Disabled, then the API server's defaulting and validation of
// the HPA, and the controller's reading of it with opt.
func generatedBehavior(s *scaledObjectSpec, pausedScaleIn, pausedScaleOut bool, opt Options) (hpa.Spec, field.ErrorList) {
	var behavior *autoscalingv2.HorizontalPodAutoscalerBehavior
	if c := s.hpaConfig(); c != nil && c.Behavior != nil {
		behavior = c.Behavior.DeepCopy()
	}
	disabled := autoscalingv2.DisabledPolicySelect
	if pausedScaleIn {
		if behavior == nil {
			behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{}
		}
		if behavior.ScaleDown == nil {
			behavior.ScaleDown = &autoscalingv2.HPAScalingRules{}
		}
		behavior.ScaleDown.SelectPolicy = &disabled
	}
	if pausedScaleOut {
		if behavior == nil {
			behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{}
		}
		if behavior.ScaleUp == nil {
			behavior.ScaleUp = &autoscalingv2.HPAScalingRules{}
		}
		behavior.ScaleUp.SelectPolicy = &disabled
	}
	minReplicas := s.hpaMinReplicas()
	obj := &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
		MinReplicas: &minReplicas,
		MaxReplicas: s.hpaMaxReplicas(),
		Behavior:    behavior,
	}}
	setDefaultsBehavior(obj)
	if errs := validateBehavior(obj.Spec.Behavior, hpaConfigPath.Child("behavior")); len(errs) > 0 {
		return hpa.Spec{}, generatedHPAErrors(errs)
	}
	return toSpec(&obj.Spec, hpaConfigPath, opt)
}

// generatedHPAErrors marks API validation errors as those of the HPA KEDA
// generates, which the ScaledObject's fields end up in.
func generatedHPAErrors(errs field.ErrorList) field.ErrorList {
	for _, e := range errs {
		e.Detail = "the API server rejects the HPA KEDA generates: " + e.Detail
	}
	return errs
}
