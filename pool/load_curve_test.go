package pool

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// sumCost is the load by its definition: LoadModel.Cost summed over the
// meetings, Pending over the reservations. The load curve must agree.
func sumCost(m LoadModel, ms []MeetingLoad, pend map[string]pending, now time.Time) float64 {
	var sum float64
	for _, ml := range ms {
		sum += m.Cost(ml, now)
	}
	for _, p := range pend {
		sum += m.Pending(p.expected)
	}
	return sum
}

// TestServerLoadMatchesCostSum: a server's load, read from its curve and
// pending sums, equals the sum of Cost and Pending at every instant, for
// meetings of every kind (young and old, hinted, above and below their
// floor, breakouts, created in the future by a skewed clock) and models
// with and without a ramp, while reservations come and go.
func TestServerLoadMatchesCostSum(t *testing.T) {
	models := map[string]LoadModel{
		"default":     DefaultLoadModel,
		"no ramp":     {Meeting: 1, Voice: 0.5, Video: 1, MinExpected: 15},
		"short ramp":  {Meeting: 2, Voice: 0.25, Video: 3, MinExpected: 40, Ramp: time.Minute},
		"no minimum":  {Meeting: 1, Voice: 0.5, Video: 1, Ramp: 15 * time.Minute},
		"media-heavy": {Meeting: 0, Voice: 2, Video: 5, MinExpected: 5, Ramp: time.Hour},
	}
	polled := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	for seed := range uint64(20) {
		for name, m := range models {
			t.Run(fmt.Sprintf("%s/seed%d", name, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 7))
				ms := randomMeetings(rng, polled, rng.IntN(60))
				s := NewServer("s", nil)
				s.SetMeetings(ms, polled, time.Hour)
				pend := map[string]pending{}
				for step := range 200 {
					now := polled.Add(time.Duration(rng.Int64N(int64(2*time.Hour))) - 10*time.Minute)
					switch rng.IntN(4) {
					case 0:
						id := fmt.Sprintf("new-%d", rng.IntN(10))
						exp := rng.IntN(3) * 20
						s.reserve(id, exp, now)
						pend[id] = pending{expected: exp}
					case 1:
						id := fmt.Sprintf("new-%d", rng.IntN(10))
						s.Unreserve(id)
						delete(pend, id)
					}
					if step == 100 && len(ms) > 0 { // a meeting ends between polls
						s.Forget(ms[0].MeetingID)
						ms = ms[1:]
					}
					got, want := s.Load(m, now), sumCost(m, ms, pend, now)
					if math.Abs(got-want) > 1e-6*math.Max(1, want) {
						t.Fatalf("step %d at %v: Load %v, sum of Cost %v", step, now.Sub(polled), got, want)
					}
				}
			})
		}
	}
}

// randomMeetings returns n meetings as a poll at polled might find them.
func randomMeetings(rng *rand.Rand, polled time.Time, n int) []MeetingLoad {
	ms := make([]MeetingLoad, n)
	for i := range ms {
		ms[i] = MeetingLoad{
			MeetingID:    fmt.Sprintf("m-%d", i),
			Participants: rng.IntN(80),
			Voice:        rng.IntN(20),
			Video:        rng.IntN(6),
			// from two hours ago to five minutes in the future (skew)
			Created:  polled.Add(time.Duration(rng.Int64N(int64(2*time.Hour+5*time.Minute))) - 2*time.Hour),
			Breakout: rng.IntN(8) == 0,
			Expected: []int{0, 0, 10, 50, 200}[rng.IntN(5)],
		}
		if i%5 == 0 {
			ms[i].Created = ms[(i+1)%n].Created // meetings created at the same instant
		}
	}
	return ms
}

// TestServerLoadAfterRampIsExact: once every meeting is past its ramp the
// load is the plain sum of constants, with no rounding left over from the
// decay's breaks.
func TestServerLoadAfterRampIsExact(t *testing.T) {
	polled := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	s := NewServer("s", nil)
	s.SetMeetings([]MeetingLoad{
		{MeetingID: "a", Created: polled, Participants: 3, Voice: 1},
		{MeetingID: "b", Created: polled.Add(-time.Minute), Participants: 7, Video: 1, Expected: 33},
	}, polled, time.Hour)
	m := DefaultLoadModel
	later := polled.Add(m.Ramp + time.Minute)
	if got, want := s.Load(m, later), (1+3+0.5)+(1+7+1.0); got != want {
		t.Errorf("Load after the ramp = %v, want exactly %v", got, want)
	}
	if got, want := s.Load(m, polled), (1+15+0.5)+(1+33*(1-1/15.0)+1); math.Abs(got-want) > 1e-9 {
		t.Errorf("Load at the poll = %v, want %v", got, want)
	}
}
