package gateway

import (
	"context"
	"net/url"
	"strings"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/callback"
)

// MeetingEnded is told of a meeting-ended callback that BBB (or someone
// replaying its URL) made. It asks the server first: only when the server
// no longer runs a meeting of that ID are its placement and load freed,
// at once instead of at the next poll. A replay of tinyscale's
// meetingEndedURL, or the late callback of an earlier session of the same
// meeting ID, finds the meeting running and frees nothing, so the next
// create cannot split the meeting. The token's session (its placement)
// tells the two apart: a replay of the running session's callback is
// dropped, an earlier session's is relayed.
func (g *Gateway) MeetingEnded(ctx context.Context, t callback.Target) callback.Ending {
	tn := g.tenants.Get(t.Tenant)
	if tn == nil {
		// A tenant no longer configured has nothing to free, and its
		// integration is no longer served.
		g.log.Info("meeting-ended callback of a tenant no longer configured: dropped", "tenant", t.Tenant, "meetingID", t.MeetingID)
		return callback.EndRunning
	}
	bbbID, err := tn.Scope(t.MeetingID)
	if err != nil {
		return callback.EndRunning
	}
	s := g.pool.Get(t.ServerID)
	if s == nil {
		// The server was removed: nothing runs there through tinyscale.
		g.store.Release(t.Tenant, t.MeetingID, t.ServerID)
		return callback.EndConfirmed
	}
	ctx, cancel := context.WithTimeout(ctx, g.cfg.RequestTimeout)
	defer cancel()
	res, err := s.Client.Get(ctx, bbb.CallGetMeetingInfo, "meetingID="+url.QueryEscape(bbbID))
	if err != nil {
		g.log.Warn("meeting-ended callback: cannot ask the server; BBB will call again", "server", s.ID, "error", err)
		return callback.EndUnknown
	}
	reply := parseBackend(res)
	switch {
	case reply == nil:
		return callback.EndUnknown
	case reply.OK() && !hasEnded(reply):
		if !g.currentSession(t) {
			return callback.EndEarlier
		}
		return callback.EndRunning
	case !reply.OK() && reply.MessageKey != "notFound":
		return callback.EndUnknown
	}
	s.Forget(bbbID)
	g.store.Release(t.Tenant, t.MeetingID, t.ServerID)
	g.log.Info("meeting ended", "tenant", t.Tenant, "meetingID", t.MeetingID, "server", t.ServerID)
	return callback.EndConfirmed
}

// hasEnded reports whether a getMeetingInfo answer shows a meeting that
// is over but still listed (BBB keeps an ended meeting a while).
func hasEnded(r *bbb.Reply) bool {
	if strings.EqualFold(r.Get("hasBeenForciblyEnded"), "true") {
		return true
	}
	end := r.Get("endTime")
	return end != "" && end != "0"
}

// currentSession reports whether t's token was issued for the placement
// the meeting has now: the same server, placed at the same moment. A
// token of an earlier session names an older placement. Tokens that name
// no placement (issued by earlier versions) count as current, which only
// withholds their callback while a meeting of that ID runs.
func (g *Gateway) currentSession(t callback.Target) bool {
	if t.Placed == 0 {
		return true
	}
	m, ok := g.store.Get(t.Tenant, t.MeetingID)
	return ok && m.ServerID == t.ServerID && m.CreatedAt.UnixMilli() == t.Placed
}
