package bbbfake

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
)

func TestStartAddresses(t *testing.T) {
	s := startTest(t)
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") || s.Addr() == "127.0.0.1:0" {
		t.Fatalf("Addr %q", s.Addr())
	}
	if s.URL() != "http://"+s.Addr()+"/bigbluebutton/api" {
		t.Fatalf("URL %q", s.URL())
	}
	if s.Name() != s.Addr() || s.Secret() != testSecret {
		t.Fatalf("Name %q Secret %q", s.Name(), s.Secret())
	}
	s.SetName("bbb-1")
	if s.Name() != "bbb-1" {
		t.Fatal("SetName ignored")
	}
	if _, err := StartAt(s.Addr(), "x"); err == nil {
		t.Fatal("StartAt on a used port succeeded")
	}
}

func TestRoot(t *testing.T) {
	s := startTest(t)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/bigbluebutton/api"},
		{"GET", "/bigbluebutton/api/"},
		{"GET", "/bigbluebutton/api/?checksum=x"},
		{"GET", "/bigbluebutton/api/?&checksum=674406c8c965fa3ee35b767fd3319a83b87fc33f"},
		{"POST", "/bigbluebutton/api"},
	} {
		res, body := do(t, tc.method, "http://"+s.Addr()+tc.path, "", nil)
		r := parse(t, res, body)
		expect(t, r, bbb.Success, "")
		if r.Get("version") != "2.0" || r.Get("graphqlWebsocketUrl") != "ws://"+s.Addr()+"/graphql" ||
			r.Get("graphqlApiUrl") != "http://"+s.Addr()+"/api/rest" {
			t.Fatalf("%s %s: %s", tc.method, tc.path, body)
		}
		equal(t, "root elements", children(t, body, "response"),
			[]string{"returncode", "version", "apiVersion", "bbbVersion", "graphqlWebsocketUrl", "graphqlApiUrl"})
	}
	if n := s.CountCalls(""); n != 5 {
		t.Fatalf("CountCalls(root) = %d", n)
	}
}

func TestChecksum(t *testing.T) {
	s := startTest(t)
	base := s.URL() + "/"
	const query = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
	const sha1 = "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"
	for _, tc := range []struct {
		name, url string
		algs      bbb.Algorithm
		key, msg  string
	}{
		{"doc vector sha1 last", base + "create?" + query + "&checksum=" + sha1, 0, "", ""},
		{"doc vector first", base + "create?checksum=" + sha1 + "&" + query, 0, "", ""},
		{"upper-case hex", base + "create?" + query + "&checksum=" + strings.ToUpper(sha1), 0, "", ""},
		{"sha512 vector", base + "create?" + query + "&checksum=de73ad61d11a5c801b68d4bd6ec5248546085cefb0b25c85f3c46249ea93a3a4b120f92c0a8a58d7512cb77821884951a3b01245f3435dbbef49fff3cc3988b4", 0, "", ""},
		{"sha1 disabled", base + "create?" + query + "&checksum=" + sha1, bbb.SHA256, "checksumError", "Checksums do not match"},
		{"changed parameter", base + "create?" + strings.Replace(query, "abc123", "abc124", 1) + "&checksum=" + sha1, 0, "checksumError", "Checksums do not match"},
		{"wrong call", base + "getMeetingInfo?" + query + "&checksum=" + sha1, 0, "checksumError", "Checksums do not match"},
		{"missing", base + "getMeetings", 0, "checksumError", "You must provide the checksum"},
		{"empty", base + "getMeetings?checksum=", 0, "checksumError", "You must provide the checksum"},
		{"bad length", base + "getMeetings?checksum=" + sha1[:39], 0, "checksumError", "Checksums do not match"},
		{"wrong secret", signedWith("getMeetings", "", "other"), 0, "checksumError", "Checksums do not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			algs := bbb.AllAlgorithms
			if tc.algs != 0 {
				algs = tc.algs
			}
			s.SetAlgorithms(algs)
			u := tc.url
			if strings.HasPrefix(u, "/") {
				u = base + u[1:]
			}
			res, body := do(t, "GET", u, "", nil)
			r := parse(t, res, body)
			if tc.key == "" {
				if r.ReturnCode != bbb.Success {
					t.Fatalf("rejected: %s", body)
				}
				return
			}
			expect(t, r, bbb.Failed, tc.key)
			if r.Message != tc.msg {
				t.Fatalf("message %q", r.Message)
			}
		})
	}
}

