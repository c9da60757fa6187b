package gateway_test

import (
	"bytes"
	"context"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/gateway"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
)

// TestRootAndPathsAnswerAsBBB: the version root reports the lowest
// version among the servers with BBB 3.0's GraphQL elements; odd slashes
// still reach the API; an unknown tenant's root is a known tenant's.
func TestRootAndPathsAnswerAsBBB(t *testing.T) {
	c := tenantCluster(t, 2, uniA)
	c.fakes[0].SetVersion("2.0", "3.0.4")
	c.fakes[1].SetVersion("2.0", "2.7.10")
	c.gw.LearnVersions(context.Background())
	res, body := c.get("/bigbluebutton/api")
	r := c.reply(res, body)
	if r.Get("version") != "2.0" || r.Get("apiVersion") != "2.0" || r.Get("bbbVersion") != "2.7.10" {
		t.Errorf("root: %s", body)
	}
	for _, el := range []string{"<graphqlWebsocketUrl></graphqlWebsocketUrl>", "<graphqlApiUrl></graphqlApiUrl>"} {
		if !strings.Contains(body, el) {
			t.Errorf("root lacks %s: %s", el, body)
		}
	}
	known, kbody := c.get("/t/uni-a/bigbluebutton/api?checksum=x")
	unknown, ubody := c.get("/t/no-such-tenant/bigbluebutton/api?checksum=x")
	if known.StatusCode != unknown.StatusCode || kbody != ubody {
		t.Errorf("root of a known tenant %d %s, of an unknown one %d %s", known.StatusCode, kbody, unknown.StatusCode, ubody)
	}
	// A call under an unknown name fails as a wrong secret does, word for word.
	for _, q := range []string{"", "checksum=0123456789012345678901234567890123456789"} {
		_, k := c.get("/t/uni-a/bigbluebutton/api/getMeetings?" + q)
		_, u := c.get("/t/no-such-tenant/bigbluebutton/api/getMeetings?" + q)
		if k != u {
			t.Errorf("getMeetings?%s: known tenant %s, unknown %s", q, k, u)
		}
	}
	for _, p := range []string{"//bigbluebutton/api/getMeetings", "/bigbluebutton/api/getMeetings/", "/bigbluebutton/api//getMeetings//"} {
		res, body := c.get(p + "?" + bbb.Sign(bbb.SHA1, "getMeetings", "", testSecret))
		if r := c.reply(res, body); !r.OK() {
			t.Errorf("%s: %s", p, body)
		}
	}
	if !gateway.IsAPIPath("//bigbluebutton/api/create") {
		t.Error("//bigbluebutton/api is not routed to the gateway")
	}
}

// TestJoinErrorRedirects: a failed join lands where BBB 2.7+ sends it.
func TestJoinErrorRedirects(t *testing.T) {
	c := newCluster(t, 1)
	base := url.Values{"meetingID": {"nope"}, "fullName": {"A"}, "role": {"VIEWER"}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for _, tt := range []struct {
		name   string
		v      url.Values
		prefix string
	}{
		{"errorRedirectUrl, its query kept byte for byte", with("errorRedirectUrl", "https://lms.example/err?b=%2F&a=1+2", "logoutURL", "https://moodle.example/x"), "https://lms.example/err?b=%2F&a=1+2&errors="},
		{"the join's logoutURL", with("logoutURL", "https://moodle.example/mod/bbb/view.php?id=7"), "https://moodle.example/mod/bbb/view.php?id=7&errors="},
		{"the default logout URL", with(), c.srv.URL + "/?errors="},
		{"empty redirect= redirects", with("redirect", ""), c.srv.URL + "/?errors="},
		{"a fragment stays last", with("logoutURL", "https://gl.example/rooms#top"), "https://gl.example/rooms?errors="},
	} {
		res, body := c.get(signed("join", tt.v))
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusFound || !strings.HasPrefix(loc, tt.prefix) {
			t.Errorf("%s: HTTP %d Location %q, want prefix %q (%s)", tt.name, res.StatusCode, loc, tt.prefix, body)
			continue
		}
		if r := joinErrorReply(res); r == nil || r.MessageKey != "notFound" {
			t.Errorf("%s: errors= not notFound: %q", tt.name, loc)
		}
	}
	if res, _ := c.get(signed("join", with("logoutURL", "https://gl.example/rooms#top"))); !strings.HasSuffix(res.Header.Get("Location"), "#top") {
		t.Errorf("fragment lost: %s", res.Header.Get("Location"))
	}
	// An unsigned join picks no target: tinyscale is no open redirector.
	res, _ := c.get("/bigbluebutton/api/join?meetingID=x&fullName=A&errorRedirectUrl=https%3A%2F%2Fevil.example%2F&checksum=00")
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, c.srv.URL+"/?errors=") || !strings.Contains(loc, "checksumError") {
		t.Errorf("unsigned join error redirected to %q", loc)
	}
	// redirect=false: the XML error.
	if r := c.call("join", with("redirect", "false", "logoutURL", "https://moodle.example/x")); r.MessageKey != "notFound" {
		t.Errorf("redirect=false: %s", r.MessageKey)
	}
}

