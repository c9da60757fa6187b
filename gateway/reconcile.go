package gateway

import (
	"slices"
	"sync"
	"time"

	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
)

// Reconcile brings the placements in line with what a poll round found
// running. The BBB servers are the truth about what runs; the store is
// the truth about where a meeting belongs:
//
//   - a placed meeting that its server no longer runs has ended: the
//     placement is dropped (unless it is so young that its create may
//     still have been under way when the poll went out);
//   - a meeting running on a server with no placement is adopted, so a
//     restarted tinyscale learns where meetings are before any create;
//   - a meeting running on another server than its placement is a
//     conflict (the old server came back still holding a meeting that was
//     re-created elsewhere): the placement wins, the conflict is logged and
//     counted, and nothing is ever routed to the old server.
//
// Servers that did not answer are left alone: a failed poll says nothing
// about their meetings.
func (g *Gateway) Reconcile(round pool.Round) {
	where := map[string][]string{} // BBB meetingID → servers running it, of those that answered
	g.breakouts.prune(func(id string) bool { return g.pool.Get(id) != nil })
	for sid, ms := range round.Meetings {
		g.breakouts.observe(sid, ms)
		for _, m := range ms {
			if !m.Breakout { // BBB makes breakouts itself; they never come through here
				where[m.MeetingID] = append(where[m.MeetingID], sid)
			}
		}
	}
	placed := map[string]bool{}
	var ended []state.Meeting
	for _, m := range g.store.Meetings() {
		t := g.tenants.Get(m.Tenant)
		if t == nil {
			continue // a tenant since removed: its placements wait for the safety expiry
		}
		bbbID, err := t.Scope(m.MeetingID)
		if err != nil {
			continue
		}
		placed[bbbID] = true
		running := where[bbbID]
		_, ownerAnswered := round.Meetings[m.ServerID]
		for _, sid := range running {
			if sid != m.ServerID {
				g.conflicts.Add(1)
				g.obs.Conflict()
				g.log.Warn("meeting runs on another server than its placement: keeping the placement",
					"tenant", m.Tenant, "meetingID", m.MeetingID, "placed", m.ServerID, "running", sid)
			}
		}
		switch {
		case ownerAnswered && !slices.Contains(running, m.ServerID) &&
			m.CreatedAt.Before(round.Started) && g.creates.settled(bbbID, round.Started):
			ended = append(ended, m)
		case !ownerAnswered && round.Started.Sub(m.CreatedAt) > PlacementExpiry:
			// The safety expiry: a server removed or dead for good never
			// says its meetings ended.
			ended = append(ended, m)
		}
	}
	var adopt []state.Meeting
	for bbbID, sids := range where {
		if placed[bbbID] || len(sids) != 1 {
			continue
		}
		t, id := g.tenants.OwnerOf(bbbID)
		if g.tenants.Get(t.Name) != t {
			continue // a removed tenant's meeting: nobody's to adopt
		}
		adopt = append(adopt, state.Meeting{Tenant: t.Name, MeetingID: id, ServerID: sids[0]})
	}
	// Many writes at once share the durable store's commits: a restart in
	// front of 10,000 running meetings adopts them in a fraction of a
	// second instead of one fsync after another.
	parallel(ended, func(m state.Meeting) {
		g.store.Release(m.Tenant, m.MeetingID, m.ServerID)
		g.log.Debug("meeting ended", "tenant", m.Tenant, "meetingID", m.MeetingID, "server", m.ServerID)
	})
	parallel(adopt, func(m state.Meeting) {
		if owner, err := g.store.Claim(m, ""); err == nil && owner == m.ServerID {
			g.log.Info("adopted a running meeting", "tenant", m.Tenant, "meetingID", m.MeetingID, "server", m.ServerID)
		}
	})
	g.creates.prune(round.Started)
	g.relearn.learnedRound(round.Started)
}

// PlacementExpiry is how long a placement outlives a server that no longer
// answers polls. A server that answers keeps its running meetings placed
// however long they run.
const PlacementExpiry = 7 * 24 * time.Hour

// reconcileWorkers bounds the store writes a reconcile makes at once.
const reconcileWorkers = 64

// parallel runs fn on every item with at most reconcileWorkers at once,
// and returns when all are done.
func parallel[T any](items []T, fn func(T)) {
	work := make(chan T)
	var wg sync.WaitGroup
	for range min(reconcileWorkers, len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				fn(it)
			}
		}()
	}
	for _, it := range items {
		work <- it
	}
	close(work)
	wg.Wait()
}

// Conflicts counts the meetings found running on another server than
// their placement since the start.
func (g *Gateway) Conflicts() int64 { return g.conflicts.Load() }
