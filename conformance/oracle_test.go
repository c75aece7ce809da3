package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakeautoscalingv2 "k8s.io/client-go/kubernetes/typed/autoscaling/v2/fake"
	corelisters "k8s.io/client-go/listers/core/v1"
	scalefake "k8s.io/client-go/scale/fake"
	core "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/pkg/controller/podautoscaler"
	metricsclient "k8s.io/kubernetes/pkg/controller/podautoscaler/metrics"

	"github.com/autoreplay/autoreplay/hpa"
)

const (
	namespace  = "conformance"
	targetName = "web"
	container  = "app"
	// podRequestMilli is every pod's cpu and memory request, so that a ready
	// pod using Observation.Milli milli-units has a utilization of
	// Milli/1000 percent, as the engine models it.
	podRequestMilli = 100_000
)

var errMetricUnavailable = errors.New("conformance: metric unavailable at this tick")

// cluster is the world the upstream controller observes through its fake
// clients: the scale subresource of one Deployment, its pods, and the
// metric readings of the current tick.
type cluster struct {
	sc    *scenario
	start time.Time // pods started and became ready an hour before

	target hpa.Target
	obs    []hpa.Observation

	pods    cache.Indexer
	podList corelisters.PodLister
	podObjs map[string]*corev1.Pod // by name, the pod last put in the indexer

	scales   *scalefake.FakeScaleClient
	hpas     *fakeautoscalingv2.FakeAutoscalingV2
	recorder *record.FakeRecorder
	oracle   *podautoscaler.AutoreplayOracle

	// Per reconcile.
	written    *int32
	statusSeen *autoscalingv2.HorizontalPodAutoscalerStatus
}

func newCluster(sc *scenario, start time.Time) *cluster {
	c := &cluster{sc: sc, start: start, podObjs: map[string]*corev1.Pod{}}
	c.pods = cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	c.podList = corelisters.NewPodLister(c.pods)

	c.scales = &scalefake.FakeScaleClient{}
	c.scales.AddReactor("get", "deployments", func(core.Action) (bool, runtime.Object, error) {
		return true, &autoscalingv1.Scale{
			ObjectMeta: metav1.ObjectMeta{Name: targetName, Namespace: namespace},
			Spec:       autoscalingv1.ScaleSpec{Replicas: c.target.Replicas},
			Status:     autoscalingv1.ScaleStatus{Replicas: c.target.StatusReplicas, Selector: "app=" + targetName},
		}, nil
	})
	c.scales.AddReactor("update", "deployments", func(a core.Action) (bool, runtime.Object, error) {
		s := a.(core.UpdateAction).GetObject().(*autoscalingv1.Scale)
		n := s.Spec.Replicas
		c.written = &n
		return true, s, nil
	})
	c.hpas = &fakeautoscalingv2.FakeAutoscalingV2{Fake: &core.Fake{}}
	c.hpas.AddReactor("update", "horizontalpodautoscalers", func(a core.Action) (bool, runtime.Object, error) {
		h := a.(core.UpdateAction).GetObject().(*autoscalingv2.HorizontalPodAutoscaler)
		st := *h.Status.DeepCopy()
		c.statusSeen = &st
		return true, h, nil
	})

	// Buffered beyond the events of one reconcile (one per failed metric,
	// one for the outcome); drained after each.
	c.recorder = record.NewFakeRecorder(64)

	mapper := apimeta.NewDefaultRESTMapper([]schema.GroupVersion{{Group: "apps", Version: "v1"}})
	mapper.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, apimeta.RESTScopeNamespace)

	c.oracle = podautoscaler.NewAutoreplayOracle(podautoscaler.AutoreplayOracleConfig{
		Scales:                        c.scales,
		HPAs:                          c.hpas,
		Mapper:                        mapper,
		Metrics:                       &fakeMetrics{c: c},
		Pods:                          c.podList,
		Recorder:                      c.recorder,
		Tolerance:                     sc.tolerance,
		DownscaleStabilisationWindow:  sc.window,
		CPUInitializationPeriod:       5 * time.Minute,  // the flag's default
		DelayOfInitialReadinessStatus: 30 * time.Second, // the flag's default
	})
	return c
}

