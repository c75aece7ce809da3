package capture

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/keda"
	"github.com/autoreplay/autoreplay/manifest"
	"github.com/autoreplay/autoreplay/replay"
)

// ReplicasColumn is the column name of a query for the replica count
// recorded in production (e.g. kube_deployment_status_replicas).
const ReplicasColumn = "replicas"

// Plan lists the queries that capture a trace for the controller of cfg:
// one per series it reads (replay.Inputs), named as the replay looks the
// column up.
//
// A prometheus trigger runs its own query (prom, indexed like the
// ScaledObject's triggers, as manifest.ScaledObject.Queries) against its
// serverAddress with its namespace, queryParameters and customHeaders, read
// as its scaler reads a result. user maps a column name (any name the
// series goes by, or ReplicasColumn) to a PromQL expression: it replaces a
// trigger's own query, and gives one for the series that have none (HPA
// metrics and the other scalers). A series with neither is an error, as is
// a user query that feeds nothing.
func Plan(cfg *replay.Config, prom []*manifest.PrometheusQuery, user map[string]string) ([]Query, error) {
	var qs []Query
	used := map[string]bool{}
	var missing []string
	for _, in := range replay.Inputs(cfg) {
		q := Query{Column: in.Names[0], Source: in.Desc}
		for _, n := range in.Names {
			if e, ok := user[n]; ok {
				if used[n] {
					return nil, fmt.Errorf("query for %q: feeds %s and another series; give each a column of its own", n, in.Desc)
				}
				q.Column, q.Expr = n, e
				used[n] = true
				break
			}
		}
		q.Reading = reading(cfg, in.Index)
		var p *manifest.PrometheusQuery
		if cfg.ScaledObject != nil && in.Index < len(prom) {
			p = prom[in.Index]
		}
		if p != nil {
			q.Server = p.ServerAddress
			q.Headers = p.CustomHeaders
			q.Params = map[string]string{}
			maps.Copy(q.Params, p.QueryParameters)
			if p.Namespace != "" {
				q.Params["namespace"] = p.Namespace
			}
			if len(q.Params) == 0 {
				q.Params = nil
			}
			if q.Expr == "" {
				q.Expr = p.Query
			}
		}
		if q.Expr == "" {
			missing = append(missing, fmt.Sprintf("%s (a query for %s)", in.Desc, orList(in.Names)))
			continue
		}
		for _, o := range qs {
			if o.Column == q.Column {
				return nil, fmt.Errorf("%s and %s both go by the column %q: give one a query under another of its names", o.Source, q.Source, q.Column)
			}
		}
		qs = append(qs, q)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no query for %s: only prometheus triggers carry their own", strings.Join(missing, "; "))
	}
	if e, ok := user[ReplicasColumn]; ok {
		qs = append(qs, Query{Column: ReplicasColumn, Expr: e, Reading: Replicas, Source: "the recorded replicas"})
		used[ReplicasColumn] = true
	}
	for _, n := range slices.Sorted(maps.Keys(user)) {
		if !used[n] {
			var names []string
			for _, in := range replay.Inputs(cfg) {
				names = append(names, in.Names...)
			}
			names = append(names, ReplicasColumn)
			return nil, fmt.Errorf("query for %q: no trigger or metric reads a column of that name; the names are %s", n, list(names))
		}
	}
	return qs, nil
}

// reading is how the series of trigger or metric i reads a query result.
func reading(cfg *replay.Config, i int) Reading {
	if so := cfg.ScaledObject; so != nil {
		t := so.Triggers[i]
		switch t.Kind {
		case keda.Prometheus:
			if t.FailOnNull {
				return ScalerFailOnNull
			}
			return ScalerIgnoreNull
		case keda.CPU, keda.Memory:
			return Mean
		}
		return One
	}
	switch cfg.HPA.Metrics[i].Type {
	case hpa.External:
		return Sum
	case hpa.Object:
		return One
	}
	return Mean
}

func quote(names []string) []string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return q
}

func list(names []string) string { return strings.Join(quote(names), ", ") }

func orList(names []string) string {
	q := quote(names)
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
