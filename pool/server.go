// Package pool holds the BBB servers behind tinyscale: their health, their
// load, their administrative state, and which of them takes the next
// meeting. It never calls the gateway.
package pool

import (
	"strings"
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
	// Weight scales the load the server takes: a server of weight 2 takes
	// twice the load of one of weight 1. Never 0.
	Weight float64
	// MaxLoad is a hard limit: above it the server takes no new meetings.
	// 0 means none.
	MaxLoad float64
	// Tags are matched against meta_server-tag.
	Tags []string

	mu       sync.Mutex
	health   health
	admin    AdminState
	meetings []MeetingLoad // from the last successful poll
	polled   time.Time
	pending  pendingSet // placed since, not yet seen by a poll
	// curve is the load of meetings as a function of time, built from
	// them at the first Load after they changed (nil until then).
	curve *loadCurve
	// before is the curve of the meetings placed before beforeCutoff,
	// for shared placements (see polledBefore); nil with curve.
	before       *loadCurve
	beforeCutoff time.Time
	// claimed holds when the polled meetings that were reserved here
	// were placed (the reservation's time: a shared store's time of the
	// claim), for as long as a shared placement may tell them from older
	// ones by it (maxPending) and they run: see polledBefore.
	claimed map[string]claim
	// polls counts the polls seen (SetMeetings), for claim.seen.
	polls uint64
	// share, when set, publishes this instance's reservations to the
	// other instances sharing the state (see Pool.Share).
	share func(Reservation)
	// settled, when set, is told of the reservations that ended (see
	// Pool.OnSettled).
	settled func(serverID string, meetingIDs []string)

	// passive is what real creates meet (passive.go, breaker.go).
	passive passive
}

// Reservation is a change to a server's pending load, as shared between
// instances: a meeting placed (At), its create confirmed (Confirmed), or
// the reservation dropped (Cancel).
type Reservation struct {
	ServerID, MeetingID string
	Expected            int
	At, Confirmed       time.Time
	Cancel              bool
}

// pending is a meeting placed on the server that no poll has seen yet.
type pending struct {
	expected  int
	at        time.Time
	confirmed time.Time // when its create succeeded; zero while under way
}

// NewServer returns an enabled, online server of weight 1.
func NewServer(id string, c *bbb.Client) *Server {
	return &Server{ID: id, Client: c, Weight: 1, health: health{online: true}, admin: Enabled, pending: newPendingSet()}
}

// The state of a server is its administrative state times its health:
//
//	admin:   enabled ──cordon──▶ cordoned ──(no meetings left)──▶ disabled
//	            ▲                    │                               │
//	            └──────enable────────┴──────────enable───────────────┘
//	         any ──disable──▶ disabled;  any ──panic──▶ disabled (meetings ended)
//	health:  online ──(Down failures in a row, or a refused connection)──▶ offline
//	         offline ──(Up successes in a row)──▶ online
//
// What each combination may do:
//
//	Routable  (calls for its meetings, joins):  online && admin != disabled
//	Available (new meetings):                  online && admin == enabled && !full
//	                                            && passive health allows (breaker.go)

// AdminState is what an operator decided for a server.
type AdminState string

// The administrative states.
const (
	// Enabled servers take new meetings.
	Enabled AdminState = "enabled"
	// Cordoned servers take no new meetings; running ones go on, and the
	// server becomes Disabled once it is empty.
	Cordoned AdminState = "cordoned"
	// Disabled servers take no new meetings and no joins.
	Disabled AdminState = "disabled"
)

// ParseAdminState reads an AdminState.
func ParseAdminState(s string) (AdminState, bool) {
	switch a := AdminState(s); a {
	case Enabled, Cordoned, Disabled:
		return a, true
	}
	return "", false
}

// health is the server's health with hysteresis.
type health struct {
	online    bool
	fails     int
	successes int
	lastPoll  time.Time
	lastError string
}

// Thresholds are the hysteresis counts: how many consecutive failures take
// a server offline and how many consecutive successes bring it back.
type Thresholds struct{ Down, Up int }

// DefaultThresholds are 2 and 2.
var DefaultThresholds = Thresholds{Down: 2, Up: 2}

// Online reports whether the server is considered healthy.
func (s *Server) Online() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.health.online
}

// Routable reports whether calls for the server's meetings, joins
// included, may go to it.
func (s *Server) Routable() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.health.online && s.admin != Disabled
}

// Admin returns the server's administrative state.
func (s *Server) Admin() AdminState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.admin
}

