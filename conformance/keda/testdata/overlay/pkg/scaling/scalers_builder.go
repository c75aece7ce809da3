// This file is not part of KEDA. The autoreplay conformance suite
// (conformance/keda/run.sh) puts it in place of pkg/scaling/scalers_builder.go
// with the go tool's -overlay flag. Upstream's buildScalers resolves the
// scale target's environment and the trigger authentication (secret stores,
// pod identities) and builds any of the ~70 scalers; this one keeps its
// shape (one ScalerBuilder per trigger, with a Factory that refreshScaler
// calls to rebuild the scaler after an error, the same ScalerConfig fields)
// but resolves nothing, and builds only the scalers the suite uses.

package scaling

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	"github.com/kedacore/keda/v2/pkg/scalers"
	"github.com/kedacore/keda/v2/pkg/scalers/scalersconfig"
	"github.com/kedacore/keda/v2/pkg/scaling/cache"
)

// buildScalers returns list of Scalers for the specified triggers
func (h *scaleHandler) buildScalers(ctx context.Context, withTriggers *kedav1alpha1.WithTriggers, _ *corev1.PodTemplateSpec, _ string, asMetricSource bool) ([]cache.ScalerBuilder, error) {
	result := make([]cache.ScalerBuilder, 0, len(withTriggers.Spec.Triggers))

	for i, t := range withTriggers.Spec.Triggers {
		triggerIndex, trigger := i, t

		factory := func(_ context.Context) (scalers.Scaler, *scalersconfig.ScalerConfig, error) {
			config := &scalersconfig.ScalerConfig{
				ScalableObjectName:      withTriggers.Name,
				ScalableObjectNamespace: withTriggers.Namespace,
				ScalableObjectType:      withTriggers.Kind,
				TriggerName:             trigger.Name,
				TriggerMetadata:         trigger.Metadata,
				TriggerType:             trigger.Type,
				TriggerUseCachedMetrics: trigger.UseCachedMetrics,
				ResolvedEnv:             map[string]string{},
				AuthParams:              map[string]string{},
				GlobalHTTPTimeout:       h.globalHTTPTimeout,
				TriggerIndex:            triggerIndex,
				MetricType:              trigger.MetricType,
				AsMetricSource:          asMetricSource,
				ScaledObject:            withTriggers,
				Recorder:                h.recorder,
				TriggerUniqueKey:        fmt.Sprintf("%s-%s-%s-%d", withTriggers.Kind, withTriggers.Namespace, withTriggers.Name, triggerIndex),
			}
			scaler, err := buildScaler(h.client, trigger.Type, config)
			return scaler, config, err
		}

		scaler, config, err := factory(ctx)
		if err != nil {
			for _, builder := range result {
				_ = builder.Scaler.Close(ctx)
			}
			return nil, err
		}
		result = append(result, cache.ScalerBuilder{
			Scaler:       scaler,
			ScalerConfig: *config,
			Factory:      factory,
		})
	}

	return result, nil
}

// buildScaler builds the scalers of upstream's buildScaler that the suite
// uses, with the same constructors.
func buildScaler(client client.Client, triggerType string, config *scalersconfig.ScalerConfig) (scalers.Scaler, error) {
	switch triggerType {
	case "cpu":
		return scalers.NewCPUMemoryScaler(corev1.ResourceCPU, config)
	case "memory":
		return scalers.NewCPUMemoryScaler(corev1.ResourceMemory, config)
	case "metrics-api":
		return scalers.NewMetricsAPIScaler(config, client)
	case "prometheus":
		return scalers.NewPrometheusScaler(config)
	default:
		return nil, fmt.Errorf("no scaler found for type: %s (not built by the conformance suite)", triggerType)
	}
}
