// Command tinyscale-bench measures tinyscale against the targets of its
// benchmark issue: it starts the real tinyscale binary as a separate
// process, configured through its environment and a temporary
// servers.json, in front of fake BBB servers (package bbbfake) that run in
// this process on loopback, drives it with the vegeta load generator, and
// prints a table of the figures beside their targets.
//
// Usage:
//
//	go run ./cmd/tinyscale-bench [-quick] [-json FILE] [-only NAME] [-tinyscale PATH] [-profile DIR]
//
// Scenarios: join, create, getmeetings, rush, polling, memory (see
// docs/benchmarks.md for what each measures and why). Without -tinyscale the
// binary is built with `go build` into a temporary directory first.
// Everything listens on 127.0.0.1 only, and every wait is bounded.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// options are the command line, parsed.
type options struct {
	quick     bool
	jsonFile  string
	only      string
	tinyscale string
	profile   string
}

func main() {
	// The ceiling server is this binary run again with roleEnv set: the
	// bare 302 server is measured as a process of its own, as tinyscale is.
	switch os.Getenv(roleEnv) {
	case roleCeiling:
		if err := serveCeiling(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "tinyscale-bench ceiling:", err)
			os.Exit(1)
		}
		return
	case roleFleet:
		if err := serveFleet(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "tinyscale-bench fleet:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.BoolVar(&o.quick, "quick", false, "a short run (well under a minute): fewer requests, a shorter poll interval")
	flag.StringVar(&o.jsonFile, "json", "", "also write the results as JSON to this `file`")
	flag.StringVar(&o.only, "only", "", "run only this scenario: "+strings.Join(scenarioNames(), ", "))
	flag.StringVar(&o.tinyscale, "tinyscale", "", "`path` of a built tinyscale binary (default: CGO_ENABLED=0 go build ./cmd/tinyscale)")
	flag.StringVar(&o.profile, "profile", "", "write CPU and allocation profiles of tinyscale under load to this `directory` (an extra round of the join scenario)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "tinyscale-bench takes no arguments, got %q\n", flag.Args())
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tinyscale-bench:", err)
		os.Exit(1)
	}
}

// run builds (or takes) the binary, runs the chosen scenarios of the plan
// the options select, and writes the table to out and the JSON file.
func run(ctx context.Context, o options, out io.Writer) error {
	p := fullPlan
	if o.quick {
		p = quickPlan
	}
	rep, err := runPlan(ctx, p, o, out)
	if err != nil {
		return err
	}
	rep.writeTable(out)
	if o.jsonFile != "" {
		if err := rep.writeJSON(o.jsonFile); err != nil {
			return err
		}
		fmt.Fprintf(out, "\nresults written to %s\n", o.jsonFile)
	}
	return nil
}

// runPlan runs the scenarios of p (one with o.only) and returns the report.
// Progress goes to out as each scenario starts.
func runPlan(ctx context.Context, p plan, o options, out io.Writer) (*report, error) {
	todo, err := selectScenarios(o.only)
	if err != nil {
		return nil, err
	}
	raiseFileLimit()
	bin := o.tinyscale
	if bin == "" {
		dir, err := os.MkdirTemp("", "tinyscale-bench-bin-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		fmt.Fprintln(out, "building tinyscale ...")
		if bin, err = buildTinyscale(ctx, dir); err != nil {
			return nil, err
		}
	}
	env := &benchEnv{bin: bin, plan: p, log: out, profileDir: o.profile}
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			return nil, err
		}
	}
	rep := newReport(p.name)
	for _, s := range todo {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		fmt.Fprintf(out, "%-12s %s\n", s.name, s.about)
		start := time.Now()
		results, err := s.run(ctx, env)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return nil, err
			}
			results = append(results, failed(s.name, err))
		}
		for _, r := range results {
			rep.add(r)
		}
		fmt.Fprintf(out, "%-12s done in %.1fs\n", "", time.Since(start).Seconds())
	}
	rep.Elapsed = time.Since(rep.Started).Round(100 * time.Millisecond).String()
	return rep, nil
}