// SetAdmin changes the administrative state and reports whether it changed.
func (s *Server) SetAdmin(a AdminState) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	was := s.admin
	s.admin = a
	return was != a
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

// SetMeetings records what a successful poll, sent at started, found
// running. Reservations end when the poll has seen their meeting, when
// their create succeeded before the poll was sent and the poll did not see
// it (it ended already), or after maxPending (a create that never ended).
// A cordoned server found empty becomes disabled; it returns true then.
func (s *Server) SetMeetings(ms []MeetingLoad, started time.Time, maxPending time.Duration) (drained bool) {
	var ended []string
	s.mu.Lock()
	s.meetings, s.polled, s.curve, s.before = ms, started, nil, nil
	s.polls++
	for _, m := range ms {
		if p, ok := s.pending.get(m.MeetingID); ok {
			s.noteClaimed(m.MeetingID, p.at)
			s.pending.del(m.MeetingID)
		} else if c, ok := s.claimed[m.MeetingID]; ok {
			c.seen = s.polls
			s.claimed[m.MeetingID] = c // m.MeetingID owns its memory (ownStrings)
		}
	}
	// A claim's time is dropped after the ramp, and when its meeting is
	// no longer listed: it ended, and nothing asks when it was placed.
	// Kept until the ramp, every meeting created had cost its entry for 15
	// minutes, the longest-lived growth of a soak of created and ended
	// meetings.
	for id, c := range s.claimed {
		if c.seen != s.polls || started.Sub(c.at) > maxPending {
			delete(s.claimed, id)
		}
	}
	for id, p := range s.pending.m {
		gone := !p.confirmed.IsZero() && p.confirmed.Before(started)
		if gone || started.Sub(p.at) > maxPending {
			s.pending.del(id)
			ended = append(ended, id) // a shared store counts it no longer either
		}
	}
	if s.admin == Cordoned && len(ms) == 0 && s.pending.len() == 0 {
		s.admin = Disabled
		drained = true
	}
	settled := s.settled
	s.mu.Unlock()
	if settled != nil && len(ended) > 0 {
		settled(s.ID, ended)
	}
	return drained
}

// noteClaimed records when a polled meeting was placed (s.mu held), under
// a copy of its ID: the entry stays while the meeting runs (within the
// ramp), and an ID cut from an event or an answer would keep all of it.
func (s *Server) noteClaimed(meetingID string, at time.Time) {
	if s.claimed == nil {
		s.claimed = map[string]claim{}
	}
	s.claimed[strings.Clone(meetingID)] = claim{at: at, seen: s.polls}
}

// claim is when a polled meeting was placed, and the last poll that
// listed it (Server.polls).
type claim struct {
	at   time.Time
	seen uint64
}

// reserve counts a meeting placed on the server at at until a poll sees
// it.
func (s *Server) reserve(meetingID string, expected int, at time.Time) {
	s.mu.Lock()
	s.pending.put(meetingID, pending{expected: expected, at: at})
	share := s.share
	s.mu.Unlock()
	if share != nil {
		share(Reservation{ServerID: s.ID, MeetingID: meetingID, Expected: expected, At: at})
	}
}

// Apply takes another instance's reservation into this server's load.
//
// A reservation that arrives after this instance's poll already listed
// its meeting (the create reached the server before the event reached
// this instance) is not counted again: it would stay until the next poll,
// an interval later, and count the meeting twice all that time. Only when
// it was placed is kept, for polledBefore.
func (s *Server) Apply(r Reservation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.Cancel:
		s.pending.del(r.MeetingID)
	case !r.Confirmed.IsZero():
		if p, ok := s.pending.get(r.MeetingID); ok {
			p.confirmed = r.Confirmed
			s.pending.put(r.MeetingID, p)
		}
	case s.polledLocked(r.MeetingID):
		s.noteClaimed(r.MeetingID, r.At)
		s.before = nil
	default:
		s.pending.put(r.MeetingID, pending{expected: r.Expected, at: r.At})
	}
}

// polledLocked reports whether the last poll listed the meeting (s.mu
// held): O(meetings), once per reservation from another instance.
func (s *Server) polledLocked(meetingID string) bool {
	for _, m := range s.meetings {
		if m.MeetingID == meetingID {
			return true
		}
	}
	return false
}

// Confirm notes that the create of a reserved meeting succeeded at t: a
// poll sent after t that does not see the meeting proves it ended.
func (s *Server) Confirm(meetingID string, t time.Time) {
	s.mu.Lock()
	if p, ok := s.pending.get(meetingID); ok {
		p.confirmed = t
		s.pending.put(meetingID, p)
	}
	share := s.share
	s.mu.Unlock()
	if share != nil {
		share(Reservation{ServerID: s.ID, MeetingID: meetingID, Confirmed: t})
	}
}

