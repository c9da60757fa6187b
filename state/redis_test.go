package state

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// propagation bounds how long an event may take to reach another instance.
const propagation = 2 * time.Second

func TestRedisTwoInstancesShare(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	a, b := openRedis(t, url, prefix), openRedis(t, url, prefix)

	claim(t, a, Meeting{Tenant: DefaultTenant, MeetingID: "m1", ServerID: "s1", Expected: 30}, "")
	waitFor(t, propagation, "B never saw A's claim", func() bool {
		sid, _ := b.Lookup(DefaultTenant, "m1")
		return sid == "s1"
	})
	if m, _ := b.Get(DefaultTenant, "m1"); m.Expected != 30 {
		t.Fatalf("B's copy lost fields: %+v", m)
	}
	if owner := claim(t, b, Meeting{Tenant: DefaultTenant, MeetingID: "m1", ServerID: "s2"}, ""); owner != "s1" {
		t.Fatalf("B claimed A's meeting: owner %q", owner)
	}
	must(t, b.Release(DefaultTenant, "m1", "s1"))
	waitFor(t, propagation, "A never saw B's release", func() bool {
		_, ok := a.Lookup(DefaultTenant, "m1")
		return !ok
	})
	must(t, a.SetRecordingOwner("r1", "s3"))
	must(t, a.SaveDoc("admin", []byte(`{"s3":"cordoned"}`)))
	waitFor(t, propagation, "B never saw A's recording and doc", func() bool {
		sid, _ := b.RecordingOwner("r1")
		d, _ := b.LoadDoc("admin")
		return sid == "s3" && string(d) == `{"s3":"cordoned"}`
	})
}

func TestRedisConcurrentClaimsAcrossInstances(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	a, b := openRedis(t, url, prefix), openRedis(t, url, prefix)
	owners := concurrentClaims(t, []Store{a, b}, "m1", 100)
	for i, o := range owners {
		if o != owners[0] {
			t.Fatalf("claim %d learnt %q, claim 0 learnt %q: the meeting split", i, o, owners[0])
		}
	}
	for _, s := range []*Redis{a, b} {
		waitFor(t, propagation, "an instance disagrees on the owner", func() bool {
			sid, _ := s.Lookup(DefaultTenant, "m1")
			return sid == owners[0]
		})
	}
}

func TestRedisReservationsGoToOthers(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	a, b := openRedis(t, url, prefix), openRedis(t, url, prefix)
	var sharer Sharer = a // Redis implements Sharer
	gotA, gotB := make(chan Reservation, 10), make(chan Reservation, 10)
	a.OnReservation(func(r Reservation) { gotA <- r })
	b.OnReservation(func(r Reservation) { gotB <- r })

	at := time.Now().Truncate(time.Millisecond).UTC()
	sent := Reservation{ServerID: "s1", MeetingID: "m1", Expected: 25, At: at}
	must(t, sharer.ShareReservation(sent))
	select {
	case r := <-gotB:
		if r.ServerID != "s1" || r.MeetingID != "m1" || r.Expected != 25 || !r.At.Equal(at) || r.Cancel {
			t.Fatalf("B got %+v, want %+v", r, sent)
		}
	case <-time.After(propagation):
		t.Fatal("B never got A's reservation")
	}
	// A's own reservation reached A's subscription before B's reply, so if
	// A had handed its own to its callback it would be first in gotA.
	must(t, b.ShareReservation(Reservation{ServerID: "s2", MeetingID: "m2", Cancel: true}))
	select {
	case r := <-gotA:
		if r.MeetingID != "m2" || !r.Cancel {
			t.Fatalf("A got %+v, want B's reservation of m2 (its own must not come back)", r)
		}
	case <-time.After(propagation):
		t.Fatal("A never got B's reservation")
	}
}

// TestRedisResyncCatchesMissedWrites writes behind the store's back, with
// neither event nor seq (a placement's TTL running out, a hand-made
// change): the full resync every fullResyncEvery intervals must catch it.
func TestRedisResyncCatchesMissedWrites(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	s := openRedis(t, url, prefix, WithResyncInterval(50*time.Millisecond))
	raw := rawClient(t, url)
	ctx := context.Background()
	// A first write through the store, so that Redis has the seq key and
	// the instance does not take it for a Redis that lost its data.
	must(t, s.SetRecordingOwner("r0", "s0"))
	must(t, raw.Set(ctx, s.meetingKey("t:1", "m1"), `{"tenant":"t:1","meeting_id":"m1","server":"s9"}`, 0).Err())
	must(t, raw.HSet(ctx, s.recordingsKey(), "r1", "s8").Err())
	waitFor(t, propagation, "the resync never loaded a write it had no event for", func() bool {
		sid, _ := s.Lookup("t:1", "m1")
		rid, _ := s.RecordingOwner("r1")
		return sid == "s9" && rid == "s8"
	})
	must(t, raw.Del(ctx, s.meetingKey("t:1", "m1")).Err())
	waitFor(t, propagation, "the resync kept a meeting Redis no longer holds", func() bool {
		_, ok := s.Lookup("t:1", "m1")
		return !ok
	})
}

