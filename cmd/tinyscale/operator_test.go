package main

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/state"
	usagepkg "github.com/tinyscale/tinyscale/usage"
)

// TestVersion checks that `tinyscale version` says what was built, from
// what, with which Go.
func TestVersion(t *testing.T) {
	code, out := runToExit(t, t.TempDir(), nil, "version")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	for _, want := range []string{"tinyscale dev", "commit:", "built:", "go version: " + runtime.Version(), "platform:   " + runtime.GOOS + "/" + runtime.GOARCH} {
		if !strings.Contains(out, want) {
			t.Errorf("version output lacks %q:\n%s", want, out)
		}
	}
}

// TestBuildInfo checks that /metrics and the start log say which build
// runs, as `tinyscale version` does.
func TestBuildInfo(t *testing.T) {
	f := fake(t, "s1")
	p, api := serve(t, entry(f))
	root := strings.TrimSuffix(api, "/bigbluebutton/api")
	res, err := http.Get(root + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	want := `goversion="` + runtime.Version() + `",version="dev"} 1`
	if !strings.Contains(string(body), "tinyscale_build_info{") || !strings.Contains(string(body), want) {
		t.Errorf("/metrics has no tinyscale_build_info with %s", want)
	}
	if out := p.Output.String(); !strings.Contains(out, "version=dev") || !strings.Contains(out, "go="+runtime.Version()) {
		t.Errorf("the start log does not say the version and Go version:\n%s", out)
	}
}

// TestCheck runs `tinyscale check` against good and broken setups: it
// must pass only when every part is right, and say which part is not.
func TestCheck(t *testing.T) {
	good := fake(t, "good-secret")
	other := fake(t, "other-secret")
	down := fake(t, "down-secret")
	down.Close()
	tests := []struct {
		name     string
		servers  []serverEntry
		env      []string
		tenants  string // tenants.json content; "" for none
		wantCode int
		want     []string
	}{
		{"all good", []serverEntry{entry(good)}, nil, "", 0,
			[]string{"environment", "ok", "server " + good.Addr(), "1 meeting(s)", "all checks passed"}},
		{"wrong secret", []serverEntry{entry(good), {Host: other.URL(), Secret: "wrong"}}, nil, "", 1,
			[]string{"FAIL", "checksum", "1 problem(s)"}},
		{"unreachable server", []serverEntry{entry(down)}, nil, "", 1, []string{"FAIL", down.Addr()}},
		{"no secret", []serverEntry{entry(good)}, []string{"TINYSCALE_SECRET="}, "", 1, []string{"environment", "FAIL", "TINYSCALE_SECRET is not set"}},
		{"bad variable", []serverEntry{entry(good)}, []string{"TINYSCALE_POLL_INTERVAL=often"}, "", 1, []string{"TINYSCALE_POLL_INTERVAL"}},
		{"bad tenants.json", []serverEntry{entry(good)}, nil, `[{"name": "acme"`, 1, []string{"tenants", "FAIL"}},
		{"no servers", nil, nil, "", 1, []string{"servers", "FAIL"}},
	}
	createMeeting(t, good, "running-one")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeServers(t, tt.servers...)
			if tt.servers == nil {
				os.WriteFile(filepath.Join(dir, "servers.json"), []byte("[]"), 0o600)
			}
			if tt.tenants != "" {
				os.WriteFile(filepath.Join(dir, "tenants.json"), []byte(tt.tenants), 0o600)
			}
			env := append([]string{"TINYSCALE_SECRET=" + clientSecret, "TINYSCALE_DATA=" + t.TempDir()}, tt.env...)
			code, out := runToExit(t, dir, env, "check")
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d:\n%s", code, tt.wantCode, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// createMeeting creates a meeting directly on a fake server.
func createMeeting(t *testing.T, f interface {
	URL() string
	Secret() string
}, id string) {
	t.Helper()
	getOK(t, signed(f.URL(), "create", url.Values{"meetingID": {id}, "name": {"Room " + id}}, f.Secret()))
}

// TestUsageThroughBinary runs a meeting with participants through the
// real binary and reads its usage back with `tinyscale usage`.
func TestUsageThroughBinary(t *testing.T) {
	f := fake(t, "s1")
	_, dir, root := serveAdmin(t, entry(f))
	api := root + "/bigbluebutton/api"
	getOK(t, signed(api, "create", url.Values{"meetingID": {"billing-1"}, "name": {"Billing, \"quoted\""}, "record": {"true"}}, clientSecret))
	f.AddUsers("billing-1", 3, true, false)
	// Let polls see the participants, then end the meeting on the server.
	waitFor(t, "a poll to see 3 participants", func() bool {
		var rep usagepkg.Report
		adminCall(t, root, "GET", "usage?records=true", &rep)
		return len(rep.Records) == 1 && rep.Records[0].PeakParticipants == 3 && rep.Records[0].ParticipantMinutes > 0
	})
	f.EndMeeting("billing-1")
	var rec state.UsageRecord
	waitFor(t, "the ended meeting's final record", func() bool {
		var rep usagepkg.Report
		adminCall(t, root, "GET", "usage?records=true", &rep)
		if len(rep.Records) != 1 || rep.Records[0].Ongoing {
			return false
		}
		rec = rep.Records[0]
		return true
	})
	if rec.Tenant != "default" || rec.MeetingID != "billing-1" || rec.Name != `Billing, "quoted"` || !rec.Recorded || rec.Server != f.Addr() {
		t.Errorf("record %+v", rec)
	}
	// Three participants at most, for at most the meeting's duration (the
	// exact count against a script is usage.TestParticipantMinutesFromRealPolls).
	if rec.PeakParticipants != 3 || rec.ParticipantMinutes <= 0 || rec.ParticipantMinutes > 3*rec.DurationSeconds/60+1e-9 {
		t.Errorf("record %+v: participant-minutes beyond 3 × %vs", rec, rec.DurationSeconds)
	}
	env := []string{"TINYSCALE_ADMIN_URL=" + root, "TINYSCALE_ADMIN_TOKEN=" + adminToken}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"usage"}, []string{"TENANT", "PARTICIPANT-MIN", "default", "total"}},
		{[]string{"usage", "--by", "server", "--format", "csv"}, []string{"server,meetings,recorded,meeting_minutes,participant_minutes,peak_participants", f.Addr() + ",1,1,"}},
		{[]string{"usage", "--by", "day"}, []string{"DAY", rec.Start.UTC().Format("2006-01-02")}},
		{[]string{"usage", "--records", "--format", "csv"}, []string{`default,billing-1,"Billing, ""quoted""",` + f.Addr()}},
		{[]string{"usage", "--format", "json"}, []string{`"by": "tenant"`, `"participant_minutes"`}},
		{[]string{"usage", "--from", "2000-01-01", "--to", "2000-01-31"}, []string{"2000-01-01 00:00 to 2000-02-01 00:00", "total"}},
	}
	for _, tt := range tests {
		code, out := runToExit(t, dir, env, tt.args...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", tt.args, code, out)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output lacks %q:\n%s", tt.args, w, out)
			}
		}
	}
	for _, bad := range [][]string{{"usage", "--by", "week"}, {"usage", "--format", "xml"}, {"usage", "--from", "yesterday"}} {
		if code, out := runToExit(t, dir, env, bad...); code == 0 {
			t.Errorf("%v: exit 0: %s", bad, out)
		}
	}
}
