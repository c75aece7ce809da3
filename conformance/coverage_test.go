package conformance

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/autoreplay/autoreplay/hpa"
)

// coverage counts how often the generated scenarios exercise each feature,
// so that a change of the generator that stops covering one shows up in the
// verbose log.
type coverage struct {
	mu sync.Mutex
	n  map[string]int64
}

func newCoverage() *coverage { return &coverage{n: map[string]int64{}} }

func (c *coverage) add(keys ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		c.n[k]++
	}
}

func (c *coverage) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]string, 0, len(c.n))
	for k := range c.n {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-48s %d\n", k, c.n[k])
	}
	return b.String()
}

var (
	typeNames   = map[hpa.MetricType]string{hpa.External: "External", hpa.Object: "Object", hpa.Pods: "Pods", hpa.Resource: "Resource", hpa.ContainerResource: "ContainerResource"}
	targetNames = map[hpa.TargetType]string{hpa.Value: "Value", hpa.AverageValue: "AverageValue", hpa.Utilization: "Utilization"}
	selectNames = map[hpa.SelectPolicy]string{hpa.MaxChange: "Max", hpa.MinChange: "Min", hpa.Disabled: "Disabled"}
)

func (c *coverage) scenario(sc *scenario) {
	keys := []string{
		fmt.Sprintf("scenario/metrics=%d", len(sc.spec.Metrics)),
		"scenario/interval=" + sc.intervalMode,
		"scenario/lag=" + sc.lagMode,
		fmt.Sprintf("scenario/minReplicas=0:%v", sc.spec.MinReplicas == 0),
		fmt.Sprintf("scenario/minReplicas-unset:%v", sc.api.MinReplicas == nil),
		fmt.Sprintf("scenario/controller-tolerance=%v", sc.tolerance),
		fmt.Sprintf("scenario/perturb=%v", sc.pPerturb),
		fmt.Sprintf("scenario/fail=%v", sc.pFail),
	}
	for _, m := range sc.spec.Metrics {
		keys = append(keys, fmt.Sprintf("scenario/metric/%s/%s/%s", typeNames[m.Type], targetNames[m.Target], m.Name))
	}
	if b := sc.api.Behavior; b == nil {
		keys = append(keys, "scenario/behavior=nil")
	} else {
		eb := sc.spec.Behavior
		keys = append(keys, "scenario/behavior=set",
			"scenario/scaleUp/select="+selectNames[eb.ScaleUp.SelectPolicy],
			"scenario/scaleDown/select="+selectNames[eb.ScaleDown.SelectPolicy],
			fmt.Sprintf("scenario/scaleUp/policies=%d", len(eb.ScaleUp.Policies)),
			fmt.Sprintf("scenario/scaleDown/policies=%d", len(eb.ScaleDown.Policies)),
			fmt.Sprintf("scenario/scaleUp/window=0:%v", eb.ScaleUp.StabilizationWindow == 0),
			fmt.Sprintf("scenario/scaleDown/window-unset:%v", b.ScaleDown.StabilizationWindowSeconds == nil),
			fmt.Sprintf("scenario/scaleUp/tolerance-set:%v", b.ScaleUp.Tolerance != nil),
			fmt.Sprintf("scenario/scaleDown/tolerance-set:%v", b.ScaleDown.Tolerance != nil),
		)
		if b.ScaleUp.Tolerance != nil && b.ScaleUp.Tolerance.IsZero() || b.ScaleDown.Tolerance != nil && b.ScaleDown.Tolerance.IsZero() {
			keys = append(keys, "scenario/tolerance=0")
		}
	}
	c.add(keys...)
}

