package admin

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
)

// TestPanic checks the panic button: every meeting on the server is ended
// on the server itself (those tinyscale placed and one only a poll saw),
// their placements are gone, the server is disabled, and the other
// server's meetings are untouched.
func TestPanic(t *testing.T) {
	e := newEnv(t, token, nil, "bbb1", "bbb2")
	e.pool.Get("bbb2").SetAdmin(pool.Cordoned)
	for _, id := range []string{"p1", "p2", "p3"} {
		if got := e.create(id); got != "bbb1" {
			t.Fatalf("%s on %s, want bbb1", id, got)
		}
	}
	e.pool.Get("bbb2").SetAdmin(pool.Enabled)
	e.pool.Get("bbb1").SetAdmin(pool.Cordoned)
	if got := e.create("elsewhere"); got != "bbb2" {
		t.Fatalf("elsewhere on %s, want bbb2", got)
	}
	e.pool.Get("bbb1").SetAdmin(pool.Enabled)
	// A meeting created on bbb1 behind tinyscale's back: only polls know it.
	if _, err := e.fakes["bbb1"].Client().Get(t.Context(), "create", url.Values{"meetingID": {"direct"}, "name": {"Direct"}}.Encode()); err != nil {
		t.Fatal(err)
	}
	e.poller.PollOnce(t.Context())
	if !e.fakes["bbb1"].HasMeeting("direct") {
		t.Fatal("direct meeting not created")
	}
	e.store.Release(state.DefaultTenant, "direct", "bbb1") // adopted by the poll: make it poll-only again

	var ans PanicAnswer
	st, body := e.admin("POST", Prefix+"servers/bbb1/panic", nil, &ans)
	if st != http.StatusOK {
		t.Fatalf("panic: HTTP %d %s", st, body)
	}
	var ended []string
	for _, r := range ans.Ended {
		if r.Result != "ended" {
			t.Errorf("%s: %s %s", r.MeetingID, r.Result, r.Error)
		}
		ended = append(ended, r.MeetingID)
	}
	slices.Sort(ended)
	if want := []string{"direct", "p1", "p2", "p3"}; !slices.Equal(ended, want) {
		t.Errorf("ended %v, want %v", ended, want)
	}
	if ans.Released != 3 || ans.Server.Admin != pool.Disabled {
		t.Errorf("released %d, state %s; want 3, disabled", ans.Released, ans.Server.Admin)
	}
	if ms := e.fakes["bbb1"].Meetings(); len(ms) != 0 {
		t.Errorf("bbb1 still runs %d meetings", len(ms))
	}
	if !e.fakes["bbb2"].HasMeeting("elsewhere") {
		t.Error("panic on bbb1 ended a meeting on bbb2")
	}
	for _, m := range e.store.Meetings() {
		if m.ServerID == "bbb1" {
			t.Errorf("placement of %s on bbb1 kept", m.MeetingID)
		}
	}
	if _, key := e.join("p1"); key != "notFound" {
		t.Errorf("join p1 after panic: %q, want notFound", key)
	}
	if to, _ := e.join("elsewhere"); to != "bbb2" {
		t.Errorf("join elsewhere after panic: %q, want bbb2", to)
	}
	// The next create of a panicked meeting goes to a healthy server.
	if got := e.create("p1"); got != "bbb2" {
		t.Errorf("p1 re-created on %s, want bbb2", got)
	}
}

// TestPanicUnreachable checks that a panic on a server that cannot be
// reached still disables it and forgets its meetings, and says which ends
// failed.
func TestPanicUnreachable(t *testing.T) {
	e := newEnv(t, token, nil, "bbb1")
	e.create("m1")
	e.fakes["bbb1"].Close()
	var ans PanicAnswer
	if st, body := e.admin("POST", Prefix+"servers/bbb1/panic", nil, &ans); st != http.StatusOK {
		t.Fatalf("panic: HTTP %d %s", st, body)
	}
	if len(ans.Ended) != 1 || ans.Ended[0].Result != "error" || ans.Ended[0].Error == "" {
		t.Errorf("ended = %+v, want m1 with an error", ans.Ended)
	}
	if ans.Released != 1 || ans.Server.Admin != pool.Disabled || len(e.store.Meetings()) != 0 {
		t.Errorf("released %d, state %s, placements %d", ans.Released, ans.Server.Admin, len(e.store.Meetings()))
	}
}
