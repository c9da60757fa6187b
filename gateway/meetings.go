package gateway

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/tenant"
)

// meetingParam checks the meetingID parameter of a meeting call and scopes
// it to the tenant; on failure it answers and returns false.
func (g *Gateway) meetingParam(w http.ResponseWriter, c *call) bool {
	if c.meetingID == "" {
		c.fail(w, bbb.ErrMissingMeetingID)
		return false
	}
	if e := g.scope(c); e != nil {
		c.fail(w, e)
		return false
	}
	return true
}

// owner returns the available server holding c's meeting, or nil when the
// meeting is unknown or its server cannot take calls now (BBB would not
// know the meeting either).
func (g *Gateway) owner(c *call) *pool.Server {
	if c.foreign {
		return nil
	}
	id, ok := g.store.Lookup(c.tenant.Name, c.meetingID)
	if !ok {
		return g.breakoutOwner(c)
	}
	s := g.pool.Get(id)
	if s == nil || !s.Routable() {
		return nil
	}
	c.server = s.ID
	return s
}

// join redirects the browser to the owning server's join URL, signed for
// that server, every parameter kept. It makes no backend call of its own:
// the owner comes from memory. redirect=false asks for BBB's XML answer,
// which only the backend can give; its cookies (JSESSIONID) are relayed.
func (g *Gateway) join(w http.ResponseWriter, c *call) {
	if c.meetingID == "" {
		c.fail(w, bbb.ErrMissingMeetingID)
		return
	}
	if e := g.scope(c); e != nil {
		c.fail(w, e)
		return
	}
	s := g.owner(c)
	if s == nil {
		c.fail(w, bbb.ErrMeetingNotFound)
		return
	}
	if e := g.participantLimit(c.tenant); e != nil {
		c.fail(w, e)
		return
	}
	tenant.Apply(&c.params, tenant.Join, &g.tenants.Global, &c.tenant.Policy)
	if !c.redirect() {
		c.server = s.ID
		res, err := g.forward(c.r.Context(), s, c, c.query())
		if err != nil {
			c.fail(w, bbb.ErrBackend)
			return
		}
		// The session cookie BBB sets on a join: the client needs it as it
		// would from a single BBB.
		for _, ck := range res.SetCookie {
			w.Header().Add("Set-Cookie", ck)
		}
		g.relay(w, c, res)
		return
	}
	c.result = "redirect"
	// The keys are canonical already: set without Header.Set's
	// canonicalisation, and Cache-Control's value shared by every join.
	h := w.Header()
	c.location[0] = s.Client.URLParams(bbb.CallJoin, c.params)
	h["Location"] = c.location[:]
	h["Cache-Control"] = noCache
	w.WriteHeader(http.StatusFound)
}

// noCache is the Cache-Control of a join's redirect. net/http only reads
// it; nothing may change it in place.
var noCache = []string{"no-cache"}

// redirect reports whether a join answers by redirect: BBB reads redirect
// with Boolean.parseBoolean, and an absent or empty one is the default,
// true.
func (c *call) redirect() bool {
	v, ok := c.params.Lookup("redirect")
	return !ok || v == "" || strings.EqualFold(v, "true")
}

// joinError answers a failed join as BBB 2.7+ does. With redirect=false it
// is the XML error; otherwise a 302 to errorRedirectUrl, else the join's
// own logoutURL, else the server's default logout URL, with
// errors=[{"key":…,"message":…}] appended and the target's own query kept
// byte for byte.
func (c *call) joinError(w http.ResponseWriter, e *bbb.Error) {
	c.result = e.Key
	if !c.parsed || !c.redirect() {
		// redirect=false, or a request that could not be read at all.
		bbb.WriteError(w, e)
		return
	}
	target := ""
	for _, key := range []string{"errorRedirectUrl", "logoutURL"} {
		// An unsigned request picks no target: tinyscale is no open
		// redirector. Its users land on the default logout URL.
		if v := c.param(key); c.verified && isHTTPURL(v) {
			target = v
			break
		}
	}
	if target == "" {
		target = c.logoutURL
	}
	if target == "" {
		target = defaultLogoutURL(c.r)
	}
	js, _ := json.Marshal([]map[string]string{{"key": e.Key, "message": e.Message}})
	w.Header().Set("Location", appendErrors(target, string(js)))
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusFound)
}

// appendErrors adds errors=<js> to the query of target, before any
// fragment, leaving every other byte of target as it is.
func appendErrors(target, js string) string {
	base, frag, hasFrag := strings.Cut(target, "#")
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
		if strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&") {
			sep = ""
		}
	}
	out := base + sep + "errors=" + url.QueryEscape(js)
	if hasFrag {
		out += "#" + frag
	}
	return out
}

// isHTTPURL reports whether s is an absolute http(s) URL, a target a
// browser can be sent to.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// end ends the meeting on its server and forgets the placement once BBB
// confirms, or once BBB says it does not know the meeting.
func (g *Gateway) end(w http.ResponseWriter, c *call) {
	s, reply := g.proxyToOwner(w, c)
	if reply != nil && (reply.OK() || reply.MessageKey == "notFound") {
		g.store.Release(c.tenant.Name, c.meetingID, s.ID)
	}
}

// isMeetingRunning asks the owner; an unknown meeting, or one whose server
// is unavailable, is not running: SUCCESS running=false, as BBB answers.
func (g *Gateway) isMeetingRunning(w http.ResponseWriter, c *call) {
	if !g.meetingParam(w, c) {
		return
	}
	notRunning := func() {
		c.result = "notRunning"
		bbb.WriteXML(w, bbb.RunningXML(false))
	}
	s := g.owner(c)
	if s == nil {
		notRunning()
		return
	}
	res, err := g.forward(c.r.Context(), s, c, c.query())
	if err != nil {
		notRunning()
		return
	}
	reply := parseBackend(res)
	if reply == nil {
		notRunning()
		return
	}
	g.writeReply(w, c, res.Body, reply)
}

// meetingCall proxies getMeetingInfo, insertDocument and sendChatMessage to
// the meeting's server; an unknown meeting is BBB's notFound.
func (g *Gateway) meetingCall(w http.ResponseWriter, c *call) {
	g.proxyToOwner(w, c)
}

// proxyToOwner sends a meeting call to the meeting's server and relays the
// answer; an unknown meeting is BBB's notFound. It returns the server and
// its answer, nil when there was none.
func (g *Gateway) proxyToOwner(w http.ResponseWriter, c *call) (*pool.Server, *bbb.Reply) {
	if !g.meetingParam(w, c) {
		return nil, nil
	}
	s := g.owner(c)
	if s == nil {
		c.fail(w, bbb.ErrMeetingNotFound)
		return nil, nil
	}
	return s, g.proxy(w, c, s)
}

// proxy forwards c to s unchanged and relays the answer.
func (g *Gateway) proxy(w http.ResponseWriter, c *call, s *pool.Server) *bbb.Reply {
	c.server = s.ID
	res, err := g.forward(c.r.Context(), s, c, c.query())
	if err != nil {
		c.fail(w, bbb.ErrBackend)
		return nil
	}
	return g.relay(w, c, res)
}
