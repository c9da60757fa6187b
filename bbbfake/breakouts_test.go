package bbbfake

import (
	"crypto/sha1"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
)

var breakoutIDShape = regexp.MustCompile(`^[0-9a-f]{40}-[0-9]{13}$`)

// TestBreakoutsAsBBBMakesThem: rooms opened in the client are meetings of
// the parent's server whose external IDs are hashes of the parent's
// internal ID, listed with isBreakout and parentMeetingID.
func TestBreakoutsAsBBBMakesThem(t *testing.T) {
	s := startTest(t)
	parent := create(t, s, "meetingID", "uni-a~course-7", "name", "Course 7", "record", "true")
	parentInternal := parent.Get("internalMeetingID")
	ids := s.CreateBreakouts("uni-a~course-7", 2)
	if len(ids) != 2 {
		t.Fatalf("%d breakouts", len(ids))
	}
	for i, id := range ids {
		if !breakoutIDShape.MatchString(id) || strings.Contains(id, "course-7") {
			t.Errorf("breakout %d has external ID %q, want sha1-timestamp", i, id)
		}
		// bbb-web rebuilds the external ID from the parent, the timestamp and
		// the sequence: the same ID akka-apps chose.
		ts := id[41:]
		sum := sha1.Sum([]byte(parentInternal + "-" + ts + "-" + string(rune('1'+i))))
		if want := hex.EncodeToString(sum[:]) + "-" + ts; id != want {
			t.Errorf("breakout %d: %s, want %s", i, id, want)
		}
		r, body := callBody(t, s, bbb.CallGetMeetingInfo, q("meetingID", id))
		expect(t, r, bbb.Success, "")
		equal(t, "isBreakout", texts(t, body, "isBreakout"), []string{"true"})
		equal(t, "parentMeetingID", texts(t, body, "parentMeetingID"), []string{parentInternal})
	}
	_, body := callBody(t, s, bbb.CallGetMeetingInfo, q("meetingID", "uni-a~course-7"))
	if got := texts(t, body, "breakout"); len(got) != 2 {
		t.Errorf("parent lists breakout rooms %v", got)
	}
	if s.CreateBreakouts("no-such-meeting", 1) != nil {
		t.Error("breakouts of a meeting that does not run")
	}
}

// TestBreakoutCreateByAPI: a create with isBreakout=true takes meetingID as
// the internal ID and needs a running parent, named by its internal ID.
func TestBreakoutCreateByAPI(t *testing.T) {
	s := startTest(t)
	parent := create(t, s, "meetingID", "room", "name", "Room")
	internal := parent.Get("internalMeetingID")
	for _, tc := range []struct {
		name, parent, rc, key string
	}{
		{"no parent", "", bbb.Failed, "parentMeetingIdMissing"},
		{"unknown parent", "0123-4", bbb.Failed, "parentMeetingDoesNotExist"},
		{"parent by external ID", "room", bbb.Failed, "parentMeetingDoesNotExist"},
		{"parent by internal ID", internal, bbb.Success, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kv := []string{"meetingID", "b1-1700000000000", "name", "Breakout", "isBreakout", "true", "sequence", "1"}
			if tc.parent != "" {
				kv = append(kv, "parentMeetingID", tc.parent)
			}
			r := call(t, s, bbb.CallCreate, q(kv...))
			expect(t, r, tc.rc, tc.key)
			if tc.rc != bbb.Success {
				return
			}
			if got, want := r.Get("meetingID"), breakoutIDs(internal, "b1-1700000000000", 1); got != want || !strings.HasSuffix(got, "-1700000000000") {
				t.Errorf("meetingID %q, want %q", got, want)
			}
			if r.Get("internalMeetingID") != "b1-1700000000000" || r.Get("parentMeetingID") != internal {
				t.Errorf("internal %q parent %q", r.Get("internalMeetingID"), r.Get("parentMeetingID"))
			}
		})
	}
}