// TestRedisCheckReloadsOnlyWhenBehind: the check of every interval costs
// a round trip, not a reload, while the instance applied every write; it
// reloads once a write's seq shows that an event never came, once an
// event it could not apply came, and once an event skipped a seq.
func TestRedisCheckReloadsOnlyWhenBehind(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	const interval = 50 * time.Millisecond
	s := openRedis(t, url, prefix, WithResyncInterval(interval),
		func(c *redisConfig) { c.fullEvery = 1 << 30 }) // no full resync but for a reason
	raw := rawClient(t, url)
	ctx := context.Background()
	must(t, s.SetRecordingOwner("r0", "s0"))
	resyncs := func() int {
		s.seqMu.Lock()
		defer s.seqMu.Unlock()
		return s.resyncs
	}
	behind := func(id string) {
		t.Helper()
		must(t, raw.Set(ctx, s.meetingKey(DefaultTenant, id), `{"tenant":"default","meeting_id":"`+id+`","server":"s9"}`, 0).Err())
	}
	seen := func(id string) bool { _, ok := s.Lookup(DefaultTenant, id); return ok }
	publish := func(seq int64, op, body string) {
		t.Helper()
		must(t, raw.Publish(ctx, s.channel(), strconv.FormatInt(seq, 10)+" other "+op+" "+body).Err())
	}

	n := resyncs()
	behind("unseen")
	time.Sleep(8 * interval)
	if got := resyncs(); got != n {
		t.Fatalf("%d resyncs while nothing changed the seq, want none", got-n)
	}
	if seen("unseen") {
		t.Fatal("a write with no seq was loaded: the check reloaded after all")
	}

	// A write whose event was lost: its seq is there, its event is not.
	behind("lost")
	must(t, raw.Incr(ctx, s.seqKey()).Err())
	waitFor(t, propagation, "the check never reloaded after a seq with no event", func() bool { return seen("lost") })

	// An event of a newer version, which this one cannot apply.
	waitFor(t, propagation, "the reload never ended", func() bool { return resyncs() > n })
	n = resyncs()
	behind("newer")
	seq, err := raw.Incr(ctx, s.seqKey()).Result()
	must(t, err)
	publish(seq, "future", "{}")
	waitFor(t, propagation, "the check never reloaded after an event it could not apply", func() bool { return seen("newer") })
	if resyncs() == n {
		t.Fatal("loaded without a resync")
	}

	// An event that skips a seq: the write between never came.
	n = resyncs()
	behind("skipped")
	must(t, raw.Incr(ctx, s.seqKey()).Err())
	seq, err = raw.Incr(ctx, s.seqKey()).Result()
	must(t, err)
	publish(seq, "release", `{"tenant":"default","meeting_id":"none","server":"s1"}`)
	waitFor(t, propagation, "the check never reloaded after a skipped seq", func() bool { return seen("skipped") })
	if resyncs() == n {
		t.Fatal("loaded without a resync")
	}
}

// TestRedisResyncOnReconnect cuts an instance's subscription: when it
// subscribes again it must reload what it missed meanwhile.
func TestRedisResyncOnReconnect(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	s := openRedis(t, url, prefix, WithResyncInterval(time.Hour))
	raw := rawClient(t, url)
	ctx := context.Background()
	must(t, raw.Set(ctx, s.meetingKey(DefaultTenant, "missed"), `{"tenant":"default","meeting_id":"missed","server":"s7"}`, 0).Err())
	// Only the reconnection can bring the write: no event, no periodic resync.
	list, err := raw.ClientList(ctx).Result()
	must(t, err)
	killed := 0
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, " name=tinyscale-"+s.id+" ") && strings.Contains(line, " sub=1 ") {
			id, _, _ := strings.Cut(strings.TrimPrefix(line, "id="), " ")
			must(t, raw.Do(ctx, "CLIENT", "KILL", "ID", id).Err())
			killed++
		}
	}
	if killed != 1 {
		t.Fatalf("found %d subscriber connections of the instance in CLIENT LIST:\n%s", killed, list)
	}
	waitFor(t, 5*time.Second, "the instance never reloaded after its subscription came back", func() bool {
		sid, _ := s.Lookup(DefaultTenant, "missed")
		return sid == "s7"
	})
}

