package manifest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateScaledObjectSchema mirrors what the API server checks on create
// before the webhook: ObjectMeta (as for any namespaced custom resource,
// names are DNS subdomains; an object without a namespace is validated as
// if in "default") and the OpenAPI schema of the ScaledObject CRD of v2.21
// (keda.sh_scaledobjects.yaml, from the kubebuilder markers of
// scaledobject_types.go and scaletriggers_types.go): required fields,
// minimums, minLength/minItems, enums and the CEL rule on spec. The types
// of the fields were checked by the strict decoding.
func validateScaledObjectSchema(obj *scaledObjectManifest) field.ErrorList {
	meta := obj.ObjectMeta
	if meta.Namespace == "" {
		meta.Namespace = "default"
	}
	errs := apimachineryvalidation.ValidateObjectMeta(&meta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	s := obj.Spec
	if s == nil {
		return append(errs, field.Required(specPath, "a ScaledObject needs a spec with scaleTargetRef and triggers"))
	}
	if s.ScaleTargetRef == nil {
		errs = append(errs, field.Required(specPath.Child("scaleTargetRef"), "expected the workload to scale, e.g. {name: my-deployment}"))
	} else if s.ScaleTargetRef.Name == "" {
		errs = append(errs, field.Required(specPath.Child("scaleTargetRef", "name"), "should be at least 1 chars long"))
	}
	minimum := func(name string, v *int32, low int32) {
		if v != nil && *v < low {
			errs = append(errs, field.Invalid(specPath.Child(name), *v, fmt.Sprintf("should be greater than or equal to %d", low)))
		}
	}
	minimum("pollingInterval", s.PollingInterval, 1)
	minimum("initialCooldownPeriod", s.InitialCooldownPeriod, 0)
	minimum("cooldownPeriod", s.CooldownPeriod, 0)
	minimum("idleReplicaCount", s.IdleReplicaCount, 0)
	minimum("minReplicaCount", s.MinReplicaCount, 0)
	minimum("maxReplicaCount", s.MaxReplicaCount, 1)
	// x-kubernetes-validations on spec.
	if s.MinReplicaCount != nil && *s.MinReplicaCount > s.hpaMaxReplicas() {
		errs = append(errs, field.Invalid(specPath.Child("minReplicaCount"), *s.MinReplicaCount,
			fmt.Sprintf("minReplicaCount must be less than or equal to maxReplicaCount (%d)", s.hpaMaxReplicas())))
	}
	if s.Advanced != nil {
		if mt := s.Advanced.ScalingModifiers.MetricType; mt != nil && *mt != autoscalingv2.AverageValueMetricType && *mt != autoscalingv2.ValueMetricType {
			errs = append(errs, field.NotSupported(modifiersPath.Child("metricType"), *mt, []string{"AverageValue", "Value"}))
		}
	}
	if s.Triggers == nil {
		errs = append(errs, field.Required(triggersPath, "expected at least one trigger"))
	} else if len(s.Triggers) == 0 {
		errs = append(errs, field.Invalid(triggersPath, 0, "should have at least 1 items"))
	}
	for i, t := range s.Triggers {
		p := triggersPath.Index(i)
		if t.Type == "" {
			errs = append(errs, field.Required(p.Child("type"), "should be at least 1 chars long; expected one of: "+strings.Join(supportedTriggerTypes, ", ")))
		}
		if t.Metadata == nil {
			errs = append(errs, field.Required(p.Child("metadata"), "every trigger needs metadata (use {} for none)"))
		}
		if a := t.AuthenticationRef; a != nil {
			if a.Name == nil {
				errs = append(errs, field.Required(p.Child("authenticationRef", "name"), ""))
			}
			if a.Kind != nil && *a.Kind != "TriggerAuthentication" && *a.Kind != "ClusterTriggerAuthentication" {
				errs = append(errs, field.NotSupported(p.Child("authenticationRef", "kind"), *a.Kind, []string{"TriggerAuthentication", "ClusterTriggerAuthentication"}))
			}
		}
	}
	if f := s.Fallback; f != nil {
		if f.FailureThreshold == nil {
			errs = append(errs, field.Required(fallbackPath.Child("failureThreshold"), ""))
		} else if *f.FailureThreshold < 0 {
			errs = append(errs, field.Invalid(fallbackPath.Child("failureThreshold"), *f.FailureThreshold, "should be greater than or equal to 0"))
		}
		if f.Replicas == nil {
			errs = append(errs, field.Required(fallbackPath.Child("replicas"), ""))
		} else if *f.Replicas < 0 {
			errs = append(errs, field.Invalid(fallbackPath.Child("replicas"), *f.Replicas, "should be greater than or equal to 0"))
		}
		if f.Behavior != nil {
			if _, ok := fallbackBehaviors[*f.Behavior]; !ok {
				errs = append(errs, field.NotSupported(fallbackPath.Child("behavior"), *f.Behavior,
					[]string{"static", "currentReplicas", "currentReplicasIfHigher", "currentReplicasIfLower", "scalingModifiers"}))
			}
		}
	}
	return errs
}

// validateScaledObjectWebhook mirrors validateWorkload of the admission
// webhook of v2.21 (scaledobject_webhook.go), which stops at the first
// failing check (in map order); all failures are reported here:
//
//   - verifyName;
//   - verifyReplicaCount (CheckReplicaCountBoundsAreValid);
//   - verifyTriggers (ValidateTriggers);
//   - verifyFallback (CheckFallbackValid);
//   - verifyScaledObjects: ValidateAndCompileScalingModifiers and the
//     scalingModifiers fallback behavior's need of a formula (its
//     cluster lookups for other ScaledObjects are not made);
//   - verifyCPUMemoryScalers: its check that cpu/memory-only
//     ScaledObjects keep a minReplicaCount > 0 (for a Deployment or
//     StatefulSet target, the only ones it reads); the workload's resource
//     requests it also checks are not known here.
//
// verifyHpas needs the cluster and is not mirrored. The webhook's warnings
// (pollingInterval or cooldownPeriod set but not relevant) are not errors.
func validateScaledObjectWebhook(obj *scaledObjectManifest) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, verifyName(obj)...)
	errs = append(errs, checkReplicaCountBoundsAreValid(obj.Spec)...)
	errs = append(errs, validateTriggers(obj.Spec.Triggers)...)
	errs = append(errs, checkFallbackValid(obj.Spec)...)
	if obj.Spec.usingModifiers() {
		errs = append(errs, validateAndCompileScalingModifiers(obj.Spec)...)
	}
	if f := obj.Spec.Fallback; f != nil && derefOr(f.Behavior, "") == "scalingModifiers" {
		if !obj.Spec.usingModifiers() || obj.Spec.Advanced.ScalingModifiers.Formula == "" {
			errs = append(errs, field.Invalid(fallbackPath.Child("behavior"), *f.Behavior,
				"scalingModifiers fallback behavior requires scalingModifiers.formula to be defined"))
		}
	}
	errs = append(errs, verifyCPUMemoryScalers(obj.Spec)...)
	errs = append(errs, validateGeneratedHPAMeta(obj)...)
	return errs
}

