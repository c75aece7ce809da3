package kedaconformance

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/meta/testrestmapper"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	scalefake "k8s.io/client-go/scale/fake"
	core "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	kedacontrollers "github.com/kedacore/keda/v2/controllers/keda"
	"github.com/kedacore/keda/v2/pkg/fallback"
	"github.com/kedacore/keda/v2/pkg/scaling"

	"github.com/autoreplay/autoreplay/hpa"
)

// valueServer answers the trigger queries of every scenario: a prometheus
// instant query under /p/<scenario>/<trigger>/api/v1/query and a
// metrics-api JSON document under /m/<scenario>/<trigger>. Each scenario
// sets what its triggers answer before it calls into KEDA. The server runs
// outside the scenarios' synctest bubbles and closes every connection after
// its response, so that no connection of a bubble stays open while its
// clock should advance (a goroutine blocked on network I/O is not durably
// blocked).
type valueServer struct {
	url string
	srv *http.Server

	mu      sync.Mutex
	answers map[int][]segment
	queries map[int][]int
}

func startValueServer(t *testing.T) *valueServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	vs := &valueServer{url: "http://" + ln.Addr().String(), answers: map[int][]segment{}, queries: map[int][]int{}}
	vs.srv = &http.Server{Handler: vs, ReadHeaderTimeout: 10 * time.Second}
	vs.srv.SetKeepAlivesEnabled(false)
	go func() { _ = vs.srv.Serve(ln) }()
	t.Cleanup(func() { _ = vs.srv.Close() })
	return vs
}

func (vs *valueServer) set(scenario int, answers []segment) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	vs.answers[scenario] = append(vs.answers[scenario][:0], answers...)
}

// takeQueries returns how often each trigger was queried since the last
// call.
func (vs *valueServer) takeQueries(scenario int) []int {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	q := vs.queries[scenario]
	vs.queries[scenario] = make([]int, len(q))
	return q
}

func (vs *valueServer) drop(scenario int) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	delete(vs.answers, scenario)
	delete(vs.queries, scenario)
}

