package gateway_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/gateway"
)

func TestLimiterWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		fails   []time.Duration // offsets of failures
		at      time.Duration   // when to ask
		blocked bool
	}{
		{"under the limit", []time.Duration{0, 1, 2}, 3 * time.Second, false},
		{"at the limit", []time.Duration{0, 1, 2, 3}, 4 * time.Second, true},
		{"spread over more than the window", []time.Duration{0, 40 * time.Second, 70 * time.Second, 80 * time.Second}, 81 * time.Second, false},
		{"block expires", []time.Duration{0, 1, 2, 3}, 3*time.Second + 5*time.Minute + time.Nanosecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &gateway.Limiter{Failures: 4, Window: time.Minute, Block: 5 * time.Minute}
			for _, d := range tc.fails {
				l.Fail("203.0.113.7", t0.Add(d))
			}
			if got := l.Blocked("203.0.113.7", t0.Add(tc.at)); got != tc.blocked {
				t.Fatalf("blocked=%v, want %v", got, tc.blocked)
			}
			if l.Blocked("203.0.113.8", t0.Add(tc.at)) {
				t.Fatal("another address is blocked too")
			}
		})
	}
}

func TestLimiterBlocksGuessing(t *testing.T) {
	blocked := 0
	lim := &gateway.Limiter{Failures: 5, Window: time.Minute, Block: time.Minute, TrustProxy: true, OnBlock: func(string) { blocked++ }}
	c := newCluster(t, 1, func(cfg *gateway.Config) { cfg.Limiter = lim })
	from := func(addr, path string) *bbb.Reply {
		req, _ := http.NewRequest("GET", c.srv.URL+path, nil)
		req.Header.Set("X-Forwarded-For", "198.51.100.1, "+addr)
		res, err := c.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		r, err := bbb.ParseReply(mustRead(t, res), nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	guess := "/bigbluebutton/api/getMeetings?checksum=" + bbb.Checksum(bbb.SHA1, "getMeetings", "", "wrong-guess")
	for range 5 {
		wantKey(t, from("192.0.2.66", guess), bbb.Failed, "checksumError")
	}
	// Now even the right checksum is refused from that address...
	r := from("192.0.2.66", signed("getMeetings", url.Values{}))
	wantKey(t, r, bbb.Failed, "checksumError")
	if r.Message == "Checksums do not match" {
		t.Error("a blocked client should be told why")
	}
	// ...while another client is served.
	wantKey(t, from("192.0.2.77", signed("getMeetings", url.Values{})), bbb.Success, "noMeetings")
	if blocked != 1 {
		t.Errorf("OnBlock called %d times, want 1", blocked)
	}
}
