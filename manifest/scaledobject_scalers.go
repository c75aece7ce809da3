package manifest

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/keda"
	"github.com/robfig/cron/v3"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The scalers of KEDA v2.21 (pkg/scalers) that keda models, as their trigger
// type is written.
var supportedTriggerTypes = []string{"prometheus", "metrics-api", "kafka", "cron", "cpu", "memory"}

// buildTrigger mirrors building the trigger's scaler (buildScaler: the
// scaler's metadata parsing with ScalerConfig.TypedConfig and its Validate,
// GetMetricTargetType) and its GetMetricSpecForScaling, then the API
// server's validation of the metric in the HPA KEDA generates.
// usesModifiers is ScalerConfig.AsMetricSource.
func buildTrigger(i int, t *scaleTriggers, usesModifiers bool) (keda.Trigger, field.ErrorList) {
	c := &scalerConfig{index: i, trigger: t, path: triggersPath.Index(i), usesModifiers: usesModifiers}
	out := keda.Trigger{Name: t.Name, UseCachedMetrics: t.UseCachedMetrics}
	switch t.Type {
	case "prometheus":
		out.Kind = keda.Prometheus
		c.prometheus(&out)
	case "metrics-api":
		out.Kind = keda.MetricsAPI
		c.metricsAPI(&out)
	case "kafka":
		out.Kind = keda.Kafka
		c.kafka(&out)
	case "cron":
		out.Kind = keda.Cron
		c.cron(&out)
	case "cpu":
		out.Kind = keda.CPU
		c.resource(&out)
	case "memory":
		out.Kind = keda.Memory
		c.resource(&out)
	default:
		// An empty type is reported by the schema check.
		return out, field.ErrorList{field.NotSupported(c.path.Child("type"), t.Type, supportedTriggerTypes)}
	}
	return out, c.errs
}

// scalerConfig reads one trigger's metadata the way
// scalersconfig.ScalerConfig.TypedConfig does.
type scalerConfig struct {
	index         int
	trigger       *scaleTriggers
	path          *field.Path // spec.triggers[i]
	usesModifiers bool
	errs          field.ErrorList
}

func (c *scalerConfig) metaPath(key string) *field.Path { return c.path.Child("metadata").Child(key) }

func (c *scalerConfig) invalid(key, value, detail string) {
	c.errs = append(c.errs, field.Invalid(c.metaPath(key), value, detail))
}

// param describes one keda:"..." tag: the parameter's name, whether it
// must be given, its default, its enum, whether it may also come from the
// scale target's container environment (order=...;resolvedEnv) and whether
// it is deprecated (an error when set).
type param struct {
	name       string
	required   bool
	def        string
	enum       []string
	fromEnv    bool
	deprecated string
}

