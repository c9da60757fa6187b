package pool

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Candidate is a server a shared placement may choose, with its weighted
// load as the polls see it without the meetings created since Cutoff (nor
// any reservation): the shared store adds the pending load of the
// meetings every instance placed since then. Both sides count a young
// meeting the same way whatever each instance's polls have seen yet, so
// the instances agree on the loads exactly.
type Candidate struct {
	Server *Server
	Polled float64
	Weight float64
}

// Shortlist returns the servers r may go to whose load by this
// instance's view is within slack of the least, and never fewer than the
// k least (or all, if fewer), least loaded first (ties in random order),
// for a store shared between instances to choose among by the pending
// load they all share (see state.Placer); the caller then calls Reserve
// on the one chosen. It costs O(servers log servers) and places nothing.
//
// Why not just the k least: this instance's view lacks the placements
// other instances made that have not reached it yet, and its own claims
// under way; those servers look one meeting (or two) lighter than they
// are. In a fleet of equal servers the least loaded level then holds the
// few servers really at it and every lagging one with them, often more
// than k, and k drawn from them missed the few. Three instances placing
// 300 meetings a second on 150 servers (cmd/tinyscale's
// TestE2EThreeInstancesSpreadWhilePolling, its claims logged) had views
// short of 60 to 70 placements and up to a quarter of the claims one
// level too high; in the scale benchmark a shortlist of 128 of 500 did no
// better than 64. Every server within slack of the least is a candidate
// instead: a server really at the least looks at most as many meetings
// above the view's least as the view misses on the server that looks
// least, which slack covers.
func (p *Pool) Shortlist(r Request, k int, slack float64) ([]Candidate, Span, error) {
	p.placeMu.Lock()
	defer p.placeMu.Unlock()
	now := p.now()
	span := p.span(now)
	cands, loads, err := p.candidates(r, now)
	defer func() { clear(cands); p.scratch, p.loads = cands[:0], loads[:0] }()
	if err != nil {
		return nil, span, err
	}
	type entry struct {
		i    int
		load float64
		tie  uint32 // a random key breaking ties, so that equal servers share a burst
	}
	all := make([]entry, len(loads))
	for i, l := range loads {
		all[i] = entry{i, l, rand.Uint32()}
	}
	slices.SortFunc(all, func(a, b entry) int {
		switch {
		case less(a.load, a.tie, b.load, b.tie):
			return -1
		case less(b.load, b.tie, a.load, a.tie):
			return 1
		}
		return 0
	})
	n := min(k, len(all))
	for n < len(all) && all[n].load <= all[0].load+slack+tieEpsilon {
		n++
	}
	out := make([]Candidate, n)
	for j, e := range all[:n] {
		s := cands[e.i]
		out[j] = Candidate{Server: s, Polled: s.polledBefore(p.Model, now, span.Cutoff), Weight: s.Weight}
	}
	return out, span, nil
}

// Span is the time frame of a shared placement: pending loads are kept per
// Length, in slots numbered Now/Length; those from Cutoff's slot on count.
type Span struct {
	Now, Cutoff time.Time
	Length      time.Duration
	// Keep is how many slots before the current one count.
	Keep int
}

// spanSlots is how many whole spans before the current one a new meeting
// counts as pending: every instance polls it within them.
const spanSlots = 3

// CurrentSpan is the time frame of a shared placement made now.
func (p *Pool) CurrentSpan() Span { return p.span(p.now()) }

func (p *Pool) span(now time.Time) Span {
	l := p.PendingSpan
	if l <= 0 {
		l = 10 * time.Second
	}
	ms := max(l.Milliseconds(), 1) // slots are whole milliseconds (a sub-millisecond poll interval)
	slot := now.UnixMilli() / ms
	return Span{Now: now, Length: l, Keep: spanSlots, Cutoff: time.UnixMilli((slot - spanSlots) * ms)}
}

func less(a float64, at uint32, b float64, bt uint32) bool {
	if a < b-tieEpsilon {
		return true
	}
	if a > b+tieEpsilon {
		return false
	}
	return at < bt
}

// Reserve counts a meeting a shared store placed on s until a poll sees it,
// as Place does for the server it chooses. at is when the store counted
// the meeting as pending from (state.Claimed.At): polledBefore tells by it
// whether the store still counts it, for this meeting's whole life as
// young, polled or not.
func (p *Pool) Reserve(s *Server, meetingID string, expected int, at time.Time) {
	s.reserve(meetingID, expected, at)
}

// OnSettled registers fn to be told, off any lock, of the meetings whose
// placement on a server came to nothing: their create failed, or they
// ended before their time as pending was over. A shared store drops their
// pending load then.
func (p *Pool) OnSettled(fn func(serverID string, meetingIDs []string)) {
	p.mu.Lock()
	p.settled = fn
	servers := p.servers
	p.mu.Unlock()
	for _, s := range servers {
		s.setSettled(fn)
	}
}

// polledBefore is the server's weighted load of the meetings placed
// before cutoff, polled or not, without the others: what a shared store
// no longer counts as pending. Every meeting is on exactly one side, the
// same for every instance, whatever each instance's polls have seen yet:
//
//   - A meeting placed through the store counts by when it was placed
//     (its reservation's time, the store's own time of the claim, whose
//     slot the store counts it in), not by BBB's createTime: the
//     create reaches BBB after the claim, and one claimed at the end of a
//     slot and created in the next was counted on neither side for a whole
//     slot once the cutoff passed its claim. In the scale scenario at a
//     500 ms poll interval those gaps made the least loaded server look
//     like one with two or three meetings fewer than it had.
//   - A reservation placed before cutoff that no poll of this instance
//     has seen yet (its poll is late, the create was slow) counts here,
//     as the young meeting it is: the store stopped counting it, and
//     leaving it out until this instance's next poll was the same gap.
//   - Any other meeting (created on BBB directly) counts by createTime.
//
// The polled part is read from a load curve built once per poll and
// cutoff (a cutoff moves once a poll interval): a shortlist asks it of
// every candidate at every create, and summing their meetings each time
// was a quarter of a create's CPU at 500 servers of 100 meetings. The
// reservations are few and summed.
func (s *Server) polledBefore(m LoadModel, now, cutoff time.Time) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.before == nil || s.before.model != m || !s.beforeCutoff.Equal(cutoff) {
		young := 0 // meetings placed at or after cutoff
		for _, ml := range s.meetings {
			if !s.placedLocked(ml).Before(cutoff) {
				young++
			}
		}
		if young == 0 {
			s.loadLocked(m, now) // builds s.curve: every meeting counts
			s.before = s.curve
		} else {
			old := make([]MeetingLoad, 0, len(s.meetings)-young)
			for _, ml := range s.meetings {
				if s.placedLocked(ml).Before(cutoff) {
					old = append(old, ml)
				}
			}
			s.before = newLoadCurve(old, m, s.polled)
		}
		s.beforeCutoff = cutoff
	}
	load := s.before.load(now)
	for _, p := range s.pending.m {
		if p.at.Before(cutoff) {
			load += m.Cost(MeetingLoad{Created: p.at, Expected: p.expected}, now)
		}
	}
	return load / s.Weight
}

// placedLocked is when a polled meeting was placed: its claim's time when
// it was reserved here, else BBB's createTime (s.mu held).
func (s *Server) placedLocked(ml MeetingLoad) time.Time {
	if c, ok := s.claimed[ml.MeetingID]; ok {
		return c.at
	}
	return ml.Created
}

func (s *Server) setSettled(f func(string, []string)) {
	s.mu.Lock()
	s.settled = f
	s.mu.Unlock()
}
