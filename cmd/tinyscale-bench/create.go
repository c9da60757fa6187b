package main

import (
	"context"
	"fmt"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// runCreate measures what tinyscale adds to a create: the same creates,
// one at a time, sent to the fake servers directly and through tinyscale
// (placement, claim, a signed call to the chosen server, the answer passed
// back), in alternating rounds. The ratio is latency through tinyscale
// over latency direct: a proxy adds a loopback hop, so it is above 1 by
// construction; the difference is what tinyscale costs per create.
func runCreate(ctx context.Context, e *benchEnv) ([]result, error) {
	p := e.plan
	f := startFleet(4)
	defer f.close()
	ts, err := startTinyscale(ctx, e.bin, f)
	if err != nil {
		return nil, err
	}
	defer ts.stop()

	// round returns the attacks of one round, each with meetings of its own.
	round := func(r, n int) (direct, through attack) {
		dt := make([]vegeta.Target, n)
		tt := make([]vegeta.Target, n)
		for i := range n {
			id := fmt.Sprintf("create-%d-%d", r, i)
			dt[i] = vegeta.Target{Method: "GET", URL: fakeURL(f[i%len(f)], "create", createQuery("direct-"+id))}
			tt[i] = vegeta.Target{Method: "GET", URL: tsURL(ts, "create", createQuery("ts-"+id))}
		}
		return attack{name: "create direct", targets: dt, workers: 1, hits: n, ok: isSuccess},
			attack{name: "create tinyscale", targets: tt, workers: 1, hits: n, ok: isSuccess}
	}
	var warm, direct, through tally
	wd, wt := round(-1, 20)
	for _, a := range []attack{wd, wt} {
		if err := a.run(ctx, &warm); err != nil {
			return nil, err
		}
	}
	for r := range p.createRounds {
		d, t := round(r, p.createPerRound)
		if r%2 == 1 {
			d, t = t, d
		}
		for _, a := range []attack{d, t} {
			tl := &direct
			if a.name == "create tinyscale" {
				tl = &through
			}
			if err := a.run(ctx, tl); err != nil {
				return nil, err
			}
		}
	}
	errs := warm.errors + direct.errors + through.errors
	note := ""
	if errs > 0 {
		note = fmt.Sprintf("%d creates failed; the first: %s", errs, firstOf(through.firstError, direct.firstError, warm.firstError))
	}
	figures := map[string]float64{
		"tinyscale_p50_ms": ms(through.p50()), "tinyscale_p99_ms": ms(through.p99()),
		"direct_p50_ms": ms(direct.p50()), "direct_p99_ms": ms(direct.p99()),
		"overhead_p50_ms": ms(through.p50() - direct.p50()),
		"creates":         float64(through.requests),
	}
	row := func(q string, t, d time.Duration) result {
		return result{
			Scenario: "create " + q + " vs direct",
			Measured: fmt.Sprintf("%s vs %s (+%s)", fmtDur(t), fmtDur(d), fmtDur(t-d)),
			Ratio:    float64(t) / float64(d),
			Verdict:  verdictInfo,
			Errors:   errs,
		}
	}
	rows := []result{row("p50", through.p50(), direct.p50()), row("p99", through.p99(), direct.p99())}
	rows[0].Figures, rows[0].Note = figures, note
	if errs > 0 {
		rows[0].Verdict = verdictFail
	}
	return rows, nil
}
