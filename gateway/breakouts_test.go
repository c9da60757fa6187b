package gateway_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/gateway"
)

// TestBreakoutsBelongToTheirParentsTenant: BBB makes breakout rooms on the
// parent's server with hashed IDs that carry no tenant prefix. They are
// listed to, and reached by, the parent's tenant only; the default tenant
// and other tenants see nothing of them.
func TestBreakoutsBelongToTheirParentsTenant(t *testing.T) {
	c := tenantCluster(t, 2, uniA, schoolB)
	a := client{c: c, secret: "uni-a-secret-1", host: "bbb.uni-a.example"}
	b := client{c: c, secret: "school-b-secret", prefix: "/t/school-b"}
	d := client{c: c, secret: testSecret}
	r := a.call("create", url.Values{"meetingID": {"course-7"}, "name": {"Course 7"}})
	wantKey(t, r, bbb.Success, "")
	parentInternal := r.Get("internalMeetingID")
	wantKey(t, d.call("create", url.Values{"meetingID": {"lobby"}, "name": {"Lobby"}}), bbb.Success, "")
	home := c.holder("uni-a~course-7")
	rooms := home.CreateBreakouts("uni-a~course-7", 2)
	if len(rooms) != 2 {
		t.Fatal("the fake made no breakouts")
	}

	// Listing needs no poll: the parent is in the same server's answer.
	lists := func(cl client) []string {
		t.Helper()
		ids := meetingIDs(cl.call("getMeetings", nil))
		slices.Sort(ids)
		return ids
	}
	wantA := append([]string{"course-7"}, rooms...)
	slices.Sort(wantA)
	if got := lists(a); !slices.Equal(got, wantA) {
		t.Errorf("uni-a lists %v, want its meeting and its two breakouts %v", got, wantA)
	}
	if got := lists(d); !slices.Equal(got, []string{"lobby"}) {
		t.Errorf("the default tenant lists %v, want only its lobby", got)
	}
	if got := lists(b); len(got) != 0 {
		t.Errorf("school-b lists %v, want nothing", got)
	}

	// Meeting calls by a breakout's ID go to the parent's server, for the
	// parent's tenant only (after a poll has seen the rooms).
	c.poll()
	room := rooms[0]
	home.AddUsers(room, 2, true, false) // BBB says running once someone is in
	for _, cl := range []client{d, b} {
		wantKey(t, cl.call("getMeetingInfo", url.Values{"meetingID": {room}}), bbb.Failed, "notFound")
		if r := cl.call("isMeetingRunning", url.Values{"meetingID": {room}}); r.Get("running") != "false" {
			t.Errorf("%s: isMeetingRunning of another tenant's breakout says %q", cl.secret, r.Get("running"))
		}
		wantKey(t, cl.call("end", url.Values{"meetingID": {room}}), bbb.Failed, "notFound")
	}
	if !home.HasMeeting(room) {
		t.Fatal("another tenant ended uni-a's breakout room")
	}
	r = a.call("getMeetingInfo", url.Values{"meetingID": {room}})
	wantKey(t, r, bbb.Success, "")
	if r.Get("isBreakout") != "true" || r.Get("meetingID") != room || r.Get("parentMeetingID") != parentInternal {
		t.Errorf("uni-a's getMeetingInfo of its breakout: isBreakout %q meetingID %q parent %q", r.Get("isBreakout"), r.Get("meetingID"), r.Get("parentMeetingID"))
	}
	if r := a.call("isMeetingRunning", url.Values{"meetingID": {room}}); r.Get("running") != "true" {
		t.Errorf("uni-a's breakout is not running: %q", r.Get("running"))
	}
	wantKey(t, a.call("end", url.Values{"meetingID": {room}}), bbb.Success, "sentEndMeetingRequest")
	if home.HasMeeting(room) {
		t.Error("end of uni-a's breakout did not reach its server")
	}
}

