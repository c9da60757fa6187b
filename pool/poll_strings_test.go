package pool

import (
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/internal/testheap"
)

// fakeAnswer creates n meetings on f with IDs and names as long as BBB
// takes (prefix starts their IDs) and returns f's getMeetings answer.
func fakeAnswer(t *testing.T, f *bbbfake.Server, prefix string, n int) []byte {
	t.Helper()
	c := f.Client()
	for i := range n {
		id := fmt.Sprintf("%s-%d-%s", prefix, i, strings.Repeat("i", 200))
		q := url.Values{"meetingID": {id}, "name": {fmt.Sprintf("%d %s", i, strings.Repeat("n", 240))}}
		res, err := c.Get(t.Context(), bbb.CallCreate, q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		if r, err := bbb.ParseReply(res.Body, nil); err != nil || !r.OK() {
			t.Fatalf("create %d: %s", i, res.Body)
		}
	}
	res, err := c.Get(t.Context(), bbb.CallGetMeetings, "")
	if err != nil {
		t.Fatal(err)
	}
	return res.Body
}

// TestPolledMeetingsKeepNoAnswer: a meeting ID kept from a poll (by the
// placements, the usage tracker, the breakout index) keeps that meeting's
// strings, not the text of the whole answer it came in. The answers here
// hold 1,000 and 1,500 meetings of some 500 bytes of text each (about
// 0.5 and 0.75 MB), which each kept ID held before.
func TestPolledMeetingsKeepNoAnswer(t *testing.T) {
	f := bbbfake.Start("poll-secret")
	defer f.Close()
	first := fakeAnswer(t, f, "old", 1000)
	last, err := parseMeetings(first, nil)
	if err != nil {
		t.Fatal(err)
	}
	second := fakeAnswer(t, f, "new", 500) // 1,000 meetings listed before, 500 new
	for _, tc := range []struct {
		name string
		body []byte
		last []MeetingLoad
	}{
		{"a server's first answer", first, nil},
		{"an answer after one", second, last},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kept := testheap.Retained(func() []string {
				ms, err := parseMeetings(tc.body, tc.last)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for i := 0; i < len(ms); i += len(ms) / 10 { // old and new meetings alike
					ids = append(ids, ms[i].MeetingID)
				}
				return ids
			})
			// Ten kept IDs are ten meetings' own strings, 5 KB; one
			// kept the whole answer's text before.
			if kept > 128<<10 {
				t.Errorf("10 meeting IDs kept %d KB of a %d KB answer alive", kept>>10, len(tc.body)>>10)
			}
		})
	}
}

// TestOwnStringsChangeNoValue: reusing the last answer's strings or
// copying gives the values the answer holds, whatever the last answer
// held under the same meeting ID (a renamed meeting, one created again
// with a new internal ID, a breakout's parent), in the same order or not.
func TestOwnStringsChangeNoValue(t *testing.T) {
	body := []byte(`<response><returncode>SUCCESS</returncode><meetings>` +
		meetingXML("a", "Room A", "int-a", "") + meetingXML("b", "Room B", "int-b", "") +
		meetingXML("c", "Room C", "int-c", "int-a") + meetingXML("d", "", "int-d", "") +
		`</meetings></response>`)
	want, err := parseMeetings(body, nil)
	if err != nil || len(want) != 4 {
		t.Fatalf("%v, %d meetings", err, len(want))
	}
	renamed := slices.Clone(want)
	renamed[0].Name = "Room A before"
	renamed[1].InternalID = "int-b-before"
	renamed[2].ParentID = "int-x"
	reordered := []MeetingLoad{want[3], want[2], want[1], want[0]}
	for _, tc := range []struct {
		name string
		last []MeetingLoad
	}{
		{"no last answer", nil},
		{"the same answer", want},
		{"renamed, recreated, another parent", renamed},
		{"the meetings in another order", reordered},
		{"some meetings only", want[2:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseMeetings(body, tc.last)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func meetingXML(id, name, internal, parent string) string {
	s := "<meeting><meetingName>" + name + "</meetingName><meetingID>" + id + "</meetingID><internalMeetingID>" + internal +
		"</internalMeetingID><createTime>1715261728123</createTime><participantCount>2</participantCount>"
	if parent != "" {
		s += "<isBreakout>true</isBreakout><parentMeetingID>" + parent + "</parentMeetingID>"
	}
	return s + "</meeting>"
}

// TestClaimTimesEndWithTheirMeeting: when a reserved meeting was placed is
// kept while polls list it, within the ramp, and dropped once a poll no
// longer lists it: it ended, and a create-and-end churn must not keep an
// entry per meeting for the whole ramp.
func TestClaimTimesEndWithTheirMeeting(t *testing.T) {
	s := NewServer("s", nil)
	at := time.Now()
	s.reserve("room", 0, at)
	listed := []MeetingLoad{{MeetingID: "room", Created: at.Add(time.Second)}}
	for poll := range 3 {
		s.SetMeetings(listed, at.Add(time.Duration(poll+2)*time.Second), time.Hour)
		if got := s.placedLocked(listed[0]); !got.Equal(at) {
			t.Fatalf("poll %d: placed at %v, want the claim's time %v", poll+1, got, at)
		}
	}
	s.SetMeetings(nil, at.Add(10*time.Second), time.Hour)
	if len(s.claimed) != 0 {
		t.Errorf("after the meeting ended: %d claim times kept", len(s.claimed))
	}
	s.reserve("late", 0, at)
	s.SetMeetings([]MeetingLoad{{MeetingID: "late", Created: at}}, at.Add(2*time.Hour), time.Hour)
	if len(s.claimed) != 0 {
		t.Errorf("after the ramp: %d claim times kept", len(s.claimed))
	}
}
