package gateway

import (
	"slices"

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
	for sid, ms := range round.Meetings {
		for _, m := range ms {
			if !m.Breakout { // BBB makes breakouts itself; they never come through here
				where[m.MeetingID] = append(where[m.MeetingID], sid)
			}
		}
	}
	placed := map[string]bool{}
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
		if ownerAnswered && !slices.Contains(running, m.ServerID) &&
			m.CreatedAt.Before(round.Started) && g.creates.settled(bbbID, round.Started) {
			g.store.Release(m.Tenant, m.MeetingID, m.ServerID)
			g.log.Debug("meeting ended", "tenant", m.Tenant, "meetingID", m.MeetingID, "server", m.ServerID)
		}
	}
	for bbbID, sids := range where {
		if placed[bbbID] || len(sids) != 1 {
			continue
		}
		t, id := g.tenants.OwnerOf(bbbID)
		if g.tenants.Get(t.Name) != t {
			continue // a removed tenant's meeting: nobody's to adopt
		}
		if owner, err := g.store.Claim(state.Meeting{Tenant: t.Name, MeetingID: id, ServerID: sids[0]}, ""); err == nil && owner == sids[0] {
			g.log.Info("adopted a running meeting", "tenant", t.Name, "meetingID", id, "server", sids[0])
		}
	}
	g.creates.prune(round.Started)
}

// Conflicts counts the meetings found running on another server than
// their placement since the start.
func (g *Gateway) Conflicts() int64 { return g.conflicts.Load() }