// value mirrors configParamValue and the start of setValue: the trimmed
// metadata value (an empty one counts as absent), else the default; a
// missing required parameter, a deprecated one that is set and a value
// outside the enum (each element of a comma-separated value is checked) are
// errors. ok is false when no value is to be parsed.
func (c *scalerConfig) value(p param) (v string, ok bool) {
	raw, present := c.trigger.Metadata[p.name]
	v = strings.TrimSpace(raw)
	present = present && v != ""
	if present && p.deprecated != "" {
		c.invalid(p.name, raw, fmt.Sprintf("scaler %s info: %s", c.trigger.Type, p.deprecated))
		return "", false
	}
	if !present && p.fromEnv {
		if env := strings.TrimSpace(c.trigger.Metadata[p.name+"FromEnv"]); env != "" {
			c.invalid(p.name+"FromEnv", env, fmt.Sprintf(
				"reading %q from the scale target's container environment is not modelled; expected the value written as metadata.%s", p.name, p.name))
			return "", false
		}
	}
	if !present && p.def != "" {
		v, present = p.def, true
	}
	if !present {
		if p.required {
			order := "[triggerMetadata]"
			if p.fromEnv {
				order = "[triggerMetadata resolvedEnv]"
			}
			c.errs = append(c.errs, field.Required(c.metaPath(p.name), fmt.Sprintf("missing required parameter %q in %s (%s scaler)", p.name, order, c.trigger.Type)))
		}
		return "", false
	}
	if p.enum != nil {
		for s := range strings.SplitSeq(v, ",") {
			if !containsString(p.enum, strings.TrimSpace(s)) {
				c.errs = append(c.errs, field.NotSupported(c.metaPath(p.name), v, p.enum))
				return "", false
			}
		}
	}
	return v, true
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// str reads a string parameter.
func (c *scalerConfig) str(p param) string {
	v, _ := c.value(p)
	return v
}

// float reads a float64 parameter as setConfigValueHelper does: with
// encoding/json, so "1e3" and "-2.5" are numbers and ".5", "+1", "NaN" or
// "1_000" are not.
func (c *scalerConfig) float(p param) (float64, bool) {
	v, ok := c.value(p)
	if !ok {
		return 0, false
	}
	var f float64
	if err := unmarshalParam(v, &f); err != nil {
		c.invalid(p.name, v, fmt.Sprintf("unable to set param %q value %q: %v; expected a number such as 100 or 0.5", p.name, v, err))
		return 0, false
	}
	return f, true
}

// int reads an int64 parameter with encoding/json: "10" but not "10.0".
func (c *scalerConfig) int(p param) (int64, bool) {
	v, ok := c.value(p)
	if !ok {
		return 0, false
	}
	var n int64
	if err := unmarshalParam(v, &n); err != nil {
		c.invalid(p.name, v, fmt.Sprintf("unable to set param %q value %q: %v; expected an integer", p.name, v, err))
		return 0, false
	}
	return n, true
}

// unmarshalParam decodes a JSON number; JSON null, which leaves the field
// untouched in encoding/json, makes TypedConfig fail (it panics and
// recovers), so it is an error here.
func unmarshalParam(v string, into any) error {
	if strings.TrimSpace(v) == "null" {
		return fmt.Errorf("null is not a value")
	}
	return json.Unmarshal([]byte(v), into)
}

// bool reads a bool parameter with strconv.ParseBool.
func (c *scalerConfig) bool(p param) bool {
	v, ok := c.value(p)
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		c.invalid(p.name, v, fmt.Sprintf("unable to set param %q value %q: unable to parse boolean value %q; expected true or false", p.name, v, v))
		return false
	}
	return b
}

// duration reads a time.Duration parameter: a Go duration ("30s") or a
// number of milliseconds, not negative.
func (c *scalerConfig) duration(p param) {
	v, ok := c.value(p)
	if !ok {
		return
	}
	if d, err := time.ParseDuration(v); err == nil {
		if d < 0 {
			c.invalid(p.name, v, "duration cannot be negative")
		}
		return
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		c.invalid(p.name, v, "unable to parse duration value: must be either a duration string (e.g. '30s', '5m') or a number of milliseconds")
	} else if ms < 0 {
		c.invalid(p.name, v, "duration cannot be negative")
	}
}

// keyValues reads a map[string]string parameter (setConfigValueMap):
// comma-separated key=value pairs.
func (c *scalerConfig) keyValues(p param) {
	v, ok := c.value(p)
	if !ok {
		return
	}
	for s := range strings.SplitSeq(v, ",") {
		s = strings.TrimSpace(s)
		if len(strings.Split(s, "=")) != 2 {
			c.invalid(p.name, v, fmt.Sprintf("unable to set param %q value %q: expected format key=value, got %q", p.name, v, s))
			return
		}
	}
}

