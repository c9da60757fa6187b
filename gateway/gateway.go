// Package gateway answers the BBB API: it verifies each request, applies
// the routing rule of its call, and answers as a BBB server would.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/callback"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/recordings"
	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
)

// Config holds what the gateway needs besides the pool and the store.
type Config struct {
	// Secrets are the client-facing secrets (TINYSCALE_SECRET).
	Secrets []string
	// Algorithms are the checksum algorithms accepted from clients.
	Algorithms bbb.Algorithm
	// RequestTimeout bounds a call to one backend.
	RequestTimeout time.Duration
	// CreateTimeout bounds a create (default 5 s, at most RequestTimeout):
	// a server that stops answering costs a user that long, not more.
	CreateTimeout time.Duration
	// Repoll, when set, asks the poller for a round now: after the state
	// store lost placements, creates wait for one.
	Repoll func()
	// StateTimeout bounds every write to the state store (default 3 s): a
	// stalled disk costs a create that long and a clear error.
	StateTimeout time.Duration
	// MaxSizeHint caps meta_bbb-meeting-size-hint (DefaultMaxSizeHint).
	MaxSizeHint int
	// FanoutTimeout bounds each backend's part of a fan-out call
	// (getMeetings, getRecordings, hooks): a later server is left out.
	FanoutTimeout time.Duration
	// MaxBody bounds a request body.
	MaxBody int64
	// Logger gets one line per API call; nil logs nothing.
	Logger *slog.Logger
	// Observer is told of every call, for metrics; nil for none.
	Observer Observer
	// Callbacks rewrites callback URLs on create and restores them in
	// answers; nil leaves them untouched (TINYSCALE_URL unset).
	Callbacks *callback.Rewriter
	// Limiter blocks client addresses that fail checksums too often; nil
	// for none.
	Limiter *Limiter
	// Tenants are the organisations sharing this tinyscale; nil for the
	// default tenant alone, whose secrets are Secrets.
	Tenants *tenant.Registry
	// LogoutURL is the server's default logout URL (BBB's
	// bigbluebutton.web.logoutURL): where a failed join lands when it names
	// neither errorRedirectUrl nor logoutURL. Empty: tinyscale's own root as
	// the client reached it.
	LogoutURL string
	// Recordings is tinyscale's own recording store
	// (TINYSCALE_RECORDINGS); nil lists recordings from the servers only.
	Recordings *recordings.Library
	// Hooks answers the webhooks API (package hooks); nil while
	// TINYSCALE_URL is unset, when hooks/create is refused.
	Hooks Hooks
}

// Gateway is the http.Handler for /bigbluebutton/api.
type Gateway struct {
	cfg     Config
	pool    *pool.Pool
	store   state.Store
	log     *slog.Logger
	obs     Observer
	tenants *tenant.Registry
	calls   map[string]handler
	// conflicts counts meetings found on another server than their placement.
	conflicts atomic.Int64
	// participants is, per tenant with a participant limit, the
	// participants its meetings held at the last poll round (see
	// tallyParticipants); nil when no tenant has a limit.
	participants atomic.Pointer[map[string]int]
	creates      creates
	// breakouts knows where breakout rooms run and whose parent they have.
	breakouts breakouts
	// unknown stands in for a tenant name that does not exist: its secret
	// is random, so it is answered exactly as a wrong secret would be.
	unknown *tenant.Tenant
	limits  meetingLimits
	relearn relearn
	// recon is what a reconcile keeps between poll rounds (reconcile.go).
	recon reconcileBuffers
	// versions is the API root's answer, learned from the servers.
	versions versions
}

// unknownTenant is the tenant of requests naming no configured tenant.
func unknownTenant() *tenant.Tenant {
	b := make([]byte, 32)
	rand.Read(b)
	return &tenant.Tenant{Name: "(unknown)", Secrets: []string{hex.EncodeToString(b)}}
}

// handler answers one verified call. It fills in c.server and c.result for
// the log line.
type handler struct {
	fn func(w http.ResponseWriter, c *call)
	// getOnly is true for calls BBB accepts by GET only (join).
	getOnly bool
}

