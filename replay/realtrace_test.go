package replay

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autoreplay/autoreplay/manifest"
	"github.com/autoreplay/autoreplay/replay/trace"
)

// realCase is a replay of a real trace (testdata/traces, see SOURCE.md
// there) through a manifest of testdata/.
type realCase struct {
	name, manifest, trace string
	configure             func(*Config)
	summary               SummaryOptions
}

var realCases = []realCase{
	{
		// Open loop: a gateway HPA on a day of NASA-HTTP request rates.
		name: "nasa-gateway-open", manifest: "examples/nasa-gateway-hpa.yaml",
		trace: "traces/nasa-http-1995-07-01-rate.csv",
	},
	{
		// Closed loop, three regions: a scale-to-zero queue worker on a
		// day of three Azure Functions' invocations, with a 30 s
		// startup, a 15 s scrape and 30 s of pipeline delay.
		name: "azure-queue-closed", manifest: "replay/queue-worker.yaml",
		trace: "traces/azure-functions-2019-queues.csv",
		configure: func(c *Config) {
			c.Workloads = []Workload{{Series: "backlog", Kind: Queue, Arrivals: "arrivals", Throughput: 20}}
			c.StartupDelay = 30 * time.Second
			c.Pipeline = Pipeline{Delay: 30 * time.Second, ScrapeInterval: 15 * time.Second}
		},
		summary: SummaryOptions{SLO: map[string]float64{"backlog": 2000}},
	},
	{
		// Closed loop, utilization: an LLM gateway on CPU, with an hour
		// of Azure LLM code requests; a replica serves 0.4 requests/s.
		name: "azure-llm-utilization", manifest: "replay/llm-gateway-hpa.yaml",
		trace: "traces/azure-llm-code-2023-11-16.csv",
		configure: func(c *Config) {
			c.Workloads = []Workload{{Series: "cpu", Kind: Utilization, Load: "requests_per_second", Capacity: 0.4}}
			c.StartupDelay = 45 * time.Second
		},
		summary: SummaryOptions{SLO: map[string]float64{"cpu": 100}},
	},
}