// signedWith signs a path relative to the API base with another secret.
func signedWith(call, query, secret string) string {
	return "/" + call + "?" + bbb.Sign(bbb.SHA1, call, query, secret)
}

func TestUnknownCallAndPaths(t *testing.T) {
	s := startTest(t)
	r := call(t, s, "getJoinUrl", "meetingID=x")
	expect(t, r, bbb.Failed, "unsupportedRequest")
	// nginx merges slashes: //getMeetings is getMeetings.
	res, body := do(t, "GET", s.URL()+"//getMeetings?"+bbb.Sign(bbb.SHA1, "getMeetings", "", testSecret), "", nil)
	expect(t, parse(t, res, body), bbb.Success, "noMeetings")
	res, _ = do(t, "GET", "http://"+s.Addr()+"/nothing", "", nil)
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d", res.StatusCode)
	}
}

func TestInvalidPercentEncoding(t *testing.T) {
	s := startTest(t)
	r := call(t, s, bbb.CallCreate, "meetingID=a%ZZb&name=xx")
	expect(t, r, bbb.Failed, "validationError")
}

func TestRequestsRecorded(t *testing.T) {
	s := startTest(t)
	create(t, s, "meetingID", "m1", "name", "Room")
	call(t, s, bbb.CallGetMeetings, "")
	call(t, s, bbb.CallGetMeetings, "")
	reqs := s.Requests()
	if len(reqs) != 3 || reqs[0].Call != "create" || reqs[0].Method != "GET" ||
		reqs[0].Query.Get("meetingID") != "m1" || !strings.Contains(reqs[0].RawQuery, "checksum=") {
		t.Fatalf("requests %+v", reqs)
	}
	reqs[0].Query.Set("meetingID", "changed")
	if s.Requests()[0].Query.Get("meetingID") != "m1" {
		t.Fatal("Requests is not a copy")
	}
	if s.CountCalls("getMeetings") != 2 || s.CountCalls("create") != 1 || s.CountCalls("end") != 0 {
		t.Fatal("CountCalls wrong")
	}
	s.ResetRequests()
	if len(s.Requests()) != 0 {
		t.Fatal("ResetRequests kept requests")
	}
}

func TestModes(t *testing.T) {
	s := startTest(t)
	u := signed(s, bbb.CallGetMeetings, "")

	s.SetMode(ModeHTTPError)
	res, body := do(t, "GET", u, "", nil)
	if res.StatusCode != 500 || !strings.Contains(string(body), "<html>") {
		t.Fatalf("HTTPError: %d %s", res.StatusCode, body)
	}

	s.SetMode(ModeGarbage)
	res, body = do(t, "GET", u, "", nil)
	if res.StatusCode != 200 || string(body) != GarbageBody {
		t.Fatalf("Garbage: %d %s", res.StatusCode, body)
	}
	if _, err := bbb.ParseReply(body, nil); err == nil {
		t.Fatal("garbage parsed")
	}

	s.SetMode(ModeHang)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	start := time.Now()
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Hang: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Hang outlived the client timeout: %v", d)
	}

	s.SetMode(ModeReset)
	if _, err := http.Get(u); err == nil {
		t.Fatal("Reset: got an answer")
	}

	s.SetMode(ModeNormal)
	res, body = do(t, "GET", u, "", nil)
	expect(t, parse(t, res, body), bbb.Success, "noMeetings")
	if n := s.CountCalls(bbb.CallGetMeetings); n != 5 {
		t.Fatalf("CountCalls = %d, want 5", n)
	}
}

func TestDelay(t *testing.T) {
	s := startTest(t)
	s.SetDelay(150 * time.Millisecond)
	start := time.Now()
	call(t, s, bbb.CallGetMeetings, "")
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("answered after %v", d)
	}
	s.SetDelay(time.Hour)
	c := &http.Client{Timeout: 100 * time.Millisecond}
	if _, err := c.Get(signed(s, bbb.CallGetMeetings, "")); err == nil {
		t.Fatal("delayed answer arrived")
	}
}