// authModes reads the authModes (or authMode) parameter of the
// authentication.Config the HTTP scalers embed: values of the enum, at most
// one of bearer, basic and oauth, and only modes the scaler allows. The
// credentials come from a TriggerAuthentication, which is not read, so the
// rest of the authentication is not checked.
func (c *scalerConfig) authModes(allowed []string) {
	name := "authModes"
	if strings.TrimSpace(c.trigger.Metadata[name]) == "" {
		name = "authMode"
	}
	v, ok := c.value(param{name: name, enum: []string{"apiKey", "basic", "tls", "bearer", "custom", "oauth"}})
	if !ok {
		return
	}
	exclusive := 0
	for s := range strings.SplitSeq(v, ",") {
		s = strings.TrimSpace(s)
		if s == "bearer" || s == "basic" || s == "oauth" {
			exclusive++
		}
		if allowed != nil && !containsString(allowed, s) {
			c.invalid(name, v, fmt.Sprintf("auth mode %q is not supported by this scaler; supported modes: %v", s, allowed))
			return
		}
	}
	if exclusive > 1 {
		c.invalid(name, v, fmt.Sprintf("parameter %q value %q must contain only one of [bearer basic oauth]", name, v))
	}
	// APIKeyAuth.method, read from the metadata too.
	c.str(param{name: "method", def: "header", enum: []string{"header", "query"}})
}

// externalMetric sets what GetMetricSpecForScaling gives an external
// trigger: the metric name GenerateMetricNameWithIndex(index,
// NormalizeString(name)) and the target type of GetMetricTargetType.
func (c *scalerConfig) externalMetric(out *keda.Trigger, name string) bool {
	out.MetricName = fmt.Sprintf("s%d-%s", c.index, normalizeString(name))
	switch mt := c.trigger.MetricType; mt {
	case "", autoscalingv2.AverageValueMetricType:
		out.MetricType = hpa.AverageValue
	case autoscalingv2.ValueMetricType:
		out.MetricType = hpa.Value
	case autoscalingv2.UtilizationMetricType:
		c.errs = append(c.errs, field.Invalid(c.path.Child("metricType"), string(mt),
			"error getting scaler metric type: 'Utilization' metric type is unsupported for external metrics, allowed values are 'Value' or 'AverageValue'"))
		return false
	default:
		c.errs = append(c.errs, field.NotSupported(c.path.Child("metricType"), string(mt), []string{"AverageValue", "Value"}))
		return false
	}
	return true
}

// externalTargetType maps a target type the webhook accepts for external
// metrics.
func externalTargetType(t autoscalingv2.MetricTargetType) hpa.TargetType {
	if t == autoscalingv2.ValueMetricType {
		return hpa.Value
	}
	return hpa.AverageValue
}

// normalizeString mirrors kedautil.NormalizeString.
func normalizeString(s string) string {
	return strings.NewReplacer("/", "-", ".", "-", ":", "-", "%", "-", "(", "-", ")", "-").Replace(s)
}

// targetMili mirrors GetMetricTargetMili (quantityFromFloat64): the target
// formatted "%.3f" (NaN, ±Inf and negatives as 0) and parsed as a Quantity,
// which the HPA reads with MilliValue. The API server rejects a target that
// is not positive; MilliValue overflows beyond ~9.2e15.
func (c *scalerConfig) targetMili(out *keda.Trigger, key string, v float64) {
	out.Target = v
	s := "0"
	if !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 {
		s = fmt.Sprintf("%.3f", v)
	}
	q, err := resource.ParseQuantity(s)
	if err != nil {
		c.invalid(key, c.written(key, strconv.FormatFloat(v, 'g', -1, 64)), "KEDA cannot make the HPA target of it: "+err.Error())
		return
	}
	c.checkTarget(out, key, c.written(key, strconv.FormatFloat(v, 'g', -1, 64)), q)
}

// targetWhole mirrors GetMetricTarget: a whole-number Quantity.
func (c *scalerConfig) targetWhole(out *keda.Trigger, key string, v int64) {
	out.Target = float64(v)
	c.checkTarget(out, key, c.written(key, strconv.FormatInt(v, 10)), *resource.NewQuantity(v, resource.DecimalSI))
}

// written returns the metadata value of key as written (trimmed), or def
// when it is not written (a default applies).
func (c *scalerConfig) written(key, def string) string {
	if v := strings.TrimSpace(c.trigger.Metadata[key]); v != "" {
		return v
	}
	return def
}

