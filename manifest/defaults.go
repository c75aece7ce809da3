package manifest

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
)

// API defaulting of autoscaling/v2 HorizontalPodAutoscaler, as the API server
// of Kubernetes v1.37 applies it on create (pkg/apis/autoscaling/v2/defaults.go).

// defaultCPUUtilization is autoscaling.DefaultCPUUtilization.
const defaultCPUUtilization = 80

// defaultScaleUpRules returns a fresh copy of defaultHPAScaleUpRules: no
// stabilization, the larger of 4 pods or 100 % per 15 s.
func defaultScaleUpRules() *autoscalingv2.HPAScalingRules {
	window := int32(0)
	maxPolicy := autoscalingv2.MaxChangePolicySelect
	return &autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: &window,
		SelectPolicy:               &maxPolicy,
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
}

// defaultScaleDownRules returns a fresh copy of defaultHPAScaleDownRules:
// 100 % per 15 s, and no stabilization window, which the controller replaces
// by its --horizontal-pod-autoscaler-downscale-stabilization.
func defaultScaleDownRules() *autoscalingv2.HPAScalingRules {
	maxPolicy := autoscalingv2.MaxChangePolicySelect
	return &autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: nil,
		SelectPolicy:               &maxPolicy,
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
}

// setDefaults mirrors SetDefaults_HorizontalPodAutoscaler: minReplicas
// defaults to 1, an empty metric list to cpu at 80 % utilization, and the
// behavior is filled by setDefaultsBehavior. It is idempotent.
func setDefaults(obj *autoscalingv2.HorizontalPodAutoscaler) {
	if obj.Spec.MinReplicas == nil {
		one := int32(1)
		obj.Spec.MinReplicas = &one
	}
	if len(obj.Spec.Metrics) == 0 {
		utilization := int32(defaultCPUUtilization)
		obj.Spec.Metrics = []autoscalingv2.MetricSpec{{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU,
				Target: autoscalingv2.MetricTarget{
					Type:               autoscalingv2.UtilizationMetricType,
					AverageUtilization: &utilization,
				},
			},
		}}
	}
	setDefaultsBehavior(obj)
}

// setDefaultsBehavior mirrors SetDefaults_HorizontalPodAutoscalerBehavior: a
// nil behavior stays nil (the controller then takes its legacy path), any
// behavior, even `{}`, gets both directions filled field by field.
func setDefaultsBehavior(obj *autoscalingv2.HorizontalPodAutoscaler) {
	if obj.Spec.Behavior != nil {
		obj.Spec.Behavior.ScaleUp = generateScaleUpRules(obj.Spec.Behavior.ScaleUp)
		obj.Spec.Behavior.ScaleDown = generateScaleDownRules(obj.Spec.Behavior.ScaleDown)
	}
}

// generateScaleUpRules mirrors GenerateHPAScaleUpRules.
func generateScaleUpRules(rules *autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	return copyScalingRules(rules, defaultScaleUpRules())
}

// generateScaleDownRules mirrors GenerateHPAScaleDownRules; the result's
// StabilizationWindowSeconds stays nil unless rules sets it.
func generateScaleDownRules(rules *autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	return copyScalingRules(rules, defaultScaleDownRules())
}

// copyScalingRules mirrors copyHPAScalingRules: every non-nil field of from
// replaces the default in to. A policies list, even an empty one, replaces
// the default list wholesale.
func copyScalingRules(from, to *autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	if from == nil {
		return to
	}
	if from.SelectPolicy != nil {
		to.SelectPolicy = from.SelectPolicy
	}
	if from.StabilizationWindowSeconds != nil {
		to.StabilizationWindowSeconds = from.StabilizationWindowSeconds
	}
	if from.Policies != nil {
		to.Policies = from.Policies
	}
	if from.Tolerance != nil {
		to.Tolerance = from.Tolerance
	}
	return to
}
