package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/callback"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/tenant"
)

// maxCreateAttempts bounds how many servers one create tries when servers
// certainly did not get it.
const maxCreateAttempts = 3

// Errors of a create whose outcome is unknown: the server may hold the
// meeting, so the placement stays and the client's retry goes there.
var (
	errCreateTimeout = &bbb.Error{Key: "internalError", Message: "The meeting's server did not answer in time; the meeting may exist. Try again: the retry goes to the same server."}
	errCreateUnsure  = &bbb.Error{Key: "internalError", Message: "The meeting's server failed while creating the meeting; it may exist. Try again: the retry goes to the same server."}
)

// create places a new meeting, or sends a known one to its server.
//
// A known meeting on a routable server goes there (BBB answers
// duplicateWarning or idNotUnique). Otherwise the pool places it and the
// placement is claimed atomically: of two concurrent creates of one
// meetingID one claim wins and both go to its server.
//
// A meeting never ends up on two servers: a create moves to another server
// only when the first certainly does not have the meeting (it refused the
// connection, answered BBB's FAILED, or answered an error page and then
// said it does not know the meeting). A create that timed out, or whose
// connection dropped, keeps its placement: the meeting may exist there,
// and the client's retry goes to the same server.
func (g *Gateway) create(w http.ResponseWriter, c *call) {
	if !g.meetingParam(w, c) {
		return
	}
	t := c.tenant
	tenant.Apply(&c.params, tenant.Create, &g.tenants.Global, &t.Policy)
	if e := callback.CheckTargets(c.query()); e != nil {
		c.fail(w, e)
		return
	}
	if g.breakoutCreate(w, c) {
		return
	}
	tag, required := pool.ParseTag(c.param("meta_server-tag"))
	req := pool.Request{MeetingID: c.bbbID, Tag: tag, Required: required, Allowed: t.Tags}
	if v := c.param(sizeHintParam); v != "" {
		// The hint BBB keeps is the one polls read back: capped there too.
		req.Expected = g.sizeHint(v)
		c.params.Set(sizeHintParam, strconv.Itoa(req.Expected))
	}
	g.creates.begin(c.bbbID)
	defer func() { g.creates.end(c.bbbID, time.Now()) }()
	for range maxCreateAttempts {
		prev, known := g.store.Lookup(t.Name, c.meetingID)
		s := g.pool.Get(prev)
		fresh := false
		if !known || s == nil || !s.Routable() {
			if !g.learned(c.r.Context()) {
				c.fail(w, errStateRelearning)
				return
			}
			slot, e := g.limits.reserve(t, g.store)
			if e != nil {
				c.fail(w, e)
				return
			}
			ownerID, won, err := g.place(req, t.Name, c.meetingID, prev)
			slot.done()
			if err != nil {
				if errors.Is(err, errClaim) {
					// Placing a meeting the store cannot record risks a
					// split meeting later: refuse rather than guess.
					g.log.Error("state: claim failed", "error", err)
					c.fail(w, bbb.ErrStateUnavailable)
					return
				}
				c.fail(w, placeError(err, tag))
				return
			}
			if fresh = won; fresh {
				g.obs.Placement(ownerID)
			}
			if s = g.pool.Get(ownerID); s == nil || !s.Routable() {
				continue // the winner's server just went away; look again
			}
		}
		c.server = s.ID
		query := c.query()
		if g.cfg.Callbacks != nil {
			var err error
			session := callback.Target{Tenant: t.Name, MeetingID: c.meetingID, ServerID: s.ID}
			if m, ok := g.store.Get(t.Name, c.meetingID); ok && m.ServerID == s.ID {
				session.Placed = m.CreatedAt.UnixMilli()
			}
			if query, err = g.cfg.Callbacks.RewriteSession(query, session); err != nil {
				c.fail(w, bbb.ErrBackend)
				return
			}
		}
		switch g.sendCreate(w, c, s, query, fresh) {
		case createMoved:
			req.Exclude = append(req.Exclude, s.ID)
			continue
		case createAnswered:
		}
		return
	}
	c.fail(w, bbb.ErrNoServers)
}

// createResult is what became of one create sent to one server.
type createResult int

const (
	// createAnswered: the client has its answer.
	createAnswered createResult = iota
	// createMoved: the server certainly does not have the meeting and its
	// placement is dropped; the create may go to another server.
	createMoved
)

