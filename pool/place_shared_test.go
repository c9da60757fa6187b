package pool

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// A poll interval under a millisecond (TINYSCALE_POLL_INTERVAL=500us) makes
// slots of one millisecond, not a division by zero on every create.
func TestSpanOfASubMillisecondInterval(t *testing.T) {
	p := New()
	p.PendingSpan = 500 * time.Microsecond
	sp := p.CurrentSpan()
	if sp.Cutoff.After(sp.Now) || sp.Now.Sub(sp.Cutoff) > 10*time.Millisecond {
		t.Fatalf("span now %v cutoff %v", sp.Now, sp.Cutoff)
	}
}

// TestPolledBeforeMatchesCostSum: the polled load before a cutoff, read
// from its cached curve, equals Cost summed over the meetings created
// before the cutoff, as the cutoff moves, polls replace the meetings and a
// meeting ends between polls; with every meeting older than the cutoff it
// is the whole polled load.
func TestPolledBeforeMatchesCostSum(t *testing.T) {
	polled := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	for seed := range uint64(30) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 15))
			m := DefaultLoadModel
			s := NewServer("s", nil)
			s.Weight = []float64{1, 2, 0.5}[rng.IntN(3)]
			ms := randomMeetings(rng, polled, rng.IntN(60))
			s.SetMeetings(ms, polled, time.Hour)
			cutoff := polled.Add(-time.Duration(rng.Int64N(int64(time.Hour))))
			for step := range 300 {
				switch rng.IntN(10) {
				case 0: // the next slot
					cutoff = cutoff.Add(10 * time.Second)
				case 1: // a poll
					ms = randomMeetings(rng, polled, rng.IntN(60))
					s.SetMeetings(ms, polled, time.Hour)
				case 2: // a meeting ends between polls
					if len(ms) > 0 {
						s.Forget(ms[0].MeetingID)
						ms = ms[1:]
					}
				case 3: // every meeting older than the cutoff
					cutoff = polled.Add(time.Hour)
				}
				now := cutoff.Add(time.Duration(rng.Int64N(int64(40 * time.Second))))
				var want float64
				for _, ml := range ms {
					if ml.Created.Before(cutoff) {
						want += m.Cost(ml, now)
					}
				}
				want /= s.Weight
				if got := s.polledBefore(m, now, cutoff); math.Abs(got-want) > 1e-6*math.Max(1, want) {
					t.Fatalf("step %d: polledBefore %v, the sum of Cost %v", step, got, want)
				}
			}
		})
	}
}
