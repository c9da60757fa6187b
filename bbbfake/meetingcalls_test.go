package bbbfake

import (
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
)

var meetingInfoOrder = []string{
	"meetingName", "meetingID", "internalMeetingID", "createTime", "createDate", "voiceBridge", "dialNumber",
	"attendeePW", "moderatorPW", "running", "duration", "hasUserJoined", "recording", "hasBeenForciblyEnded",
	"startTime", "endTime", "participantCount", "listenerCount", "voiceParticipantCount", "videoCount",
	"maxUsers", "moderatorCount", "attendees", "metadata", "isBreakout",
}

func TestGetMeetings(t *testing.T) {
	s := startTest(t)
	_, body := callBody(t, s, bbb.CallGetMeetings, "")
	const empty = "<response><returncode>SUCCESS</returncode><meetings/><messageKey>noMeetings</messageKey><message>no meetings were found on this server</message></response>"
	if string(body) != empty {
		t.Fatalf("empty getMeetings:\n%s", body)
	}

	create(t, s, "meetingID", "room", "name", "Room")
	create(t, s, "meetingID", "room-2", "name", "Room 2", "attendeePW", "ap", "moderatorPW", "mp", "meta_bbb-origin", "x")
	s.AddAttendee("room-2", "Mod", "moderator")
	s.AddAttendee("room-2", "View", "VIEWER")
	r, body := callBody(t, s, bbb.CallGetMeetings, "")
	expect(t, r, bbb.Success, "")
	equal(t, "meetingIDs", texts(t, body, "meetingID"), []string{"room", "room-2"})
	// In getMeetings the passwords are always present, even empty.
	equal(t, "meeting elements", children(t, body, "meeting"), meetingInfoOrder)
	equal(t, "participantCount", texts(t, body, "participantCount"), []string{"0", "2"})
	equal(t, "moderatorCount", texts(t, body, "moderatorCount"), []string{"0", "1"})
	equal(t, "running", texts(t, body, "running"), []string{"false", "true"})
	equal(t, "fullName", texts(t, body, "fullName"), []string{"Mod", "View"})
	parsed, err := bbb.ParseReply(body, &bbb.ListSpec{List: "meetings", Item: "meeting", Fields: []string{"meetingID"}})
	if err != nil || len(parsed.Items) != 2 || parsed.Items[1].Fields[0] != "room-2" {
		t.Fatalf("ParseReply: %v %+v", err, parsed)
	}
}

func TestGetMeetingInfo(t *testing.T) {
	s := startTest(t)
	r := call(t, s, bbb.CallGetMeetingInfo, "meetingID=nope")
	expect(t, r, bbb.Failed, "notFound")
	if r.Message != "A meeting with that ID does not exist" {
		t.Fatalf("message %q", r.Message)
	}
	expect(t, call(t, s, bbb.CallGetMeetingInfo, ""), bbb.Failed, "missingParamMeetingID")

	create(t, s, "meetingID", "room", "name", "Room", "attendeePW", "ap", "moderatorPW", "mp", "meta_endCallbackUrl", "https://x")
	if !s.AddAttendee("room", "Anton", "MODERATOR") || s.AddAttendee("nope", "x", "VIEWER") {
		t.Fatal("AddAttendee result wrong")
	}
	r, body := callBody(t, s, bbb.CallGetMeetingInfo, "meetingID=room")
	expect(t, r, bbb.Success, "")
	equal(t, "getMeetingInfo elements", children(t, body, "response"), append([]string{"returncode"}, meetingInfoOrder...))
	equal(t, "attendee elements", children(t, body, "attendee"), []string{
		"userID", "fullName", "role", "isPresenter", "isListeningOnly", "hasJoinedVoice", "hasVideo", "clientType",
	})
	if r.Get("participantCount") != "1" || r.Get("running") != "true" || r.Get("hasUserJoined") != "true" {
		t.Fatalf("getMeetingInfo %s", body)
	}
	equal(t, "metadata", texts(t, body, "endcallbackurl"), []string{"https://x"})

	// Without passwords getMeetingInfo leaves them out.
	create(t, s, "meetingID", "nopw", "name", "No PW")
	_, body = callBody(t, s, bbb.CallGetMeetingInfo, "meetingID=nopw")
	if strings.Contains(string(body), "PW>") {
		t.Fatalf("passwords shown: %s", body)
	}
}

