package gateway_test

import (
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/gateway"
	"github.com/tinyscale/tinyscale/pool"
)

func spread(c *cluster) map[*bbbfake.Server]int {
	out := map[*bbbfake.Server]int{}
	for _, f := range c.fakes {
		out[f] = len(f.Meetings())
	}
	return out
}

func TestBurstOfCreatesSpreads(t *testing.T) {
	// 20 creates at once on 2 idle equal servers, no poll in between:
	// Scalelite puts them all on one server.
	c := newCluster(t, 2)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.call("create", url.Values{"meetingID": {fmt.Sprintf("burst-%d", i)}, "name": {"Burst"}})
		}()
	}
	wg.Wait()
	for f, n := range spread(c) {
		if n < 9 || n > 11 {
			t.Fatalf("server %s got %d of 20 meetings: %v", f.Addr(), n, spread(c))
		}
	}
}

func TestNewMeetingsAvoidLoadedServer(t *testing.T) {
	c := newCluster(t, 2)
	busy := c.create("lecture")
	busy.AddUsers("lecture", 100, true, true)
	c.poll()
	for i := range 4 {
		if f := c.create(fmt.Sprintf("small-%d", i)); f == busy {
			t.Fatalf("meeting %d placed on the server with 100 users", i)
		}
	}
}

func TestServerKilledAndBack(t *testing.T) {
	c := newCluster(t, 2)
	victim := c.create("room-on-victim")
	other := c.fakes[0]
	if other == victim {
		other = c.fakes[1]
	}
	victim.Close()
	c.poll()
	c.poll()
	if c.pool.Get(victim.Addr()).Online() {
		t.Fatal("two failed polls did not take the server offline")
	}
	// Its meeting is not running as far as clients can tell; join finds nothing.
	r := c.call("isMeetingRunning", url.Values{"meetingID": {"room-on-victim"}})
	if r.Get("running") != "false" {
		t.Fatal("meeting on a dead server reported running")
	}
	r = c.call("join", url.Values{"meetingID": {"room-on-victim"}, "fullName": {"A"}, "role": {"VIEWER"}, "redirect": {"false"}})
	wantKey(t, r, bbb.Failed, "notFound")
	// New meetings and the re-create go to the live server.
	if f := c.create("fresh"); f != other {
		t.Fatal("new meeting placed on the dead server")
	}
	r = c.call("create", url.Values{"meetingID": {"room-on-victim"}, "name": {"Again"}})
	wantKey(t, r, bbb.Success, "")
	if !other.HasMeeting("room-on-victim") {
		t.Fatal("re-create did not move to the live server")
	}
	// The victim comes back still holding the old meeting: the placement
	// wins, the conflict is counted, nothing is routed to the old server.
	if err := victim.Restart(); err != nil {
		t.Fatal(err)
	}
	c.poll()
	c.poll()
	if !c.pool.Get(victim.Addr()).Online() {
		t.Fatal("two good polls did not bring the server back")
	}
	if c.gw.Conflicts() == 0 {
		t.Fatal("the stale copy on the returning server was not counted as a conflict")
	}
	res, _ := c.get(signed("join", url.Values{"meetingID": {"room-on-victim"}, "fullName": {"A"}, "role": {"VIEWER"}}))
	if loc, _ := url.Parse(res.Header.Get("Location")); loc == nil || loc.Host != other.Addr() {
		t.Fatalf("join routed to %v, want the placement %s", res.Header.Get("Location"), other.Addr())
	}
}