// checkTarget sets TargetMilli from the HPA target q, which the API server
// must accept unless the composite metric of scalingModifiers replaces the
// trigger's metric in the HPA (TargetMilli then stays 0 when q is not
// usable).
func (c *scalerConfig) checkTarget(out *keda.Trigger, key, written string, q resource.Quantity) {
	if c.usesModifiers {
		if q.Sign() == 1 && !exceedsMilliRange(q) {
			out.TargetMilli = q.MilliValue()
		}
		return
	}
	name := targetField[autoscalingv2.AverageValueMetricType]
	if out.MetricType == hpa.Value {
		name = targetField[autoscalingv2.ValueMetricType]
	}
	switch {
	case q.Sign() != 1:
		c.invalid(key, written, fmt.Sprintf("the API server rejects the HPA KEDA generates: its target %s is %s: must be positive", name, q.String()))
	case exceedsMilliRange(q):
		c.invalid(key, written, fmt.Sprintf("the HPA target %s %s overflows the controller's int64 milli-units (Quantity.MilliValue); expected at most 9223372036854775807m", name, q.String()))
	default:
		out.TargetMilli = q.MilliValue()
	}
}

// exceedsMilliRange reports a quantity whose MilliValue overflows int64
// (and is then wrong, possibly positive).
func exceedsMilliRange(q resource.Quantity) bool {
	return q.Cmp(*resource.NewMilliQuantity(math.MaxInt64, resource.DecimalSI)) > 0
}

// prometheus mirrors parsePrometheusMetadata (prometheusMetadata) and
// GetMetricSpecForScaling: metric s<i>-prometheus, target threshold.
func (c *scalerConfig) prometheus(out *keda.Trigger) {
	okType := c.externalMetric(out, "prometheus")
	c.str(param{name: "serverAddress", required: true})
	c.str(param{name: "query", required: true})
	c.keyValues(param{name: "queryParameters"})
	threshold, ok := c.float(param{name: "threshold", required: true})
	out.Activation, _ = c.float(param{name: "activationThreshold"})
	c.str(param{name: "namespace"})
	c.keyValues(param{name: "customHeaders"})
	out.FailOnNull = !c.bool(param{name: "ignoreNullValues", def: "true"})
	c.bool(param{name: "unsafeSsl"})
	c.str(param{name: "awsRegion"})
	c.duration(param{name: "timeout"})
	c.str(param{name: "identityOwner"})
	c.authModes(nil)
	if ok && okType {
		c.targetMili(out, "threshold", threshold)
	}
}

// metricsAPI mirrors parseMetricsAPIMetadata (metricsAPIScalerMetadata) and
// GetMetricSpecForScaling: metric s<i>-metric-api-<valueLocation>, target
// targetValue, which may only be left out (or 0) when the ScaledObject uses
// scalingModifiers (AsMetricSource).
func (c *scalerConfig) metricsAPI(out *keda.Trigger) {
	target, targetOK := c.float(param{name: "targetValue"})
	out.Activation, _ = c.float(param{name: "activationTargetValue", def: "0"})
	c.str(param{name: "url", required: true})
	c.str(param{name: "format", def: "json", enum: []string{"prometheus", "json", "xml", "yaml"}})
	valueLocation, vlOK := c.value(param{name: "valueLocation", required: true})
	c.bool(param{name: "unsafeSsl", def: "false"})
	c.bool(param{name: "aggregateFromKubeServiceEndpoints", def: "false"})
	c.str(param{name: "aggregationType", def: "average", enum: []string{"average", "sum", "max", "min"}})
	c.duration(param{name: "timeout"})
	c.authModes([]string{"apiKey", "basic", "tls", "bearer"})
	okType := c.externalMetric(out, "metric-api-"+valueLocation)
	written := strings.TrimSpace(c.trigger.Metadata["targetValue"])
	if written != "" && !targetOK {
		return // reported by float
	}
	if target == 0 && !c.usesModifiers {
		if written == "" {
			c.errs = append(c.errs, field.Required(c.metaPath("targetValue"), "no targetValue given in metadata (required unless the ScaledObject uses scalingModifiers)"))
		} else {
			c.invalid("targetValue", written, "no targetValue given in metadata (0 counts as none unless the ScaledObject uses scalingModifiers)")
		}
		return
	}
	if okType && vlOK {
		c.targetMili(out, "targetValue", target)
	}
}