// TestJoinWithoutRedirectRelaysTheSessionCookie: the client of a
// redirect=false join gets the backend's JSESSIONID, as from one BBB.
func TestJoinWithoutRedirectRelaysTheSessionCookie(t *testing.T) {
	c := newCluster(t, 1)
	c.create("cookie")
	res, body := c.get(signed("join", url.Values{"meetingID": {"cookie"}, "fullName": {"A"}, "role": {"VIEWER"}, "redirect": {"false"}}))
	if r := c.reply(res, body); r.MessageKey != "successfullyJoined" {
		t.Fatalf("join: %s", body)
	}
	if ck := res.Header.Get("Set-Cookie"); !strings.HasPrefix(ck, "JSESSIONID=") {
		t.Fatalf("Set-Cookie %q, want the backend's JSESSIONID", ck)
	}
}

// TestLongParametersStayInTheBody: a form POST goes on as a POST, a long
// GET becomes one, and a multipart create is read; the fake, like nginx
// in front of BBB, refuses request lines over 8 KB.
func TestLongParametersStayInTheBody(t *testing.T) {
	c := newCluster(t, 1)
	f := c.fakes[0]
	welcome := strings.Repeat("Welcome to the course! ", 550) // 12 KB
	form := url.Values{"meetingID": {"long-post"}, "name": {"Long POST"}, "welcome": {welcome}}.Encode()
	res, body := c.do("POST", "/bigbluebutton/api/create?checksum="+bbb.Checksum(bbb.SHA1, "create", "", testSecret), "application/x-www-form-urlencoded", form)
	if r := c.reply(res, body); !r.OK() {
		t.Fatalf("12 KB form POST create: %s %s", r.MessageKey, body)
	}
	last := f.Requests()[len(f.Requests())-1]
	if last.Method != "POST" || len(last.RawQuery) > 8<<10 || !strings.Contains(string(last.Body), "welcome=") {
		t.Errorf("forwarded as %s with a %d-byte query", last.Method, len(last.RawQuery))
	}
	if m, _ := f.Meeting("long-post"); m.Name != "Long POST" {
		t.Errorf("meeting on the server: %+v", m)
	}

	// A 3 KB GET is sent on as a POST, the meetingID in the signed query.
	r := c.call("create", url.Values{"meetingID": {"long-get"}, "name": {"Long GET"}, "welcome": {strings.Repeat("w", 3000)}})
	if !r.OK() {
		t.Fatalf("3 KB GET create: %s", r.MessageKey)
	}
	last = f.Requests()[len(f.Requests())-1]
	if q, _ := bbb.SplitChecksum(last.RawQuery); last.Method != "POST" || q != "meetingID=long-get" {
		t.Errorf("3 KB GET forwarded as %s ?%s", last.Method, q)
	}

	// multipart/form-data create, parameters in the body.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	for _, kv := range [][2]string{{"meetingID", "multi"}, {"name", "Multipart room"}, {"record", "true"}} {
		mw.WriteField(kv[0], kv[1])
	}
	mw.Close()
	res, body = c.do("POST", "/bigbluebutton/api/create?checksum="+bbb.Checksum(bbb.SHA1, "create", "", testSecret), mw.FormDataContentType(), mp.String())
	if r := c.reply(res, body); !r.OK() || r.Get("meetingID") != "multi" {
		t.Fatalf("multipart create: %s", body)
	}
	if m, ok := f.Meeting("multi"); !ok || !m.Record {
		t.Errorf("multipart meeting on the server: %+v %v", m, ok)
	}
	if _, ok := c.store.Lookup("default", "multi"); !ok {
		t.Error("the multipart meeting is not placed")
	}
}

