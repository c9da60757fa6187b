package state

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// TestRedisCheckUnderWrites: another instance writes without pause while
// this one checks every 20 ms. Its check reads a seq ahead of the events
// still on their way; it must wait for them, not reload everything (a
// full resync of a large fleet's placements in the middle of a rush of
// creates). The writes all arrive, and the check still reloads when a seq
// it read never comes (the lost-event case stays covered).
func TestRedisCheckUnderWrites(t *testing.T) {
	s, other, resyncs := checkedPair(t)
	n := resyncs()
	var writes atomic.Int64
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, err := other.Claim(Meeting{Tenant: DefaultTenant, MeetingID: fmt.Sprint("busy-", i), ServerID: "s1"}, ""); err != nil {
				done <- err
				return
			}
			writes.Add(1)
		}
	}()
	time.Sleep(60 * checkInterval)
	close(stop)
	must(t, <-done)
	if writes.Load() < 100 {
		t.Fatalf("only %d writes in %v: too few to show anything", writes.Load(), 60*checkInterval)
	}
	if got := resyncs() - n; got != 0 {
		t.Fatalf("%d full resyncs during %d writes, all of whose events arrived: want none", got, writes.Load())
	}
	last := fmt.Sprint("busy-", writes.Load()-1)
	waitFor(t, propagation, "the last write never arrived", func() bool { _, ok := s.Lookup(DefaultTenant, last); return ok })

	raw := rawClient(t, redisURL(t))
	must(t, raw.Set(context.Background(), s.meetingKey(DefaultTenant, "lost"), `{"tenant":"default","meeting_id":"lost","server":"s9"}`, 0).Err())
	must(t, raw.Incr(context.Background(), s.seqKey()).Err())
	waitFor(t, propagation+s.cfg.timeout, "a seq whose event never came was never reloaded", func() bool {
		_, ok := s.Lookup(DefaultTenant, "lost")
		return ok
	})
}

// TestRedisLateEventSettlesUnsure: a write applied before its event (its
// writer stopped waiting, the subscription up) needs no full resync once
// the event arrives in its turn; if it never does, the check reloads.
func TestRedisLateEventSettlesUnsure(t *testing.T) {
	s, other, resyncs := checkedPair(t)
	n := resyncs()
	s.seqMu.Lock()
	next := s.applied + 1
	s.seqMu.Unlock()
	// As settle does on its deadline: the write of seq next, applied here
	// before its event, which another instance's write stands in for.
	s.applyUnsure(next, func() {})
	if _, err := other.Claim(Meeting{Tenant: DefaultTenant, MeetingID: "late", ServerID: "s1"}, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, propagation, "the late event was never applied", func() bool {
		s.seqMu.Lock()
		defer s.seqMu.Unlock()
		return s.unsureSeq == 0 && s.applied >= next
	})
	time.Sleep(10 * checkInterval)
	if got := resyncs() - n; got != 0 {
		t.Fatalf("%d full resyncs after the late event came in order: want none", got)
	}
	// A writer whose deadline passed just as its event was applied: the
	// event stands, the older write is not applied over it.
	s.applyUnsure(next, func() { t.Error("a write was applied over its own event, already applied") })

	// An event that never comes: its seq is beyond anything Redis holds.
	s.seqMu.Lock()
	s.unsureSeq = s.applied + 1000
	s.seqMu.Unlock()
	waitFor(t, propagation+s.cfg.timeout, "a write whose event never came was never reloaded", func() bool { return resyncs() > n })
}

// checkInterval is how often checkedPair's store checks it missed nothing.
const checkInterval = 20 * time.Millisecond

// checkedPair opens two instances on one Redis: s checks every
// checkInterval and never reloads in full but for a reason; other writes.
// resyncs counts s's full resyncs.
func checkedPair(t *testing.T) (s, other *Redis, resyncs func() int) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	s = openRedis(t, url, prefix, WithResyncInterval(checkInterval),
		func(c *redisConfig) { c.fullEvery = 1 << 30 })
	other = openRedis(t, url, prefix)
	return s, other, func() int {
		s.seqMu.Lock()
		defer s.seqMu.Unlock()
		return s.resyncs
	}
}