// verifyName mirrors verifyName: the ScaledObject name and the HPA name
// (getHpaName: horizontalPodAutoscalerConfig.name, else keda-hpa-<name>)
// are label values, at most 63 characters.
func verifyName(obj *scaledObjectManifest) field.ErrorList {
	var errs field.ErrorList
	if len(obj.Name) > maxLabelValueLength {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), obj.Name, fmt.Sprintf(
			"scaledobject name %q is %d characters long; must be no more than %d characters because it is used as the %q label value",
			obj.Name, len(obj.Name), maxLabelValueLength, "scaledobject.keda.sh/name")))
		return errs
	}
	name, p := hpaName(obj)
	if len(name) > maxLabelValueLength {
		errs = append(errs, field.Invalid(p, name, fmt.Sprintf(
			"HPA name %q derived from scaledobject is %d characters long; must be no more than %d characters; set spec.advanced.horizontalPodAutoscalerConfig.name to a shorter name or shorten the scaledobject name",
			name, len(name), maxLabelValueLength)))
	}
	return errs
}

// hpaName mirrors getHpaName, with the field the name comes from.
func hpaName(obj *scaledObjectManifest) (string, *field.Path) {
	if c := obj.Spec.hpaConfig(); c != nil && c.Name != "" {
		return c.Name, hpaConfigPath.Child("name")
	}
	return "keda-hpa-" + obj.Name, field.NewPath("metadata", "name")
}

