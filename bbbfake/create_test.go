package bbbfake

import (
	"crypto/sha1"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
)

func TestCreateValidation(t *testing.T) {
	s := startTest(t)
	for _, tc := range []struct {
		name, query, key, msg string
	}{
		{"no meetingID", q("name", "Room"), "missingParamMeetingID", "You must provide a meeting ID"},
		{"empty meetingID", q("meetingID", "", "name", "Room"), "missingParamMeetingID", "You must provide a meeting ID"},
		{"short meetingID", q("meetingID", "a", "name", "Room"), "validationError", "Meeting ID must be between 2 and 256 characters"},
		{"long meetingID", q("meetingID", strings.Repeat("x", 257), "name", "Room"), "validationError", "Meeting ID must be between 2 and 256 characters"},
		{"comma", q("meetingID", "a,b", "name", "Room"), "validationError", "Meeting ID cannot contain ','"},
		{"no name", q("meetingID", "room"), "validationError", "You must provide a meeting name"},
		{"short name", q("meetingID", "room", "name", "R"), "validationError", "Meeting name must be between 2 and 256 characters"},
		{"voice bridge", q("meetingID", "room", "name", "Room", "voiceBridge", "12a"), "validationError", "Voice bridge must be an integral value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, bbb.CallCreate, tc.query)
			expect(t, r, bbb.Failed, tc.key)
			if r.Message != tc.msg {
				t.Fatalf("message %q", r.Message)
			}
		})
	}
	if len(s.Meetings()) != 0 {
		t.Fatal("an invalid create made a meeting")
	}
}

func TestCreateResponse(t *testing.T) {
	s := startTest(t)
	r, body := callBody(t, s, bbb.CallCreate, q("meetingID", "Test", "name", "Test Room", "attendeePW", "ap", "moderatorPW", "mp"))
	expect(t, r, bbb.Success, "")
	equal(t, "create elements", children(t, body, "response"), []string{
		"returncode", "meetingID", "internalMeetingID", "parentMeetingID", "attendeePW", "moderatorPW",
		"createTime", "voiceBridge", "dialNumber", "createDate", "hasUserJoined", "duration",
		"hasBeenForciblyEnded", "messageKey", "message",
	})
	if !strings.Contains(string(body), "<messageKey/><message/>") {
		t.Fatalf("no empty messageKey/message: %s", body)
	}
	sum := sha1.Sum([]byte("Test"))
	if want := hex.EncodeToString(sum[:]) + "-" + r.Get("createTime"); r.Get("internalMeetingID") != want {
		t.Fatalf("internalMeetingID %q, want %q", r.Get("internalMeetingID"), want)
	}
	if vb := r.Get("voiceBridge"); len(vb) != 5 || !allDigits(vb) {
		t.Fatalf("voiceBridge %q", vb)
	}
	if r.Get("parentMeetingID") != "bbb-none" || r.Get("attendeePW") != "ap" || r.Get("hasBeenForciblyEnded") != "false" {
		t.Fatalf("create answer %s", body)
	}

	// Without passwords none are shown.
	_, body = callBody(t, s, bbb.CallCreate, q("meetingID", "nopw", "name", "No PW"))
	names := children(t, body, "response")
	for _, n := range names {
		if n == "attendeePW" || n == "moderatorPW" {
			t.Fatalf("password element without passwords: %s", body)
		}
	}
}

func TestCreateIdempotent(t *testing.T) {
	s := startTest(t)
	first := create(t, s, "meetingID", "room", "name", "Room", "attendeePW", "ap", "moderatorPW", "mp")
	nopw := create(t, s, "meetingID", "nopw", "name", "No PW")
	for _, tc := range []struct {
		name  string
		query string
		rc    string
		key   string
		same  *bbb.Reply
	}{
		{"same passwords", q("meetingID", "room", "name", "Room", "attendeePW", "ap", "moderatorPW", "mp"), bbb.Success, "duplicateWarning", first},
		{"same passwords other name", q("meetingID", "room", "name", "Other", "attendeePW", "ap", "moderatorPW", "mp"), bbb.Success, "duplicateWarning", first},
		{"other moderatorPW", q("meetingID", "room", "name", "Room", "attendeePW", "ap", "moderatorPW", "xx"), bbb.Failed, "idNotUnique", nil},
		{"no passwords same name", q("meetingID", "nopw", "name", "No PW"), bbb.Success, "duplicateWarning", nopw},
		{"no passwords other name", q("meetingID", "nopw", "name", "Other"), bbb.Failed, "idNotUnique", nil},
		{"passwords on a meeting without", q("meetingID", "nopw", "name", "No PW", "attendeePW", "a"), bbb.Failed, "idNotUnique", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, bbb.CallCreate, tc.query)
			expect(t, r, tc.rc, tc.key)
			if tc.same != nil {
				for _, f := range []string{"internalMeetingID", "createTime", "voiceBridge"} {
					if r.Get(f) != tc.same.Get(f) {
						t.Fatalf("%s changed: %q vs %q", f, r.Get(f), tc.same.Get(f))
					}
				}
				if r.Message != msgDuplicate {
					t.Fatalf("message %q", r.Message)
				}
			} else if r.Message != "A meeting already exists with that meeting ID.  Please use a different meeting ID." {
				t.Fatalf("message %q", r.Message)
			}
		})
	}
	if len(s.Meetings()) != 2 {
		t.Fatalf("%d meetings", len(s.Meetings()))
	}
}

