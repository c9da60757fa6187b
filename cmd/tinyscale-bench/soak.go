package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// runSoak is the long scripted run behind "memory does not grow without
// bound": soakCycles cycles, each creating soakMeetings meetings through
// tinyscale, joining each twice, sending soakBadChecksums wrong checksums,
// ending every meeting, and letting a poll reconcile. After the first
// cycle and after the last, it forces a garbage collection in tinyscale
// (its profiler's heap?gc=1) and reads the live heap from /metrics: what
// each cycle leaves behind is the growth between them, per meeting.
func runSoak(ctx context.Context, e *benchEnv) ([]result, error) {
	p := e.plan
	f := startFleet(3)
	defer f.close()
	pprofAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	ts, err := startTinyscale(ctx, e.bin, f, "TINYSCALE_PPROF_LISTEN="+pprofAddr, "TINYSCALE_POLL_INTERVAL="+p.soakPoll.String())
	if err != nil {
		return nil, err
	}
	defer ts.stop()
	var heaps []float64
	var total tally
	start := time.Now()
	for c := range p.soakCycles {
		prefix := "soak-" + itoa(c)
		if _, err := ts.createMeetings(ctx, prefix, p.soakMeetings, 16); err != nil {
			return nil, err
		}
		var joins, ends, bad []string
		for i := range p.soakMeetings {
			id := prefix + "-" + itoa(i)
			joins = append(joins, tsURL(ts, "join", joinQuery(id, 2*i)), tsURL(ts, "join", joinQuery(id, 2*i+1)))
			ends = append(ends, tsURL(ts, "end", url.Values{"meetingID": {id}}.Encode()))
		}
		for i := range p.soakBadChecksums {
			q := url.Values{"meetingID": {prefix + "-0"}, "n": {itoa(i)}}.Encode()
			bad = append(bad, ts.apiURL("isMeetingRunning")+"?"+q+"&checksum="+strings.Repeat("0", 64))
		}
		// A wrong checksum is answered after a delay (a second), so that
		// guessing is slow: many at once keep the cycle short.
		steps := []attack{
			{name: "soak joins", targets: getTargets(joins), workers: 16, hits: len(joins), ok: isRedirect},
			{name: "soak bad", targets: getTargets(bad), workers: 50, hits: len(bad), ok: func(r *vegeta.Result) bool { return strings.Contains(string(r.Body), "checksumError") }},
			{name: "soak ends", targets: getTargets(ends), workers: 16, hits: len(ends), ok: isSuccess},
		}
		for _, a := range steps {
			if err := a.run(ctx, &total); err != nil {
				return nil, err
			}
		}
		// A poll after the ends reconciles the placements away.
		if err := sleep(ctx, 2*p.soakPoll); err != nil {
			return nil, err
		}
		if c == 0 || c == p.soakCycles-1 {
			h, err := liveHeap(ctx, pprofAddr, ts)
			if err != nil {
				return nil, err
			}
			heaps = append(heaps, h)
			if e.profileDir != "" {
				// Compare with go tool pprof -base soak-heap-1.pprof soak-heap-N.pprof.
				path := filepath.Join(e.profileDir, fmt.Sprintf("soak-heap-%d.pprof", c+1))
				if err := fetchProfile(ctx, "http://"+pprofAddr+"/debug/pprof/heap", path); err != nil {
					return nil, err
				}
			}
			e.logf("cycle %d: live heap %.2f MB", c+1, h/(1<<20))
		}
	}
	if err := ts.exited(); err != nil {
		return nil, err
	}
	mem, err := readMemory(ts.pid())
	if err != nil {
		return nil, err
	}
	left := f.meetings()
	meetings := (p.soakCycles - 1) * p.soakMeetings
	growth := heaps[len(heaps)-1] - heaps[0]
	perMeeting := growth / float64(max(1, meetings))
	nerr := total.errors + left
	return []result{{
		Scenario: fmt.Sprintf("soak: %d cycles × %d meetings created, joined, ended", p.soakCycles, p.soakMeetings),
		Measured: fmt.Sprintf("live heap %.2f MB after cycle 1, %.2f MB after cycle %d: %+.0f bytes per meeting", heaps[0]/(1<<20), heaps[len(heaps)-1]/(1<<20), p.soakCycles, perMeeting),
		Target:   fmt.Sprintf("≤ %d bytes per meeting", soakMaxGrowth),
		Verdict:  verdict(perMeeting <= soakMaxGrowth, nerr),
		Errors:   nerr,
		Figures: map[string]float64{
			"soak_heap_first_mb": heaps[0] / (1 << 20), "soak_heap_last_mb": heaps[len(heaps)-1] / (1 << 20),
			"soak_bytes_per_meeting": perMeeting, "soak_rss_mb": mb(mem.RSS), "soak_cycles": float64(p.soakCycles),
			"soak_meetings_per_cycle": float64(p.soakMeetings), "soak_requests": float64(total.requests),
		},
		Note: fmt.Sprintf("%d requests in %.0fs, %d errors, %d meetings left on the servers; RSS at the end %.1f MB. Heap read after a forced GC (pprof heap?gc=1) from go_memstats_heap_alloc_bytes",
			total.requests, time.Since(start).Seconds(), total.errors, left, mb(mem.RSS)),
	}}, nil
}

// soakMaxGrowth bounds the soak's growth per meeting created and ended.
// Of what a meeting leaves, only its recording's owner may stay (a
// routing hint, about 150 bytes, kept up to 200,000 of them:
// docs/benchmarks.md's memory inventory); the state file's pages and the
// usage records' share are the rest. A table keeping a whole request or
// answer per meeting is kilobytes.
const soakMaxGrowth = 400

// liveHeap forces a garbage collection in tinyscale and returns its heap
// in use right after, in bytes.
func liveHeap(ctx context.Context, pprofAddr string, ts *tinyscaleProc) (float64, error) {
	if err := fetchProfile(ctx, "http://"+pprofAddr+"/debug/pprof/heap?gc=1", "/dev/null"); err != nil {
		return 0, err
	}
	return ts.metric(ctx, "go_memstats_heap_alloc_bytes")
}

// metric reads one unlabelled sample from tinyscale's /metrics.
func (t *tinyscaleProc) metric(ctx context.Context, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+t.addr+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("/metrics has no %s", name)
}
