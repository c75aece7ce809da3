package kedaconformance

import (
	"context"
	"math"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	v2 "k8s.io/api/autoscaling/v2"

	"github.com/kedacore/keda/v2/pkg/scalers"
	"github.com/kedacore/keda/v2/pkg/scalers/scalersconfig"

	"github.com/autoreplay/autoreplay/replay/serve"
	"github.com/autoreplay/autoreplay/replay/trace"
)

// TestServeReadByKEDAScalers points KEDA v2.21's own prometheus and
// metrics-api scalers (json and prometheus formats, with and without
// credentials) at `replay serve` and checks that at each trace time they
// read what the trace holds there: the value, an empty result, or an error
// for a failed scrape.
func TestServeReadByKEDAScalers(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	pv := func(v float64) trace.Value { return trace.Value{V: v, Status: trace.Present} }
	failed := trace.Value{Status: trace.Failed}
	// us-east: lag 100, 250.5, failed, 400, then nothing for 10 minutes
	// (stale after 5); eu-west: lag 7 throughout.
	tb := &trace.Table{Header: trace.Header{Series: []string{"lag"}, Region: true}}
	for _, s := range []struct {
		sec    int
		region string
		v      trace.Value
	}{
		{0, "eu-west", pv(7)}, {0, "us-east", pv(100)},
		{60, "us-east", pv(250.5)}, {120, "us-east", failed}, {180, "us-east", pv(400)},
		{900, "eu-west", pv(7)}, {900, "us-east", pv(1)},
	} {
		tb.Samples = append(tb.Samples, trace.Sample{Time: at(s.sec), Region: s.region, Values: []trace.Value{s.v}})
	}

	var mu sync.Mutex
	wall := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return wall }
	set := func(traceSec int) {
		mu.Lock()
		defer mu.Unlock()
		wall = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(traceSec) * time.Second / 60)
	}

	open := serve.Options{Speed: 60, Now: now}
	keyed := open
	keyed.Auth = serve.Auth{APIKey: "k3y"}
	bearer := open
	bearer.Auth = serve.Auth{BearerToken: "t0ken"}
	servers := map[string]string{}
	for name, opt := range map[string]serve.Options{"open": open, "apiKey": keyed, "bearer": bearer} {
		s, err := serve.New(tb, opt)
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(s.Handler())
		t.Cleanup(hs.Close)
		servers[name] = hs.URL
	}

	type reader struct {
		name  string
		build func() (scalers.Scaler, error)
		// empty is how the scaler reads "no value": 0 (prometheus,
		// ignoreNullValues) or an error (metrics-api: the key is null or
		// the sample is missing).
		emptyFails bool
	}
	config := func(meta, auth map[string]string) *scalersconfig.ScalerConfig {
		return &scalersconfig.ScalerConfig{TriggerMetadata: meta, AuthParams: auth, GlobalHTTPTimeout: 5 * time.Second, MetricType: v2.AverageValueMetricType, TriggerType: "test"}
	}
	readers := []reader{
		{"prometheus", func() (scalers.Scaler, error) {
			return scalers.NewPrometheusScaler(config(map[string]string{"serverAddress": servers["open"], "query": `lag{region="us-east"}`, "threshold": "100"}, nil))
		}, false},
		{"metrics-api json", func() (scalers.Scaler, error) {
			return scalers.NewMetricsAPIScaler(config(map[string]string{"url": servers["open"] + "/json?region=us-east", "valueLocation": "lag", "targetValue": "100"}, nil), nil)
		}, true},
		{"metrics-api json, all regions", func() (scalers.Scaler, error) {
			return scalers.NewMetricsAPIScaler(config(map[string]string{"url": servers["open"] + "/json", "valueLocation": "regions.us-east.lag", "targetValue": "100"}, nil), nil)
		}, true},
		{"metrics-api prometheus", func() (scalers.Scaler, error) {
			return scalers.NewMetricsAPIScaler(config(map[string]string{"url": servers["open"] + "/metrics", "format": "prometheus", "valueLocation": `lag{region="us-east"}`, "targetValue": "100"}, nil), nil)
		}, true},
		{"metrics-api apiKey header", func() (scalers.Scaler, error) {
			return scalers.NewMetricsAPIScaler(config(map[string]string{"url": servers["apiKey"] + "/json?region=us-east", "valueLocation": "lag", "targetValue": "100", "authMode": "apiKey"}, map[string]string{"apiKey": "k3y"}), nil)
		}, true},
		{"metrics-api apiKey query", func() (scalers.Scaler, error) {
			return scalers.NewMetricsAPIScaler(config(map[string]string{"url": servers["apiKey"] + "/json?region=us-east", "valueLocation": "lag", "targetValue": "100", "authMode": "apiKey", "method": "query"}, map[string]string{"apiKey": "k3y"}), nil)
		}, true},
		{"metrics-api bearer", func() (scalers.Scaler, error) {
			return scalers.NewMetricsAPIScaler(config(map[string]string{"url": servers["bearer"] + "/json?region=us-east", "valueLocation": "lag", "targetValue": "100", "authMode": "bearer"}, map[string]string{"token": "t0ken"}), nil)
		}, true},
	}
	// The trace times read, and what us-east holds there.
	checks := []struct {
		sec   int
		value float64 // NaN: failed; -1: no value
	}{
		{0, 100}, {59, 100}, {60, 250.5}, {119, 250.5}, {120, math.NaN()}, {179, math.NaN()},
		{180, 400}, {479, 400}, {481, -1}, {900, 1},
	}
	ctx := context.Background()
	for _, r := range readers {
		t.Run(r.name, func(t *testing.T) {
			s, err := r.build()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close(ctx)
			for _, c := range checks {
				set(c.sec)
				ms, active, err := s.GetMetricsAndActivity(ctx, "s0-metric")
				switch {
				case math.IsNaN(c.value) || (c.value < 0 && r.emptyFails):
					if err == nil {
						t.Errorf("trace second %d: read %v, want an error", c.sec, ms)
					}
				case err != nil:
					t.Errorf("trace second %d: %v", c.sec, err)
				case c.value < 0:
					if ms[0].Value.MilliValue() != 0 || active {
						t.Errorf("trace second %d: read %d m (active %v), want 0 for an empty result", c.sec, ms[0].Value.MilliValue(), active)
					}
				default:
					if got, want := ms[0].Value.MilliValue(), int64(c.value*1000); got != want {
						t.Errorf("trace second %d: read %d m, want %d m", c.sec, got, want)
					}
				}
			}
		})
	}

	// Wrong credentials are refused.
	set(0)
	for name, build := range map[string]func() (scalers.Scaler, error){
		"wrong api key": func() (scalers.Scaler, error) {
			return scalers.NewMetricsAPIScaler(config(map[string]string{"url": servers["apiKey"] + "/json?region=us-east", "valueLocation": "lag", "targetValue": "100", "authMode": "apiKey"}, map[string]string{"apiKey": "nope"}), nil)
		},
		"no token": func() (scalers.Scaler, error) {
			return scalers.NewPrometheusScaler(config(map[string]string{"serverAddress": servers["bearer"], "query": "lag{region=\"us-east\"}", "threshold": "100"}, nil))
		},
	} {
		s, err := build()
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = s.GetMetricsAndActivity(ctx, "s0-metric")
		if err == nil || !strings.Contains(err.Error(), "401") {
			t.Errorf("%s: error %v, want a 401", name, err)
		}
		s.Close(ctx)
	}
}
