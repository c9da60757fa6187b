package state

import (
	"fmt"
	"testing"
)

// TestRecordingOwnersBounded: however many recordings are seen, at most
// the cap of owners is kept; the most recently seen are, and one seen
// again survives every rotation. Owners loaded from a durable store are
// cut to the cap as well.
func TestRecordingOwnersBounded(t *testing.T) {
	m := NewMemory()
	m.ownersCap = 100
	for i := range 10_000 {
		m.SetRecordingOwner(fmt.Sprint("r", i), "s1")
		m.SetRecordingOwner("kept", "s2") // listed by every getRecordings
	}
	if n := len(m.Recordings()); n > 100 {
		t.Fatalf("%d owners kept, cap 100", n)
	}
	if s, ok := m.RecordingOwner("kept"); !ok || s != "s2" {
		t.Fatalf("the owner set again was dropped: %q %v", s, ok)
	}
	if s, ok := m.RecordingOwner("r9999"); !ok || s != "s1" {
		t.Fatalf("the newest owner was dropped: %q %v", s, ok)
	}
	if _, ok := m.RecordingOwner("r0"); ok {
		t.Fatal("the oldest owner is still kept")
	}
	// An owner changed moves with its recording.
	m.SetRecordingOwner("r9999", "s3")
	if s, _ := m.RecordingOwner("r9999"); s != "s3" {
		t.Fatalf("owner after a move: %q", s)
	}

	loaded := map[string]string{}
	for i := range 1000 {
		loaded[fmt.Sprint("l", i)] = "s1"
	}
	m.replace(snapshot{recordings: loaded})
	m.SetRecordingOwner("after", "s1")
	if n := len(m.Recordings()); n > 100 {
		t.Fatalf("%d owners after loading 1000, cap 100", n)
	}
}
