package capture

import (
	"math"
	"strings"
	"testing"

	"github.com/autoreplay/autoreplay/manifest"
	"github.com/autoreplay/autoreplay/replay"
	"github.com/autoreplay/autoreplay/replay/trace"
	"github.com/google/go-cmp/cmp"
)

const scaledObject = `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: orders
spec:
  scaleTargetRef:
    name: orders
  triggers:
  - type: prometheus
    name: lag
    metadata:
      serverAddress: http://prometheus.monitoring:9090
      query: sum(kafka_consumergroup_lag{topic="orders"})
      threshold: "100"
      namespace: shop
      queryParameters: "dedup=true, partial_response = false"
      customHeaders: "X-Scope-OrgID=team-a"
  - type: prometheus
    metadata:
      serverAddress: http://thanos:9090
      query: sum(rate(http_requests_total[2m]))
      threshold: "50"
      ignoreNullValues: "false"
  - type: cpu
    metricType: Utilization
    metadata:
      value: "70"
  - type: cron
    metadata:
      timezone: UTC
      start: 0 8 * * *
      end: 0 18 * * *
      desiredReplicas: "3"
`

const hpaManifest = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: gateway
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: gateway}
  maxReplicas: 10
  metrics:
  - type: External
    external:
      metric: {name: rps}
      target: {type: AverageValue, averageValue: "100"}
  - type: Object
    object:
      describedObject: {apiVersion: v1, kind: Service, name: gateway}
      metric: {name: latency}
      target: {type: Value, value: "40"}
  - type: Pods
    pods:
      metric: {name: busy}
      target: {type: AverageValue, averageValue: "1"}
`

func loadSO(t *testing.T) (*replay.Config, []*manifest.PrometheusQuery) {
	t.Helper()
	sos, err := manifest.ParseScaledObjects("so.yaml", strings.NewReader(scaledObject), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &replay.Config{ScaledObject: &sos[0].Spec}, sos[0].Queries
}

func TestPlanScaledObject(t *testing.T) {
	cfg, prom := loadSO(t)
	qs, err := Plan(cfg, prom, map[string]string{"cpu": "avg(cpu_pct)", "replicas": "kube_deployment_status_replicas"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Query{
		{Column: "lag", Expr: `sum(kafka_consumergroup_lag{topic="orders"})`, Reading: ScalerIgnoreNull, Source: `triggers[0] (prometheus "lag")`,
			Server: "http://prometheus.monitoring:9090", Params: map[string]string{"namespace": "shop", "dedup": "true", "partial_response": "false"},
			Headers: map[string]string{"X-Scope-OrgID": "team-a"}},
		{Column: "s1-prometheus", Expr: "sum(rate(http_requests_total[2m]))", Reading: ScalerFailOnNull, Source: "triggers[1] (prometheus)", Server: "http://thanos:9090"},
		{Column: "cpu", Expr: "avg(cpu_pct)", Reading: Mean, Source: "triggers[2] (cpu)"},
		{Column: "replicas", Expr: "kube_deployment_status_replicas", Reading: Replicas, Source: "the recorded replicas"},
	}
	if diff := cmp.Diff(want, qs); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}

	// A user query replaces a trigger's own, under any of its names.
	qs, err = Plan(cfg, prom, map[string]string{"s0-prometheus": "vector(1)", "cpu": "avg(cpu_pct)"})
	if err != nil {
		t.Fatal(err)
	}
	if qs[0].Column != "s0-prometheus" || qs[0].Expr != "vector(1)" || qs[0].Reading != ScalerIgnoreNull || qs[0].Server != "http://prometheus.monitoring:9090" {
		t.Errorf("override: %+v", qs[0])
	}
}

func TestPlanHPA(t *testing.T) {
	hs, err := manifest.ParseHPAs("hpa.yaml", strings.NewReader(hpaManifest), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &replay.Config{HPA: &hs[0].Spec}
	qs, err := Plan(cfg, nil, map[string]string{"rps": "rate(a[1m])", "latency": "b", "busy": "c"})
	if err != nil {
		t.Fatal(err)
	}
	var got []Reading
	for _, q := range qs {
		got = append(got, q.Reading)
	}
	if diff := cmp.Diff([]Reading{Sum, One, Mean}, got); diff != "" {
		t.Errorf("readings (-want +got):\n%s", diff)
	}
}

func TestPlanErrors(t *testing.T) {
	cfg, prom := loadSO(t)
	for _, tc := range []struct {
		user map[string]string
		err  string
	}{
		{nil, `no query for triggers[2] (cpu) (a query for "cpu"): only prometheus triggers carry their own`},
		{map[string]string{"cpu": "x", "lagg": "y"}, `query for "lagg": no trigger or metric reads a column of that name; the names are "lag", "s0-prometheus", "s1-prometheus", "cpu", "replicas"`},
	} {
		_, err := Plan(cfg, prom, tc.user)
		if err == nil || err.Error() != tc.err {
			t.Errorf("user %v: error\n %v\nwant\n %s", tc.user, err, tc.err)
		}
	}
}

// TestReadEdges covers what the server test data cannot hold: native
// histogram samples, and replica counts out of range.
func TestReadEdges(t *testing.T) {
	hist := point{n: 1, hist: true}
	var st Stats
	for r, want := range map[Reading]trace.Value{
		ScalerIgnoreNull: {Status: trace.Present},
		ScalerFailOnNull: {Status: trace.Failed},
		Sum:              {Status: trace.Failed},
		One:              {Status: trace.Failed},
	} {
		if got := read(r, hist, &st); got != want {
			t.Errorf("%s: a histogram sample reads as %+v, want %+v", r, got, want)
		}
	}
	for _, v := range []float64{-1, math.MaxInt32 + 1, math.NaN(), 2.5} {
		var p point
		p.addFloat(v)
		if _, ok := replicas(p, &st); ok {
			t.Errorf("replicas %v recorded", v)
		}
	}
	var p point
	p.addFloat(math.MaxInt32)
	if n, ok := replicas(p, &st); !ok || n != math.MaxInt32 {
		t.Errorf("replicas %d %v", n, ok)
	}
}
