package pool

import (
	"errors"
	"strings"
	"sync"
	"time"
)

// Pool is the set of BBB servers. It is safe for concurrent use; the server
// list can be replaced at runtime (a reload of servers.json).
type Pool struct {
	// Model computes servers' load.
	Model LoadModel
	// Strategy chooses among the servers that may take a meeting.
	Strategy Strategy
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	mu      sync.RWMutex
	servers []*Server
	byID    map[string]*Server

	// placeMu makes choosing a server and reserving the meeting's load on
	// it one step, so concurrent creates see each other's reservations.
	placeMu sync.Mutex
	scratch []*Server // Place's candidates and their loads, reused (under placeMu)
	loads   []float64
	share   func(Reservation)
	settled func(string, []string)

	// PendingSpan is the poll interval, for placement through a shared
	// store (Shortlist): a meeting counts as pending there for 3 to 4
	// spans, long enough for every instance's polls to see it, and the
	// polled load leaves out the meetings that young. 10s when 0.
	PendingSpan time.Duration
}

// Share sends every reservation this instance makes to publish, so that
// instances sharing a state store count each other's new meetings before
// any poll sees them. Other instances' reservations come in through
// ApplyRemote.
func (p *Pool) Share(publish func(Reservation)) {
	p.mu.Lock()
	p.share = publish
	for _, s := range p.servers {
		s.setShare(publish)
	}
	p.mu.Unlock()
}

// ApplyRemote takes another instance's reservation; one for a server this
// instance does not know is ignored.
func (p *Pool) ApplyRemote(r Reservation) {
	if s := p.Get(r.ServerID); s != nil {
		s.Apply(r)
	}
}

// New returns a pool of the given servers, placing by least load.
func New(servers ...*Server) *Pool {
	p := &Pool{Model: DefaultLoadModel, Strategy: NewLeastLoad()}
	p.Replace(servers)
	return p
}

func (p *Pool) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Replace swaps the server list.
func (p *Pool) Replace(servers []*Server) {
	byID := make(map[string]*Server, len(servers))
	for _, s := range servers {
		byID[s.ID] = s
	}
	p.mu.Lock()
	p.servers, p.byID = append([]*Server(nil), servers...), byID
	for _, s := range servers {
		s.setShare(p.share)
		s.setSettled(p.settled)
	}
	p.mu.Unlock()
}

// Add appends a server; it replaces one with the same ID.
func (p *Pool) Add(s *Server) {
	all := p.All()
	for i, o := range all {
		if o.ID == s.ID {
			all[i] = s
			p.Replace(all)
			return
		}
	}
	p.Replace(append(all, s))
}

// Remove drops the server with that ID and reports whether it was there.
func (p *Pool) Remove(id string) bool {
	all := p.All()
	for i, o := range all {
		if o.ID == id {
			p.Replace(append(all[:i], all[i+1:]...))
			return true
		}
	}
	return false
}

// Get returns the server with that ID, or nil.
func (p *Pool) Get(id string) *Server {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.byID[id]
}

// All returns every server, in configuration order.
func (p *Pool) All() []*Server {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return append([]*Server(nil), p.servers...)
}

// Routable returns the servers that take calls for their meetings now: the
// ones a fan-out (getMeetings, getRecordings) asks.
func (p *Pool) Routable() []*Server {
	all := p.All()
	out := all[:0]
	for _, s := range all {
		if s.Routable() {
			out = append(out, s)
		}
	}
	return out
}

// Available returns the servers that may take a new meeting now.
func (p *Pool) Available() []*Server {
	now := p.now()
	all := p.All()
	out := all[:0]
	for _, s := range all {
		if s.available(p.Model, now) {
			out = append(out, s)
		}
	}
	return out
}

// Request describes a meeting to place.
type Request struct {
	// MeetingID identifies the reservation until a poll sees the meeting.
	MeetingID string
	// Tag is meta_server-tag without its "!": servers with this tag are
	// preferred; with Required, only they qualify.
	Tag      string
	Required bool
	// Expected is the expected size (meta_bbb-meeting-size-hint), 0 if unknown.
	Expected int
	// Exclude lists servers not to use (they just refused a connection).
	Exclude []string
	// Allowed, when set, limits the candidates to servers carrying one of
	// these tags (a tenant's allowed tags).
	Allowed []string
}

// ParseTag reads meta_server-tag as Scalelite and Greenlight send it: a
// tag, required when it ends in "!".
func ParseTag(v string) (tag string, required bool) {
	v = strings.TrimSpace(v)
	if t, ok := strings.CutSuffix(v, "!"); ok {
		return strings.TrimSpace(t), t != ""
	}
	return v, false
}

// Placement errors.
var (
	ErrNoServer    = errors.New("no server is available")
	ErrNoTagServer = errors.New("no server with the required tag is available")
)

// Place chooses the server for a new meeting and counts the meeting's
// expected load on it at once, so that the next placement, before any
// poll, sees it. Candidates are the available servers not excluded; with a
// tag, those carrying it are preferred (required with "!"); without one,
// untagged servers are preferred, so tagged servers stay free for the
// meetings that ask for them.
func (p *Pool) Place(r Request) (*Server, error) {
	p.placeMu.Lock()
	defer p.placeMu.Unlock()
	now := p.now()
	cands, loads, err := p.candidates(r, now)
	defer func() { clear(cands); p.scratch, p.loads = cands[:0], loads[:0] }()
	if err != nil {
		return nil, err
	}
	var s *Server
	if _, ok := p.Strategy.(*LeastLoad); ok {
		s = leastOf(cands, loads) // the loads just read: no second lock per server
	} else {
		s = p.Strategy.Select(cands, p.Model, now)
	}
	s.reserve(r.MeetingID, r.Expected, now)
	return s, nil
}

// candidates returns the servers r may go to, with their weighted loads,
// in p.scratch and p.loads (the caller holds placeMu and gives them back).
func (p *Pool) candidates(r Request, now time.Time) ([]*Server, []float64, error) {
	p.mu.RLock()
	servers := p.servers // replaced, never changed in place: safe to read unlocked
	p.mu.RUnlock()
	// One pass, into a slice kept between placements (placeMu guards it):
	// placement costs O(servers) and no allocation per server.
	cands, loads := p.scratch[:0], p.loads[:0]
	anyPreferred := false
	for _, s := range servers {
		if contains(r.Exclude, s.ID) || (len(r.Allowed) > 0 && !anyTag(s.Tags, r.Allowed)) {
			continue
		}
		ok, load := s.availableLoad(p.Model, now)
		if !ok {
			continue
		}
		cands, loads = append(cands, s), append(loads, load)
		anyPreferred = anyPreferred || preferred(s, r.Tag)
	}
	switch {
	case anyPreferred:
		kept, keptLoads := cands[:0], loads[:0]
		for i, s := range cands {
			if preferred(s, r.Tag) {
				kept, keptLoads = append(kept, s), append(keptLoads, loads[i])
			}
		}
		clear(cands[len(kept):])
		cands, loads = kept, keptLoads
	case r.Required:
		return cands, loads, ErrNoTagServer
	}
	if len(cands) == 0 {
		return cands, loads, ErrNoServer
	}
	return cands, loads, nil
}

// preferred reports whether s is among the servers a meeting with tag
// goes to first: those carrying the tag, or without one the untagged.
func preferred(s *Server, tag string) bool {
	if tag == "" {
		return len(s.Tags) == 0
	}
	return contains(s.Tags, tag)
}

func anyTag(tags, allowed []string) bool {
	for _, t := range tags {
		if contains(allowed, t) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
