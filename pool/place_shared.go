package pool

import (
	"math/rand/v2"
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

// Shortlist returns up to k servers r may go to, least loaded first by
// this instance's view (ties in random order), for a store shared between
// instances to choose among by the pending load they all share (see
// state.Placer); the caller then calls Reserve on the one chosen. It costs
// O(servers * k) and places nothing.
func (p *Pool) Shortlist(r Request, k int) ([]Candidate, Span, error) {
	p.placeMu.Lock()
	defer p.placeMu.Unlock()
	now := p.now()
	span := p.span(now)
	cands, loads, err := p.candidates(r, now)
	defer func() { clear(cands); p.scratch, p.loads = cands[:0], loads[:0] }()
	if err != nil {
		return nil, span, err
	}
	// Insertion into the k best, a random key breaking ties so that equal
	// servers share a burst.
	type entry struct {
		i    int
		load float64
		tie  uint32
	}
	best := make([]entry, 0, k+1)
	for i, l := range loads {
		e := entry{i, l, rand.Uint32()}
		j := len(best)
		for j > 0 && less(e.load, e.tie, best[j-1].load, best[j-1].tie) {
			j--
		}
		if j >= k {
			continue
		}
		best = append(best, entry{})
		copy(best[j+1:], best[j:])
		best[j] = e
		if len(best) > k {
			best = best[:k]
		}
	}
	out := make([]Candidate, len(best))
	for n, e := range best {
		s := cands[e.i]
		out[n] = Candidate{Server: s, Polled: s.polledBefore(p.Model, now, span.Cutoff), Weight: s.Weight}
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
// as Place does for the server it chooses.
func (p *Pool) Reserve(s *Server, meetingID string, expected int) {
	s.reserve(meetingID, expected, p.now())
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

// polledBefore is the server's weighted load of the polled meetings
// created before cutoff, without its reservations. It is read from a load
// curve of those meetings, built once per poll and cutoff (a cutoff moves
// once a poll interval): a shortlist asks it of 64 servers at every
// create, and summing their meetings each time was a quarter of a
// create's CPU at 500 servers of 100 meetings.
func (s *Server) polledBefore(m LoadModel, now, cutoff time.Time) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.before == nil || s.before.model != m || !s.beforeCutoff.Equal(cutoff) {
		young := 0 // meetings created at or after cutoff
		for _, ml := range s.meetings {
			if !ml.Created.Before(cutoff) {
				young++
			}
		}
		if young == 0 {
			s.loadLocked(m, now) // builds s.curve: every meeting counts
			s.before = s.curve
		} else {
			old := make([]MeetingLoad, 0, len(s.meetings)-young)
			for _, ml := range s.meetings {
				if ml.Created.Before(cutoff) {
					old = append(old, ml)
				}
			}
			s.before = newLoadCurve(old, m, s.polled)
		}
		s.beforeCutoff = cutoff
	}
	return s.before.load(now) / s.Weight
}

func (s *Server) setSettled(f func(string, []string)) {
	s.mu.Lock()
	s.settled = f
	s.mu.Unlock()
}
