package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/internal/testredis"
)

// lmsReceiver is an integration's callback endpoint that answers status
// (503 until told otherwise) and counts what it got per path.
type lmsReceiver struct {
	srv    *httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	hits   map[string]int
	ok     map[string]int // answered 2xx
}

func newLMS(t *testing.T, status int) *lmsReceiver {
	l := &lmsReceiver{hits: map[string]int{}, ok: map[string]int{}}
	l.status.Store(int32(status))
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		st := int(l.status.Load())
		l.mu.Lock()
		l.hits[r.URL.Path]++
		if st < 300 {
			l.ok[r.URL.Path]++
		}
		l.mu.Unlock()
		w.WriteHeader(st)
	}))
	t.Cleanup(l.srv.Close)
	return l
}

func (l *lmsReceiver) count(path string, delivered bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if delivered {
		return l.ok[path]
	}
	return l.hits[path]
}

// TestQueuedCallbackSurvivesKill9: the integration is down when the
// meeting ends; tinyscale is killed with the callback still queued; the
// integration comes back, tinyscale restarts, and the callback arrives.
func TestQueuedCallbackSurvivesKill9(t *testing.T) {
	lms := newLMS(t, http.StatusServiceUnavailable)
	f := fake(t, "backend-secret")
	dir := writeServers(t, entry(f))
	port := freePort(t)
	env := []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port, "TINYSCALE_URL=http://127.0.0.1:" + port,
		"TINYSCALE_CALLBACK_RETRY=0s,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms"}
	root := "http://127.0.0.1:" + port
	p := start(t, dir, env)
	p.WaitReady(t, root+"/readyz")
	base := root + "/bigbluebutton/api"
	getOK(t, signed(base, "create", url.Values{"meetingID": {"kill9"}, "name": {"Kill"},
		"meta_endCallbackUrl": {lms.srv.URL + "/ended"}}, clientSecret))
	getOK(t, signed(base, "end", url.Values{"meetingID": {"kill9"}}, clientSecret))
	waitFor(t, "the first, failing, attempt", func() bool { return lms.count("/ended", false) >= 1 })
	p.Cmd.Process.Kill() // SIGKILL: no shutdown code runs
	<-p.Done()
	if lms.count("/ended", true) != 0 {
		t.Fatal("delivered before the integration came back")
	}

	lms.status.Store(http.StatusOK)
	p = start(t, dir, env)
	p.WaitReady(t, root+"/readyz")
	waitFor(t, "the callback delivered after the restart", func() bool { return lms.count("/ended", true) == 1 })
}

