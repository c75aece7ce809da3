package manifest

import (
	"strings"
	"testing"
)

// ParseObjects keeps the document order across kinds.
func TestParseObjectsOrder(t *testing.T) {
	so := func(name string) string {
		return "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: " + name + "}\nspec:\n  scaleTargetRef: {name: x}\n  triggers:\n  - type: prometheus\n    metadata: {serverAddress: 'http://p:9090', query: q, threshold: '5'}\n"
	}
	hpa := func(name string) string {
		return "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: " + name + "}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: x}\n  maxReplicas: 3\n  metrics:\n  - type: External\n    external:\n      metric: {name: m}\n      target: {type: AverageValue, averageValue: '1'}\n"
	}
	data := strings.Join([]string{so("a"), hpa("b"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", so("d"), hpa("e")}, "---\n")
	objs, err := ParseObjects("m.yaml", []byte(data), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.String())
		if (o.HPA == nil) == (o.ScaledObject == nil) {
			t.Errorf("%s: want exactly one of HPA and ScaledObject", o)
		}
	}
	want := "ScaledObject a, HorizontalPodAutoscaler b, ScaledObject d, HorizontalPodAutoscaler e"
	if strings.Join(got, ", ") != want {
		t.Errorf("objects %q, want %q", strings.Join(got, ", "), want)
	}
	if objs[2].ScaledObject.Queries[0].Query != "q" {
		t.Errorf("queries %+v", objs[2].ScaledObject.Queries[0])
	}
	if _, err := ParseObjects("m.yaml", []byte(hpa("x")+"  bogus: 1\n"), DefaultOptions()); err == nil || !strings.Contains(err.Error(), "m.yaml:") {
		t.Errorf("error %v, want one naming m.yaml", err)
	}
}