func (vs *valueServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if len(parts) < 3 {
		http.NotFound(w, r)
		return
	}
	scenario, err1 := strconv.Atoi(parts[1])
	trigger, err2 := strconv.Atoi(parts[2])
	vs.mu.Lock()
	answers := vs.answers[scenario]
	if err1 != nil || err2 != nil || trigger < 0 || trigger >= len(answers) {
		vs.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	g := answers[trigger]
	q := vs.queries[scenario]
	for len(q) < len(answers) {
		q = append(q, 0)
	}
	q[trigger]++
	vs.queries[scenario] = q
	vs.mu.Unlock()

	if g.failed {
		http.Error(w, "source unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch parts[0] {
	case "p":
		v := g.special
		if v == "" {
			v = strconv.FormatFloat(g.value, 'g', -1, 64)
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[%d,%q]}]}}`, time.Now().Unix(), v)
	case "m":
		v := strconv.FormatFloat(g.value, 'g', -1, 64)
		fmt.Fprintf(w, `{"value":%s,"data":{"lag":%s}}`, v, v)
	default:
		http.NotFound(w, r)
	}
}

var gvkr = &kedav1alpha1.GroupVersionKindResource{Group: "apps", Version: "v1", Kind: "Deployment", Resource: "deployments"}

// scheme and restMapper are built once and shared by the scenarios' fake
// clients, which only read them. The scheme holds the API groups KEDA
// reads and writes here: the fake client's tracker rebuilds a REST mapper
// from the whole scheme at every write.
var (
	scheme = sync.OnceValue(func() *runtime.Scheme {
		s := runtime.NewScheme()
		for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, autoscalingv2.AddToScheme, kedav1alpha1.AddToScheme} {
			if err := add(s); err != nil {
				panic(err)
			}
		}
		return s
	})
	restMapper = sync.OnceValue(func() meta.RESTMapper { return testrestmapper.TestOnlyStaticRESTMapper(scheme()) })
)

// cluster is the world upstream KEDA observes through its fake clients: the
// ScaledObject, the Deployment it scales (its scale subresource and its
// pods, all ready), and the HPA it generates, whose status the hpa engine
// drives.
type cluster struct {
	sc       *scenario
	scheme   *runtime.Scheme
	client   client.Client
	scales   *scalefake.FakeScaleClient
	oracle   *scaling.AutoreplayOracle
	handler  scaling.ScaleHandler
	replicas int32
	pods     int
	writes   []int32 // scale updates since the last takeWrites
	hpaName  string
}

func newCluster(ctx context.Context, sc *scenario, created time.Time) (*cluster, error) {
	c := &cluster{sc: sc, scheme: scheme(), replicas: sc.initial}
	so := sc.object.DeepCopy()
	so.UID = "5ca1ed0b-1ec7-0000-0000-000000000001"
	so.Generation = 1
	so.CreationTimestamp = metav1.NewTime(created)
	// What the reconciler records before it creates the HPA.
	so.Status.ScaleTargetKind = gvkr.GVKString()
	so.Status.ScaleTargetGVKR = gvkr.DeepCopy()
	so.Status.OriginalReplicaCount = ptr(sc.initial)
	so.Status.Conditions = *kedav1alpha1.GetInitializedConditions()
	deploy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: objectName, Namespace: namespace},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(sc.initial),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": objectName}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": objectName}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}},
			},
		},
	}
	c.client = fake.NewClientBuilder().
		WithScheme(c.scheme).
		WithRESTMapper(restMapper()).
		WithObjects(so, deploy).
		WithStatusSubresource(&kedav1alpha1.ScaledObject{}, &autoscalingv2.HorizontalPodAutoscaler{}, &appsv1.Deployment{}).
		Build()
	if err := c.syncPods(ctx); err != nil {
		return nil, err
	}

	c.scales = &scalefake.FakeScaleClient{}
	c.scales.AddReactor("get", "deployments", func(core.Action) (bool, runtime.Object, error) {
		return true, &autoscalingv1.Scale{
			ObjectMeta: metav1.ObjectMeta{Name: objectName, Namespace: namespace},
			Spec:       autoscalingv1.ScaleSpec{Replicas: c.replicas},
			Status:     autoscalingv1.ScaleStatus{Replicas: c.replicas, Selector: "app=" + objectName},
		}, nil
	})
	c.scales.AddReactor("update", "deployments", func(a core.Action) (bool, runtime.Object, error) {
		s := a.(core.UpdateAction).GetObject().(*autoscalingv1.Scale)
		c.writes = append(c.writes, s.Spec.Replicas)
		if err := c.setReplicas(ctx, s.Spec.Replicas); err != nil {
			return true, nil, err
		}
		return true, s, nil
	})

	c.oracle = scaling.NewAutoreplayOracle(scaling.AutoreplayOracleConfig{
		Client:               c.client,
		ScaleClient:          c.scales,
		Scheme:               c.scheme,
		Recorder:             &events.FakeRecorder{},
		GlobalHTTPTimeout:    3 * time.Second,
		KubernetesAPITimeout: 5 * time.Second,
		ExecutorDelay:        executorDelay,
	}, so)
	c.handler = c.oracle.Handler()

	// The ScaledObject reconciler: no HPA yet, create it.
	r := &kedacontrollers.ScaledObjectReconciler{Client: c.client, Scheme: c.scheme, ScaleClient: c.scales, ScaleHandler: c.handler}
	cur, err := c.scaledObject(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.AutoreplayCreateHPA(ctx, logr.Discard(), cur, gvkr); err != nil {
		return nil, fmt.Errorf("creating the HPA: %w", err)
	}
	// The end of the reconcile: Ready, and Fallback False without a valid
	// fallback.
	cur, err = c.scaledObject(ctx)
	if err != nil {
		return nil, err
	}
	orig := cur.DeepCopy()
	cur.Status.Conditions.SetReadyCondition(metav1.ConditionTrue, kedav1alpha1.ScaledObjectConditionReadySuccessReason, "ScaledObject is defined correctly and is ready for scaling")
	if cur.Spec.Fallback == nil || !fallback.HasValidFallback(cur) {
		cur.Status.Conditions.SetFallbackCondition(metav1.ConditionFalse, "NoFallbackFound", "No fallbacks are active on this scaled object")
	}
	if err := c.client.Status().Patch(ctx, cur, client.MergeFrom(orig)); err != nil {
		return nil, err
	}
	c.hpaName = cur.Status.HpaName
	return c, nil
}

// executorDelay is how long after a scale loop tick its RequestScale runs.
const executorDelay = 5 * time.Millisecond

func (c *cluster) scaledObject(ctx context.Context) (*kedav1alpha1.ScaledObject, error) {
	so := &kedav1alpha1.ScaledObject{}
	err := c.client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: objectName}, so)
	return so, err
}

func (c *cluster) hpa(ctx context.Context) (*autoscalingv2.HorizontalPodAutoscaler, error) {
	h := &autoscalingv2.HorizontalPodAutoscaler{}
	err := c.client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: c.hpaName}, h)
	return h, err
}

// setReplicas sets the Deployment's replicas; its pods follow at once and
// are all ready.
func (c *cluster) setReplicas(ctx context.Context, n int32) error {
	c.replicas = n
	d := &appsv1.Deployment{}
	if err := c.client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: objectName}, d); err != nil {
		return err
	}
	d.Spec.Replicas = ptr(n)
	if err := c.client.Update(ctx, d); err != nil {
		return err
	}
	return c.syncPods(ctx)
}

func (c *cluster) syncPods(ctx context.Context) error {
	for c.pods < int(c.replicas) {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", objectName, c.pods), Namespace: namespace, Labels: map[string]string{"app": objectName}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}},
			Status: corev1.PodStatus{
				Phase:      corev1.PodRunning,
				Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			},
		}
		if err := c.client.Create(ctx, p); err != nil {
			return err
		}
		c.pods++
	}
	for c.pods > int(c.replicas) {
		c.pods--
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", objectName, c.pods), Namespace: namespace}}
		if err := c.client.Delete(ctx, p); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

func (c *cluster) takeWrites() []int32 {
	w := c.writes
	c.writes = nil
	return w
}

// setScalingActive records the HPA's ScalingActive condition as the HPA
// controller leaves it after a reconcile the hpa engine decided:
// ScalingDisabled at 0 replicas, False when the metrics could not be
// computed (FailedGetExternalMetric and the like), True when they were
// (ValidMetricFound); unchanged when the replica count was outside
// [minReplicas, maxReplicas] and no metric was computed.
func (c *cluster) setScalingActive(ctx context.Context, d hpa.Decision) error {
	var status corev1.ConditionStatus
	var reason string
	switch {
	case d.Reasons.Has(hpa.ReasonScalingDisabled):
		status, reason = corev1.ConditionFalse, "ScalingDisabled"
	case d.Reasons.Has(hpa.ReasonFailedComputeMetricsReplicas):
		status, reason = corev1.ConditionFalse, "FailedGetExternalMetric"
	case d.Proposals != nil:
		status, reason = corev1.ConditionTrue, "ValidMetricFound"
	default:
		return nil
	}
	h, err := c.hpa(ctx)
	if err != nil {
		return err
	}
	cond := autoscalingv2.HorizontalPodAutoscalerCondition{Type: autoscalingv2.ScalingActive, Status: status, Reason: reason}
	found := false
	for i := range h.Status.Conditions {
		if h.Status.Conditions[i].Type == autoscalingv2.ScalingActive {
			if h.Status.Conditions[i].Status == status && h.Status.Conditions[i].Reason == reason {
				return nil
			}
			h.Status.Conditions[i] = cond
			found = true
		}
	}
	if !found {
		h.Status.Conditions = append(h.Status.Conditions, cond)
	}
	h.Status.CurrentReplicas = c.replicas
	return c.client.Status().Update(ctx, h)
}

// served is what the metrics adapter answered the HPA for one metric.
type served struct {
	milli int64
	err   error
	items int
}

func (s served) String() string {
	if s.err != nil {
		return "error"
	}
	if s.items != 1 {
		return fmt.Sprintf("%d items (%dm)", s.items, s.milli)
	}
	return fmt.Sprintf("%dm", s.milli)
}

// query asks the metrics adapter for one metric, as the HPA does. The HPA
// reads each value's MilliValue after the external metrics API carried it
// as a string.
func (c *cluster) query(ctx context.Context, metric string) served {
	list, err := c.handler.GetScaledObjectMetrics(ctx, objectName, namespace, metric)
	if err != nil {
		return served{err: err}
	}
	if len(list.Items) == 0 {
		// The HPA's external metrics client: "no metrics returned from
		// external metrics API".
		return served{err: fmt.Errorf("no metrics returned")}
	}
	s := served{items: len(list.Items)}
	for _, m := range list.Items {
		q, err := resource.ParseQuantity(m.Value.String())
		if err != nil {
			return served{err: fmt.Errorf("the HPA cannot read %q: %w", m.Value.String(), err)}
		}
		v := q.MilliValue()
		if v > 0 && s.milli > math.MaxInt64-v {
			s.milli = math.MaxInt64
		} else {
			s.milli += v
		}
	}
	return s
}

// health returns status.health[metric].numberOfFailures and status as
// stored in the API server.
func healthOf(so *kedav1alpha1.ScaledObject, metric string) (int32, string) {
	h, ok := so.Status.Health[metric]
	if !ok {
		return 0, ""
	}
	var n int32
	if h.NumberOfFailures != nil {
		n = *h.NumberOfFailures
	}
	return n, string(h.Status)
}

// hpaView is the generated HPA reduced to what keda.Spec.HPA models.
func hpaView(h *autoscalingv2.HorizontalPodAutoscaler) string {
	var b strings.Builder
	minR := int32(1)
	if h.Spec.MinReplicas != nil {
		minR = *h.Spec.MinReplicas
	}
	fmt.Fprintf(&b, "min=%d max=%d", minR, h.Spec.MaxReplicas)
	// The behavior as KEDA writes it; the API server's defaults, which the
	// engine's behavior includes, are the HPA suite's business.
	if bh := h.Spec.Behavior; bh == nil {
		b.WriteString(" behavior=none")
	} else {
		for _, r := range []struct {
			name  string
			rules *autoscalingv2.HPAScalingRules
		}{{"scaleUp", bh.ScaleUp}, {"scaleDown", bh.ScaleDown}} {
			if r.rules != nil && r.rules.SelectPolicy != nil && *r.rules.SelectPolicy == autoscalingv2.DisabledPolicySelect {
				fmt.Fprintf(&b, " %s=Disabled", r.name)
			}
			if r.rules != nil && r.rules.StabilizationWindowSeconds != nil {
				fmt.Fprintf(&b, " %s.window=%ds", r.name, *r.rules.StabilizationWindowSeconds)
			}
		}
	}
	for _, m := range h.Spec.Metrics {
		switch m.Type {
		case autoscalingv2.ExternalMetricSourceType:
			t := m.External.Target
			var milli int64
			switch t.Type {
			case autoscalingv2.AverageValueMetricType:
				milli = t.AverageValue.MilliValue()
			case autoscalingv2.ValueMetricType:
				milli = t.Value.MilliValue()
			}
			fmt.Fprintf(&b, " External/%s/%s/%dm", m.External.Metric.Name, t.Type, milli)
		case autoscalingv2.ResourceMetricSourceType:
			fmt.Fprintf(&b, " Resource/%s/%s", m.Resource.Name, targetString(m.Resource.Target))
		case autoscalingv2.ContainerResourceMetricSourceType:
			fmt.Fprintf(&b, " ContainerResource/%s/%s", m.ContainerResource.Name, targetString(m.ContainerResource.Target))
		default:
			fmt.Fprintf(&b, " %s", m.Type)
		}
	}
	return b.String()
}

func targetString(t autoscalingv2.MetricTarget) string {
	switch t.Type {
	case autoscalingv2.UtilizationMetricType:
		return fmt.Sprintf("Utilization/%d%%", *t.AverageUtilization)
	case autoscalingv2.AverageValueMetricType:
		return fmt.Sprintf("AverageValue/%dm", t.AverageValue.MilliValue())
	case autoscalingv2.ValueMetricType:
		return fmt.Sprintf("Value/%dm", t.Value.MilliValue())
	}
	return string(t.Type)
}

// windowSet reports whether the ScaledObject's HPA behavior sets the
// direction's stabilizationWindowSeconds.
func windowSet(sc *scenario, dir string) bool {
	a := sc.object.Spec.Advanced
	if a == nil || a.HorizontalPodAutoscalerConfig == nil || a.HorizontalPodAutoscalerConfig.Behavior == nil {
		return false
	}
	bh := a.HorizontalPodAutoscalerConfig.Behavior
	if dir == "up" {
		return bh.ScaleUp != nil && bh.ScaleUp.StabilizationWindowSeconds != nil
	}
	return bh.ScaleDown != nil && bh.ScaleDown.StabilizationWindowSeconds != nil
}

func engineHPAView(sc *scenario, s hpa.Spec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "min=%d max=%d", s.MinReplicas, s.MaxReplicas)
	if bh := s.Behavior; bh == nil {
		b.WriteString(" behavior=none")
	} else {
		for _, r := range []struct {
			name  string
			rules hpa.Rules
			set   bool // stabilizationWindowSeconds written in the ScaledObject
		}{{"scaleUp", bh.ScaleUp, windowSet(sc, "up")}, {"scaleDown", bh.ScaleDown, windowSet(sc, "down")}} {
			if r.rules.SelectPolicy == hpa.Disabled {
				fmt.Fprintf(&b, " %s=Disabled", r.name)
			}
			if r.set {
				fmt.Fprintf(&b, " %s.window=%ds", r.name, int64(r.rules.StabilizationWindow/time.Second))
			}
		}
	}
	for _, m := range s.Metrics {
		switch m.Type {
		case hpa.External:
			fmt.Fprintf(&b, " External/%s/%s/%dm", m.Name, m.Target, m.TargetMilli)
		case hpa.Resource, hpa.ContainerResource:
			t := ""
			if m.Target == hpa.Utilization {
				t = fmt.Sprintf("Utilization/%d%%", m.TargetUtilization)
			} else {
				t = fmt.Sprintf("%s/%dm", m.Target, m.TargetMilli)
			}
			fmt.Fprintf(&b, " %s/%s/%s", m.Type, m.Name, t)
		default:
			fmt.Fprintf(&b, " %s", m.Type)
		}
	}
	return b.String()
}

// jsonOf renders a value for a failure report.
func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
