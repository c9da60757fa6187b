package admin

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// browser is an HTTP client that keeps cookies as a browser would and
// sends the Origin of the page.
type browser struct {
	t      *testing.T
	e      *env
	cookie *http.Cookie
}

func (b *browser) do(method, path, body string, hdr map[string]string) *http.Response {
	b.t.Helper()
	req, err := http.NewRequest(method, b.e.url+path, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Origin", b.e.url)
	if strings.HasPrefix(body, "token=") || strings.HasPrefix(body, "csrf=") {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	return res
}

func (b *browser) login(tok string) *http.Response {
	b.t.Helper()
	res := b.do("POST", "/admin/login", "token="+url.QueryEscape(tok), nil)
	res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == sessionCookie {
			b.cookie = c
		}
	}
	return res
}

func body(res *http.Response) string {
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return string(data)
}

// TestDashboardSession walks the login, the page, the API with the
// session, CSRF, and the log-out.
func TestDashboardSession(t *testing.T) {
	e := newEnv(t, token, nil, "bbb1")
	b := &browser{t: t, e: e}

	// Without a session the page sends to the login form, which is served
	// with its assets and a strict policy.
	res := b.do("GET", "/admin/", "", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/login" {
		t.Fatalf("GET /admin/ without a session: HTTP %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res.Body.Close()
	res = b.do("GET", "/admin/login", "", nil)
	if page := body(res); res.StatusCode != 200 || !strings.Contains(page, `name="token"`) {
		t.Fatalf("login page: HTTP %d %s", res.StatusCode, page)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	for _, p := range []string{"/admin/app.js", "/admin/index.html"} {
		res = b.do("GET", p, "", nil)
		if st := res.StatusCode; st != http.StatusUnauthorized && st != http.StatusSeeOther {
			t.Errorf("GET %s without a session: HTTP %d", p, st)
		}
		res.Body.Close()
	}

	// A wrong token: back to the form, no cookie.
	if res := b.login("not-it"); res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "error=token") || b.cookie != nil {
		t.Fatalf("wrong token: HTTP %d to %q, cookie %v", res.StatusCode, res.Header.Get("Location"), b.cookie)
	}
	// The right one: a session cookie a script cannot read or another
	// site send.
	res = b.login(token)
	if res.Header.Get("Location") != "/admin/" || b.cookie == nil {
		t.Fatalf("login: HTTP %d to %q, cookie %v", res.StatusCode, res.Header.Get("Location"), b.cookie)
	}
	c := b.cookie
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/admin/" || c.MaxAge != int(SessionTTL.Seconds()) || len(c.Value) < 64 || c.Value == token {
		t.Errorf("cookie %+v", c)
	}
	if page := body(b.do("GET", "/admin/", "", nil)); !strings.Contains(page, `src="/admin/app.js"`) {
		t.Fatalf("the page after login: %s", page)
	}
	if js := b.do("GET", "/admin/app.js", "", nil); js.StatusCode != 200 || !strings.Contains(js.Header.Get("Content-Type"), "javascript") {
		t.Errorf("app.js: HTTP %d %s", js.StatusCode, js.Header.Get("Content-Type"))
	}

	// The API with the session: reads as is, changes with the CSRF token.
	var si SessionInfo
	if err := json.Unmarshal([]byte(body(b.do("GET", Prefix+"session", "", nil))), &si); err != nil || len(si.CSRF) < 32 {
		t.Fatalf("session: %+v %v", si, err)
	}
	if res := b.do("GET", Prefix+"servers", "", nil); res.StatusCode != 200 {
		t.Fatalf("GET servers with the session: HTTP %d %s", res.StatusCode, body(res))
	}
	for _, csrf := range []string{"", "wrong", si.CSRF[:10]} {
		res := b.do("POST", Prefix+"servers/bbb1/cordon", "", map[string]string{csrfHeader: csrf})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("cordon with CSRF %q: HTTP %d %s", csrf, res.StatusCode, body(res))
		}
		res.Body.Close()
	}
	if e.pool.Get("bbb1").Admin() != "enabled" {
		t.Fatal("a request without the CSRF token cordoned the server")
	}
	if res := b.do("POST", Prefix+"servers/bbb1/cordon", "", map[string]string{csrfHeader: si.CSRF}); res.StatusCode != 200 {
		t.Fatalf("cordon with the CSRF token: HTTP %d %s", res.StatusCode, body(res))
	}
	if e.server("bbb1").Admin != "cordoned" {
		t.Fatal("the admin API does not report the cordon")
	}

	// Log-out needs the CSRF token too, then the session is gone.
	if res := b.do("POST", "/admin/logout", "", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("logout without CSRF: HTTP %d", res.StatusCode)
	}
	res = b.do("POST", "/admin/logout", "", map[string]string{csrfHeader: si.CSRF})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: HTTP %d", res.StatusCode)
	}
	cleared := false
	for _, c := range res.Cookies() {
		cleared = cleared || (c.Name == sessionCookie && c.MaxAge < 0)
	}
	if !cleared {
		t.Error("logout does not clear the cookie")
	}
	if res := b.do("GET", Prefix+"servers", "", nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old cookie after logout: HTTP %d", res.StatusCode)
	}
}

