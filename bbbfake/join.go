package bbbfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tinyscale/tinyscale/bbb"
)

// Errors of join, with BBB's texts.
var (
	errMissingFullName    = &bbb.Error{Key: "missingParamFullName", Message: "You must provide your name"}
	errInvalidPassword    = &bbb.Error{Key: "invalidPassword", Message: "The password you submitted is not valid."}
	errMismatchCreateTime = &bbb.Error{Key: "mismatchCreateTimeParam", Message: "The createTime parameter submitted mismatches with the current meeting."}
	errMaxParticipants    = &bbb.Error{Key: "maxParticipantsReached", Message: "The number of participants allowed for this meeting has been reached."}
	errForciblyEnded      = &bbb.Error{Key: "meetingForciblyEnded", Message: "You can not re-join a meeting that has already been forcibly ended.  However, once the meeting is removed from memory (approximately one minute after forcibly ending) you will be able to recreate it."}
)

// session is a user's html5client session, created by a successful join.
type session struct {
	meetingID, meetingName, internalID string
	userID, fullName, role             string
}

// ClientPath is the path join redirects to, with ?sessionToken=….
const ClientPath = "/html5client/join"

func (c *apiCall) join() {
	id := c.get("meetingID")
	if id == "" {
		c.fail(errMissingMeetingID)
		return
	}
	fullName := c.get("fullName")
	if fullName == "" {
		c.fail(errMissingFullName)
		return
	}
	s := c.s
	s.mu.Lock()
	m := s.meetings[id]
	if m == nil {
		ended := s.ended[id]
		s.mu.Unlock()
		if ended {
			c.fail(errForciblyEnded)
		} else {
			c.fail(errNotFound)
		}
		return
	}
	role := strings.ToUpper(c.get("role"))
	if role != roleModerator && role != roleViewer {
		pw := c.get("password")
		switch {
		case pw != "" && pw == m.moderatorPW:
			role = roleModerator
		case pw != "" && pw == m.attendeePW:
			role = roleViewer
		default:
			s.mu.Unlock()
			c.fail(errInvalidPassword)
			return
		}
	}
	if ct := c.get("createTime"); ct != "" && ct != strconv.FormatInt(m.createTime, 10) {
		s.mu.Unlock()
		c.fail(errMismatchCreateTime)
		return
	}
	if m.maxUsers > 0 && len(m.attendees) >= m.maxUsers {
		s.mu.Unlock()
		c.fail(errMaxParticipants)
		return
	}
	userID := c.get("userID")
	if userID == "" {
		userID = "w_" + randomToken(12)
	}
	custom := map[string]string{}
	for k, vs := range c.params {
		if name, ok := strings.CutPrefix(k, "userdata-"); ok && name != "" {
			custom[name] = vs[0]
		}
	}
	if len(custom) == 0 {
		custom = nil
	}
	a := Attendee{UserID: userID, FullName: fullName, Role: role, CustomData: custom}
	m.addAttendee(a)
	s.userJoinedEvent(m, a)
	token := randomToken(16)
	s.sessions[token] = session{
		meetingID: m.id, meetingName: m.name, internalID: m.internalID,
		userID: userID, fullName: fullName, role: role,
	}
	internalID := m.internalID
	s.mu.Unlock()

	clientURL := "http://" + s.addr + ClientPath + "?sessionToken=" + token
	// bbb-web opens the user's HTTP session on every successful join, and
	// the servlet container sets its cookie, redirect or not.
	http.SetCookie(c.w, &http.Cookie{Name: "JSESSIONID", Value: strings.ToUpper(randomToken(32)), Path: "/", HttpOnly: true})
	if noRedirect(c) {
		d := newResponse(bbb.Success)
		d.el("messageKey", "successfullyJoined")
		d.el("message", "You have joined successfully.")
		d.el("meeting_id", internalID)
		d.el("user_id", userID)
		d.el("auth_token", randomToken(12))
		d.el("session_token", token)
		d.el("guestStatus", "ALLOW")
		d.el("url", clientURL)
		c.xml(d.bytes())
		return
	}
	redirect(c.w, clientURL)
}

// noRedirect reports whether a join answers XML: bbb-web reads a
// non-empty redirect with Boolean.parseBoolean, so anything but "true" (in
// any case) turns redirects off, and an empty one is the default, on.
func noRedirect(c *apiCall) bool {
	v := c.get("redirect")
	return v != "" && !strings.EqualFold(v, "true")
}

// joinFail answers a join error: XML with redirect off, else a 302 to
// errorRedirectUrl, else the join's own logoutURL parameter, else the
// server's default logout URL (bigbluebutton.web.logoutURL, "default"
// being the server's URL), the target's query kept as it is and
// errors=[{"key":…,"message":…}] appended.
func (c *apiCall) joinFail(e *bbb.Error) {
	if noRedirect(c) {
		writeError(c.w, e)
		return
	}
	target := c.get("errorRedirectUrl")
	if target == "" {
		target = c.get("logoutURL")
	}
	if target == "" {
		target = "http://" + c.s.addr + "/"
	}
	type jsonErr struct {
		Key     string `json:"key"`
		Message string `json:"message"`
	}
	js, _ := json.Marshal([]jsonErr{{e.Key, e.Message}})
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	redirect(c.w, target+sep+"errors="+url.QueryEscape(string(js)))
}

// redirect answers 302 to location, as given.
func redirect(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusFound)
}