func TestCreateStoresParams(t *testing.T) {
	s := startTest(t)
	create(t, s, "meetingID", "a&b [1] Ünï", "name", "Café & <Friends>",
		"meta_bbb-Origin", "Greenlight", "meta_endCallbackUrl", "https://gl/end?x=1",
		"meta_not_meta", "x", "meta_1bad", "y", "meetingEndedURL", "https://lb/ended",
		"voiceBridge", "70757", "record", "true", "logoutURL", "https://gl/")
	if !s.HasMeeting("a&b [1] Ünï") || s.HasMeeting("a&b") {
		t.Fatal("HasMeeting wrong")
	}
	m := s.Meetings()[0]
	want := map[string]string{"bbb-origin": "Greenlight", "endcallbackurl": "https://gl/end?x=1"}
	if len(m.Metadata) != len(want) || m.Metadata["bbb-origin"] != "Greenlight" || m.Metadata["endcallbackurl"] != want["endcallbackurl"] {
		t.Fatalf("metadata %v", m.Metadata)
	}
	if m.MeetingEndedURL != "https://lb/ended" || m.VoiceBridge != "70757" || !m.Record ||
		m.Params.Get("meta_not_meta") != "x" || m.LogoutURL != "https://gl/" {
		t.Fatalf("meeting %+v", m)
	}
	m.Metadata["bbb-origin"] = "changed"
	if s.Meetings()[0].Metadata["bbb-origin"] != "Greenlight" {
		t.Fatal("Meetings is not a copy")
	}
	// The same voice bridge on another meeting is refused.
	r, body := callBody(t, s, bbb.CallCreate, q("meetingID", "other", "name", "Other", "voiceBridge", "70757"))
	if r.ReturnCode != bbb.Failed || !strings.Contains(string(body), "<key>nonUniqueVoiceBridge</key>") {
		t.Fatalf("voice bridge reuse: %s", body)
	}
	// Round trip through getMeetingInfo, escaped.
	r, body = callBody(t, s, bbb.CallGetMeetingInfo, q("meetingID", "a&b [1] Ünï"))
	if r.Get("meetingID") != "a&b [1] Ünï" || r.Get("meetingName") != "Café & <Friends>" {
		t.Fatalf("round trip: %s", body)
	}
	equal(t, "metadata", children(t, body, "metadata"), []string{"bbb-origin", "endcallbackurl"})
}

func TestCreateXMLBody(t *testing.T) {
	s := startTest(t)
	modules := `<?xml version="1.0" encoding="UTF-8"?><modules><module name="presentation">` +
		`<document url="https://host/a.pdf" filename="a.pdf"/><document name="b.pdf">JVBERi0=</document></module></modules>`
	res, body := do(t, http.MethodPost, signed(s, bbb.CallCreate, q("meetingID", "pres", "name", "Pres")), "application/xml", []byte(modules))
	expect(t, parse(t, res, body), bbb.Success, "")
	m := s.Meetings()[0]
	if string(m.Body) != modules {
		t.Fatalf("body %q", m.Body)
	}
	equal(t, "presentations", m.Presentations, []string{"https://host/a.pdf", "b.pdf"})
	req := s.Requests()[0]
	if req.Method != "POST" || req.ContentType != "application/xml" || string(req.Body) != modules {
		t.Fatalf("request %+v", req)
	}

	// insertDocument adds to the running meeting.
	doc := `<modules><module name="presentation"><document url="https://host/c.pdf"/></module></modules>`
	res, body = do(t, http.MethodPost, signed(s, bbb.CallInsertDocument, "meetingID=pres"), "text/xml", []byte(doc))
	r := parse(t, res, body)
	if r.ReturnCode != bbb.Success || r.MessageKey == "" || r.Message == "" {
		t.Fatalf("insertDocument: %s", body)
	}
	equal(t, "presentations", s.Meetings()[0].Presentations, []string{"https://host/a.pdf", "b.pdf", "https://host/c.pdf"})
	res, body = do(t, http.MethodPost, signed(s, bbb.CallInsertDocument, "meetingID=nope"), "text/xml", []byte(doc))
	expect(t, parse(t, res, body), bbb.Failed, "notFound")
}
