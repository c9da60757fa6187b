package gateway

import (
	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/tenant"
)

// Errors for a tenant's limits. maxParticipantsReached is BBB's own key
// for a full meeting, which integrations already show to users.
var (
	errMaxMeetings     = &bbb.Error{Key: "maxConcurrentMeetings", Message: "The maximum number of concurrent meetings for this organisation has been reached."}
	errMaxParticipants = &bbb.Error{Key: "maxParticipantsReached", Message: "The number of participants allowed for this organisation has been reached."}
)

// meetingLimit refuses a new meeting of a tenant at its meeting limit.
func (g *Gateway) meetingLimit(t *tenant.Tenant) *bbb.Error {
	if t.MaxMeetings <= 0 {
		return nil
	}
	n := 0
	for _, m := range g.store.Meetings() {
		if m.Tenant == t.Name {
			n++
		}
	}
	if n >= t.MaxMeetings {
		return errMaxMeetings
	}
	return nil
}

// participantLimit refuses a join of a tenant whose meetings together hold
// its participant limit, as the last polls counted them.
func (g *Gateway) participantLimit(t *tenant.Tenant) *bbb.Error {
	if t.MaxParticipants <= 0 {
		return nil
	}
	n := 0
	for _, s := range g.pool.All() {
		for _, m := range s.Meetings() {
			if owner, _ := g.tenants.OwnerOf(m.MeetingID); owner == t && !m.Breakout {
				n += m.Participants
			}
		}
	}
	if n >= t.MaxParticipants {
		return errMaxParticipants
	}
	return nil
}
