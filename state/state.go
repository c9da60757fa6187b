// Package state is the truth about where a meeting belongs: which server
// holds each (tenant, meetingID), and which server holds each recording.
//
// The BBB servers are the truth about what runs; this package only says
// where. Implementations: Memory (this file's sibling); later an embedded
// file store and Redis, all held to one contract test suite.
package state

import "time"

// DefaultTenant is the tenant of requests signed with TINYSCALE_SECRET.
const DefaultTenant = "default"

// Meeting is one meeting's placement.
type Meeting struct {
	Tenant    string
	MeetingID string
	ServerID  string
	CreatedAt time.Time
}

// Store keeps meeting and recording placements. Every method is safe for
// concurrent use. Lookup is on the join path: it must answer from memory.
type Store interface {
	// Lookup returns the server holding the meeting.
	Lookup(tenant, meetingID string) (serverID string, ok bool)
	// Claim places the meeting on serverID if it is held by prev ("" for
	// none) and returns the owner afterwards: serverID if the claim won,
	// else whoever holds it. It is atomic: of two concurrent claims of one
	// meeting, one wins and both learn the winner.
	Claim(tenant, meetingID, prev, serverID string) (owner string, err error)
	// Release forgets the meeting if serverID still holds it.
	Release(tenant, meetingID, serverID string) error
	// Meetings lists every placement.
	Meetings() []Meeting
	// RecordingOwner returns the server holding a recording.
	RecordingOwner(recordID string) (serverID string, ok bool)
	// SetRecordingOwner remembers where a recording lives.
	SetRecordingOwner(recordID, serverID string) error
}