// TestPanicIsLoggedAndAnswered: a panic in a handler (here a gateway
// without a pool) is logged at ERROR with the call, and the client gets
// BBB XML, not a dropped connection.
func TestPanicIsLoggedAndAnswered(t *testing.T) {
	var logs bytes.Buffer
	gw := gateway.New(gateway.Config{Secrets: []string{testSecret}, Logger: slog.New(slog.NewTextHandler(&logs, nil))}, nil, state.NewMemory())
	req, _ := http.NewRequest("GET", "/bigbluebutton/api/getMeetings?"+bbb.Sign(bbb.SHA1, "getMeetings", "", testSecret), nil)
	rec := newRecorder()
	gw.ServeHTTP(rec, req)
	if rec.code != http.StatusOK || !strings.Contains(rec.body.String(), "<messageKey>internalError</messageKey>") {
		t.Fatalf("answer %d %s", rec.code, rec.body.String())
	}
	if l := logs.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "call=getMeetings") || !strings.Contains(l, "panic") {
		t.Fatalf("log: %s", l)
	}
}

type recorder struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func newRecorder() *recorder                    { return &recorder{h: http.Header{}} }
func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) WriteHeader(code int)        { r.code = code }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }

// TestTextTrackUploadRoutesByTheQuery: an upload's recordID must be in
// the signed query, which tinyscale routes by; one in the upload's fields
// would reach the backend unrouted.
func TestTextTrackUploadRoutesByTheQuery(t *testing.T) {
	c := newCluster(t, 1)
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("recordID", "someone-elses")
	fw, _ := mw.CreateFormFile("file", "en.vtt")
	fw.Write([]byte("WEBVTT\n"))
	mw.Close()
	q := "recordID=rec-1&kind=subtitles&lang=en-US"
	res, body := c.do("POST", "/bigbluebutton/api/putRecordingTextTrack?"+bbb.Sign(bbb.SHA1, "putRecordingTextTrack", q, testSecret), mw.FormDataContentType(), mp.String())
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"messageKey":"validationError"`) {
		t.Fatalf("recordID in the upload: HTTP %d %s", res.StatusCode, body)
	}
	if n := len(c.fakes[0].Requests()); n != 0 {
		t.Fatalf("the refused upload reached the server (%d requests)", n)
	}
}

// TestPanicInAFanOutPartIsContained: a panic in one server's part of a
// fan-out (here a server without a client) is logged at ERROR with the
// call; that server is left out as if it had failed, the process lives.
func TestPanicInAFanOutPartIsContained(t *testing.T) {
	var logs bytes.Buffer
	p := pool.New(pool.NewServer("broken", nil))
	gw := gateway.New(gateway.Config{Secrets: []string{testSecret}, Logger: slog.New(slog.NewTextHandler(&logs, nil))}, p, state.NewMemory())
	req, _ := http.NewRequest("GET", "/bigbluebutton/api/getMeetings?"+bbb.Sign(bbb.SHA1, "getMeetings", "", testSecret), nil)
	rec := newRecorder()
	gw.ServeHTTP(rec, req)
	if !strings.Contains(rec.body.String(), "<messageKey>noMeetings</messageKey>") {
		t.Fatalf("answer %d %s", rec.code, rec.body.String())
	}
	if l := logs.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "call=getMeetings") {
		t.Fatalf("log: %s", l)
	}
}
