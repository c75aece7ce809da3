package manifest

import (
	"strings"
	"testing"

	"github.com/autoreplay/autoreplay/keda"
)

// FuzzParseScaledObjects checks that no input makes ParseScaledObjects
// panic, that what it accepts is a spec keda.New accepts, that every
// problem is a located *Error, and that results are deterministic.
func FuzzParseScaledObjects(f *testing.F) {
	addSeedFiles(f, "../testdata/keda/*.yaml", "testdata/bad-keda/*.yaml")
	f.Add("")
	f.Add("apiVersion: v1\nkind: List\nitems: [{apiVersion: keda.sh/v1alpha1, kind: ScaledObject}]\n")
	f.Add(soDoc("autoscaling.keda.sh/paused-scale-in: x", "idleReplicaCount: 0\nminReplicaCount: 0\nadvanced:\n  scalingModifiers: {formula: \"a ?? b\", target: \"2\"}\nfallback: {failureThreshold: 0, replicas: 1, behavior: scalingModifiers}\ntriggers:\n- type: prometheus\n  name: a\n  metadata: {serverAddress: x, query: y, threshold: \"1\"}\n"))
	f.Fuzz(func(t *testing.T, src string) {
		sos, err := ParseScaledObjects("fuzz.yaml", strings.NewReader(src), DefaultOptions())
		if err != nil && sos != nil {
			t.Errorf("ParseScaledObjects returned %d ScaledObjects with an error", len(sos))
		}
		checkLocated(t, err)
		for _, so := range sos {
			if so.Line < 1 {
				t.Errorf("ScaledObject %q without a line", so.Name)
			}
			if _, err := keda.New(so.Spec); err != nil {
				t.Errorf("ScaledObject %q: spec rejected by keda.New: %v", so.Name, err)
			}
		}
		sos2, err2 := ParseScaledObjects("fuzz.yaml", strings.NewReader(src), DefaultOptions())
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) || len(sos) != len(sos2) {
			t.Errorf("second parse differs: %v / %v", err, err2)
		}
	})
}
