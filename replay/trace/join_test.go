package trace

import (
	"strings"
	"testing"
)

// TestJoinPrometheus joins a lag result by topic and region with a
// replicas result by region: rows of both at a time and region combine,
// and a column without a point there is absent.
func TestJoinPrometheus(t *testing.T) {
	lag := openProm(t, "prom-lag.json", PromOptions{ColumnLabel: "topic", RegionLabel: "region"})
	replicas := openProm(t, "prom-replicas.json", PromOptions{Column: "replicas", RegionLabel: "region"})
	j, err := Join(lag, replicas)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "join-prom.golden", formatRows(j))
}

func csvReader(in string) *CSVReader { return NewCSVReader("in.csv", strings.NewReader(in)) }

// TestJoinCSV joins traces whose regions come in different orders at
// equal times, with repeated rows and a trace without regions.
func TestJoinCSV(t *testing.T) {
	a := csvReader(`time,region,replicas,lag
0,us,1,1
0,eu,2,2
10,eu,3,3
10,eu,4,4
30,us,,5
`)
	b := csvReader(`time,region,cpu
0,eu,0.5
10,us,0.6
10,eu,0.7
20,eu,
`)
	c := csvReader(`time,mem
10,100
`)
	j, err := Join(a, b, c)
	if err != nil {
		t.Fatal(err)
	}
	want := `# time region replicas lag cpu mem
1970-01-01T00:00:00Z "eu" 2 2 0.5 absent (line 3)
1970-01-01T00:00:00Z "us" 1 1 absent absent (line 2)
1970-01-01T00:00:10Z "" - absent absent 100 (line 2)
1970-01-01T00:00:10Z "eu" 3 3 0.7 absent (line 4)
1970-01-01T00:00:10Z "eu" 4 4 absent absent (line 5)
1970-01-01T00:00:10Z "us" - absent 0.6 absent (line 3)
1970-01-01T00:00:20Z "eu" - absent failed absent (line 5)
1970-01-01T00:00:30Z "us" - 5 absent absent (line 6)
`
	if got := formatRows(j); got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
}

func TestJoinErrors(t *testing.T) {
	tests := []struct {
		name    string
		readers []Reader
		want    string
	}{
		{"none", nil, "join: no readers"},
		{"same series", []Reader{csvReader("time,lag\n"), csvReader("time,cpu\n"), csvReader("time,lag\n")}, `join: series "lag" is in inputs 1 and 3`},
		{"two replicas", []Reader{csvReader("time,replicas,lag\n"), csvReader("time,replicas,cpu\n")}, "join: inputs 1 and 2 both have a replicas column"},
		{"bad input", []Reader{csvReader("time,lag\n"), csvReader("time\n")}, "in.csv:1: no series column (want at least one column besides time, region and replicas)"},
	}
	for _, tt := range tests {
		_, err := Join(tt.readers...)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: err = %v, want %s", tt.name, err, tt.want)
		}
	}
	// An input's error is returned as it is, after the rows before it.
	j, err := Join(csvReader("time,lag\n0,1\n10,2\n"), csvReader("time,cpu\n0,1\n5,x\n"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := readAll(j)
	if want := `in.csv:3:3: cpu: "x" is not a number (want a decimal number, NaN, ±Inf, or an empty cell for a failed source)`; err == nil || err.Error() != want || len(rows) != 1 {
		t.Errorf("got %d rows, err %v; want 1 row, %s", len(rows), err, want)
	}
}

func TestJoinUnsortedInput(t *testing.T) {
	r := &backwards{s: []Sample{{Time: at(10), Values: []Value{present(1)}}, {Time: at(0), Values: []Value{present(2)}}}}
	j, err := Join(r)
	if err != nil {
		t.Fatal(err)
	}
	_, err = readAll(j)
	if want := "join: input 1: time 2024-01-01T00:00:00Z is before 2024-01-01T00:00:00.00000001Z (want inputs sorted by time)"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

// backwards is a Reader of fixed samples, in the order given.
type backwards struct {
	s []Sample
	i int
}

func (b *backwards) Header() Header  { return Header{Series: []string{"lag"}} }
func (b *backwards) Scan() bool      { b.i++; return b.i <= len(b.s) }
func (b *backwards) Sample() *Sample { return &b.s[b.i-1] }
func (b *backwards) Err() error      { return nil }
