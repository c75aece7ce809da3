package manifest_test

import (
	"fmt"
	"strings"

	"github.com/autoreplay/autoreplay/manifest"
)

func ExampleParseHPAs() {
	const src = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: worker
  namespace: jobs
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: worker
  maxReplicas: 30
  metrics:
    - type: External
      external:
        metric:
          name: queue_messages_ready
        target:
          type: AverageValue
          averageValue: "20"
  behavior:
    scaleDown:
      selectPolicy: Disabled
`
	hpas, err := manifest.ParseHPAs("worker.yaml", strings.NewReader(src), manifest.DefaultOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range hpas {
		s := h.Spec
		fmt.Printf("%s/%s (line %d): %d..%d replicas\n", h.Namespace, h.Name, h.Line, s.MinReplicas, s.MaxReplicas)
		for _, m := range s.Metrics {
			fmt.Printf("  %v %s: %v %dm\n", m.Type, m.Name, m.Target, m.TargetMilli)
		}
		fmt.Printf("  scale up: %v over %v\n", s.Behavior.ScaleUp.SelectPolicy, s.Behavior.ScaleUp.Policies)
		fmt.Printf("  scale down: %v, window %v\n", s.Behavior.ScaleDown.SelectPolicy, s.Behavior.ScaleDown.StabilizationWindow)
	}

	// A misspelt field is reported with its line, column and path.
	_, err = manifest.ParseHPAs("worker.yaml", strings.NewReader(strings.Replace(src, "maxReplicas", "maxReplica", 1)), manifest.DefaultOptions())
	fmt.Println(err)
	// Output:
	// jobs/worker (line 6): 1..30 replicas
	//   External queue_messages_ready: AverageValue 20000m
	//   scale up: Max over [{Pods 4 15s} {Percent 100 15s}]
	//   scale down: Disabled, window 5m0s
	// worker.yaml:16:3: spec.maxReplica: unknown field "maxReplica", did you mean "maxReplicas"?
}
