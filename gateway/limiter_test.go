package gateway_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
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
				l.Fail("203.0.113.7", "default", t0.Add(d))
			}
			if got := l.Blocked("203.0.113.7", "default", t0.Add(tc.at)); got != tc.blocked {
				t.Fatalf("blocked=%v, want %v", got, tc.blocked)
			}
			if l.Blocked("203.0.113.8", "default", t0.Add(tc.at)) {
				t.Fatal("another address is blocked too")
			}
			if l.Blocked("203.0.113.7", "uni-a", t0.Add(tc.at)) {
				t.Fatal("the same address is blocked for another tenant too")
			}
		})
	}
}

// TestLimiterTableIsBounded: 100,000 distinct addresses neither grow the
// table past its bound nor turn the limiter off for the next guesser.
func TestLimiterTableIsBounded(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := &gateway.Limiter{Failures: 3, Window: time.Minute, Block: 5 * time.Minute, Max: 1000}
	// A guesser is blocked first...
	for range 3 {
		l.Fail("192.0.2.1", "default", t0)
	}
	for i := range 100_000 {
		l.Fail(fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255), "default", t0.Add(time.Millisecond))
	}
	if n := l.Tracked(); n > 1000 {
		t.Fatalf("%d entries tracked, bound 1000", n)
	}
	// ...and stays blocked: evictions take unblocked entries first.
	if !l.Blocked("192.0.2.1", "default", t0.Add(time.Second)) {
		t.Fatal("the flood evicted a blocked guesser")
	}
	// A new guesser is still counted and blocked.
	for range 3 {
		l.Fail("192.0.2.2", "default", t0.Add(2*time.Second))
	}
	if !l.Blocked("192.0.2.2", "default", t0.Add(2*time.Second)) {
		t.Fatal("after the flood, a new guesser is not blocked: the limiter is off")
	}
}

func TestLimiterAddr(t *testing.T) {
	for _, tc := range []struct {
		remote, xff string
		trust       bool
		want        string
	}{
		{"192.0.2.5:1234", "", false, "192.0.2.5"},
		{"192.0.2.5:1234", "203.0.113.9", false, "192.0.2.5"},
		{"192.0.2.5:1234", "198.51.100.1, 203.0.113.9", true, "203.0.113.9"},
		{"[2001:db8:1:2:3:4:5:6]:443", "", false, "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "", false, "2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.5]:1", "", false, "192.0.2.5"},
	} {
		l := &gateway.Limiter{TrustProxy: tc.trust}
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := l.Addr(r); got != tc.want {
			t.Errorf("Addr(%s, XFF %q, trust %v) = %q, want %q", tc.remote, tc.xff, tc.trust, got, tc.want)
		}
	}
}

// TestLimiterNeverRefusesTheRightChecksum: many integrations behind one
// address (a proxy, TINYSCALE_TRUST_PROXY off), one of them or an
// attacker failing on purpose: the blocked address's wrong checksums are
// told why, its right ones are served; with trust on, a spoofed
// X-Forwarded-For locks no one out either.
func TestLimiterNeverRefusesTheRightChecksum(t *testing.T) {
	for _, trust := range []bool{false, true} {
		t.Run(fmt.Sprintf("trust proxy %v", trust), func(t *testing.T) {
			blocked := 0
			lim := &gateway.Limiter{Failures: 5, Window: time.Minute, Block: time.Minute, TrustProxy: trust, OnBlock: func(string) { blocked++ }}
			c := newCluster(t, 1, func(cfg *gateway.Config) { cfg.Limiter = lim })
			from := func(xff, path string) *bbb.Reply {
				req, _ := http.NewRequest("GET", c.srv.URL+path, nil)
				if xff != "" {
					req.Header.Set("X-Forwarded-For", xff)
				}
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
			victim := "192.0.2.66" // the address the attacker spoofs, or the shared proxy's
			for range 7 {
				wantKey(t, from(victim, guess), bbb.Failed, "checksumError")
			}
			r := from(victim, guess)
			wantKey(t, r, bbb.Failed, "checksumError")
			if r.Message == "Checksums do not match" {
				t.Error("a blocked client's failing request should be told why")
			}
			// The right checksum from the same address is served.
			wantKey(t, from(victim, signed("getMeetings", url.Values{})), bbb.Success, "noMeetings")
			wantKey(t, from("192.0.2.77", signed("getMeetings", url.Values{})), bbb.Success, "noMeetings")
			if blocked != 1 {
				t.Errorf("OnBlock called %d times, want 1", blocked)
			}
		})
	}
}

// TestLimiterSameForUnknownTenants: wrong checksums for an existing
// tenant and for a name that does not exist get the same answers, blocked
// at the same count: the limiter tells a prober nothing.
func TestLimiterSameForUnknownTenants(t *testing.T) {
	c := tenantCluster(t, 1, uniA)
	c.reconfigure(func(cfg *gateway.Config) {
		cfg.Limiter = &gateway.Limiter{Failures: 3, Window: time.Minute, Block: time.Minute}
	})
	answers := func(name string) []string {
		var out []string
		for range 5 {
			path := "/t/" + name + "/bigbluebutton/api/getMeetings?checksum=" + bbb.Checksum(bbb.SHA256, "getMeetings", "", "guess")
			res, err := c.hc.Get(c.srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			r, err := bbb.ParseReply(mustRead(t, res), nil)
			res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r.MessageKey+": "+r.Message)
		}
		return out
	}
	known, unknown := answers(uniA.Name), answers("no-such-tenant")
	if fmt.Sprint(known) != fmt.Sprint(unknown) {
		t.Fatalf("existing tenant answered\n%q\nunknown tenant answered\n%q", known, unknown)
	}
	if known[4] == known[0] {
		t.Fatalf("never blocked: %q", known)
	}
}
