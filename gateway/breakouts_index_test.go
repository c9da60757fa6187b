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
