package bbbfake

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/tinyscale/tinyscale/bbb"
)

const msgEnd = "A request to end the meeting was sent.  Please wait a few seconds, and then use the getMeetingInfo or isMeetingRunning API calls to verify that it was ended."

var errChatLength = &bbb.Error{Key: "validationError", Message: "Message must be between 1 and 500 characters"}

// end removes the meeting at once (BBB does it a few seconds later).
func (c *apiCall) end() {
	id := c.get("meetingID")
	if id == "" {
		c.fail(errMissingMeetingID)
		return
	}
	c.s.mu.Lock()
	ok := c.s.endLocked(id, true)
	c.s.mu.Unlock()
	if !ok {
		c.fail(errNotFound)
		return
	}
	d := newResponse(bbb.Success)
	d.el("messageKey", "sentEndMeetingRequest")
	d.el("message", msgEnd)
	c.xml(d.bytes())
}

// isMeetingRunning answers running=false for unknown meetings, whatever
// the ID (Greenlight's health check sends meetingID=0).
func (c *apiCall) isMeetingRunning() {
	id := c.get("meetingID")
	if id == "" {
		c.fail(errMissingMeetingID)
		return
	}
	c.s.mu.Lock()
	m := c.s.meetings[id]
	running := m != nil && m.running
	c.s.mu.Unlock()
	c.xml(bbb.RunningXML(running))
}

func (c *apiCall) getMeetingInfo() {
	id := c.get("meetingID")
	if id == "" {
		c.fail(errMissingMeetingID)
		return
	}
	s := c.s
	s.mu.Lock()
	m := s.meetings[id]
	var out []byte
	if m != nil {
		d := newResponse(bbb.Success)
		s.writeMeeting(d, m, false, s.breakoutRooms())
		out = d.bytes()
	}
	s.mu.Unlock()
	if m == nil {
		c.fail(errNotFound)
		return
	}
	c.xml(out)
}

func (c *apiCall) getMeetings() {
	s := c.s
	bp, _ := renderBufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	// The whole answer, envelope and all, in one buffer kept between
	// calls: a fleet of fakes answering three pollers renders 150 of these
	// a second, and fresh buffers of 200 KB each made its collector stall
	// the creates it answered.
	d := &doc{b: (*bp)[:0]}
	d.open("response")
	d.el("returncode", bbb.Success)
	s.mu.Lock()
	if len(s.order) == 0 {
		d.empty("meetings")
		d.el("messageKey", "noMeetings")
		d.el("message", "no meetings were found on this server")
	} else {
		rooms := s.breakoutRooms()
		d.open("meetings")
		for _, id := range s.order {
			d.open("meeting")
			s.writeMeeting(d, s.meetings[id], true, rooms)
			d.close("meeting")
		}
		d.close("meetings")
	}
	s.mu.Unlock()
	d.close("response")
	c.xml(d.b) // written out before it returns: the buffer is free again
	if cap(d.b) <= maxRenderBuf {
		*bp = d.b[:0]
		renderBufs.Put(bp)
	}
}

// renderBufs holds getMeetings' answer buffers between calls; one larger
// than maxRenderBuf (thousands of meetings) is left to the collector.
var renderBufs sync.Pool

const maxRenderBuf = 4 << 20

