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
	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
)

// onlyOn makes the cluster's next fresh placement pick f: every other
// server is cordoned until the returned function gives them back.
func (c *cluster) onlyOn(f *bbbfake.Server) func() {
	var cordoned []*pool.Server
	for _, s := range c.pool.All() {
		if s.ID != f.Addr() {
			s.SetAdmin(pool.Cordoned)
			cordoned = append(cordoned, s)
		}
	}
	return func() {
		for _, s := range cordoned {
			s.SetAdmin(pool.Enabled)
		}
	}
}

// TestUncertainCreateKeepsItsServer: a create that timed out, or whose
// connection dropped after BBB created the meeting, may have created it:
// the client gets a clear error, the placement stays, and the client's
// retry goes to the same server although a fresh placement would pick the
// other one. The meeting never runs on two servers.
func TestUncertainCreateKeepsItsServer(t *testing.T) {
	for _, mode := range []bbbfake.Mode{bbbfake.ModeHangAfter, bbbfake.ModeResetAfter} {
		t.Run(mode.String(), func(t *testing.T) {
			c := newCluster(t, 2, func(cfg *gateway.Config) { cfg.CreateTimeout = 300 * time.Millisecond })
			a := c.fakes[0]
			a.SetCallMode(bbb.CallCreate, mode)
			back := c.onlyOn(a)
			start := time.Now()
			r := c.call("create", url.Values{"meetingID": {"room"}, "name": {"Room"}})
			took := time.Since(start)
			back()
			wantKey(t, r, "FAILED", "internalError")
			if !a.HasMeeting("room") {
				t.Fatal("the fake did not create the meeting: the test proves nothing")
			}
			if mode == bbbfake.ModeHangAfter && took > 2*time.Second {
				t.Errorf("a hanging create answered after %v, want about the create timeout", took)
			}
			if sid, ok := c.store.Lookup("default", "room"); !ok || sid != a.Addr() {
				t.Fatalf("placement after an uncertain create: %q %v, want %s", sid, ok, a.Addr())
			}
			// A fresh placement would now pick the other server: a has a
			// meeting (its reservation), the other none.
			a.SetCallMode(bbb.CallCreate, bbbfake.ModeNormal)
			r = c.call("create", url.Values{"meetingID": {"room"}, "name": {"Room"}})
			if !r.OK() {
				t.Fatalf("retry: %s %s", r.MessageKey, r.Message)
			}
			if h := c.holder("room"); h != a {
				t.Errorf("retry went to %s, want %s", h.Addr(), a.Addr())
			}
		})
	}
}

// TestCreateMovesOnlyWhenCertain: a create goes on to another server only
// when the first certainly does not have the meeting: it refused the
// connection, answered BBB's FAILED, or answered an error page and then
// BBB's notFound for the meeting. A cut-off answer (BBB got as far as
// answering) keeps the placement.
func TestCreateMovesOnlyWhenCertain(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(f *bbbfake.Server)
		moved  bool
	}{
		{"connection refused", func(f *bbbfake.Server) { f.Close() }, true},
		{"HTML 500, then notFound", func(f *bbbfake.Server) { f.SetCallMode(bbb.CallCreate, bbbfake.ModeHTTPError) }, true},
		{"HTML 500 everywhere", func(f *bbbfake.Server) { f.SetMode(bbbfake.ModeHTTPError) }, false},
		{"cut-off XML", func(f *bbbfake.Server) { f.SetCallMode(bbb.CallCreate, bbbfake.ModeGarbage) }, false},
		{"FAILED internalError", func(f *bbbfake.Server) { f.SetCallMode(bbb.CallCreate, bbbfake.ModeFailed) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, 2)
			a, b := c.fakes[0], c.fakes[1]
			tt.break_(a)
			// a is preferred: b holds load.
			c.pool.Get(b.Addr()).Apply(pool.Reservation{ServerID: b.Addr(), MeetingID: "load", Expected: 100, At: time.Now()})
			r := c.call("create", url.Values{"meetingID": {"mm"}, "name": {"Meeting"}})
			sid, placed := c.store.Lookup("default", "mm")
			if tt.moved {
				if !r.OK() || !b.HasMeeting("mm") || sid != b.Addr() {
					t.Fatalf("not moved to the other server: %s %s, placed on %q", r.MessageKey, r.Message, sid)
				}
				return
			}
			wantKey(t, r, "FAILED", "internalError")
			if b.HasMeeting("mm") {
				t.Fatal("moved to the other server although the first may have the meeting")
			}
			if !placed || sid != a.Addr() {
				t.Fatalf("placement %q %v, want it kept on %s", sid, placed, a.Addr())
			}
		})
	}
}