// TestDashboardLoginRefusals checks the cross-site login, the limit on
// failed logins, and an expired session.
func TestDashboardLoginRefusals(t *testing.T) {
	base := newEnv(t, token, nil, "bbb1")
	// The API with its default limit on wrong tokens (newEnv lifts it).
	srv := httptest.NewServer(New(Config{Token: token, Fleet: base.fleet, Store: base.store}))
	t.Cleanup(srv.Close)
	e := &env{t: t, url: srv.URL, pool: base.pool, fleet: base.fleet, store: base.store}
	b := &browser{t: t, e: e}
	res := b.do("POST", "/admin/login", "token="+token, map[string]string{"Origin": "https://evil.example"})
	if res.StatusCode != http.StatusForbidden || len(res.Cookies()) != 0 {
		t.Errorf("cross-site login: HTTP %d, cookies %v", res.StatusCode, res.Cookies())
	}
	res.Body.Close()
	for range defaultAuthFailures {
		b.login("guess")
	}
	if res := b.login("guess"); !strings.Contains(res.Header.Get("Location"), "error=limit") || b.cookie != nil {
		t.Errorf("a wrong login after %d failures: to %q, cookie %v", defaultAuthFailures, res.Header.Get("Location"), b.cookie)
	}
	// The wrong tokens count with the API's: the Bearer token is limited too.
	if st, _ := e.adminAs("Bearer guess", "GET", Prefix+"servers", nil, nil); st != http.StatusTooManyRequests {
		t.Errorf("a wrong Bearer token after the failed logins: HTTP %d, want 429", st)
	}
	// The right token always gets in: a guesser locks no operator out.
	if res := b.login(token); res.Header.Get("Location") != "/admin/" || b.cookie == nil {
		t.Errorf("the right token after failures: to %q, cookie %v", res.Header.Get("Location"), b.cookie)
	}

	// Sessions expire.
	s := newSessions()
	now := time.Now()
	s.now = func() time.Time { return now }
	id, _, _ := s.create()
	req, _ := http.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: id})
	if _, ok := s.get(req); !ok {
		t.Fatal("a new session is not found")
	}
	now = now.Add(SessionTTL + time.Second)
	if _, ok := s.get(req); ok {
		t.Fatal("a session outlives its TTL")
	}
}

