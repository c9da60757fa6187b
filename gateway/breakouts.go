package gateway

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/pool"
)

// Breakout rooms belong to their parent's tenant. BBB makes them itself, on
// the parent's server, with an external ID that is a hash of the parent's
// internal ID (bbbfake/breakouts.go has the rule): the ID carries no tenant
// prefix, so reading it as one would credit every tenant's breakouts to
// the default tenant. Ownership is derived from parentMeetingID instead,
// and a breakout whose parent is unknown belongs to no one.

// breakouts is what the polls last saw of each server's breakout rooms and
// of the meetings that can be their parents.
type breakouts struct {
	mu      sync.RWMutex
	servers map[string]serverRooms // by server ID
	// past remembers parents by internal ID after their meeting ended, in
	// order of arrival, for their breakouts' recordings.
	past  map[string]string
	order []string
	// misses are parents a server was asked for and did not know, with
	// when: a list of orphans' recordings asks each server once a minute
	// at most, not once per recording and call.
	misses map[string]time.Time
}

// missTTL is how long a parent a server did not know is not asked again.
const missTTL = time.Minute

// missed reports whether parentID was asked for in vain recently, and
// with miss set records that it just was.
func (b *breakouts) missed(parentID string, miss bool, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if miss {
		if b.misses == nil || len(b.misses) >= maxRememberedParents {
			b.misses = map[string]time.Time{} // bounded: forget them all at once
		}
		b.misses[strings.Clone(parentID)] = now // cut from a whole answer
		return true
	}
	at, ok := b.misses[parentID]
	return ok && now.Sub(at) < missTTL
}

// serverRooms is one server's part: parents by internal meeting ID (their
// BBB meeting ID), and breakout rooms by external ID (their parent's
// internal ID).
type serverRooms struct {
	parents map[string]string
	rooms   map[string]string
	// from is the poll's slice they were read from. The poll hands out
	// the very same slice again while the server's answer does not change
	// (pool/poll_answers.go), and its readers never write to it, so the
	// same slice means the same rooms: nothing to rebuild.
	from []pool.MeetingLoad
}

// of reports whether sr was read from ms itself.
func (sr serverRooms) of(ms []pool.MeetingLoad) bool {
	return len(sr.from) == len(ms) && (len(ms) == 0 || &sr.from[0] == &ms[0])
}

