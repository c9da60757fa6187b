package admin

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/tinyscale/tinyscale/state"
)

// EndRequest is the body of POST meetings/end.
type EndRequest struct {
	Tenant    string `json:"tenant"`
	MeetingID string `json:"meeting_id"`
}

// EndAnswer is its answer.
type EndAnswer struct {
	EndResult
	Server string `json:"server"`
	// Released is true when the placement was dropped: the next create
	// of the meetingID is placed afresh.
	Released bool `json:"released"`
}

// endMeeting ends one meeting on its server with a signed end, as BBB's
// end call would, and drops its placement once the server no longer runs
// it.
func (a *API) endMeeting(w http.ResponseWriter, r *http.Request) {
	var req EndRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.MeetingID == "" {
		writeError(w, http.StatusBadRequest, `send {"tenant": "...", "meeting_id": "..."} (tenant "default" for TINYSCALE_SECRET's meetings)`)
		return
	}
	if req.Tenant == "" {
		req.Tenant = state.DefaultTenant
	}
	m, ok := a.cfg.Store.Get(req.Tenant, req.MeetingID)
	if !ok {
		writeError(w, http.StatusNotFound, "no such meeting: "+req.Tenant+"/"+req.MeetingID)
		return
	}
	s := a.cfg.Fleet.Pool().Get(m.ServerID)
	if s == nil {
		writeError(w, http.StatusConflict, "the meeting's server "+m.ServerID+" is no longer in the pool")
		return
	}
	res := a.end(r.Context(), s, a.bbbID(m))
	res.MeetingID = m.MeetingID
	ans := EndAnswer{EndResult: res, Server: m.ServerID}
	if res.Result == "ended" || res.Result == "not running" {
		ans.Released = a.cfg.Store.Release(m.Tenant, m.MeetingID, m.ServerID) == nil
	}
	a.log.Warn("admin: meeting ended", "tenant", m.Tenant, "meetingID", m.MeetingID, "server", m.ServerID, "result", res.Result)
	status := http.StatusOK
	if res.Result == "error" {
		status = http.StatusBadGateway
	}
	writeJSON(w, status, ans)
}
