package bbbfake

import (
	"bytes"
	"encoding/xml"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
)

// FuzzDocText holds the builder's fast path to what encoding/xml writes:
// text appended as is must be text EscapeText leaves alone.
func FuzzDocText(f *testing.F) {
	for _, s := range []string{"", "plain", "a&b", "<x>", `"q"`, "'", "tab\there", "nl\n", "cr\r", "\x01", "é", "\xff", "\u2028", "\x7f", "ok-123_."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		xml.EscapeText(&want, []byte(s))
		d := &doc{}
		d.text(s)
		if string(d.b) != want.String() {
			t.Fatalf("text(%q) = %q, encoding/xml writes %q", s, d.b, want.String())
		}
	})
}

// xmlNamePattern is the rule isXMLName implements.
var xmlNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

func FuzzIsXMLName(f *testing.F) {
	for _, s := range []string{"", "a", "_", "9a", "a9", "a.b-c_d", "-a", ".a", "a b", "é", "A\x00", "bbb-origin"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isXMLName(s), xmlNamePattern.MatchString(s); got != want {
			t.Fatalf("isXMLName(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}

// TestGetMeetingsListsBreakoutRooms: in getMeetings each parent lists its
// own rooms, in creation order, and a meeting without rooms lists none.
func TestGetMeetingsListsBreakoutRooms(t *testing.T) {
	s := seededForBench(t, 3, 1)
	rooms0 := s.CreateBreakouts("bench-0", 2)
	rooms1 := s.CreateBreakouts("bench-1", 1)
	if len(rooms0) != 2 || len(rooms1) != 1 {
		t.Fatalf("breakouts: %q, %q", rooms0, rooms1)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", APIPath+"/getMeetings?"+bbb.Sign(bbb.SHA256, bbb.CallGetMeetings, "", "bench-secret"), nil))
	var answer struct {
		Meetings []struct {
			MeetingID  string   `xml:"meetingID"`
			InternalID string   `xml:"internalMeetingID"`
			Rooms      []string `xml:"breakoutRooms>breakout"`
		} `xml:"meetings>meeting"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
		t.Fatal(err)
	}
	internal := map[string]string{} // external → internal
	listed := map[string][]string{}
	for _, m := range answer.Meetings {
		internal[m.MeetingID] = m.InternalID
		listed[m.MeetingID] = m.Rooms
	}
	want := map[string][]string{
		"bench-0": {internal[rooms0[0]], internal[rooms0[1]]},
		"bench-1": {internal[rooms1[0]]},
		"bench-2": nil,
	}
	if len(answer.Meetings) != 6 {
		t.Fatalf("%d meetings listed, want 6", len(answer.Meetings))
	}
	for id, w := range want {
		if got := listed[id]; !slices.Equal(got, w) || slices.Contains(w, "") {
			t.Errorf("%s lists rooms %q, want %q", id, got, w)
		}
	}
	for _, r := range append(rooms0, rooms1...) {
		if len(listed[r]) != 0 {
			t.Errorf("breakout %s lists rooms %q", r, listed[r])
		}
	}
}
