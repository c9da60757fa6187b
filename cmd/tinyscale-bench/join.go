package main

import (
	"context"
	"fmt"
	"strings"

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
	ts, err := startTinyscale(ctx, e.bin, f)
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

	var tsT, ceilT tally
	for round := range p.joinRounds {
		first, second := ceilAttack, tsAttack
		firstT, secondT := &ceilT, &tsT
		if round%2 == 1 {
			first, second, firstT, secondT = second, first, secondT, firstT
		}
		if err := first.run(ctx, firstT); err != nil {
			return nil, err
		}
		if err := second.run(ctx, secondT); err != nil {
			return nil, err
		}
		e.logf("round %d: tinyscale %.0f req/s, ceiling %.0f req/s so far", round+1, tsT.throughput(), ceilT.throughput())
	}

	ratio := tsT.throughput() / ceilT.throughput()
	errs := tsT.errors + ceilT.errors
	figures := map[string]float64{
		"tinyscale_rps": tsT.throughput(), "ceiling_rps": ceilT.throughput(),
		"tinyscale_p50_ms": ms(tsT.p50()), "tinyscale_p99_ms": ms(tsT.p99()),
		"ceiling_p50_ms": ms(ceilT.p50()), "ceiling_p99_ms": ms(ceilT.p99()),
		"tinyscale_requests": float64(tsT.requests), "ceiling_requests": float64(ceilT.requests),
		"workers": float64(p.joinWorkers),
	}
	note := ""
	if errs > 0 {
		note = fmt.Sprintf("%d joins failed (tinyscale %d, ceiling %d); the first: %s", errs, tsT.errors, ceilT.errors, firstOf(tsT.firstError, ceilT.firstError))
	}
	return []result{
		{
			Scenario: fmt.Sprintf("join throughput, %d conns", p.joinWorkers),
			Measured: fmt.Sprintf("%.0f/s vs ceiling %.0f/s", tsT.throughput(), ceilT.throughput()),
			Target:   "≥ 0.80× ceiling",
			Ratio:    ratio,
			Verdict:  verdict(ratio >= 0.8, errs),
			Errors:   errs,
			Figures:  figures,
			Note:     note,
		},
		{
			Scenario: "join latency p50 / p99",
			Measured: fmt.Sprintf("%s / %s vs ceiling %s / %s", fmtDur(tsT.p50()), fmtDur(tsT.p99()), fmtDur(ceilT.p50()), fmtDur(ceilT.p99())),
			Ratio:    float64(tsT.p99()) / float64(ceilT.p99()),
			Verdict:  verdictInfo,
			Errors:   errs,
		},
	}, nil
}

// firstOf returns the first non-empty string.
func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
