package main

import (
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

var (
	demoAPI    = regexp.MustCompile(`API URL\s+(\S+)`)
	demoSecret = regexp.MustCompile(`Secret\s+(\S+)`)
	demoCall   = regexp.MustCompile(`https?://[^\s']+/bigbluebutton/api/(\w+)\?[^\s']*`)
	fakeJoin   = regexp.MustCompile(`^http://127\.0\.0\.1:(\d+)/bigbluebutton/api/join\?`)
)

// TestDemo follows what `tinyscale demo` tells a newcomer to do: the
// printed create URL creates a meeting, the printed join URL sends the
// browser to a fake BBB server and on to its client page, the printed
// secret signs calls; Ctrl-C stops it cleanly.
func TestDemo(t *testing.T) {
	port := freePort(t)
	p := start(t, t.TempDir(), []string{"PORT=" + port}, "demo")
	waitFor(t, "the demo to print its URLs", func() bool {
		return strings.Contains(p.Stdout.String(), "Ctrl-C") || p.Exited()
	})
	if p.Exited() {
		t.Fatalf("demo exited with code %d", p.Code())
	}
	out := p.Stdout.String()

	m := demoAPI.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no API URL printed:\n%s", out)
	}
	api := m[1]
	if want := "http://127.0.0.1:" + port + "/bigbluebutton/api"; api != want {
		t.Errorf("API URL %q, want %q (PORT=%s)", api, want, port)
	}
	m = demoSecret.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no secret printed:\n%s", out)
	}
	secret := m[1]
	calls := map[string]string{}
	for _, m := range demoCall.FindAllStringSubmatch(out, -1) {
		calls[m[1]] = m[0]
	}
	for _, c := range []string{"create", "join", "getMeetings", "end"} {
		if calls[c] == "" {
			t.Fatalf("no %s URL printed:\n%s", c, out)
		}
		if !strings.HasPrefix(calls[c], api+"/") {
			t.Errorf("%s URL %q is not under the API URL %q", c, calls[c], api)
		}
	}

	r := getOK(t, calls["create"])
	meetingID := r.Get("meetingID")
	if meetingID == "" {
		t.Fatalf("create answered no meetingID")
	}

	status, loc, body := get(t, calls["join"])
	fm := fakeJoin.FindStringSubmatch(loc)
	if status != http.StatusFound || fm == nil || fm[1] == port {
		t.Fatalf("join: HTTP %d Location %q, want 302 to a fake server's join: %s", status, loc, body)
	}
	status, loc, body = get(t, loc)
	if status != http.StatusFound || !strings.Contains(loc, "/html5client/join?sessionToken=") {
		t.Fatalf("fake server's join: HTTP %d Location %q, want 302 to its client: %s", status, loc, body)
	}
	status, _, body = get(t, loc)
	if status != http.StatusOK || !strings.Contains(body, meetingID) {
		t.Errorf("client page: HTTP %d, want 200 naming meeting %q:\n%s", status, meetingID, body)
	}

	// The printed secret is the one tinyscale checks.
	status, _, body = get(t, signed(api, "getMeetings", nil, secret))
	if status != http.StatusOK || !strings.Contains(body, "<meetingID>"+meetingID+"</meetingID>") {
		t.Errorf("getMeetings signed with the printed secret: HTTP %d, want the demo meeting listed:\n%s", status, body)
	}
	_, _, body = get(t, calls["getMeetings"])
	if !strings.Contains(body, "<meetingID>"+meetingID+"</meetingID>") {
		t.Errorf("printed getMeetings URL does not list the meeting:\n%s", body)
	}
	getOK(t, calls["end"])

	stop(t, p, syscall.SIGINT)
}
