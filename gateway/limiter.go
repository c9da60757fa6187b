package gateway

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/tenant"
)

// Limiter slows down secret guessing without ever refusing a correctly
// signed request. It counts failed checksums per client address and
// tenant; past Failures within Window the pair is blocked for Block. A
// blocked pair's requests are still verified, and those whose checksum is
// right are served as always: many integrations often share one address
// (a reverse proxy's, a NAT's), and one of them, or anyone who can reach
// tinyscale, failing on purpose must not lock the others out. Only the
// failing requests of a blocked pair change: they are told why, and
// answered after Delay (a tarpit, bounded in how many it holds at once),
// which slows a guesser down without costing an integration anything.
//
// The table of counted pairs is bounded: when it is full, the least
// recently failing unblocked entry gives its place (sampled, as Redis
// evicts), so a flood of distinct or spoofed addresses can neither grow
// memory nor turn the limiter off. IPv6 clients are counted per /64,
// which one client gets for free.
type Limiter struct {
	// Failures within Window that block an (address, tenant) for Block.
	Failures int
	Window   time.Duration
	Block    time.Duration
	// Delay holds each failing request of a blocked pair this long before
	// it is answered (0: no tarpit).
	Delay time.Duration
	// TrustProxy takes the client address from X-Forwarded-For's last hop,
	// for tinyscale behind a reverse proxy; otherwise every client would
	// share the proxy's address.
	TrustProxy bool
	// OnBlock, if set, is told when an address gets blocked.
	OnBlock func(addr string)
	// Max bounds the pairs tracked at once (default 100,000).
	Max int

	mu      sync.Mutex
	clients map[limiterKey]*failures
	swept   time.Time
	held    chan struct{} // tarpit slots
	once    sync.Once
}

type limiterKey struct{ addr, tenant string }

type failures struct {
	count   int
	since   time.Time // start of the current window
	last    time.Time // last failure
	blocked time.Time // blocked until then
}

// defaultMaxTracked bounds the pairs tracked at once.
const defaultMaxTracked = 100_000

// maxTarpit bounds the requests held by the tarpit at once; past it
// failing requests are answered at once (still as blocked).
const maxTarpit = 256

// evictSample is how many entries are looked at to pick one to evict.
const evictSample = 16

// Addr returns the client address the limiter counts for r: IPv4 as is,
// IPv6 as its /64.
func (l *Limiter) Addr(r *http.Request) string {
	raw := ""
	if l.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			if i := strings.LastIndexByte(xff, ','); i >= 0 {
				xff = xff[i+1:]
			}
			raw = strings.TrimSpace(xff)
		}
	}
	if raw == "" {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		raw = host
	}
	a, err := netip.ParseAddr(raw)
	if err != nil {
		if len(raw) > 64 {
			raw = raw[:64] // a garbage header is one client, not a memory sink
		}
		return raw
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

func (l *Limiter) on() bool { return l != nil && l.Failures > 0 }

// Blocked reports whether failures of tenant from addr are blocked now.
func (l *Limiter) Blocked(addr, tenant string, now time.Time) bool {
	if !l.on() {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.clients[limiterKey{addr, tenant}]
	return f != nil && now.Before(f.blocked)
}

// Fail counts a failed checksum of tenant (the name as requested, known
// or not, so that the limiter answers the same for both) from addr, and
// reports whether the pair is blocked now.
func (l *Limiter) Fail(addr, tenant string, now time.Time) bool {
	if !l.on() {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.clients == nil {
		l.clients = map[limiterKey]*failures{}
	}
	l.sweep(now)
	k := limiterKey{addr, tenant}
	f := l.clients[k]
	if f == nil {
		if len(l.clients) >= l.max() {
			l.evict(now)
		}
		f = &failures{since: now}
		l.clients[k] = f
	}
	f.last = now
	if now.Sub(f.since) > l.Window {
		f.count, f.since = 0, now
	}
	f.count++
	if f.count >= l.Failures && !now.Before(f.blocked) {
		f.blocked = now.Add(l.Block)
		f.count, f.since = 0, now
		if l.OnBlock != nil {
			l.OnBlock(addr)
		}
		return true
	}
	return now.Before(f.blocked)
}

// Tarpit holds a blocked pair's failing request for Delay, unless ctx
// ends first or the tarpit is full.
func (l *Limiter) Tarpit(ctx context.Context) {
	if !l.on() || l.Delay <= 0 {
		return
	}
	l.once.Do(func() { l.held = make(chan struct{}, maxTarpit) })
	select {
	case l.held <- struct{}{}:
	default:
		return
	}
	defer func() { <-l.held }()
	t := time.NewTimer(l.Delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Tracked returns how many pairs are counted now: for tests.
func (l *Limiter) Tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

func (l *Limiter) max() int {
	if l.Max > 0 {
		return l.Max
	}
	return defaultMaxTracked
}

// evict drops one entry to make room: of a sample, the unblocked one that
// failed least recently, else the blocked one whose block ends first.
// Map iteration order is random, which makes the sample random.
func (l *Limiter) evict(now time.Time) {
	var victim limiterKey
	var best *failures
	better := func(f *failures) bool {
		if best == nil {
			return true
		}
		fb, bb := now.Before(f.blocked), now.Before(best.blocked)
		if fb != bb {
			return !fb
		}
		if fb {
			return f.blocked.Before(best.blocked)
		}
		return f.last.Before(best.last)
	}
	n := 0
	for k, f := range l.clients {
		if better(f) {
			victim, best = k, f
		}
		if n++; n >= evictSample {
			break
		}
	}
	delete(l.clients, victim)
}

// sweep drops entries that neither block nor count any more, at most once
// a window.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < l.Window {
		return
	}
	l.swept = now
	for k, f := range l.clients {
		if now.Sub(f.since) > l.Window && !now.Before(f.blocked) {
			delete(l.clients, k)
		}
	}
}

// checksumFailed counts a failed checksum of tenant from r's client and
// returns the error to answer: BBB's checksumError, telling a blocked
// client why, after the tarpit.
func (g *Gateway) checksumFailed(r *http.Request, tenant string, verifyErr error) *bbb.Error {
	l := g.cfg.Limiter
	if !l.on() {
		return bbb.ChecksumError(verifyErr)
	}
	addr := l.Addr(r)
	wasBlocked := l.Blocked(addr, tenant, time.Now())
	if !l.Fail(addr, tenant, time.Now()) {
		return bbb.ChecksumError(verifyErr)
	}
	if !wasBlocked {
		g.log.Warn("too many failed checksums: failing requests of this client slowed down (correct checksums are still served)",
			"client", addr, "tenant", tenant, "for", l.Block)
	}
	l.Tarpit(r.Context())
	return errTooManyFailures
}

// limiterName is the tenant name c's failures are counted under: the
// name as requested, for a name that does not exist too, so that the
// limiter answers the same for both.
func (g *Gateway) limiterName(c *call) string {
	if c.tenant != g.unknown {
		return c.tenant.Name
	}
	rest, _ := strings.CutPrefix(c.r.URL.Path, tenant.PathPrefix)
	name, _, _ := strings.Cut(rest, "/")
	if len(name) > 64 {
		name = name[:64] // a long name is one client's, not a memory sink
	}
	return "?" + name // never equal to a configured tenant's counter
}