// TestRedisRestart stops Redis under two instances and starts it again,
// empty (no persistence): reads go on from memory, writes fail fast, and
// afterwards both recover by themselves, writing their placements back.
func TestRedisRestart(t *testing.T) {
	srv := ownRedisServer(t)
	prefix := "tinyscale-test:"
	opts := []RedisOption{WithTimeout(300 * time.Millisecond)}
	a, b := openRedis(t, srv.URL(), prefix, opts...), openRedis(t, srv.URL(), prefix, opts...)
	claim(t, a, Meeting{Tenant: DefaultTenant, MeetingID: "before", ServerID: "s1"}, "")
	must(t, a.SetRecordingOwner("r1", "s1"))
	waitFor(t, propagation, "B never saw A's claim", func() bool {
		sid, _ := b.Lookup(DefaultTenant, "before")
		return sid == "s1"
	})

	// Joins under traffic: until the test ends, every lookup of the known
	// meeting must answer, whatever Redis does.
	stopJoins := make(chan struct{})
	joinsDone := make(chan int)
	go func() {
		missed := 0
		for {
			select {
			case <-stopJoins:
				joinsDone <- missed
				return
			default:
			}
			for _, s := range []*Redis{a, b} {
				if sid, _ := s.Lookup(DefaultTenant, "before"); sid != "s1" {
					missed++
				}
			}
			runtime.Gosched()
		}
	}()
	defer func() {
		close(stopJoins)
		if missed := <-joinsDone; missed > 0 {
			t.Errorf("%d lookups of a known meeting failed across the restart", missed)
		}
	}()

	srv.Stop()
	for name, s := range map[string]*Redis{"A": a, "B": b} {
		if sid, _ := s.Lookup(DefaultTenant, "before"); sid != "s1" {
			t.Fatalf("%s: with Redis down Lookup = %q, want s1 from memory", name, sid)
		}
		start := time.Now()
		_, err := s.Claim(Meeting{Tenant: DefaultTenant, MeetingID: "during", ServerID: "s2"}, "")
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("%s: Claim with Redis down: %v, want ErrUnavailable", name, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%s: Claim with Redis down took %v", name, d)
		} else {
			t.Logf("%s: Claim with Redis down failed in %v: %v", name, d, err)
		}
		if err := s.Release(DefaultTenant, "before", "s1"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("%s: Release with Redis down: %v", name, err)
		}
		if err := s.SaveDoc("d", nil); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("%s: SaveDoc with Redis down: %v", name, err)
		}
	}
	if _, ok := a.Lookup(DefaultTenant, "during"); ok {
		t.Fatal("a failed claim is visible")
	}

	srv2, err := startRedisServer(srv.Port, srv.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv2.Stop)
	var owner string
	waitFor(t, 10*time.Second, "writes never worked again after Redis came back", func() bool {
		owner, err = a.Claim(Meeting{Tenant: DefaultTenant, MeetingID: "after", ServerID: "s2"}, "")
		return err == nil
	})
	if owner != "s2" {
		t.Fatalf("claim after restart: owner %q", owner)
	}
	waitFor(t, 5*time.Second, "B never saw the claim made after the restart", func() bool {
		sid, _ := b.Lookup(DefaultTenant, "after")
		return sid == "s2" && b.Live()
	})
	raw := rawClient(t, srv2.URL())
	for name, s := range map[string]*Redis{"A": a, "B": b} {
		if sid, _ := s.Lookup(DefaultTenant, "before"); sid != "s1" {
			t.Fatalf("%s forgot a placement across the restart: %q", name, sid)
		}
		if sid, _ := s.RecordingOwner("r1"); sid != "s1" {
			t.Fatalf("%s forgot a recording across the restart: %q", name, sid)
		}
	}
	if v, err := raw.Get(context.Background(), a.meetingKey(DefaultTenant, "before")).Result(); err != nil || !strings.Contains(v, `"server":"s1"`) {
		t.Fatalf("the placement was not written back to the empty Redis: %q, %v", v, err)
	}
	if owner := claim(t, b, Meeting{Tenant: DefaultTenant, MeetingID: "before", ServerID: "s3"}, ""); owner != "s1" {
		t.Fatalf("after the restart a create of a known meeting went to %q, want s1", owner)
	}
}

// TestRedisThroughSentinel opens the store with a Sentinel URL (what an
// HA setup uses) and shares a claim between two instances through it.
func TestRedisThroughSentinel(t *testing.T) {
	url := startSentinel(t, ownRedisServer(t))
	a, b := openRedis(t, url, "tinyscale-test:"), openRedis(t, url, "tinyscale-test:")
	claim(t, a, Meeting{Tenant: DefaultTenant, MeetingID: "m1", ServerID: "s1"}, "")
	waitFor(t, propagation, "B never saw A's claim through Sentinel", func() bool {
		sid, _ := b.Lookup(DefaultTenant, "m1")
		return sid == "s1"
	})
}

func TestOpenRedisUnreachableFailsFast(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	// Port 1 on localhost: nothing listens there, the dial is refused.
	_, err := OpenRedis(ctx, "redis://:secret@127.0.0.1:1/0")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("OpenRedis of nothing: %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Fatalf("the error shows the password: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("OpenRedis took %v to fail", d)
	}
}

func TestRedisCloseLeavesNoGoroutines(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	openClose := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r, err := OpenRedis(ctx, url, WithPrefix(prefix))
		if err != nil {
			t.Fatal(err)
		}
		claim(t, r, Meeting{Tenant: DefaultTenant, MeetingID: "m", ServerID: "s"}, "")
		must(t, r.Close())
	}
	openClose() // let the library start whatever it keeps for the process
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(openClose)
	}
	wg.Wait()
	waitFor(t, 5*time.Second, "goroutines left after Close", func() bool {
		return runtime.NumGoroutine() <= before
	})
}