// TestReplayedMeetingEndedFreesNothing: replaying tinyscale's own
// meetingEndedURL of a running meeting, or the late callback of an
// earlier session of the same meeting ID, frees no placement, so the
// meeting stays on one server.
func TestReplayedMeetingEndedFreesNothing(t *testing.T) {
	f1, f2 := fake(t, "secret-1"), fake(t, "secret-2")
	dir := writeServers(t, entry(f1), entry(f2))
	port := freePort(t)
	root := "http://127.0.0.1:" + port
	p := start(t, dir, []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port, "TINYSCALE_URL=" + root,
		"TINYSCALE_ADMIN_TOKEN=" + adminToken})
	p.WaitReady(t, root+"/readyz")
	base := root + "/bigbluebutton/api"
	holder := func(id string) string {
		req, _ := http.NewRequest("GET", root+"/admin/api/v1/meetings", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		var list struct {
			Meetings []struct {
				MeetingID string `json:"meeting_id"`
				Server    string `json:"server"`
			} `json:"meetings"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatalf("admin meetings: %s", body)
		}
		for _, m := range list.Meetings {
			if m.MeetingID == id {
				return m.Server
			}
		}
		return ""
	}
	endedURL := func(id string) string {
		if m, ok := f1.Meeting(id); ok {
			return m.MeetingEndedURL
		}
		m, _ := f2.Meeting(id)
		return m.MeetingEndedURL
	}
	replay := func(u string) int {
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}

	lms := newLMS(t, http.StatusOK)
	create := func() {
		getOK(t, signed(base, "create", url.Values{"meetingID": {"room"}, "name": {"Room"},
			"meta_endCallbackUrl": {lms.srv.URL + "/ended"}}, clientSecret))
	}
	endCallback := func(id string) string { // the relay URL BBB holds, with what BBB appends
		m, ok := f1.Meeting(id)
		if !ok {
			m, _ = f2.Meeting(id)
		}
		return m.Metadata["endcallbackurl"] + "?meetingID=" + id + "&recordingmarks=false"
	}

	create()
	first := holder("room")
	session1, session1End := endedURL("room"), endCallback("room")
	if first == "" || !strings.Contains(session1, "/tinyscale/callback/") || !strings.Contains(session1End, "/tinyscale/callback/end/") {
		t.Fatalf("placement %q, meetingEndedURL %q, end callback %q", first, session1, session1End)
	}
	// Replays while the meeting runs: nothing freed, nothing relayed.
	for _, u := range []string{session1, session1End} {
		if st := replay(u); st != http.StatusOK {
			t.Fatalf("replay answered HTTP %d", st)
		}
	}
	if got := holder("room"); got != first {
		t.Fatalf("a replayed meeting-ended callback freed the running meeting: placement %q, was %q", got, first)
	}
	// Session 1 ends for real (BBB calls back): freed, relayed once.
	getOK(t, signed(base, "end", url.Values{"meetingID": {"room"}}, clientSecret))
	waitFor(t, "the placement freed by the genuine callback", func() bool { return holder("room") == "" })
	waitFor(t, "the genuine end callback at the integration", func() bool { return lms.count("/ended", true) >= 1 })
	if n := lms.count("/ended", true); n != 1 {
		t.Fatalf("the integration got %d end callbacks, want 1: a replay was relayed", n)
	}
	// Session 2 starts; session 1's callbacks arrive late.
	create()
	second := holder("room")
	replay(session1)
	replay(session1End)
	if got := holder("room"); got != second {
		t.Fatalf("a late callback of session 1 freed session 2: placement %q, was %q", got, second)
	}
	// The late callback is a true event of session 1: relayed.
	waitFor(t, "session 1's late end callback relayed", func() bool { return lms.count("/ended", true) == 2 })
	r := getOK(t, signed(base, "isMeetingRunning", url.Values{"meetingID": {"room"}}, clientSecret))
	if !r.OK() {
		t.Fatalf("isMeetingRunning after the replays: %+v", r)
	}
}

// TestCallbackTargetsChecked: a create with a callback URL that is not
// http(s) is refused; with TINYSCALE_CALLBACK_DENY naming the
// integration's address, its callbacks are refused, never sent.
func TestCallbackTargetsChecked(t *testing.T) {
	lms := newLMS(t, http.StatusOK)
	f := fake(t, "backend-secret")
	port := freePort(t)
	root := "http://127.0.0.1:" + port
	p := start(t, writeServers(t, entry(f)), []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port, "TINYSCALE_URL=" + root,
		"TINYSCALE_CALLBACK_DENY=127.0.0.0/8,::1", "TINYSCALE_CALLBACK_RETRY=0s,10ms"})
	p.WaitReady(t, root+"/readyz")
	base := root + "/bigbluebutton/api"
	for _, bad := range []string{"file:///etc/passwd", "gopher://127.0.0.1:6379/_FLUSHALL", "/relative"} {
		_, _, body := get(t, signed(base, "create", url.Values{"meetingID": {"bad"}, "name": {"Bad"}, "meta_endCallbackUrl": {bad}}, clientSecret))
		if !strings.Contains(body, "<messageKey>validationError</messageKey>") {
			t.Fatalf("create with meta_endCallbackUrl=%s: %s", bad, body)
		}
	}
	if f.CountCalls("create") != 0 {
		t.Fatal("a create with a bad callback URL reached the BBB server")
	}
	getOK(t, signed(base, "create", url.Values{"meetingID": {"denied"}, "name": {"Denied"},
		"meta_endCallbackUrl": {lms.srv.URL + "/ended"}}, clientSecret))
	getOK(t, signed(base, "end", url.Values{"meetingID": {"denied"}}, clientSecret))
	waitFor(t, "the refused delivery in the metrics", func() bool {
		_, _, m := get(t, root+"/metrics")
		return strings.Contains(m, `tinyscale_deliveries_total{kind="end",outcome="refused",tenant="default"} 1`)
	})
	if n := lms.count("/ended", false); n != 0 {
		t.Fatalf("the denied integration got %d callbacks", n)
	}
}

// TestLimiterThroughTheBinary: past the failure limit from one address,
// wrong checksums are told why while the right one is still served.
func TestLimiterThroughTheBinary(t *testing.T) {
	f := fake(t, "backend-secret")
	_, base := serve(t, entry(f))
	wrong := base + "/getMeetings?checksum=" + bbb.Checksum(bbb.SHA256, "getMeetings", "", "guess")
	var last string
	for range 21 {
		_, _, last = get(t, wrong)
	}
	if !strings.Contains(last, "Too many failed checksums") {
		t.Fatalf("the 21st wrong checksum: %s", last)
	}
	if r := getOK(t, signed(base, "getMeetings", nil, clientSecret)); !r.OK() {
		t.Fatalf("the right checksum from a blocked address: %+v", r)
	}
}

// TestStartupRefusesShortAdminToken and warns about a short secret,
// naming neither.
func TestStartupChecksSecretStrength(t *testing.T) {
	f := fake(t, "backend-secret")
	code, out := runToExit(t, writeServers(t, entry(f)), []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + freePort(t),
		"TINYSCALE_ADMIN_TOKEN=tooshort"})
	if code == 0 || !strings.Contains(out, "TINYSCALE_ADMIN_TOKEN is 8 characters: use at least 16") || strings.Contains(out, "tooshort") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	port := freePort(t)
	p := start(t, writeServers(t, entry(f)), []string{"TINYSCALE_SECRET=s3cr3t", "PORT=" + port})
	p.WaitReady(t, "http://127.0.0.1:"+port+"/readyz")
	if out := p.Output.String(); !strings.Contains(out, "TINYSCALE_SECRET is only 6 characters") || strings.Contains(out, "s3cr3t") {
		t.Fatalf("no warning about the short secret, or the secret shown:\n%s", out)
	}
}

// TestJSONLogsWithRedis: with TINYSCALE_LOG_FORMAT=json, every line is
// JSON, go-redis's own messages (Redis gone away) included.
func TestJSONLogsWithRedis(t *testing.T) {
	rs := testredis.Start(t)
	f := fake(t, "backend-secret")
	port := freePort(t)
	root := "http://127.0.0.1:" + port
	p := start(t, writeServers(t, entry(f)), []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port,
		"TINYSCALE_REDIS_URL=" + rs.URL(), "TINYSCALE_LOG_FORMAT=json"})
	p.WaitReady(t, root+"/readyz")
	rs.Stop()
	base := root + "/bigbluebutton/api"
	waitFor(t, "a go-redis message", func() bool {
		get(t, signed(base, "create", url.Values{"meetingID": {"m"}, "name": {"M"}}, clientSecret))
		return strings.Contains(p.Output.String(), `"component":"go-redis"`)
	})
	for _, line := range strings.Split(strings.TrimSpace(p.Output.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Fatalf("a log line that is not JSON: %s", line)
		}
	}
}
