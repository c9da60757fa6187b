package bbbfake

import (
	"slices"
	"strconv"

	"github.com/tinyscale/tinyscale/bbb"
)

// Hook is a webhook registered with hooks/create (bbb-webhooks).
type Hook struct {
	// ID is the hookID, "1", "2", … in order of creation.
	ID          string
	CallbackURL string
	// MeetingID is the external meeting ID the hook is limited to; "" for
	// a global hook.
	MeetingID string
	// EventIDs are the eventID filter, empty for all events.
	EventIDs  []string
	Permanent bool
	RawData   bool
}

// Errors of the webhooks API, with bbb-webhooks' texts.
var (
	errMissingCallbackURL = &bbb.Error{Key: "missingParamCallbackURL", Message: "You must specify a callbackURL in the parameters."}
	errMissingHookID      = &bbb.Error{Key: "missingParamHookID", Message: "You must specify a hookID in the parameters."}
	errMissingHook        = &bbb.Error{Key: "destroyMissingHook", Message: "The hook informed doesn't exist."}
)

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

func (c *apiCall) hooksCreate() {
	cb := c.get("callbackURL")
	if cb == "" {
		c.fail(errMissingCallbackURL)
		return
	}
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
	s.nextHook++
	h := Hook{
		ID:          strconv.Itoa(s.nextHook),
		CallbackURL: cb,
		MeetingID:   c.get("meetingID"),
		EventIDs:    csv(c.get("eventID")),
		RawData:     c.get("getRaw") == "true",
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
	id := c.get("hookID")
	if id == "" {
		c.fail(errMissingHookID)
		return
	}
	s := c.s
	s.mu.Lock()
	n := len(s.hooks)
	s.hooks = slices.DeleteFunc(s.hooks, func(h Hook) bool { return h.ID == id })
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
		d.bool("permanentHook", h.Permanent)
		d.bool("rawData", h.RawData)
		d.close("hook")
	}
	d.close("hooks")
	s.mu.Unlock()
	c.xml(d.bytes())
}