// newHPA returns the HPA object of the scenario with the given status.
func (c *cluster) newHPA(status autoscalingv2.HorizontalPodAutoscalerStatus) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "hpa", Namespace: namespace, UID: "c0ffee", Generation: 1},
		Spec:       *c.sc.api.DeepCopy(),
		Status:     status,
	}
}

func (c *cluster) pod(i int, ready bool) *corev1.Pod {
	started := metav1.NewTime(c.start.Add(-time.Hour))
	reqs := corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewMilliQuantity(podRequestMilli, resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewMilliQuantity(podRequestMilli, resource.BinarySI),
	}
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: targetName + "-" + strconv.Itoa(i), Namespace: namespace, Labels: map[string]string{"app": targetName}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: container, Resources: corev1.ResourceRequirements{Requests: reqs}},
		}},
	}
	if ready {
		// Ready long before the bubble's clock started: past the CPU
		// initialization period and the initial readiness delay.
		p.Status = corev1.PodStatus{
			Phase:      corev1.PodRunning,
			StartTime:  &started,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: started}},
		}
	} else {
		p.Status = corev1.PodStatus{
			Phase:      corev1.PodPending,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse, LastTransitionTime: started}},
		}
	}
	return p
}

// syncPods makes the pod lister hold StatusReplicas pods, the first
// ReadyReplicas of them Running and Ready, the rest Pending.
func (c *cluster) syncPods() {
	n, ready := int(c.target.StatusReplicas), int(c.target.ReadyReplicas)
	for i := 0; i < n; i++ {
		name := targetName + "-" + strconv.Itoa(i)
		isReady := i < ready
		if old, ok := c.podObjs[name]; ok && (old.Status.Phase == corev1.PodRunning) == isReady {
			continue
		}
		p := c.pod(i, isReady)
		c.podObjs[name] = p
		if err := c.pods.Update(p); err != nil {
			panic(err)
		}
	}
	for i := n; ; i++ {
		name := targetName + "-" + strconv.Itoa(i)
		p, ok := c.podObjs[name]
		if !ok {
			break
		}
		delete(c.podObjs, name)
		if err := c.pods.Delete(p); err != nil {
			panic(err)
		}
	}
}

// readyPodNames lists the pods that report metrics.
func (c *cluster) readyPodNames() []string {
	names := make([]string, c.target.ReadyReplicas)
	for i := range names {
		names[i] = targetName + "-" + strconv.Itoa(i)
	}
	return names
}

// oracleResult is what the upstream controller did at one reconcile.
type oracleResult struct {
	rescaled bool
	desired  int32
	reason   string // of the SuccessfulRescale event
	status   autoscalingv2.HorizontalPodAutoscalerStatus
	err      error
}

var discardCtx = klog.NewContext(context.Background(), logr.Discard())

// reconcile serves the tick's state and runs one reconcileAutoscaler.
func (c *cluster) reconcile(status autoscalingv2.HorizontalPodAutoscalerStatus) oracleResult {
	c.syncPods()
	c.written, c.statusSeen = nil, nil
	c.scales.ClearActions()
	c.hpas.ClearActions()
	h := c.newHPA(status)
	c.oracle.Track(h)
	err := c.oracle.Reconcile(discardCtx, h)
	res := oracleResult{desired: c.target.Replicas, status: status, err: err}
	if c.written != nil {
		res.rescaled, res.desired = true, *c.written
	}
	if c.statusSeen != nil {
		res.status = *c.statusSeen
	}
	for len(c.recorder.Events) > 0 {
		e := <-c.recorder.Events
		if msg, ok := strings.CutPrefix(e, "Normal SuccessfulRescale New size: "); ok {
			_, res.reason, _ = strings.Cut(msg, "; reason: ")
		}
	}
	return res
}

// fakeMetrics serves the tick's observations in the shape hpa/metrics.go
// reads them: one series per External metric, one value per Object metric,
// and the same value for every ready pod for Pods, Resource and
// ContainerResource metrics; Pending pods report nothing.
type fakeMetrics struct{ c *cluster }

var _ metricsclient.MetricsClient = (*fakeMetrics)(nil)

