package bbbfake

import (
	"crypto/rand"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tinyscale/tinyscale/bbb"
)

// Hook is a webhook registered with hooks/create (bbb-webhooks).
type Hook struct {
	// ID is the hookID: "1", "2", … in order of creation in the 2.6
	// flavour, a UUID v4 in 3.x.
	ID          string
	CallbackURL string
	// MeetingID is the external meeting ID the hook is limited to; "" for
	// a global hook.
	MeetingID string
	// EventIDs are the eventID filter, lower-cased, empty for all events.
	EventIDs  []string
	Permanent bool
	RawData   bool
}

// HooksFlavour is the version of bbb-webhooks a fake server runs.
type HooksFlavour int

const (
	// Webhooks3 is bbb-webhooks 3.x (BBB 3.0): UUID hook IDs, checksums of
	// any algorithm by length, deliveries signed over the form body
	// (3.4+) in the order domain, event, timestamp.
	Webhooks3 HooksFlavour = iota
	// Webhooks26 is bbb-webhooks 2.6 (BBB 2.7): hook IDs counting from 1,
	// SHA-1 checksums only, deliveries signed over
	// JSON.stringify({event, timestamp, domain}).
	Webhooks26
)

// Errors of the webhooks API, with bbb-webhooks' texts.
var (
	errMissingCallbackURL = &bbb.Error{Key: "missingParamCallbackURL", Message: "You must specify a callbackURL in the parameters."}
	errMissingHookID      = &bbb.Error{Key: "missingParamHookID", Message: "You must specify a hookID in the parameters."}
	errMissingHook        = &bbb.Error{Key: "destroyMissingHook", Message: "The hook informed was not found."}
)

// SetHooksFlavour sets the bbb-webhooks version; Webhooks3 by default.
func (s *Server) SetHooksFlavour(f HooksFlavour) {
	s.mu.Lock()
	s.hooksFlavour = f
	s.mu.Unlock()
}

// SetHooksAuth2 sets bbb-webhooks' auth2_0 option: deliveries carry
// "Authorization: Bearer <the server's secret>" instead of a checksum.
func (s *Server) SetHooksAuth2(on bool) {
	s.mu.Lock()
	s.hooksAuth2 = on
	s.mu.Unlock()
}

// Hooks returns a copy of the registered hooks, in order of creation.
func (s *Server) Hooks() []Hook {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.hooks)
	for i := range out {
		out[i].EventIDs = slices.Clone(out[i].EventIDs)
	}
	return out
}

// DropHooks forgets every hook, as a bbb-webhooks whose Redis was wiped.
func (s *Server) DropHooks() {
	s.mu.Lock()
	s.hooks = nil
	s.mu.Unlock()
}

// newHookID numbers hooks as the flavour does.
func (s *Server) newHookID() string {
	if s.hooksFlavour == Webhooks26 {
		s.nextHook++
		return strconv.Itoa(s.nextHook)
	}
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}

func (c *apiCall) hooksCreate() {
	if !c.has("callbackURL") {
		c.fail(errMissingCallbackURL)
		return
	}
	cb := c.get("callbackURL")
	s := c.s
	s.mu.Lock()
	for _, h := range s.hooks {
		if h.CallbackURL == cb {
			s.mu.Unlock()
			d := newResponse(bbb.Success)
			d.el("hookID", h.ID)
			d.el("messageKey", "duplicateWarning")
			d.el("message", "There is already a hook for this callback URL.")
			c.xml(d.bytes())
			return
		}
	}
	h := Hook{
		ID:          s.newHookID(),
		CallbackURL: cb,
		MeetingID:   c.get("meetingID"),
		RawData:     strings.EqualFold(c.get("getRaw"), "true"),
	}
	if c.has("eventID") {
		h.EventIDs = strings.Split(strings.ToLower(c.get("eventID")), ",")
	}
	s.hooks = append(s.hooks, h)
	s.mu.Unlock()
	d := newResponse(bbb.Success)
	d.el("hookID", h.ID)
	d.bool("permanentHook", h.Permanent)
	d.bool("rawData", h.RawData)
	c.xml(d.bytes())
}

func (c *apiCall) hooksDestroy() {
	if !c.has("hookID") {
		c.fail(errMissingHookID)
		return
	}
	id := c.get("hookID")
	s := c.s
	s.mu.Lock()
	n := len(s.hooks)
	s.hooks = slices.DeleteFunc(s.hooks, func(h Hook) bool { return h.ID == id && !h.Permanent })
	removed := len(s.hooks) < n
	s.mu.Unlock()
	if !removed {
		c.fail(errMissingHook)
		return
	}
	d := newResponse(bbb.Success)
	d.bool("removed", true)
	c.xml(d.bytes())
}

// hooksList lists every hook, or with meetingID the global hooks and
// those of that meeting.
func (c *apiCall) hooksList() {
	filter, filtered := c.get("meetingID"), c.has("meetingID")
	s := c.s
	s.mu.Lock()
	d := newResponse(bbb.Success)
	d.open("hooks")
	for _, h := range s.hooks {
		if filtered && h.MeetingID != "" && h.MeetingID != filter {
			continue
		}
		d.open("hook")
		d.el("hookID", h.ID)
		d.cdata("callbackURL", h.CallbackURL)
		if h.MeetingID != "" {
			d.cdata("meetingID", h.MeetingID)
		}
		if h.EventIDs != nil {
			d.el("eventID", strings.Join(h.EventIDs, ","))
		}
		d.bool("permanentHook", h.Permanent)
		d.bool("rawData", h.RawData)
		d.close("hook")
	}
	d.close("hooks")
	s.mu.Unlock()
	c.xml(d.bytes())
}
