// Command hpa-replay replays a per-minute metric trace through the HPA of a
// manifest and prints the replica count over time, as kube-controller-manager
// v1.37 would have set it.
//
//	go run ./examples/hpa-replay testdata/examples/nasa-gateway-hpa.yaml testdata/traces/nasa-http-1995-07-01.csv
//
// The trace is a CSV file with a header and two columns: a minute index and the
// value of the HPA's single External metric during that minute. The controller
// reconciles every 15 s and reads the value of the minute it is in. New pods are
// ready at once (an open loop: the metric does not depend on the replicas).
//
// It prints one line per rescale and a summary. It is a small example of the
// library; the replay CLI is the full tool.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/autoreplay/autoreplay/hpa"
	"github.com/autoreplay/autoreplay/manifest"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "hpa-replay:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	if len(args) != 2 {
		return errors.New("usage: hpa-replay MANIFEST.yaml TRACE.csv")
	}
	spec, name, err := readHPA(args[0])
	if err != nil {
		return err
	}
	if len(spec.Metrics) != 1 || spec.Metrics[0].Type != hpa.External {
		return fmt.Errorf("%s: HPA %s: this example replays exactly one External metric", args[0], name)
	}
	values, err := readTrace(args[1])
	if err != nil {
		return err
	}
	a, err := hpa.New(spec)
	if err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}

	start := time.Date(1995, 7, 1, 0, 0, 1, 0, time.FixedZone("EDT", -4*3600))
	end := start.Add(time.Duration(len(values)) * time.Minute)
	replicas := max(spec.MinReplicas, 1)
	var replicaSeconds, rescales int64
	peak := replicas

	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "HPA %s: %d ticks of %v over %d minutes\n", name, end.Sub(start)/hpa.DefaultSyncPeriod, hpa.DefaultSyncPeriod, len(values))
	fmt.Fprintln(tw, "time\tvalue\tfrom\tto\treasons")
	for now := start; now.Before(end); now = now.Add(hpa.DefaultSyncPeriod) {
		v := values[int(now.Sub(start)/time.Minute)]
		d := a.Step(now, hpa.Steady(replicas), []hpa.Observation{{Milli: v}})
		if d.Rescale {
			rescales++
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", now.Format("15:04:05"), milliString(v), d.Current, d.Desired, d.Reasons)
		}
		replicas = d.Desired
		peak = max(peak, replicas)
		replicaSeconds += int64(replicas) * int64(hpa.DefaultSyncPeriod/time.Second)
	}
	fmt.Fprintf(tw, "\nrescales: %d, peak replicas: %d, mean replicas: %.2f\n", rescales, peak,
		float64(replicaSeconds)/end.Sub(start).Seconds())
	return tw.Flush()
}

func readHPA(path string) (hpa.Spec, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return hpa.Spec{}, "", err
	}
	defer f.Close()
	hpas, err := manifest.ParseHPAs(path, f, manifest.DefaultOptions())
	if err != nil {
		return hpa.Spec{}, "", err
	}
	if len(hpas) != 1 {
		return hpa.Spec{}, "", fmt.Errorf("%s: found %d HorizontalPodAutoscalers, want 1", path, len(hpas))
	}
	return hpas[0].Spec, hpas[0].Name, nil
}

// readTrace reads "minute,value" rows; minutes must be 0, 1, 2, ...
func readTrace(path string) ([]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var values []int64
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if line == 1 {
			continue // header
		}
		minute, value, ok := strings.Cut(sc.Text(), ",")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want two comma-separated columns, got %q", path, line, sc.Text())
		}
		if m, err := strconv.Atoi(minute); err != nil || m != len(values) {
			return nil, fmt.Errorf("%s:%d: minute %q: want %d", path, line, minute, len(values))
		}
		v, err := hpa.ParseMilli(value)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: value: %w", path, line, err)
		}
		values = append(values, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(values) == 0 {
		return nil, fmt.Errorf("%s: no samples", path)
	}
	return values, nil
}

func milliString(m int64) string {
	return strconv.FormatFloat(float64(m)/1000, 'f', -1, 64)
}
