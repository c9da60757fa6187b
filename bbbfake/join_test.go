package bbbfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
)

var sessionURL = regexp.MustCompile(`^http://127\.0\.0\.1:\d+/html5client/join\?sessionToken=[a-z0-9]{16}$`)

func TestJoinRedirect(t *testing.T) {
	s := startTest(t)
	s.SetName("bbb-a")
	cr := create(t, s, "meetingID", "room", "name", "Room <1>", "attendeePW", "ap", "moderatorPW", "mp")
	if s.Meetings()[0].Running {
		t.Fatal("running before a join")
	}
	res, _ := do(t, "GET", signed(s, bbb.CallJoin, q("meetingID", "room", "fullName", "Anne <b>&", "password", "mp",
		"createTime", cr.Get("createTime"), "userdata-bbb_listen_only_mode", "true")), "", nil)
	if res.StatusCode != http.StatusFound {
		t.Fatalf("status %d", res.StatusCode)
	}
	loc := res.Header.Get("Location")
	if !sessionURL.MatchString(loc) || !strings.HasPrefix(loc, "http://"+s.Addr()+"/") {
		t.Fatalf("Location %q", loc)
	}
	m := s.Meetings()[0]
	if m.Participants != 1 || m.Moderators != 1 || !m.Running || !m.HasUserJoined ||
		m.Attendees[0].FullName != "Anne <b>&" || m.Attendees[0].CustomData["bbb_listen_only_mode"] != "true" {
		t.Fatalf("meeting after join %+v", m)
	}

	// The landing page names the server, the meeting and the user, escaped.
	res, body := do(t, "GET", loc, "", nil)
	page := string(body)
	if res.StatusCode != 200 || !strings.Contains(page, "bbb-a") || !strings.Contains(page, "Room &lt;1&gt;") ||
		!strings.Contains(page, "Anne &lt;b&gt;&amp;") || strings.Contains(page, "<b>&") {
		t.Fatalf("page %d %s", res.StatusCode, page)
	}
	res, _ = do(t, "GET", "http://"+s.Addr()+"/html5client/join?sessionToken=nope", "", nil)
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown token: %d", res.StatusCode)
	}
	r := call(t, s, bbb.CallIsMeetingRunning, "meetingID=room")
	if r.Get("running") != "true" {
		t.Fatal("not running after a join")
	}
}

func TestJoinNoRedirect(t *testing.T) {
	s := startTest(t)
	cr := create(t, s, "meetingID", "room", "name", "Room")
	r, body := callBody(t, s, bbb.CallJoin, q("meetingID", "room", "fullName", "Bob", "role", "viewer", "userID", "ext-42", "redirect", "false"))
	expect(t, r, bbb.Success, "successfullyJoined")
	equal(t, "join elements", children(t, body, "response"), []string{
		"returncode", "messageKey", "message", "meeting_id", "user_id", "auth_token", "session_token", "guestStatus", "url",
	})
	if r.Get("meeting_id") != cr.Get("internalMeetingID") || r.Get("user_id") != "ext-42" ||
		r.Get("guestStatus") != "ALLOW" || !sessionURL.MatchString(r.Get("url")) ||
		!strings.HasSuffix(r.Get("url"), r.Get("session_token")) {
		t.Fatalf("join answer %s", body)
	}
	a := s.Meetings()[0].Attendees[0]
	if a.UserID != "ext-42" || a.Role != "VIEWER" {
		t.Fatalf("attendee %+v", a)
	}
}

func TestJoinErrors(t *testing.T) {
	s := startTest(t)
	cr := create(t, s, "meetingID", "room", "name", "Room", "attendeePW", "ap", "moderatorPW", "mp", "logoutURL", "https://lms/logout?a=1")
	create(t, s, "meetingID", "ended", "name", "Ended")
	call(t, s, bbb.CallEnd, "meetingID=ended")
	create(t, s, "meetingID", "full", "name", "Full", "maxParticipants", "1")
	s.AddAttendee("full", "First", "viewer")

	for _, tc := range []struct {
		name, query, key, target string
	}{
		{"unknown meeting", q("meetingID", "nope", "fullName", "A", "role", "VIEWER"), "notFound", "http://" + s.Addr() + "/?errors="},
		{"no meetingID", q("fullName", "A"), "missingParamMeetingID", "http://" + s.Addr() + "/?errors="},
		// The join's own logoutURL, not the meeting's, as bbb-web reads it.
		{"no fullName", q("meetingID", "room", "role", "VIEWER", "logoutURL", "https://moodle/x?id=7&b=%2F"), "missingParamFullName", "https://moodle/x?id=7&b=%2F&errors="},
		{"wrong password", q("meetingID", "room", "fullName", "A", "password", "zz", "logoutURL", "https://moodle/x"), "invalidPassword", "https://moodle/x?errors="},
		{"empty password no role", q("meetingID", "room", "fullName", "A", "password", ""), "invalidPassword", "http://" + s.Addr() + "/?errors="},
		{"createTime", q("meetingID", "room", "fullName", "A", "role", "moderator", "createTime", "1"), "mismatchCreateTimeParam", "http://" + s.Addr() + "/?errors="},
		{"errorRedirectUrl wins", q("meetingID", "room", "fullName", "A", "password", "zz", "errorRedirectUrl", "https://gl/err", "logoutURL", "https://moodle/x"), "invalidPassword", "https://gl/err?errors="},
		{"empty redirect is redirect", q("meetingID", "nope", "fullName", "A", "redirect", ""), "notFound", "http://" + s.Addr() + "/?errors="},
		{"forcibly ended", q("meetingID", "ended", "fullName", "A", "role", "VIEWER"), "meetingForciblyEnded", "http://" + s.Addr() + "/?errors="},
		{"full", q("meetingID", "full", "fullName", "A", "role", "VIEWER"), "maxParticipantsReached", "http://" + s.Addr() + "/?errors="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := do(t, "GET", signed(s, bbb.CallJoin, tc.query), "", nil)
			loc := res.Header.Get("Location")
			if res.StatusCode != http.StatusFound || !strings.HasPrefix(loc, tc.target) {
				t.Fatalf("status %d Location %q", res.StatusCode, loc)
			}
			raw, _ := url.Parse(loc)
			var errs []struct{ Key, Message string }
			if err := json.Unmarshal([]byte(raw.Query().Get("errors")), &errs); err != nil || len(errs) != 1 || errs[0].Key != tc.key || errs[0].Message == "" {
				t.Fatalf("errors=%q (%v)", raw.Query().Get("errors"), err)
			}

			r := call(t, s, bbb.CallJoin, strings.TrimSuffix(tc.query, "&redirect=")+"&redirect=false")
			expect(t, r, bbb.Failed, tc.key)
		})
	}
	// A failed checksum on join is redirected too.
	res, _ := do(t, "GET", s.URL()+"/join?meetingID=room&fullName=A&checksum=00", "", nil)
	if !strings.Contains(res.Header.Get("Location"), "checksumError") {
		t.Fatalf("checksum error Location %q", res.Header.Get("Location"))
	}
	if m, _ := s.Meeting("room"); m.Participants != 0 || m.CreateTime == 0 || cr.Get("createTime") == "" {
		t.Fatalf("a failed join added a user: %+v", m)
	}
	// Joining with the moderator password works; a new create clears "ended".
	create(t, s, "meetingID", "ended", "name", "Ended")
	r := call(t, s, bbb.CallJoin, q("meetingID", "ended", "fullName", "A", "role", "MODERATOR", "redirect", "false"))
	expect(t, r, bbb.Success, "successfullyJoined")
}
