package replay

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/replay/trace"
)

// Every writer leaves out a KEDA poll that did not change the replicas and
// keeps HPA ticks whether they rescaled or not: writing such a poll is
// writing nothing.
func TestTimelineWritersLeaveOutPollsWithoutRescale(t *testing.T) {
	c := Columns{Loop: ClosedLoop, Series: []string{"lag"}}
	tick := Row{Time: tlEpoch, Event: HPATick, Replicas: 2, Pods: 2, Ready: 2, Desired: 2,
		Recommendation: 2, HasRecommendation: true, Seen: []trace.Value{pv(10)}}
	idle := Row{Time: tlEpoch.Add(15 * time.Second), Event: KEDAPoll, Replicas: 2, Pods: 2, Ready: 2, Desired: 2,
		Seen: []trace.Value{pv(0)}}
	zero := Row{Time: tlEpoch.Add(30 * time.Second), Event: KEDAPoll, Replicas: 2, Pods: 2, Ready: 0, Desired: 0, Rescale: true,
		Seen: []trace.Value{pv(0)}}
	writers := map[string]func(*bytes.Buffer, Columns) TimelineWriter{"csv": newCSV, "json": newJSON, "parquet": newParquet}
	for name, newW := range writers {
		all := writeTimeline(t, newW, c, []Row{tick, idle, zero, idle})
		kept := writeTimeline(t, newW, c, []Row{tick, zero})
		if !bytes.Equal(all, kept) {
			t.Errorf("%s: a poll without rescale changed the output", name)
		}
		if only := writeTimeline(t, newW, c, []Row{idle}); !bytes.Equal(only, writeTimeline(t, newW, c, nil)) {
			t.Errorf("%s: a timeline of one poll without rescale is not empty", name)
		}
		if bytes.Equal(kept, writeTimeline(t, newW, c, []Row{zero})) {
			t.Errorf("%s: the HPA tick without rescale was left out", name)
		}
	}
}

// The desired column is empty at an HPA tick without a recommendation: no
// metrics computed, or metrics refused (Recommendation is 0 then, though
// the HPA read them).
func TestTimelineDesiredWithoutRecommendation(t *testing.T) {
	c := Columns{Loop: OpenLoop, Series: []string{"cpu"}}
	rows := []Row{
		{Time: tlEpoch, Event: HPATick, Replicas: 3, Pods: 3, Ready: 3, Desired: 3, Seen: []trace.Value{absentV},
			HPAReasons: hpaReasons(hpa.ReasonAboveMaxReplicas)},
		{Time: tlEpoch.Add(15 * time.Second), Event: HPATick, Replicas: 3, Pods: 3, Ready: 3, Desired: 3, Seen: []trace.Value{failedV},
			HasRecommendation: true, HPAReasons: hpaReasons(hpa.ReasonInvalidMetric, hpa.ReasonFailedComputeMetricsReplicas)},
		{Time: tlEpoch.Add(30 * time.Second), Event: HPATick, Replicas: 3, Pods: 3, Ready: 3, Desired: 3, Seen: []trace.Value{pv(0)},
			Recommendation: 0, HasRecommendation: true, HPAReasons: hpaReasons(hpa.ReasonScaleDownStabilized)},
	}
	got := string(writeTimeline(t, newCSV, c, rows))
	want := `time,region,replicas,desired,source,loop,ready,recorded,cpu,reasons
2024-05-01T10:00:00Z,,3,,hpa,open,3,,,AboveMaxReplicas
2024-05-01T10:00:15Z,,3,,hpa,open,3,,failed,InvalidMetric+FailedComputeMetricsReplicas
2024-05-01T10:00:30Z,,3,0,hpa,open,3,,0,ScaleDownStabilized
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("timeline mismatch (-want +got):\n%s", diff)
	}
}

// A row's Ready is the ready pods after its step: never more than the
// replicas the step set; in the open loop all of them; in the closed loop a
// scale-down's row shows the pods left, a scale-up's the pods still
// starting.
func TestRowReadyAfterStep(t *testing.T) {
	for _, rc := range realCases[:2] {
		t.Run(rc.name, func(t *testing.T) {
			cfg := rc.config(t)
			r := rc.csvReader(t)
			rp, err := New(cfg, r.Header())
			if err != nil {
				t.Fatal(err)
			}
			var downs, starting int
			_, err = rp.Run(r, func(row *Row) error {
				if row.Ready < 0 || row.Ready > row.Desired {
					t.Fatalf("row at %v: ready %d, want 0 <= ready <= replicas after the step %d", row.Time, row.Ready, row.Desired)
				}
				if cfg.Loop() == OpenLoop && row.Ready != row.Desired {
					t.Fatalf("open loop row at %v: ready %d, want replicas after the step %d", row.Time, row.Ready, row.Desired)
				}
				if row.Desired < row.Replicas && row.Pods > row.Desired {
					downs++
				}
				if row.Ready < row.Desired {
					starting++
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if downs == 0 {
				t.Error("no scale-down row: the test does not check Ready after one")
			}
			if closed := cfg.Loop() == ClosedLoop; closed != (starting > 0) {
				t.Errorf("%d rows with pods starting after the step, want them only in the closed loop", starting)
			}
		})
	}
}
