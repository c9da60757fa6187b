package main

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
)

const hookTenantSecret = "uni-a-hooks-secret"

// hookSink is an integration's webhook receiver.
type hookSink struct {
	srv    *httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	got    []hookPost
}

type hookPost struct {
	at     time.Time
	url    string // as received, with the checksum
	body   string
	header http.Header
}

func newSink(t *testing.T) *hookSink {
	s := &hookSink{}
	s.status.Store(200)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, hookPost{time.Now(), "http://" + r.Host + r.URL.RequestURI(), string(b), r.Header.Clone()})
		s.mu.Unlock()
		w.WriteHeader(int(s.status.Load()))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *hookSink) posts() []hookPost {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]hookPost(nil), s.got...)
}

// events returns "id:meetingID" of every event received with a status
// of 200, checking each delivery's checksum against secret on the way.
func (s *hookSink) events(t *testing.T, secret string) []string {
	t.Helper()
	var out []string
	for _, p := range s.posts() {
		if p.header.Get("Authorization") != "" {
			t.Fatalf("a delivery carries an Authorization header (a BBB server's secret?): %q", p.header.Get("Authorization"))
		}
		cb, cs, ok := strings.Cut(p.url, "?checksum=")
		if !ok {
			cb, cs, _ = strings.Cut(p.url, "&checksum=")
		}
		sum := sha1.Sum([]byte(cb + p.body + secret))
		if cs != hex.EncodeToString(sum[:]) {
			t.Fatalf("delivery to %s not signed with the tenant's secret as bbb-webhooks signs", cb)
		}
		form, _ := url.ParseQuery(p.body)
		if !strings.HasPrefix(p.body, "domain=127.0.0.1&event=") || form.Get("timestamp") == "" {
			t.Fatalf("body not in bbb-webhooks' form: %s", p.body)
		}
		var list []struct {
			Data struct {
				ID         string `json:"id"`
				Attributes struct {
					Meeting map[string]any `json:"meeting"`
				} `json:"attributes"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(form.Get("event")), &list); err != nil || len(list) != 1 {
			t.Fatalf("event %q: %v", form.Get("event"), err)
		}
		out = append(out, list[0].Data.ID+":"+fmt.Sprint(list[0].Data.Attributes.Meeting["external-meeting-id"]))
	}
	return out
}

func hasAll(got []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			return false
		}
	}
	return true
}

// relayHooks returns the hooks tinyscale keeps on a fake.
func relayHooks(f *bbbfake.Server) []bbbfake.Hook {
	var out []bbbfake.Hook
	for _, h := range f.Hooks() {
		if strings.Contains(h.CallbackURL, "/tinyscale/hooks/") {
			out = append(out, h)
		}
	}
	return out
}

func writeHookTenants(t *testing.T, dir string) {
	t.Helper()
	data := `[{"name": "uni-a", "secrets": ["` + hookTenantSecret + `"]}]`
	if err := os.WriteFile(filepath.Join(dir, "tenants.json"), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestWebhooksThroughTheBinary runs tinyscale with TINYSCALE_URL over a
// bbb-webhooks 3.x server with auth2_0 and a 2.6 server, and checks what
// an integration sees: one registry with IDs unique across servers and
// tenants, events re-signed with its own secret and with its own meeting
// IDs within 2 s, other tenants' events never, and no backend secret.
func TestWebhooksThroughTheBinary(t *testing.T) {
	f1, f2 := fake(t, "backend-secret-1"), fake(t, "backend-secret-2")
	f1.SetHooksAuth2(true)
	f2.SetHooksFlavour(bbbfake.Webhooks26)
	dir := writeServers(t, entry(f1), entry(f2))
	writeHookTenants(t, dir)
	port := freePort(t)
	p := start(t, dir, []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port, "TINYSCALE_URL=http://127.0.0.1:" + port,
		"TINYSCALE_POLL_INTERVAL=200ms", "TINYSCALE_DATA=" + t.TempDir()})
	p.WaitReady(t, "http://127.0.0.1:"+port+"/readyz")
	base := "http://127.0.0.1:" + port + "/bigbluebutton/api"
	tbase := "http://127.0.0.1:" + port + "/t/uni-a/bigbluebutton/api"

	// One hook of tinyscale's on each server; the 2.6 one took SHA-1.
	waitFor(t, "tinyscale's hook on both servers", func() bool { return len(relayHooks(f1)) == 1 && len(relayHooks(f2)) == 1 })

	def, ten := newSink(t), newSink(t)
	joins := newSink(t)
	r := getOK(t, signed(base, "hooks/create", url.Values{"callbackURL": {def.srv.URL + "/default"}}, clientSecret))
	r2 := getOK(t, signed(tbase, "hooks/create", url.Values{"callbackURL": {ten.srv.URL + "/tenant?x=1"}}, hookTenantSecret))
	r3 := getOK(t, signed(tbase, "hooks/create", url.Values{"callbackURL": {joins.srv.URL + "/joins"}, "meetingID": {"room"}, "eventID": {"user-joined"}}, hookTenantSecret))
	if r.Get("hookID") != "1" || r2.Get("hookID") != "2" || r3.Get("hookID") != "3" {
		t.Fatalf("hook IDs %q %q %q, want 1 2 3 across tenants", r.Get("hookID"), r2.Get("hookID"), r3.Get("hookID"))
	}
	if d := getOK(t, signed(base, "hooks/create", url.Values{"callbackURL": {def.srv.URL + "/default"}}, clientSecret)); d.MessageKey != "duplicateWarning" || d.Get("hookID") != "1" {
		t.Fatalf("duplicate: %s %s", d.MessageKey, d.Get("hookID"))
	}
	for _, f := range []*bbbfake.Server{f1, f2} {
		if n := len(f.Hooks()); n != 1 {
			t.Fatalf("server %s holds %d hooks, want only tinyscale's: %+v", f.Addr(), n, f.Hooks())
		}
	}

	start := time.Now()
	getOK(t, signed(base, "create", url.Values{"meetingID": {"lecture"}, "name": {"Lecture"}}, clientSecret))
	getOK(t, signed(tbase, "create", url.Values{"meetingID": {"room"}, "name": {"Room"}}, hookTenantSecret))
	// A user joins the tenant's room on its server.
	for _, f := range []*bbbfake.Server{f1, f2} {
		f.AddAttendee("uni-a~room", "Ada", "VIEWER")
	}
	waitFor(t, "the events at each receiver", func() bool {
		return hasAll(def.events(t, clientSecret), "meeting-created:lecture") &&
			hasAll(ten.events(t, hookTenantSecret), "meeting-created:room", "user-joined:room") &&
			hasAll(joins.events(t, hookTenantSecret), "user-joined:room")
	})
	for _, s := range []*hookSink{def, ten, joins} {
		for _, p := range s.posts() {
			if p.at.Sub(start) > 2*time.Second {
				t.Errorf("an event took %v to arrive, want under 2 s", p.at.Sub(start))
			}
		}
	}
	if got := def.events(t, clientSecret); hasAll(got, "meeting-created:room") || hasAll(got, "meeting-created:uni-a~room") {
		t.Fatalf("the default tenant's hook got another tenant's event: %q", got)
	}
	if got := joins.events(t, hookTenantSecret); len(got) != 1 {
		t.Fatalf("the meeting hook with an eventID list got %q", got)
	}
	if got := ten.events(t, hookTenantSecret); hasAll(got, "meeting-created:lecture") {
		t.Fatalf("the tenant's hook got the default tenant's event: %q", got)
	}
	for _, s := range []*hookSink{def, ten, joins} {
		for _, p := range s.posts() {
			for _, secret := range []string{f1.Secret(), f2.Secret()} {
				if strings.Contains(p.url+p.body+strings.Join(p.header.Values("Authorization"), ""), secret) {
					t.Fatal("a BBB server's secret reached an integration")
				}
			}
		}
	}

	// Forged events get 401.
	relay := relayHooks(f1)[0].CallbackURL
	for _, req := range []*http.Request{
		mustReq(t, relay, "Bearer "+clientSecret),
		mustReq(t, relay+"?checksum=0000000000000000000000000000000000000000", ""),
		mustReq(t, "http://127.0.0.1:"+port+"/tinyscale/hooks/"+url.PathEscape(f1.Addr())+"/guess", "Bearer "+f1.Secret()),
	} {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("forged event to %s: HTTP %d, want 401", req.URL.Path, res.StatusCode)
		}
	}

	// Destroy removes exactly one registration, for its tenant only.
	wantKeyOf(t, signed(tbase, "hooks/destroy", url.Values{"hookID": {"1"}}, hookTenantSecret), "destroyMissingHook")
	getOK(t, signed(base, "hooks/destroy", url.Values{"hookID": {"1"}}, clientSecret))
	_, _, body := get(t, signed(tbase, "hooks/list", nil, hookTenantSecret))
	if strings.Count(body, "<hook>") != 2 || strings.Contains(body, "<hookID>1</hookID>") {
		t.Fatalf("tenant's list after the default tenant's destroy: %s", body)
	}
	_, _, body = get(t, signed(base, "hooks/list", nil, clientSecret))
	if strings.Contains(body, "<hook>") {
		t.Fatalf("default tenant's list after its destroy: %s", body)
	}

	// The 2.6 server's webhooks calls were signed with SHA-1, the only one it takes.
	sha1Create := false
	for _, rq := range f2.Requests() {
		q, _ := url.ParseQuery(rq.RawQuery)
		sha1Create = sha1Create || (rq.Call == "hooks/create" && len(q.Get("checksum")) == 40)
	}
	if !sha1Create {
		t.Fatal("tinyscale's hook on the bbb-webhooks 2.6 server was not registered with a SHA-1 checksum")
	}

	// A raw hook: tinyscale adds its raw hook on every server, and relays
	// BBB's raw messages with the tenant's meeting IDs.
	rawSink := newSink(t)
	getOK(t, signed(tbase, "hooks/create", url.Values{"callbackURL": {rawSink.srv.URL + "/raw"}, "getRaw": {"true"}}, hookTenantSecret))
	waitFor(t, "tinyscale's raw hook on both servers", func() bool { return len(relayHooks(f1)) == 2 && len(relayHooks(f2)) == 2 })
	getOK(t, signed(tbase, "create", url.Values{"meetingID": {"room2"}, "name": {"Room 2"}}, hookTenantSecret))
	waitFor(t, "the raw message", func() bool {
		for _, p := range rawSink.posts() {
			if strings.Contains(p.body, "room2") {
				return true
			}
		}
		return false
	})
	for _, p := range rawSink.posts() {
		form, _ := url.ParseQuery(p.body)
		ev := form.Get("event")
		if !strings.Contains(ev, `"envelope"`) || !strings.Contains(ev, `"extId":"room2"`) || strings.Contains(ev, "uni-a~") {
			t.Fatalf("raw message not BBB's, or with the scoped ID: %s", ev)
		}
		cb, cs, _ := strings.Cut(p.url, "?checksum=")
		if sum := sha1.Sum([]byte(cb + p.body + hookTenantSecret)); cs != hex.EncodeToString(sum[:]) {
			t.Fatal("raw delivery not signed with the tenant's secret")
		}
	}
	for _, p := range ten.posts() {
		if strings.Contains(p.body, "envelope") {
			t.Fatal("a mapped hook got a raw message")
		}
	}

	// A server that lost tinyscale's hook gets it again.
	f2.DropHooks()
	waitFor(t, "tinyscale's hooks back on the server", func() bool { return len(relayHooks(f2)) == 2 })
}

func mustReq(t *testing.T, u, auth string) *http.Request {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader("domain=x&event=%5B%5D&timestamp=1"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return req
}

func wantKeyOf(t *testing.T, u, key string) {
	t.Helper()
	_, _, body := get(t, u)
	r, err := bbb.ParseReply([]byte(body), nil)
	if err != nil || r.MessageKey != key {
		t.Fatalf("GET %s: %s, want %s", u, body, key)
	}
}

// TestWebhooksDownServerAndRestart checks that a server down at startup
// gets tinyscale's hook once it is back and its events arrive, and that a
// restart keeps the registrations and the deliveries still queued.
func TestWebhooksDownServerAndRestart(t *testing.T) {
	f1, f2 := fake(t, "backend-secret-1"), fake(t, "backend-secret-2")
	f2.Close()
	dir := writeServers(t, entry(f1), entry(f2))
	data := t.TempDir()
	port := freePort(t)
	env := []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port, "TINYSCALE_URL=http://127.0.0.1:" + port,
		"TINYSCALE_POLL_INTERVAL=100ms", "TINYSCALE_ONLINE_AFTER=1", "TINYSCALE_DATA=" + data}
	p := start(t, dir, env)
	p.WaitReady(t, "http://127.0.0.1:"+port+"/readyz")
	base := "http://127.0.0.1:" + port + "/bigbluebutton/api"
	sink := newSink(t)
	getOK(t, signed(base, "hooks/create", url.Values{"callbackURL": {sink.srv.URL + "/hook"}}, clientSecret))
	waitFor(t, "tinyscale's hook on the server that is up", func() bool { return len(relayHooks(f1)) == 1 })

	if err := f2.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "tinyscale's hook on the server once back", func() bool { return len(relayHooks(f2)) == 1 })
	direct := func(f *bbbfake.Server, id string) {
		t.Helper()
		u := f.URL() + "/create?" + bbb.Sign(bbb.SHA1, "create", url.Values{"meetingID": {id}, "name": {id}}.Encode(), f.Secret())
		getOK(t, u)
	}
	direct(f2, "on-the-late-server")
	waitFor(t, "the late server's event", func() bool { return hasAll(sink.events(t, clientSecret), "meeting-created:on-the-late-server") })

	// The receiver fails; the delivery waits for a retry while tinyscale
	// restarts.
	sink.status.Store(503)
	n := len(sink.posts())
	direct(f1, "during-the-restart")
	waitFor(t, "a failed delivery", func() bool { return len(sink.posts()) > n })
	p.Cmd.Process.Kill()
	p.Wait(t)
	sink.status.Store(200)
	p = start(t, dir, env)
	p.WaitReady(t, "http://127.0.0.1:"+port+"/readyz")
	waitFor(t, "the queued delivery after the restart", func() bool {
		ok := false
		for _, q := range sink.posts()[n:] {
			ok = ok || strings.Contains(q.body, "during-the-restart")
		}
		return ok && hasAll(sink.events(t, clientSecret), "meeting-created:during-the-restart")
	})
	_, _, body := get(t, signed(base, "hooks/list", nil, clientSecret))
	if !strings.Contains(body, "<hookID>1</hookID>") {
		t.Fatalf("the registration did not survive the restart: %s", body)
	}
	if len(relayHooks(f1)) != 1 || len(relayHooks(f2)) != 1 {
		t.Fatalf("after the restart: %d and %d hooks of tinyscale's, want one each", len(relayHooks(f1)), len(relayHooks(f2)))
	}
}
