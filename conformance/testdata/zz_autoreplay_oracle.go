// This file is not part of Kubernetes. The conformance suite adds it to the
// vendored package k8s.io/kubernetes/pkg/controller/podautoscaler with the go
// tool's -overlay flag (see run.sh), so that the test can drive the
// controller's unexported reconcileAutoscaler one HPA at a time. It only
// assembles a HorizontalController from the collaborators it is given and
// calls into it; all decision logic stays upstream's.

package podautoscaler

import (
	"context"
	"sync"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	autoscalingclient "k8s.io/client-go/kubernetes/typed/autoscaling/v2"
	corelisters "k8s.io/client-go/listers/core/v1"
	scaleclient "k8s.io/client-go/scale"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	metricsclient "k8s.io/kubernetes/pkg/controller/podautoscaler/metrics"
	"k8s.io/kubernetes/pkg/controller/podautoscaler/monitor"
	consistencyutil "k8s.io/kubernetes/pkg/controller/util/consistency"
	"k8s.io/kubernetes/pkg/controller/util/selectors"
	"k8s.io/kubernetes/pkg/features"
)

// AutoreplayOracleConfig holds the collaborators and the controller flags of
// an AutoreplayOracle.
type AutoreplayOracleConfig struct {
	// Scales serves and updates the target's scale subresource.
	Scales scaleclient.ScalesGetter
	// HPAs receives the HPA status updates.
	HPAs autoscalingclient.HorizontalPodAutoscalersGetter
	// Mapper maps the scale target's kind to its resource.
	Mapper apimeta.RESTMapper
	// Metrics serves the metric readings.
	Metrics metricsclient.MetricsClient
	// Pods lists the target's pods.
	Pods corelisters.PodLister
	// Recorder receives the controller's events; nil means a FakeRecorder
	// without a channel, which drops them.
	Recorder record.EventRecorder

	// Tolerance is --horizontal-pod-autoscaler-tolerance.
	Tolerance float64
	// DownscaleStabilisationWindow is
	// --horizontal-pod-autoscaler-downscale-stabilization.
	DownscaleStabilisationWindow time.Duration
	// CPUInitializationPeriod is
	// --horizontal-pod-autoscaler-cpu-initialization-period.
	CPUInitializationPeriod time.Duration
	// DelayOfInitialReadinessStatus is
	// --horizontal-pod-autoscaler-initial-readiness-delay.
	DelayOfInitialReadinessStatus time.Duration
}

// AutoreplayOracle is a HorizontalController wired the way
// NewHorizontalController wires it, minus the informers, the work queue and
// the event broadcaster: it starts no goroutine, so it can live inside a
// testing/synctest bubble.
type AutoreplayOracle struct {
	c *HorizontalController
}

// NewAutoreplayOracle builds the controller.
func NewAutoreplayOracle(cfg AutoreplayOracleConfig) *AutoreplayOracle {
	recorder := cfg.Recorder
	if recorder == nil {
		recorder = &record.FakeRecorder{}
	}
	c := &HorizontalController{
		eventRecorder:                recorder,
		scaleNamespacer:              cfg.Scales,
		hpaNamespacer:                cfg.HPAs,
		tolerance:                    cfg.Tolerance,
		downscaleStabilisationWindow: cfg.DownscaleStabilisationWindow,
		monitor:                      monitor.New(),
		mapper:                       cfg.Mapper,
		podLister:                    cfg.Pods,
		hpaListerSynced:              func() bool { return true },
		podListerSynced:              func() bool { return true },
		recommendations:              map[string][]timestampedRecommendation{},
		recommendationsLock:          sync.Mutex{},
		scaleUpEvents:                map[string][]timestampedScaleEvent{},
		scaleUpEventsLock:            sync.RWMutex{},
		scaleDownEvents:              map[string][]timestampedScaleEvent{},
		scaleDownEventsLock:          sync.RWMutex{},
		consistencyStore:             consistencyutil.NewNoopConsistencyStore(),
	}
	if utilfeature.DefaultFeatureGate.Enabled(features.HPAOptimizedSelectorStore) {
		c.selectorTracker = newHPASelectorStore()
	} else {
		c.selectorTracker = newBiMultimapSelectorTracker()
	}
	c.replicaCalc = NewReplicaCalculator(cfg.Metrics, cfg.Pods, cfg.CPUInitializationPeriod, cfg.DelayOfInitialReadinessStatus)
	monitor.Register()
	return &AutoreplayOracle{c: c}
}

// AutoreplayKey returns the work-queue key of an HPA.
func AutoreplayKey(hpa *autoscalingv2.HorizontalPodAutoscaler) string {
	key, _ := cache.MetaNamespaceKeyFunc(hpa)
	return key
}

// Track registers the HPA in the selector tracker with the Nothing selector,
// as enqueueHPA does when the informer first delivers it; without it
// validateAndParseSelector reports the HPA as deleted.
func (o *AutoreplayOracle) Track(hpa *autoscalingv2.HorizontalPodAutoscaler) {
	key := selectors.Key{Name: hpa.Name, Namespace: hpa.Namespace}
	o.c.selectorTracker.PutIfAbsent(hpa.Namespace, key, labels.Nothing())
}

// Reconcile runs one reconcileAutoscaler for the HPA, as the worker does for
// the HPA's key. The controller never mutates hpa; its writes go to the scale
// and HPA clients of the config. The error is reconcileAutoscaler's.
func (o *AutoreplayOracle) Reconcile(ctx context.Context, hpa *autoscalingv2.HorizontalPodAutoscaler) error {
	return o.c.reconcileAutoscaler(ctx, hpa, AutoreplayKey(hpa))
}