// validateGeneratedHPAMeta checks the parts of the HPA KEDA generates that
// come from the ScaledObject's own fields and that the API server
// validates: a custom HPA name (a DNS subdomain) and the scale target
// (ParseGVKR's defaults apps/v1 and Deployment, then
// ValidateCrossVersionObjectReference).
func validateGeneratedHPAMeta(obj *scaledObjectManifest) field.ErrorList {
	var errs field.ErrorList
	if c := obj.Spec.hpaConfig(); c != nil && c.Name != "" {
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(c.Name, false) {
			errs = append(errs, field.Invalid(hpaConfigPath.Child("name"), c.Name, "the API server rejects the HPA KEDA generates: "+msg))
		}
	}
	ref := obj.Spec.ScaleTargetRef
	target := autoscalingv2.CrossVersionObjectReference{Name: ref.Name, APIVersion: ref.APIVersion, Kind: ref.Kind}
	if target.APIVersion == "" {
		target.APIVersion = "apps/v1"
	}
	if target.Kind == "" {
		target.Kind = "Deployment"
	}
	refErrs := validateCrossVersionObjectReference(target, specPath.Child("scaleTargetRef"), refOptions{allowEmptyAPIGroup: target.Kind == "ReplicationController"})
	return append(errs, generatedHPAErrors(refErrs)...)
}

// checkReplicaCountBoundsAreValid mirrors CheckReplicaCountBoundsAreValid:
// the minimum is GetHPAMinReplicas when minReplicaCount is set (so a
// written 0 counts as 1) and 0 when unset; it must not exceed the maximum,
// and idleReplicaCount must be below it.
func checkReplicaCountBoundsAreValid(s *scaledObjectSpec) field.ErrorList {
	var errs field.ErrorList
	minReplicas := int32(0)
	if s.MinReplicaCount != nil {
		minReplicas = s.hpaMinReplicas()
	}
	maxReplicas := s.hpaMaxReplicas()
	if minReplicas > maxReplicas {
		errs = append(errs, field.Invalid(specPath.Child("minReplicaCount"), minReplicas,
			fmt.Sprintf("MinReplicaCount=%d must be less than MaxReplicaCount=%d", minReplicas, maxReplicas)))
	}
	if s.IdleReplicaCount != nil && *s.IdleReplicaCount >= minReplicas {
		errs = append(errs, field.Invalid(specPath.Child("idleReplicaCount"), *s.IdleReplicaCount,
			fmt.Sprintf("IdleReplicaCount=%d must be less than MinReplicaCount=%d", *s.IdleReplicaCount, minReplicas)))
	}
	return errs
}

// validateTriggers mirrors ValidateTriggers: at least one trigger, no
// useCachedMetrics on cpu, memory or cron triggers, names unique.
func validateTriggers(triggers []scaleTriggers) field.ErrorList {
	var errs field.ErrorList
	if len(triggers) == 0 {
		return append(errs, field.Required(triggersPath, "no triggers defined in the ScaledObject/ScaledJob"))
	}
	seen := make(map[string]bool, len(triggers))
	for i, t := range triggers {
		if t.UseCachedMetrics && (isResourceTrigger(t.Type) || t.Type == "cron") {
			errs = append(errs, field.Invalid(triggersPath.Index(i).Child("useCachedMetrics"), true,
				fmt.Sprintf("property \"useCachedMetrics\" is not supported for %q scaler", t.Type)))
		}
		if t.Name != "" {
			if seen[t.Name] {
				errs = append(errs, field.Invalid(triggersPath.Index(i).Child("name"), t.Name,
					fmt.Sprintf("triggerName %q is defined multiple times in the ScaledObject/ScaledJob, but it must be unique", t.Name)))
			}
			seen[t.Name] = true
		}
	}
	return errs
}

