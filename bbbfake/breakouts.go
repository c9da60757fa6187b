package bbbfake

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
)

// Breakout rooms, as BBB makes them. akka-apps creates them on the parent's
// server when a moderator opens breakout rooms: it names each room with
// BreakoutRoomsUtil.createMeetingIds (external ID sha1(parentInternalID
// "-" timestamp "-" sequence) "-" timestamp, internal ID sha1(external)
// "-" timestamp) and asks bbb-web to create it with meetingID set to the
// internal ID, isBreakout=true and parentMeetingID set to the parent's
// internal ID. bbb-web's ParamsProcessorUtil then takes meetingID as the
// internal ID and rebuilds the external one from the parent, the timestamp
// and the sequence. So a breakout's external ID carries no trace of the
// meetingID an integration gave its parent: a balancer that scopes IDs has
// to derive a breakout's owner from parentMeetingID.

var (
	errParentMissing  = &bbb.Error{Key: "parentMeetingIdMissing", Message: "No parent meeting ID was provided for the breakout room"}
	errParentNotFound = &bbb.Error{Key: "parentMeetingDoesNotExist", Message: "No parent meeting exists for the breakout room"}
)

// breakoutIDs are the external and internal IDs bbb-web gives a breakout
// created with meetingID internalID under the parent parentInternalID.
func breakoutIDs(parentInternalID, internalID string, sequence int) (external string) {
	ts := internalID
	if _, after, ok := strings.Cut(internalID, "-"); ok {
		ts = after
	}
	sum := sha1.Sum([]byte(parentInternalID + "-" + ts + "-" + strconv.Itoa(sequence)))
	return hex.EncodeToString(sum[:]) + "-" + ts
}

// akkaBreakoutIDs are the IDs akka-apps picks for breakout room sequence
// of the parent parentInternalID at time ts.
func akkaBreakoutIDs(parentInternalID string, ts int64, sequence int) (internal, external string) {
	t := strconv.FormatInt(ts, 10)
	sum := sha1.Sum([]byte(parentInternalID + "-" + t + "-" + strconv.Itoa(sequence)))
	external = hex.EncodeToString(sum[:]) + "-" + t
	isum := sha1.Sum([]byte(external))
	return hex.EncodeToString(isum[:]) + "-" + t, external
}

// breakoutParent checks a breakout create's parent, with s.mu held: it
// must name a running meeting by its internal ID.
func (s *Server) breakoutParent(parentInternalID string) *bbb.Error {
	if parentInternalID == "" {
		return errParentMissing
	}
	for _, m := range s.meetings {
		if m.internalID == parentInternalID && !m.isBreakout {
			return nil
		}
	}
	return errParentNotFound
}

// CreateBreakouts opens n breakout rooms in the running meeting
// parentMeetingID (external ID), as a moderator does in the client: the
// rooms are created on this server the way akka-apps and bbb-web create
// them. It returns the rooms' external meeting IDs, or nil when the parent
// is not running here.
func (s *Server) CreateBreakouts(parentMeetingID string, n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	parent := s.meetings[parentMeetingID]
	if parent == nil || parent.isBreakout {
		return nil
	}
	now := time.Now().UnixMilli()
	var ids []string
	for seq := 1; seq <= n; seq++ {
		internal, external := akkaBreakoutIDs(parent.internalID, now, seq)
		m := &meeting{
			id:              external,
			internalID:      internal,
			name:            parent.name + " (Room " + strconv.Itoa(seq) + ")",
			createTime:      now,
			voiceBridge:     s.freeVoiceBridge(),
			dialNumber:      defaultDialNumber,
			record:          parent.record,
			isBreakout:      true,
			sequence:        seq,
			parentMeetingID: parent.internalID,
			metadata:        map[string]string{},
		}
		s.meetings[external] = m
		s.order = append(s.order, external)
		s.meetingCreatedEvent(m)
		ids = append(ids, external)
	}
	return ids
}
