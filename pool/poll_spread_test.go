package pool

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbbfake"
)

// pollArrivals runs the poller until one round (of the given kind) is
// over and returns when each fake received that round's getMeetings, in
// pool order.
func pollArrivals(t *testing.T, fakes []*bbbfake.Server, p *Poller, kick bool) []time.Time {
	t.Helper()
	for _, f := range fakes {
		f.ResetRequests()
	}
	rounds := make(chan Round, 4)
	p.OnRound = func(r Round) { rounds <- r }
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go p.Run(ctx)
	if kick {
		p.Kick()
	}
	select {
	case r := <-rounds:
		if len(r.Meetings) != len(fakes) {
			t.Fatalf("the round heard from %d of %d servers", len(r.Meetings), len(fakes))
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no round")
	}
	cancel()
	at := make([]time.Time, len(fakes))
	for i, f := range fakes {
		rs := f.Requests()
		if len(rs) == 0 {
			t.Fatalf("server %d was not polled", i)
		}
		at[i] = rs[0].At
	}
	return at
}

// A periodic round spreads its checks evenly over Spread, in pool order,
// so that a large fleet is a trickle of answers rather than a burst; a
// round asked for by Kick (the state lost placements) sends them all at
// once, as PollOnce does.
func TestPollSpreadsPeriodicRounds(t *testing.T) {
	const n = 10
	fakes := make([]*bbbfake.Server, n)
	servers := make([]*Server, n)
	for i := range fakes {
		fakes[i] = bbbfake.Start("spread-secret")
		t.Cleanup(fakes[i].Close)
		servers[i] = NewServer(fmt.Sprintf("s%d", i), fakes[i].Client())
	}
	const spread = 600 * time.Millisecond
	newPoller := func(interval time.Duration) *Poller {
		return &Poller{Pool: New(servers...), Interval: interval, Timeout: 5 * time.Second, Spread: spread}
	}

	at := pollArrivals(t, fakes, newPoller(50*time.Millisecond), false)
	if !slices.IsSortedFunc(at, func(a, b time.Time) int { return a.Compare(b) }) {
		t.Errorf("checks out of pool order: %v", at)
	}
	// The last of n goes out (n-1)/n of the spread after the first.
	if span := at[n-1].Sub(at[0]); span < spread*(n-1)/n-50*time.Millisecond {
		t.Errorf("a periodic round's checks went out within %v, want them spread over %v", span, spread)
	}
	for i := 1; i < n; i++ {
		if gap := at[i].Sub(at[i-1]); gap < spread/n/3 {
			t.Errorf("checks %d and %d went out %v apart, want about %v", i-1, i, gap, spread/n)
		}
	}

	at = pollArrivals(t, fakes, newPoller(time.Hour), true)
	if span := slices.MaxFunc(at, time.Time.Compare).Sub(slices.MinFunc(at, time.Time.Compare)); span > spread/3 {
		t.Errorf("a kicked round's checks went out over %v, want them at once", span)
	}
}

// TestSpreadOffsets: a spread round's checks go out in pool order, over
// the spread, in steps no finer than spreadStep; rounds with few servers
// are spread exactly.
func TestSpreadOffsets(t *testing.T) {
	for _, c := range []struct {
		n      int
		spread time.Duration
		steps  int // distinct send times, the first included
	}{
		{10, 600 * time.Millisecond, 10},
		{100, 5 * time.Second, 100},
		{500, 5 * time.Second, 100},
		{5000, 5 * time.Second, 100},
		{500, 100 * time.Millisecond, 2},
	} {
		var prev time.Duration
		distinct := 1
		for i := 1; i < c.n; i++ {
			at := spreadOffset(i, c.n, c.spread)
			if at < prev || at >= c.spread {
				t.Fatalf("n=%d spread=%v: check %d at %v after %v", c.n, c.spread, i, at, prev)
			}
			if at != prev {
				distinct++
				if at-prev < min(spreadStep, c.spread/time.Duration(c.n)) {
					t.Fatalf("n=%d spread=%v: checks %v apart", c.n, c.spread, at-prev)
				}
			}
			prev = at
		}
		if distinct != c.steps {
			t.Errorf("n=%d spread=%v: %d send times, want %d", c.n, c.spread, distinct, c.steps)
		}
	}
}
