package kedaconformance

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"

	"github.com/autoreplay/autoreplay/manifest"
)

// TestGeneratedHPA compares the HPA the reconciler generates
// (createAndDeployNewHPA: getScaledObjectMetricSpecs, GetHPAMinReplicas,
// GetHPAMaxReplicas) with keda.Spec.HPA for ScaledObjects that mix external
// triggers with cpu and memory triggers (Resource and ContainerResource
// metrics), with and without scalingModifiers. The scenarios of
// TestConformance compare it for their own ScaledObjects.
func TestGeneratedHPA(t *testing.T) {
	base, _ := envUint(t, "AUTOREPLAY_SEED", 1)
	n, _ := envUint(t, "AUTOREPLAY_SCENARIOS", 300)
	r := rand.New(rand.NewPCG(base, 1))
	ctx := context.Background()
	for i := range int(n) {
		seed := r.Uint64()
		sc := newScenario(i, seed, "http://127.0.0.1:9")
		addResourceTriggers(rand.New(rand.NewPCG(seed, 2)), sc)
		parsed, err := manifest.ParseScaledObjects("scenario.json", bytes.NewReader(sc.manifestJSON()), manifest.DefaultOptions())
		if err != nil {
			t.Fatalf("seed %#x: manifest.ParseScaledObjects rejected the ScaledObject: %v\n%s", seed, err, sc.manifestJSON())
		}
		want := engineHPAView(sc, parsed[0].Spec.HPA())
		c, err := newCluster(ctx, sc, time.Now().Truncate(time.Second))
		if err != nil {
			t.Fatalf("seed %#x: %v\n%s", seed, err, sc.manifestJSON())
		}
		h, err := c.hpa(ctx)
		if err != nil {
			t.Fatalf("seed %#x: %v", seed, err)
		}
		if got := hpaView(h); got != want {
			t.Errorf("seed %#x: generated HPA\nupstream: %s\nengine:   %s\nScaledObject:\n%s", seed, got, want, sc.manifestJSON())
		}
	}
}

// addResourceTriggers inserts cpu and memory triggers among the scenario's
// triggers; with scalingModifiers, a ScaledObject keeps at least one
// external trigger.
func addResourceTriggers(r *rand.Rand, sc *scenario) {
	spec := &sc.object.Spec
	for range 1 + r.IntN(3) {
		tr := kedav1alpha1.ScaleTriggers{Type: []string{"cpu", "memory"}[r.IntN(2)], Metadata: map[string]string{}}
		if r.IntN(2) == 0 {
			tr.MetricType = autoscalingv2.UtilizationMetricType
			tr.Metadata["value"] = fmt.Sprint(10 + r.IntN(90))
		} else {
			tr.MetricType = autoscalingv2.AverageValueMetricType
			tr.Metadata["value"] = []string{"250m", "1", "1500m", "512Mi", "2Gi", "0.5"}[r.IntN(6)]
		}
		if r.IntN(3) == 0 {
			tr.Metadata["containerName"] = "app"
		}
		at := r.IntN(len(spec.Triggers) + 1)
		spec.Triggers = append(spec.Triggers[:at], append([]kedav1alpha1.ScaleTriggers{tr}, spec.Triggers[at:]...)...)
	}
	// Trigger indexes moved: the endpoints are not queried here.
	sc.sources = nil
}
