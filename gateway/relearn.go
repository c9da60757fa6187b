package gateway

import (
	"context"
	"sync"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
)

// relearn guards creates after the state store lost placements (a Redis
// restored from an older snapshot, flushed, or restarted empty): a meeting
// whose placement was lost still runs on its server, and placing it anew
// before the servers were asked would split it. From the loss until the
// next poll round has been reconciled, a create of a meeting the store
// does not know waits for that round.
type relearn struct {
	mu      sync.Mutex
	lost    bool
	lostAt  time.Time
	learned chan struct{} // closed by the round that follows a loss
}

// errStateRelearning answers a create that waited in vain for the servers
// to be asked after a loss of state.
var errStateRelearning = &bbb.Error{Key: "internalError", Message: "tinyscale is relearning which meetings run where after its state store lost data; try again in a few seconds."}

// relearnWait bounds how long a create waits for the round after a loss.
const relearnWait = 3 * time.Second

// StateLost tells the gateway that the store lost placements: creates of
// unknown meetings wait for the next reconciled poll round. The store
// calls it (state.LossNotifier); so may the poller's owner.
func (g *Gateway) StateLost() {
	r := &g.relearn
	r.mu.Lock()
	if !r.lost {
		r.lost, r.learned = true, make(chan struct{})
	}
	r.lostAt = time.Now()
	r.mu.Unlock()
	g.log.Warn("state store lost placements: new meetings wait until the servers were asked what runs")
	if g.cfg.Repoll != nil {
		g.cfg.Repoll()
	}
}

// learnedRound ends a loss: called after a round was reconciled, if the
// round started after the loss.
func (r *relearn) learnedRound(roundStart time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lost && !roundStart.Before(r.lostAt) {
		r.lost = false
		close(r.learned)
	}
}

// learned waits, at most relearnWait, until no loss of state is pending,
// and reports whether none is.
func (g *Gateway) learned(ctx context.Context) bool {
	r := &g.relearn
	r.mu.Lock()
	lost, ch := r.lost, r.learned
	r.mu.Unlock()
	if !lost {
		return true
	}
	t := time.NewTimer(relearnWait)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}