func TestHangEndsOnClose(t *testing.T) {
	s := Start(testSecret)
	s.SetMode(ModeHang)
	done := make(chan error, 1)
	go func() {
		_, err := http.Get(signed(s, bbb.CallGetMeetings, ""))
		done <- err
	}()
	for s.CountCalls(bbb.CallGetMeetings) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	s.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("hanging request got an answer")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a hanging request")
	}
}

func TestCloseRestart(t *testing.T) {
	s := startTest(t)
	create(t, s, "meetingID", "kept", "name", "Kept")
	// A pooled keep-alive connection must be dropped too.
	call(t, s, bbb.CallGetMeetings, "")
	addr := s.Addr()
	s.Close()
	s.Close() // idempotent
	_, err := http.Get(signed(s, bbb.CallGetMeetings, ""))
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("after Close: %v, want connection refused", err)
	}
	if !bbb.IsConnectError(err) {
		t.Fatalf("IsConnectError(%v) = false", err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Addr() != addr {
		t.Fatalf("restarted on %s, was %s", s.Addr(), addr)
	}
	if err := s.Restart(); err == nil {
		t.Fatal("Restart of a running server succeeded")
	}
	r := call(t, s, bbb.CallGetMeetingInfo, "meetingID=kept")
	expect(t, r, bbb.Success, "")
}

func TestContentTypes(t *testing.T) {
	s := startTest(t)
	for _, tc := range []struct {
		name, call, ct, body, key string
	}{
		{"create no type", "create", "", "meetingID=xx&name=yy", "unsupportedContentType"},
		{"create json", "create", "application/json", "{}", "unsupportedContentType"},
		{"getMeetings xml", "getMeetings", "application/xml", "<x/>", "unsupportedContentType"},
		{"insertDocument form", "insertDocument", "application/x-www-form-urlencoded", "a=b", "unsupportedContentType"},
		{"insertDocument no body", "insertDocument", "", "", "unsupportedContentType"},
		{"join post", "join", "application/x-www-form-urlencoded", "", "unsupportedRequest"},
		{"getMeetings post empty", "getMeetings", "", "", "noMeetings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := do(t, "POST", signed(s, tc.call, "meetingID=m1"), tc.ct, []byte(tc.body))
			r := parse(t, res, body)
			if r.MessageKey != tc.key {
				t.Fatalf("got %s", body)
			}
		})
	}
}

func TestFormPost(t *testing.T) {
	s := startTest(t)
	form := "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
	for _, tc := range []struct {
		name, query, body, key string
	}{
		// H("create" + "" + secret), checksum in the query.
		{"empty query", "checksum=8a21c9b7e3b18541974c9e78c0d0bfa790c665eb", form, ""},
		// The same with the checksum in the body.
		{"checksum in body", "", form + "&checksum=8a21c9b7e3b18541974c9e78c0d0bfa790c665eb", "duplicateWarning"},
		// BBB 2.4–2.7 fallback: sorted, form-encoded.
		{"sorted fallback", "checksum=0b89c2ebcfefb76772cbcf19386c33561f66f6ae", form, "duplicateWarning"},
		{"bad checksum", "checksum=0b89c2ebcfefb76772cbcf19386c33561f66f6af", form, "checksumError"},
		{"param in URL and body", "meetingID=abc123&" + bbb.Sign(bbb.SHA1, "create", "meetingID=abc123", testSecret), form, "checksumError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := do(t, "POST", s.URL()+"/create?"+tc.query, "application/x-www-form-urlencoded", []byte(tc.body))
			r := parse(t, res, body)
			if r.MessageKey != tc.key {
				t.Fatalf("got %s", body)
			}
			if tc.key == "" && r.Get("meetingID") != "abc123" {
				t.Fatalf("params not read from the body: %s", body)
			}
		})
	}
	m := s.Meetings()
	if len(m) != 1 || m[0].Name != "Test Meeting" || m[0].ModeratorPW != "333444" {
		t.Fatalf("meetings %+v", m)
	}
}
