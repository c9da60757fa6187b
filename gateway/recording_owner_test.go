package gateway_test

import (
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/gateway"
	"github.com/tinyscale/tinyscale/state"
)

// ownerWrites counts the recording owners written to a real store.
type ownerWrites struct {
	state.Store
	n atomic.Int64
}

func (o *ownerWrites) SetRecordingOwner(recordID, serverID string) error {
	o.n.Add(1)
	return o.Store.SetRecordingOwner(recordID, serverID)
}

// TestRecordingOwnersWrittenOnChange: a getRecordings notes where each
// recording lives, but writes only what changed; listing the same
// recordings again writes nothing (with Redis, a command per recording
// per call), and an owner that is wrong is corrected.
func TestRecordingOwnersWrittenOnChange(t *testing.T) {
	c := newCluster(t, 2)
	w := &ownerWrites{Store: c.store}
	c.gw = gateway.New(c.cfg, c.pool, w)
	for i, id := range []string{"rec-a", "rec-b", "rec-c"} {
		c.fakes[i%2].AddRecording(bbbfake.Recording{RecordID: id, MeetingID: "course", Name: "Course", State: "published", StartTime: int64(1000 * (i + 1))})
	}
	list := func() {
		t.Helper()
		_, body := c.get(signed("getRecordings", url.Values{"meetingID": {"course"}}))
		if ids, _ := recordIDs(t, body); len(ids) != 3 {
			t.Fatalf("listed %v", ids)
		}
	}
	list()
	if n := w.n.Load(); n != 3 {
		t.Fatalf("first list wrote %d owners, want 3", n)
	}
	list()
	if n := w.n.Load(); n != 3 {
		t.Fatalf("second list wrote %d more owners, want none", n-3)
	}
	c.store.SetRecordingOwner("rec-b", "gone-server")
	list()
	if s, _ := c.store.RecordingOwner("rec-b"); s != c.fakes[1].Addr() || w.n.Load() != 4 {
		t.Fatalf("a wrong owner: now %q after %d writes; want %q after 4", s, w.n.Load(), c.fakes[1].Addr())
	}
}
