package admin

import (
	"cmp"
	"net/http"
	"strings"
	"time"

	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
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
	Name         string     `json:"name,omitempty"`
	CreatedAt    *time.Time `json:"created_at,omitempty"`
	Participants int        `json:"participants"`
	Voice        int        `json:"voice"`
	Video        int        `json:"video"`
}

// MeetingList is the answer of GET meetings.
type MeetingList struct {
	Meetings []MeetingInfo `json:"meetings"`
	// Total counts the meetings that match the filter (all without one),
	// of which Meetings is the requested page.
	Total int `json:"total"`
}

// listMeetings joins the placements (where each meeting belongs) with the
// polls (what runs), so an operator sees which server holds a meeting and
// how many are in it (scalelite #725). Filters and paging (paging.go):
// ?q= matches the meetingID, name, tenant and server; ?tenant=, ?server=;
// ?running=true|false; ?sort=meeting_id, tenant, server, participants,
// age or name.
func (a *API) listMeetings(w http.ResponseWriter, r *http.Request) {
	pr, err := readPage(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	p := a.cfg.Fleet.Pool()
	polled := map[string]map[string]pool.MeetingLoad{} // server → BBB meetingID → load
	seen := func(server, bbbID string) (pool.MeetingLoad, bool) {
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
		m, ok := byID[bbbID]
		return m, ok
	}
	q := r.URL.Query()
	tenantF, serverF, runningF := q.Get("tenant"), q.Get("server"), q.Get("running")
	out := MeetingList{Meetings: []MeetingInfo{}}
	for _, m := range a.cfg.Store.Meetings() {
		if (tenantF != "" && m.Tenant != tenantF) || (serverF != "" && m.ServerID != serverF) {
			continue
		}
		mi := MeetingInfo{MeetingID: m.MeetingID, Tenant: m.Tenant, Server: m.ServerID, PlacedAt: m.CreatedAt}
		if ml, ok := seen(m.ServerID, a.bbbID(m)); ok {
			created := ml.Created
			mi.Running, mi.CreatedAt, mi.Name = true, &created, ml.Name
			mi.Participants, mi.Voice, mi.Video = ml.Participants, ml.Voice, ml.Video
		}
		if (runningF == "true" && !mi.Running) || (runningF == "false" && mi.Running) {
			continue
		}
		if !pr.matches(mi.MeetingID, mi.Name, mi.Tenant, mi.Server) {
			continue
		}
		out.Meetings = append(out.Meetings, mi)
	}
	out.Total = len(out.Meetings)
	out.Meetings, err = sortPage(pr, out.Meetings, meetingKeys, func(a, b MeetingInfo) int {
		return cmp.Or(strings.Compare(a.Tenant, b.Tenant), strings.Compare(a.MeetingID, b.MeetingID))
	})
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// started is when a meeting began: BBB's createTime, else its placement.
func (m MeetingInfo) started() time.Time {
	if m.CreatedAt != nil {
		return *m.CreatedAt
	}
	return m.PlacedAt
}

var meetingKeys = map[string]func(a, b MeetingInfo) int{
	"meeting_id":   func(a, b MeetingInfo) int { return strings.Compare(a.MeetingID, b.MeetingID) },
	"tenant":       func(a, b MeetingInfo) int { return strings.Compare(a.Tenant, b.Tenant) },
	"server":       func(a, b MeetingInfo) int { return strings.Compare(a.Server, b.Server) },
	"name":         func(a, b MeetingInfo) int { return strings.Compare(a.Name, b.Name) },
	"participants": func(a, b MeetingInfo) int { return cmp.Compare(a.Participants, b.Participants) },
	// Age: the oldest first, so "-age" is the newest first.
	"age": func(a, b MeetingInfo) int { return b.started().Compare(a.started()) },
}

// bbbID is the meetingID the server runs the meeting under: the tenant's
// own ID scoped by the tenant.
func (a *API) bbbID(m state.Meeting) string {
	if a.tenants == nil {
		return m.MeetingID
	}
	t := a.tenants.Registry().Get(m.Tenant)
	if t == nil {
		return m.MeetingID
	}
	id, err := t.Scope(m.MeetingID)
	if err != nil {
		return m.MeetingID
	}
	return id
}