// checkFallbackValid mirrors CheckFallbackValid: failureThreshold and
// replicas >= 0 and, without scalingModifiers, at least one trigger that is
// not cpu or memory. (Its message speaks of the AverageValue type, which
// v2.21 no longer requires: metricType Value is accepted.)
func checkFallbackValid(s *scaledObjectSpec) field.ErrorList {
	f := s.Fallback
	if f == nil {
		return nil
	}
	var errs field.ErrorList
	if *f.FailureThreshold < 0 || *f.Replicas < 0 {
		errs = append(errs, field.Invalid(fallbackPath, fmt.Sprintf("%d/%d", *f.FailureThreshold, *f.Replicas),
			fmt.Sprintf("FailureThreshold=%d & Replicas=%d must both be greater than or equal to 0", *f.FailureThreshold, *f.Replicas)))
	}
	if !s.usingModifiers() && !slices.ContainsFunc(s.Triggers, func(t scaleTriggers) bool { return !isResourceTrigger(t.Type) }) {
		errs = append(errs, field.Forbidden(fallbackPath,
			"at least one trigger (that is not cpu or memory) has to have the `AverageValue` type for the fallback to be enabled"))
	}
	return errs
}

// verifyCPUMemoryScalers mirrors the scale-to-zero check of
// verifyCPUMemoryScalers: a ScaledObject whose triggers are all cpu/memory
// cannot scale to zero, so minReplicaCount must be set and > 0. The webhook
// makes the check only for a Deployment or StatefulSet of apps/v1 (it
// returns early for other targets) and only when it has found the
// workload, which is assumed.
func verifyCPUMemoryScalers(s *scaledObjectSpec) field.ErrorList {
	if !slices.ContainsFunc(s.Triggers, func(t scaleTriggers) bool { return isResourceTrigger(t.Type) }) {
		return nil
	}
	apiVersion, kind := s.ScaleTargetRef.APIVersion, s.ScaleTargetRef.Kind
	if apiVersion == "" {
		apiVersion = "apps/v1"
	}
	if kind == "" {
		kind = "Deployment"
	}
	if apiVersion != "apps/v1" || (kind != "Deployment" && kind != "StatefulSet") {
		return nil
	}
	if slices.ContainsFunc(s.Triggers, func(t scaleTriggers) bool { return !isResourceTrigger(t.Type) }) {
		return nil
	}
	const msg = "scaledobject has only cpu/memory triggers AND minReplica is 0 (scale to zero doesn't work in this case); expected minReplicaCount >= 1"
	switch {
	case s.MinReplicaCount == nil:
		return field.ErrorList{field.Required(specPath.Child("minReplicaCount"), msg)}
	case *s.MinReplicaCount == 0:
		return field.ErrorList{field.Invalid(specPath.Child("minReplicaCount"), 0, msg)}
	}
	return nil
}

// castToFloatIfNecessary mirrors the webhook's function: the formula is
// wrapped in float(...) unless it starts with float(; one with ?? may
// evaluate to nil.
func castToFloatIfNecessary(formula string) string {
	if strings.Contains(formula, "??") {
		if strings.HasPrefix(formula, "let _kedaCompositeResult = ") {
			return formula
		}
		return fmt.Sprintf("let _kedaCompositeResult = (%s); _kedaCompositeResult == nil ? nil : float(_kedaCompositeResult)", formula)
	}
	if strings.HasPrefix(formula, "float(") {
		return formula
	}
	return "float(" + formula + ")"
}

