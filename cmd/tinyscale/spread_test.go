package main

import (
	"fmt"
	"net/url"
	"sync"
	"testing"

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
	var bases []string
	for range instances {
		port := freePort(t)
		p := start(t, dir, []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port, "TINYSCALE_REDIS_URL=" + rs.URL(),
			"TINYSCALE_POLL_INTERVAL=1h", "TINYSCALE_LOG_LEVEL=warn"})
		p.WaitReady(t, "http://127.0.0.1:"+port+"/readyz")
		bases = append(bases, "http://127.0.0.1:"+port+"/bigbluebutton/api")
	}
	var wg sync.WaitGroup
	errs := make(chan string, servers*perServer)
	for i := range servers * perServer {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := tryCall(bases[i%instances], "create", url.Values{"meetingID": {fmt.Sprintf("even-%d", i)}, "name": {"Even"}})
			if r == nil || !r.OK() {
				errs <- fmt.Sprintf("create even-%d: %+v", i, r)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
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