// APIPrefix is where BBB's API lives, and so where tinyscale's does.
const APIPrefix = "/bigbluebutton/api"

// IsAPIPath reports whether the gateway answers path: the BBB API, plainly
// or under a tenant's /t/<name> prefix.
func IsAPIPath(path string) bool {
	path = oneLeadingSlash(path)
	return strings.HasPrefix(path, APIPrefix) || strings.HasPrefix(path, tenant.PathPrefix)
}

// oneLeadingSlash turns "//bigbluebutton/api/…", which clients built on a
// base URL with a trailing slash send, into the path BBB's nginx serves.
func oneLeadingSlash(path string) string {
	if strings.HasPrefix(path, "//") {
		return "/" + strings.TrimLeft(path, "/")
	}
	return path
}

// New returns a gateway over the pool and store.
func New(cfg Config, p *pool.Pool, s state.Store) *Gateway {
	if cfg.Algorithms == 0 {
		cfg.Algorithms = bbb.AllAlgorithms
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.CreateTimeout == 0 {
		cfg.CreateTimeout = min(5*time.Second, cfg.RequestTimeout)
	}
	if cfg.StateTimeout == 0 {
		cfg.StateTimeout = 3 * time.Second
	}
	if cfg.MaxSizeHint <= 0 {
		cfg.MaxSizeHint = DefaultMaxSizeHint
	}
	if cfg.FanoutTimeout == 0 {
		cfg.FanoutTimeout = 5 * time.Second
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 16 << 20
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.Tenants == nil {
		cfg.Tenants, _ = tenant.NewRegistry(tenant.Tenant{Secrets: cfg.Secrets}, nil)
	}
	g := &Gateway{cfg: cfg, pool: p, store: newDeadlineStore(s, cfg.StateTimeout), log: cfg.Logger, obs: cfg.Observer, tenants: cfg.Tenants, unknown: unknownTenant()}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	g.calls = map[string]handler{
		bbb.CallCreate:                 {fn: g.create},
		bbb.CallJoin:                   {fn: g.join, getOnly: true},
		bbb.CallEnd:                    {fn: g.end},
		bbb.CallIsMeetingRunning:       {fn: g.isMeetingRunning},
		bbb.CallGetMeetingInfo:         {fn: g.meetingCall},
		bbb.CallInsertDocument:         {fn: g.meetingCall},
		bbb.CallSendChatMessage:        {fn: g.meetingCall},
		bbb.CallGetMeetings:            {fn: g.getMeetings},
		bbb.CallGetRecordings:          {fn: g.getRecordings},
		bbb.CallPublishRecordings:      {fn: g.recordingsCall},
		bbb.CallUpdateRecordings:       {fn: g.recordingsCall},
		bbb.CallDeleteRecordings:       {fn: g.recordingsCall},
		bbb.CallGetRecordingTextTracks: {fn: g.recordingsCall},
		bbb.CallPutRecordingTextTrack:  {fn: g.recordingsCall},
		bbb.CallHooksCreate:            {fn: g.hooks},
		bbb.CallHooksDestroy:           {fn: g.hooks},
		bbb.CallHooksList:              {fn: g.hooks},
	}
	return g
}

// ServeHTTP routes /bigbluebutton/api[/<call>], and
// /t/<tenant>/bigbluebutton/api[/<call>] for a tenant named in the path.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t, path := g.tenants.Resolve(r.Host, oneLeadingSlash(r.URL.Path))
	if t == nil {
		// An unknown tenant is answered as a known one whose secret the
		// client does not have: nothing tells a prober which names exist.
		t = g.unknown
		if rest, ok := strings.CutPrefix(path, tenant.PathPrefix); ok {
			_, sub, _ := strings.Cut(rest, "/")
			path = "/" + sub
		}
	}
	rest, ok := strings.CutPrefix(path, APIPrefix)
	if !ok || (rest != "" && rest[0] != '/') {
		bbb.WriteError(w, bbb.ErrUnsupported)
		return
	}
	// Clients send ".../api//create" (greenlight #5070), and some a
	// trailing slash: tolerate extra slashes on either side.
	name := strings.Trim(rest, "/")
	if name == "" {
		// The version probe: no checksum, any query (Moodle and Nextcloud
		// send a bogus one), GET or POST.
		bbb.WriteXML(w, g.versionXML())
		return
	}
	h, ok := g.calls[name]
	if !ok {
		g.logCall(&call{name: "unsupported", start: time.Now(), result: bbb.ErrUnsupported.Key})
		bbb.WriteError(w, bbb.ErrUnsupported)
		return
	}
	c := &call{name: name, start: time.Now(), r: r, tenant: t, logoutURL: g.cfg.LogoutURL}
	c.rw.ResponseWriter = w
	defer g.logCall(c)
	defer g.recoverCall(&c.rw, c)
	w = &c.rw
	if h.getOnly && r.Method != http.MethodGet && r.Method != http.MethodHead {
		bbb.WriteError(w, &bbb.Error{Key: bbb.ErrUnsupported.Key, Message: name + " accepts GET requests only."})
		c.result = bbb.ErrUnsupported.Key
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodPost {
		c.fail(w, bbb.ErrUnsupported)
		return
	}
	if e, status := g.parse(c, r); e != nil {
		e = hooksError(name, e)
		if status != http.StatusOK {
			c.result = e.Key
			bbb.WriteXMLStatus(w, status, bbb.ErrorXML(e))
			return
		}
		c.fail(w, e)
		return
	}
	h.fn(w, c)
}

// recoverCall turns a panic in a handler into an ERROR log line naming the
// call, and the client's answer into a BBB error instead of a dropped
// connection. No client input should cause one; this is the net under it.
func (g *Gateway) recoverCall(w *responseWriter, c *call) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v) // the server's own way to abort a response
	}
	c.result = "panic"
	g.log.Error("panic answering an API call", "call", c.name, "panic", v, "stack", string(debug.Stack()))
	if !w.wrote {
		w.Header().Del("Location")
		bbb.WriteError(w, &bbb.Error{Key: "internalError", Message: "The request could not be answered."})
	}
}

