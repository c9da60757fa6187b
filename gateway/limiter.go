package gateway

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limiter slows down secret guessing: a client address with too many
// failed checksums in a window is answered checksumError without any
// hashing for a while. Legitimate clients, whose checksums are right, never
// meet it.
type Limiter struct {
	// Failures within Window that block an address for Block.
	Failures int
	Window   time.Duration
	Block    time.Duration
	// TrustProxy takes the client address from X-Forwarded-For's last hop,
	// for tinyscale behind a reverse proxy; otherwise every client would
	// share the proxy's address.
	TrustProxy bool
	// OnBlock, if set, is told when an address gets blocked.
	OnBlock func(addr string)

	mu      sync.Mutex
	clients map[string]*failures
	swept   time.Time
	// until is the latest time any address is blocked until (Unix
	// nanoseconds): before it, Blocked looks an address up; after it, no
	// address can be blocked, and Blocked answers without the lock that
	// every request would otherwise queue on.
	until atomic.Int64
}

type failures struct {
	count   int
	since   time.Time // start of the current window
	blocked time.Time // blocked until then
}

// maxTracked bounds the addresses tracked at once, so a flood of spoofed
// or distinct addresses cannot grow memory without bound.
const maxTracked = 100_000

// Addr returns the client address the limiter counts for r.
func (l *Limiter) Addr(r *http.Request) string {
	if l.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			if i := strings.LastIndexByte(xff, ','); i >= 0 {
				xff = xff[i+1:]
			}
			return strings.TrimSpace(xff)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Blocked reports whether addr is blocked now.
func (l *Limiter) Blocked(addr string, now time.Time) bool {
	if l == nil || l.Failures <= 0 {
		return false
	}
	if now.UnixNano() >= l.until.Load() {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.clients[addr]
	return f != nil && now.Before(f.blocked)
}

// Fail counts a failed checksum from addr and reports whether it is now
// blocked.
func (l *Limiter) Fail(addr string, now time.Time) bool {
	if l == nil || l.Failures <= 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.clients == nil {
		l.clients = map[string]*failures{}
	}
	l.sweep(now)
	f := l.clients[addr]
	if f == nil {
		if len(l.clients) >= maxTracked {
			return false // full of recent entries: count nothing rather than grow
		}
		f = &failures{since: now}
		l.clients[addr] = f
	}
	if now.Sub(f.since) > l.Window {
		f.count, f.since = 0, now
	}
	f.count++
	if f.count >= l.Failures && !now.Before(f.blocked) {
		f.blocked = now.Add(l.Block)
		if b := f.blocked.UnixNano(); b > l.until.Load() {
			l.until.Store(b) // under mu: no other writer
		}
		f.count, f.since = 0, now
		if l.OnBlock != nil {
			l.OnBlock(addr)
		}
		return true
	}
	return now.Before(f.blocked)
}

// sweep drops entries that neither block nor count any more, at most once
// a window.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < l.Window {
		return
	}
	l.swept = now
	for addr, f := range l.clients {
		if now.Sub(f.since) > l.Window && !now.Before(f.blocked) {
			delete(l.clients, addr)
		}
	}
}
