package gateway_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
)

func TestCreateSpreadsAndSticks(t *testing.T) {
	c := newCluster(t, 3)
	count := map[*bbbfake.Server]int{}
	for i := range 9 {
		count[c.create(fmt.Sprintf("room-%d", i))]++
	}
	for _, f := range c.fakes {
		if count[f] != 3 {
			t.Errorf("server %s got %d of 9 meetings, want 3", f.Addr(), count[f])
		}
	}
	// A repeated create goes to the server that holds the meeting, and
	// BBB's duplicateWarning comes back.
	holder := c.holder("room-4")
	r := c.call("create", url.Values{"meetingID": {"room-4"}, "name": {"Room room-4"}})
	wantKey(t, r, bbb.Success, "duplicateWarning")
	if c.holder("room-4") != holder {
		t.Fatal("repeated create moved the meeting")
	}
	// Other passwords: BBB's idNotUnique passes through, the meeting stays.
	r = c.call("create", url.Values{"meetingID": {"room-4"}, "name": {"Room room-4"}, "attendeePW": {"x"}, "moderatorPW": {"y"}})
	wantKey(t, r, bbb.Failed, "idNotUnique")
	c.holder("room-4")
}

func TestMeetingIDsCompareExactly(t *testing.T) {
	// The original tinyscale found "room" inside "room-2" and never found
	// IDs with '&', creating one meeting on two servers.
	c := newCluster(t, 2)
	ids := []string{"room", "room-2", "a&b", "ab", "moodle-1-2[3]", "Ünïcode room", "SUCCESS", "trailing_"}
	for _, id := range ids {
		c.create(id)
	}
	for _, id := range ids {
		holder := c.holder(id)
		r := c.call("create", url.Values{"meetingID": {id}, "name": {"Room " + id}})
		wantKey(t, r, bbb.Success, "duplicateWarning")
		if c.holder(id) != holder {
			t.Errorf("%q moved", id)
		}
		r = c.call("getMeetingInfo", url.Values{"meetingID": {id}})
		if !r.OK() || r.Get("meetingID") != id {
			t.Errorf("getMeetingInfo %q: %s %q", id, r.MessageKey, r.Get("meetingID"))
		}
	}
}

func TestConcurrentCreatesOfOneMeeting(t *testing.T) {
	c := newCluster(t, 3)
	const n = 30
	var wg sync.WaitGroup
	results := make(chan string, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, body := c.get(signed("create", url.Values{"meetingID": {"busy-room"}, "name": {"Busy"}}))
			if res.StatusCode != http.StatusOK {
				results <- fmt.Sprintf("HTTP %d", res.StatusCode)
				return
			}
			r, err := bbb.ParseReply([]byte(body), nil)
			if err != nil {
				results <- err.Error()
				return
			}
			results <- r.ReturnCode
		}()
	}
	wg.Wait()
	close(results)
	for r := range results {
		if r != bbb.Success {
			t.Errorf("a concurrent create answered %s", r)
		}
	}
	c.holder("busy-room") // fails if on none or on two
}

func TestCreateMovesOnWhenServerRefuses(t *testing.T) {
	c := newCluster(t, 2)
	c.fakes[0].Close()
	for i := range 4 {
		if f := c.create(fmt.Sprintf("m%d", i)); f != c.fakes[1] {
			t.Fatalf("meeting placed on the closed server")
		}
	}
	if c.pool.Get(c.fakes[0].Addr()).Online() {
		t.Error("a refused connection did not take the server offline")
	}
}

func TestCreateFailureForgetsPlacement(t *testing.T) {
	c := newCluster(t, 2)
	// BBB rejects a meeting ID with a comma: nothing was created, so
	// nothing may be remembered.
	r := c.call("create", url.Values{"meetingID": {"a,b"}, "name": {"Comma"}})
	wantKey(t, r, bbb.Failed, "validationError")
	if _, ok := c.store.Lookup("default", "a,b"); ok {
		t.Fatal("a failed create left a placement behind")
	}
	r = c.call("create", url.Values{"name": {"No ID"}})
	wantKey(t, r, bbb.Failed, "missingParamMeetingID")
}

