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

// TestPolledBeforeSplitsByPlacement: a shared store counts a meeting as
// pending from the time of its claim until the cutoff passes it, so the
// polled side must count exactly the others, whatever this instance's
// polls have seen yet and whenever BBB created the meeting. Each case is
// one meeting on a server whose last poll (at cutoff+5s) also lists an old
// meeting; want is whether polledBefore counts the new one.
func TestPolledBeforeSplitsByPlacement(t *testing.T) {
	cutoff := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	before, after := cutoff.Add(-time.Second), cutoff.Add(time.Second)
	for _, tc := range []struct {
		name string
		// claimed: when the store counted it (zero: not placed through
		// it); created: BBB's createTime (zero: no poll listed it yet).
		claimed, created time.Time
		// late: the reservation is another instance's, arriving after
		// this instance's poll listed the meeting.
		late bool
		want bool
	}{
		{"claimed and created before", before.Add(-time.Second), before, false, true},
		{"claimed before, created after: the store no longer counts it", before, after, false, true},
		{"claimed and created after", after, after.Add(time.Second), false, false},
		{"claimed before, not polled yet: the store no longer counts it", before, time.Time{}, false, true},
		{"claimed after, not polled yet", after, time.Time{}, false, false},
		{"created on BBB before", time.Time{}, before, false, true},
		{"created on BBB after", time.Time{}, after, false, false},
		{"claimed before, created after, reservation late", before, after, true, true},
		{"claimed after, created after, reservation late", after, after.Add(time.Second), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := DefaultLoadModel
			p := New()
			s := NewServer("s", nil)
			p.Add(s)
			now := cutoff.Add(10 * time.Second)
			polled := cutoff.Add(5 * time.Second)
			oldMeeting := MeetingLoad{MeetingID: "old", Participants: 7, Created: cutoff.Add(-time.Hour)}
			ms := []MeetingLoad{oldMeeting}
			newMeeting := MeetingLoad{MeetingID: "new", Created: tc.created}
			if !tc.created.IsZero() {
				ms = append(ms, newMeeting)
			}
			if !tc.claimed.IsZero() && !tc.late {
				p.Reserve(s, "new", 0, tc.claimed)
			}
			s.SetMeetings(ms, polled, time.Hour)
			if tc.late {
				s.Apply(Reservation{ServerID: "s", MeetingID: "new", At: tc.claimed})
			}
			want := m.Cost(oldMeeting, now)
			newCost := m.Cost(newMeeting, now)
			if tc.created.IsZero() {
				newCost = m.Cost(MeetingLoad{Created: tc.claimed}, now) // a young meeting, as a poll would count it
			}
			if tc.want {
				want += newCost
			}
			if got := s.polledBefore(m, now, cutoff); math.Abs(got-want) > 1e-9 {
				t.Errorf("polledBefore %v, want %v (the new meeting counted: %v)", got, want, tc.want)
			}
			// This instance's own view counts the meeting once.
			wantLoad := m.Cost(oldMeeting, now) + m.Pending(0)
			if !tc.created.IsZero() {
				wantLoad = m.Cost(oldMeeting, now) + m.Cost(newMeeting, now)
			}
			if tc.claimed.IsZero() && tc.created.IsZero() {
				wantLoad = m.Cost(oldMeeting, now)
			}
			if got := s.Load(m, now); math.Abs(got-wantLoad) > 1e-9 {
				t.Errorf("Load %v, want %v", got, wantLoad)
			}
		})
	}
}

// TestShortlistTakesEveryServerWithinSlack: the k least loaded, and beyond
// them every server within slack of the least, least loaded first. With
// an instance's view some placements behind, the servers really least
// loaded may look up to that much fuller than the least: a fixed k of
// equal servers missed them.
func TestShortlistTakesEveryServerWithinSlack(t *testing.T) {
	// Loads in meetings of 16: four servers at 0, two at 1, one at 2.
	meetings := []int{0, 1, 0, 2, 0, 1, 0}
	for _, tc := range []struct {
		k     int
		slack float64
		want  int
	}{
		{k: 2, slack: 0, want: 4},   // the ties at the least
		{k: 2, slack: 15, want: 4},  // less than a meeting
		{k: 2, slack: 16, want: 6},  // one meeting
		{k: 6, slack: 0, want: 6},   // never fewer than k
		{k: 10, slack: 0, want: 7},  // or all
		{k: 64, slack: 48, want: 7}, // all within
	} {
		t.Run(fmt.Sprintf("k%d_slack%g", tc.k, tc.slack), func(t *testing.T) {
			now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
			p := New()
			p.Now = func() time.Time { return now }
			for i, n := range meetings {
				s := NewServer(fmt.Sprintf("s%d", i), nil)
				p.Add(s)
				for j := range n {
					p.Reserve(s, fmt.Sprintf("m%d-%d", i, j), 0, now)
				}
			}
			cs, _, err := p.Shortlist(Request{MeetingID: "new"}, tc.k, tc.slack)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != tc.want {
				t.Fatalf("%d candidates, want %d", len(cs), tc.want)
			}
			for i := 1; i < len(cs); i++ {
				if a, b := cs[i-1].Server.Load(p.Model, now), cs[i].Server.Load(p.Model, now); a > b {
					t.Fatalf("candidate %d at %v after one at %v: not least loaded first", i, b, a)
				}
			}
		})
	}
}
