package bbbfake

import (
	"io"
	"sync"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
)

// TestConcurrentCreates: racing creates of one ID make one meeting, and
// snapshots taken meanwhile are safe under -race.
func TestConcurrentCreates(t *testing.T) {
	s := startTest(t)
	var wg sync.WaitGroup
	ids := make([]string, 16)
	for i := range ids {
		wg.Add(2)
		go func() {
			defer wg.Done()
			// No t.Fatal off the test goroutine: fetch and parse by hand.
			res, err := noFollow.Get(signed(s, bbb.CallCreate, q("meetingID", "race", "name", "Race")))
			if err != nil {
				t.Errorf("create %d: %v", i, err)
				return
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			r, err := bbb.ParseReply(body, nil)
			if err != nil || r.ReturnCode != bbb.Success {
				t.Errorf("create %d: %s", i, body)
				return
			}
			ids[i] = r.Get("internalMeetingID")
			s.AddAttendee("race", "u", "VIEWER")
		}()
		go func() {
			defer wg.Done()
			for _, m := range s.Meetings() {
				m.Metadata["x"] = "y"
			}
			s.Requests()
			s.Recordings()
			s.Hooks()
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] || id == "" {
			t.Fatalf("internal IDs differ: %q", ids)
		}
	}
	if m := s.Meetings(); len(m) != 1 || m[0].Participants != 16 {
		t.Fatalf("meetings %+v", m)
	}
}
