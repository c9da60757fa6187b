package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tokenOK reports whether r carries the admin token as a Bearer token.
// Both sides are hashed before the constant-time comparison, so that
// neither the token's content nor its length shows in the timing.
func tokenOK(r *http.Request, token string) bool {
	h := r.Header.Get("Authorization")
	scheme, got, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	a := sha256.Sum256([]byte(strings.TrimSpace(got)))
	b := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// MinTokenLength is the shortest admin token tinyscale starts with: the
// admin API can add servers and tenants, and a short token can be
// guessed.
const MinTokenLength = 16

// authLimiter rate-limits failed admin tokens per client address: past
// Config.TokenFailures within authWindow, that address's failing requests are
// answered 429 until the window ends. The right token is always let in,
// so a client failing on purpose locks no operator out. The table is
// bounded; when it is full, windows that ended are dropped, then anyone.
type authLimiter struct {
	max  int // failures allowed per window
	mu   sync.Mutex
	seen map[string]*authWindowState
}

type authWindowState struct {
	start time.Time
	count int
}

const (
	defaultAuthFailures = 10
	authWindow          = time.Minute
	authTracked         = 10_000
)

// fail counts a failed token from r's address and reports whether that
// address is over the limit, with the seconds until it may try again.
func (l *authLimiter) fail(r *http.Request, now time.Time) (bool, int) {
	addr, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		addr = r.RemoteAddr
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string]*authWindowState{}
	}
	s := l.seen[addr]
	if s == nil || now.Sub(s.start) > authWindow {
		if s == nil && len(l.seen) >= authTracked {
			l.prune(now)
		}
		s = &authWindowState{start: now}
		l.seen[addr] = s
	}
	s.count++
	if s.count <= l.max {
		return false, 0
	}
	return true, int(authWindow-now.Sub(s.start))/int(time.Second) + 1
}

// prune drops ended windows, and every entry if none had ended: an
// attacker filling the table only resets the counts of its own kind.
func (l *authLimiter) prune(now time.Time) {
	for a, s := range l.seen {
		if now.Sub(s.start) > authWindow {
			delete(l.seen, a)
		}
	}
	if len(l.seen) >= authTracked {
		clear(l.seen)
	}
}

// refuse answers a request without the right token: 401, or 429 with
// Retry-After for an address that failed too often.
func (a *API) refuse(w http.ResponseWriter, r *http.Request) {
	if over, wait := a.auth.fail(r, time.Now()); over {
		w.Header().Set("Retry-After", strconv.Itoa(wait))
		writeError(w, http.StatusTooManyRequests, "too many wrong admin tokens from this address; try again later")
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="tinyscale admin"`)
	writeError(w, http.StatusUnauthorized, "missing or wrong admin token: send Authorization: Bearer <TINYSCALE_ADMIN_TOKEN>")
}