// observe replaces what is known of server's rooms with a poll's meetings.
func (b *breakouts) observe(server string, ms []pool.MeetingLoad) {
	b.mu.RLock()
	sr, ok := b.servers[server]
	b.mu.RUnlock()
	if !ok || !sr.of(ms) {
		sr = serverRooms{parents: map[string]string{}, rooms: map[string]string{}, from: ms}
		for _, m := range ms {
			if m.Breakout {
				sr.rooms[m.MeetingID] = m.ParentID
			} else if m.InternalID != "" {
				sr.parents[m.InternalID] = m.MeetingID
			}
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.servers == nil {
		b.servers = map[string]serverRooms{}
	}
	b.servers[server] = sr
	// Only parents that opened breakout rooms are remembered: theirs are
	// the only recordings that need them. They are remembered again at
	// every round, unchanged or not, so that one pushed out of the memory
	// while it ran is back in it when it ends.
	for _, parent := range sr.rooms {
		if id, ok := sr.parents[parent]; ok {
			b.remember(parent, id)
		}
	}
}

// prune drops the servers that left the pool, so the index is bounded by
// the pool.
func (b *breakouts) prune(inPool func(id string) bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id := range b.servers {
		if !inPool(id) {
			delete(b.servers, id)
		}
	}
}

// room finds the breakout room id: its server and its parent's BBB meeting
// ID, if the parent is known.
func (b *breakouts) room(id string) (server, parentBBBID string, ok bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for sid, sr := range b.servers {
		if p, found := sr.rooms[id]; found {
			parent, known := sr.parents[p]
			return sid, parent, known
		}
	}
	return "", "", false
}

// parent finds a meeting by its internal ID: its server and BBB meeting ID.
func (b *breakouts) parent(internalID string) (server, bbbID string, ok bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for sid, sr := range b.servers {
		if id, found := sr.parents[internalID]; found {
			return sid, id, true
		}
	}
	return "", "", false
}

// owningID is the BBB meeting ID whose tenant owns a listed meeting: its
// own, or for a breakout room its parent's. parents maps server "\x00"
// internal ID, of the same fan-out's answers, to meeting IDs (the freshest
// source);
// the poll index is asked when the parent is not in it. ok is false for a
// breakout whose parent is unknown.
func (g *Gateway) owningID(server, bbbID string, breakout bool, parentInternal string, parents map[string]string) (string, bool) {
	if !breakout {
		return bbbID, true
	}
	if id, ok := parents[server+"\x00"+parentInternal]; ok {
		return id, true
	}
	if sid, id, ok := g.breakouts.parent(parentInternal); ok && sid == server {
		return id, true
	}
	return "", false
}

// breakoutOwner routes a meeting call whose meeting ID has no placement:
// when it names a breakout room whose parent is the caller's, the call goes
// to the room's server, under the room's own (unscoped) ID. It reports
// whether it did.
func (g *Gateway) breakoutOwner(c *call) *pool.Server {
	sid, parent, ok := g.breakouts.room(c.meetingID)
	if !ok {
		return nil
	}
	if owner, _ := g.tenants.OwnerOf(parent); owner != c.tenant {
		return nil
	}
	s := g.pool.Get(sid)
	if s == nil || !s.Routable() {
		return nil
	}
	c.bbbID = c.meetingID
	c.params.Set("meetingID", c.meetingID)
	c.server = s.ID
	return s
}

// breakoutCreate sends a create of a breakout room (isBreakout=true) to its
// parent's server. BBB takes such a create's meetingID as the room's
// internal ID and parentMeetingID as the parent's internal ID; the parent
// must be one of the caller's running meetings, and the room's internal ID
// stays in the caller's scope. It answers and returns true when the create
// was a breakout's.
func (g *Gateway) breakoutCreate(w http.ResponseWriter, c *call) bool {
	if c.param("isBreakout") != "true" {
		return false
	}
	parentInternal := c.param("parentMeetingID")
	if parentInternal == "" {
		return false // BBB's own parentMeetingIdMissing, from any server
	}
	sid, parent, ok := g.breakouts.parent(parentInternal)
	if ok {
		if owner, _ := g.tenants.OwnerOf(parent); owner != c.tenant {
			ok = false
		}
	}
	s := g.pool.Get(sid)
	if !ok || s == nil || !s.Routable() {
		c.fail(w, errParentNotFound)
		return true
	}
	// BBB keys meetings by internal ID, and a create whose internal ID is a
	// running meeting's answers with that meeting (duplicateWarning, its
	// IDs and passwords). The room's internal ID is therefore kept in the
	// tenant's scope (scope has prefixed it for a named tenant), and one
	// shaped like an internal ID BBB made is refused: it could be any
	// tenant's meeting.
	if internalIDShape.MatchString(c.meetingID) {
		c.fail(w, errBreakoutInternalID)
		return true
	}
	c.server = s.ID
	g.proxy(w, c, s)
	return true
}

// internalIDShape is the form of the internal meeting IDs BBB makes:
// sha1 hex, a dash, a millisecond timestamp.
var internalIDShape = regexp.MustCompile(`^[0-9a-fA-F]{40}-[0-9]+$`)

var errBreakoutInternalID = &bbb.Error{Key: "validationError", Message: "A breakout room's meetingID cannot have the form of an internal meeting ID"}

// errParentNotFound is BBB's answer to a breakout whose parent does not
// run (BBB 3.0's key; unknown and another tenant's parents alike).
var errParentNotFound = &bbb.Error{Key: "parentMeetingDoesNotExist", Message: "No parent meeting exists for the breakout room"}

// maxRememberedParents bounds the parents of breakout rooms remembered
// after they ended (about 200 B each): their rooms' recordings are listed
// long after the meetings ended. Past the bound a parent is looked up on
// its server instead (recordingOwnerID).
const maxRememberedParents = 10_000

// remember keeps a parent's BBB meeting ID by its internal ID beyond its
// meeting's end, oldest forgotten first. Guarded by b.mu.
func (b *breakouts) remember(internalID, bbbID string) {
	if b.past == nil {
		b.past = map[string]string{}
	}
	if _, ok := b.past[internalID]; ok {
		return
	}
	if len(b.order) >= maxRememberedParents {
		delete(b.past, b.order[0])
		b.order = b.order[1:]
	}
	// Copies: the IDs may be cut from a whole getRecordings answer, which
	// a remembered parent kept for as long as it was remembered.
	internalID, bbbID = strings.Clone(internalID), strings.Clone(bbbID)
	b.past[internalID] = bbbID
	b.order = append(b.order, internalID)
}

// pastParent finds a parent by internal ID among the running and the
// remembered ones.
func (b *breakouts) pastParent(internalID string) (string, bool) {
	if _, id, ok := b.parent(internalID); ok {
		return id, true
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	id, ok := b.past[internalID]
	return id, ok
}

// recordingSpec reads what tells whose a listed recording is.
var recordingSpec = &bbb.ListSpec{List: "recordings", Item: "recording",
	Fields: []string{"recordID", "meetingID", "isBreakout", "breakout/parentId", "startTime"}}

// recordingOwnerID is the BBB meeting ID whose tenant owns a recording
// listed by s: its meetingID, or for a breakout room's recording its
// parent's, found by the parent's internal ID (which is the parent
// recording's recordID): among the meetings the polls saw, else by asking
// s for the parent's recording. "" when no parent is found: the
// recording is no one's.
func (g *Gateway) recordingOwnerID(ctx context.Context, c *call, s *pool.Server, it bbb.Item) string {
	meetingID, breakout, parentID := it.Fields[1], it.Fields[2] == "true", it.Fields[3]
	if !breakout || !g.tenants.MultiTenant() {
		return meetingID
	}
	if parentID == "" {
		return ""
	}
	if id, ok := g.breakouts.pastParent(parentID); ok {
		return id
	}
	if g.breakouts.missed(parentID, false, time.Now()) {
		return ""
	}
	cctx, cancel := context.WithTimeout(ctx, g.cfg.FanoutTimeout)
	defer cancel()
	q := bbb.Params{{Name: "recordID", Value: parentID}, {Name: "state", Value: "any"}}.Encode()
	probe := &call{name: bbb.CallGetRecordings, r: c.r, tenant: c.tenant}
	res, err := g.do(cctx, s, probe, q)
	if err != nil || res.Status != http.StatusOK {
		return ""
	}
	reply, err := bbb.ParseReply(res.Body, recordingSpec)
	if err != nil || !reply.OK() {
		return "" // a failing server proves nothing: asked again next time
	}
	for _, p := range reply.Items {
		if p.Fields[0] == parentID && p.Fields[2] != "true" {
			g.breakouts.mu.Lock()
			g.breakouts.remember(parentID, p.Fields[1])
			g.breakouts.mu.Unlock()
			return p.Fields[1]
		}
	}
	g.breakouts.missed(parentID, true, time.Now()) // the server answered: it has no such parent
	return ""
}