func TestCordonDisablePanicStates(t *testing.T) {
	c := newCluster(t, 2)
	a := c.create("a-room")
	sa := c.pool.Get(a.Addr())
	sa.SetAdmin(pool.Cordoned)
	for i := range 3 {
		if f := c.create(fmt.Sprintf("n%d", i)); f == a {
			t.Fatal("a cordoned server took a new meeting")
		}
	}
	// Running meetings go on: joins still reach the cordoned server.
	res, _ := c.get(signed("join", url.Values{"meetingID": {"a-room"}, "fullName": {"A"}, "role": {"VIEWER"}}))
	if loc, _ := url.Parse(res.Header.Get("Location")); res.StatusCode != 302 || loc.Host != a.Addr() {
		t.Fatalf("join to a cordoned server's meeting: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	// Once empty, a cordoned server becomes disabled.
	a.EndMeeting("a-room")
	c.poll()
	if sa.Admin() != pool.Disabled {
		t.Fatalf("empty cordoned server is %s, want disabled", sa.Admin())
	}
	if _, ok := c.store.Lookup("default", "a-room"); ok {
		t.Fatal("the poll did not drop the placement of the ended meeting")
	}
	// Disabled: no joins either.
	b := c.create("b-room")
	c.pool.Get(b.Addr()).SetAdmin(pool.Disabled)
	r := c.call("join", url.Values{"meetingID": {"b-room"}, "fullName": {"A"}, "role": {"VIEWER"}, "redirect": {"false"}})
	wantKey(t, r, bbb.Failed, "notFound")
	r = c.call("create", url.Values{"meetingID": {"c-room"}, "name": {"C"}})
	wantKey(t, r, bbb.Failed, "internalError")
}

func TestServerTagsOnCreate(t *testing.T) {
	c := newCluster(t, 3)
	gpu := c.pool.Get(c.fakes[2].Addr())
	gpu.Tags = []string{"gpu"}
	r := c.call("create", url.Values{"meetingID": {"tagged"}, "name": {"Tagged"}, "meta_server-tag": {"gpu!"}})
	wantKey(t, r, bbb.Success, "")
	if !c.fakes[2].HasMeeting("tagged") {
		t.Fatal("required tag not honoured")
	}
	gpu.MarkOffline("test")
	r = c.call("create", url.Values{"meetingID": {"tagged-2"}, "name": {"Tagged"}, "meta_server-tag": {"gpu!"}})
	wantKey(t, r, bbb.Failed, "serverTagUnavailable")
	r = c.call("create", url.Values{"meetingID": {"tagged-3"}, "name": {"Tagged"}, "meta_server-tag": {"gpu"}})
	wantKey(t, r, bbb.Success, "")
}

func TestPollAdoptsAndForgets(t *testing.T) {
	c := newCluster(t, 2, func(cfg *gateway.Config) {})
	// A meeting that runs without tinyscale having placed it (a restart
	// lost the placements) is adopted by the next poll.
	f := c.fakes[1]
	res, err := f.Client().Get(t.Context(), "create", "meetingID=adopted&name=Adopted")
	if err != nil || res.Status != 200 {
		t.Fatal(err)
	}
	c.poll()
	res2, _ := c.get(signed("join", url.Values{"meetingID": {"adopted"}, "fullName": {"A"}, "role": {"VIEWER"}}))
	if loc, _ := url.Parse(res2.Header.Get("Location")); res2.StatusCode != 302 || loc.Host != f.Addr() {
		t.Fatalf("adopted meeting not routed: %d %s", res2.StatusCode, res2.Header.Get("Location"))
	}
	// A meeting that ended on its own is forgotten by the next poll.
	f.EndMeeting("adopted")
	c.poll()
	if _, ok := c.store.Lookup("default", "adopted"); ok {
		t.Fatal("placement kept after the meeting ended")
	}
}

func TestPlacementsOfVanishedServersExpire(t *testing.T) {
	c := newCluster(t, 2)
	gone := c.create("orphan")
	stay := c.create("kept")
	if gone == stay {
		t.Fatal("two creates on two idle servers landed on one: reservations not counted")
	}
	gone.Close()
	old := time.Now().Add(-gateway.PlacementExpiry - time.Hour)
	for _, id := range []string{"orphan", "kept"} {
		m, _ := c.store.Get("default", id)
		m.CreatedAt = old
		c.store.Put(m)
	}
	c.poll()
	if _, ok := c.store.Lookup("default", "orphan"); ok {
		t.Error("a week-old placement on a server that no longer answers was kept")
	}
	if _, ok := c.store.Lookup("default", "kept"); !ok {
		t.Error("a long meeting on a live server was dropped")
	}
}