func (c *coverage) tick(sc *scenario, t hpa.Target, obs []hpa.Observation, up view, d hpa.Decision) {
	keys := []string{"tick/active=" + up.active}
	for _, o := range obs {
		if !o.Failed && (o.Milli < 0 || o.Milli > 1<<40) {
			keys = append(keys, "tick/odd-reading")
			break
		}
	}
	switch {
	case up.rescaled && up.desired == 0:
		keys = append(keys, "tick/rescale/to-zero")
	case up.rescaled && t.Replicas == 0:
		keys = append(keys, "tick/rescale/from-zero")
	case up.rescaled && up.desired > t.Replicas:
		keys = append(keys, "tick/rescale/up")
	case up.rescaled:
		keys = append(keys, "tick/rescale/down")
	}
	if up.limited != "" {
		keys = append(keys, "tick/limited="+up.limited)
	}
	if up.stabilized != "" {
		keys = append(keys, "tick/stabilized="+up.stabilized)
	}
	if d.Reasons.Has(hpa.ReasonScaleUpDisabled) || d.Reasons.Has(hpa.ReasonScaleDownDisabled) {
		keys = append(keys, "tick/select-disabled-held")
	}
	if d.Reasons.Has(hpa.ReasonScaleFromZeroMin) {
		keys = append(keys, "tick/from-zero-raised-to-min")
	}
	if up.invalid && up.active == "True/ValidMetricFound" {
		keys = append(keys, "tick/partial-metric-failure-scaled")
	}
	if t.Replicas == 0 {
		keys = append(keys, fmt.Sprintf("tick/current=0/scaledToZero-condition:%v", up.active != "False/ScalingDisabled"))
	}
	if t.Replicas > sc.spec.MaxReplicas {
		keys = append(keys, "tick/current>max")
	}
	if t.Replicas < sc.spec.MinReplicas && t.Replicas > 0 {
		keys = append(keys, "tick/0<current<min")
	}
	if t.StatusReplicas < t.Replicas {
		keys = append(keys, "tick/status<spec")
	}
	if t.StatusReplicas > t.Replicas {
		keys = append(keys, "tick/status>spec")
	}
	if t.ReadyReplicas < t.StatusReplicas {
		keys = append(keys, "tick/ready<status")
	}
	for i, p := range d.Proposals {
		if p.Failed {
			continue
		}
		m := sc.spec.Metrics[i]
		tol := sc.spec.Tolerance
		if p.Ratio == 1+tol.Up || p.Ratio == 1-tol.Down {
			keys = append(keys, fmt.Sprintf("tick/ratio-on-tolerance-edge/%s/%s", typeNames[m.Type], targetNames[m.Target]))
		}
	}
	c.add(keys...)
}

// required lists the features every full run must exercise at least once.
var required = []string{
	"scenario/behavior=nil", "scenario/behavior=set", "scenario/minReplicas=0:true", "scenario/minReplicas-unset:true",
	"scenario/interval=fixed15", "scenario/interval=irregular", "scenario/interval=edges",
	"scenario/scaleUp/select=Max", "scenario/scaleUp/select=Min", "scenario/scaleUp/select=Disabled",
	"scenario/scaleDown/select=Max", "scenario/scaleDown/select=Min", "scenario/scaleDown/select=Disabled",
	"scenario/scaleDown/window-unset:true", "scenario/scaleUp/tolerance-set:true", "scenario/scaleDown/tolerance-set:true",
	"scenario/tolerance=0", "scenario/controller-tolerance=0",
	"tick/rescale/up", "tick/rescale/down", "tick/rescale/to-zero", "tick/rescale/from-zero",
	"tick/limited=ScaleUpLimit", "tick/limited=ScaleDownLimit", "tick/limited=TooManyReplicas", "tick/limited=TooFewReplicas",
	"tick/stabilized=ScaleUpStabilized", "tick/stabilized=ScaleDownStabilized", "tick/select-disabled-held",
	"tick/active=False/ScalingDisabled", "tick/active=False/FailedGetMetric", "tick/partial-metric-failure-scaled",
	"tick/current=0/scaledToZero-condition:true", "tick/current>max", "tick/0<current<min",
	"tick/status<spec", "tick/status>spec", "tick/ready<status",
	"tick/ratio-on-tolerance-edge/External/Value", "tick/ratio-on-tolerance-edge/External/AverageValue",
	"tick/ratio-on-tolerance-edge/Object/Value", "tick/ratio-on-tolerance-edge/Object/AverageValue",
	"tick/ratio-on-tolerance-edge/Pods/AverageValue",
	"tick/ratio-on-tolerance-edge/Resource/Utilization", "tick/ratio-on-tolerance-edge/Resource/AverageValue",
	"tick/ratio-on-tolerance-edge/ContainerResource/Utilization", "tick/ratio-on-tolerance-edge/ContainerResource/AverageValue",
	"tick/odd-reading",
}

func (c *coverage) missing() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, k := range required {
		if c.n[k] == 0 {
			out = append(out, k)
		}
	}
	for _, typ := range []string{"External/Value", "External/AverageValue", "Object/Value", "Object/AverageValue", "Pods/AverageValue"} {
		if !c.hasPrefix("scenario/metric/" + typ + "/") {
			out = append(out, "scenario/metric/"+typ)
		}
	}
	for _, typ := range []string{"Resource", "ContainerResource"} {
		for _, tt := range []string{"Utilization", "AverageValue"} {
			for _, res := range []string{"cpu", "memory"} {
				k := "scenario/metric/" + typ + "/" + tt + "/" + res
				if c.n[k] == 0 {
					out = append(out, k)
				}
			}
		}
	}
	return out
}

func (c *coverage) hasPrefix(p string) bool {
	for k := range c.n {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}
