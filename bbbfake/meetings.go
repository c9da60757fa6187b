package bbbfake

import (
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
)

// meeting is a running meeting. Guarded by Server.mu.
type meeting struct {
	id, internalID, name    string
	attendeePW, moderatorPW string
	createTime              int64
	voiceBridge, dialNumber string
	duration, maxUsers      int
	record                  bool
	hasUserJoined, running  bool
	logoutURL               string
	meetingEndedURL         string
	isBreakout, freeJoin    bool
	parentMeetingID         string
	sequence                int
	metadata                map[string]string
	params                  url.Values
	body                    []byte
	presentations           []string
	attendees               []Attendee
	chat                    []ChatMessage
}

// MeetingInfo is a snapshot of a running meeting.
type MeetingInfo struct {
	MeetingID, InternalID, Name string
	// CreateTime is in milliseconds since the epoch.
	CreateTime              int64
	AttendeePW, ModeratorPW string
	VoiceBridge             string
	// Participants counts the users in the meeting, moderators included.
	Participants, Moderators int
	HasUserJoined, Running   bool
	Record, IsBreakout       bool
	LogoutURL                string
	// MeetingEndedURL is the create parameter meetingEndedURL.
	MeetingEndedURL string
	// Metadata holds the meta_ parameters of create, keys lower-cased
	// without "meta_".
	Metadata map[string]string
	// Params holds every parameter create received.
	Params url.Values
	// Body is create's POST body (a <modules> document), if any.
	Body []byte
	// Presentations lists the document URLs (or names) of the
	// presentation module of create and of insertDocument calls.
	Presentations []string
	Attendees     []Attendee
	Chat          []ChatMessage
}

// Attendee is a user in a meeting.
type Attendee struct {
	UserID, FullName string
	// Role is MODERATOR or VIEWER.
	Role string
	// CustomData holds the userdata-* join parameters, without the prefix.
	CustomData map[string]string
	// Voice and Video tell whether the user joined audio and shares a camera.
	Voice, Video bool
}

// ChatMessage is a message posted with sendChatMessage.
type ChatMessage struct{ UserName, Message string }

const (
	roleModerator = "MODERATOR"
	roleViewer    = "VIEWER"
)

func (m *meeting) info() MeetingInfo {
	att := slices.Clone(m.attendees)
	for i := range att {
		att[i].CustomData = maps.Clone(att[i].CustomData)
	}
	return MeetingInfo{
		MeetingID: m.id, InternalID: m.internalID, Name: m.name,
		CreateTime: m.createTime, AttendeePW: m.attendeePW, ModeratorPW: m.moderatorPW,
		VoiceBridge: m.voiceBridge, Participants: len(m.attendees), Moderators: m.moderators(),
		HasUserJoined: m.hasUserJoined, Running: m.running, Record: m.record, IsBreakout: m.isBreakout,
		LogoutURL: m.logoutURL, MeetingEndedURL: m.meetingEndedURL,
		Metadata: maps.Clone(m.metadata), Params: cloneValues(m.params),
		Body: slices.Clone(m.body), Presentations: slices.Clone(m.presentations),
		Attendees: att, Chat: slices.Clone(m.chat),
	}
}

func (m *meeting) moderators() int {
	n := 0
	for _, a := range m.attendees {
		if a.Role == roleModerator {
			n++
		}
	}
	return n
}

// addAttendee adds a user and marks the meeting running.
func (m *meeting) addAttendee(a Attendee) {
	m.attendees = append(m.attendees, a)
	m.hasUserJoined = true
	m.running = true
}

// Meetings returns a snapshot of the running meetings, in create order.
func (s *Server) Meetings() []MeetingInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]MeetingInfo, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.meetings[id].info())
	}
	return out
}

// Meeting returns a snapshot of one meeting.
func (s *Server) Meeting(meetingID string) (MeetingInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.meetings[meetingID]
	if m == nil {
		return MeetingInfo{}, false
	}
	return m.info(), true
}

// HasMeeting reports whether a meeting with that external ID is running.
func (s *Server) HasMeeting(meetingID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.meetings[meetingID] != nil
}

// AddAttendee simulates a user joining: participantCount grows,
// hasUserJoined and running become true. role is MODERATOR or VIEWER
// (case-insensitive; VIEWER otherwise). It reports false if there is no
// such meeting.
func (s *Server) AddAttendee(meetingID, fullName, role string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.meetings[meetingID]
	if m == nil {
		return false
	}
	role = strings.ToUpper(role)
	if role != roleModerator {
		role = roleViewer
	}
	a := Attendee{UserID: "w_" + randomToken(12), FullName: fullName, Role: role}
	m.addAttendee(a)
	s.userJoinedEvent(m, a)
	return true
}

// AddUsers simulates n viewers joining a meeting, with audio and camera as
// given, for load tests. It reports false if there is no such meeting.
func (s *Server) AddUsers(meetingID string, n int, voice, video bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.meetings[meetingID]
	if m == nil {
		return false
	}
	for range n {
		m.addAttendee(Attendee{UserID: "w_" + randomToken(12), FullName: "User", Role: roleViewer, Voice: voice, Video: video})
	}
	return true
}

// EndMeeting ends a meeting as if it ended on its own (last user left,
// duration reached). It reports false if there is no such meeting.
func (s *Server) EndMeeting(meetingID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endLocked(meetingID, false)
}

// endLocked removes a meeting. forced is true for the end call: a later
// join gets meetingForciblyEnded until the ID is created again.
func (s *Server) endLocked(meetingID string, forced bool) bool {
	m := s.meetings[meetingID]
	if m == nil {
		return false
	}
	delete(s.meetings, meetingID)
	s.order = slices.DeleteFunc(s.order, func(id string) bool { return id == meetingID })
	if forced {
		s.ended[meetingID] = true
	}
	s.meetingEnded(m, forced)
	return true
}

// meetingEnded is called, with s.mu held, when a meeting is gone. It makes
// BBB's end-of-meeting callbacks: a GET to meetingEndedURL and to the
// endcallbackurl metadata, with meetingID=<external ID> and
// recordingmarks=false appended (shared/bbb-api.md §5), for non-breakout
// meetings, in the background as BBB does.
func (s *Server) meetingEnded(m *meeting, _ bool) {
	s.meetingEndedEvent(m)
	if m.isBreakout {
		return
	}
	q := url.Values{"meetingID": {m.id}, "recordingmarks": {"false"}}.Encode()
	for _, u := range []string{m.meetingEndedURL, m.metadata["endcallbackurl"]} {
		if u != "" {
			s.callbacks.Add(1)
			go s.endedCallback(appendQuery(u, q))
		}
	}
}

// createDate formats a createTime as BBB's createDate.
func createDate(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(createDateLayout)
}

// createDateLayout is the form of BBB's createDate (Java's Date.toString).
const createDateLayout = "Mon Jan 02 15:04:05 MST 2006"
