package trace_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/autoreplay/autoreplay/replay/trace"
)

func ExampleNewCSVReader() {
	in := `time,region,replicas,lag
2024-01-01T00:00:00Z,eu-west,3,1234.5
2024-01-01T00:00:00Z,us-east,,NaN
1704067210.5,eu-west,4,
`
	r := trace.NewCSVReader("lag.csv", strings.NewReader(in))
	fmt.Printf("%+v\n", r.Header())
	for r.Scan() {
		s := r.Sample()
		fmt.Println(s.Line, s.Time.Format(time.RFC3339Nano), s.Region, s.Replicas, s.HasReplicas, s.Values[0].Status, s.Values[0].V)
	}
	if err := r.Err(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {Series:[lag] Region:true Replicas:true}
	// 2 2024-01-01T00:00:00Z eu-west 3 true present 1234.5
	// 3 2024-01-01T00:00:00Z us-east 0 false present NaN
	// 4 2024-01-01T00:00:10.5Z eu-west 4 true failed 0
}

func ExampleNewCSVReader_error() {
	in := "time,lag\n2024-01-01T00:00:10Z,12\n2024-01-01T00:00:20Z,12a\n"
	r := trace.NewCSVReader("lag.csv", strings.NewReader(in))
	for r.Scan() {
	}
	fmt.Println(r.Err())
	// Output:
	// lag.csv:3:22: lag: "12a" is not a number (want a decimal number, NaN, ±Inf, or an empty cell for a failed source)
}

func ExampleNewCSVWriter() {
	w := trace.NewCSVWriter(os.Stdout, trace.Header{Series: []string{"lag", "cpu"}, Region: true})
	s := trace.Sample{
		Time:   time.Date(2024, 1, 1, 1, 0, 0, 5e8, time.FixedZone("CET", 3600)),
		Region: "eu, west",
		Values: []trace.Value{{V: 1234.5, Status: trace.Present}, {Status: trace.Failed}},
	}
	if err := w.Write(&s); err != nil {
		fmt.Println(err)
	}
	if err := w.Flush(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// time,region,lag,cpu
	// 2024-01-01T00:00:00.5Z,"eu, west",1234.5,
}

// Lag by topic and region from Prometheus, joined with the replicas of each
// region.
func ExampleJoin() {
	lag := `{"status":"success","data":{"resultType":"matrix","result":[
 {"metric":{"topic":"orders","region":"eu"},"values":[[1704067200,"12"],[1704067215,"15"]]},
 {"metric":{"topic":"orders","region":"us"},"values":[[1704067215,"3"]]}]}}`
	replicas := `{"status":"success","data":{"resultType":"matrix","result":[
 {"metric":{"region":"eu"},"values":[[1704067200,"2"]]}]}}`
	l, err := trace.NewPromReader("lag.json", strings.NewReader(lag), trace.PromOptions{ColumnLabel: "topic", RegionLabel: "region"})
	if err != nil {
		panic(err)
	}
	r, err := trace.NewPromReader("replicas.json", strings.NewReader(replicas), trace.PromOptions{Column: "replicas", RegionLabel: "region"})
	if err != nil {
		panic(err)
	}
	j, err := trace.Join(l, r)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", j.Header())
	for j.Scan() {
		s := j.Sample()
		fmt.Println(s.Time.Format(time.RFC3339), s.Region, s.Replicas, s.HasReplicas, s.Values[0].Status, s.Values[0].V)
	}
	fmt.Println(j.Err())
	// Output:
	// {Series:[orders] Region:true Replicas:true}
	// 2024-01-01T00:00:00Z eu 2 true present 12
	// 2024-01-01T00:00:15Z eu 0 false present 15
	// 2024-01-01T00:00:15Z us 0 false present 3
	// <nil>
}
