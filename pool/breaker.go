package pool

import "time"

// breaker is a server's circuit breaker, fed by what its real creates
// meet (passive health). It is a small machine:
//
//	closed ──(Failures in a row, or one timeout)──▶ open
//	open ──(cooldown passed)──▶ half-open: one create at a time may probe
//	half-open ──probe succeeds──▶ closed (cooldown back to its start)
//	half-open ──probe fails──▶ open, cooldown doubled up to MaxCooldown
//
// Active health (the poller) and the breaker are separate: a server whose
// polls succeed while its creates fail is online but not available.
type breaker struct {
	open     bool
	fails    int       // failures in a row while closed
	openedAt time.Time // when it last opened
	cooldown time.Duration
	probing  bool // a half-open probe is under way
	reason   string
}

// BreakerPolicy says when a server's breaker opens and how long it stays
// open.
type BreakerPolicy struct {
	// Failures in a row open the breaker; a timed-out create opens it at
	// once (it already cost a user the whole create timeout).
	Failures int
	// Cooldown is how long the breaker stays open before a probe; each
	// failed probe doubles it, up to MaxCooldown.
	Cooldown, MaxCooldown time.Duration
	// MaxInFlight bounds the creates under way on one server; a server at
	// the bound takes no new meetings until one ends. 0 means no bound.
	MaxInFlight int
	// StallAfter: a server with a create under way for longer takes no new
	// meetings, before that create even times out. 0 means never.
	StallAfter time.Duration
}

// DefaultBreakerPolicy opens after 2 failures, probes after 5 s (up to
// 1 min), allows 16 creates in flight per server and stops placing on a
// server whose create has hung for 2 s.
var DefaultBreakerPolicy = BreakerPolicy{Failures: 2, Cooldown: 5 * time.Second, MaxCooldown: time.Minute,
	MaxInFlight: 16, StallAfter: 2 * time.Second}

// halfOpen reports whether the open breaker may let a probe through now.
func (b *breaker) halfOpen(now time.Time) bool {
	return b.open && now.Sub(b.openedAt) >= b.cooldown
}

// allows reports whether a new meeting may be placed behind the breaker.
func (b *breaker) allows(now time.Time) bool {
	return !b.open || b.halfOpen(now) && !b.probing
}

// start notes a create starting; it is the probe when half-open.
func (b *breaker) start(now time.Time) (probe bool) {
	if b.halfOpen(now) && !b.probing {
		b.probing = true
		return true
	}
	return false
}

// record takes a create's outcome; it reports whether the breaker opened.
// Any success closes it: the server answers creates.
func (b *breaker) record(o Outcome, probe bool, p BreakerPolicy, now time.Time) (opened bool) {
	if probe {
		b.probing = false
	}
	switch {
	case o.Kind == Success:
		*b = breaker{probing: b.probing}
		return false
	case b.open:
		if probe { // the probe failed: wait longer before the next
			b.cooldown = min(2*b.cooldown, p.MaxCooldown)
			b.openedAt, b.reason = now, o.Reason
		}
		return false
	}
	b.fails++
	b.reason = o.Reason
	if b.fails < p.Failures && o.Kind != Timeout {
		return false
	}
	b.open, b.openedAt, b.fails, b.cooldown = true, now, 0, p.Cooldown
	return true
}
