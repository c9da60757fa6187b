package gateway

import (
	"errors"
	"fmt"

	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
)

// shortlistSize is how many of its least loaded servers an instance offers
// a shared store to choose among by the pending load of every instance's
// placements, at least; shortlistSlack is how many meetings the size of
// the one to place a server may look above the least loaded and still be
// offered. The instances' views differ by the placements whose events
// have not arrived yet, and by the claims under way: a server really
// among the least loaded may look that much fuller. A fixed number of
// servers was not enough in a fleet of equal servers: the least loaded
// level held more lagging servers than any shortlist (64 or 128 of 500),
// and the few really least loaded were missed (see pool.Shortlist).
const (
	shortlistSize  = 64
	shortlistSlack = 3
)

// errClaim marks a placement the store could not record.
var errClaim = errors.New("claim failed")

// place chooses a server for a new meeting and claims it in the store; it
// returns the owner afterwards and whether this create placed it. A store
// shared between instances that keeps their pending load (state.Placer)
// makes the choice among the pool's shortlist, so that a burst split over
// several instances spreads exactly as on one; otherwise the pool chooses.
func (g *Gateway) place(req pool.Request, tenantName, meetingID, prev string) (string, bool, error) {
	m := state.Meeting{Tenant: tenantName, MeetingID: meetingID, Expected: req.Expected}
	if pl := g.placer(); pl != nil {
		if _, least := g.pool.Strategy.(*pool.LeastLoad); least {
			return g.placeShared(pl, req, m, prev)
		}
	}
	pick, err := g.pool.Place(req)
	if err != nil {
		return "", false, err
	}
	m.ServerID = pick.ID
	owner, err := g.store.Claim(m, prev)
	if err != nil {
		pick.Unreserve(req.MeetingID)
		return "", false, fmt.Errorf("%w: %w", errClaim, err)
	}
	if owner != pick.ID {
		pick.Unreserve(req.MeetingID) // a concurrent create placed it first
		return owner, false, nil
	}
	return owner, true, nil
}

// placer returns the store's Placer, under the store's write deadline,
// or nil when the store is not one.
func (g *Gateway) placer() state.Placer {
	d, ok := g.store.(*deadlineStore)
	if !ok {
		pl, _ := g.store.(state.Placer)
		return pl
	}
	if pl, ok := d.Store.(state.Placer); ok {
		return deadlinePlacer{d, pl}
	}
	return nil
}

// deadlinePlacer gives a Placer's claims the deadline of every write.
type deadlinePlacer struct {
	d  *deadlineStore
	pl state.Placer
}

func (dp deadlinePlacer) ClaimAmong(m state.Meeting, prev, pendingID string, cands []state.Candidate, cost float64, span state.PendingSpan) (state.Claimed, error) {
	var c state.Claimed
	err := dp.d.run(func() error {
		var err error
		c, err = dp.pl.ClaimAmong(m, prev, pendingID, cands, cost, span)
		return err
	})
	if err != nil {
		return state.Claimed{}, err
	}
	return c, nil
}

func (dp deadlinePlacer) Settled(serverID string, ids []string, span state.PendingSpan) error {
	return dp.pl.Settled(serverID, ids, span)
}

func (g *Gateway) placeShared(pl state.Placer, req pool.Request, m state.Meeting, prev string) (string, bool, error) {
	short, span, err := g.pool.Shortlist(req, shortlistSize, shortlistSlack*g.pool.Model.Pending(req.Expected))
	if err != nil {
		return "", false, err
	}
	cands := make([]state.Candidate, len(short))
	for i, c := range short {
		cands[i] = state.Candidate{ServerID: c.Server.ID, Polled: c.Polled, Weight: c.Weight}
	}
	c, err := pl.ClaimAmong(m, prev, req.MeetingID, cands, g.pool.Model.Pending(req.Expected),
		state.PendingSpan{Now: span.Now, Length: span.Length, Keep: span.Keep})
	if err != nil {
		return "", false, fmt.Errorf("%w: %w", errClaim, err)
	}
	if c.Won {
		if s := g.pool.Get(c.Owner); s != nil {
			g.pool.Reserve(s, req.MeetingID, req.Expected, c.At)
		}
	}
	return c.Owner, c.Won, nil
}
