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
