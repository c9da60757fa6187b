package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// runGetMeetings measures the fan-out: getMeetings through tinyscale asks
// every server at once and splices their answers, so with each server
// answering after gmDelay the call should take little more than gmDelay,
// not the sum (the original asked its servers one after another).
func runGetMeetings(ctx context.Context, e *benchEnv) ([]result, error) {
	p := e.plan
	f := startFleet(p.gmServers)
	defer f.close()
	if err := f.seed(ctx, "gm", p.gmMeetings, 3); err != nil {
		return nil, err
	}
	f.setDelay(p.gmDelay)
	ts, err := startTinyscale(ctx, e.bin, f)
	if err != nil {
		return nil, err
	}
	defer ts.stop()
	want := p.gmServers * p.gmMeetings
	complete := func(res *vegeta.Result) bool {
		return isSuccess(res) && strings.Count(string(res.Body), "<meeting>") == want
	}
	targets := getTargets([]string{tsURL(ts, "getMeetings", "")})
	var warm, tl tally
	if err := (attack{name: "getMeetings warm-up", targets: targets, workers: 1, hits: 2, ok: complete}).run(ctx, &warm); err != nil {
		return nil, err
	}
	if err := (attack{name: "getMeetings", targets: targets, workers: 1, hits: p.gmCalls, ok: complete}).run(ctx, &tl); err != nil {
		return nil, err
	}
	// The floor on this machine: the same fan-out sent by this process
	// straight to the servers, every one at once, waiting for all.
	floor, err := directFanout(ctx, f, p.gmCalls)
	if err != nil {
		return nil, err
	}
	errs := warm.errors + tl.errors
	ratio := float64(tl.p99()) / float64(p.gmDelay)
	note := ""
	if errs > 0 {
		note = fmt.Sprintf("%d calls failed or lacked meetings (want %d); the first: %s", errs, want, firstOf(tl.firstError, warm.firstError))
	}
	return []result{{
		Scenario: fmt.Sprintf("getMeetings, %d servers × %s", p.gmServers, p.gmDelay),
		Measured: fmt.Sprintf("p50 %s, p99 %s (direct fan-out %s, %s)", fmtDur(tl.p50()), fmtDur(tl.p99()), fmtDur(floor.Quantile(0.5)), fmtDur(floor.Quantile(0.99))),
		Target:   "p99 ≤ 1.3× " + p.gmDelay.String(),
		Ratio:    ratio,
		Verdict:  verdict(ratio <= 1.3, errs),
		Errors:   errs,
		Figures: map[string]float64{
			"p50_ms": ms(tl.p50()), "p99_ms": ms(tl.p99()), "delay_ms": ms(p.gmDelay),
			"direct_p50_ms": ms(floor.Quantile(0.5)), "direct_p99_ms": ms(floor.Quantile(0.99)),
			"servers": float64(p.gmServers), "meetings": float64(want), "calls": float64(tl.requests),
		},
		Note: note,
	}}, nil
}

// directFanout calls getMeetings on every server of f at once, n times one
// after the other, and returns how long each complete round took.
func directFanout(ctx context.Context, f fleet, n int) (*vegeta.LatencyMetrics, error) {
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
	defer hc.CloseIdleConnections()
	var lat vegeta.LatencyMetrics
	errs := make([]error, len(f))
	for round := range n + 1 {
		start := time.Now()
		var wg sync.WaitGroup
		for i, s := range f {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = get(ctx, hc, fakeURL(s, "getMeetings", ""), "<returncode>SUCCESS</returncode>")
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("getMeetings straight to the servers: %v", err)
		}
		if round > 0 { // the first opened the connections: not counted
			lat.Add(time.Since(start))
		}
	}
	return &lat, nil
}
