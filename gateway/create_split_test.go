package gateway_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/gateway"
)

// TestCreateOfUnknownOutcomeNeverSplits: a create that the server carried
// out but whose answer never came (it timed out) or was cut off (the
// connection dropped) may have made the meeting: it must not be sent to
// another server, where it would run a second time. Every server here
// behaves so, so a create that moved on would leave the meeting on two.
// The placement stays, and the client's retry goes to the same server.
func TestCreateOfUnknownOutcomeNeverSplits(t *testing.T) {
	for _, mode := range []bbbfake.Mode{bbbfake.ModeHangAfter, bbbfake.ModeResetAfter} {
		t.Run(mode.String(), func(t *testing.T) {
			c := newCluster(t, 2, func(cfg *gateway.Config) { cfg.CreateTimeout = 300 * time.Millisecond })
			for _, f := range c.fakes {
				f.SetCallMode("create", mode)
			}
			r := c.call("create", url.Values{"meetingID": {"unsure-room"}, "name": {"Unsure"}})
			wantKey(t, r, bbb.Failed, "internalError")
			holder := c.holder("unsure-room") // fails if on two servers
			for _, f := range c.fakes {
				if f != holder && f.CountCalls("create") != 0 {
					t.Fatalf("the create was also sent to %s", f.Addr())
				}
			}
			if owner, ok := c.store.Lookup("default", "unsure-room"); !ok || owner != holder.Addr() {
				t.Fatalf("placement %q (%v), want the server that has the meeting, %s", owner, ok, holder.Addr())
			}
			for _, f := range c.fakes {
				f.SetCallMode("create", bbbfake.ModeNormal)
			}
			r = c.call("create", url.Values{"meetingID": {"unsure-room"}, "name": {"Unsure"}})
			if !r.OK() {
				t.Fatalf("the retry answered %s %s", r.MessageKey, r.Message)
			}
			if c.holder("unsure-room") != holder {
				t.Fatal("the retry went to another server")
			}
		})
	}
}
