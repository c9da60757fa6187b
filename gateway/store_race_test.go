package gateway_test

import (
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/gateway"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
)

// gatedStore holds the first n Lookups of one meeting until all n have
// arrived, so that n creates of it are all between Lookup and Claim at
// once: the race TestConcurrentCreatesOfOneMeeting can only hope for.
type gatedStore struct {
	state.Store
	meetingID string
	mu        sync.Mutex
	waiting   int
	gate      chan struct{}
}

func newGatedStore(s state.Store, meetingID string, n int) *gatedStore {
	return &gatedStore{Store: s, meetingID: meetingID, waiting: n, gate: make(chan struct{})}
}

// Lookup looks first and then waits: every held create has its answer
// (the meeting is free) before any of them goes on to claim.
func (g *gatedStore) Lookup(tenant, meetingID string) (string, bool) {
	id, ok := g.Store.Lookup(tenant, meetingID)
	if meetingID == g.meetingID {
		g.mu.Lock()
		held := g.waiting > 0
		if held {
			g.waiting--
			if g.waiting == 0 {
				close(g.gate)
			}
		}
		g.mu.Unlock()
		if held {
			select {
			case <-g.gate:
			case <-time.After(10 * time.Second): // a create that never came: the test fails below
			}
		}
	}
	return id, ok
}

// TestConcurrentCreatesRaceBetweenLookupAndClaim: two creates of one
// meeting both find it unplaced; the pool, counting the first's
// reservation, gives the second the other server; both claim. Exactly one
// claim wins, and both creates must go to the winner's server: the loser's
// pick never sees the meeting and its reservation is dropped.
func TestConcurrentCreatesRaceBetweenLookupAndClaim(t *testing.T) {
	c := newCluster(t, 2)
	c.gw = gateway.New(c.cfg, c.pool, newGatedStore(c.store, "raced-room", 2))
	var wg sync.WaitGroup
	replies := make([]*bbb.Reply, 2)
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, body := c.get(signed("create", url.Values{"meetingID": {"raced-room"}, "name": {"Raced"}}))
			r, err := bbb.ParseReply([]byte(body), nil)
			if err != nil || res.StatusCode != 200 {
				t.Errorf("create: HTTP %d %v: %s", res.StatusCode, err, body)
				return
			}
			replies[i] = r
		}()
	}
	wg.Wait()
	for _, r := range replies {
		if r != nil && !r.OK() {
			t.Errorf("a create answered %s %s", r.MessageKey, r.Message)
		}
	}
	holder := c.holder("raced-room") // fails if the meeting runs on two servers
	owner, ok := c.store.Lookup("default", "raced-room")
	if !ok || owner != holder.Addr() {
		t.Fatalf("placement %q (%v), but the meeting runs on %s", owner, ok, holder.Addr())
	}
	var other *bbbfake.Server
	for _, f := range c.fakes {
		if f != holder {
			other = f
		}
	}
	if n := other.CountCalls("create"); n != 0 {
		t.Errorf("the losing pick %s got %d creates", other.Addr(), n)
	}
	// Both servers were picked (the race was real), and the loser's
	// reservation is gone: its load is zero again before any poll.
	if l := c.pool.Get(other.Addr()).Load(c.pool.Model, time.Now()); l != 0 {
		t.Errorf("the losing pick still counts the meeting: load %v", l)
	}
	if n := holder.CountCalls("create"); n != 2 {
		t.Errorf("the holder got %d creates, want both", n)
	}
}

// TestReconcileKeepsYoungPlacements: a placement made after a poll round
// went out (here by another instance sharing the store, so this one has no
// create under way to protect it) is not proof of anything when that round
// does not list the meeting: it must be kept. An old placement missing from
// its answering server's list has ended and is dropped.
func TestReconcileKeepsYoungPlacements(t *testing.T) {
	c := newCluster(t, 1)
	sid := c.fakes[0].Addr()
	started := time.Now()
	old := state.Meeting{Tenant: "default", MeetingID: "old-room", ServerID: sid, CreatedAt: started.Add(-time.Minute)}
	young := state.Meeting{Tenant: "default", MeetingID: "young-room", ServerID: sid, CreatedAt: started.Add(time.Millisecond)}
	for _, m := range []state.Meeting{old, young} {
		if _, err := c.store.Claim(m, ""); err != nil {
			t.Fatal(err)
		}
	}
	c.gw.Reconcile(pool.Round{Started: started, Meetings: map[string][]pool.MeetingLoad{sid: {}}})
	if _, ok := c.store.Lookup("default", "young-room"); !ok {
		t.Error("a placement younger than the poll round was dropped")
	}
	if _, ok := c.store.Lookup("default", "old-room"); ok {
		t.Error("an old placement its server no longer runs was kept")
	}
}

// TestEndNotFoundForgetsPlacement: end of a meeting its server no longer
// knows (it ended there on its own) is answered notFound, and the
// placement goes: a create of that ID may then go anywhere. An end BBB
// confirms frees it too.
func TestEndNotFoundForgetsPlacement(t *testing.T) {
	c := newCluster(t, 2)
	for _, tc := range []struct {
		id      string
		vanish  bool
		wantKey string
	}{
		{"vanished-room", true, "notFound"},
		{"ended-room", false, "sentEndMeetingRequest"},
	} {
		holder := c.create(tc.id)
		if tc.vanish && !holder.EndMeeting(tc.id) {
			t.Fatalf("%s: the fake did not end it", tc.id)
		}
		r := c.call("end", url.Values{"meetingID": {tc.id}})
		if r.MessageKey != tc.wantKey {
			t.Fatalf("%s: end answered %s/%s, want %s", tc.id, r.ReturnCode, r.MessageKey, tc.wantKey)
		}
		if s, ok := c.store.Lookup("default", tc.id); ok {
			t.Errorf("%s: end answered %s but the placement on %s stays", tc.id, r.MessageKey, s)
		}
	}
}
