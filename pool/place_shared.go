package pool

import (
	"math/rand/v2"
	"time"
)

// Candidate is a server a shared placement may choose, with its weighted
// load as the polls see it, without any reservation: the shared store
// adds the pending load that all instances' placements keep there.
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
func (p *Pool) Shortlist(r Request, k int) ([]Candidate, error) {
	p.placeMu.Lock()
	defer p.placeMu.Unlock()
	now := p.now()
	cands, loads, err := p.candidates(r, now)
	defer func() { clear(cands); p.scratch, p.loads = cands[:0], loads[:0] }()
	if err != nil {
		return nil, err
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
		out[n] = Candidate{Server: s, Polled: s.polledLoad(p.Model, now), Weight: s.Weight}
	}
	return out, nil
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
// reservation on a server ended: a poll saw them, their create failed, or
// they waited too long. A shared store drops their pending load then.
func (p *Pool) OnSettled(fn func(serverID string, meetingIDs []string)) {
	p.mu.Lock()
	p.settled = fn
	servers := p.servers
	p.mu.Unlock()
	for _, s := range servers {
		s.setSettled(fn)
	}
}

// polledLoad is the server's weighted load without its reservations.
func (s *Server) polledLoad(m LoadModel, now time.Time) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.curve == nil || s.curve.model != m {
		s.curve = newLoadCurve(s.meetings, m, s.polled)
	}
	return s.curve.load(now) / s.Weight
}

func (s *Server) setSettled(f func(string, []string)) {
	s.mu.Lock()
	s.settled = f
	s.mu.Unlock()
}
