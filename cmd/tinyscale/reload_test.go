package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestReloadOnSIGHUP edits servers.json under a running tinyscale and
// sends SIGHUP: a new server appears, an unchanged one keeps its state and
// its meetings, an invalid file keeps the old list, and a server dropped
// from the file goes.
func TestReloadOnSIGHUP(t *testing.T) {
	a, b, c := fake(t, "secret-a"), fake(t, "secret-b"), fake(t, "secret-c")
	p, dir, root := serveAdmin(t, entry(a), entry(b))
	api := root + "/bigbluebutton/api"
	idA, idB, idC := a.Addr(), b.Addr(), c.Addr()
	hup := func() {
		t.Helper()
		if err := p.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	writeList := func(es ...serverEntry) {
		t.Helper()
		data, _ := json.Marshal(es)
		rewriteServers(t, dir, data)
	}

	if st := adminCall(t, root, "POST", "servers/"+idA+"/cordon", nil); st != http.StatusOK {
		t.Fatalf("cordon: HTTP %d", st)
	}
	getOK(t, signed(api, "create", url.Values{"meetingID": {"kept"}, "name": {"Kept"}}, clientSecret))
	if !b.HasMeeting("kept") {
		t.Fatal("kept is not on b, the only enabled server")
	}

	writeList(entry(a), entry(b), entry(c))
	hup()
	waitFor(t, "the new server after SIGHUP", func() bool { return slices.Contains(serverIDs(t, root), idC) })
	// The poller (every 100 ms) disables the cordoned server once it finds
	// it empty, maybe before the reload: either way it is not enabled again.
	if got := serverState(t, root, idA); got != "cordoned" && got != "disabled" {
		t.Errorf("unchanged server is %q after reload, want it still cordoned (or disabled, drained)", got)
	}
	joinURL := signed(api, "join", url.Values{"meetingID": {"kept"}, "fullName": {"Ada"}, "role": {"MODERATOR"}}, clientSecret)
	if status, loc, _ := get(t, joinURL); status != http.StatusFound || !strings.HasPrefix(loc, b.URL()) {
		t.Errorf("join after reload: HTTP %d to %q, want 302 to b", status, loc)
	}

	rewriteServers(t, dir, []byte(`[{"host": "`+a.URL()+`", "secret": ""}]`))
	hup()
	waitFor(t, "the reload error in the log", func() bool { return strings.Contains(p.Output.String(), "reload failed") })
	log := p.Output.String()
	for _, w := range []string{"servers.json", `\"secret\"`, "keeping the current servers"} {
		if !strings.Contains(log, w) {
			t.Errorf("the reload error does not mention %s:\n%s", w, log)
		}
	}
	if ids := serverIDs(t, root); len(ids) != 3 {
		t.Errorf("servers after an invalid file: %v, want the 3 of before", ids)
	}

	writeList(entry(a), entry(c))
	hup()
	waitFor(t, "b gone after SIGHUP", func() bool { return !slices.Contains(serverIDs(t, root), idB) })
	// A failed join lands back where the integration said, errors appended.
	if _, loc, _ := get(t, joinURL); !strings.Contains(loc, "errors=") || !strings.Contains(loc, "notFound") {
		t.Errorf("join of a meeting on a removed server: redirect to %q, want errors=…notFound", loc)
	}
	for _, secret := range []string{"secret-a", "secret-b", "secret-c"} {
		if strings.Contains(p.Output.String(), secret) {
			t.Errorf("the log shows a secret")
		}
	}
	stop(t, p, syscall.SIGTERM)
}
