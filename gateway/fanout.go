package gateway

import (
	"context"
	"net/http"
	"sync"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/pool"
)

// answer is one server's part of a fan-out.
type answer struct {
	server *pool.Server
	res    *bbb.Response
	err    error
}

// fanout sends c to every server in servers at once, each under the
// fan-out deadline, with the query query(s) gives for it, and returns the
// answers in the order of servers. A slow or failing server costs the
// caller at most the deadline; it is left out by the caller, not waited for.
func (g *Gateway) fanout(ctx context.Context, servers []*pool.Server, c *call, query func(*pool.Server) string) []answer {
	out := make([]answer, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Add(1)
		out[i] = answer{server: s, err: errWorkerPanic} // kept if the call panics
		go func() {
			defer wg.Done()
			defer g.recoverWorker(c.name)
			cctx, cancel := context.WithTimeout(ctx, g.cfg.FanoutTimeout)
			defer cancel()
			res, err := g.do(cctx, s, c, query(s))
			out[i] = answer{s, res, err}
		}()
	}
	wg.Wait()
	return out
}

func (c *call) sameQuery(*pool.Server) string { return c.query() }

// eachItem calls each for every list item of the answers that are BBB
// SUCCESS documents, with the server that sent it. A server that failed,
// timed out or answered anything else is left out: one bad server never
// fails the whole answer.
func eachItem(answers []answer, spec *bbb.ListSpec, each func(*pool.Server, bbb.Item)) {
	for _, a := range answers {
		if a.err != nil || a.res.Status != http.StatusOK {
			continue
		}
		reply, err := bbb.ParseReply(a.res.Body, spec)
		if err != nil || !reply.OK() {
			continue
		}
		for _, it := range reply.Items {
			each(a.server, it)
		}
	}
}

// getMeetings asks every available server and splices their <meeting>
// elements together untouched. A server that fails or is late is left out;
// with none at all the answer is BBB's noMeetings form.
//
// A breakout room is listed to its parent's tenant (breakouts.go): the
// parent is found by internal ID in the same server's answer.
func (g *Gateway) getMeetings(w http.ResponseWriter, c *call) {
	type listed struct {
		server *pool.Server
		it     bbb.Item
	}
	var all []listed
	parents := map[string]string{} // server "\x00" internalMeetingID → meetingID
	eachItem(g.fanout(c.r.Context(), g.pool.Routable(), c, c.sameQuery), meetingsSpec, func(s *pool.Server, it bbb.Item) {
		all = append(all, listed{s, it})
		if it.Fields[2] != "true" {
			parents[s.ID+"\x00"+it.Fields[1]] = it.Fields[0]
		}
	})
	var items [][]byte
	for _, l := range all {
		f := l.it.Fields
		id, known := g.owningID(l.server.ID, f[0], f[2] == "true", f[3], parents)
		if !known && g.tenants.MultiTenant() {
			continue // a breakout whose parent is unknown is no one's
		}
		if raw, ok := g.ownItem(c, l.it.Raw, id); ok {
			items = append(items, raw)
		}
	}
	c.result = bbb.Success
	bbb.WriteXML(w, g.restore(bbb.ListXML("meetings", items, "noMeetings", "no meetings were found on this server", nil)))
}

// meetingsSpec reads what getMeetings needs to know whose a meeting is.
var meetingsSpec = &bbb.ListSpec{List: "meetings", Item: "meeting", Fields: []string{"meetingID", "internalMeetingID", "isBreakout", "parentMeetingID"}}

// firstSuccess relays the first SUCCESS among answers; failing that, the
// first FAILED answer whose messageKey is not notFound (a real error, such
// as missingParamPublish, says more than "not here"); failing that, notFound.
func (g *Gateway) firstSuccess(w http.ResponseWriter, c *call, answers []answer, notFound *bbb.Error) {
	var failed, missing *answer
	for i := range answers {
		a := &answers[i]
		if a.err != nil {
			continue
		}
		ok, key, valid := c.replyStatus(a.res)
		if !valid {
			continue
		}
		if ok {
			c.server = a.server.ID
			c.relayRaw(w, a.res, key)
			return
		}
		if key != "notFound" && key != "noRecordings" && failed == nil {
			failed = a
		} else if missing == nil {
			missing = a
		}
	}
	switch {
	case failed != nil:
		c.server = failed.server.ID
		_, key, _ := c.replyStatus(failed.res)
		c.relayRaw(w, failed.res, key)
	case missing != nil && notFound == nil:
		_, key, _ := c.replyStatus(missing.res)
		c.relayRaw(w, missing.res, key)
	default:
		if notFound == nil {
			notFound = bbb.ErrBackend
		}
		c.fail(w, notFound)
	}
}

// ownItem decides whether a listed element (a <meeting>, a <recording>)
// with the given BBB meeting ID belongs to the caller's tenant, and shows
// it with the tenant's own meeting ID. Without named tenants every element
// is the default tenant's and passes untouched. Hooks carry no meeting ID
// of a tenant's and pass too.
func (g *Gateway) ownItem(c *call, raw []byte, bbbID string) ([]byte, bool) {
	if !g.tenants.MultiTenant() {
		return raw, true
	}
	owner, local := g.tenants.OwnerOf(bbbID)
	if owner != c.tenant {
		return nil, false
	}
	if local == bbbID {
		return raw, true
	}
	return unscopeTexts(owner, raw), true
}