// TestListsPageAndFilter checks the server-side paging, filtering and
// sorting the dashboard relies on for large clusters.
func TestListsPageAndFilter(t *testing.T) {
	e := newEnv(t, token, nil, "bbb1", "bbb2", "bbb3")
	for i := range 7 {
		e.create(fmt.Sprintf("room-%d", i))
	}
	e.fakes["bbb2"].SetName("bbb2")
	e.poller.PollOnce(t.Context())
	var ml MeetingList
	e.admin("GET", Prefix+"meetings?limit=3&offset=2&sort=meeting_id", nil, &ml)
	if ml.Total != 7 || len(ml.Meetings) != 3 || ml.Meetings[0].MeetingID != "room-2" || ml.Meetings[2].MeetingID != "room-4" {
		t.Errorf("page 2..4 by meeting_id: total %d, %+v", ml.Total, ml.Meetings)
	}
	if !ml.Meetings[0].Running || ml.Meetings[0].Name != "room-2" {
		t.Errorf("a polled meeting's name and running: %+v", ml.Meetings[0])
	}
	e.admin("GET", Prefix+"meetings?q=ROOM-6", nil, &ml)
	if ml.Total != 1 || ml.Meetings[0].MeetingID != "room-6" {
		t.Errorf("q=ROOM-6: %+v", ml)
	}
	e.admin("GET", Prefix+"meetings?sort=-meeting_id&limit=1", nil, &ml)
	if ml.Meetings[0].MeetingID != "room-6" {
		t.Errorf("sort=-meeting_id: %+v", ml.Meetings)
	}
	var sl ServerList
	e.admin("POST", Prefix+"servers/bbb3/cordon", nil, nil)
	e.admin("GET", Prefix+"servers?state=cordoned", nil, &sl)
	if sl.Total != 1 || sl.Servers[0].ID != "bbb3" {
		t.Errorf("state=cordoned: %+v", sl)
	}
	e.admin("GET", Prefix+"servers?limit=2&sort=-id", nil, &sl)
	if sl.Total != 3 || len(sl.Servers) != 2 || sl.Servers[0].ID != "bbb3" {
		t.Errorf("limit=2 sort=-id: %+v", sl)
	}
	e.admin("GET", Prefix+"servers", nil, &sl)
	if len(sl.Servers) != 3 {
		t.Errorf("no paging asked: %d servers, want all", len(sl.Servers))
	}
	for _, bad := range []string{"servers?limit=x", "servers?sort=secret", "meetings?offset=-1", "meetings?sort=nope"} {
		if st, _ := e.admin("GET", Prefix+bad, nil, nil); st != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d, want 400", bad, st)
		}
	}
}

// TestEndMeetingAndOverview ends one meeting through the API and reads the
// overview and history before and after.
func TestEndMeetingAndOverview(t *testing.T) {
	e := newEnv(t, token, nil, "bbb1", "bbb2")
	sid := e.create("to-end")
	e.create("stays")
	for _, f := range e.fakes {
		f.AddUsers("to-end", 4, true, true)
	}
	e.poller.PollOnce(t.Context())
	var o Overview
	e.admin("GET", Prefix+"overview", nil, &o)
	if o.Servers != 2 || o.Online != 2 || o.Meetings != 2 || o.Placed != 2 || o.Participants != 4 || o.Voice != 4 || o.Video != 4 {
		t.Errorf("overview %+v", o)
	}
	if o.CallbacksQueued != nil || o.Instances != nil {
		t.Errorf("parts that are off are not null: %+v", o)
	}
	var ans EndAnswer
	if st, b := e.admin("POST", Prefix+"meetings/end", EndRequest{MeetingID: "to-end"}, &ans); st != 200 || ans.Result != "ended" || !ans.Released || ans.Server != sid {
		t.Fatalf("end: HTTP %d %s", st, b)
	}
	if e.fakes[sid].HasMeeting("to-end") {
		t.Error("the server still runs the ended meeting")
	}
	if st, _ := e.admin("POST", Prefix+"meetings/end", EndRequest{MeetingID: "to-end"}, nil); st != http.StatusNotFound {
		t.Errorf("ending it again: HTTP %d, want 404", st)
	}
	if st, _ := e.admin("POST", Prefix+"meetings/end", `{"meeting":"x"}`, nil); st != http.StatusBadRequest {
		t.Errorf("a bad body: HTTP %d, want 400", st)
	}
}

// TestHistoryRing checks that the chart's memory is bounded and ordered.
func TestHistoryRing(t *testing.T) {
	e := newEnv(t, token, nil, "bbb1")
	h := NewHistory(3, time.Second)
	t0 := time.Now()
	for i := range 5 {
		h.Sample(e.pool, t0.Add(time.Duration(i)*time.Second))
		h.Sample(e.pool, t0.Add(time.Duration(i)*time.Second+time.Millisecond)) // too soon: skipped
	}
	ans := h.answer(nil, 8, nil)
	if len(ans.Times) != 3 || ans.Times[0] != t0.Add(2*time.Second).UnixMilli() || ans.Times[2] != t0.Add(4*time.Second).UnixMilli() {
		t.Fatalf("times %v", ans.Times)
	}
	if len(ans.Servers) != 1 || ans.Servers[0].Server != "bbb1" || len(ans.Servers[0].Load) != 3 {
		t.Fatalf("servers %+v", ans.Servers)
	}
}
