package admin

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

// The dashboard's sessions: the login form exchanges the admin token for a
// random session ID in a cookie (HttpOnly, SameSite=Strict, Path /admin/,
// expiring), and every change it makes carries the session's CSRF token in
// a header, which another site's form or script cannot send. Sessions live
// in this process's memory: a restart, or another instance behind a load
// balancer, asks to log in again.
const (
	sessionCookie = "tinyscale_session"
	csrfHeader    = "X-CSRF-Token"
	// SessionTTL is how long a login lasts.
	SessionTTL = 12 * time.Hour
	// maxSessions bounds the sessions kept; the oldest goes first.
	maxSessions = 1000
)

type session struct {
	csrf    string
	expires time.Time
}

// sessions is the set of logged-in dashboard sessions, by the SHA-256 of
// their IDs (a memory dump does not hold a usable cookie).
type sessions struct {
	mu   sync.Mutex
	byID map[[32]byte]session
	now  func() time.Time
}

func newSessions() *sessions {
	return &sessions{byID: map[[32]byte]session{}, now: time.Now}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// create starts a session and returns its ID and CSRF token.
func (s *sessions) create() (id, csrf string, expires time.Time) {
	id, csrf = randomHex(32), randomHex(32)
	now := s.now()
	expires = now.Add(SessionTTL)
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.byID {
		if now.After(v.expires) {
			delete(s.byID, k)
		}
	}
	if len(s.byID) >= maxSessions {
		var oldest [32]byte
		var at time.Time
		for k, v := range s.byID {
			if at.IsZero() || v.expires.Before(at) {
				oldest, at = k, v.expires
			}
		}
		delete(s.byID, oldest)
	}
	s.byID[sha256.Sum256([]byte(id))] = session{csrf: csrf, expires: expires}
	return id, csrf, expires
}

// get returns the live session of r's cookie.
func (s *sessions) get(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return session{}, false
	}
	k := sha256.Sum256([]byte(c.Value))
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.byID[k]
	if !ok || s.now().After(ss.expires) {
		delete(s.byID, k)
		return session{}, false
	}
	return ss, true
}

// end forgets r's session.
func (s *sessions) end(r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.mu.Lock()
		delete(s.byID, sha256.Sum256([]byte(c.Value)))
		s.mu.Unlock()
	}
}

// csrfOK reports whether r carries the session's CSRF token: needed on
// every request that changes something.
func csrfOK(r *http.Request, ss session) bool {
	a := sha256.Sum256([]byte(r.Header.Get(csrfHeader)))
	b := sha256.Sum256([]byte(ss.csrf))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// safeMethod is a request that changes nothing.
func safeMethod(r *http.Request) bool {
	return r.Method == http.MethodGet || r.Method == http.MethodHead
}

// secureRequest tells whether the browser reached tinyscale over TLS, so
// that the cookie is marked Secure: directly, or through a reverse proxy
// that says so (trusted like X-Forwarded-For, see TINYSCALE_TRUST_PROXY).
func secureRequest(r *http.Request, trustProxy bool) bool {
	return r.TLS != nil || (trustProxy && r.Header.Get("X-Forwarded-Proto") == "https")
}

func setSessionCookie(w http.ResponseWriter, r *http.Request, id string, expires time.Time, trustProxy bool) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: id, Path: "/admin/", Expires: expires, MaxAge: int(SessionTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secureRequest(r, trustProxy),
	})
}

func clearSessionCookie(w http.ResponseWriter, r *http.Request, trustProxy bool) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/admin/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secureRequest(r, trustProxy),
	})
}
