package manifest

import (
	"strconv"
	"strings"
	"time"
)

// PrometheusQuery is what a prometheus trigger asks its server on every
// poll, as KEDA v2.21 reads it (prometheusMetadata, ExecutePromQuery in
// pkg/scalers/prometheus_scaler.go): an instant query at the poll's time.
type PrometheusQuery struct {
	// ServerAddress, Query and Namespace are the metadata as written,
	// trimmed. Namespace, when set, is sent as the namespace parameter
	// (Thanos Querier).
	ServerAddress, Query, Namespace string
	// QueryParameters are extra URL parameters and CustomHeaders extra
	// request headers: the metadata's comma-separated key=value lists
	// (setConfigValueMap), nil when not set.
	QueryParameters, CustomHeaders map[string]string
	// IgnoreNullValues is the metadata's ignoreNullValues (default true):
	// an empty result, NaN and ±Inf read as 0 instead of failing.
	IgnoreNullValues bool
	// UnsafeSSL is the metadata's unsafeSsl: certificates are not verified.
	UnsafeSSL bool
	// Timeout is the metadata's timeout; 0 when not set (KEDA then uses
	// its global HTTP timeout).
	Timeout time.Duration
}

// prometheusQueries reads the prometheus triggers' queries of a
// ScaledObject that buildScaledObject accepted, so every value is valid:
// one entry per trigger, nil for triggers of other types.
func prometheusQueries(triggers []scaleTriggers) []*PrometheusQuery {
	qs := make([]*PrometheusQuery, len(triggers))
	for i, t := range triggers {
		if t.Type != "prometheus" {
			continue
		}
		get := func(k string) string { return strings.TrimSpace(t.Metadata[k]) }
		q := &PrometheusQuery{
			ServerAddress:    get("serverAddress"),
			Query:            get("query"),
			Namespace:        get("namespace"),
			QueryParameters:  keyValueMap(get("queryParameters")),
			CustomHeaders:    keyValueMap(get("customHeaders")),
			IgnoreNullValues: true,
		}
		if v := get("ignoreNullValues"); v != "" {
			q.IgnoreNullValues, _ = strconv.ParseBool(v)
		}
		if v := get("unsafeSsl"); v != "" {
			q.UnsafeSSL, _ = strconv.ParseBool(v)
		}
		if v := get("timeout"); v != "" {
			if d, err := time.ParseDuration(v); err == nil {
				q.Timeout = d
			} else if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
				q.Timeout = time.Duration(ms) * time.Millisecond
			}
		}
		qs[i] = q
	}
	return qs
}

// keyValueMap parses a validated key=value,key=value list
// (setConfigValueMap: pairs and both sides trimmed).
func keyValueMap(v string) map[string]string {
	if v == "" {
		return nil
	}
	m := map[string]string{}
	for s := range strings.SplitSeq(v, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(s), "=")
		m[strings.TrimSpace(k)] = strings.TrimSpace(val)
	}
	return m
}
