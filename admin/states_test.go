package admin

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/tinyscale/tinyscale/pool"
)

// TestStateActions walks one server through cordon, disable and enable,
// and checks at each step what the gateway does: where new meetings go,
// and whether a meeting already on the server can be joined.
func TestStateActions(t *testing.T) {
	e := newEnv(t, token, nil, "bbb1", "bbb2")
	// Place "running" on bbb1: bbb2 cordoned for the moment.
	e.pool.Get("bbb2").SetAdmin(pool.Cordoned)
	if got := e.create("running"); got != "bbb1" {
		t.Fatalf("running created on %s, want bbb1", got)
	}
	e.pool.Get("bbb2").SetAdmin(pool.Enabled)

	tests := []struct {
		action    string
		wantState pool.AdminState
		// newOn is where every new meeting must go ("" for either).
		newOn string
		// joinTo is where a join of "running" leads, or joinKey its error.
		joinTo, joinKey string
		available       bool
	}{
		{"cordon", pool.Cordoned, "bbb2", "bbb1", "", false},
		{"disable", pool.Disabled, "bbb2", "", "notFound", false},
		{"enable", pool.Enabled, "", "bbb1", "", true},
	}
	n := 0
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			var ans ServerAnswer
			st, body := e.admin("POST", Prefix+"servers/bbb1/"+tt.action, nil, &ans)
			if st != http.StatusOK || ans.Server.Admin != tt.wantState || ans.Server.Available != tt.available {
				t.Fatalf("%s: HTTP %d %s, want state %s available %v", tt.action, st, body, tt.wantState, tt.available)
			}
			if got := e.pool.Get("bbb1").Admin(); got != tt.wantState {
				t.Errorf("pool says %s, want %s", got, tt.wantState)
			}
			seen := map[string]int{}
			for range 6 {
				n++
				seen[e.create(fmt.Sprintf("new-%d", n))]++
			}
			if tt.newOn != "" && seen[tt.newOn] != 6 {
				t.Errorf("new meetings went to %v, want all on %s", seen, tt.newOn)
			}
			if tt.newOn == "" && seen["bbb1"] == 0 {
				t.Errorf("new meetings went to %v: the enabled bbb1 took none", seen)
			}
			to, key := e.join("running")
			if to != tt.joinTo || key != tt.joinKey {
				t.Errorf("join running: to %q key %q, want to %q key %q", to, key, tt.joinTo, tt.joinKey)
			}
		})
	}
}

// TestCordonDrains checks that a cordoned server becomes disabled once
// its last meeting ended, at the next poll, and that the API shows it.
func TestCordonDrains(t *testing.T) {
	e := newEnv(t, token, nil, "bbb1")
	e.create("last")
	e.poller.PollOnce(t.Context())
	e.admin("POST", Prefix+"servers/bbb1/cordon", nil, nil)
	e.poller.PollOnce(t.Context())
	if got := e.server("bbb1").Admin; got != pool.Cordoned {
		t.Fatalf("cordoned server with a meeting is %s", got)
	}
	e.fakes["bbb1"].EndMeeting("last")
	e.poller.PollOnce(t.Context())
	if got := e.server("bbb1").Admin; got != pool.Disabled {
		t.Errorf("cordoned server without meetings is %s, want disabled", got)
	}
}