// TestBreakoutCreateGoesToTheParent: a client-driven create of a breakout
// room (isBreakout=true, parentMeetingID = the parent's internal ID) goes to
// the parent's server, and only for the parent's tenant.
func TestBreakoutCreateGoesToTheParent(t *testing.T) {
	c := tenantCluster(t, 3, uniA)
	a := client{c: c, secret: "uni-a-secret-1", host: "bbb.uni-a.example"}
	d := client{c: c, secret: testSecret}
	r := a.call("create", url.Values{"meetingID": {"course-7"}, "name": {"Course 7"}})
	wantKey(t, r, bbb.Success, "")
	parentInternal := r.Get("internalMeetingID")
	home := c.holder("uni-a~course-7")
	c.poll()
	breakout := func(seq string) url.Values {
		return url.Values{"meetingID": {"room" + seq + "-1700000000000"}, "name": {"Room " + seq}, "isBreakout": {"true"},
			"parentMeetingID": {parentInternal}, "sequence": {seq}}
	}
	// The default tenant cannot hang a room on uni-a's meeting.
	wantKey(t, d.call("create", breakout("1")), bbb.Failed, "parentMeetingDoesNotExist")
	for _, f := range c.fakes {
		if n := len(f.Meetings()); f == home && n != 1 || f != home && n != 0 {
			t.Fatalf("the refused breakout create left %d meetings on %s", n, f.Addr())
		}
	}
	for _, seq := range []string{"1", "2", "3"} {
		r := a.call("create", breakout(seq))
		wantKey(t, r, bbb.Success, "")
		if strings.Contains(r.Get("meetingID"), "uni-a~") || r.Get("parentMeetingID") != parentInternal {
			t.Errorf("breakout create answered meetingID %q parent %q", r.Get("meetingID"), r.Get("parentMeetingID"))
		}
	}
	if n := len(home.Meetings()); n != 4 {
		t.Errorf("the parent's server runs %d meetings, want the parent and 3 breakouts", n)
	}
	for _, m := range home.Meetings() {
		if m.IsBreakout && !strings.HasPrefix(m.InternalID, "uni-a~") {
			t.Errorf("a breakout's internal ID %q is not in uni-a's scope", m.InternalID)
		}
	}
	// A room's meetingID is BBB's internal ID for it: one shaped like an
	// internal ID BBB made could be a running meeting's, whose create
	// answer (duplicateWarning) would show that meeting. Refused, for the
	// parent's tenant too, with nothing created.
	for _, id := range []string{parentInternal, strings.ToUpper(parentInternal)} {
		v := breakout("5")
		v.Set("meetingID", id)
		wantKey(t, a.call("create", v), bbb.Failed, "validationError")
	}
	if n := len(home.Meetings()); n != 4 {
		t.Errorf("the parent's server runs %d meetings after refused creates, want 4", n)
	}
	// An unknown parent is BBB's answer too.
	v := breakout("4")
	v.Set("parentMeetingID", "0123456789abcdef0123456789abcdef01234567-1700000000000")
	wantKey(t, a.call("create", v), bbb.Failed, "parentMeetingDoesNotExist")
}

// TestBreakoutRecordingsBelongToTheirParentsTenant: a breakout room's
// recording carries the room's hashed meeting ID; it is the parent's
// tenant's, found through <breakout><parentId> (the parent's recordID),
// also after the meetings ended and tinyscale restarted (a new gateway
// knows no rooms), and no one's when the parent is unknown.
func TestBreakoutRecordingsBelongToTheirParentsTenant(t *testing.T) {
	c := tenantCluster(t, 2, uniA, schoolB)
	a := client{c: c, secret: "uni-a-secret-1", host: "bbb.uni-a.example"}
	b := client{c: c, secret: "school-b-secret", prefix: "/t/school-b"}
	d := client{c: c, secret: testSecret}
	wantKey(t, a.call("create", url.Values{"meetingID": {"course-7"}, "name": {"Course 7"}, "record": {"true"}}), bbb.Success, "")
	home := c.holder("uni-a~course-7")
	rooms := home.CreateBreakouts("uni-a~course-7", 1)
	parent, _ := home.Meeting("uni-a~course-7")
	room, _ := home.Meeting(rooms[0])
	home.AddRecording(recordingOf(parent))
	rec := recordingOf(room)
	rec.IsBreakout, rec.ParentID, rec.Sequence = true, parent.InternalID, 1
	home.AddRecording(rec)
	// A room whose parent nobody knows (its recording was deleted).
	orphan := rec
	orphan.RecordID, orphan.MeetingID, orphan.ParentID = "feed"+rec.RecordID[4:], "0"+rec.MeetingID[1:], "0123456789abcdef0123456789abcdef01234567-1700000000000"
	home.AddRecording(orphan)
	home.EndMeeting(rooms[0])
	home.EndMeeting("uni-a~course-7")
	c.reconfigure(func(*gateway.Config) {}) // a restarted tinyscale: no rooms known

	check := func(cl client, wantMine bool) {
		t.Helper()
		ids, _ := recordIDs(t, mustBody(cl.get("getRecordings", url.Values{"recordID": {rec.RecordID}})))
		if got := len(ids) == 1; got != wantMine {
			t.Errorf("%s getRecordings of the breakout's recording: %v, want listed %v", cl.secret, ids, wantMine)
		}
		all, _ := recordIDs(t, mustBody(cl.get("getRecordings", nil)))
		if slices.Contains(all, orphan.RecordID) {
			t.Errorf("%s lists the recording of a breakout without a known parent", cl.secret)
		}
		if got := slices.Contains(all, rec.RecordID); got != wantMine {
			t.Errorf("%s lists %v, breakout recording listed %v, want %v", cl.secret, all, got, wantMine)
		}
	}
	check(d, false)
	check(b, false)
	check(a, true)
	// The parent found is remembered, the one the server did not know is
	// not asked again for a while: a listing costs each server one call.
	before := home.CountCalls("getRecordings")
	recordIDs(t, mustBody(a.get("getRecordings", nil)))
	if n := home.CountCalls("getRecordings") - before; n != 1 {
		t.Errorf("a second listing made %d getRecordings calls to the server, want 1", n)
	}
	wantKey(t, d.call("deleteRecordings", url.Values{"recordID": {rec.RecordID}}), bbb.Failed, "notFound")
	wantKey(t, b.call("publishRecordings", url.Values{"recordID": {rec.RecordID}, "publish": {"false"}}), bbb.Failed, "notFound")
	r := a.call("publishRecordings", url.Values{"recordID": {rec.RecordID}, "publish": {"false"}})
	wantKey(t, r, bbb.Success, "")
	if r.Get("published") != "false" {
		t.Errorf("published %q", r.Get("published"))
	}
}
