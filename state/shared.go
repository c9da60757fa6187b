package state

import "time"

// Reservation is the expected load of a meeting an instance just placed,
// until a poll sees it. Instances share them so that a burst of creates
// split over several instances spreads as evenly as on one: each
// instance's pool counts the others' fresh placements too.
type Reservation struct {
	ServerID  string    `json:"server"`
	MeetingID string    `json:"meeting_id"`
	Expected  int       `json:"expected"`
	At        time.Time `json:"at"`
	// Confirmed is when a poll saw the meeting on its server, zero before.
	Confirmed time.Time `json:"confirmed,omitzero"`
	// Cancel withdraws the reservation (the create failed, say).
	Cancel bool `json:"cancel,omitempty"`
}

// Sharer is implemented by stores shared between instances (Redis).
type Sharer interface {
	// ShareReservation publishes r to the other instances (not back to
	// this one). It is best effort: it fails fast when the store is
	// unreachable, and a reservation missed is corrected by the next poll.
	ShareReservation(r Reservation) error
	// OnReservation registers fn to be called with the other instances'
	// reservations. fn runs on the store's event goroutine and must not
	// block.
	OnReservation(fn func(Reservation))
}

// LossNotifier is implemented by stores that can tell when they lost
// placements (Redis restored from an older snapshot, flushed, restarted
// without persistence, failed over to a lagging replica). fn is called
// after the store has reloaded what is left; the gateway then asks the
// servers what runs before placing unknown meetings again.
type LossNotifier interface {
	OnLoss(fn func())
}

// Candidate is a server a Placer may choose for a new meeting: Polled is
// its weighted load as this instance's polls see it, without pending
// meetings; the Placer adds the pending load it shares between instances,
// divided by Weight.
type Candidate struct {
	ServerID string
	Polled   float64
	Weight   float64
}

// PendingSpan is the time frame of pending loads in a Placer: they are
// kept per Length, in slots numbered Now/Length, and a placement counts
// the current slot and the Keep before it.
type PendingSpan struct {
	Now    time.Time
	Length time.Duration
	Keep   int
}

// Claimed is the outcome of Placer.ClaimAmong: the owner afterwards,
// whether this claim placed the meeting, and if so when the store counted
// it as pending from.
type Claimed struct {
	Owner string
	Won   bool
	At    time.Time
}

// Placer is implemented by stores shared between instances (Redis) that
// keep the pending load of the meetings placed by every instance, so that
// the choice of a server is exact across instances, not a view delayed by
// events.
type Placer interface {
	// ClaimAmong claims m like Claim, on the candidate of least polled plus
	// shared pending load (the first of equals: cands come least loaded
	// first by the caller's view), and counts cost as pending on it under
	// pendingID (the meeting's ID on the server) from the store's own time
	// of the claim, Claimed.At, for the span. Candidates' polled loads must
	// count exactly the meetings placed before the span's first kept slot
	// by that time (and the others, created on the servers directly, by
	// their creation): the store counts the rest.
	ClaimAmong(m Meeting, prev, pendingID string, cands []Candidate, cost float64, span PendingSpan) (Claimed, error)
	// Settled drops the pending load of meetings on serverID that came to
	// nothing (their create failed, they ended). Any instance may report
	// one, any number of times; it counts once.
	Settled(serverID string, pendingIDs []string, span PendingSpan) error
}
