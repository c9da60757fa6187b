package pool

import (
	"sync"
	"time"
)

// Passive health: what real creates meet feeds each server's breaker, and
// the creates under way are bounded and watched for stalls. The poller's
// active health is in poller.go and server.go; placement asks only
// Available(), which looks at both.

// OutcomeKind classifies how a create went, as passive health sees it.
type OutcomeKind int

// The outcomes of a create.
const (
	// Success: the server answered as BBB does (a client error included:
	// the server works).
	Success OutcomeKind = iota
	// Failure: an HTML page, a 5xx, a FAILED the client did not cause, a
	// dropped connection.
	Failure
	// Timeout: no answer in time.
	Timeout
)

// Outcome is how one create went; Reason is for the admin API and logs.
type Outcome struct {
	Kind   OutcomeKind
	Reason string
}

// passive is a server's passive health.
type passive struct {
	mu       sync.Mutex
	policy   BreakerPolicy
	b        breaker
	inflight map[*Create]time.Time
}

// Create is one create under way on a server, from BeginCreate to Done.
type Create struct {
	s     *Server
	probe bool
	once  sync.Once
}

// SetBreakerPolicy sets the server's passive health policy;
// DefaultBreakerPolicy until then.
func (s *Server) SetBreakerPolicy(p BreakerPolicy) {
	s.passive.mu.Lock()
	s.passive.policy = p
	s.passive.mu.Unlock()
}

func (ps *passive) policyLocked() BreakerPolicy {
	if ps.policy == (BreakerPolicy{}) {
		return DefaultBreakerPolicy
	}
	return ps.policy
}

// BeginCreate notes a create sent to the server; call Done on what it
// returns when the create has its outcome.
func (s *Server) BeginCreate(now time.Time) *Create {
	ps := &s.passive
	ps.mu.Lock()
	defer ps.mu.Unlock()
	c := &Create{s: s, probe: ps.b.start(now)}
	if ps.inflight == nil {
		ps.inflight = map[*Create]time.Time{}
	}
	ps.inflight[c] = now
	return c
}

// Done ends the create with its outcome and reports whether it opened the
// server's breaker. Only the first call counts.
func (c *Create) Done(o Outcome, now time.Time) (opened bool) {
	c.once.Do(func() {
		ps := &c.s.passive
		ps.mu.Lock()
		defer ps.mu.Unlock()
		delete(ps.inflight, c)
		opened = ps.b.record(o, c.probe, ps.policyLocked(), now)
	})
	return opened
}

// passiveAllows reports whether passive health lets a new meeting be
// placed on the server now: its breaker is closed (or half-open with no
// probe under way), fewer than MaxInFlight creates are under way, and none
// has been under way for longer than StallAfter.
func (s *Server) passiveAllows(now time.Time) bool {
	ps := &s.passive
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p := ps.policyLocked()
	if !ps.b.allows(now) {
		return false
	}
	if p.MaxInFlight > 0 && len(ps.inflight) >= p.MaxInFlight {
		return false
	}
	if p.StallAfter > 0 {
		for _, at := range ps.inflight {
			if now.Sub(at) > p.StallAfter {
				return false
			}
		}
	}
	return true
}

// PassiveStatus is passive health as the admin API shows it.
type PassiveStatus struct {
	// Open is true while the breaker keeps new meetings off the server.
	Open bool `json:"breaker_open"`
	// Reason is the last failure the breaker counted.
	Reason string `json:"breaker_reason,omitempty"`
	// InFlight is the number of creates under way.
	InFlight int `json:"creates_in_flight"`
}

// Passive returns the server's passive health.
func (s *Server) Passive() PassiveStatus {
	ps := &s.passive
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return PassiveStatus{Open: ps.b.open, Reason: ps.b.reason, InFlight: len(ps.inflight)}
}
