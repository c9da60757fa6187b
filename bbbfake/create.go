package bbbfake

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/xml"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tinyscale/tinyscale/bbb"
)

// Validation errors of create, with BBB's texts.
var (
	errMeetingIDLength = &bbb.Error{Key: "validationError", Message: "Meeting ID must be between 2 and 256 characters"}
	errMeetingIDComma  = &bbb.Error{Key: "validationError", Message: "Meeting ID cannot contain ','"}
	errNameMissing     = &bbb.Error{Key: "validationError", Message: "You must provide a meeting name"}
	errNameLength      = &bbb.Error{Key: "validationError", Message: "Meeting name must be between 2 and 256 characters"}
	errVoiceBridge     = &bbb.Error{Key: "validationError", Message: "Voice bridge must be an integral value"}
	errIDNotUnique     = &bbb.Error{Key: "idNotUnique", Message: "A meeting already exists with that meeting ID.  Please use a different meeting ID."}
)

const (
	msgDuplicate      = "This conference was already in existence and may currently be in progress."
	defaultDialNumber = "613-555-1234"
)

// metaKey is what BBB takes as metadata; anything else named meta_… is
// silently not metadata.
var metaKey = regexp.MustCompile(`^meta_[a-zA-Z][a-zA-Z0-9-]*$`)

// metadataOf returns the meta_ parameters, keys lower-cased without "meta_".
func metadataOf(params url.Values) map[string]string {
	m := map[string]string{}
	for k, vs := range params {
		if metaKey.MatchString(k) && len(vs) > 0 {
			m[strings.ToLower(k[len("meta_"):])] = vs[0]
		}
	}
	return m
}

func (c *apiCall) create() {
	id := c.get("meetingID")
	name := c.get("name")
	vb := c.get("voiceBridge")
	switch n := utf8.RuneCountInString(id); {
	case id == "":
		c.fail(errMissingMeetingID)
		return
	case n < 2 || n > 256:
		c.fail(errMeetingIDLength)
		return
	case strings.Contains(id, ","):
		c.fail(errMeetingIDComma)
		return
	}
	switch n := utf8.RuneCountInString(name); {
	case name == "":
		c.fail(errNameMissing)
		return
	case n < 2 || n > 256:
		c.fail(errNameLength)
		return
	}
	if vb != "" && !allDigits(vb) {
		c.fail(errVoiceBridge)
		return
	}
	var presentations []string
	var body []byte
	if c.mediaType == typeXML || c.mediaType == typeTextXML {
		body = c.body
		presentations = documentsOf(body)
	}

	s := c.s
	s.mu.Lock()
	internalID := ""
	isBreakout := c.get("isBreakout") == "true"
	if isBreakout {
		// meetingID is the breakout's internal ID; bbb-web derives the
		// external one from the parent (breakouts.go).
		if e := s.breakoutParent(c.get("parentMeetingID")); e != nil {
			s.mu.Unlock()
			c.fail(e)
			return
		}
		internalID = id
		id = breakoutIDs(c.get("parentMeetingID"), internalID, atoi(c.get("sequence")))
	}
	if m := s.meetings[id]; m != nil {
		dup := m.sameCreate(c.get("attendeePW"), c.get("moderatorPW"), name)
		var out []byte
		if dup {
			out = m.createXML(true)
		}
		s.mu.Unlock()
		if !dup {
			c.fail(errIDNotUnique)
			return
		}
		c.xml(out)
		return
	}
	if vb != "" && s.voiceBridgeUsed(vb) {
		s.mu.Unlock()
		d := newResponse(bbb.Failed)
		d.raw("<errors><error><key>nonUniqueVoiceBridge</key><message>The selected voice bridge is already in use.</message></error></errors>")
		c.xml(d.bytes())
		return
	}
	if vb == "" {
		vb = s.freeVoiceBridge()
	}
	now := time.Now().UnixMilli()
	if internalID == "" {
		sum := sha1.Sum([]byte(id))
		internalID = hex.EncodeToString(sum[:]) + "-" + strconv.FormatInt(now, 10)
	}
	m := &meeting{
		id:              id,
		internalID:      internalID,
		name:            name,
		attendeePW:      c.get("attendeePW"),
		moderatorPW:     c.get("moderatorPW"),
		createTime:      now,
		voiceBridge:     vb,
		dialNumber:      c.get("dialNumber"),
		duration:        atoi(c.get("duration")),
		maxUsers:        atoi(c.get("maxParticipants")),
		record:          c.get("record") == "true",
		logoutURL:       c.get("logoutURL"),
		meetingEndedURL: c.get("meetingEndedURL"),
		isBreakout:      isBreakout,
		freeJoin:        c.get("freeJoin") == "true",
		sequence:        atoi(c.get("sequence")),
		metadata:        metadataOf(c.params),
		params:          cloneValues(c.params),
		body:            body,
		presentations:   presentations,
	}
	if m.dialNumber == "" {
		m.dialNumber = defaultDialNumber
	}
	if m.isBreakout {
		m.parentMeetingID = c.get("parentMeetingID")
	}
	s.meetings[id] = m
	s.order = append(s.order, id)
	delete(s.ended, id)
	s.meetingCreatedEvent(m)
	out := m.createXML(false)
	s.mu.Unlock()
	c.xml(out)
}

