package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/pool"
)

// noRecordingsMessage is BBB's text for an empty getRecordings.
const noRecordingsMessage = "There are no recordings for the meeting(s)."

// getRecordings asks every available server with the client's filters
// (meetingID, recordID prefixes, state, meta_), splices the union of their
// <recording> elements sorted by start time, and pages it as one BBB server
// would: see page and liveRecordings.
func (g *Gateway) getRecordings(w http.ResponseWriter, c *call) {
	if g.cfg.Recordings != nil {
		g.getStoredRecordings(w, c)
		return
	}
	pg := readPage(c)
	recs, total := g.liveRecordings(c, pg, nil)
	g.writeRecordings(w, c, pg, recs, total)
}

// liveRecording is one <recording> a server listed, already shown as the
// caller's tenant sees it.
type liveRecording struct {
	id    string
	raw   []byte
	start int64
}

// writeRecordings answers a getRecordings: recs sorted by start time, the
// page cut out of them when the call is paged, and totalElements then.
func (g *Gateway) writeRecordings(w http.ResponseWriter, c *call, pg page, recs []liveRecording, total int) {
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].start < recs[j].start })
	var extra []byte
	if pg.paged {
		recs = recs[min(pg.offset, len(recs)):min(pg.offset+pg.limit, len(recs))]
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

// maxLivePages bounds how many pages of 100 one server is asked for in one
// getRecordings, when every match must be seen (10,000 recordings).
const maxLivePages = 100

// page is a getRecordings' paging, as bbb-web reads it.
type page struct {
	offset, limit int
	paged         bool
}

// readPage reads offset and limit as bbb-web's MeetingService does: the
// answer is paged only when limit is an integer (offset alone pages
// nothing, as on BBB); limit is clamped to 1..100, so limit=0 gives one
// recording; an offset that is missing, not a number or negative is 0.
//
// Numbers are read as Java's Integer.parseInt reads them: one that does not
// fit in 32 bits is not a number (and offset+limit cannot overflow).
func readPage(c *call) page {
	l, err := strconv.ParseInt(c.param("limit"), 10, 32)
	if err != nil {
		return page{}
	}
	o, _ := strconv.ParseInt(c.param("offset"), 10, 32)
	return page{offset: int(max(o, 0)), limit: int(min(max(l, 1), maxPageSize)), paged: true}
}

// liveRecordings asks the servers for the caller's recordings and returns
// those the caller's tenant owns and skip does not name, with the number
// of matches in all.
//
// Unpaged, each server is asked once with the client's query. Paged, each
// server is asked with BBB's own paging for at most offset+limit
// recordings (in pages of 100, BBB's maximum), so that a server with
// allowFetchAllRecordings=false answers and nobody reads everything for one
// page; totalElements is the sum of the servers' own. When some of a
// server's matches may be left out here (another tenant's, or already in
// tinyscale's store: skip), the count is only right if every match is seen,
// so each server is then read to its end (at most maxLivePages pages).
func (g *Gateway) liveRecordings(c *call, pg page, skip func(recordID string) bool) ([]liveRecording, int) {
	p := c.params.Clone()
	anyMine := g.scopeMeetingList(c, &p)
	servers := g.pool.Routable()
	if !anyMine {
		return nil, 0 // every meetingID asked for is another tenant's: nothing to find
	}
	query := p.Encode()
	spec := recordingSpec
	var mu sync.Mutex
	var recs []liveRecording
	total := 0
	keep := func(s *pool.Server, it bbb.Item) bool {
		id := it.Fields[0]
		if id != "" {
			g.noteRecordingOwner(id, s.ID)
		}
		if skip != nil && skip(id) {
			return false
		}
		owner := g.recordingOwnerID(c.r.Context(), c, s, it)
		if owner == "" {
			return false // a breakout's recording whose parent is unknown is no one's
		}
		raw, ok := g.ownItem(c, it.Raw, owner)
		if ok {
			mu.Lock()
			recs = append(recs, liveRecording{id, raw, bbb.Int(it.Fields[4])})
			mu.Unlock()
		}
		return ok
	}
	if !pg.paged {
		eachItem(g.fanout(c.r.Context(), servers, c, func(*pool.Server) string { return query }), spec, func(s *pool.Server, it bbb.Item) {
			if keep(s, it) {
				total++
			}
		})
		return recs, total
	}
	exact := skip == nil && !g.tenants.MultiTenant()
	want := pg.offset + pg.limit
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer g.recoverWorker(c.name)
			n := g.livePages(c, s, query, spec, want, exact, keep)
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	return recs, total
}

// livePages reads one server's matches page by page with BBB's offset and
// limit and returns its count of matches: the server's totalElements when
// exact, else the matches keep kept. It stops after want recordings when
// exact, at the end of the list otherwise. A server that fails counts what
// it answered so far.
func (g *Gateway) livePages(c *call, s *pool.Server, query string, spec *bbb.ListSpec, want int, exact bool, keep func(*pool.Server, bbb.Item) bool) int {
	ctx, cancel := context.WithTimeout(c.r.Context(), g.cfg.FanoutTimeout)
	defer cancel()
	kept, total := 0, 0
	for off, pages := 0, 0; pages < maxLivePages; pages++ {
		n := maxPageSize
		if exact {
			n = min(maxPageSize, want-off)
		}
		q := bbb.ReplaceParam(bbb.ReplaceParam(query, "offset", strconv.Itoa(off)), "limit", strconv.Itoa(n))
		res, err := g.do(ctx, s, c, q)
		if err != nil || res.Status != http.StatusOK {
			break
		}
		reply, err := bbb.ParseReply(res.Body, spec)
		if err != nil || !reply.OK() {
			break
		}
		for _, it := range reply.Items {
			if keep(s, it) {
				kept++
			}
		}
		total = int(bbb.Int(reply.Get("totalElements")))
		off += len(reply.Items)
		if len(reply.Items) < n || off >= total || (exact && off >= want) {
			break
		}
	}
	if exact {
		return max(total, kept)
	}
	return kept
}

// recordingsCall sends publish/update/deleteRecordings and the text-track
// calls to the servers holding the recordIDs. A csv list may span servers:
// each known server gets its own part; IDs not seen yet go to every
// available server. The answers are combined: the first success wins.
func (g *Gateway) recordingsCall(w http.ResponseWriter, c *call) {
	var ids []string
	list, ok := bbb.IDList(c.param("recordID"))
	if !ok {
		c.fail(w, bbb.ErrBadQuery)
		return
	}
	for _, id := range list {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		c.fail(w, bbb.ErrMissingRecordID)
		return
	}
	if g.cfg.Recordings != nil && c.isJSON() && g.storedTextTracksCall(w, c, ids) {
		return
	}
	if g.cfg.Recordings != nil && !c.isJSON() && g.storedRecordingsCall(w, c, ids) {
		return
	}
	g.recordingsCallServers(w, c, ids)
}

// recordingsCallServers is recordingsCall for recordings the servers hold.
func (g *Gateway) recordingsCallServers(w http.ResponseWriter, c *call, ids []string) {
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
	query := func(s *pool.Server) string {
		// Each server reads exactly its part of the list, as tinyscale
		// read it.
		p := c.params.Clone()
		p.Set("recordID", bbb.EncodeIDList(parts[s.ID]))
		return p.Encode()
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

// scopeMeetingList scopes getRecordings' meetingID csv in p to the
// caller's tenant, the list read as BBB reads it (bbb.IDList) and written
// so that BBB reads exactly the scoped list. any is false when the client
// asked for meetings and none of them can be the tenant's (or the list
// cannot be read at all).
func (g *Gateway) scopeMeetingList(c *call, p *bbb.Params) (any bool) {
	raw, ok := p.Lookup("meetingID")
	if !ok || raw == "" {
		return true
	}
	ids, ok := bbb.IDList(raw)
	if !ok {
		return false
	}
	if !g.tenants.MultiTenant() {
		p.Set("meetingID", bbb.EncodeIDList(ids))
		return true
	}
	var out []string
	for _, id := range ids {
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
		return false
	}
	p.Set("meetingID", bbb.EncodeIDList(out))
	return true
}

// noteRecordingOwner keeps the server a recording was listed by, writing
// only a change: every getRecordings lists the same recordings again, and
// a write each would be a state write (with Redis, a command) per
// recording per call.
func (g *Gateway) noteRecordingOwner(recordID, serverID string) {
	if sid, ok := g.store.RecordingOwner(recordID); ok && sid == serverID {
		return
	}
	g.store.SetRecordingOwner(recordID, serverID)
}

// ownRecordings keeps the recordIDs that belong to the caller's tenant, as
// the servers say: a recording is its meeting's, and the meeting ID tells
// the tenant. A recordID of another tenant is answered as unknown.
func (g *Gateway) ownRecordings(c *call, ids []string) []string {
	q := bbb.Params{{Name: "recordID", Value: bbb.EncodeIDList(ids)}, {Name: "state", Value: "any"}}.Encode()
	probe := &call{name: bbb.CallGetRecordings, r: c.r, tenant: c.tenant}
	mine := map[string]bool{}
	eachItem(g.fanout(c.r.Context(), g.pool.Routable(), probe, func(*pool.Server) string { return q }), recordingSpec, func(s *pool.Server, it bbb.Item) {
		g.noteRecordingOwner(it.Fields[0], s.ID)
		id := g.recordingOwnerID(c.r.Context(), c, s, it)
		if owner, _ := g.tenants.OwnerOf(id); id != "" && owner == c.tenant {
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