// writeMeeting writes the fields of getMeetingInfo (§4.5) in BBB's order.
// In getMeetings (inList) the passwords are always present.
// rooms is breakoutRooms' index of the server's breakout rooms.
func (s *Server) writeMeeting(d *doc, m *meeting, inList bool, rooms map[string][]string) {
	d.el("meetingName", m.name)
	d.el("meetingID", m.id)
	d.el("internalMeetingID", m.internalID)
	d.int("createTime", m.createTime)
	d.date("createDate", m.createTime)
	d.el("voiceBridge", m.voiceBridge)
	d.el("dialNumber", m.dialNumber)
	if inList || m.attendeePW != "" {
		d.el("attendeePW", m.attendeePW)
	}
	if inList || m.moderatorPW != "" {
		d.el("moderatorPW", m.moderatorPW)
	}
	d.bool("running", m.running)
	d.count("duration", m.duration)
	d.bool("hasUserJoined", m.hasUserJoined)
	d.bool("recording", m.record)
	d.bool("hasBeenForciblyEnded", false)
	d.int("startTime", m.createTime)
	d.int("endTime", 0)
	d.count("participantCount", len(m.attendees))
	d.count("listenerCount", 0)
	voice, video := 0, 0
	for _, a := range m.attendees {
		if a.Voice {
			voice++
		}
		if a.Video {
			video++
		}
	}
	d.count("voiceParticipantCount", voice)
	d.count("videoCount", video)
	d.count("maxUsers", m.maxUsers)
	d.count("moderatorCount", m.moderators())
	d.open("attendees")
	presenter := false
	for _, a := range m.attendees {
		d.open("attendee")
		d.el("userID", a.UserID)
		d.el("fullName", a.FullName)
		d.el("role", a.Role)
		isPresenter := !presenter && a.Role == roleModerator
		presenter = presenter || isPresenter
		d.bool("isPresenter", isPresenter)
		d.bool("isListeningOnly", false)
		d.bool("hasJoinedVoice", a.Voice)
		d.bool("hasVideo", a.Video)
		d.el("clientType", "HTML5")
		if len(a.CustomData) > 0 {
			d.open("customdata")
			d.fields(a.CustomData)
			d.close("customdata")
		}
		d.close("attendee")
	}
	d.close("attendees")
	d.open("metadata")
	d.fields(m.metadata)
	d.close("metadata")
	d.bool("isBreakout", m.isBreakout)
	if m.isBreakout {
		d.el("parentMeetingID", m.parentMeetingID)
		d.count("sequence", m.sequence)
		d.bool("freeJoin", m.freeJoin)
	}
	if rs := rooms[m.internalID]; len(rs) > 0 {
		d.open("breakoutRooms")
		for _, r := range rs {
			d.el("breakout", r)
		}
		d.close("breakoutRooms")
	}
}

// breakoutRooms indexes the server's breakout rooms by their parent's
// internal meeting ID, in creation order: one pass, not one per meeting
// listed. The caller holds s.mu.
func (s *Server) breakoutRooms() map[string][]string {
	var rooms map[string][]string
	for _, id := range s.order {
		if b := s.meetings[id]; b.isBreakout {
			if rooms == nil {
				rooms = map[string][]string{}
			}
			rooms[b.parentMeetingID] = append(rooms[b.parentMeetingID], b.internalID)
		}
	}
	return rooms
}

// insertDocument takes a <modules> body for a running meeting.
func (c *apiCall) insertDocument() {
	id := c.get("meetingID")
	if id == "" {
		c.fail(errMissingMeetingID)
		return
	}
	docs := documentsOf(c.body)
	c.s.mu.Lock()
	m := c.s.meetings[id]
	if m != nil {
		m.presentations = append(m.presentations, docs...)
	}
	c.s.mu.Unlock()
	if m == nil {
		c.fail(errNotFound)
		return
	}
	d := newResponse(bbb.Success)
	d.el("messageKey", "documentInserted")
	d.el("message", "The presentation is being uploaded.")
	c.xml(d.bytes())
}

// sendChatMessage posts a message to a running meeting's public chat.
func (c *apiCall) sendChatMessage() {
	id := c.get("meetingID")
	if id == "" {
		c.fail(errMissingMeetingID)
		return
	}
	msg := c.get("message")
	if n := utf8.RuneCountInString(msg); n < 1 || n > 500 {
		c.fail(errChatLength)
		return
	}
	user := c.get("userName")
	if strings.TrimSpace(user) == "" {
		user = "System"
	}
	c.s.mu.Lock()
	m := c.s.meetings[id]
	if m != nil {
		m.chat = append(m.chat, ChatMessage{UserName: user, Message: msg})
	}
	c.s.mu.Unlock()
	if m == nil {
		c.fail(errNotFound)
		return
	}
	d := newResponse(bbb.Success)
	d.el("messageKey", "")
	d.el("message", "")
	c.xml(d.bytes())
}