// sameCreate reports whether a repeated create matches the running
// meeting: same passwords, or no passwords and the same name.
func (m *meeting) sameCreate(attendeePW, moderatorPW, name string) bool {
	if attendeePW == "" && moderatorPW == "" {
		return name == m.name
	}
	return attendeePW == m.attendeePW && moderatorPW == m.moderatorPW
}

// createXML renders create's answer, §4.1.
func (m *meeting) createXML(duplicate bool) []byte {
	d := newResponse(bbb.Success)
	d.el("meetingID", m.id)
	d.el("internalMeetingID", m.internalID)
	parent := "bbb-none"
	if m.isBreakout && m.parentMeetingID != "" {
		parent = m.parentMeetingID
	}
	d.el("parentMeetingID", parent)
	if m.attendeePW != "" {
		d.el("attendeePW", m.attendeePW)
	}
	if m.moderatorPW != "" {
		d.el("moderatorPW", m.moderatorPW)
	}
	d.int("createTime", m.createTime)
	d.el("voiceBridge", m.voiceBridge)
	d.el("dialNumber", m.dialNumber)
	d.el("createDate", createDate(m.createTime))
	d.bool("hasUserJoined", m.hasUserJoined)
	d.count("duration", m.duration)
	d.bool("hasBeenForciblyEnded", false)
	if duplicate {
		d.el("messageKey", "duplicateWarning")
		d.el("message", msgDuplicate)
	} else {
		d.empty("messageKey")
		d.empty("message")
	}
	return d.bytes()
}

func (s *Server) voiceBridgeUsed(vb string) bool {
	for _, m := range s.meetings {
		if m.voiceBridge == vb {
			return true
		}
	}
	return false
}

// freeVoiceBridge picks a random 5-digit voice bridge no running meeting
// uses.
func (s *Server) freeVoiceBridge() string {
	for {
		vb := strconv.Itoa(10000 + rand.IntN(90000))
		if !s.voiceBridgeUsed(vb) {
			return vb
		}
	}
}

// modules is the XML body of create and insertDocument.
type modules struct {
	Modules []struct {
		Name      string `xml:"name,attr"`
		Documents []struct {
			URL      string `xml:"url,attr"`
			Name     string `xml:"name,attr"`
			Filename string `xml:"filename,attr"`
		} `xml:"document"`
	} `xml:"module"`
}

// documentsOf lists the documents of a <modules> body's presentation
// module: their URL, else name, else filename.
func documentsOf(body []byte) []string {
	var doc modules
	if xml.Unmarshal(body, &doc) != nil {
		return nil
	}
	var out []string
	for _, mod := range doc.Modules {
		if mod.Name != "presentation" {
			continue
		}
		for _, d := range mod.Documents {
			switch {
			case d.URL != "":
				out = append(out, d.URL)
			case d.Name != "":
				out = append(out, d.Name)
			default:
				out = append(out, d.Filename)
			}
		}
	}
	return out
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// atoi parses a non-negative number, 0 for anything else.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// randomToken returns n random lowercase letters and digits.
func randomToken(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}
