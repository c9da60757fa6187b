package bbbfake

import "time"

// SetCreated backdates a meeting's createTime (and createDate), as if it
// had been running since t: load tests fill a fleet with meetings past
// their first minutes, whose load is what their users make. The
// internalMeetingID keeps the time of the real create. It reports false if
// there is no such meeting.
func (s *Server) SetCreated(meetingID string, t time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.meetings[meetingID]
	if m == nil {
		return false
	}
	m.createTime = t.UnixMilli()
	return true
}
