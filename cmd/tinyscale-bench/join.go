package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// runJoin measures joins through tinyscale against the ceiling: a bare Go
// HTTP server answering the same 302, in a process of its own. Both are
// driven by the same fixed number of workers as fast as they answer, in
// alternating rounds, so that a noisy neighbour on the shared machine
// hits both alike. Joins are real: signed, for meetings created first,
// each URL distinct; the 302 is not followed.
func runJoin(ctx context.Context, e *benchEnv) ([]result, error) {
	p := e.plan
	f := startFleet(4)
	defer f.close()
	var env []string
	pprofAddr := ""
	if e.profileDir != "" {
		var err error
		if pprofAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		env = append(env, "TINYSCALE_PPROF_LISTEN="+pprofAddr)
	}
	ts, err := startTinyscale(ctx, e.bin, f, env...)
	if err != nil {
		return nil, err
	}
	defer ts.stop()
	ceil, err := startCeiling()
	if err != nil {
		return nil, err
	}
	defer ceil.stop()
	if _, err := ts.createMeetings(ctx, "join", p.joinMeetings, 8); err != nil {
		return nil, err
	}
	tsTargets := make([]vegeta.Target, p.joinURLs)
	for i := range tsTargets {
		tsTargets[i] = vegeta.Target{Method: "GET", URL: tsURL(ts, "join", joinQuery("join-"+itoa(i%p.joinMeetings), i))}
	}
	// The ceiling gets the same requests: only the host differs.
	ceilTargets := make([]vegeta.Target, len(tsTargets))
	for i, t := range tsTargets {
		ceilTargets[i] = vegeta.Target{Method: "GET", URL: strings.Replace(t.URL, ts.addr, ceil.addr, 1)}
	}
	side := func(name string, targets []vegeta.Target) attack {
		return attack{name: name, targets: targets, workers: p.joinWorkers, duration: p.joinRound, ok: isRedirect}
	}
	tsAttack, ceilAttack := side("join tinyscale", tsTargets), side("join ceiling", ceilTargets)

	// Warm up both: connections open, heaps grown, code paged in.
	var warm tally
	for _, a := range []attack{tsAttack, ceilAttack} {
		a.duration, a.hits = 0, 2*len(a.targets)
		if err := a.run(ctx, &warm); err != nil {
			return nil, err
		}
	}
	if warm.errors > 0 {
		return nil, fmt.Errorf("join warm-up: %d of %d failed, the first: %s", warm.errors, warm.requests, warm.firstError)
	}
	sent := warm.requests / 2 // the joins tinyscale answered, for the log check

	var tsT, ceilT tally
	var tsCPU, ceilCPU time.Duration
	// tinyscale's collections over the rounds (the ceiling's are not
	// counted: it has no /metrics), and its memory at the end: what the
	// collector's pace costs and saves.
	gc0, err := ts.metric(ctx, gcCycles)
	if err != nil {
		return nil, err
	}
	// measure runs one round of a against the process pid, adding its CPU
	// time (user + system, from /proc) to cpu.
	measure := func(a attack, t *tally, pid int, cpu *time.Duration) error {
		c0, err := cpuTime(pid)
		if err != nil {
			return err
		}
		if err := a.run(ctx, t); err != nil {
			return err
		}
		c1, err := cpuTime(pid)
		*cpu += c1 - c0
		return err
	}
	for round := range p.joinRounds {
		if round%2 == 0 {
			err = measure(ceilAttack, &ceilT, ceil.pid(), &ceilCPU)
			if err == nil {
				err = measure(tsAttack, &tsT, ts.pid(), &tsCPU)
			}
		} else {
			err = measure(tsAttack, &tsT, ts.pid(), &tsCPU)
			if err == nil {
				err = measure(ceilAttack, &ceilT, ceil.pid(), &ceilCPU)
			}
		}
		if err != nil {
			return nil, err
		}
		e.logf("round %d: tinyscale %.0f req/s, ceiling %.0f req/s so far", round+1, tsT.throughput(), ceilT.throughput())
	}
	sent += tsT.requests
	gc1, err := ts.metric(ctx, gcCycles)
	if err != nil {
		return nil, err
	}
	tsMem, err := readMemory(ts.pid())
	if err != nil {
		return nil, err
	}
	collections := gc1 - gc0
	if pprofAddr != "" {
		// One more round, not counted, under the profiler.
		var extra tally
		if err := profileRound(ctx, e, pprofAddr, "join", tsAttack, &extra); err != nil {
			return nil, err
		}
		sent += extra.requests
	}
	logged, err := ts.logLines("call=join", "result=redirect")
	if err != nil {
		return nil, err
	}

	ratio := tsT.throughput() / ceilT.throughput()
	tsPer := perCall(tsCPU, tsT.requests)
	ceilPer := perCall(ceilCPU, ceilT.requests)
	cpuRatio := float64(tsPer) / float64(ceilPer)
	errs := tsT.errors + ceilT.errors
	figures := map[string]float64{
		"tinyscale_rps": tsT.throughput(), "ceiling_rps": ceilT.throughput(),
		"tinyscale_p50_ms": ms(tsT.p50()), "tinyscale_p99_ms": ms(tsT.p99()),
		"ceiling_p50_ms": ms(ceilT.p50()), "ceiling_p99_ms": ms(ceilT.p99()),
		"tinyscale_requests": float64(tsT.requests), "ceiling_requests": float64(ceilT.requests),
		"tinyscale_cpu_us_per_join": us(tsPer), "ceiling_cpu_us_per_join": us(ceilPer),
		"log_lines": float64(logged), "joins_sent": float64(sent),
		"workers":             float64(p.joinWorkers),
		"tinyscale_gc_cycles": collections, "tinyscale_rss_mb": mb(tsMem.RSS), "tinyscale_peak_rss_mb": mb(tsMem.Peak),
	}
	note := ""
	if errs > 0 {
		note = fmt.Sprintf("%d joins failed (tinyscale %d, ceiling %d); the first: %s", errs, tsT.errors, ceilT.errors, firstOf(tsT.firstError, ceilT.firstError))
	}
	logErrs := abs(sent - logged)
	logNote := fmt.Sprintf("%d join lines in tinyscale's log after a clean stop, for %d joins sent", logged, sent)
	return []result{
		{
			Scenario: fmt.Sprintf("join throughput, %d conns", p.joinWorkers),
			Measured: fmt.Sprintf("%.0f/s vs ceiling %.0f/s", tsT.throughput(), ceilT.throughput()),
			Target:   "≥ 0.90× ceiling",
			Ratio:    ratio,
			Verdict:  verdict(ratio >= 0.9, errs),
			Errors:   errs,
			Figures:  figures,
			Note:     note,
		},
		{
			Scenario: "join CPU per join",
			Measured: fmt.Sprintf("%s vs ceiling %s", fmtDur(tsPer), fmtDur(ceilPer)),
			Target:   "≤ 1.15× ceiling",
			Ratio:    cpuRatio,
			Verdict:  verdict(cpuRatio <= 1.15, errs),
			Errors:   errs,
			Note: fmt.Sprintf("CPU time (user + system) of each process over its rounds: tinyscale %s for %d joins, ceiling %s for %d; "+
				"tinyscale collected %.0f times (%.1f per 10,000 joins), RSS %.1f MB at the end (peak %.1f MB)",
				tsCPU, tsT.requests, ceilCPU, ceilT.requests, collections, 1e4*collections/float64(max(tsT.requests, 1)), mb(tsMem.RSS), mb(tsMem.Peak)),
		},
		{
			Scenario: "join latency p50 / p99",
			Measured: fmt.Sprintf("%s / %s vs ceiling %s / %s", fmtDur(tsT.p50()), fmtDur(tsT.p99()), fmtDur(ceilT.p50()), fmtDur(ceilT.p99())),
			Ratio:    float64(tsT.p99()) / float64(ceilT.p99()),
			Verdict:  verdictInfo,
			Errors:   errs,
		},
		{
			Scenario: "join log lines",
			Measured: fmt.Sprintf("%d of %d", logged, sent),
			Target:   "one per join",
			Verdict:  verdict(true, logErrs),
			Errors:   logErrs,
			Note:     logNote,
		},
	}, nil
}

// gcCycles is the Go collector's count of completed cycles in /metrics.
const gcCycles = "go_gc_duration_seconds_count"

// perCall is d divided over n calls.
func perCall(d time.Duration, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return d / time.Duration(n)
}

// us is a duration in microseconds, for the JSON figures.
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// firstOf returns the first non-empty string.
func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