// TestFailingCreatesDoNotAttractMeetings: a server whose creates fail
// while its polls succeed gets no new meetings once its breaker opens.
// Before passive health it got almost all of them (a failed create adds no
// load): 28 of 30 failed with 3 servers.
func TestFailingCreatesDoNotAttractMeetings(t *testing.T) {
	tests := []struct {
		mode      bbbfake.Mode
		maxFailed int
	}{
		{bbbfake.ModeHTTPError, 0}, // moved after BBB's notFound
		{bbbfake.ModeFailed, 0},    // moved: BBB's FAILED is certain
		{bbbfake.ModeGarbage, 2},   // uncertain: the breaker opens after 2
		{bbbfake.ModeHang, 1},      // uncertain: a timeout opens it at once
		{bbbfake.ModeResetAfter, 2},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			c := newCluster(t, 3, func(cfg *gateway.Config) { cfg.CreateTimeout = 200 * time.Millisecond })
			bad := c.fakes[0]
			bad.SetCallMode(bbb.CallCreate, tt.mode)
			failed := 0
			for i := range 30 {
				r := c.call("create", url.Values{"meetingID": {fmt.Sprintf("m%d", i)}, "name": {"Meeting"}})
				if !r.OK() {
					failed++
				}
				c.poll() // polls succeed all along
			}
			t.Logf("%s: %d of 30 creates failed", tt.mode, failed)
			if failed > tt.maxFailed {
				t.Errorf("%d of 30 creates failed, want at most %d", failed, tt.maxFailed)
			}
			if st := c.pool.Get(bad.Addr()).Passive(); tt.maxFailed > 0 && !st.Open {
				t.Errorf("breaker of the failing server is closed: %+v", st)
			}
			for i := range 30 {
				id := fmt.Sprintf("m%d", i)
				n := 0
				for _, f := range c.fakes {
					if f.HasMeeting(id) {
						n++
					}
				}
				if n > 1 {
					t.Errorf("meeting %s runs on %d servers", id, n)
				}
			}
		})
	}
}

// TestHangingServerCostsOneCreate: a server that accepts connections and
// never answers costs one user the create timeout; creates sent meanwhile
// go elsewhere at once (a create stalled for StallAfter stops placement
// there), and the next ones too (the breaker is open).
func TestHangingServerCostsOneCreate(t *testing.T) {
	c := newCluster(t, 2, func(cfg *gateway.Config) { cfg.CreateTimeout = time.Second })
	bad, good := c.fakes[0], c.fakes[1]
	for _, s := range c.pool.All() {
		s.SetBreakerPolicy(pool.BreakerPolicy{Failures: 2, Cooldown: time.Minute, MaxCooldown: time.Minute, MaxInFlight: 16, StallAfter: 100 * time.Millisecond})
	}
	bad.SetCallMode(bbb.CallCreate, bbbfake.ModeHang)
	back := c.onlyOn(bad)
	first := make(chan *bbb.Reply)
	go func() { first <- c.call("create", url.Values{"meetingID": {"first"}, "name": {"Meeting"}}) }()
	for len(bad.Requests()) == 0 || c.pool.Get(bad.Addr()).Passive().InFlight == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	back()
	time.Sleep(150 * time.Millisecond) // the first create has stalled
	var slow time.Duration
	for i := range 5 {
		start := time.Now()
		r := c.call("create", url.Values{"meetingID": {fmt.Sprintf("next%d", i)}, "name": {"Meeting"}})
		slow = max(slow, time.Since(start))
		if !r.OK() || !good.HasMeeting(fmt.Sprintf("next%d", i)) {
			t.Errorf("create %d during the hang: %s, on the good server %v", i, r.MessageKey, good.HasMeeting(fmt.Sprintf("next%d", i)))
		}
	}
	wantKey(t, <-first, "FAILED", "internalError")
	for i := range 5 {
		r := c.call("create", url.Values{"meetingID": {fmt.Sprintf("after%d", i)}, "name": {"Meeting"}})
		if !r.OK() || !good.HasMeeting(fmt.Sprintf("after%d", i)) {
			t.Errorf("create %d after the timeout: %s", i, r.MessageKey)
		}
	}
	t.Logf("slowest create while a server hangs: %v", slow)
	if slow > 500*time.Millisecond {
		t.Errorf("a create waited %v while another server hung", slow)
	}
}

// heldClaims holds every claim until n claims wait or a while passes, so
// that creates meet between their limit check and their claim: the race a
// limit that counts only claimed meetings loses.
type heldClaims struct {
	state.Store
	mu      sync.Mutex
	n       int
	release chan struct{}
}