func TestIsMeetingRunningAndEnd(t *testing.T) {
	s := startTest(t)
	expect(t, call(t, s, bbb.CallIsMeetingRunning, ""), bbb.Failed, "missingParamMeetingID")
	for _, id := range []string{"0", "foobar"} {
		r := call(t, s, bbb.CallIsMeetingRunning, "meetingID="+id)
		if r.ReturnCode != bbb.Success || r.Get("running") != "false" {
			t.Fatalf("isMeetingRunning %s: %+v", id, r)
		}
	}
	create(t, s, "meetingID", "room", "name", "Room")
	if call(t, s, bbb.CallIsMeetingRunning, "meetingID=room").Get("running") != "false" {
		t.Fatal("running before anyone joined")
	}
	s.AddAttendee("room", "A", "viewer")
	if call(t, s, bbb.CallIsMeetingRunning, "meetingID=room").Get("running") != "true" {
		t.Fatal("not running after a join")
	}

	expect(t, call(t, s, bbb.CallEnd, ""), bbb.Failed, "missingParamMeetingID")
	expect(t, call(t, s, bbb.CallEnd, "meetingID=nope"), bbb.Failed, "notFound")
	r := call(t, s, bbb.CallEnd, "meetingID=room")
	expect(t, r, bbb.Success, "sentEndMeetingRequest")
	if r.Message != msgEnd || !strings.Contains(r.Message, "sent.  Please") {
		t.Fatalf("message %q", r.Message)
	}
	if s.HasMeeting("room") || call(t, s, bbb.CallIsMeetingRunning, "meetingID=room").Get("running") != "false" {
		t.Fatal("meeting still there after end")
	}
	expect(t, call(t, s, bbb.CallGetMeetingInfo, "meetingID=room"), bbb.Failed, "notFound")

	create(t, s, "meetingID", "natural", "name", "Natural")
	if !s.EndMeeting("natural") || s.EndMeeting("natural") || s.HasMeeting("natural") {
		t.Fatal("EndMeeting")
	}
	// A meeting that ended on its own gives notFound on join, not meetingForciblyEnded.
	expect(t, call(t, s, bbb.CallJoin, q("meetingID", "natural", "fullName", "A", "role", "VIEWER", "redirect", "false")), bbb.Failed, "notFound")
}

func TestSendChatMessage(t *testing.T) {
	s := startTest(t)
	create(t, s, "meetingID", "room", "name", "Room")
	r, body := callBody(t, s, bbb.CallSendChatMessage, q("meetingID", "room", "message", "hello & bye"))
	expect(t, r, bbb.Success, "")
	if !strings.Contains(string(body), "<messageKey></messageKey><message></message>") {
		t.Fatalf("answer %s", body)
	}
	chat := s.Meetings()[0].Chat
	if len(chat) != 1 || chat[0].Message != "hello & bye" || chat[0].UserName != "System" {
		t.Fatalf("chat %+v", chat)
	}
	expect(t, call(t, s, bbb.CallSendChatMessage, q("meetingID", "room", "message", "")), bbb.Failed, "validationError")
	expect(t, call(t, s, bbb.CallSendChatMessage, q("meetingID", "room", "message", strings.Repeat("x", 501))), bbb.Failed, "validationError")
	expect(t, call(t, s, bbb.CallSendChatMessage, q("meetingID", "nope", "message", "hi")), bbb.Failed, "notFound")
}
