package main

import (
	"crypto/sha1"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
)

// clientSecret is the TINYSCALE_SECRET the tests' integrations use.
const clientSecret = "client-secret-for-tests"

// signed returns the URL of a call to the API at base, signed with SHA-1
// as most integrations do.
func signed(base, call string, v url.Values, secret string) string {
	return base + "/" + call + "?" + bbb.Sign(bbb.SHA1, call, v.Encode(), secret)
}

// fake starts a fake BBB server closed when the test ends.
func fake(t *testing.T, secret string) *bbbfake.Server {
	t.Helper()
	f := bbbfake.Start(secret)
	t.Cleanup(f.Close)
	return f
}

// entry is the servers.json entry for a fake server.
func entry(f *bbbfake.Server) serverEntry {
	return serverEntry{Host: f.URL(), Secret: f.Secret()}
}

// serve starts tinyscale serve on a free port with servers.json holding
// servers, waits until it answers, and returns it with its API base URL.
func serve(t *testing.T, servers ...serverEntry) (*proc, string) {
	t.Helper()
	port := freePort(t)
	p := start(t, writeServers(t, servers...), []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port})
	p.WaitReady(t, "http://127.0.0.1:"+port+"/healthz")
	return p, "http://127.0.0.1:" + port + "/bigbluebutton/api"
}

// get makes a GET without following redirects and returns the status,
// the Location header and the body.
func get(t *testing.T, u string) (int, string, string) {
	t.Helper()
	res, err := noRedirects.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return res.StatusCode, res.Header.Get("Location"), string(body)
}

// getOK makes a GET that must answer a BBB SUCCESS document.
func getOK(t *testing.T, u string) *bbb.Reply {
	t.Helper()
	status, _, body := get(t, u)
	if status != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d: %s", u, status, body)
	}
	r, err := bbb.ParseReply([]byte(body), nil)
	if err != nil {
		t.Fatalf("GET %s: %v: %s", u, err, body)
	}
	if !r.OK() {
		t.Fatalf("GET %s: %s %s: %s", u, r.ReturnCode, r.MessageKey, r.Message)
	}
	return r
}

// stop sends sig and checks that tinyscale exits 0, as systemd and
// Kubernetes expect of a clean shutdown.
func stop(t *testing.T, p *proc, sig syscall.Signal) {
	t.Helper()
	if err := p.Cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	if code := p.Wait(t); code != 0 {
		t.Errorf("exit code %d after %v, want 0", code, sig)
	}
}

// TestServeNeedsSecret checks that serve refuses to start without a
// client secret and says which variable to set.
func TestServeNeedsSecret(t *testing.T) {
	tests := []struct {
		name string
		env  []string
	}{
		{"unset", nil},
		{"empty", []string{"TINYSCALE_SECRET="}},
		{"blank", []string{"TINYSCALE_SECRET=   "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fake(t, "backend-secret")
			dir := writeServers(t, entry(f))
			code, out := runToExit(t, dir, append(tt.env, "PORT="+freePort(t)))
			if code == 0 {
				t.Fatalf("exit code 0 without a secret; output:\n%s", out)
			}
			if !strings.Contains(out, "TINYSCALE_SECRET") {
				t.Errorf("output does not mention TINYSCALE_SECRET:\n%s", out)
			}
		})
	}
}

// TestServeRefusesMisconfiguredServer checks that a server with the wrong
// secret stops the start with a message naming that server, even when the
// other servers are fine: no retry cures a wrong secret.
func TestServeRefusesMisconfiguredServer(t *testing.T) {
	wrongSecret := fake(t, "the-real-secret")
	good := fake(t, "good-secret")
	dir := writeServers(t, entry(good), serverEntry{Host: wrongSecret.URL(), Secret: "not-the-secret"})
	code, out := runToExit(t, dir, []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + freePort(t)})
	if code == 0 {
		t.Fatalf("exit code 0; output:\n%s", out)
	}
	for _, w := range []string{wrongSecret.Addr(), "secret"} {
		if !strings.Contains(out, w) {
			t.Errorf("output does not mention %q:\n%s", w, out)
		}
	}
}

