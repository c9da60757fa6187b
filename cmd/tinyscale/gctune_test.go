package main

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCollectorPace runs the binary under a flood of joins: unset, GOGC is
// raised by tinyscale's pacing (internal/gctune) so that the collector runs
// less often; set by the operator, it stands whatever the load.
func TestCollectorPace(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		want func(percent float64) bool
		what string
	}{
		{"unset: paced", nil, func(p float64) bool { return p > 100 }, "above Go's default 100"},
		{"the operator's GOGC stands", []string{"GOGC=150"}, func(p float64) bool { return p == 150 }, "150"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fake(t, "secret-a")
			port := freePort(t)
			root := "http://127.0.0.1:" + port
			p := start(t, writeServers(t, entry(f)), append([]string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port}, tc.env...))
			p.WaitReady(t, root+"/healthz")
			api := root + "/bigbluebutton/api"
			getOK(t, signed(api, "create", url.Values{"meetingID": {"flood"}, "name": {"flood"}}, clientSecret))
			// 64 KB joins: each costs tinyscale a few hundred KB of garbage
			// (the request line, the parameters, the re-signed redirect),
			// a rate that outruns a small heap on any machine, race
			// detector or not.
			join := signed(api, "join", url.Values{"meetingID": {"flood"}, "fullName": {"A"}, "role": {"VIEWER"},
				"userdata-pad": {strings.Repeat("p", 64<<10)}}, clientSecret)

			var sent atomic.Int64
			stopFlood := make(chan struct{})
			var wg sync.WaitGroup
			client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: noRedirects.CheckRedirect}
			for range 4 {
				wg.Go(func() {
					for {
						select {
						case <-stopFlood:
							return
						default:
						}
						res, err := client.Get(join)
						if err != nil {
							t.Errorf("join: %v", err)
							return
						}
						res.Body.Close()
						if res.StatusCode != http.StatusFound {
							t.Errorf("join: HTTP %d, want 302", res.StatusCode)
							return
						}
						sent.Add(1)
					}
				})
			}
			percent := 0.0
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) && !t.Failed() {
				time.Sleep(200 * time.Millisecond)
				percent = gogcPercent(t, root)
				// The operator's value is checked after a flood as long as
				// the one that moves the unset one.
				if tc.want(percent) && (tc.env == nil || sent.Load() >= 500) {
					break
				}
			}
			close(stopFlood)
			wg.Wait()
			if !tc.want(percent) {
				t.Errorf("go_gc_gogc_percent is %v after %d joins of 64 KB, want %s", percent, sent.Load(), tc.what)
			}
		})
	}
}

// gogcPercent reads the collector's GOGC percent from tinyscale's /metrics.
func gogcPercent(t *testing.T, root string) float64 {
	t.Helper()
	status, _, body := get(t, root+"/metrics")
	for line := range strings.Lines(body) {
		if v, ok := strings.CutPrefix(line, "go_gc_gogc_percent "); ok {
			p, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("go_gc_gogc_percent: %v", err)
			}
			return p
		}
	}
	t.Fatalf("/metrics (HTTP %d) has no go_gc_gogc_percent", status)
	return 0
}
