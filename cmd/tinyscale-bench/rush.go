package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// rushTarget is the bound on the rush's p99.
const rushTarget = 50 * time.Millisecond

// runRush is the morning rush that stalled Scalelite (scalelite #340): at
// the start of the first lesson, rushJoins joins and rushCreates creates
// arrive within rushSpread over rushServers servers. The joins are for
// meetings opened a little earlier (as many as there are creates, so ten
// joins each at the figures); the creates open new ones and are
// placed, claimed and proxied while the joins arrive. Requests are sent
// at a fixed rate whatever the answers do, with workers added as needed,
// so a stalled tinyscale shows in the latencies and not as a slower send.
func runRush(ctx context.Context, e *benchEnv) ([]result, error) {
	p := e.plan
	f := startFleet(p.rushServers)
	defer f.close()
	ts, err := startTinyscale(ctx, e.bin, f)
	if err != nil {
		return nil, err
	}
	defer ts.stop()
	open := p.rushCreates
	if _, err := ts.createMeetings(ctx, "rush-open", open, 16); err != nil {
		return nil, err
	}
	joins := make([]vegeta.Target, p.rushJoins)
	for i := range joins {
		joins[i] = vegeta.Target{Method: "GET", URL: tsURL(ts, "join", joinQuery("rush-open-"+itoa(i%open), i))}
	}
	creates := getTargets(ts.createTargets("rush-new", p.rushCreates))
	rate := func(n int) vegeta.Pacer { return vegeta.Rate{Freq: n, Per: p.rushSpread} }
	attacks := []attack{
		{name: "rush joins", targets: joins, workers: 64, maxWorkers: p.rushJoins, pacer: rate(p.rushJoins), hits: p.rushJoins, ok: isRedirect},
		{name: "rush creates", targets: creates, workers: 16, maxWorkers: p.rushCreates, pacer: rate(p.rushCreates), hits: p.rushCreates, ok: isSuccess},
	}
	tallies := make([]tally, len(attacks))
	errs := make([]error, len(attacks))
	var wg sync.WaitGroup
	start := time.Now()
	for i, a := range attacks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = a.run(ctx, &tallies[i])
		}()
	}
	wg.Wait()
	took := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	j, c := &tallies[0], &tallies[1]
	placed := f.meetings() - open
	nerr := j.errors + c.errors
	if placed != p.rushCreates {
		nerr += abs(p.rushCreates - placed)
	}
	worst := max(j.p99(), c.p99())
	note := fmt.Sprintf("sent over %.2fs (joins) and %.2fs (creates), all answered after %.2fs; %d of %d new meetings on the servers",
		j.span.Seconds(), c.span.Seconds(), took.Seconds(), placed, p.rushCreates)
	if nerr > 0 {
		note += fmt.Sprintf("; %d errors, the first: %s", nerr, firstOf(j.firstError, c.firstError))
	}
	return []result{{
		Scenario: fmt.Sprintf("rush: %d joins + %d creates in %s, %d servers", p.rushJoins, p.rushCreates, p.rushSpread, p.rushServers),
		Measured: fmt.Sprintf("p99 join %s, create %s; %d errors", fmtDur(j.p99()), fmtDur(c.p99()), nerr),
		Target:   "p99 < 50ms, 0 errors",
		Ratio:    float64(worst) / float64(rushTarget),
		Verdict:  verdict(worst < rushTarget, nerr),
		Errors:   nerr,
		Figures: map[string]float64{
			"join_p50_ms": ms(j.p50()), "join_p99_ms": ms(j.p99()), "join_max_ms": ms(j.lat.Max),
			"create_p50_ms": ms(c.p50()), "create_p99_ms": ms(c.p99()), "create_max_ms": ms(c.lat.Max),
			"joins": float64(j.requests), "creates": float64(c.requests), "placed": float64(placed),
			"join_send_s": j.span.Seconds(), "create_send_s": c.span.Seconds(), "total_s": took.Seconds(),
		},
		Note: note,
	}}, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
