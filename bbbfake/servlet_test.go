package bbbfake

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
)

// TestReadsParametersAsTheServlet: the fake reads a query as bbb-web does,
// so that a balancer which reads it otherwise is caught by the tests.
func TestReadsParametersAsTheServlet(t *testing.T) {
	s := startTest(t)
	// Names are percent-decoded: meeting%49D is meetingID.
	expect(t, call(t, s, bbb.CallCreate, "meeting%49D=room1&name=Room+one"), bbb.Success, "")
	if _, ok := s.Meeting("room1"); !ok {
		t.Fatalf("meeting%%49D did not create room1: %+v", s.Meetings())
	}
	// The first of repeated names wins.
	expect(t, call(t, s, bbb.CallCreate, "meetingID=room2&meetingID=room3&name=Room+two"), bbb.Success, "")
	if _, ok := s.Meeting("room2"); !ok {
		t.Fatalf("first meetingID did not win: %+v", s.Meetings())
	}
	// Control characters leave names and values; meetingID is trimmed.
	expect(t, call(t, s, bbb.CallCreate, "meeting%00ID=%20%09room%0B4%C2%85%E2%80%83&name=Room+four"), bbb.Success, "")
	if _, ok := s.Meeting("room4"); !ok {
		t.Fatalf("control characters or spaces kept: %+v", s.Meetings())
	}
	r := call(t, s, bbb.CallGetMeetingInfo, "meetingID=+room4+")
	if !r.OK() || r.Get("meetingID") != "room4" {
		t.Fatalf("trimmed lookup: %s %q", r.MessageKey, r.Get("meetingID"))
	}
	// A no-break space is no Java whitespace: it stays.
	expect(t, call(t, s, bbb.CallCreate, "meetingID=room5%C2%A0&name=Room+five"), bbb.Success, "")
	if _, ok := s.Meeting("room5\u00a0"); !ok {
		t.Fatalf("NBSP stripped: %+v", s.Meetings())
	}
}

func TestRecordIDListsAreDecodedTwice(t *testing.T) {
	s := startTest(t)
	s.AddRecording(Recording{RecordID: "rec-a", MeetingID: "m", Name: "A", Published: true, State: "published"})
	s.AddRecording(Recording{RecordID: "rec-b", MeetingID: "m", Name: "B", Published: true, State: "published"})
	// decodeIds: rec-a%2Crec-b, once decoded by the servlet, is two IDs.
	r := call(t, s, bbb.CallPublishRecordings, "recordID=rec-a%252Crec-b&publish=false")
	expect(t, r, bbb.Success, "")
	for _, rec := range s.Recordings() {
		if rec.Published {
			t.Errorf("%s still published: the list was read as one ID", rec.RecordID)
		}
	}
}

func TestJoinSetsSessionCookieWithoutRedirect(t *testing.T) {
	s := startTest(t)
	create(t, s, "meetingID", "room", "name", "Room")
	res, body := do(t, "GET", signed(s, bbb.CallJoin, q("meetingID", "room", "fullName", "A", "role", "VIEWER", "redirect", "false")), "", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "successfullyJoined") {
		t.Fatalf("join: %d %s", res.StatusCode, body)
	}
	if c := res.Header.Get("Set-Cookie"); !strings.HasPrefix(c, "JSESSIONID=") {
		t.Fatalf("redirect=false join set no session cookie: %q", c)
	}
}

// TestRefusesLongRequestLines: nginx in front of bbb-web refuses request
// lines over 8 KB, so a balancer that turns a long form POST into a GET
// fails against the fake as against BBB.
func TestRefusesLongRequestLines(t *testing.T) {
	s := startTest(t)
	long := q("meetingID", "room", "name", "Room", "welcome", strings.Repeat("w", 9000))
	res, _ := do(t, "GET", signed(s, bbb.CallCreate, long), "", nil)
	if res.StatusCode != http.StatusRequestURITooLong {
		t.Fatalf("9 KB GET: HTTP %d, want 414", res.StatusCode)
	}
	res, body := do(t, "POST", signed(s, bbb.CallCreate, ""), "application/x-www-form-urlencoded", []byte(long))
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "SUCCESS") {
		t.Fatalf("the same as a form POST: HTTP %d %s", res.StatusCode, body)
	}
}
