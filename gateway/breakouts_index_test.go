package gateway

import (
	"strconv"
	"testing"

	"github.com/tinyscale/tinyscale/pool"
)

// TestBreakoutIndexIsBounded: the index remembers only parents that
// opened breakout rooms, at most maxRememberedParents of them, the oldest
// forgotten first; servers that left the pool are dropped.
func TestBreakoutIndexIsBounded(t *testing.T) {
	var b breakouts
	// Meetings without rooms leave nothing behind once they end.
	var plain []pool.MeetingLoad
	for i := range 1000 {
		plain = append(plain, pool.MeetingLoad{MeetingID: "m" + strconv.Itoa(i), InternalID: "i" + strconv.Itoa(i)})
	}
	b.observe("s1", plain)
	b.observe("s1", nil)
	if len(b.past) != 0 {
		t.Fatalf("%d parents remembered of meetings without breakout rooms", len(b.past))
	}
	for i := range maxRememberedParents + 10 {
		id := strconv.Itoa(i)
		b.observe("s1", []pool.MeetingLoad{
			{MeetingID: "uni-a~p" + id, InternalID: "pi" + id},
			{MeetingID: "room" + id, Breakout: true, ParentID: "pi" + id},
		})
	}
	if len(b.past) != maxRememberedParents || len(b.order) != maxRememberedParents {
		t.Fatalf("%d parents remembered (%d in order), want %d", len(b.past), len(b.order), maxRememberedParents)
	}
	if _, ok := b.pastParent("pi0"); ok {
		t.Error("the oldest parent is still remembered")
	}
	last := strconv.Itoa(maxRememberedParents + 9)
	if id, ok := b.pastParent("pi" + last); !ok || id != "uni-a~p"+last {
		t.Errorf("the newest parent: %q %v", id, ok)
	}
	b.prune(func(string) bool { return false })
	if len(b.servers) != 0 {
		t.Errorf("%d servers kept after they left the pool", len(b.servers))
	}
}

// TestBreakoutIndexFollowsTheSlice: the index is rebuilt when a server's
// poll hands over another slice, and kept when it hands over the same one
// again (an unchanged answer, pool/poll_answers.go).
func TestBreakoutIndexFollowsTheSlice(t *testing.T) {
	var b breakouts
	first := []pool.MeetingLoad{
		{MeetingID: "parent", InternalID: "pi"},
		{MeetingID: "room", Breakout: true, ParentID: "pi"},
	}
	b.observe("s1", first)
	before := b.servers["s1"]
	b.observe("s1", first)
	if after := b.servers["s1"]; !after.of(first) || len(after.rooms) != 1 {
		t.Fatalf("the same slice again: %+v", after)
	}
	if sid, parent, ok := b.room("room"); !ok || sid != "s1" || parent != "parent" {
		t.Fatalf("room: %q %q %v", sid, parent, ok)
	}
	// The same length, other contents: a new slice is read anew.
	second := []pool.MeetingLoad{
		{MeetingID: "parent", InternalID: "pi"},
		{MeetingID: "other", InternalID: "oi"},
	}
	b.observe("s1", second)
	if _, _, ok := b.room("room"); ok {
		t.Error("a room of the old slice is still known")
	}
	if sid, id, ok := b.parent("oi"); !ok || sid != "s1" || id != "other" {
		t.Errorf("parent of the new slice: %q %q %v", sid, id, ok)
	}
	if len(before.rooms) != 1 {
		t.Error("the rooms read before were changed in place")
	}
}
