package gateway

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/pool"
)

// noRecordingsMessage is BBB's text for an empty getRecordings.
const noRecordingsMessage = "There are no recordings for the meeting(s)."

// getRecordings asks every available server with the client's filters
// (meetingID, recordID prefixes, state, meta_), splices the union of their
// <recording> elements sorted by start time, and pages it itself: offset
// and limit are kept from the backends so that clients page over all
// servers at once, and totalElements counts them all.
func (g *Gateway) getRecordings(w http.ResponseWriter, c *call) {
	offset, limit, paged, e := pageParams(c)
	if e != nil {
		c.fail(w, e)
		return
	}
	query := c.query
	if paged {
		query = bbb.RemoveParams(c.query, "offset", "limit")
	}
	query, anyMine := g.scopeMeetingList(c, query)
	spec := &bbb.ListSpec{List: "recordings", Item: "recording", Fields: []string{"recordID", "startTime", "meetingID"}}
	type rec struct {
		raw   []byte
		start int64
	}
	var recs []rec
	servers := g.pool.Routable()
	if !anyMine {
		servers = nil // every meetingID asked for is another tenant's: nothing to find
	}
	answers := g.fanout(c.r.Context(), servers, c, func(*pool.Server) string { return query })
	eachItem(answers, spec, func(s *pool.Server, it bbb.Item) {
		if id := it.Fields[0]; id != "" {
			g.store.SetRecordingOwner(id, s.ID)
		}
		if raw, ok := g.ownItem(c, it.Raw, it.Fields[2]); ok {
			recs = append(recs, rec{raw, bbb.Int(it.Fields[1])})
		}
	})
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].start < recs[j].start })
	total := len(recs)
	var extra []byte
	if paged {
		recs = recs[min(offset, total):min(offset+limit, total)]
		extra = []byte("<totalElements>" + strconv.Itoa(total) + "</totalElements>")
	}
	items := make([][]byte, len(recs))
	for i, r := range recs {
		items[i] = r.raw
	}
	c.result = bbb.Success
	bbb.WriteXML(w, g.restore(bbb.ListXML("recordings", items, "noRecordings", noRecordingsMessage, extra)))
}

// maxPageSize is BBB's upper bound for limit.
const maxPageSize = 100

// pageParams reads offset and limit as BBB 2.6+ does: offset ≥ 0, limit
// 1–100 (larger values are capped). paged is false when neither is given.
func pageParams(c *call) (offset, limit int, paged bool, e *bbb.Error) {
	limit = maxPageSize
	for _, p := range []struct {
		key string
		dst *int
	}{{"offset", &offset}, {"limit", &limit}} {
		v, ok, _ := bbb.Param(c.query, p.key)
		if !ok || v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, false, &bbb.Error{Key: "validationError", Message: "Param '" + p.key + "' must be a non-negative integer"}
		}
		*p.dst, paged = n, true
	}
	limit = max(1, min(limit, maxPageSize))
	return offset, limit, paged, nil
}

