package main

import (
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/tinyscale/tinyscale/admin"
)

// TestMeetingsCLI runs `tinyscale meetings list` against a running
// tinyscale: which meeting is on which server, with participants.
func TestMeetingsCLI(t *testing.T) {
	a, b := fake(t, "secret-a"), fake(t, "secret-b")
	p, dir, root := serveAdmin(t, entry(a), entry(b))
	api := root + "/bigbluebutton/api"
	env := []string{"TINYSCALE_ADMIN_URL=" + root, "TINYSCALE_ADMIN_TOKEN=" + adminToken}
	for _, id := range []string{"maths", "physics"} {
		getOK(t, signed(api, "create", url.Values{"meetingID": {id}, "name": {id}}, clientSecret))
	}
	holder := map[string]string{}
	for _, id := range []string{"maths", "physics"} {
		holder[id] = a.Addr()
		if b.HasMeeting(id) {
			holder[id] = b.Addr()
		}
	}
	if holder["maths"] == a.Addr() {
		a.AddUsers("maths", 7, true, false)
	} else {
		b.AddUsers("maths", 7, true, false)
	}
	// Both servers' polls, not only the one of the server with the users:
	// a round's checks of the two land apart.
	waitFor(t, "polls to see the 7 users and both meetings running", func() bool {
		var list admin.MeetingList
		adminCall(t, root, "GET", "meetings", &list)
		seen, running := false, 0
		for _, m := range list.Meetings {
			if m.MeetingID == "maths" && m.Participants == 7 {
				seen = true
			}
			if m.Running {
				running++
			}
		}
		return seen && running == 2
	})

	code, out := runToExit(t, dir, env, "meetings", "list")
	if code != 0 {
		t.Fatalf("exit code %d:\n%s", code, out)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "MEETING ID") || !strings.Contains(lines[0], "PARTICIPANTS") {
		t.Fatalf("want a header and 2 rows:\n%s", out)
	}
	for _, row := range lines[1:] {
		f := strings.Fields(row)
		if len(f) < 6 {
			t.Fatalf("row %q", row)
		}
		id := f[0]
		want := []string{holder[id], "yes"}
		if id == "maths" {
			want = append(want, "7")
		}
		for i, w := range want {
			if f[i+1] != w {
				t.Errorf("row %q: column %d is %q, want %q", row, i+2, f[i+1], w)
			}
		}
	}

	// The same instance serves its metrics beside the admin API.
	status, _, metrics := get(t, root+"/metrics")
	for _, w := range []string{`tinyscale_api_requests_total{call="create",result="SUCCESS",tenant="default"} 2`, `tinyscale_server_participants{server="` + holder["maths"] + `"} 7`} {
		if status != 200 || !strings.Contains(metrics, w) {
			t.Errorf("/metrics: HTTP %d, no %s", status, w)
		}
	}

	code, out = runToExit(t, dir, env, "meetings", "list", "--server", holder["physics"], "--json")
	if code != 0 || !strings.Contains(out, `"physics"`) || strings.Contains(out, `"maths"`) && holder["maths"] != holder["physics"] {
		t.Errorf("meetings list --server --json: exit %d:\n%s", code, out)
	}
	stop(t, p, syscall.SIGTERM)
}