// recoverWorker keeps a panic in a goroutine that a call started (one
// server's part of a fan-out) from taking the process down: it is logged
// at ERROR with the call, and that part is lost as if the server had
// failed. Deferred directly, so that recover sees the panic.
func (g *Gateway) recoverWorker(call string) {
	if v := recover(); v != nil {
		g.log.Error("panic answering an API call", "call", call, "panic", v, "stack", string(debug.Stack()))
	}
}

// errWorkerPanic is the answer of a fan-out part whose call panicked.
var errWorkerPanic = errors.New("the call to this server failed inside tinyscale")

// responseWriter notes whether an answer was started, so a recovered panic
// knows whether it can still answer.
type responseWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *responseWriter) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// defaultLogoutURL is BBB's "default" logout URL, its server URL: here
// tinyscale's own root as the client reached it.
func defaultLogoutURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/"
}

// logCall counts the call and writes its log line. It runs on every
// request, so it allocates nothing in the common case: the record is built
// by hand (slog.Logger.LogAttrs would also walk the stack for a source
// position that is never printed) and its five attributes fit in the
// record itself.
func (g *Gateway) logCall(c *call) {
	now := time.Now()
	d := now.Sub(c.start)
	tenantName := tenant.DefaultName
	if c.tenant != nil {
		tenantName = c.tenant.Name
	}
	g.obs.APICall(tenantName, c.name, c.result, d)
	ctx := context.Background()
	h := g.log.Handler()
	if !h.Enabled(ctx, slog.LevelInfo) {
		return
	}
	r := slog.NewRecord(now, slog.LevelInfo, "api", 0)
	r.AddAttrs(slog.String("call", c.name))
	if c.tenant != nil && c.tenant.Name != tenant.DefaultName {
		r.AddAttrs(slog.String("tenant", c.tenant.Name))
	}
	if c.meetingID != "" {
		r.AddAttrs(slog.String("meetingID", c.meetingID))
	}
	if c.server != "" {
		r.AddAttrs(slog.String("server", c.server))
	}
	r.AddAttrs(slog.String("result", c.result), slog.Duration("duration", d))
	h.Handle(ctx, r)
}
