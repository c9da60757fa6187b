// Package hooks makes BBB webhooks (bbb-webhooks) work behind tinyscale
// as they do on one BBB server.
//
// tinyscale owns the registry: it answers hooks/create, hooks/list and
// hooks/destroy itself, with hook IDs unique across the cluster (kept in
// the state store) and per tenant. On every BBB server it keeps one hook
// of its own, pointing at its relay endpoint under TINYSCALE_URL
// (reconcile.go). The relay (relay.go) verifies each event with the
// server's secret, shows it with the tenant's own meeting IDs, and queues
// it for every matching hook of that tenant, signed with the tenant's
// secret as bbb-webhooks signs (sign.go). The servers' secrets never
// leave tinyscale.
package hooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tinyscale/tinyscale/deliver"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
)

// PathPrefix is where the relay endpoint lives.
const PathPrefix = "/tinyscale/hooks/"

// Kind labels hook deliveries in the delivery queue's logs and metrics.
const Kind = "hook"

// Schedule is bbb-webhooks' retryIntervals as a delivery schedule: the
// first try at once, then 12 retries over about five minutes.
var Schedule = []time.Duration{0,
	100 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second,
	8 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute, time.Minute, time.Minute, time.Minute,
}

// Config is what the service needs.
type Config struct {
	Store   state.HookStore
	Pool    *pool.Pool
	Tenants *tenant.Registry
	Queue   *deliver.Queue
	// PublicURL is TINYSCALE_URL: where BBB servers reach tinyscale.
	PublicURL string
	// Secret is TINYSCALE_SECRET; it keys the relay URLs' tags.
	Secret string
	// Timeout bounds one call to a BBB server's webhooks API.
	Timeout time.Duration
	// Schedule overrides the delivery schedule (tests).
	Schedule []time.Duration
	Log      *slog.Logger
}

// Service is the webhooks registry, reconciler and relay.
type Service struct {
	cfg    Config
	log    *slog.Logger
	key    []byte
	domain string
	stats  *stats

	mu     sync.Mutex
	sha1   map[string]bool   // servers whose bbb-webhooks took only SHA-1
	seen   map[string]bool   // servers whose hook was verified since they came online
	warned map[string]string // the last problem logged per server
	ids    idMap             // internal meeting IDs to external, per server (raw.go)
	nudge  chan struct{}
}

// New returns the service.
func New(cfg Config) *Service {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Schedule == nil {
		cfg.Schedule = Schedule
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	m := hmac.New(sha256.New, []byte(cfg.Secret))
	m.Write([]byte("tinyscale hooks relay v1"))
	s := &Service{cfg: cfg, log: cfg.Log, key: m.Sum(nil), stats: newStats(),
		sha1: map[string]bool{}, seen: map[string]bool{}, warned: map[string]string{}, ids: idMap{}, nudge: make(chan struct{}, 1)}
	s.cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if u, err := url.Parse(s.cfg.PublicURL); err == nil {
		s.domain = u.Hostname()
	}
	return s
}

// tag authenticates a relay URL: only tinyscale can make the URL of a
// server, so a guessed URL gets 401 before any checksum is computed.
func (s *Service) tag(serverID string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(serverID))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// relayURL is the callbackURL of tinyscale's hook on a server.
func (s *Service) relayURL(serverID string) string {
	return s.cfg.PublicURL + PathPrefix + url.PathEscape(serverID) + "/" + s.tag(serverID)
}

// ours reports whether a callback URL on a server is one of tinyscale's.
func (s *Service) ours(callbackURL string) bool {
	return strings.HasPrefix(callbackURL, s.cfg.PublicURL+PathPrefix)
}

// secretOf is the secret deliveries of a tenant are signed with: its
// first, the one its integrations are given.
func secretOf(t *tenant.Tenant) (string, bool) {
	if t == nil || len(t.Secrets) == 0 {
		return "", false
	}
	return t.Secrets[0], true
}
