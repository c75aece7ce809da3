package replay

import (
	"fmt"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/keda"
	"github.com/autoreplay/autoreplay/replay/trace"
)

// Loop names the workload model a replay ran.
type Loop uint8

const (
	// OpenLoop replays the recorded metric values as they are: the
	// replicas the controllers choose do not change them.
	OpenLoop Loop = iota
	// ClosedLoop recomputes the workloads' metrics from the simulated
	// replicas (Config.Workloads).
	ClosedLoop
)

func (l Loop) String() string {
	switch l {
	case OpenLoop:
		return "open"
	case ClosedLoop:
		return "closed"
	}
	return fmt.Sprintf("Loop(%d)", uint8(l))
}

// Event is the controller step that produced a timeline row.
type Event uint8

const (
	// HPATick is an HPA reconcile (every sync period).
	HPATick Event = iota + 1
	// KEDAPoll is an iteration of KEDA's scale loop (every pollingInterval).
	KEDAPoll
)

func (e Event) String() string {
	switch e {
	case HPATick:
		return "hpa"
	case KEDAPoll:
		return "poll"
	}
	return fmt.Sprintf("Event(%d)", uint8(e))
}

// Columns describes the variable columns of a timeline.
type Columns struct {
	// Loop is the model the replay ran.
	Loop Loop
	// Region reports whether the trace had a region column.
	Region bool
	// Recorded reports whether the trace had a replicas column.
	Recorded bool
	// Series names the metric series the controllers read, in the order of
	// Row.Seen: the triggers of a ScaledObject (without cron triggers) or
	// the metrics of an HPA, by the column names of the trace.
	Series []string
	// Actual names the closed-loop workloads' series, in the order of
	// Row.Actual.
	Actual []string
}

// Row is one controller step of a replay.
type Row struct {
	// Time is the step's time.
	Time time.Time
	// Region is the trace's region; empty without a region column.
	Region string
	// Event is the step.
	Event Event
	// Replicas is the workload's spec.replicas before the step and Pods
	// the pods that exist before it. In the open loop pods exist and are
	// ready at once: Pods == Replicas.
	Replicas, Pods int32
	// Desired is spec.replicas after the step (Replicas when it did not
	// rescale).
	Desired int32
	// Ready is the ready pods after the step: a scale-down has deleted
	// pods, a scale-up's new pods are not ready until the startup delay has
	// passed. In the open loop Ready == Desired.
	Ready int32
	// Rescale reports that the step changed spec.replicas.
	Rescale bool
	// Recorded is the replica count the trace recorded at Time (sample and
	// hold), when HasRecorded.
	Recorded    int32
	HasRecorded bool
	// Seen holds, per Columns.Series, what the controller read at this step
	// after the metric pipeline: Present with the value; Failed when the
	// source failed; Absent when the series had no value (stale, or not
	// sampled yet; a prometheus trigger reads that as an empty result) or
	// the step did not read it (the HPA reads metrics only when it computes
	// them; a poll reads every trigger but cron).
	Seen []trace.Value
	// Actual holds, per Columns.Actual, the closed-loop workload's metric
	// at Time before the pipeline: the queue's lag, or the utilization in
	// percent.
	Actual []float64
	// Recommendation is what the metrics asked for at an HPA tick: the
	// HPA's raw recommendation before stabilization, rate limits and
	// bounds (hpa.Decision.Recommendation), when HasRecommendation (the
	// HPA computed its metrics and took them). A poll has none.
	Recommendation    int32
	HasRecommendation bool
	// HPAReasons and KEDAReasons are the decision's reasons.
	HPAReasons  hpa.Reasons
	KEDAReasons keda.Reasons
	// HPA and KEDA are the step's decisions, for explanations: HPA at an
	// HPA tick, KEDA for a ScaledObject (a poll's, or a reconcile's with
	// its HPA decision in KEDA.HPA); nil otherwise. They and their slices
	// are reused by the next step.
	HPA  *hpa.Decision
	KEDA *keda.Decision
}

// Reasons formats the row's reasons: the KEDA reasons, then the HPA
// reasons, joined by '+'; empty when there are none.
func (r *Row) Reasons() string {
	k, h := r.KEDAReasons.String(), r.HPAReasons.String()
	switch {
	case k == "":
		return h
	case h == "":
		return k
	}
	return k + "+" + h
}
