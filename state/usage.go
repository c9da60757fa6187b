package state

import (
	"encoding/binary"
	"math"
	"time"
)

// UsageRecord is one meeting's life, written when it ends: what a hosting
// provider bills from. See package usage for how it is measured.
type UsageRecord struct {
	Tenant    string    `json:"tenant"`
	MeetingID string    `json:"meeting_id"`
	Name      string    `json:"name,omitempty"`
	Server    string    `json:"server"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	// DurationSeconds is End - Start in seconds.
	DurationSeconds float64 `json:"duration_seconds"`
	// PeakParticipants is the most participants one poll saw at once.
	PeakParticipants int `json:"peak_participants"`
	// ParticipantMinutes sums, over the polls that saw the meeting, the
	// participants seen times the minutes until the next poll.
	ParticipantMinutes float64 `json:"participant_minutes"`
	// Recorded is true when the meeting was created with record=true.
	Recorded bool `json:"recorded"`
	// Ongoing is true for a meeting that still ran at End: a checkpoint,
	// written while it runs so that a restarted tinyscale resumes its
	// count, and replaced by the final record when it ends.
	Ongoing bool `json:"ongoing,omitempty"`
}

// UsageStore keeps usage records. Memory, Bolt and Redis implement it;
// the usage package finds it on the Store by a type assertion. Records are
// keyed by (tenant, meetingID, start): adding one again replaces it, so two
// instances that both saw a meeting end store it once.
type UsageStore interface {
	// AddUsage stores the records durably, in one write: a checkpoint of
	// every running meeting (50,000 on a large fleet) is one call, not
	// one round trip or one commit per record. On an error none or only
	// some may be stored; adding them again is harmless.
	AddUsage(recs ...UsageRecord) error
	// Usage returns the records of meetings that started in [from, to),
	// oldest first.
	Usage(from, to time.Time) ([]UsageRecord, error)
	// PruneUsage drops the records of meetings that started before t and
	// returns how many it dropped: the retention.
	PruneUsage(before time.Time) (int, error)
}

// usageKey orders records by start: 8 bytes of big-endian Unix
// nanoseconds, then tenant NUL meetingID. Its first 8 bytes are a range
// key for Usage and PruneUsage.
func usageKey(r UsageRecord) []byte {
	k := make([]byte, 8, 8+len(r.Tenant)+1+len(r.MeetingID))
	binary.BigEndian.PutUint64(k, uint64(r.Start.UnixNano()))
	k = append(k, r.Tenant...)
	k = append(k, 0)
	return append(k, r.MeetingID...)
}

// usageBound is the range key of a time; times before 1970 (the zero
// time of an open range) are 1970 and times after 2262 the end, where
// UnixNano would overflow.
func usageBound(t time.Time) []byte {
	k := make([]byte, 8)
	switch {
	case !t.Before(time.Unix(0, math.MaxInt64)): // after 2262: an open end
		binary.BigEndian.PutUint64(k, math.MaxUint64)
	case t.After(time.Unix(0, 0)):
		binary.BigEndian.PutUint64(k, uint64(t.UnixNano()))
	}
	return k
}
