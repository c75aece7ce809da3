package replay

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/autoreplay/autoreplay/replay/trace"
)

// jsonTimelineDoc is the JSON timeline as encoding/json decodes it.
type jsonTimelineDoc struct {
	Loop   string   `json:"loop"`
	Series []string `json:"series"`
	Actual []string `json:"actual"`
	Rows   []struct {
		Time     string         `json:"time"`
		Region   string         `json:"region"`
		Replicas int32          `json:"replicas"`
		Desired  *int32         `json:"desired"`
		Source   string         `json:"source"`
		Ready    int32          `json:"ready"`
		Recorded *int32         `json:"recorded"`
		Seen     map[string]any `json:"seen"`
		Actual   map[string]any `json:"actual"`
		Reasons  []string       `json:"reasons"`
	} `json:"rows"`
}

func TestTimelineJSONGolden(t *testing.T) {
	for _, tc := range timelineCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := writeTimeline(t, newJSON, tc.c, tc.rows)
			golden(t, "timeline/"+tc.name+".json.golden", got)
			if again := writeTimeline(t, newJSON, tc.c, tc.rows); !bytes.Equal(got, again) {
				t.Error("two writes of the same rows differ")
			}

			// encoding/json decodes it (strictly) to the rows' values.
			var doc jsonTimelineDoc
			dec := json.NewDecoder(bytes.NewReader(got))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&doc); err != nil {
				t.Fatalf("decode: %v", err)
			}
			rows := keptRows(tc.rows)
			if doc.Loop != tc.c.Loop.String() || len(doc.Rows) != len(rows) {
				t.Fatalf("decoded loop %q with %d rows, want %q with %d", doc.Loop, len(doc.Rows), tc.c.Loop, len(rows))
			}
			for i, r := range rows {
				d := doc.Rows[i]
				if tm, err := time.Parse(time.RFC3339Nano, d.Time); err != nil || !tm.Equal(r.Time) {
					t.Errorf("row %d: time %q (%v), want %v", i, d.Time, err, r.Time)
				}
				if d.Region != r.Region || d.Replicas != r.Desired || d.Source != sourceName(r.Event) || d.Ready != r.Ready {
					t.Errorf("row %d: decoded %+v", i, d)
				}
				if want, ok := rowDesired(&r); (d.Desired != nil) != ok || (ok && *d.Desired != want) {
					t.Errorf("row %d: desired %v, want %d (has %v)", i, d.Desired, want, ok)
				}
				if (d.Recorded != nil) != r.HasRecorded || (d.Recorded != nil && *d.Recorded != r.Recorded) {
					t.Errorf("row %d: recorded %v, want %d (has %v)", i, d.Recorded, r.Recorded, r.HasRecorded)
				}
				want := map[string]any{}
				for j, v := range r.Seen {
					switch v.Status {
					case trace.Present:
						want[tc.c.Series[j]] = jsonValue(v.V)
					case trace.Failed:
						want[tc.c.Series[j]] = "failed"
					}
				}
				if diff := cmp.Diff(want, d.Seen); diff != "" {
					t.Errorf("row %d: seen mismatch (-want +got):\n%s", i, diff)
				}
				want = map[string]any{}
				for j, v := range r.Actual {
					want[tc.c.Actual[j]] = jsonValue(v)
				}
				if diff := cmp.Diff(want, d.Actual); diff != "" {
					t.Errorf("row %d: actual mismatch (-want +got):\n%s", i, diff)
				}
				if diff := cmp.Diff(reasonNames([]string{}, &r), d.Reasons); diff != "" {
					t.Errorf("row %d: reasons mismatch (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

// jsonValue is v as encoding/json decodes the timeline's spelling of it.
func jsonValue(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return v
}

func TestTimelineJSONString(t *testing.T) {
	for _, s := range []string{"", "eu", `q"\`, "ctl\x00\x1f\n\r\t", "ünï€", "bad\xffutf8", "\u2028"} {
		b := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("appendJSONString(%q) = %s: %v", s, b, err)
			continue
		}
		want := string([]rune(s)) // invalid UTF-8 becomes U+FFFD
		if got != want {
			t.Errorf("appendJSONString(%q) decodes to %q, want %q", s, got, want)
		}
	}
}

func BenchmarkTimelineJSON(b *testing.B) { benchmarkTimeline(b, newJSON) }