// recordingsCall sends publish/update/deleteRecordings and the text-track
// calls to the servers holding the recordIDs. A csv list may span servers:
// each known server gets its own part; IDs not seen yet go to every
// available server. The answers are combined: the first success wins.
func (g *Gateway) recordingsCall(w http.ResponseWriter, c *call) {
	var ids []string
	for _, id := range strings.Split(c.param("recordID"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		c.fail(w, bbb.ErrMissingRecordID)
		return
	}
	if g.tenants.MultiTenant() {
		if ids = g.ownRecordings(c, ids); len(ids) == 0 {
			if c.isJSON() {
				c.fail(w, &bbb.Error{Key: "noRecordings", Message: "No recording found for the recordID."})
			} else {
				c.fail(w, bbb.ErrRecordNotFound)
			}
			return
		}
	}
	parts := map[string][]string{} // server ID → its recordIDs
	var unknown []string
	for _, id := range ids {
		if sid, ok := g.store.RecordingOwner(id); ok && g.pool.Get(sid) != nil {
			parts[sid] = append(parts[sid], id)
		} else {
			unknown = append(unknown, id)
		}
	}
	var servers []*pool.Server
	for _, s := range g.pool.Routable() {
		if len(parts[s.ID]) > 0 || len(unknown) > 0 {
			parts[s.ID] = append(parts[s.ID], unknown...)
			servers = append(servers, s)
		}
	}
	whole := strings.Join(ids, ",") == c.param("recordID")
	query := func(s *pool.Server) string {
		if whole && len(parts[s.ID]) == len(ids) {
			return c.query // the whole list: keep the client's bytes
		}
		return bbb.ReplaceParam(c.query, "recordID", strings.Join(parts[s.ID], ","))
	}
	notFound := bbb.ErrRecordNotFound
	if c.isJSON() {
		notFound = nil // the backends' own JSON answer says it
	}
	g.firstSuccess(w, c, g.fanout(c.r.Context(), servers, c, query), notFound)
}

// isJSON reports whether the call answers JSON (the text-track calls).
func (c *call) isJSON() bool {
	return c.name == bbb.CallGetRecordingTextTracks || c.name == bbb.CallPutRecordingTextTrack
}

// replyStatus reads a backend answer: success, its messageKey, and whether
// it is a valid answer at all (XML, or JSON for the text-track calls).
func (c *call) replyStatus(res *bbb.Response) (ok bool, key string, valid bool) {
	if res.Status != http.StatusOK {
		return false, "", false
	}
	if c.isJSON() {
		var v struct {
			Response struct {
				ReturnCode string `json:"returncode"`
				MessageKey string `json:"messageKey"`
			} `json:"response"`
		}
		if json.Unmarshal(res.Body, &v) != nil || v.Response.ReturnCode == "" {
			return false, "", false
		}
		return v.Response.ReturnCode == bbb.Success, v.Response.MessageKey, true
	}
	reply := parseBackend(res)
	if reply == nil {
		return false, "", false
	}
	return reply.OK(), reply.MessageKey, true
}

// relayRaw passes a backend answer already judged valid.
func (c *call) relayRaw(w http.ResponseWriter, res *bbb.Response, key string) {
	c.result = key
	if c.result == "" {
		c.result = "relayed"
	}
	if c.isJSON() {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		w.Write(res.Body)
		return
	}
	bbb.WriteXML(w, res.Body)
}

// scopeMeetingList scopes getRecordings' meetingID csv to the caller's
// tenant. any is false when the client asked for meetings and none of them
// can be the tenant's.
func (g *Gateway) scopeMeetingList(c *call, query string) (string, bool) {
	raw, ok, _ := bbb.Param(query, "meetingID")
	if !ok || raw == "" || !g.tenants.MultiTenant() {
		return query, true
	}
	var out []string
	for _, id := range strings.Split(raw, ",") {
		if c.tenant == g.tenants.Default() {
			if !g.tenants.Reserved(id) {
				out = append(out, id)
			}
			continue
		}
		if scoped, err := c.tenant.Scope(id); err == nil {
			out = append(out, scoped)
		}
	}
	if len(out) == 0 {
		return query, false
	}
	return bbb.ReplaceParam(query, "meetingID", strings.Join(out, ",")), true
}

// ownRecordings keeps the recordIDs that belong to the caller's tenant, as
// the servers say: a recording is its meeting's, and the meeting ID tells
// the tenant. A recordID of another tenant is answered as unknown.
func (g *Gateway) ownRecordings(c *call, ids []string) []string {
	q := url.Values{"recordID": {strings.Join(ids, ",")}, "state": {"any"}}.Encode()
	probe := &call{name: bbb.CallGetRecordings, r: c.r, tenant: c.tenant}
	spec := &bbb.ListSpec{List: "recordings", Item: "recording", Fields: []string{"recordID", "meetingID"}}
	mine := map[string]bool{}
	eachItem(g.fanout(c.r.Context(), g.pool.Routable(), probe, func(*pool.Server) string { return q }), spec, func(s *pool.Server, it bbb.Item) {
		g.store.SetRecordingOwner(it.Fields[0], s.ID)
		if owner, _ := g.tenants.OwnerOf(it.Fields[1]); owner == c.tenant {
			mine[it.Fields[0]] = true
		}
	})
	var out []string
	for _, id := range ids {
		if mine[id] {
			out = append(out, id)
		}
	}
	return out
}