// kafka mirrors parseKafkaMetadata (kafkaMetadata and its Validate) and
// GetMetricSpecForScaling: metric s<i>-kafka-<topic> (or
// kafka-<consumerGroup>-topics without a topic), target lagThreshold as a
// whole quantity. The options that shape the lag become keda.KafkaOptions;
// excludePersistentLag is not modelled. The TLS and SASL settings need the
// TriggerAuthentication's parameters and are not checked.
func (c *scalerConfig) kafka(out *keda.Trigger) {
	okType := c.externalMetric(out, "")
	c.str(param{name: "bootstrapServers", required: true, fromEnv: true})
	group := c.str(param{name: "consumerGroup", required: true, fromEnv: true})
	topic := c.str(param{name: "topic", fromEnv: true})
	if pl := c.str(param{name: "partitionLimitation"}); pl != "" {
		if err := parsePartitionLimitation(pl); err != nil {
			c.invalid("partitionLimitation", pl, err.Error())
		}
	}
	lag, lagOK := c.int(param{name: "lagThreshold", def: "10"})
	act, actOK := c.int(param{name: "activationLagThreshold", def: "0"})
	c.str(param{name: "offsetResetPolicy", def: "latest", enum: []string{"latest", "earliest"}})
	o := keda.KafkaOptions{
		AllowIdleConsumers: c.bool(param{name: "allowIdleConsumers", def: "false"}),
	}
	if c.bool(param{name: "excludePersistentLag", def: "false"}) {
		c.invalid("excludePersistentLag", c.trigger.Metadata["excludePersistentLag"],
			"not modelled: it needs the consumer offsets of the previous poll per partition, which a replayed total lag does not carry; expected false or the parameter removed")
	}
	c.bool(param{name: "scaleToZeroOnInvalidOffset", def: "false"})
	o.LimitToPartitionsWithLag = c.bool(param{name: "limitToPartitionsWithLag", def: "false"})
	o.EnsureEvenDistributionOfPartitions = c.bool(param{name: "ensureEvenDistributionOfPartitions", def: "false"})
	full := c.bool(param{name: "fullMetadata", def: "true"})
	if v := c.str(param{name: "version"}); v != "" {
		if err := parseKafkaVersion(v); err != nil {
			c.invalid("version", v, "error parsing kafka version: "+err.Error())
		}
	}
	c.str(param{name: "tls", def: "disable", enum: []string{"enable", "disable"}})
	c.bool(param{name: "unsafeSsl", def: "false"})
	c.str(param{name: "sasl", enum: []string{"none", "plaintext", "scram_sha256", "scram_sha512", "oauthbearer", "gssapi"}})
	c.str(param{name: "saslTokenProvider", enum: []string{"bearer", "aws_msk_iam"}})
	c.str(param{name: "awsRegion"})

	// kafkaMetadata.Validate.
	if lagOK && lag <= 0 {
		c.invalid("lagThreshold", strconv.FormatInt(lag, 10), `"lagThreshold" must be positive number`)
		lagOK = false
	}
	if actOK && act < 0 {
		c.invalid("activationLagThreshold", strconv.FormatInt(act, 10), `"activationLagThreshold" must be a non-negative number`)
	}
	if o.AllowIdleConsumers && o.LimitToPartitionsWithLag {
		c.invalid("limitToPartitionsWithLag", "true", "allowIdleConsumers and limitToPartitionsWithLag cannot be set simultaneously")
	}
	if topic == "" && o.LimitToPartitionsWithLag {
		c.invalid("limitToPartitionsWithLag", "true", "topic must be specified when using limitToPartitionsWithLag")
	}
	if o.LimitToPartitionsWithLag && o.EnsureEvenDistributionOfPartitions {
		c.invalid("ensureEvenDistributionOfPartitions", "true", "limitToPartitionsWithLag and ensureEvenDistributionOfPartitions cannot be set simultaneously")
	}
	if topic == "" && o.EnsureEvenDistributionOfPartitions {
		c.invalid("ensureEvenDistributionOfPartitions", "true", "topic must be specified when using ensureEvenDistributionOfPartitions")
	}
	if !full && topic == "" {
		c.invalid("fullMetadata", "false", "topic must be specified when fullMetadata is false")
	}

	name := "kafka-" + topic
	if topic == "" {
		name = "kafka-" + group + "-topics"
	}
	out.MetricName = fmt.Sprintf("s%d-%s", c.index, normalizeString(name))
	out.Kafka = o
	out.Activation = float64(act)
	if lagOK && okType {
		c.targetWhole(out, "lagThreshold", lag)
	}
}