// TestServeStartsDegraded checks that a server in maintenance (a 404, a
// 200 HTML page, an error page) or one that accepts connections and never
// answers does not keep tinyscale from starting: it starts within a few
// seconds, warns naming that server, and places meetings on the good one.
func TestServeStartsDegraded(t *testing.T) {
	page := func(status int, body string) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			io.WriteString(w, body)
		}))
		t.Cleanup(s.Close)
		return s
	}
	hanging := fake(t, "hang-secret")
	hanging.SetMode(bbbfake.ModeHang)
	tests := []struct {
		name string
		bad  serverEntry
	}{
		{"404 page", serverEntry{Host: page(http.StatusNotFound, "<html><body><h1>404 Not Found</h1></body></html>").URL + "/bigbluebutton/api", Secret: "x"}},
		{"200 maintenance page", serverEntry{Host: page(http.StatusOK, "<!DOCTYPE html><html><body>Down for maintenance</body></html>").URL + "/bigbluebutton/api", Secret: "x"}},
		{"502 page", serverEntry{Host: page(http.StatusBadGateway, "<html><body>502 Bad Gateway</body></html>").URL + "/bigbluebutton/api", Secret: "x"}},
		{"never answers", entry(hanging)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := fake(t, "good-secret")
			port := freePort(t)
			begin := time.Now()
			// A request timeout longer than the startup wait: the wait is
			// bounded by itself, not by the timeout.
			p := start(t, writeServers(t, tt.bad, entry(good)), []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port, "TINYSCALE_REQUEST_TIMEOUT=30s"})
			p.WaitReady(t, "http://127.0.0.1:"+port+"/readyz")
			took := time.Since(begin)
			t.Logf("%s: ready after %v", tt.name, took.Round(10*time.Millisecond))
			if tt.name == "never answers" && took > 15*time.Second {
				t.Errorf("ready only after %v behind a server that never answers", took)
			}
			host := strings.TrimSuffix(strings.TrimPrefix(tt.bad.Host, "http://"), "/bigbluebutton/api")
			warned := false
			for _, line := range strings.Split(p.Output.String(), "\n") {
				if strings.Contains(line, "WARN") && strings.Contains(line, host) {
					warned = true
				}
			}
			if !warned {
				t.Errorf("no warning naming %s:\n%s", host, p.Output.String())
			}
			api := "http://127.0.0.1:" + port + "/bigbluebutton/api"
			for _, id := range []string{"deg-1", "deg-2"} {
				getOK(t, signed(api, "create", url.Values{"meetingID": {id}, "name": {id}}, clientSecret))
				if !good.HasMeeting(id) {
					t.Errorf("meeting %s is not on the good server", id)
				}
			}
		})
	}
}

// TestServeRefusesBadServersFile checks that a broken servers.json stops
// the start with a message naming the file.
func TestServeRefusesBadServersFile(t *testing.T) {
	dir := t.TempDir()
	code, out := runToExit(t, dir, []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + freePort(t)})
	if code == 0 {
		t.Fatalf("exit code 0 without servers.json; output:\n%s", out)
	}
	if !strings.Contains(out, "servers.json") || !strings.Contains(out, "not found") {
		t.Errorf("output does not say servers.json is not found:\n%s", out)
	}
}

