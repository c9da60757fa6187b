package pool

import (
	"time"
)

// MeetingLoad is what the polls tell of one meeting on a server.
type MeetingLoad struct {
	MeetingID string
	// Participants counts the users in the meeting. BBB's participantCount
	// already includes moderators (Scalelite adds moderatorCount again and
	// counts them twice).
	Participants int
	// Voice and Video count the meeting's audio and camera streams.
	Voice, Video int
	// Created is when BBB created the meeting (createTime is milliseconds).
	Created time.Time
	// Breakout is true for a breakout room.
	Breakout bool
	// Expected is the size the meeting is expected to reach
	// (meta_bbb-meeting-size-hint), 0 if unknown.
	Expected int
	// Name is the meeting's name, and Recording whether it was created
	// with record=true: for usage accounting.
	Name      string
	Recording bool
	// InternalID is BBB's internalMeetingID; ParentID, for a breakout room,
	// the internal ID of its parent meeting. A breakout's external ID is a
	// hash BBB makes, with no trace of a tenant: its owner is its parent's.
	InternalID, ParentID string
}

// LoadModel turns what a server runs into one number, its load, so that
// servers can be compared. The unit is roughly "one participant".
type LoadModel struct {
	// Meeting is the cost of a meeting with nobody in it (its processes,
	// its recording), in participants.
	Meeting float64
	// Voice and Video are the extra cost of each audio and camera stream:
	// a camera is sent to everyone, so it weighs more than a listener.
	Voice, Video float64
	// MinExpected is the size assumed for a new meeting without a size
	// hint: a meeting just created is about to fill, and counting it as
	// empty is how bursts pile onto one server.
	MinExpected int
	// Ramp is how long a young meeting's expected size decays, linearly,
	// from full to nothing; after that only what it really has counts.
	Ramp time.Duration
}

// DefaultLoadModel is the model used unless configured otherwise.
var DefaultLoadModel = LoadModel{Meeting: 1, Voice: 0.5, Video: 1, MinExpected: 15, Ramp: 15 * time.Minute}

// Cost returns the load of one meeting at time now.
//
// A breakout room's users are also listed in their parent meeting, so a
// breakout counts only its own media streams, not its participants again.
// A young meeting counts as at least its expected size, decaying to zero
// over Ramp: users of a meeting just created have not arrived yet.
func (m LoadModel) Cost(ml MeetingLoad, now time.Time) float64 {
	media := m.Voice*float64(ml.Voice) + m.Video*float64(ml.Video)
	if ml.Breakout {
		return media
	}
	users := float64(ml.Participants)
	if floor := m.young(ml.Expected, now.Sub(ml.Created)); floor > users {
		users = floor
	}
	return m.Meeting + users + media
}

// young is the expected size still counted for a meeting of the given age.
func (m LoadModel) young(expected int, age time.Duration) float64 {
	if expected <= 0 {
		expected = m.MinExpected
	}
	if age < 0 {
		age = 0
	}
	if m.Ramp <= 0 || age >= m.Ramp {
		return 0
	}
	return float64(expected) * (1 - float64(age)/float64(m.Ramp))
}

// Pending is the cost of a meeting placed since the last poll: the poll has
// not seen it yet, but it will fill. Counting it at once is what splits a
// burst of creates evenly.
func (m LoadModel) Pending(expected int) float64 {
	if expected <= 0 {
		expected = m.MinExpected
	}
	return m.Meeting + float64(expected)
}
