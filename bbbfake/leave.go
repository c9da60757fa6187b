package bbbfake

// RemoveUsers simulates the last n attendees of a meeting leaving:
// participantCount drops. As in BBB, the meeting keeps running with nobody
// in it (until its empty-meeting timeout, which the fake leaves to
// EndMeeting). It reports false if there is no such meeting.
func (s *Server) RemoveUsers(meetingID string, n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.meetings[meetingID]
	if m == nil {
		return false
	}
	m.attendees = m.attendees[:max(0, len(m.attendees)-n)]
	return true
}
