// Package pool holds the BBB servers behind tinyscale: their health, and
// which of them takes the next meeting. It never calls the gateway.
package pool

import (
	"sync"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
)

// Server is one BBB server and what tinyscale knows of it.
type Server struct {
	// ID names the server in logs, metrics and the admin API.
	ID string
	// Client calls the server's API, signed with its secret.
	Client *bbb.Client
	// Weight scales the load the server takes; 1 is the default.
	Weight float64
	// Tags are matched against meta_server-tag.
	Tags []string

	mu     sync.Mutex
	health health
}

// health is the server's health with hysteresis:
//
//	online ──(Down consecutive failures)──▶ offline
//	offline ──(Up consecutive successes)──▶ online
//
// A connection that cannot be made at all (refused, unreachable) takes the
// server offline at once: there is nothing to wait for.
type health struct {
	online    bool
	fails     int
	successes int
	lastPoll  time.Time
	lastError string
}

// Health is a snapshot of a server's health.
type Health struct {
	Online    bool
	Fails     int
	LastPoll  time.Time
	LastError string
}

// Thresholds are the hysteresis counts: how many consecutive failures take
// a server offline and how many consecutive successes bring it back.
type Thresholds struct{ Down, Up int }

// DefaultThresholds are 2 and 2.
var DefaultThresholds = Thresholds{Down: 2, Up: 2}

// NewServer returns an online server.
func NewServer(id string, c *bbb.Client) *Server {
	return &Server{ID: id, Client: c, Weight: 1, health: health{online: true}}
}

// Online reports whether the server is considered healthy.
func (s *Server) Online() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.health.online
}

// Available reports whether the server may take meetings and joins now.
func (s *Server) Available() bool { return s.Online() }

// Health returns a snapshot of the server's health.
func (s *Server) Health() Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Health{s.health.online, s.health.fails, s.health.lastPoll, s.health.lastError}
}

// Observe records the outcome of one health check. err nil is a success.
// It returns true when the server's online state changed.
func (s *Server) Observe(err error, t Thresholds, now time.Time) (changed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := &s.health
	h.lastPoll = now
	was := h.online
	if err == nil {
		h.fails, h.lastError = 0, ""
		h.successes++
		if !h.online && h.successes >= t.Up {
			h.online = true
		}
	} else {
		h.successes = 0
		h.fails++
		h.lastError = err.Error()
		if h.online && h.fails >= t.Down {
			h.online = false
		}
	}
	return was != h.online
}

// MarkOffline takes the server offline at once, as when a connection to it
// was refused. It returns true if it was online.
func (s *Server) MarkOffline(reason string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	was := s.health.online
	s.health.online = false
	s.health.successes = 0
	s.health.fails++
	s.health.lastError = reason
	return was
}