func (f *fakeMetrics) find(match func(i int, m hpa.Metric) bool) (hpa.Observation, error) {
	for i, m := range f.c.sc.spec.Metrics {
		if match(i, m) {
			o := f.c.obs[i]
			if o.Failed {
				return o, errMetricUnavailable
			}
			return o, nil
		}
	}
	return hpa.Observation{}, fmt.Errorf("conformance: no such metric")
}

func (f *fakeMetrics) podMetrics(o hpa.Observation) metricsclient.PodMetricsInfo {
	now := time.Now()
	info := metricsclient.PodMetricsInfo{}
	for _, name := range f.c.readyPodNames() {
		info[name] = metricsclient.PodMetric{Timestamp: now, Window: 30 * time.Second, Value: o.Milli}
	}
	return info
}

func (f *fakeMetrics) GetResourceMetric(_ context.Context, res corev1.ResourceName, _ string, _ labels.Selector, ctr string) (metricsclient.PodMetricsInfo, time.Time, error) {
	o, err := f.find(func(i int, m hpa.Metric) bool {
		return (m.Type == hpa.Resource || m.Type == hpa.ContainerResource) && m.Name == string(res) && f.c.sc.container[i] == ctr
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	return f.podMetrics(o), time.Now(), nil
}

func (f *fakeMetrics) GetRawMetric(name, _ string, _ labels.Selector, _ labels.Selector) (metricsclient.PodMetricsInfo, time.Time, error) {
	o, err := f.find(func(_ int, m hpa.Metric) bool { return m.Type == hpa.Pods && m.Name == name })
	if err != nil {
		return nil, time.Time{}, err
	}
	return f.podMetrics(o), time.Now(), nil
}

func (f *fakeMetrics) GetObjectMetric(name, _ string, _ *autoscalingv2.CrossVersionObjectReference, _ labels.Selector) (int64, time.Time, error) {
	o, err := f.find(func(_ int, m hpa.Metric) bool { return m.Type == hpa.Object && m.Name == name })
	if err != nil {
		return 0, time.Time{}, err
	}
	return o.Milli, time.Now(), nil
}

func (f *fakeMetrics) GetExternalMetric(name, _ string, _ labels.Selector) ([]int64, time.Time, error) {
	o, err := f.find(func(_ int, m hpa.Metric) bool { return m.Type == hpa.External && m.Name == name })
	if err != nil {
		return nil, time.Time{}, err
	}
	return []int64{o.Milli}, time.Now(), nil
}

// metricNames returns the name the controller gives each metric in its
// rescale reason (computeReplicasForMetric and the computeStatusFor*Metric
// functions in horizontal.go).
func metricNames(specs []autoscalingv2.MetricSpec) []string {
	names := make([]string, len(specs))
	for i, ms := range specs {
		switch ms.Type {
		case autoscalingv2.ObjectMetricSourceType:
			if ms.Object.Target.Type == autoscalingv2.ValueMetricType {
				names[i] = fmt.Sprintf("%s metric %s", ms.Object.DescribedObject.Kind, ms.Object.Metric.Name)
			} else {
				names[i] = fmt.Sprintf("external metric %s(%+v)", ms.Object.Metric.Name, ms.Object.Metric.Selector)
			}
		case autoscalingv2.PodsMetricSourceType:
			names[i] = fmt.Sprintf("pods metric %s", ms.Pods.Metric.Name)
		case autoscalingv2.ResourceMetricSourceType:
			names[i] = resourceMetricName(ms.Resource.Name, ms.Resource.Target, "")
		case autoscalingv2.ContainerResourceMetricSourceType:
			names[i] = resourceMetricName(ms.ContainerResource.Name, ms.ContainerResource.Target, "container ")
		case autoscalingv2.ExternalMetricSourceType:
			names[i] = fmt.Sprintf("external metric %s(%+v)", ms.External.Metric.Name, ms.External.Metric.Selector)
		}
	}
	return names
}

func resourceMetricName(name corev1.ResourceName, target autoscalingv2.MetricTarget, kind string) string {
	if target.AverageValue != nil {
		return fmt.Sprintf("%s resource", name)
	}
	return fmt.Sprintf("%s %sresource utilization (percentage of request)", name, kind)
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}
