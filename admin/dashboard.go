package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/tinyscale/tinyscale/admin/ui"
)

// The dashboard at /admin/: a login page, the page itself and its assets,
// all embedded (package ui). The page is a client of the admin API under
// Prefix, with the session cookie instead of the Bearer token; it holds no
// state of its own.

// Gauges are the numbers of other parts the dashboard shows at a glance.
// Each is a function the part fills in; a nil one (the part is off) shows
// as "n/a".
type Gauges struct {
	// CallbacksQueued counts the callback deliveries waiting.
	CallbacksQueued func() int
	// RecordingsQueued counts the recordings waiting to be imported.
	RecordingsQueued func() int
	// Instances counts the tinyscale instances sharing the state.
	Instances func() int
}

// dashboardHeaders are sent with every page and asset: nothing is loaded
// from elsewhere, nothing frames the page, and no page is cached.
func dashboardHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: with no-referrer a browser sends
	// "Origin: null" on the login form's POST, which sameOrigin refuses.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// publicAssets are served without a session: the login page needs them.
var publicAssets = map[string]bool{"login.html": true, "login.js": true, "app.css": true, "favicon.svg": true}

// serveDashboard answers every path under /admin/ that is not the API.
func (a *API) serveDashboard(w http.ResponseWriter, r *http.Request) {
	dashboardHeaders(w)
	p := strings.TrimPrefix(r.URL.Path, "/admin/")
	switch {
	case p == "login" && r.Method == http.MethodPost:
		a.login(w, r)
		return
	case p == "logout" && r.Method == http.MethodPost:
		a.logout(w, r)
		return
	case p == "login":
		p = "login.html"
	case p == "" || p == "index.html":
		p = "index.html"
	}
	known := p == path.Clean(p) && !strings.Contains(p, "/")
	if known {
		_, err := fs.Stat(ui.Static, p)
		known = err == nil
	}
	if !known {
		// Not the dashboard's: answered as the API answers an unknown
		// path, after the same check of the token.
		if a.authorize(w, r) {
			writeError(w, http.StatusNotFound, "no such admin endpoint: "+r.Method+" "+r.URL.Path+" (the dashboard is at /admin/, the API under "+Prefix+")")
		}
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, r.Method+" not allowed on "+r.URL.Path)
		return
	}
	if _, ok := a.sessions.get(r); !ok && !publicAssets[p] && !tokenOK(r, a.cfg.Token) {
		if p == "index.html" {
			http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
			return
		}
		a.authorize(w, r)
		return
	}
	http.ServeFileFS(w, r, ui.Static, p)
}

// sameOrigin refuses a form posted from another site: a browser says
// where a request comes from in Sec-Fetch-Site, or else in Origin, which
// must then name the host the browser asked.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin" || site == "none"
	}
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return o == "" // no Origin: not a browser's cross-site form
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// login exchanges the admin token (form field "token") for a session.
func (a *API) login(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "cross-site login refused", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	got := sha256.Sum256([]byte(strings.TrimSpace(r.PostFormValue("token"))))
	want := sha256.Sum256([]byte(a.cfg.Token))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		// Counted per address with the API's wrong tokens (auth.go): the
		// right token always gets in, so nobody locks the operator out.
		if over, _ := a.auth.fail(r, time.Now()); over {
			http.Redirect(w, r, "/admin/login?error=limit", http.StatusSeeOther)
			return
		}
		a.log.Warn("admin: dashboard login with a wrong token", "remote", r.RemoteAddr)
		http.Redirect(w, r, "/admin/login?error=token", http.StatusSeeOther)
		return
	}
	id, _, expires := a.sessions.create()
	setSessionCookie(w, r, id, expires, a.cfg.TrustProxy)
	a.log.Info("admin: dashboard login", "remote", r.RemoteAddr)
	http.Redirect(w, r, "/admin/", http.StatusSeeOther)
}

// logout ends the session. It needs the CSRF token (header, or form
// field "csrf"), so that another site cannot log the operator out.
func (a *API) logout(w http.ResponseWriter, r *http.Request) {
	ss, ok := a.sessions.get(r)
	if ok {
		if r.Header.Get(csrfHeader) == "" {
			r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
			r.Header.Set(csrfHeader, r.PostFormValue("csrf"))
		}
		if !csrfOK(r, ss) {
			http.Error(w, "missing or wrong CSRF token", http.StatusForbidden)
			return
		}
		a.sessions.end(r)
	}
	clearSessionCookie(w, r, a.cfg.TrustProxy)
	http.Redirect(w, r, "/admin/login?bye=1", http.StatusSeeOther)
}

// SessionInfo is the answer of GET session: the page reads its CSRF
// token here (the cookie is HttpOnly).
type SessionInfo struct {
	CSRF    string `json:"csrf"`
	Expires string `json:"expires"`
}

func (a *API) getSession(w http.ResponseWriter, r *http.Request) {
	ss, ok := a.sessions.get(r)
	if !ok {
		writeError(w, http.StatusNotFound, "no dashboard session: this request carries the Bearer token")
		return
	}
	writeJSON(w, http.StatusOK, SessionInfo{CSRF: ss.csrf, Expires: ss.expires.UTC().Format("2006-01-02T15:04:05Z")})
}

// authorize lets r in by the Bearer token, or by a dashboard session
// (with its CSRF token on a change). It writes the refusal itself.
func (a *API) authorize(w http.ResponseWriter, r *http.Request) bool {
	if tokenOK(r, a.cfg.Token) {
		return true
	}
	if ss, ok := a.sessions.get(r); ok && r.Header.Get("Authorization") == "" {
		if safeMethod(r) || csrfOK(r, ss) {
			return true
		}
		writeError(w, http.StatusForbidden, "missing or wrong "+csrfHeader+" header: reload the dashboard")
		return false
	}
	a.refuse(w, r)
	return false
}
