package tune

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseParam(t *testing.T) {
	tests := []struct {
		in   string
		want Param
	}{
		{"minReplicaCount=1,2,4", Param{"minReplicaCount", []float64{1, 2, 4}}},
		{"minReplicaCount=4,1,2", Param{"minReplicaCount", []float64{4, 1, 2}}},
		{" x = 7 ", Param{"x", []float64{7}}},
		{"x=-1.5,0,2e3", Param{"x", []float64{-1.5, 0, 2000}}},
		{"triggers.lag.threshold=500:2000:500", Param{"triggers.lag.threshold", []float64{500, 1000, 1500, 2000}}},
		{"x=500:1999:500", Param{"x", []float64{500, 1000, 1500}}},
		{"x=3:3:1", Param{"x", []float64{3}}},
		{"x=0.1:0.5:0.1", Param{"x", []float64{0.1, 0.2, 0.3, 0.4, 0.5}}},
		{"x=0:1:0.25", Param{"x", []float64{0, 0.25, 0.5, 0.75, 1}}},
		{"x=0.05:0.3:0.05", Param{"x", []float64{0.05, 0.1, 0.15, 0.2, 0.25, 0.3}}},
		{"x=-0.3:0:0.1", Param{"x", []float64{-0.3, -0.2, -0.1, 0}}},
		{"x=1:1000:*10", Param{"x", []float64{1, 10, 100, 1000}}},
		{"x=100:1000:*2", Param{"x", []float64{100, 200, 400, 800}}},
		{"x=0.1:1:*3", Param{"x", []float64{0.1, 0.3, 0.9}}},
		{"x=1:10:*1.5", Param{"x", []float64{1, 1.5, 2.25, 3.375, 5.0625, 7.59375}}},
		{"scaleDown.window=0,30s,5m,1h30m", Param{"scaleDown.window", []float64{0, 30, 300, 5400}}},
		{"x=100ms,1.5s", Param{"x", []float64{0.1, 1.5}}},
		{"x=0s:5m:1m", Param{"x", []float64{0, 60, 120, 180, 240, 300}}},
		{"x=30:2m:30s", Param{"x", []float64{30, 60, 90, 120}}},
		{"x=30s:8m:*2", Param{"x", []float64{30, 60, 120, 240, 480}}},
	}
	for _, tt := range tests {
		got, err := ParseParam(tt.in)
		if err != nil {
			t.Errorf("ParseParam(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseParam(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseParamErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"minReplicaCount", `--param "minReplicaCount": expected NAME=VALUES, e.g. minReplicaCount=1,2,4`},
		{"=1,2", `--param "=1,2": empty parameter name, expected NAME=VALUES`},
		{"x=", `--param x: no values, expected a,b,c, start:stop:step or start:stop:*factor`},
		{"x=1,,2", `--param x: empty value at position 2 of the list, expected a number or a Go duration`},
		{"x=1,2,", `--param x: empty value at position 3 of the list, expected a number or a Go duration`},
		{"x=1,abc", `--param x: "abc": expected a number or a Go duration such as 30s, 5m or 1h30m`},
		{"x=1,NaN", `--param x: "NaN": expected a finite number`},
		{"x=inf", `--param x: "inf": expected a finite number`},
		{"x=-Infinity", `--param x: "-Infinity": expected a finite number`},
		{"x=1e400", `--param x: "1e400": expected a finite number`},
		{"x=1,2,1", `--param x: duplicate value 1, expected each value once`},
		{"x=60,1m", `--param x: duplicate value 60, expected each value once`},
		{"x=1:2", `--param x: "1:2": expected a,b,c, start:stop:step or start:stop:*factor`},
		{"x=1:2:3:4", `--param x: "1:2:3:4": expected a,b,c, start:stop:step or start:stop:*factor`},
		{"x=500:4000:0", `--param x: step 0: must be > 0`},
		{"x=1:5:-1", `--param x: step -1: must be > 0`},
		{"x=5:1:1", `--param x: start 5 > stop 1: expected start <= stop`},
		{"x=5m:1m:30s", `--param x: start 300 > stop 60: expected start <= stop`},
		{"x=1:x:1", `--param x: "x": expected a number or a Go duration such as 30s, 5m or 1h30m`},
		{"x=1:2:nan", `--param x: "nan": expected a finite number`},
		{"x=1:10:*1", `--param x: factor 1: must be > 1`},
		{"x=1:10:*0.5", `--param x: factor 0.5: must be > 1`},
		{"x=0:10:*2", `--param x: start 0: must be > 0 in a geometric range`},
		{"x=-1:10:*2", `--param x: start -1: must be > 0 in a geometric range`},
		{"x=0:1000000:1", `--param x: range 0:1000000:1 has more than 1000000 values, expected fewer`},
		{"x=0:1:1e-9", `--param x: range 0:1:1e-09 has more than 1000000 values, expected fewer`},
		{"x=1:1e300:*1.0000001", `--param x: range 1:1e+300:*1.0000001 has more than 1000000 values, expected fewer`},
		{"x=1:1.00000001:*1.0000000000001", `--param x: factor 1.0000000000001 is too close to 1: values repeat at 12 significant digits, expected a larger factor`},
		{"x=1e17:1.00000000000001e17:0.5", `--param x: step 0.5 is below the precision of float64 at 100000000000000000, expected a larger step`},
	}
	for _, tt := range tests {
		got, err := ParseParam(tt.in)
		if err == nil {
			t.Errorf("ParseParam(%q) = %v, want an error", tt.in, got)
			continue
		}
		if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
			t.Errorf("ParseParam(%q) error mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseParamLargestRange(t *testing.T) {
	p, err := ParseParam("x=1:1000000:1")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Values) != maxRangeValues || p.Values[maxRangeValues-1] != 1e6 {
		t.Errorf("got %d values ending in %v, want %d ending in 1e6", len(p.Values), p.Values[len(p.Values)-1], maxRangeValues)
	}
}

func TestParseValues(t *testing.T) {
	got, err := ParseValues("scaleDown.window", "0:10m:5m")
	if diff := cmp.Diff([]float64{0, 300, 600}, got); diff != "" || err != nil {
		t.Errorf("ParseValues mismatch (-want +got):\n%s%v", diff, err)
	}
	_, err = ParseValues("scaleDown.window", "0:10m:0s")
	if diff := cmp.Diff("scaleDown.window: step 0: must be > 0", err.Error()); diff != "" {
		t.Errorf("ParseValues error mismatch (-want +got):\n%s", diff)
	}
}

func TestParamText(t *testing.T) {
	p := Param{Name: "x", Values: []float64{300, 2000, 0.25, -1, 0, 1e-7, 1.5e20, 1e21, 1.0 / 3}}
	want := []string{"300", "2000", "0.25", "-1", "0", "1e-07", "150000000000000000000", "1e+21", "0.3333333333333333"}
	got := make([]string, len(p.Values))
	for i := range p.Values {
		got[i] = p.Text(i)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Text mismatch (-want +got):\n%s", diff)
	}
}

func values(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(i)
	}
	return v
}

func TestSpaceSize(t *testing.T) {
	tests := []struct {
		name    string
		space   Space
		want    int
		wantErr string
	}{
		{"none", Space{}, 1, ""},
		{"one", Space{[]Param{{"a", values(7)}}}, 7, ""},
		{"product", Space{[]Param{{"a", values(2)}, {"b", values(3)}, {"c", values(4)}}}, 24, ""},
		{"at the limit", Space{[]Param{{"a", values(1000)}, {"b", values(1000)}, {"c", values(1000)}}}, MaxConfigs, ""},
		{"no values", Space{[]Param{{"a", values(2)}, {"b", nil}}}, 0, "parameter b has no values, expected at least one"},
		{"twice", Space{[]Param{{"a", values(2)}, {"a", values(3)}}}, 0, "parameter a is given twice, expected each parameter once"},
		{"too many", Space{[]Param{{"a", values(1000)}, {"b", values(1000)}, {"c", values(1001)}}}, 0,
			"the grid has more than 1000000000 configurations (1000 × 1000 × 1001), expected fewer values"},
		{"overflow", Space{[]Param{{"a", values(1 << 20)}, {"b", values(1 << 20)}, {"c", values(1 << 20)}, {"d", values(1 << 20)}}}, 0,
			"the grid has more than 1000000000 configurations (1048576 × 1048576 × 1048576 × 1048576), expected fewer values"},
	}
	for _, tt := range tests {
		got, err := tt.space.Size()
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if diff := cmp.Diff(tt.wantErr, gotErr); diff != "" {
			t.Errorf("%s: Size error mismatch (-want +got):\n%s", tt.name, diff)
		}
		if got != tt.want {
			t.Errorf("%s: Size = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestSpacePoint(t *testing.T) {
	s := Space{[]Param{{"a", values(2)}, {"b", values(3)}, {"c", values(2)}}}
	var got [][]int
	idx := make([]int, 0, 8)
	for i := range 12 {
		idx = s.Point(i, idx)
		got = append(got, append([]int(nil), idx...))
	}
	want := [][]int{
		{0, 0, 0}, {0, 0, 1}, {0, 1, 0}, {0, 1, 1}, {0, 2, 0}, {0, 2, 1},
		{1, 0, 0}, {1, 0, 1}, {1, 1, 0}, {1, 1, 1}, {1, 2, 0}, {1, 2, 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Point mismatch (-want +got):\n%s", diff)
	}
	if cap(idx) != 8 {
		t.Errorf("Point did not reuse idx: cap %d, want 8", cap(idx))
	}
	if diff := cmp.Diff([]int{1, 2, 1}, s.Point(11, nil)); diff != "" {
		t.Errorf("Point(11, nil) mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{0, 2, 1}, s.Point(5, []int{9})); diff != "" {
		t.Errorf("Point(5, short) mismatch (-want +got):\n%s", diff)
	}
	if got := (Space{}).Point(0, nil); len(got) != 0 {
		t.Errorf("Point of no parameters = %v, want empty", got)
	}
}

const studyFile = `# tune.yaml
parameters:                      # ordered; the grid order follows it
  triggers.lag.threshold: 500:4000:500
  scaleDown.stabilizationWindowSeconds: [0, 300, 600, 1800]
  scaleUp.window: [0s, "1m", 2.5m]
  minReplicaCount: 2
  cooldownPeriod: 1m,5m
  pollingInterval: "15"
objective: replica_hours
constraints:
  - lag.p99 <= 5000
  - events_per_hour <= 6
top: 10
`

func TestParseFile(t *testing.T) {
	got, err := ParseFile("tune.yaml", []byte(studyFile))
	if err != nil {
		t.Fatal(err)
	}
	want := &File{
		Params: []Param{
			{"triggers.lag.threshold", []float64{500, 1000, 1500, 2000, 2500, 3000, 3500, 4000}},
			{"scaleDown.stabilizationWindowSeconds", []float64{0, 300, 600, 1800}},
			{"scaleUp.window", []float64{0, 60, 150}},
			{"minReplicaCount", []float64{2}},
			{"cooldownPeriod", []float64{60, 300}},
			{"pollingInterval", []float64{15}},
		},
		Objective:   "replica_hours",
		Constraints: []string{"lag.p99 <= 5000", "events_per_hour <= 6"},
		Top:         10,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseFile mismatch (-want +got):\n%s", diff)
	}

	got, err = ParseFile("min.yaml", []byte("parameters: {minReplicaCount: [1, 2]}\n"))
	want = &File{Params: []Param{{"minReplicaCount", []float64{1, 2}}}}
	if diff := cmp.Diff(want, got); diff != "" || err != nil {
		t.Errorf("ParseFile of the smallest file mismatch (-want +got):\n%s%v", diff, err)
	}
	got, err = ParseFile("anchors.yaml", []byte("parameters:\n  a: &v [1, 2]\n  b: *v\nobjective: &o x\nconstraints: [*o]\n"))
	want = &File{Params: []Param{{"a", []float64{1, 2}}, {"b", []float64{1, 2}}}, Objective: "x", Constraints: []string{"x"}}
	if diff := cmp.Diff(want, got); diff != "" || err != nil {
		t.Errorf("ParseFile with aliases mismatch (-want +got):\n%s%v", diff, err)
	}
}

func TestParseFileErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", []string{"tune.yaml:1: empty file, expected a mapping with parameters, objective, constraints, top"}},
		{"comments only", "# nothing\n", []string{"tune.yaml:1: empty file, expected a mapping with parameters, objective, constraints, top"}},
		{"null", "~\n", []string{"tune.yaml:1: empty file, expected a mapping with parameters, objective, constraints, top"}},
		{"not a mapping", "- a\n", []string{"tune.yaml:1:1: the file is a list, expected a mapping with parameters, objective, constraints, top"}},
		{"malformed", "parameters:\n  a: [1, 2\n", []string{"tune.yaml:2: malformed YAML: did not find expected ',' or ']'"}},
		{"malformed mapping", "parameters:\n  a: 1\n b: 2\n", []string{"tune.yaml:3: malformed YAML: did not find expected key"}},
		{"tab", "parameters:\n\ta: 1\n", []string{"tune.yaml:2: malformed YAML: found character that cannot start any token"}},
		{"two documents", "top: 1\n---\ntop: 2\n", []string{"tune.yaml:2: malformed YAML: a second document, expected one"}},
		{"unknown key", "parameters: {a: 1}\nobjetive: x\n", []string{`tune.yaml:2:1: objetive: unknown key "objetive", did you mean "objective"?`}},
		{"unknown key far", "parameters: {a: 1}\nregion: x\n", []string{`tune.yaml:2:1: region: unknown key "region", expected one of parameters, objective, constraints, top`}},
		{"duplicate key", "top: 1\ntop: 2\n", []string{"tune.yaml:2:1: top: duplicate key (first at line 1), expected each key once"}},
		{"key not a string", "1: 2\n", []string{"tune.yaml:1:1: key is the number 1, expected a name"}},
		{"parameters not a mapping", "parameters: [a]\n", []string{"tune.yaml:1:13: parameters: got a list, expected a mapping of parameter names to values"}},
		{"no parameters", "parameters: {}\n", []string{"tune.yaml:1:13: parameters: no parameters, expected at least one"}},
		{"bad step", "parameters:\n  triggers.lag.threshold: 500:4000:0\n", []string{"tune.yaml:2:27: parameters.triggers.lag.threshold: step 0: must be > 0"}},
		{"duplicate parameter", "parameters:\n  a: 1\n  b: 2\n  a: 3\n", []string{"tune.yaml:4:3: parameters.a: duplicate parameter (first at line 2), expected each parameter once"}},
		{"parameter name", "parameters:\n  [a]: 1\n", []string{"tune.yaml:2:3: parameters: key is a list, expected a name"}},
		{"null values", "parameters:\n  a:\n", []string{"tune.yaml:2:5: parameters.a: got null, expected values such as 1,2,4, 500:4000:500 or a list [0, 300, 600]"}},
		{"mapping values", "parameters:\n  a: {b: 1}\n", []string{"tune.yaml:2:6: parameters.a: got a mapping, expected values such as 1,2,4, 500:4000:500 or a list [0, 300, 600]"}},
		{"boolean values", "parameters:\n  a: true\n", []string{"tune.yaml:2:6: parameters.a: got the boolean true, expected values such as 1,2,4, 500:4000:500 or a list [0, 300, 600]"}},
		{"empty list", "parameters:\n  a: []\n", []string{"tune.yaml:2:6: parameters.a: empty list, expected at least one value"}},
		{"list items", "parameters:\n  a: [1, x, .nan, [2], 1m, 60, -.inf]\n", []string{
			`tune.yaml:2:10: parameters.a[1]: "x": expected a number or a Go duration such as 30s, 5m or 1h30m`,
			"tune.yaml:2:13: parameters.a[2]: .nan: expected a finite number",
			"tune.yaml:2:19: parameters.a[3]: got a list, expected a number or a Go duration such as 30s",
			"tune.yaml:2:28: parameters.a[5]: duplicate value 60, expected each value once",
			"tune.yaml:2:32: parameters.a[6]: -.inf: expected a finite number",
		}},
		{"number infinity", "parameters:\n  a: .inf\n", []string{"tune.yaml:2:6: parameters.a: .inf: expected a finite number"}},
		{"objective", "parameters: {a: 1}\nobjective: 5\n", []string{"tune.yaml:2:12: objective: got the number 5, expected an objective such as replica_hours"}},
		{"objective empty", "parameters: {a: 1}\nobjective: ''\n", []string{`tune.yaml:2:12: objective: got the string "", expected an objective such as replica_hours`}},
		{"constraints", "parameters: {a: 1}\nconstraints: lag.p99 <= 5\n", []string{`tune.yaml:2:14: constraints: got the string "lag.p99 <= 5", expected a list of constraints such as ["lag.p99 <= 5000"]`}},
		{"constraint", "parameters: {a: 1}\nconstraints: [ok, 5, {a: b}]\n", []string{
			"tune.yaml:2:19: constraints[1]: got the number 5, expected a constraint such as lag.p99 <= 5000",
			"tune.yaml:2:22: constraints[2]: got a mapping, expected a constraint such as lag.p99 <= 5000",
		}},
		{"top zero", "parameters: {a: 1}\ntop: 0\n", []string{"tune.yaml:2:6: top: got the number 0, expected an integer > 0"}},
		{"top float", "parameters: {a: 1}\ntop: 2.5\n", []string{"tune.yaml:2:6: top: got the number 2.5, expected an integer > 0"}},
		{"top huge", "parameters: {a: 1}\ntop: 99999999999999999999\n", []string{"tune.yaml:2:6: top: got the number 99999999999999999999, expected an integer > 0"}},
		{"top string", "parameters: {a: 1}\ntop: \"3\"\n", []string{`tune.yaml:2:6: top: got the string "3", expected an integer > 0`}},
		{"several", "parameters:\n  a: 1,1\ntop: -1\nextra: 1\n", []string{
			"tune.yaml:2:6: parameters.a: duplicate value 1, expected each value once",
			"tune.yaml:3:6: top: got the number -1, expected an integer > 0",
			`tune.yaml:4:1: extra: unknown key "extra", expected one of parameters, objective, constraints, top`,
		}},
	}
	for _, tt := range tests {
		got, err := ParseFile("tune.yaml", []byte(tt.in))
		if err == nil {
			t.Errorf("%s: ParseFile = %+v, want an error", tt.name, got)
			continue
		}
		if got != nil {
			t.Errorf("%s: ParseFile returned a file with its error", tt.name)
		}
		if diff := cmp.Diff(tt.want, strings.Split(err.Error(), "\n")); diff != "" {
			t.Errorf("%s: ParseFile error mismatch (-want +got):\n%s", tt.name, diff)
		}
		checkFileErrors(t, err)
	}
}

// checkFileErrors checks that err is a *FileError or a join of them.
func checkFileErrors(t *testing.T, err error) {
	t.Helper()
	for _, e := range splitErrors(err) {
		var fe *FileError
		if !errors.As(e, &fe) || e != error(fe) || fe.Line < 1 {
			t.Errorf("error %q is a %T without a line, want a *FileError", e, e)
		}
	}
}

// FuzzParseFile checks that no input makes ParseFile panic, that it
// returns a file or *FileErrors, and that the file's grid is sound.
func FuzzParseFile(f *testing.F) {
	f.Add(studyFile)
	f.Add("")
	f.Add("parameters:\n  a: [1, x, .nan, [2], 1m, 60]\n  b: 1:3:*2\ntop: -1\n")
	f.Add("parameters: &p {a: *p}\n")
	f.Add("parameters:\n  a: 0.1:0.5:0.1\nconstraints: [a, 1]\n---\n")
	f.Fuzz(func(t *testing.T, src string) {
		file, err := ParseFile("fuzz.yaml", []byte(src))
		if err != nil {
			if file != nil {
				t.Errorf("ParseFile returned a file with its error")
			}
			checkFileErrors(t, err)
			return
		}
		for _, p := range file.Params {
			if p.Name == "" || len(p.Values) == 0 || len(p.Values) > maxRangeValues {
				t.Errorf("parameter %q with %d values", p.Name, len(p.Values))
			}
		}
		if file.Top < 0 {
			t.Errorf("top %d", file.Top)
		}
	})
}

func TestNameDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"kitten", "sitting", 3},
		{"pollingIntervl", "pollingInterval", 1}, {"treshold", "threshold", 1}, {"ab", "ba", 2},
	} {
		if got := nameDistance(c.a, c.b); got != c.want {
			t.Errorf("nameDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