// parsePartitionLimitation mirrors the kafka scaler's function of that
// name: comma-separated partition ids and ranges.
func parsePartitionLimitation(s string) error {
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if strings.Contains(part, "-") {
			r := strings.Split(part, "-")
			if len(r) != 2 {
				return fmt.Errorf("invalid partition limitation range: %s", part)
			}
			for _, x := range r {
				if _, err := strconv.ParseInt(strings.TrimSpace(x), 10, 32); err != nil {
					return fmt.Errorf("invalid partition limitation: %s", part)
				}
			}
			continue
		}
		if _, err := strconv.ParseInt(part, 10, 32); err != nil {
			return fmt.Errorf("invalid partition limitation: %s", part)
		}
	}
	return nil
}

// Patterns of sarama.ParseKafkaVersion (IBM/sarama v1.60.2, which KEDA
// v2.21 uses).
var (
	kafkaPre1VersionRE  = regexp.MustCompile(`^0\.\d+\.\d+\.\d+$`)
	kafkaPost1VersionRE = regexp.MustCompile(`^\d+\.\d+\.\d+$`)
)

// parseKafkaVersion mirrors sarama.ParseKafkaVersion's checks.
func parseKafkaVersion(s string) error {
	re := kafkaPost1VersionRE
	if strings.HasPrefix(s, "0") {
		re = kafkaPre1VersionRE
	}
	if len(s) < 5 || !re.MatchString(s) {
		return fmt.Errorf("invalid version `%s`", s)
	}
	for f := range strings.SplitSeq(s, ".") {
		if _, err := strconv.ParseUint(f, 10, 64); err != nil {
			return err
		}
	}
	return nil
}

// cron mirrors parseCronMetadata (cronMetadata and its Validate) and
// GetMetricSpecForScaling: metric s<i>-cron-<timezone>-<start>-<end>,
// target 1 as a whole quantity. The timezone is loaded with
// time.LoadLocation, which KEDA does at every poll (and fails every poll
// when it cannot); "Local" is UTC, as in KEDA's distroless image.
func (c *scalerConfig) cron(out *keda.Trigger) {
	okType := c.externalMetric(out, "")
	start := c.str(param{name: "start", required: true})
	end := c.str(param{name: "end", required: true})
	tz := c.str(param{name: "timezone", required: true})
	desired, desiredOK := c.int(param{name: "desiredReplicas", required: true})
	out.MetricName = fmt.Sprintf("s%d-%s", c.index, normalizeString(fmt.Sprintf("cron-%s-%s-%s", tz, cronTimeFormat(start), cronTimeFormat(end))))
	// cronMetadata.Validate, which runs even when parameters are missing.
	ok := start != "" && end != "" && tz != "" && desiredOK
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
	if _, err := parser.Parse(start); err != nil && start != "" {
		c.invalid("start", start, "error parsing start schedule: "+err.Error())
		ok = false
	}
	if _, err := parser.Parse(end); err != nil && end != "" {
		c.invalid("end", end, "error parsing end schedule: "+err.Error())
		ok = false
	}
	if start == end && start != "" {
		c.invalid("end", end, "start and end can not have exactly same time input")
		ok = false
	}
	if desiredOK && desired == 0 {
		c.invalid("desiredReplicas", "0", "no desiredReplicas specified")
		ok = false
	}
	if tz == "" {
		return
	}
	loc := time.UTC
	if tz != "Local" {
		var err error
		if loc, err = time.LoadLocation(tz); err != nil {
			c.invalid("timezone", tz, "unable to load timezone: "+err.Error()+"; expected an IANA time zone such as Europe/Berlin")
			return
		}
	}
	if !ok {
		return
	}
	sched, err := keda.NewCronSchedule(loc, start, end, desired)
	if err != nil {
		c.invalid("start", start, err.Error())
		return
	}
	out.Cron = sched
	if okType {
		c.targetWhole(out, "desiredReplicas", 1)
	}
}