func (rc realCase) config(t testing.TB) Config {
	t.Helper()
	path := filepath.Join("..", "testdata", rc.manifest)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cfg Config
	if strings.Contains(rc.manifest, "hpa") {
		hs, err := manifest.ParseHPAs(path, f, manifest.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		cfg.HPA = &hs[0].Spec
	} else {
		sos, err := manifest.ParseScaledObjects(path, f, manifest.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		cfg.ScaledObject = &sos[0].Spec
	}
	if rc.configure != nil {
		rc.configure(&cfg)
	}
	return cfg
}

func (rc realCase) csvReader(t testing.TB) trace.Reader {
	t.Helper()
	path := filepath.Join("..", "testdata", rc.trace)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return trace.NewCSVReader(rc.trace, bytes.NewReader(b))
}

// outputs replays r and returns the timeline as CSV and JSON, the rescale
// rows as CSV, and the summary as text.
type outputs struct{ csv, json, rescales, summary []byte }

func replayAll(t testing.TB, cfg Config, r trace.Reader, so SummaryOptions) (outputs, Result) {
	t.Helper()
	rp, err := New(cfg, r.Header())
	if err != nil {
		t.Fatal(err)
	}
	var o outputs
	var cb, jb, rb, sb bytes.Buffer
	cw, jw, rw := NewCSVTimeline(&cb, rp.Columns()), NewJSONTimeline(&jb, rp.Columns()), NewCSVTimeline(&rb, rp.Columns())
	sum := NewSummarizer(rp.Columns(), so)
	res, err := rp.Run(r, func(row *Row) error {
		sum.Add(row)
		if row.Rescale {
			if err := rw.Write(row); err != nil {
				return err
			}
		}
		if err := jw.Write(row); err != nil {
			return err
		}
		return cw.Write(row)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []TimelineWriter{cw, jw, rw} {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteSummaryText(&sb, sum.Summary()); err != nil {
		t.Fatal(err)
	}
	o.csv, o.json, o.rescales, o.summary = cb.Bytes(), jb.Bytes(), rb.Bytes(), sb.Bytes()
	return o, res
}

// Golden timelines of real traces: the summary, every rescale, the
// warnings, and digests of the whole CSV and JSON timelines (byte for
// byte).
func TestRealTraces(t *testing.T) {
	for _, rc := range realCases {
		t.Run(rc.name, func(t *testing.T) {
			o, res := replayAll(t, rc.config(t), rc.csvReader(t), rc.summary)
			var b bytes.Buffer
			fmt.Fprintf(&b, "# %s through %s\n\n", rc.trace, rc.manifest)
			b.Write(o.summary)
			fmt.Fprintf(&b, "\n# warnings (%d dropped)\n", res.WarningsDropped)
			for _, w := range res.Warnings {
				fmt.Fprintln(&b, w)
			}
			cfg := rc.config(t)
			for _, g := range res.Regions {
				for i, q := range g.Queues {
					if cfg.Workloads[i].Kind != Queue {
						continue
					}
					fmt.Fprintf(&b, "# region %q queue %s: initial %.3f + arrived %.3f = processed %.3f + final %.3f\n", g.Region, q.Series, q.Initial, q.Arrived, q.Processed, q.Final)
				}
			}
			fmt.Fprintf(&b, "\n# timeline.csv sha256 %x (%d bytes)\n", sha256.Sum256(o.csv), len(o.csv))
			fmt.Fprintf(&b, "# timeline.json sha256 %x (%d bytes)\n", sha256.Sum256(o.json), len(o.json))
			fmt.Fprintf(&b, "\n# rescales\n")
			b.Write(o.rescales)
			golden(t, "realtrace/"+rc.name+".golden", b.Bytes())
			if !json.Valid(o.json) {
				t.Error("the JSON timeline is not valid JSON")
			}
		})
	}
}

// The same data as CSV, Parquet and Prometheus query_range JSON gives
// byte-identical timelines.
func TestFormatsGiveIdenticalTimelines(t *testing.T) {
	for _, rc := range realCases {
		t.Run(rc.name, func(t *testing.T) {
			want, _ := replayAll(t, rc.config(t), rc.csvReader(t), rc.summary)

			samples, h := readAll(t, rc.csvReader(t))
			var pq bytes.Buffer
			pw := trace.NewParquetWriter(&pq, h)
			for i := range samples {
				if err := pw.Write(&samples[i]); err != nil {
					t.Fatal(err)
				}
			}
			if err := pw.Close(); err != nil {
				t.Fatal(err)
			}
			pr, err := trace.NewParquetReader("trace.parquet", bytes.NewReader(pq.Bytes()), int64(pq.Len()))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := replayAll(t, rc.config(t), pr, rc.summary)
			if !bytes.Equal(want.csv, got.csv) || !bytes.Equal(want.json, got.json) {
				t.Errorf("Parquet: timeline differs from the CSV trace's")
			}

			var readers []trace.Reader
			for _, col := range h.Series {
				opt := trace.PromOptions{Column: col}
				if h.Region {
					opt.RegionLabel = "region"
				}
				doc := promDoc(samples, h, col)
				r, err := trace.NewPromReader(col+".json", bytes.NewReader(doc), opt)
				if err != nil {
					t.Fatal(err)
				}
				readers = append(readers, r)
			}
			r := readers[0]
			if len(readers) > 1 {
				if r, err = trace.Join(readers...); err != nil {
					t.Fatal(err)
				}
			}
			got, _ = replayAll(t, rc.config(t), r, rc.summary)
			if !bytes.Equal(want.csv, got.csv) || !bytes.Equal(want.json, got.json) {
				t.Errorf("Prometheus JSON: timeline differs from the CSV trace's")
			}
		})
	}
}

func readAll(t testing.TB, r trace.Reader) ([]trace.Sample, trace.Header) {
	t.Helper()
	var out []trace.Sample
	for r.Scan() {
		s := *r.Sample()
		s.Values = append([]trace.Value(nil), s.Values...)
		out = append(out, s)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out, r.Header()
}

// promDoc writes column col of samples as a query_range response with one
// series per region (label "region").
func promDoc(samples []trace.Sample, h trace.Header, col string) []byte {
	k := 0
	for i, s := range h.Series {
		if s == col {
			k = i
		}
	}
	var regions []string
	points := map[string][]string{}
	for _, s := range samples {
		if _, ok := points[s.Region]; !ok {
			regions = append(regions, s.Region)
		}
		v := s.Values[k]
		if v.Status != trace.Present {
			continue
		}
		ts := strconv.FormatInt(s.Time.Unix(), 10)
		if ns := s.Time.Nanosecond(); ns != 0 {
			ts += strings.TrimRight(fmt.Sprintf(".%09d", ns), "0")
		}
		points[s.Region] = append(points[s.Region], fmt.Sprintf(`[%s,"%s"]`, ts, strconv.FormatFloat(v.V, 'g', -1, 64)))
	}
	var series []string
	for _, g := range regions {
		labels := `{"__name__":"x"}`
		if h.Region {
			labels = fmt.Sprintf(`{"__name__":"x","region":%q}`, g)
		}
		series = append(series, fmt.Sprintf(`{"metric":%s,"values":[%s]}`, labels, strings.Join(points[g], ",")))
	}
	return []byte(`{"status":"success","data":{"resultType":"matrix","result":[` + strings.Join(series, ",") + `]}}`)
}
