package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Targets of the scale scenario (issue 15).
const (
	scaleJoinP99   = 5 * time.Millisecond
	scaleSpreadMax = 1.1 // the fullest server's new meetings, over the mean
)

// runScale is a large fleet behind several tinyscale instances sharing one
// Redis: scaleServers fake servers running scaleMeetings meetings each
// (scaleUsers participants per meeting, all on audio, one camera each),
// running for an hour already; scaleInstances instances, each its own
// process, with a redis-server of the benchmark's own (so that the
// command counts are tinyscale's alone). It measures, in order:
//
//   - each instance's CPU over an idle window: the polling cost;
//   - Redis commands with no API traffic (the background rate), then
//     during joins alone (joins must not touch Redis);
//   - the morning rush: scaleJoins joins and scaleCreates creates sent at
//     a steady rate within scaleSpread, round-robin over the instances:
//     errors, p99, how evenly the new meetings fell on the servers,
//     Redis commands per create; RSS per instance after it.
func runScale(ctx context.Context, e *benchEnv) ([]result, error) {
	p := e.plan
	dir, err := os.MkdirTemp("", "tinyscale-bench-redis-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	rd, err := startRedis(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer rd.stop()
	rc := redis.NewClient(&redis.Options{Addr: rd.addr})
	defer rc.Close()

	// The fakes run in a process of their own (see roleFleet).
	t0 := time.Now()
	spec := fleetSpec{Servers: p.scaleServers, Meetings: p.scaleMeetings, Users: p.scaleUsers, Prefix: "scale"}
	if e.profileDir != "" {
		if spec.Pprof, err = freeAddr(); err != nil {
			return nil, err
		}
	}
	fl, err := startFleetProc(spec, 5*time.Minute)
	if err != nil {
		return nil, err
	}
	defer fl.stop()
	e.logf("%d servers with %d meetings each (%d participants, audio, one camera), in a process of their own, in %.1fs",
		p.scaleServers, p.scaleMeetings, p.scaleUsers, time.Since(t0).Seconds())

	env := []string{"TINYSCALE_REDIS_URL=redis://" + rd.addr, "TINYSCALE_POLL_INTERVAL=" + p.scaleInterval.String()}
	var inst []*tinyscaleProc
	defer func() {
		for _, ts := range inst {
			ts.stop()
		}
	}()
	pprofAddr := ""
	for i := range p.scaleInstances {
		t0 := time.Now()
		env := env
		if i == 0 && e.profileDir != "" {
			if pprofAddr, err = freeAddr(); err != nil {
				return nil, err
			}
			env = append(env, "TINYSCALE_PPROF_LISTEN="+pprofAddr)
		}
		ts, err := startTinyscaleAt(ctx, e.bin, fl.refs, env...)
		if err != nil {
			return nil, fmt.Errorf("instance %d: %v", i+1, err)
		}
		inst = append(inst, ts)
		e.logf("instance %d ready in %.1fs", i+1, time.Since(t0).Seconds())
	}

	t0 = time.Now()
	// Joins alone, for the Redis count per join.
	rng := rand.New(rand.NewPCG(15, 1))
	joinURL := func(ts *tinyscaleProc, user int) string {
		id := fmt.Sprintf("scale-%d-%d", rng.IntN(p.scaleServers), rng.IntN(p.scaleMeetings))
		return tsURL(ts, "join", joinQuery(id, user))
	}
	probeJoins := p.scaleJoins / 4
	var probe tally
	var probeAttacks []attack
	for i, ts := range inst {
		n := probeJoins / len(inst)
		urls := make([]string, n)
		for j := range urls {
			urls[j] = joinURL(ts, j)
		}
		probeAttacks = append(probeAttacks, attack{name: fmt.Sprintf("probe joins %d", i), targets: getTargets(urls), workers: 8, hits: n, ok: isRedirect})
	}
	// The rush.
	var attacks []attack
	joinsEach, createsEach := p.scaleJoins/len(inst), p.scaleCreates/len(inst)
	for i, ts := range inst {
		joins := make([]string, joinsEach)
		for j := range joins {
			joins[j] = joinURL(ts, 1_000_000+i*joinsEach+j)
		}
		creates := make([]string, createsEach)
		for j := range creates {
			creates[j] = tsURL(ts, "create", createQuery(fmt.Sprintf("scale-new-%d-%d", i, j)))
		}
		rate := func(n int) vegeta.Pacer { return vegeta.Rate{Freq: n, Per: p.scaleSpread} }
		attacks = append(attacks,
			attack{name: fmt.Sprintf("rush joins %d", i), targets: getTargets(joins), workers: 16, maxWorkers: joinsEach, pacer: rate(joinsEach), hits: joinsEach, ok: isRedirect},
			attack{name: fmt.Sprintf("rush creates %d", i), targets: getTargets(creates), workers: 8, maxWorkers: createsEach, pacer: rate(createsEach), hits: createsEach, ok: isSuccess})
	}
	// The control: one instance's stream of joins, sent at the same time
	// to a bare Go server answering a fixed 302 (the join scenario's
	// ceiling). Its p99 is what this machine, this busy, gives any server:
	// the floor under tinyscale's.
	ceil, err := startCeiling()
	if err != nil {
		return nil, err
	}
	defer ceil.stop()
	var control []string
	for j := range joinsEach {
		control = append(control, strings.Replace(joinURL(inst[0], 2_000_000+j), inst[0].addr, ceil.addr, 1))
	}
	controlAt := len(attacks)
	attacks = append(attacks, attack{name: "rush control joins", targets: getTargets(control), workers: 16, maxWorkers: joinsEach,
		pacer: vegeta.Rate{Freq: joinsEach, Per: p.scaleSpread}, hits: joinsEach, ok: isRedirect})
	e.logf("%d signed requests ready in %.1fs", probeJoins+p.scaleJoins+p.scaleCreates+joinsEach, time.Since(t0).Seconds())

	// The polling cost: every instance's CPU over whole rounds, no traffic.
	if err := sleep(ctx, p.scaleInterval+p.scaleInterval/2); err != nil {
		return nil, err
	}
	cpu0 := make([]time.Duration, len(inst))
	for i, ts := range inst {
		if cpu0[i], err = cpuTime(ts.pid()); err != nil {
			return nil, err
		}
	}
	redis0, err := redisCalls(ctx, rc)
	if err != nil {
		return nil, err
	}
	idleStart := time.Now()
	if pprofAddr != "" {
		// The first instance's polling, profiled over the idle window.
		path := filepath.Join(e.profileDir, "scale-poll-cpu.pprof")
		u := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddr, max(1, int(p.scaleIdle/time.Second)))
		if err := fetchProfile(ctx, u, path); err != nil {
			return nil, err
		}
		e.logf("profile written: %s", path)
	}
	if err := sleep(ctx, p.scaleIdle-time.Since(idleStart)); err != nil {
		return nil, err
	}
	idle := time.Since(idleStart)
	pollPct := make([]float64, len(inst))
	for i, ts := range inst {
		c, err := cpuTime(ts.pid())
		if err != nil {
			return nil, err
		}
		pollPct[i] = 100 * (c - cpu0[i]).Seconds() / idle.Seconds() * p.scaleInterval.Seconds() / defaultPollInterval.Seconds()
	}
	redis1, err := redisCalls(ctx, rc)
	if err != nil {
		return nil, err
	}
	_, idleCmds := callDelta(redis0, redis1)
	background := float64(idleCmds) / idle.Seconds() // commands per second with no traffic

	redis2, err := redisCalls(ctx, rc)
	if err != nil {
		return nil, err
	}
	probeStart := time.Now()
	if err := runAll(ctx, probeAttacks, func(int) *tally { return &probe }); err != nil {
		return nil, err
	}
	probeTook := time.Since(probeStart)
	redis3, err := redisCalls(ctx, rc)
	if err != nil {
		return nil, err
	}
	probeDelta, probeCmds := callDelta(redis2, redis3)
	// Less the background, a window with none of it left reads a little
	// under 0: that is none (and not "-0.00").
	perJoin := max(0, (float64(probeCmds)-background*probeTook.Seconds())/float64(max(1, probe.requests)))

	e.logf("joins alone: %d in %.1fs, p99 %s", probe.requests, probeTook.Seconds(), fmtDur(probe.p99()))

	// The rush.
	var joinT, createT, controlT tally
	if _, err := slowCommands(ctx, rc, false); err != nil {
		return nil, err
	}
	redis4, err := redisCalls(ctx, rc)
	if err != nil {
		return nil, err
	}
	// Where the CPU went during the rush: every process of the scenario.
	procs := []struct {
		name string
		pid  int
	}{{"bench", os.Getpid()}, {"fleet", fl.pid()}, {"redis", rd.pid()}, {"control", ceil.pid()}}
	for i, ts := range inst {
		procs = append(procs, struct {
			name string
			pid  int
		}{fmt.Sprintf("instance %d", i+1), ts.pid()})
	}
	rushCPU0 := make([]time.Duration, len(procs))
	for i, pr := range procs {
		if rushCPU0[i], err = cpuTime(pr.pid); err != nil {
			return nil, err
		}
	}
	profc := make(chan error, 1)
	if pprofAddr != "" {
		// The first instance over the rush, creates and all.
		path := filepath.Join(e.profileDir, "scale-rush-cpu.pprof")
		u := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddr, max(1, int(p.scaleSpread/time.Second)))
		secs := max(1, int(p.scaleSpread/time.Second))
		fetches := map[string]string{
			path: u,
			filepath.Join(e.profileDir, "scale-rush.trace"):           fmt.Sprintf("http://%s/debug/pprof/trace?seconds=%d", pprofAddr, secs),
			filepath.Join(e.profileDir, "scale-rush-fleet-cpu.pprof"): fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", spec.Pprof, secs),
			filepath.Join(e.profileDir, "scale-rush-fleet.trace"):     fmt.Sprintf("http://%s/debug/pprof/trace?seconds=%d", spec.Pprof, secs),
		}
		go func() {
			errc := make(chan error, len(fetches))
			for file, u := range fetches {
				go func() { errc <- fetchProfile(ctx, u, file) }()
			}
			var errs []error
			for range fetches {
				errs = append(errs, <-errc)
			}
			profc <- errors.Join(errs...)
		}()
		time.Sleep(100 * time.Millisecond) // the profile is on before the load
	} else {
		profc <- nil
	}
	stopSelf := func() {}
	if e.profileDir != "" {
		// The load generator itself: on 2 cores it competes with what it measures.
		if stopSelf, err = profileSelf(filepath.Join(e.profileDir, "scale-rush-bench-cpu.pprof")); err != nil {
			return nil, err
		}
	}
	rushStart := time.Now()
	if err := runAll(ctx, attacks, func(i int) *tally {
		if i == controlAt {
			return &controlT
		}
		if i%2 == 0 {
			return &joinT
		}
		return &createT
	}); err != nil {
		return nil, err
	}
	rushTook := time.Since(rushStart)
	stopSelf()
	rushCPU := make([]string, len(procs))
	for i, pr := range procs {
		c, err := cpuTime(pr.pid)
		if err != nil {
			return nil, err
		}
		rushCPU[i] = fmt.Sprintf("%s %.1fs", pr.name, (c - rushCPU0[i]).Seconds())
	}
	if err := <-profc; err != nil {
		return nil, err
	}
	if pprofAddr != "" {
		e.logf("rush profiles and execution traces written to %s: scale-rush-cpu.pprof and scale-rush.trace (instance 1), scale-rush-fleet-cpu.pprof and scale-rush-fleet.trace, scale-rush-bench-cpu.pprof", e.profileDir)
	}
	e.logf("rush: %d joins p99 %s, %d creates p99 %s, %d errors, in %.1fs; control: %d joins to a bare 302 server p99 %s", joinT.requests, fmtDur(joinT.p99()),
		createT.requests, fmtDur(createT.p99()), joinT.errors+createT.errors, rushTook.Seconds(), controlT.requests, fmtDur(controlT.p99()))
	redis5, err := redisCalls(ctx, rc)
	if err != nil {
		return nil, err
	}
	rushDelta, rushCmds := callDelta(redis4, redis5)
	slow, err := slowCommands(ctx, rc, true)
	if err != nil {
		return nil, err
	}
	creates := createsEach * len(inst)
	rushJoinCmds := perJoin * float64(joinT.requests)
	perCreate := (float64(rushCmds) - background*rushTook.Seconds() - rushJoinCmds) / float64(max(1, creates))

	if pprofAddr != "" {
		// What instance 1 holds after the rush (its RSS below), for the
		// memory per meeting.
		path := filepath.Join(e.profileDir, "scale-heap.pprof")
		if err := fetchProfile(ctx, fmt.Sprintf("http://%s/debug/pprof/heap?gc=1", pprofAddr), path); err != nil {
			return nil, err
		}
		e.logf("heap profile written: %s", path)
	}
	rss := make([]float64, len(inst))
	for i, ts := range inst {
		m, err := readMemory(ts.pid())
		if err != nil {
			return nil, err
		}
		rss[i] = mb(m.RSS)
		if err := ts.exited(); err != nil {
			return nil, err
		}
	}

	// The instances stop polling the fakes before they are counted.
	for _, ts := range inst {
		ts.child.stop()
	}
	// The time tinyscale itself spent on each call of the rush, from the
	// instances' logs (one line per call, with its duration).
	var inJoin, inCreate []time.Duration
	rushEnd := rushStart.Add(rushTook)
	for _, ts := range inst {
		j, err := ts.callDurations("join", rushStart, rushEnd)
		if err != nil {
			return nil, err
		}
		c, err := ts.callDurations("create", rushStart, rushEnd)
		if err != nil {
			return nil, err
		}
		inJoin, inCreate = append(inJoin, j...), append(inCreate, c...)
	}
	// Where the new meetings went.
	ids, err := fl.meetingIDs(ctx)
	if err != nil {
		return nil, err
	}
	perServer := make([]int, len(ids))
	placed := 0
	for i, ms := range ids {
		for _, id := range ms {
			if strings.HasPrefix(id, "scale-new-") {
				perServer[i]++
				placed++
			}
		}
	}
	mean := float64(placed) / float64(len(ids))
	fullest := slices.Max(perServer)
	spread := float64(fullest) / mean

	nerr := joinT.errors + createT.errors + probe.errors + abs(creates-placed)
	figures := map[string]float64{
		"scale_servers": float64(len(ids)), "scale_meetings": float64(len(ids) * p.scaleMeetings), "scale_instances": float64(len(inst)),
		"scale_join_p50_ms": ms(joinT.p50()), "scale_join_p99_ms": ms(joinT.p99()), "scale_join_max_ms": ms(joinT.lat.Max),
		"scale_create_p50_ms": ms(createT.p50()), "scale_create_p99_ms": ms(createT.p99()),
		"scale_joins": float64(joinT.requests), "scale_creates": float64(createT.requests), "scale_placed": float64(placed),
		"scale_rush_s": rushTook.Seconds(), "scale_join_send_s": joinT.span.Seconds(),
		"scale_spread_fullest": float64(fullest), "scale_spread_mean": mean, "scale_spread_ratio": spread,
		"scale_probe_join_p99_ms":  ms(probe.p99()),
		"scale_inside_join_p50_ms": ms(quantile(inJoin, 0.5)), "scale_inside_join_p99_ms": ms(quantile(inJoin, 0.99)),
		"scale_inside_create_p50_ms": ms(quantile(inCreate, 0.5)), "scale_inside_create_p99_ms": ms(quantile(inCreate, 0.99)),
		"scale_control_join_p50_ms": ms(controlT.p50()), "scale_control_join_p99_ms": ms(controlT.p99()),
		"scale_redis_per_join": perJoin, "scale_redis_per_create": perCreate, "scale_redis_background_per_s": background,
	}
	for i := range inst {
		figures[fmt.Sprintf("scale_poll_cpu_percent_%d", i+1)] = pollPct[i]
		figures[fmt.Sprintf("scale_rss_mb_%d", i+1)] = rss[i]
	}
	errNote := ""
	if nerr > 0 {
		errNote = fmt.Sprintf("; %d errors, the first: %s", nerr, firstOf(joinT.firstError, createT.firstError, probe.firstError))
	}
	fleet := fmt.Sprintf("%d servers × %d meetings, %d instances", len(ids), p.scaleMeetings, len(inst))
	return []result{
		{
			Scenario: fmt.Sprintf("scale rush: %d joins + %d creates in %s, %s", joinT.requests, createT.requests, p.scaleSpread, fleet),
			Measured: fmt.Sprintf("join p99 %s (p50 %s), create p99 %s; %d errors", fmtDur(joinT.p99()), fmtDur(joinT.p50()), fmtDur(createT.p99()), nerr),
			Target:   "join p99 ≤ 5ms, 0 errors",
			Ratio:    float64(joinT.p99()) / float64(scaleJoinP99),
			Verdict:  verdict(joinT.p99() <= scaleJoinP99, nerr),
			Errors:   nerr,
			Figures:  figures,
			Note: fmt.Sprintf("sent over %.1fs (joins) and %.1fs (creates), all answered after %.1fs; %d of %d new meetings on the servers%s",
				joinT.span.Seconds(), createT.span.Seconds(), rushTook.Seconds(), placed, creates, errNote),
		},
		{
			Scenario: "scale: spread of new meetings",
			Measured: fmt.Sprintf("fullest server %d, mean %.2f", fullest, mean),
			Target:   "fullest ≤ 1.1 × mean",
			Ratio:    spread,
			Verdict:  verdict(spread <= scaleSpreadMax, abs(creates-placed)),
			Note:     "new meetings per server: " + histogram(perServer),
		},
		{
			Scenario: "scale: polling CPU per instance",
			Measured: joinFloats(pollPct, "%.2f%%"),
			Target:   "≤ 5% of a core each",
			Ratio:    slices.Max(pollPct) / pollTarget,
			Verdict:  verdict(slices.Max(pollPct) <= pollTarget, 0),
			Note:     fmt.Sprintf("each instance's CPU over %.0fs with no API traffic, polling every %s, as a share of one core at the default 10s", idle.Seconds(), p.scaleInterval),
		},
		{
			Scenario: "scale rush: time inside tinyscale",
			Measured: fmt.Sprintf("join p50 %s, p99 %s; create p50 %s, p99 %s", fmtDur(quantile(inJoin, 0.5)), fmtDur(quantile(inJoin, 0.99)),
				fmtDur(quantile(inCreate, 0.5)), fmtDur(quantile(inCreate, 0.99))),
			Verdict: verdictInfo,
			Note: fmt.Sprintf("the durations the instances logged for the rush's %d joins and %d creates: from the handler's start to the answer, without the waits for a CPU before it (a create includes its BBB server's answer and the Redis claim)",
				len(inJoin), len(inCreate)),
		},
		{
			Scenario: "scale rush: control, the same joins to a bare 302 server",
			Measured: fmt.Sprintf("join p99 %s (p50 %s); %d errors", fmtDur(controlT.p99()), fmtDur(controlT.p50()), controlT.errors),
			Verdict:  verdictInfo,
			Note: fmt.Sprintf("%d joins (one instance's stream) sent during the rush, at the same rate, to the join scenario's ceiling server: the latency this machine gives any server under this load",
				controlT.requests),
		},
		{
			Scenario: "scale: CPU during the rush",
			Measured: strings.Join(rushCPU, ", "),
			Verdict:  verdictInfo,
			Note:     fmt.Sprintf("CPU time (user + system) of each process over the rush's %.1fs, on %d cores", rushTook.Seconds(), runtime.NumCPU()),
		},
		{
			Scenario: "scale: RSS per instance",
			Measured: joinFloats(rss, "%.1f MB"),
			Verdict:  verdictInfo,
			Note:     fmt.Sprintf("after the rush, each holding the %d meetings", len(ids)*p.scaleMeetings+placed),
		},
		{
			Scenario: "scale: Redis commands per join / per create",
			Measured: fmt.Sprintf("%.2f / %.1f", perJoin, perCreate),
			Target:   "0 per join",
			Verdict:  verdict(perJoin < 0.01, 0),
			Note: fmt.Sprintf("INFO commandstats deltas less the background (%.1f/s with no traffic); joins alone: %s; the rush: %s; commands of 10 ms or more in Redis during the rush (SLOWLOG): %s",
				background, fmtCalls(probeDelta), fmtCalls(rushDelta), slow),
		},
	}, nil
}

// runAll runs the attacks at once; tallyOf(i) is where attack i adds up.
func runAll(ctx context.Context, attacks []attack, tallyOf func(int) *tally) error {
	var wg sync.WaitGroup
	errs := make([]error, len(attacks))
	for i, a := range attacks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = a.run(ctx, tallyOf(i))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// histogram says how many servers got each count: "4: 496 servers, 5: 4".
func histogram(counts []int) string {
	h := map[int]int{}
	for _, c := range counts {
		h[c]++
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(h)) {
		parts = append(parts, fmt.Sprintf("%d on %d servers", k, h[k]))
	}
	return strings.Join(parts, ", ")
}

func joinFloats(vs []float64, format string) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprintf(format, v)
	}
	return strings.Join(parts, ", ")
}

// fmtCalls lists command counts, the most frequent first.
func fmtCalls(calls map[string]int64) string {
	if len(calls) == 0 {
		return "none"
	}
	names := slices.Collect(maps.Keys(calls))
	slices.SortFunc(names, func(a, b string) int { return int(calls[b] - calls[a]) })
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %d", n, calls[n])
	}
	return strings.Join(parts, ", ")
}