func (h *heldClaims) Claim(m state.Meeting, prev string) (string, error) {
	h.mu.Lock()
	if h.n--; h.n == 0 {
		close(h.release)
	}
	h.mu.Unlock()
	select {
	case <-h.release:
	case <-time.After(300 * time.Millisecond):
	}
	return h.Store.Claim(m, prev)
}

// TestMaxMeetingsUnderConcurrency: 40 creates at once against a limit of
// 5 run 5 meetings, not 40, even when they all get between the limit
// check and the claim at once.
func TestMaxMeetingsUnderConcurrency(t *testing.T) {
	limited := uniA
	limited.Policy = tenant.Policy{MaxMeetings: 5}
	c := tenantCluster(t, 2, limited)
	held := &heldClaims{Store: c.store, n: 40, release: make(chan struct{})}
	c.gw = gateway.New(c.cfg, c.pool, held)
	a := client{c: c, secret: "uni-a-secret-1", host: "bbb.uni-a.example"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := a.call("create", url.Values{"meetingID": {fmt.Sprintf("c%d", i)}, "name": {"Meeting"}})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case r.OK():
				ok++
			case r.MessageKey != "maxConcurrentMeetings":
				t.Errorf("create %d: %s %s", i, r.MessageKey, r.Message)
			}
		}()
	}
	wg.Wait()
	running := 0
	for _, f := range c.fakes {
		running += len(f.Meetings())
	}
	t.Logf("40 creates with a limit of 5: %d succeeded, %d run", ok, running)
	if ok != 5 || running != 5 {
		t.Errorf("%d creates succeeded and %d meetings run, want 5 and 5", ok, running)
	}
}

// stallingStore is a state store on a stalled disk: every write waits
// until the test lets it go.
type stallingStore struct {
	state.Store
	stall chan struct{}
}

func (s *stallingStore) Claim(m state.Meeting, prev string) (string, error) {
	<-s.stall
	return s.Store.Claim(m, prev)
}

// TestStalledStoreDoesNotHangCreates: with the store's writes stalled, a
// create answers a clear internalError after the state timeout, and
// creates work again once the store does.
func TestStalledStoreDoesNotHangCreates(t *testing.T) {
	c := newCluster(t, 1)
	st := &stallingStore{Store: c.store, stall: make(chan struct{})}
	c.gw = gateway.New(gateway.Config{Secrets: []string{testSecret}, RequestTimeout: 2 * time.Second, StateTimeout: 200 * time.Millisecond}, c.pool, st)
	start := time.Now()
	r := c.call("create", url.Values{"meetingID": {"stalled"}, "name": {"Meeting"}})
	took := time.Since(start)
	wantKey(t, r, "FAILED", "internalError")
	if took > time.Second {
		t.Errorf("create on a stalled store answered after %v", took)
	}
	if c.fakes[0].HasMeeting("stalled") {
		t.Error("meeting created although its placement could not be stored")
	}
	close(st.stall)
	if r := c.call("create", url.Values{"meetingID": {"later"}, "name": {"Meeting"}}); !r.OK() {
		t.Errorf("create once the store is back: %s %s", r.MessageKey, r.Message)
	}
}

// TestCreatesWaitForTheServersAfterStateLoss: after the store lost
// placements, a create of a meeting it no longer knows waits for the next
// poll round, which adopts the meeting where it runs; without that round
// it would be placed anew, on another server.
func TestCreatesWaitForTheServersAfterStateLoss(t *testing.T) {
	c := newCluster(t, 2)
	a, b := c.fakes[0], c.fakes[1]
	back := c.onlyOn(a)
	c.create("lost")
	back()
	c.poll()
	// The store loses the placement; a fresh placement would pick b.
	c.store.Release("default", "lost", a.Addr())
	c.pool.Get(a.Addr()).Apply(pool.Reservation{ServerID: a.Addr(), MeetingID: "load", Expected: 100, At: time.Now()})
	polled := make(chan struct{})
	c.reconfigure(func(cfg *gateway.Config) {
		cfg.Repoll = func() {
			go func() {
				time.Sleep(100 * time.Millisecond) // the create is waiting by now
				c.poll()
				close(polled)
			}()
		}
	})
	c.gw.StateLost()
	r := c.call("create", url.Values{"meetingID": {"lost"}, "name": {"Room lost"}})
	<-polled
	if !r.OK() {
		t.Fatalf("create after the loss: %s %s", r.MessageKey, r.Message)
	}
	if b.HasMeeting("lost") {
		t.Fatal("the meeting was placed anew on another server: it runs twice")
	}
	if sid, _ := c.store.Lookup("default", "lost"); sid != a.Addr() {
		t.Errorf("placement after relearning: %q, want %s", sid, a.Addr())
	}
}