// sendCreate sends a create to s under the create timeout, feeds the
// outcome to s's passive health, and answers the client unless the meeting
// may move to another server.
func (g *Gateway) sendCreate(w http.ResponseWriter, c *call, s *pool.Server, query string, fresh bool) createResult {
	ctx, cancel := context.WithTimeout(c.r.Context(), g.cfg.CreateTimeout)
	defer cancel()
	cr := s.BeginCreate(time.Now())
	res, err := g.do(ctx, s, c, query)
	drop := func() createResult {
		if fresh {
			s.Unreserve(c.bbbID)
			g.store.Release(c.tenant.Name, c.meetingID, s.ID)
			return createMoved
		}
		return createAnswered
	}
	outcome := func(k pool.OutcomeKind, reason string) {
		if cr.Done(pool.Outcome{Kind: k, Reason: reason}, time.Now()) {
			g.log.Warn("server takes no new meetings for now: its creates fail", "server", s.ID, "reason", reason)
		}
	}
	switch {
	case err != nil && bbb.IsConnectError(err):
		outcome(pool.Failure, err.Error())
		if r := drop(); r == createMoved {
			return r
		}
		c.fail(w, bbb.ErrBackend)
		return createAnswered
	case err != nil && bbb.IsTimeout(err):
		outcome(pool.Timeout, "create timed out")
		c.fail(w, errCreateTimeout)
		return createAnswered
	case err != nil:
		// The connection was made: the server may have created the meeting.
		outcome(pool.Failure, err.Error())
		c.fail(w, errCreateUnsure)
		return createAnswered
	}
	reply := parseBackend(res)
	switch {
	case reply != nil && reply.OK():
		outcome(pool.Success, "")
		s.Confirm(c.bbbID, time.Now())
		if rid := reply.Get("internalMeetingID"); rid != "" {
			g.store.SetRecordingOwner(rid, s.ID)
		}
		g.writeReply(w, c, res.Body, reply)
		return createAnswered
	case reply != nil && clientCaused(reply.MessageKey):
		// BBB refused the request itself; another server would too.
		outcome(pool.Success, "")
		if reply.MessageKey != "idNotUnique" {
			drop()
		}
		g.writeReply(w, c, res.Body, reply)
		return createAnswered
	case reply != nil:
		// A FAILED the client did not cause: BBB answered, and did not
		// create the meeting.
		outcome(pool.Failure, "create answered FAILED "+reply.MessageKey)
		if r := drop(); r == createMoved {
			return r
		}
		g.writeReply(w, c, res.Body, reply)
		return createAnswered
	}
	// An error page or a broken answer: the meeting may or may not exist.
	outcome(pool.Failure, "create answered HTTP "+http.StatusText(res.Status)+", not BBB XML")
	if fresh && res.Status != http.StatusOK && res.Status != http.StatusGatewayTimeout && g.absent(c, s) {
		return drop()
	}
	g.log.Warn("backend answer to create is not BBB XML: keeping the placement", "server", s.ID, "status", res.Status)
	c.fail(w, errCreateUnsure)
	return createAnswered
}

// absent asks s whether it knows c's meeting, after a create it answered
// with an error page: only BBB's own notFound proves the meeting is not
// there. An error page of 504 is never asked about: the proxy gave up,
// BBB may still be creating.
func (g *Gateway) absent(c *call, s *pool.Server) bool {
	ctx, cancel := context.WithTimeout(c.r.Context(), g.cfg.CreateTimeout)
	defer cancel()
	q := url.Values{"meetingID": {c.bbbID}}.Encode()
	res, err := s.Client.Get(ctx, bbb.CallGetMeetingInfo, q)
	if err != nil {
		return false
	}
	defer res.Release()
	reply := parseBackend(res)
	return reply != nil && !reply.OK() && reply.MessageKey == "notFound"
}

// clientCaused reports whether a FAILED create is BBB refusing the request
// itself (bad parameters, a meeting that exists), not a server in trouble.
func clientCaused(key string) bool {
	switch key {
	case "validationError", "missingParamMeetingID", "missingParam", "idNotUnique",
		"nonUniqueVoiceBridge", "unsupportedContentType", "paramError", "sizeError":
		return true
	}
	return false
}

// placeError turns a placement failure into the BBB error clients get.
func placeError(err error, tag string) *bbb.Error {
	if errors.Is(err, pool.ErrNoTagServer) {
		return &bbb.Error{Key: "serverTagUnavailable", Message: "There is no available server with the required tag=" + tag + "."}
	}
	return bbb.ErrNoServers
}
