package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/internal/testredis"
)

// tryCall makes a signed GET and returns the parsed answer, or nil when
// tinyscale did not answer with BBB XML (it was killed, say).
func tryCall(base, call string, v url.Values) *bbb.Reply {
	res, err := noRedirects.Get(signed(base, call, v, clientSecret))
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil
	}
	r, err := bbb.ParseReply(body, nil)
	if err != nil {
		return nil
	}
	return r
}

// joinTarget returns the host a join for the meeting is redirected to.
func joinTarget(t *testing.T, base, id string) string {
	t.Helper()
	status, loc, body := get(t, signed(base, "join", url.Values{"meetingID": {id}, "fullName": {"Ada"}, "role": {"VIEWER"}}, clientSecret))
	if status != http.StatusFound {
		return "no redirect: " + body
	}
	u, _ := url.Parse(loc)
	return u.Host
}

func holderOf(fakes []*bbbfake.Server, id string) *bbbfake.Server {
	for _, f := range fakes {
		if f.HasMeeting(id) {
			return f
		}
	}
	return nil
}

// TestCreatesSurviveKill9 kills tinyscale with SIGKILL in the middle of a
// burst of creates, starts it again, and checks that every create that got
// its SUCCESS routes to its server before any poll. To prove the placement
// came from the state file and not from the startup check's adoption of
// running meetings, each meeting is then also started on the other server:
// only the stored placement says which one is right.
func TestCreatesSurviveKill9(t *testing.T) {
	fakes := []*bbbfake.Server{fake(t, "secret-a"), fake(t, "secret-b")}
	dir := writeServers(t, entry(fakes[0]), entry(fakes[1]))
	port := freePort(t)
	env := []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port, "TINYSCALE_POLL_INTERVAL=1h", "TINYSCALE_LOG_LEVEL=warn"}
	base := "http://127.0.0.1:" + port + "/bigbluebutton/api"
	p := start(t, dir, env)
	p.WaitReady(t, "http://127.0.0.1:"+port+"/readyz")

	var mu sync.Mutex
	acked := map[string]*bbbfake.Server{}
	enough := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				id := fmt.Sprintf("burst-%d-%d", g, i)
				r := tryCall(base, "create", url.Values{"meetingID": {id}, "name": {"Burst"}})
				if r == nil {
					return // killed
				}
				if r.OK() {
					mu.Lock()
					acked[id] = holderOf(fakes, id)
					if len(acked) >= 40 {
						once.Do(func() { close(enough) })
					}
					mu.Unlock()
				}
			}
		}()
	}
	<-enough
	p.Cmd.Process.Kill() // SIGKILL, creates still under way
	<-p.Done()
	wg.Wait()

	for id, holder := range acked {
		if holder == nil {
			t.Fatalf("acknowledged meeting %s runs nowhere", id)
		}
		for _, f := range fakes {
			if f != holder {
				f.Client().Get(t.Context(), "create", "meetingID="+url.QueryEscape(id)+"&name=Copy")
			}
		}
	}
	p2 := start(t, dir, env)
	p2.WaitReady(t, "http://127.0.0.1:"+port+"/readyz")
	for id, holder := range acked {
		if got := joinTarget(t, base, id); got != holder.Addr() {
			t.Errorf("%s: join goes to %s after the restart, want %s", id, got, holder.Addr())
		}
	}
	t.Logf("%d acknowledged creates before SIGKILL, all routed after the restart", len(acked))
}

// TestTwoInstancesShareRedis runs two tinyscale processes on one Redis:
// creates through one and joins through the other, concurrent creates of
// one meeting across both, a burst split over both, and Redis restarted
// under traffic.
func TestTwoInstancesShareRedis(t *testing.T) {
	rs := testredis.Start(t)
	fakes := []*bbbfake.Server{fake(t, "secret-a"), fake(t, "secret-b")}
	dir := writeServers(t, entry(fakes[0]), entry(fakes[1]))
	var bases []string
	for range 2 {
		port := freePort(t)
		p := start(t, dir, []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port, "TINYSCALE_REDIS_URL=" + rs.URL(),
			"TINYSCALE_POLL_INTERVAL=1h", "TINYSCALE_LOG_LEVEL=warn"})
		p.WaitReady(t, "http://127.0.0.1:"+port+"/readyz")
		bases = append(bases, "http://127.0.0.1:"+port+"/bigbluebutton/api")
	}
	a, b := bases[0], bases[1]

	getOK(t, signed(a, "create", url.Values{"meetingID": {"shared-room"}, "name": {"Shared"}}, clientSecret))
	holder := holderOf(fakes, "shared-room")
	waitFor(t, "instance B to route a meeting created through A", func() bool {
		return joinTarget(t, b, "shared-room") == holder.Addr()
	})

	// Concurrent creates of one meeting through both instances: one server.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tryCall(bases[i%2], "create", url.Values{"meetingID": {"contested"}, "name": {"Contested"}})
		}()
	}
	wg.Wait()
	n := 0
	for _, f := range fakes {
		if f.HasMeeting("contested") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("contested meeting runs on %d servers, want 1", n)
	}

	// A burst split over the two instances spreads as on one: each
	// instance counts the other's new meetings at once.
	before := []int{len(fakes[0].Meetings()), len(fakes[1].Meetings())}
	for i := range 20 {
		getOK(t, signed(bases[i%2], "create", url.Values{"meetingID": {fmt.Sprintf("split-%d", i)}, "name": {"Split"}}, clientSecret))
	}
	for i, f := range fakes {
		if got := len(f.Meetings()) - before[i]; got < 8 || got > 12 {
			t.Errorf("server %s took %d of 20 meetings created through two instances", f.Addr(), got)
		}
	}

	// Redis goes away: joins go on from memory, creates are refused with a
	// BBB error rather than risk a split meeting.
	rs.Stop()
	if got := joinTarget(t, a, "shared-room"); got != holder.Addr() {
		t.Fatalf("join with Redis down: %s", got)
	}
	r := tryCall(a, "create", url.Values{"meetingID": {"during-outage"}, "name": {"Outage"}})
	if r == nil || r.OK() || r.MessageKey != "internalError" {
		t.Fatalf("create with Redis down: %+v", r)
	}
	// Redis comes back (empty: no persistence): the instances recover.
	again, err := testredis.Launch(rs.Port, rs.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(again.Stop)
	waitFor(t, "creates to work again after Redis came back", func() bool {
		r := tryCall(b, "create", url.Values{"meetingID": {"after-outage"}, "name": {"After"}})
		return r != nil && r.OK()
	})
	if got := joinTarget(t, b, "shared-room"); got != holder.Addr() {
		t.Fatalf("join after Redis came back: %s", got)
	}
}
