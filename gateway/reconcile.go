package gateway

import (
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
//
// It runs at every poll round over every running meeting and every
// placement (50,000 of each on a large fleet), so it keeps its maps and
// slices from one round to the next (reconcileBuffers) and, in a steady
// round, allocates next to nothing.
func (g *Gateway) Reconcile(round pool.Round) {
	g.breakouts.prune(func(id string) bool { return g.pool.Get(id) != nil })
	for sid, ms := range round.Meetings {
		g.breakouts.observe(sid, ms)
	}
	ended, adopt := g.recon.judge(g, round)
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
	g.tallyParticipants()
}

// reconcileBuffers are a reconcile's working maps and slices, kept between
// rounds: building them anew for 50,000 meetings every round was most of
// the reconcile's time (the maps growing, rehashing) and garbage.
type reconcileBuffers struct {
	mu sync.Mutex // rounds do not overlap, but nothing forbids it
	// running is, per BBB meetingID, the servers of the round that run it
	// (the first, and how many: almost always one).
	running map[string]runningOn
	// more holds the servers after the first of the meetings that run on
	// several; nil until a round finds one.
	more map[string][]string
	// placed is the store's placements of the round, copied into this
	// slice at every round rather than into a new sorted one.
	placed []state.Meeting
}

// runningOn is where a poll round found one meeting.
type runningOn struct {
	server string // the first server found running it
	n      int    // the servers running it
	placed bool   // a placement names it: not one to adopt
}

// on reports whether the meeting runs on sid.
func (r *reconcileBuffers) on(bbbID string, e runningOn, sid string) bool {
	if e.n == 0 {
		return false
	}
	if e.server == sid {
		return true
	}
	for _, s := range r.more[bbbID] {
		if s == sid {
			return true
		}
	}
	return false
}

// judge compares the round with the placements: the placements that ended
// and the running meetings to adopt. It logs and counts the conflicts.
func (r *reconcileBuffers) judge(g *Gateway, round pool.Round) (ended, adopt []state.Meeting) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running == nil {
		r.running = make(map[string]runningOn)
	}
	// clear keeps the map's room for the next round's as many meetings.
	clear(r.running)
	r.more = nil
	for sid, ms := range round.Meetings {
		for _, m := range ms {
			if m.Breakout { // BBB makes breakouts itself; they never come through here
				continue
			}
			e, ok := r.running[m.MeetingID]
			if !ok {
				r.running[m.MeetingID] = runningOn{server: sid, n: 1}
				continue
			}
			e.n++
			r.running[m.MeetingID] = e
			if r.more == nil {
				r.more = map[string][]string{}
			}
			r.more[m.MeetingID] = append(r.more[m.MeetingID], sid)
		}
	}
	r.placed = g.store.AppendMeetings(r.placed[:0])
	for _, m := range r.placed {
		t := g.tenants.Get(m.Tenant)
		if t == nil {
			continue // a tenant since removed: its placements wait for the safety expiry
		}
		bbbID, err := t.Scope(m.MeetingID)
		if err != nil {
			continue
		}
		e, isRunning := r.running[bbbID]
		if isRunning && !e.placed {
			e.placed = true
			r.running[bbbID] = e
		}
		if isRunning && (e.server != m.ServerID || e.n > 1) {
			r.conflicts(g, m, e.server)
			for _, sid := range r.more[bbbID] {
				r.conflicts(g, m, sid)
			}
		}
		_, ownerAnswered := round.Meetings[m.ServerID]
		switch {
		case ownerAnswered && !r.on(bbbID, e, m.ServerID) &&
			m.CreatedAt.Before(round.Started) && g.creates.settled(bbbID, round.Started):
			ended = append(ended, m)
		case !ownerAnswered && round.Started.Sub(m.CreatedAt) > PlacementExpiry:
			// The safety expiry: a server removed or dead for good never
			// says its meetings ended.
			ended = append(ended, m)
		}
	}
	// The copies would keep the strings of placements released since
	// alive until the next round; zeroed, the slice holds its room only.
	clear(r.placed)
	for bbbID, e := range r.running {
		if e.placed || e.n != 1 {
			continue
		}
		t, id := g.tenants.OwnerOf(bbbID)
		if g.tenants.Get(t.Name) != t {
			continue // a removed tenant's meeting: nobody's to adopt
		}
		adopt = append(adopt, state.Meeting{Tenant: t.Name, MeetingID: id, ServerID: e.server})
	}
	return ended, adopt
}

// conflicts logs and counts a placed meeting m that sid runs, if sid is
// not its server.
func (r *reconcileBuffers) conflicts(g *Gateway, m state.Meeting, sid string) {
	if sid == m.ServerID {
		return
	}
	g.conflicts.Add(1)
	g.obs.Conflict()
	g.log.Warn("meeting runs on another server than its placement: keeping the placement",
		"tenant", m.Tenant, "meetingID", m.MeetingID, "placed", m.ServerID, "running", sid)
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
