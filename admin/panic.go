package admin

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sync"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/pool"
)

// PanicAnswer is the answer of POST servers/{id}/panic.
type PanicAnswer struct {
	Server ServerInfo `json:"server"`
	// Ended lists every meeting an end was sent for.
	Ended []EndResult `json:"ended"`
	// Released counts the placements dropped.
	Released int `json:"released"`
}

// EndResult is the outcome of ending one meeting.
type EndResult struct {
	MeetingID string `json:"meeting_id"`
	// Result is "ended", "not running" (the server did not know it), or
	// "error" (see Error).
	Result string `json:"result"`
	Error  string `json:"error,omitempty"`
}

// panicEnds bounds the end calls in flight at once: a server with
// hundreds of meetings is ended quickly without a burst of connections.
const panicEnds = 8

// panicServer is the big red button for a server in trouble: it disables
// the server first, so no one joins a meeting being ended; ends every
// meeting placed there and every one its last poll saw, with a signed
// end; then drops those placements, so the next create of each meetingID
// goes to a healthy server.
func (a *API) panicServer(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s, err := a.cfg.Fleet.SetState(id, pool.Disabled)
	if err != nil {
		writeErr(w, err)
		return
	}
	var ids []string
	placed := a.cfg.Store.Meetings()
	for _, m := range placed {
		if m.ServerID == id && !slices.Contains(ids, m.MeetingID) {
			ids = append(ids, m.MeetingID)
		}
	}
	for _, m := range s.Meetings() {
		// A breakout room ends with its parent.
		if !m.Breakout && !slices.Contains(ids, m.MeetingID) {
			ids = append(ids, m.MeetingID)
		}
	}
	ans := PanicAnswer{Ended: make([]EndResult, len(ids))}
	sem := make(chan struct{}, panicEnds)
	var wg sync.WaitGroup
	for i, mid := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ans.Ended[i] = a.end(r.Context(), s, mid)
		}()
	}
	wg.Wait()
	for _, m := range placed {
		if m.ServerID == id {
			if err := a.cfg.Store.Release(m.Tenant, m.MeetingID, id); err == nil {
				ans.Released++
			}
		}
	}
	ended := 0
	for _, e := range ans.Ended {
		if e.Result == "ended" {
			ended++
		}
	}
	a.log.Warn("admin: panic: server disabled, its meetings ended", "server", id, "meetings", len(ids), "ended", ended, "released", ans.Released)
	ans.Server = a.info(s)
	writeJSON(w, http.StatusOK, ans)
}

// end sends a signed end for one meeting. BBB before 2.6 wants the
// moderator password too: when it asks for it, it is read with
// getMeetingInfo and the end sent again.
func (a *API) end(ctx context.Context, s *pool.Server, meetingID string) EndResult {
	res := EndResult{MeetingID: meetingID}
	q := url.Values{"meetingID": {meetingID}}
	reply, err := a.call(ctx, s, bbb.CallEnd, q)
	if err == nil && reply.MessageKey == "invalidPassword" {
		var info *bbb.Reply
		if info, err = a.call(ctx, s, bbb.CallGetMeetingInfo, q); err == nil && info.OK() {
			q.Set("password", info.Get("moderatorPW"))
			reply, err = a.call(ctx, s, bbb.CallEnd, q)
		}
	}
	switch {
	case err != nil:
		res.Result, res.Error = "error", err.Error()
	case reply.OK():
		res.Result = "ended"
	case reply.MessageKey == "notFound":
		res.Result = "not running"
	default:
		res.Result, res.Error = "error", reply.MessageKey+": "+reply.Message
	}
	return res
}

// call makes one signed call to s under the API's timeout and parses the
// answer.
func (a *API) call(ctx context.Context, s *pool.Server, call string, q url.Values) (*bbb.Reply, error) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	res, err := s.Client.Get(ctx, call, q.Encode())
	if err != nil {
		return nil, err
	}
	if res.Status != http.StatusOK {
		return nil, &Error{Status: http.StatusBadGateway, Msg: "server answered HTTP " + http.StatusText(res.Status)}
	}
	return bbb.ParseReply(res.Body, nil)
}
