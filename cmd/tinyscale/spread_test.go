package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/internal/testredis"
)

// TestE2EThreeInstancesSpreadExactly: three instances on one Redis, no
// poll during the burst, creates sent through all three at once. The
// servers' pending load lives in Redis and the claim chooses by it, so the
// spread is exact: every server takes the same number of meetings. With
// each instance choosing by its own view plus the others' reservations
// arriving by pub/sub, concurrent creates through different instances
// landed on the same server.
func TestE2EThreeInstancesSpreadExactly(t *testing.T) {
	const servers, perServer, instances = 8, 10, 3
	rs := testredis.Start(t)
	var fakes []*bbbfake.Server
	var entries []serverEntry
	for i := range servers {
		f := fake(t, fmt.Sprintf("secret-%d", i))
		fakes = append(fakes, f)
		entries = append(entries, entry(f))
	}
	dir := writeServers(t, entries...)
	bases := startInstances(t, dir, instances, rs.URL(), time.Hour)
	for e := range spreadCreates(bases, "even", servers*perServer, 0) {
		t.Error(e)
	}
	counts := make([]int, servers)
	for i, f := range fakes {
		counts[i] = len(f.Meetings())
	}
	t.Logf("%d creates through %d instances at once on %d servers: %v", servers*perServer, instances, servers, counts)
	for i, n := range counts {
		if n != perServer {
			t.Errorf("server %d took %d meetings, want exactly %d: %v", i, n, perServer, counts)
		}
	}
}

// TestE2EThreeInstancesSpreadWhilePolling is the scale scenario in
// small: more servers than a shortlist, each running the same old
// meetings with participants, three instances on one Redis polling every
// 500 ms (spread over half the interval, as serve does), and creates sent
// through all three at a steady rate over six poll intervals, so that the
// meetings placed first age out of the pending span while the rush goes
// on. Every server must end with the same number of new meetings, give or
// take the 10% the benchmark allows (here: exactly the same).
//
// Before the fix it failed in 6 of 7 runs: fullest 7 (once 9) where the
// mean was 6. The instances' views lagged the claims by 60 to 70 placements, so
// a shortlist of the 64 least loaded missed the few servers really least
// loaded; and a meeting was counted neither as pending nor as polled when
// its claim reached Redis after a claim with a later span, or when its
// claim and its createTime fell in different slots (see pool.Shortlist,
// polledBefore and claimAmongScript).
func TestE2EThreeInstancesSpreadWhilePolling(t *testing.T) {
	servers, old, users, perServer, instances := 150, 30, 3, 6, 3
	const interval, rush = 500 * time.Millisecond, 3 * time.Second
	if raceEnabled {
		// Race-detector builds of three instances polling 150 servers of
		// 30 meetings every 500 ms, on 2 cores shared with the rest of the
		// package, answered creates after the client's timeout.
		servers, old = 100, 10
	}
	rs := testredis.Start(t)
	hourAgo := time.Now().Add(-time.Hour)
	var fakes []*bbbfake.Server
	var entries []serverEntry
	for i := range servers {
		f := fake(t, fmt.Sprintf("secret-%d", i))
		for n := range old {
			id := fmt.Sprintf("old-%d-%d", i, n)
			status, _, body := get(t, signed(f.URL(), "create", url.Values{"meetingID": {id}, "name": {"Old"}}, f.Secret()))
			if status != http.StatusOK || !strings.Contains(body, "SUCCESS") {
				t.Fatalf("seed %s: HTTP %d %s", id, status, body)
			}
			f.AddUsers(id, users, true, false)
			f.SetCreated(id, hourAgo)
		}
		fakes = append(fakes, f)
		entries = append(entries, entry(f))
	}
	dir := writeServers(t, entries...)
	bases := startInstances(t, dir, instances, rs.URL(), interval)
	total := servers * perServer
	errs := spreadCreates(bases, "new", total, rush)
	failed := 0
	for e := range errs {
		if failed++; failed <= 5 {
			t.Log(e)
		}
	}
	hist := map[int]int{}
	fullest := 0
	for _, f := range fakes {
		n := len(f.Meetings()) - old
		hist[n]++
		fullest = max(fullest, n)
	}
	// Against the creates sent: one that failed (a claim Redis answered
	// too late on a loaded machine) makes its server look fuller, never
	// emptier, so it cannot push another above the mean.
	mean := float64(total) / float64(servers)
	t.Logf("%d creates (%d failed) through %d instances over %v, polls every %v, on %d servers: fullest %d, mean %.2f (%.2f×); servers by new meetings %v",
		total, failed, instances, rush, interval, servers, fullest, mean, float64(fullest)/mean, hist)
	if failed > total/2 {
		// Claims Redis answered after the state timeout: a machine too
		// loaded (a race build beside the package's other tests on 2
		// shared cores lost 13%). Past half, the spread says nothing.
		t.Errorf("%d of %d creates failed: too few placed to judge the spread", failed, total)
	}
	if float64(fullest) > 1.1*mean {
		t.Errorf("the fullest server took %d new meetings, %.2f× the mean %.2f, want at most 1.1×: %v", fullest, float64(fullest)/mean, mean, hist)
	}
}

// startInstances starts n instances on the servers of dir sharing the
// Redis at redisURL, polling every interval, and returns their API bases.
func startInstances(t *testing.T, dir string, n int, redisURL string, interval time.Duration) []string {
	var bases []string
	for range n {
		port := freePort(t)
		p := start(t, dir, []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port, "TINYSCALE_REDIS_URL=" + redisURL,
			"TINYSCALE_POLL_INTERVAL=" + interval.String(), "TINYSCALE_LOG_LEVEL=warn"})
		p.WaitReady(t, "http://127.0.0.1:"+port+"/readyz")
		bases = append(bases, "http://127.0.0.1:"+port+"/bigbluebutton/api")
	}
	return bases
}

// spreadCreates sends n creates of meetings prefix-0… round robin over
// bases: all at once with over 0, else at a steady rate over that long.
// It returns the failures, once all are answered.
func spreadCreates(bases []string, prefix string, n int, over time.Duration) <-chan string {
	var wg sync.WaitGroup
	errs := make(chan string, n)
	t0 := time.Now()
	for i := range n {
		time.Sleep(time.Until(t0.Add(over * time.Duration(i) / time.Duration(n))))
		wg.Go(func() {
			id := fmt.Sprintf("%s-%d", prefix, i)
			if r := tryCall(bases[i%len(bases)], "create", url.Values{"meetingID": {id}, "name": {"Spread"}}); r == nil || !r.OK() {
				errs <- fmt.Sprintf("create %s: %+v", id, r)
			}
		})
	}
	wg.Wait()
	close(errs)
	return errs
}