// TestServeStartsWithUnreachableServer checks that one server down does
// not take the service down: tinyscale starts, warns about it, and places
// meetings on the server that is up.
func TestServeStartsWithUnreachableServer(t *testing.T) {
	downAddr := "127.0.0.1:" + freePort(t)
	good := fake(t, "good-secret")
	p, api := serve(t, serverEntry{Host: "http://" + downAddr + "/bigbluebutton/api", Secret: "x"}, entry(good))

	warned := false
	for _, line := range strings.Split(p.Output.String(), "\n") {
		if strings.Contains(line, "WARN") && strings.Contains(line, downAddr) {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning naming %s in the log:\n%s", downAddr, p.Output.String())
	}

	for _, id := range []string{"room-1", "room-2", "room-3"} {
		r := getOK(t, signed(api, "create", url.Values{"meetingID": {id}, "name": {"Room " + id}}, clientSecret))
		if r.Get("meetingID") != id {
			t.Errorf("create %s answered meetingID %q", id, r.Get("meetingID"))
		}
		if !good.HasMeeting(id) {
			t.Errorf("meeting %s is not on the server that is up", id)
		}
		status, loc, body := get(t, signed(api, "join", url.Values{"meetingID": {id}, "fullName": {"Ada"}, "role": {"MODERATOR"}}, clientSecret))
		if status != http.StatusFound || !strings.HasPrefix(loc, good.URL()+"/join?") {
			t.Errorf("join %s: HTTP %d Location %q, want 302 to %s/join: %s", id, status, loc, good.URL(), body)
		}
	}
	stop(t, p, syscall.SIGTERM)
}

// TestServeEndpoints checks what a deployment relies on: PORT is the port,
// the unsigned version probe integrations make when configured, the health
// probes, and that calls are checked against TINYSCALE_SECRET.
func TestServeEndpoints(t *testing.T) {
	good := fake(t, "good-secret")
	p, api := serve(t, entry(good))
	root := strings.TrimSuffix(api, "/bigbluebutton/api")
	sum := sha1.Sum([]byte(clientSecret))
	rootChecksum := hex.EncodeToString(sum[:])

	probes := []struct{ name, path string }{
		{"no slash", "/bigbluebutton/api"},
		{"slash", "/bigbluebutton/api/"},
		{"Nextcloud", "/bigbluebutton/api?checksum=" + rootChecksum},
		{"Moodle", "/bigbluebutton/api/?&checksum=" + rootChecksum},
		{"bad checksum ignored", "/bigbluebutton/api?checksum=0000"},
	}
	for _, tt := range probes {
		t.Run("version probe "+tt.name, func(t *testing.T) {
			r := getOK(t, root+tt.path)
			if r.Get("version") == "" {
				t.Errorf("no <version> in the answer to %s", tt.path)
			}
		})
	}

	plain := []struct {
		path       string
		wantStatus int
		wantBody   string
	}{
		{"/healthz", http.StatusOK, "ok"},
		{"/readyz", http.StatusOK, "ready"},
		{"/no-such-page", http.StatusNotFound, ""},
	}
	for _, tt := range plain {
		t.Run(tt.path, func(t *testing.T) {
			status, _, body := get(t, root+tt.path)
			if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Errorf("GET %s = HTTP %d %q, want %d %q", tt.path, status, body, tt.wantStatus, tt.wantBody)
			}
		})
	}

	t.Run("checksum", func(t *testing.T) {
		status, _, body := get(t, signed(api, "getMeetings", nil, "some-other-secret"))
		r, err := bbb.ParseReply([]byte(body), nil)
		if err != nil || r.OK() || r.MessageKey != "checksumError" {
			t.Errorf("getMeetings signed with another secret: HTTP %d %s", status, body)
		}
		getOK(t, signed(api, "getMeetings", nil, clientSecret))
	})
	stop(t, p, syscall.SIGINT)
}

// TestServeListensAfterStartupCheck checks that the port opens only once
// every server was checked, so that no request is refused with an error
// while tinyscale starts (the original answered 500 then).
func TestServeListensAfterStartupCheck(t *testing.T) {
	slow := fake(t, "slow-secret")
	slow.SetDelay(3 * time.Second)
	port := freePort(t)
	p := start(t, writeServers(t, entry(slow)), []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port})

	waitFor(t, "the startup check to reach the slow server", func() bool {
		return len(slow.Requests()) > 0 || p.Exited()
	})
	if p.Exited() {
		t.Fatalf("tinyscale exited with code %d", p.Code())
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second); err == nil {
		c.Close()
		t.Fatal("port open while the startup check waits for a server")
	}
	p.WaitReady(t, "http://127.0.0.1:"+port+"/readyz")
	stop(t, p, syscall.SIGTERM)
}
