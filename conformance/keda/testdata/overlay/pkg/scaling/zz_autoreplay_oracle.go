// This file is not part of KEDA. The autoreplay conformance suite
// (conformance/keda/run.sh) adds it to pkg/scaling with the go tool's
// -overlay flag, so that the test can run one iteration of a ScaledObject's
// scale loop at a time: checkScalers, which startScaleLoop calls every
// pollingInterval, is unexported. It only assembles a scaleHandler with
// NewScaleHandler and calls into it; all decision logic stays upstream's.

package scaling

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/scale"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	"github.com/kedacore/keda/v2/pkg/scalers/authentication"
	"github.com/kedacore/keda/v2/pkg/scaling/executor"
)

// AutoreplayOracleConfig holds the collaborators and settings of an
// AutoreplayOracle.
type AutoreplayOracleConfig struct {
	Client      client.Client
	ScaleClient scale.ScalesGetter
	Scheme      *runtime.Scheme
	Recorder    events.EventRecorder
	// GlobalHTTPTimeout is the operator's KEDA_HTTP_DEFAULT_TIMEOUT.
	GlobalHTTPTimeout time.Duration
	// KubernetesAPITimeout is the operator's --kube-api-timeout.
	KubernetesAPITimeout time.Duration
	// ExecutorDelay is how long after the start of checkScalers the
	// executor's RequestScale runs (it reads time.Now()): in a cluster the
	// scalers' queries and the API calls before it take a few milliseconds.
	ExecutorDelay time.Duration
}

// AutoreplayOracle is a scaleHandler, as NewScaleHandler builds it, with
// the scale loop of one ScaledObject run one iteration at a time.
type AutoreplayOracle struct {
	h *scaleHandler
	// obj is the scale loop's own copy of the ScaledObject: startScaleLoop
	// receives a deep copy and checkScalers reads the object into it at
	// every iteration.
	obj *kedav1alpha1.ScaledObject
	mu  sync.Mutex
	req *AutoreplayRequest
}

// AutoreplayRequest is the RequestScale call of one scale loop iteration.
type AutoreplayRequest struct {
	IsActive, IsError bool
	ActiveTriggers    []string
	Result            executor.ScaleResult
}

// NewAutoreplayOracle builds the scale handler of one ScaledObject.
func NewAutoreplayOracle(cfg AutoreplayOracleConfig, scaledObject *kedav1alpha1.ScaledObject) *AutoreplayOracle {
	h := NewScaleHandler(cfg.Client, cfg.ScaleClient, cfg.Scheme, cfg.GlobalHTTPTimeout, cfg.KubernetesAPITimeout, cfg.Recorder, &authentication.AuthClientSet{}).(*scaleHandler)
	o := &AutoreplayOracle{h: h, obj: scaledObject.DeepCopy()}
	h.scaleExecutor = &autoreplayExecutor{ScaleExecutor: h.scaleExecutor, o: o, delay: cfg.ExecutorDelay}
	return o
}

// Handler returns the scale handler: the ScaledObject reconciler's and the
// metrics service's (GetScaledObjectMetrics).
func (o *AutoreplayOracle) Handler() ScaleHandler { return o.h }

// Poll runs one iteration of the scale loop (checkScalers) and returns its
// RequestScale call, or nil if the iteration ended before it.
func (o *AutoreplayOracle) Poll(ctx context.Context) *AutoreplayRequest {
	o.req = nil
	o.h.checkScalers(ctx, o.obj, &o.mu)
	return o.req
}

type autoreplayExecutor struct {
	executor.ScaleExecutor
	o     *AutoreplayOracle
	delay time.Duration
}

func (e *autoreplayExecutor) RequestScale(ctx context.Context, scaledObject *kedav1alpha1.ScaledObject, isActive bool, isError bool, options executor.ScaleExecutorOptions) executor.ScaleResult {
	time.Sleep(e.delay)
	res := e.ScaleExecutor.RequestScale(ctx, scaledObject, isActive, isError, options)
	e.o.req = &AutoreplayRequest{IsActive: isActive, IsError: isError, ActiveTriggers: options.ActiveTriggers, Result: res}
	return res
}

// CacheState describes the scalers cache of the ScaledObject: none, the
// scale loop's object, or another copy, with the failure counts that copy
// holds.
func (o *AutoreplayOracle) CacheState() string {
	o.h.scalerCachesLock.RLock()
	defer o.h.scalerCachesLock.RUnlock()
	c, ok := o.h.scalerCaches[o.obj.GenerateIdentifier()]
	if !ok {
		return "none"
	}
	owner := "copy"
	if c.ScaledObject == o.obj {
		owner = "loop"
	}
	s := fmt.Sprintf("%s gen=%d/%d", owner, c.ScalableObjectGeneration, o.obj.Generation)
	if c.ScaledObject != nil {
		for _, m := range c.ScaledObject.Status.ExternalMetricNames {
			if h, ok := c.ScaledObject.Status.Health[m]; ok && h.NumberOfFailures != nil {
				s += fmt.Sprintf(" %s=%d", m, *h.NumberOfFailures)
			}
		}
		if len(c.ScaledObject.Status.ExternalMetricNames) == 0 {
			for m, h := range c.ScaledObject.Status.Health {
				if h.NumberOfFailures != nil {
					s += fmt.Sprintf(" %s=%d", m, *h.NumberOfFailures)
				}
			}
		}
	}
	return s
}
