// Package state is the truth about where a meeting belongs: which server
// holds each (tenant, meetingID), which server holds each recording, and
// small documents such as the servers' admin states.
//
// The BBB servers are the truth about what runs; this package only says
// where. Implementations: Memory (process memory), Bolt (an embedded file,
// the default) and Redis (shared by several instances), all held to one
// contract test suite.
package state

import (
	"errors"
	"time"
)

// DefaultTenant is the tenant of requests signed with TINYSCALE_SECRET.
const DefaultTenant = "default"

// Meeting is one meeting's placement.
type Meeting struct {
	Tenant    string    `json:"tenant"`
	MeetingID string    `json:"meeting_id"`
	ServerID  string    `json:"server"`
	CreatedAt time.Time `json:"created_at"`
	// Expected is the size the meeting was expected to reach when it was
	// placed (meta_bbb-meeting-size-hint), 0 if unknown.
	Expected int `json:"expected,omitempty"`
}

// ErrUnavailable wraps errors of a store that cannot be reached (Redis
// down): reads still answer from memory, writes fail with it.
var ErrUnavailable = errors.New("state store unavailable")

// Store keeps meeting and recording placements. Every method is safe for
// concurrent use. Lookup and Get are on the join path: they answer from
// memory, never from the network or the disk.
type Store interface {
	// Lookup returns the server holding the meeting.
	Lookup(tenant, meetingID string) (serverID string, ok bool)
	// Get returns the meeting's whole placement.
	Get(tenant, meetingID string) (Meeting, bool)
	// Claim places m (m.ServerID) if the meeting is held by prev ("" for
	// none) and returns the owner afterwards: m.ServerID if the claim won,
	// else whoever holds it. It is atomic across every instance sharing
	// the store: of two concurrent claims of one meeting, one wins and
	// both learn the winner. A claim that returns is durable.
	Claim(m Meeting, prev string) (owner string, err error)
	// Release forgets the meeting if serverID still holds it.
	Release(tenant, meetingID, serverID string) error
	// Meetings lists every placement.
	Meetings() []Meeting
	// AppendMeetings appends every placement to dst, in no particular
	// order, and returns the extended slice: for a caller that walks them
	// all at every poll round and reuses one slice, instead of a sorted
	// copy made anew each time.
	AppendMeetings(dst []Meeting) []Meeting
	// TenantMeetings counts the tenant's placements.
	TenantMeetings(tenant string) int
	// RecordingOwner returns the server holding a recording.
	RecordingOwner(recordID string) (serverID string, ok bool)
	// SetRecordingOwner remembers where a recording lives. It is a routing
	// hint (an unknown recording is asked of every server), so a store may
	// make it durable a little later, off the request path.
	SetRecordingOwner(recordID, serverID string) error
	// LoadDoc returns a small named document (the admin overlay, say), nil
	// if there is none.
	LoadDoc(name string) ([]byte, error)
	// SaveDoc stores a small named document durably.
	SaveDoc(name string, data []byte) error
	Docs
	// Jobs keep the delivery queue (queue.go).
	Jobs
	// HookStore keeps the webhooks registry (hooks_store.go).
	HookStore
	// Close releases the store's resources.
	Close() error
	// RecordingIndex is the index of tinyscale's own recording store.
	RecordingIndex
}
