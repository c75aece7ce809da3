package autoreplay_test

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// The README opens with exactly two commands for a fresh machine: the main
// job on a bundled example, then the tests. CI must run the same test
// command, and the example's files must exist.
func TestREADMECommands(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(readme), "\n")
	if len(lines) < 4 || lines[0] != "```sh" || lines[3] != "```" {
		t.Fatalf("README.md must start with a sh block of exactly two commands, got:\n%s", strings.Join(lines[:min(5, len(lines))], "\n"))
	}
	run, test := lines[1], lines[2]
	for _, f := range strings.Fields(run) {
		if strings.HasPrefix(f, "testdata/") {
			if _, err := os.Stat(f); err != nil {
				t.Errorf("the README's example command names a missing file: %v", err)
			}
		}
	}
	ci, err := os.Open(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	defer ci.Close()
	sc := bufio.NewScanner(ci)
	found := false
	for sc.Scan() {
		if sc.Text() == test {
			found = true
		}
	}
	if !found {
		t.Errorf(".ci/run does not run the README's test command %q", test)
	}
}
