// Package admin is tinyscale's admin HTTP API: the server list with each
// server's state, health and load; adding, removing, enabling, disabling,
// cordoning a server, and the panic button; the meetings and where they
// run; the tenants, their secrets and their usage. The `tinyscale
// servers`, `tinyscale meetings` and `tinyscale tenants` commands talk to
// it. It also keeps the admin changes across restarts (Overlay,
// TenantOverlay) and applies reloads of servers.json (Fleet).
//
// The API answers JSON under Prefix and needs the admin token as a Bearer
// token; with no token configured it is off.
package admin

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
)

// Prefix is where the admin API lives. Every path under it is the API's,
// so that a disabled API answers for all of them alike.
const Prefix = "/admin/api/v1/"

// Config is what the admin API needs.
type Config struct {
	// Token is TINYSCALE_ADMIN_TOKEN; empty turns the API off.
	Token string
	// Fleet holds the servers and changes them.
	Fleet *Fleet
	// Store holds the meetings' placements.
	Store state.Store
	// Tenants is the tenant registry the gateway uses; nil: the tenant
	// endpoints answer 404.
	Tenants *tenant.Registry
	// TenantOverlay changes Tenants and keeps the changes (see
	// docs/tenants.md). When nil, one keeping them in Store is made, with
	// Tenants' tenants as the declarative list.
	TenantOverlay *TenantOverlay
	// Timeout bounds each call the API makes to a BBB server (10s when
	// zero).
	Timeout time.Duration
	// Logger gets a line per change; nil logs nothing.
	Logger *slog.Logger
	// Usage answers GET usage; nil: it answers 404.
	Usage UsageSource
	// TokenFailures is how many wrong tokens a minute one address may
	// send before its wrong tokens get 429 (default 10; the right token
	// always gets in).
	TokenFailures int
	// Recordings serves Prefix+"recordings" (the recording store's admin
	// endpoints, package recordings); nil: none.
	Recordings http.Handler
	// Gauges are other parts' numbers for the dashboard's overview.
	Gauges Gauges
	// TrustProxy marks the session cookie Secure when a reverse proxy
	// says the browser used https (TINYSCALE_TRUST_PROXY).
	TrustProxy bool
	// History keeps the load chart; nil: one is made (see Sample).
	History *History
}

// API is the admin API's http.Handler; mount it at Prefix.
type API struct {
	cfg      Config
	log      *slog.Logger
	mux      *http.ServeMux
	tenants  *TenantOverlay // nil without Config.Tenants
	auth     authLimiter    // failed tokens: auth.go
	sessions *sessions      // the dashboard's logins
	history  *History
}

// New returns the admin API.
func New(cfg Config) *API {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.TokenFailures <= 0 {
		cfg.TokenFailures = defaultAuthFailures
	}
	a := &API{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), auth: authLimiter{max: cfg.TokenFailures},
		sessions: newSessions(), history: cfg.History}
	if a.history == nil {
		a.history = NewHistory(0, 0)
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.tenants = cfg.TenantOverlay
	if a.tenants == nil && cfg.Tenants != nil {
		a.tenants = NewTenantOverlay(cfg.Tenants, cfg.Store, cfg.Logger)
		a.tenants.base = cfg.Tenants.All()
	}
	routes := []struct {
		pattern string
		fn      http.HandlerFunc
	}{
		{"GET " + Prefix + "servers", a.listServers},
		{"POST " + Prefix + "servers", a.addServer},
		{"GET " + Prefix + "servers/{id}", a.getServer},
		{"DELETE " + Prefix + "servers/{id}", a.removeServer},
		{"POST " + Prefix + "servers/{id}/enable", a.setState(pool.Enabled)},
		{"POST " + Prefix + "servers/{id}/disable", a.setState(pool.Disabled)},
		{"POST " + Prefix + "servers/{id}/cordon", a.setState(pool.Cordoned)},
		{"POST " + Prefix + "servers/{id}/panic", a.panicServer},
		{"GET " + Prefix + "meetings", a.listMeetings},
		{"GET " + Prefix + "tenants", a.listTenants},
		{"POST " + Prefix + "tenants", a.addTenant},
		{"GET " + Prefix + "tenants/{name}", a.getTenant},
		{"PUT " + Prefix + "tenants/{name}", a.updateTenant},
		{"DELETE " + Prefix + "tenants/{name}", a.removeTenant},
		{"POST " + Prefix + "tenants/{name}/rotate-secret", a.rotateSecret},
		{"POST " + Prefix + "tenants/{name}/retire-secrets", a.retireSecrets},
		{"GET " + Prefix + "usage", a.getUsage},
		{"GET " + Prefix + "overview", a.getOverview},
		{"GET " + Prefix + "history", a.getHistory},
		{"GET " + Prefix + "session", a.getSession},
		{"POST " + Prefix + "meetings/end", a.endMeeting},
	}
	for _, r := range routes {
		a.mux.HandleFunc(r.pattern, r.fn)
	}
	if cfg.Recordings != nil {
		a.mux.Handle(Prefix+"recordings", cfg.Recordings)
		a.mux.Handle(Prefix+"recordings/", cfg.Recordings)
	}
	return a
}

// ServeHTTP checks the token, then routes the request.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a.cfg.Token == "" {
		writeError(w, http.StatusNotFound, "admin API disabled: set TINYSCALE_ADMIN_TOKEN")
		return
	}
	if !strings.HasPrefix(r.URL.Path, Prefix) {
		a.serveDashboard(w, r)
		return
	}
	if !a.authorize(w, r) {
		return
	}
	// The mux answers an unknown path (404) or a known one with the wrong
	// method (405) by itself, in plain text; jsonErrors turns that into
	// JSON like every other answer.
	a.mux.ServeHTTP(&jsonErrors{ResponseWriter: w, r: r}, r)
}
