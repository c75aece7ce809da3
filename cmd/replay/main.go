// Command replay replays recorded metric traces through the Kubernetes HPA
// (v1.37) and KEDA (v2.21) decision logic and shows what the controllers
// would have done.
//
//	replay                                   # the bundled example: writes replay.png
//	replay run -f scaledobject.yaml --trace lag.csv --plot replicas.png
//	replay explain -f hpa.yaml --trace rps.csv --at 2026-01-05T14:02:00Z
//	replay verify -f hpa.yaml --trace rps.csv --golden timeline.csv
//	replay diff -f old.yaml -f new.yaml --trace lag.csv --fail-on replica_hours=+5%
//	replay plot timeline.csv -o replicas.svg
//	replay tune -f scaledobject.yaml --trace lag.csv --param triggers.lag.threshold=500:5000:500
//	replay capture -f scaledobject.yaml --prometheus http://localhost:9090 --since 7d -o lag.csv
//	replay generate --pattern 'rps=diurnal(mean=200),spike(height=10,at=2d15h)' -o rps.csv
//	replay serve --trace rps.csv --speed 60x --listen 127.0.0.1:9091
//
// Exit codes: 0 success, 1 a check failed (verify, diff --fail-on), 2 a
// usage or input error. See docs/cli.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

func main() {
	os.Exit(exitCode(run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // a check failed
	exitUsage  = 2 // a usage or input error
)

// checkFailed is a verify that ran and found differences.
type checkFailed struct{ msg string }

func (e *checkFailed) Error() string { return e.msg }

// exitCode prints err and returns the process's exit code.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, pflag.ErrHelp):
		return exitOK
	}
	fmt.Fprintln(stderr, "replay:", err)
	var cf *checkFailed
	if errors.As(err, &cf) {
		return exitFailed
	}
	return exitUsage
}

const usage = `replay replays a metric trace through the HPA or KEDA decision logic.

Usage:
  replay                    run the bundled example and write replay.png
  replay run     -f MANIFEST --trace TRACE [-o TIMELINE] [--plot IMAGE] [flags]
  replay explain -f MANIFEST --trace TRACE (--at TIME | --all) [flags]
  replay verify  -f MANIFEST --trace TRACE (--golden TIMELINE | --recorded) [flags]
  replay diff    -f OLD -f NEW --trace TRACE [--fail-on FIGURE=BUDGET...] [--plot IMAGE] [flags]
  replay plot    TIMELINE -o IMAGE [-f MANIFEST]
  replay tune    -f MANIFEST --trace TRACE (--param NAME=VALUES... | --space STUDY) [flags]
  replay tune merge -f MANIFEST --trace TRACE (--param ... | --space ...) SHARD.csv...
  replay capture -f MANIFEST --prometheus [REGION=]URL (--since DURATION | --start TIME) -o TRACE
  replay generate --pattern NAME=PATTERN[,PATTERN...]... [--region R=SCALE[@SHIFT]]... -o TRACE
  replay serve   --trace TRACE [--speed 60x] [--listen 127.0.0.1:9091]

Run "replay COMMAND --help" for a command's flags and examples.
Exit codes: 0 success, 1 a check failed, 2 a usage or input error.
`

// run is the whole program: it parses args, writes results to stdout and
// messages to stderr.
func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return runExample(stdout, stderr)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return runCmd(rest, stdout, stderr)
	case "explain":
		return explainCmd(rest, stdout, stderr)
	case "verify":
		return verifyCmd(rest, stdout, stderr)
	case "diff":
		return diffCmd(rest, stdout, stderr)
	case "plot":
		return plotCmd(rest, stdout, stderr)
	case "tune":
		return tuneCmd(rest, stdout, stderr)
	case "capture":
		return captureCmd(rest, stdout, stderr)
	case "generate":
		return generateCmd(rest, stdout, stderr)
	case "serve":
		return serveCmd(rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	if strings.HasPrefix(cmd, "-") {
		return fmt.Errorf("flags come after a command (run, explain, verify, diff, plot, tune, capture, generate, serve)\n\n%s", usage)
	}
	return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
}

// newFlags returns a flag set for the command cmd ("run") that
// reports errors instead of exiting and prints its help, with examples, to
// stdout.
func newFlags(cmd, synopsis, usageLine, examples string, stdout io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(cmd, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "%s\n\nUsage:\n  %s\n\nFlags:\n%s\nExamples:\n%s", synopsis, usageLine, fs.FlagUsages(), examples)
	}
	return fs
}

// parse parses args, printing the help for --help.
func parse(fs *pflag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, pflag.ErrHelp) {
		return err // pflag printed the help
	}
	if err != nil {
		return fmt.Errorf("%s: %w (see replay %s --help)", fs.Name(), err, fs.Name())
	}
	return nil
}
