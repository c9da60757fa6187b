package admin

import (
	"net/http"
	"time"

	"github.com/tinyscale/tinyscale/pool"
)

// MeetingInfo is a placed meeting with what its server's last poll saw of
// it.
type MeetingInfo struct {
	MeetingID string `json:"meeting_id"`
	Tenant    string `json:"tenant"`
	Server    string `json:"server"`
	// PlacedAt is when tinyscale placed (or adopted) the meeting.
	PlacedAt time.Time `json:"placed_at"`
	// Running is true when the server's last poll saw the meeting; the
	// fields below come from that poll.
	Running      bool       `json:"running"`
	CreatedAt    *time.Time `json:"created_at,omitempty"`
	Participants int        `json:"participants"`
	Voice        int        `json:"voice"`
	Video        int        `json:"video"`
}

// MeetingList is the answer of GET meetings.
type MeetingList struct {
	Meetings []MeetingInfo `json:"meetings"`
}

// listMeetings joins the placements (where each meeting belongs) with the
// polls (what runs), so an operator sees which server holds a meeting and
// how many are in it (scalelite #725).
func (a *API) listMeetings(w http.ResponseWriter, r *http.Request) {
	p := a.cfg.Fleet.Pool()
	polled := map[string]map[string]pool.MeetingLoad{} // server → meetingID → load
	seen := func(server, meetingID string) (pool.MeetingLoad, bool) {
		byID, ok := polled[server]
		if !ok {
			byID = map[string]pool.MeetingLoad{}
			if s := p.Get(server); s != nil {
				for _, m := range s.Meetings() {
					byID[m.MeetingID] = m
				}
			}
			polled[server] = byID
		}
		m, ok := byID[meetingID]
		return m, ok
	}
	out := MeetingList{Meetings: []MeetingInfo{}}
	for _, m := range a.cfg.Store.Meetings() {
		mi := MeetingInfo{MeetingID: m.MeetingID, Tenant: m.Tenant, Server: m.ServerID, PlacedAt: m.CreatedAt}
		if ml, ok := seen(m.ServerID, m.MeetingID); ok {
			created := ml.Created
			mi.Running, mi.CreatedAt = true, &created
			mi.Participants, mi.Voice, mi.Video = ml.Participants, ml.Voice, ml.Video
		}
		out.Meetings = append(out.Meetings, mi)
	}
	writeJSON(w, http.StatusOK, out)
}
