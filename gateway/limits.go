package gateway

import (
	"strconv"
	"sync"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
)

// Errors for a tenant's limits. maxParticipantsReached is BBB's own key
// for a full meeting, which integrations already show to users.
var (
	errMaxMeetings     = &bbb.Error{Key: "maxConcurrentMeetings", Message: "The maximum number of concurrent meetings for this organisation has been reached."}
	errMaxParticipants = &bbb.Error{Key: "maxParticipantsReached", Message: "The number of participants allowed for this organisation has been reached."}
)

// meetingLimits makes a tenant's max_meetings hold under concurrency:
// checking the count and placing the meeting are not one step, so the
// creates between the two (placing, claiming) are counted as well. Forty
// creates at once against a limit of five: five run.
//
// It counts this instance's creates under way; instances sharing a Redis
// see each other's meetings once claimed, so across N instances at most
// N-1 creates more can slip in between the count and the claim.
type meetingLimits struct {
	mu      sync.Mutex
	pending map[string]int // tenant name → creates between reserve and done
}

// slot is one reserved place under a tenant's limit, until its claim is
// in the store (or failed).
type slot struct {
	l    *meetingLimits
	name string
	once sync.Once
}

func (s *slot) done() {
	if s == nil {
		return
	}
	s.once.Do(func() {
		s.l.mu.Lock()
		if s.l.pending[s.name]--; s.l.pending[s.name] <= 0 {
			delete(s.l.pending, s.name)
		}
		s.l.mu.Unlock()
	})
}

// reserve refuses a new meeting of a tenant at its meeting limit, counting
// its placed meetings and its creates under way; else it holds a place
// until done is called on the slot. A tenant without a limit gets a nil
// slot.
func (l *meetingLimits) reserve(t *tenant.Tenant, store state.Store) (*slot, *bbb.Error) {
	if t.MaxMeetings <= 0 {
		return nil, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.pending[t.Name] + store.TenantMeetings(t.Name)
	if n >= t.MaxMeetings {
		return nil, errMaxMeetings
	}
	if l.pending == nil {
		l.pending = map[string]int{}
	}
	l.pending[t.Name]++
	return &slot{l: l, name: t.Name}, nil
}

// DefaultMaxSizeHint caps meta_bbb-meeting-size-hint: one create cannot
// count as more participants than a big BBB server holds, however large
// the hint, so one tenant cannot make every server look full.
const DefaultMaxSizeHint = 500

// sizeHintParam is the size hint Greenlight and Scalelite send.
const sizeHintParam = "meta_bbb-meeting-size-hint"

// sizeHint reads meta_bbb-meeting-size-hint: a count of participants
// between 0 and the configured maximum; anything else counts as no hint.
func (g *Gateway) sizeHint(v string) int {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return int(min(n, int64(g.cfg.MaxSizeHint)))
}

// participantLimit refuses a join of a tenant whose meetings together hold
// its participant limit, as the last poll round counted them.
func (g *Gateway) participantLimit(t *tenant.Tenant) *bbb.Error {
	if t.MaxParticipants <= 0 {
		return nil
	}
	tally := g.participants.Load()
	n, counted := 0, false
	if tally != nil {
		n, counted = (*tally)[t.Name]
	}
	if !counted { // no round since the limit came: count now
		n = (*g.tallyParticipants())[t.Name]
	}
	if n >= t.MaxParticipants {
		return errMaxParticipants
	}
	return nil
}

// tallyParticipants counts, once a poll round, the participants of the
// meetings of every tenant that has a participant limit, and keeps the
// count for the joins until the next round. Counting at each join walked
// every meeting of every server (50,000 on a large fleet) per join.
func (g *Gateway) tallyParticipants() *map[string]int {
	limited := map[string]bool{}
	if d := g.tenants.Default(); d.MaxParticipants > 0 {
		limited[d.Name] = true
	}
	for _, t := range g.tenants.All() {
		if t.MaxParticipants > 0 {
			limited[t.Name] = true
		}
	}
	n := make(map[string]int, len(limited))
	for name := range limited {
		n[name] = 0 // counted, even with no one in its meetings
	}
	if len(limited) > 0 {
		for _, s := range g.pool.All() {
			for _, m := range s.Meetings() {
				if owner, _ := g.tenants.OwnerOf(m.MeetingID); limited[owner.Name] && !m.Breakout {
					n[owner.Name] += m.Participants
				}
			}
		}
	}
	g.participants.Store(&n)
	return &n
}