// Forget drops an ended meeting from the server's load at once, without
// waiting for the next poll.
func (s *Server) Forget(meetingID string) {
	s.mu.Lock()
	_, wasPending := s.pending.get(meetingID)
	s.pending.del(meetingID)
	for i, m := range s.meetings {
		if m.MeetingID == meetingID {
			s.meetings, s.curve, s.before = append(s.meetings[:i:i], s.meetings[i+1:]...), nil, nil
			break
		}
	}
	settled := s.settled
	s.mu.Unlock()
	if wasPending && settled != nil {
		settled(s.ID, []string{meetingID})
	}
}

// Unreserve drops the reservation of a meeting whose create failed.
func (s *Server) Unreserve(meetingID string) {
	s.mu.Lock()
	s.pending.del(meetingID)
	share, settled := s.share, s.settled
	s.mu.Unlock()
	if share != nil {
		share(Reservation{ServerID: s.ID, MeetingID: meetingID, Cancel: true})
	}
	if settled != nil {
		settled(s.ID, []string{meetingID})
	}
}

// Load returns the server's load under model m at time now, divided by its
// weight: what placement compares.
func (s *Server) Load(m LoadModel, now time.Time) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadLocked(m, now) / s.Weight
}

// loadLocked is the sum of m.Cost over the polled meetings and of
// m.Pending over the reservations, read from the load curve and the
// pending sums: O(log meetings), see load_curve.go.
func (s *Server) loadLocked(m LoadModel, now time.Time) float64 {
	if s.curve == nil || s.curve.model != m {
		s.curve = newLoadCurve(s.meetings, m, s.polled)
	}
	return s.curve.load(now) + s.pending.load(m)
}

// available reports whether the server may take a new meeting, given its
// raw (unweighted) load.
func (s *Server) available(m LoadModel, now time.Time) bool {
	ok, _ := s.availableLoad(m, now)
	return ok
}

// availableLoad reports whether the server may take a new meeting and, if
// so, its weighted load (what Load returns), under one lock: placement
// asks both of every server.
func (s *Server) availableLoad(m LoadModel, now time.Time) (bool, float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.health.online || s.admin != Enabled || !s.passiveAllows(now) {
		return false, 0
	}
	load := s.loadLocked(m, now)
	return s.MaxLoad <= 0 || load < s.MaxLoad, load / s.Weight
}

// Status is a snapshot of a server for the admin API and metrics.
type Status struct {
	ID           string     `json:"id"`
	Host         string     `json:"host"`
	Admin        AdminState `json:"state"`
	Online       bool       `json:"online"`
	Fails        int        `json:"fails"`
	LastPoll     time.Time  `json:"last_poll"`
	LastError    string     `json:"last_error,omitempty"`
	Load         float64    `json:"load"`
	Weight       float64    `json:"weight"`
	MaxLoad      float64    `json:"max_load,omitempty"`
	Tags         []string   `json:"tags,omitempty"`
	Meetings     int        `json:"meetings"`
	Participants int        `json:"participants"`
	Voice        int        `json:"voice"`
	Video        int        `json:"video"`
	Pending      int        `json:"pending"`
	// PassiveStatus is what real creates met: the breaker and the creates
	// under way (breaker_open, breaker_reason, creates_in_flight).
	PassiveStatus
}

// Status returns a snapshot of the server.
func (s *Server) Status(m LoadModel, now time.Time) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{
		ID: s.ID, Host: s.Client.Base, Admin: s.admin, Online: s.health.online,
		Fails: s.health.fails, LastPoll: s.health.lastPoll, LastError: s.health.lastError,
		Load: s.loadLocked(m, now) / s.Weight, Weight: s.Weight, MaxLoad: s.MaxLoad, Tags: s.Tags,
		Meetings: len(s.meetings), Pending: s.pending.len(), PassiveStatus: s.Passive(),
	}
	for _, ml := range s.meetings {
		if !ml.Breakout {
			st.Participants += ml.Participants
		}
		st.Voice += ml.Voice
		st.Video += ml.Video
	}
	return st
}

// Meetings returns what the last poll found running on the server.
func (s *Server) Meetings() []MeetingLoad {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]MeetingLoad(nil), s.meetings...)
}

func (s *Server) setShare(f func(Reservation)) {
	s.mu.Lock()
	s.share = f
	s.mu.Unlock()
}