// validateAndCompileScalingModifiers mirrors
// ValidateAndCompileScalingModifiers (validateScalingModifiersFormula,
// validateScalingModifiersTarget): formula mandatory; a target; the formula,
// wrapped by castToFloatIfNecessary, compiles against the named triggers
// that are not cpu/memory and runs with each at -1; the target parses as a
// float > 0. It adds what the operator then needs: the HPA's composite
// target int64(target×1000) must be a positive milli-quantity
// (getScaledObjectMetricSpecs), and activationTarget must parse as a float
// (getScaledObjectState fails every poll otherwise).
func validateAndCompileScalingModifiers(s *scaledObjectSpec) field.ErrorList {
	var errs field.ErrorList
	sm := s.Advanced.ScalingModifiers
	if sm.Formula == "" {
		errs = append(errs, field.Required(modifiersPath.Child("formula"), "error ScalingModifiers.Formula is mandatory"))
	} else if sm.Target == "" {
		errs = append(errs, field.Required(modifiersPath.Child("target"), "error validating formula in ScalingModifiers: formula is given but target is empty"))
	} else {
		env := make(map[string]float64)
		for _, t := range s.Triggers {
			if !isResourceTrigger(t.Type) && t.Name != "" {
				env[t.Name] = -1
			}
		}
		wrapped := castToFloatIfNecessary(sm.Formula)
		program, err := expr.Compile(wrapped, expr.Env(env))
		if err == nil {
			_, err = expr.Run(program, env)
		}
		if err != nil {
			line, col, msg := 0, 0, err.Error()
			var fe *file.Error
			if errors.As(err, &fe) {
				line, col = formulaPosition(sm.Formula, wrapped, fe.Line, fe.Column+1)
				msg = fe.Message
			}
			errs = append(errs, field.Invalid(modifiersPath.Child("formula"), sm.Formula,
				"error validating formula in ScalingModifiers: "+formulaDetail(line, col, msg)))
		}
	}
	if sm.Target != "" {
		p := modifiersPath.Child("target")
		num, err := strconv.ParseFloat(sm.Target, 64)
		switch {
		case err != nil || num <= 0:
			msg := "error converting target for scalingModifiers (string->float) to valid target"
			if err != nil {
				msg += ": " + err.Error()
			}
			errs = append(errs, field.Invalid(p, sm.Target, "error validating target in ScalingModifiers: "+msg))
		case num != num || num*1000 >= 1<<63:
			errs = append(errs, field.Invalid(p, sm.Target,
				"the webhook accepts it, but int64(target*1000), the composite metric's milli-value target, is not defined; expected a finite number below 9.2e15"))
		case int64(num*1000) <= 0:
			errs = append(errs, field.Invalid(p, sm.Target, fmt.Sprintf(
				"the webhook accepts it, but the composite metric's target int64(target*1000) = %dm, which the API server rejects for the HPA KEDA generates: must be positive; expected a target >= 0.001", int64(num*1000))))
		}
	}
	if sm.ActivationTarget != "" {
		if _, err := strconv.ParseFloat(sm.ActivationTarget, 64); err != nil {
			errs = append(errs, field.Invalid(modifiersPath.Child("activationTarget"), sm.ActivationTarget,
				"scalingModifiers.ActivationTarget parsing error "+err.Error()+" (KEDA fails every poll); expected a number"))
		}
	}
	return errs
}

// formulaPosition translates a position expr reports in the wrapped
// formula into the formula as written (column 0 when unknown).
func formulaPosition(formula, wrapped string, line, col int) (int, int) {
	if line == 1 {
		col -= strings.Index(wrapped, formula)
	}
	return line, max(col, 0)
}

// formulaDetail describes a formula error at a position of the formula as
// written.
func formulaDetail(line, col int, msg string) string {
	switch {
	case line > 0 && col > 0:
		return fmt.Sprintf("%s (line %d, column %d of the formula)", msg, line, col)
	case line > 0:
		return fmt.Sprintf("%s (line %d of the formula)", msg, line)
	}
	return msg
}