// TestJoinRedirectsToOwner: two meetings created one after the other on
// two idle servers land one on each (each create counts at once), so every
// run checks that a join goes to its own meeting's server and not to the
// other one: a join sent to a random or the first server fails here in
// every run, not one in two.
func TestJoinRedirectsToOwner(t *testing.T) {
	c := newCluster(t, 2)
	holders := map[string]*bbbfake.Server{"join-room-a": c.create("join-room-a"), "join-room-b": c.create("join-room-b")}
	if holders["join-room-a"] == holders["join-room-b"] {
		t.Fatalf("both meetings on %s: the burst did not split", holders["join-room-a"].Addr())
	}
	for id, holder := range holders {
		// Greenlight's join: an empty password, role, createTime, userdata.
		createTime := meetingOn(t, holder, id).CreateTime
		raw := fmt.Sprintf("avatarURL=https%%3A%%2F%%2Fgl.example%%2Fa.png&createTime=%d&fullName=J%%C3%%BCrgen+M%%C3%%BCller&meetingID=%s&password=&role=MODERATOR&userID=u-1&userdata-bbb_override_default_locale=de", createTime, id)
		res, body := c.get(signedRaw(bbb.SHA1, "join", raw))
		if res.StatusCode != http.StatusFound {
			t.Fatalf("%s: HTTP %d, want 302: %s", id, res.StatusCode, body)
		}
		loc, err := url.Parse(res.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		if loc.Host != holder.Addr() || loc.Path != "/bigbluebutton/api/join" {
			t.Fatalf("%s: Location %s, want the holder %s's join", id, loc, holder.Addr())
		}
		// Every parameter kept byte for byte, signed with the holder's
		// secret: checked by the fake's own checksum code, not by the
		// package that signed it.
		q, err := bbbfake.VerifyChecksum("join", loc.RawQuery, holder.Secret())
		if err != nil {
			t.Fatalf("%s: redirect not signed for the holder: %v", id, err)
		}
		if q != raw {
			t.Fatalf("%s: parameters changed:\n got %s\nwant %s", id, q, raw)
		}
		for _, f := range c.fakes {
			if f != holder {
				if _, err := bbbfake.VerifyChecksum("join", loc.RawQuery, f.Secret()); err == nil {
					t.Fatalf("%s: redirect also signed with the other server's secret", id)
				}
			}
		}
		if n := holder.CountCalls("join"); n != 0 {
			t.Fatalf("join made %d backend calls, want none", n)
		}
		// The browser follows it: the holder itself redirects to its client.
		res2, err := c.hc.Get(loc.String())
		if err != nil {
			t.Fatal(err)
		}
		res2.Body.Close()
		if res2.StatusCode != http.StatusFound || !strings.Contains(res2.Header.Get("Location"), "sessionToken=") {
			t.Fatalf("%s: backend join: %d %s", id, res2.StatusCode, res2.Header.Get("Location"))
		}
	}
}

// meetingOn returns the fake's record of meeting id.
func meetingOn(t *testing.T, f *bbbfake.Server, id string) bbbfake.MeetingInfo {
	t.Helper()
	for _, m := range f.Meetings() {
		if m.MeetingID == id {
			return m
		}
	}
	t.Fatalf("%s does not run %s", f.Addr(), id)
	return bbbfake.MeetingInfo{}
}

func TestJoinAnswers(t *testing.T) {
	c := newCluster(t, 2)
	c.create("jj")
	for _, tc := range []struct {
		name   string
		params url.Values
		key    string
	}{
		{"unknown meeting", url.Values{"meetingID": {"nope"}, "fullName": {"A"}, "role": {"VIEWER"}}, "notFound"},
		{"missing meetingID", url.Values{"fullName": {"A"}, "role": {"VIEWER"}}, "missingParamMeetingID"},
		{"redirect=false gives BBB's XML", url.Values{"meetingID": {"jj"}, "fullName": {"A"}, "role": {"VIEWER"}, "redirect": {"false"}}, "successfullyJoined"},
		{"redirect=false, unknown", url.Values{"meetingID": {"nope"}, "fullName": {"A"}, "redirect": {"false"}}, "notFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.call("join", tc.params)
			if r.MessageKey != tc.key {
				t.Fatalf("messageKey %q (%s), want %q", r.MessageKey, r.ReturnCode, tc.key)
			}
		})
	}
	t.Run("errorRedirectUrl", func(t *testing.T) {
		res, _ := c.get(signed("join", url.Values{"meetingID": {"nope"}, "fullName": {"A"}, "errorRedirectUrl": {"https://lms.example/error"}}))
		loc, _ := url.Parse(res.Header.Get("Location"))
		if res.StatusCode != http.StatusFound || loc.Host != "lms.example" || !strings.Contains(loc.Query().Get("errors"), `"key":"notFound"`) {
			t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Location"))
		}
	})
	t.Run("POST is refused", func(t *testing.T) {
		r := c.reply(c.do("POST", signed("join", url.Values{"meetingID": {"jj"}, "fullName": {"A"}}), "", ""))
		if r.OK() {
			t.Fatal("POST join accepted")
		}
	})
}