// cronTimeFormat mirrors parseCronTimeFormat.
func cronTimeFormat(s string) string {
	return strings.NewReplacer(" ", "", "*", "x", "/", "Sl", "?", "Qm", ",", "Cm").Replace(s)
}

// resource mirrors parseResourceMetadata (cpuMemoryMetadata) and
// GetMetricSpecForScaling of the cpu and memory scalers: the trigger's
// metricType (required in v2.21; metadata.type was removed in v2.18 and is
// an error) chooses Utilization (value is a whole percentage) or
// AverageValue (value is a Quantity); containerName makes the metric a
// ContainerResource. The API server then validates the HPA's target.
func (c *scalerConfig) resource(out *keda.Trigger) {
	out.MetricName = c.trigger.Type
	c.str(param{name: "type", deprecated: "The 'type' setting is DEPRECATED and is removed in v2.18 - Use 'metricType' instead."})
	value, valueOK := c.value(param{name: "value", required: true})
	out.ContainerName = c.str(param{name: "containerName"})
	if out.ContainerName != "" {
		for _, msg := range validation.IsDNS1123Label(out.ContainerName) {
			c.invalid("containerName", out.ContainerName, "the API server rejects the HPA KEDA generates: "+msg)
		}
	}
	mtPath := c.path.Child("metricType")
	switch mt := c.trigger.MetricType; mt {
	case autoscalingv2.UtilizationMetricType:
		out.MetricType = hpa.Utilization
		if !valueOK {
			return
		}
		u, err := strconv.ParseInt(value, 10, 32)
		switch {
		case err != nil:
			c.invalid("value", value, fmt.Sprintf("error parsing %s metadata: %v; expected a whole percentage such as 70", c.trigger.Type, err))
		case u < 1:
			c.invalid("value", value, "the API server rejects the HPA KEDA generates: its target averageUtilization must be greater than 0")
		default:
			out.Target = float64(u)
		}
	case autoscalingv2.AverageValueMetricType:
		out.MetricType = hpa.AverageValue
		if !valueOK {
			return
		}
		q, err := resource.ParseQuantity(value)
		switch {
		case err != nil:
			c.invalid("value", value, "not a quantity, on which KEDA v2.21 panics (resource.MustParse); expected a quantity such as 500m or 512Mi")
		case q.Sign() != 1:
			c.invalid("value", value, "the API server rejects the HPA KEDA generates: its target averageValue must be positive")
		case exceedsMilliRange(q):
			c.invalid("value", value, "the HPA target overflows the controller's int64 milli-units (Quantity.MilliValue); expected at most 9223372036854775807m")
		default:
			out.Target = q.AsApproximateFloat64()
			out.TargetMilli = q.MilliValue()
		}
	case "":
		c.errs = append(c.errs, field.Required(mtPath, fmt.Sprintf(
			"error parsing %s metadata: unknown metric type: , allowed values are 'Utilization' or 'AverageValue' (v2.21 requires the trigger's metricType)", c.trigger.Type)))
	default:
		c.errs = append(c.errs, field.NotSupported(mtPath, string(mt), []string{"Utilization", "AverageValue"}))
	}
}
