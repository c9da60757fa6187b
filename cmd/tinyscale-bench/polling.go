package main

import (
	"context"
	"fmt"
	"time"
)

// pollTarget is the bound: under 5% of one core at the default
// interval.
const pollTarget = 5.0

// runPolling measures what the poller costs: pollServers servers with
// pollMeetings meetings each (pollUsers participants in each), polled
// every pollInterval; the tinyscale process's CPU time (user + system,
// from /proc) over pollWindow, with no API traffic, as a share of one
// core. A run at a shorter interval than the default is scaled to it: the
// cost is one round of getMeetings calls per interval. It also reports how
// long tinyscale took to start in front of so many running meetings, all
// of which it adopts before it listens.
func runPolling(ctx context.Context, e *benchEnv) ([]result, error) {
	p := e.plan
	f := startFleet(p.pollServers)
	defer f.close()
	t0 := time.Now()
	if err := f.seed(ctx, "poll", p.pollMeetings, p.pollUsers); err != nil {
		return nil, err
	}
	e.logf("%d servers with %d meetings each started in %.1fs", p.pollServers, p.pollMeetings, time.Since(t0).Seconds())
	t0 = time.Now()
	ts, err := startTinyscale(ctx, e.bin, f, "TINYSCALE_POLL_INTERVAL="+p.pollInterval.String())
	if err != nil {
		return nil, err
	}
	defer ts.stop()
	startup := time.Since(t0)
	e.logf("tinyscale ready in %.1fs", startup.Seconds())
	// Start the window half an interval after a round, so that the rounds
	// inside it are whole.
	if err := sleep(ctx, p.pollInterval+p.pollInterval/2); err != nil {
		return nil, err
	}
	calls0 := countCalls(f, "getMeetings")
	cpu0, err := cpuTime(ts.pid())
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := sleep(ctx, p.pollWindow); err != nil {
		return nil, err
	}
	cpu1, err := cpuTime(ts.pid())
	if err != nil {
		return nil, err
	}
	window := time.Since(start)
	rounds := float64(countCalls(f, "getMeetings")-calls0) / float64(p.pollServers)
	if err := ts.exited(); err != nil {
		return nil, err
	}
	used := cpu1 - cpu0
	pct := 100 * used.Seconds() / window.Seconds()
	scaled := pct * p.pollInterval.Seconds() / defaultPollInterval.Seconds()
	measured := fmt.Sprintf("%.2f%% of a core", scaled)
	note := fmt.Sprintf("%s CPU over %.1fs, %.1f poll rounds", used, window.Seconds(), rounds)
	if p.pollInterval != defaultPollInterval {
		measured += fmt.Sprintf(" (%.1f%% at %s)", pct, p.pollInterval)
		note += fmt.Sprintf(" at %s, scaled to the default %s", p.pollInterval, defaultPollInterval)
	}
	perRound := 0.0
	if rounds > 0 {
		perRound = ms(used) / rounds
		note += fmt.Sprintf("; %.0fms of CPU per round", perRound)
	}
	nerr := 0
	if rounds < 1 {
		nerr = 1
		note += "; no poll round in the window"
	}
	meetings := p.pollServers * p.pollMeetings
	adopted := result{
		Scenario: fmt.Sprintf("startup, %d servers × %d meetings", p.pollServers, p.pollMeetings),
		Measured: fmt.Sprintf("ready after %.1fs", startup.Seconds()),
		Verdict:  verdictInfo,
		Figures:  map[string]float64{"startup_s": startup.Seconds(), "adopted": float64(meetings)},
		Note:     fmt.Sprintf("from start to /readyz 200: every server checked, %d running meetings adopted", meetings),
	}
	return []result{adopted, {
		Scenario: fmt.Sprintf("polling %d servers × %d meetings, every %s", p.pollServers, p.pollMeetings, defaultPollInterval),
		Measured: measured,
		Target:   "< 5% of a core",
		Ratio:    scaled / pollTarget,
		Verdict:  verdict(scaled < pollTarget, nerr),
		Errors:   nerr,
		Figures: map[string]float64{
			"cpu_percent_default_interval": scaled, "cpu_percent_measured": pct,
			"interval_s": p.pollInterval.Seconds(), "window_s": window.Seconds(), "cpu_s": used.Seconds(),
			"rounds": rounds, "cpu_ms_per_round": perRound, "servers": float64(p.pollServers),
			"meetings": float64(meetings),
		},
		Note: note,
	}}, nil
}

// countCalls sums the calls the servers of f received.
func countCalls(f fleet, call string) int {
	n := 0
	for _, s := range f {
		n += s.CountCalls(call)
	}
	return n
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