func TestMeetingCallsFollowTheOwner(t *testing.T) {
	c := newCluster(t, 3)
	holder := c.create("owned")
	c.create("other-1")
	c.create("other-2")
	holder.AddAttendee("owned", "Ada", "MODERATOR")

	r := c.call("isMeetingRunning", url.Values{"meetingID": {"owned"}})
	if !r.OK() || r.Get("running") != "true" {
		t.Fatalf("isMeetingRunning: %s running=%s", r.MessageKey, r.Get("running"))
	}
	r = c.call("getMeetingInfo", url.Values{"meetingID": {"owned"}})
	if !r.OK() || r.Get("participantCount") != "1" {
		t.Fatalf("getMeetingInfo: %s participantCount=%s", r.MessageKey, r.Get("participantCount"))
	}
	r = c.call("sendChatMessage", url.Values{"meetingID": {"owned"}, "message": {"hello"}})
	if !r.OK() {
		t.Fatalf("sendChatMessage: %s", r.MessageKey)
	}
	doc := `<?xml version="1.0" encoding="UTF-8"?><modules><module name="presentation"><document url="https://x.example/a.pdf" filename="a.pdf"/></module></modules>`
	r = c.reply(c.do("POST", signed("insertDocument", url.Values{"meetingID": {"owned"}}), "application/xml", doc))
	if !r.OK() {
		t.Fatalf("insertDocument: %s", r.MessageKey)
	}
	var got *bbbfake.Request
	for _, req := range holder.Requests() {
		if req.Call == "insertDocument" {
			got = &req
		}
	}
	if got == nil || string(got.Body) != doc || got.ContentType != "application/xml" {
		t.Fatalf("insertDocument body not forwarded byte for byte: %+v", got)
	}
	for _, f := range c.fakes {
		if f != holder && (f.CountCalls("getMeetingInfo") > 0 || f.CountCalls("isMeetingRunning") > 0) {
			t.Errorf("server %s got calls for a meeting it does not hold", f.Addr())
		}
	}

	r = c.call("end", url.Values{"meetingID": {"owned"}})
	wantKey(t, r, bbb.Success, "sentEndMeetingRequest")
	if _, ok := c.store.Lookup("default", "owned"); ok {
		t.Error("end did not drop the placement")
	}
	r = c.call("getMeetingInfo", url.Values{"meetingID": {"owned"}})
	wantKey(t, r, bbb.Failed, "notFound")
}

func TestUnknownMeeting(t *testing.T) {
	c := newCluster(t, 2)
	for _, tc := range []struct {
		call, rc, key string
	}{
		{"getMeetingInfo", bbb.Failed, "notFound"},
		{"end", bbb.Failed, "notFound"},
		{"sendChatMessage", bbb.Failed, "notFound"},
		{"isMeetingRunning", bbb.Success, ""},
	} {
		r := c.call(tc.call, url.Values{"meetingID": {"ghost"}})
		wantKey(t, r, tc.rc, tc.key)
		if tc.call == "isMeetingRunning" && r.Get("running") != "false" {
			t.Errorf("isMeetingRunning unknown: running=%q", r.Get("running"))
		}
		r = c.call(tc.call, url.Values{})
		wantKey(t, r, bbb.Failed, "missingParamMeetingID")
	}
	// Greenlight's health check sends meetingID=0 and expects SUCCESS.
	r := c.reply(c.get(signedRaw(bbb.SHA1, "isMeetingRunning", "meetingID=0")))
	wantKey(t, r, bbb.Success, "")
}

func TestOwnerDown(t *testing.T) {
	c := newCluster(t, 2)
	holder := c.create("down-room")
	holder.Close()
	c.pool.Get(holder.Addr()).MarkOffline("test")
	r := c.call("isMeetingRunning", url.Values{"meetingID": {"down-room"}})
	if !r.OK() || r.Get("running") != "false" {
		t.Fatalf("isMeetingRunning on a dead server: %s %s", r.ReturnCode, r.Get("running"))
	}
	r = c.call("getMeetingInfo", url.Values{"meetingID": {"down-room"}})
	wantKey(t, r, bbb.Failed, "notFound")
	// The next create goes to a live server and replaces the placement.
	r = c.call("create", url.Values{"meetingID": {"down-room"}, "name": {"Again"}})
	wantKey(t, r, bbb.Success, "")
	other := c.fakes[0]
	if other == holder {
		other = c.fakes[1]
	}
	if sid, _ := c.store.Lookup("default", "down-room"); !other.HasMeeting("down-room") || sid != other.Addr() {
		t.Fatalf("not re-created on the live server (placement %q)", sid)
	}
}

func TestBrokenBackendAnswersBBBXML(t *testing.T) {
	for _, mode := range []bbbfake.Mode{bbbfake.ModeHTTPError, bbbfake.ModeGarbage, bbbfake.ModeReset} {
		t.Run(mode.String(), func(t *testing.T) {
			c := newCluster(t, 1)
			c.create("bb")
			c.fakes[0].SetMode(mode)
			r := c.call("getMeetingInfo", url.Values{"meetingID": {"bb"}})
			wantKey(t, r, bbb.Failed, "internalError")
		})
	}
}
