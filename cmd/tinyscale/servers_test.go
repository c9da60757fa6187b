package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tinyscale/tinyscale/admin"
	"github.com/tinyscale/tinyscale/bbbfake"
)

// TestServersCLI runs the built binary's servers commands against a
// running tinyscale and checks what they print and what they change.
func TestServersCLI(t *testing.T) {
	a, b, c := fake(t, "secret-a"), fake(t, "secret-b"), fake(t, "secret-c")
	p, dir, root := serveAdmin(t, entry(a), entry(b))
	api := root + "/bigbluebutton/api"
	env := []string{"TINYSCALE_ADMIN_URL=" + root, "TINYSCALE_ADMIN_TOKEN=" + adminToken}
	cli := func(args ...string) string {
		t.Helper()
		code, out := runToExit(t, dir, env, args...)
		if code != 0 {
			t.Fatalf("tinyscale %s: exit code %d:\n%s", strings.Join(args, " "), code, out)
		}
		return out
	}
	getOK(t, signed(api, "create", url.Values{"meetingID": {"room-1"}, "name": {"Room 1"}}, clientSecret))
	waitFor(t, "a poll of both servers", func() bool {
		var list admin.ServerList
		adminCall(t, root, "GET", "servers", &list)
		return len(list.Servers) == 2 && !list.Servers[0].LastPoll.IsZero() && !list.Servers[1].LastPoll.IsZero()
	})

	out := cli("servers", "list")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("servers list: %d lines, want a header and 2 rows:\n%s", len(lines), out)
	}
	header := lines[0]
	for _, col := range []string{"ID", "STATE", "HEALTH", "LOAD", "MEETINGS", "PARTICIPANTS", "LAST POLL", "HOST"} {
		if !strings.Contains(header, col) {
			t.Errorf("header %q lacks %s", header, col)
		}
	}
	hostCol := strings.Index(header, "HOST")
	for i, f := range []*bbbfake.Server{a, b} {
		row := lines[i+1]
		for _, w := range []string{f.Addr(), "enabled", "online", "s ago", f.URL()} {
			if !strings.Contains(row, w) {
				t.Errorf("row %q lacks %q", row, w)
			}
		}
		if strings.Index(row, f.URL()) != hostCol {
			t.Errorf("HOST not aligned in row %q (column %d)", row, hostCol)
		}
	}
	if strings.Contains(out, "secret-") {
		t.Errorf("servers list shows a secret:\n%s", out)
	}
	var list admin.ServerList
	if err := json.Unmarshal([]byte(cli("servers", "list", "--json")), &list); err != nil || len(list.Servers) != 2 {
		t.Errorf("servers list --json: %v, %+v", err, list)
	}

	// The states, on the server holding room-1: a cordoned server without
	// meetings would be disabled at the next poll.
	holder := a
	if b.HasMeeting("room-1") {
		holder = b
	}
	for _, st := range []string{"cordon", "enable", "disable"} {
		want := st + "d"
		if st == "cordon" {
			want = "cordoned"
		}
		if out := cli("servers", st, holder.Addr()); !strings.Contains(out, "is "+want) {
			t.Errorf("%s: %s", st, out)
		}
		if got := serverState(t, root, holder.Addr()); got != want {
			t.Errorf("after %s the server is %q", st, got)
		}
	}

	code, out := runToExit(t, dir, env, "servers", "panic", holder.Addr())
	if code != 1 || !strings.Contains(out, "--yes") || !holder.HasMeeting("room-1") {
		t.Errorf("panic without --yes and no terminal: exit %d, meeting kept %v:\n%s", code, holder.HasMeeting("room-1"), out)
	}
	out = cli("servers", "panic", holder.Addr(), "--yes")
	if !strings.Contains(out, "room-1") || !strings.Contains(out, "ended 1 of 1") || holder.HasMeeting("room-1") {
		t.Errorf("panic --yes: meeting still there %v:\n%s", holder.HasMeeting("room-1"), out)
	}

	out = cli("servers", "add", "--host", c.URL(), "--secret", c.Secret(), "--id", "bbb-c", "--tag", "x", "--tag", "y", "--weight", "2")
	if !strings.Contains(out, "added server bbb-c") {
		t.Errorf("add: %s", out)
	}
	var ans admin.ServerAnswer
	adminCall(t, root, "GET", "servers/bbb-c", &ans)
	if ans.Server.Weight != 2 || strings.Join(ans.Server.Tags, ",") != "x,y" || !ans.Server.Online {
		t.Errorf("added server: %+v", ans.Server)
	}
	if st, err := os.Stat(filepath.Join(dir, "tinyscale.db")); err != nil || st.Mode().Perm()&0o077 != 0 {
		t.Errorf("state file in the working directory: %v, %v; want it readable by its owner only (it holds secrets)", st, err)
	}
	if out := cli("servers", "remove", "bbb-c"); !strings.Contains(out, "removed server bbb-c") {
		t.Errorf("remove: %s", out)
	}
	if strings.Contains(p.Output.String(), c.Secret()) {
		t.Errorf("the log shows the added server's secret")
	}

	// Without TINYSCALE_ADMIN_URL the commands find tinyscale by PORT.
	port := root[strings.LastIndexByte(root, ':')+1:]
	code, out = runToExit(t, dir, []string{"PORT=" + port, "TINYSCALE_ADMIN_TOKEN=" + adminToken}, "servers", "list")
	if code != 0 || !strings.Contains(out, a.Addr()) {
		t.Errorf("servers list by PORT: exit %d:\n%s", code, out)
	}
	stop(t, p, syscall.SIGTERM)
}
