package hooks

import (
	"net/url"
	"slices"
	"strings"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
)

// Serve answers one webhooks API call (hooks/create, hooks/destroy,
// hooks/list) of a tenant, as one bbb-webhooks server would, and returns
// the XML and its result for the log line (SUCCESS or a messageKey).
func (s *Service) Serve(call string, t *tenant.Tenant, p func(key string) (string, bool)) ([]byte, string) {
	switch call {
	case bbb.CallHooksCreate:
		return s.create(t, p)
	case bbb.CallHooksDestroy:
		return s.destroy(t, p)
	case bbb.CallHooksList:
		return s.list(t, p)
	}
	return bbb.ErrorXML(bbb.ErrUnsupported), bbb.ErrUnsupported.Key
}

func fail(e *bbb.Error) ([]byte, string) { return bbb.ErrorXML(e), e.Key }

func (s *Service) create(t *tenant.Tenant, p func(string) (string, bool)) ([]byte, string) {
	cb, ok := p("callbackURL")
	if !ok || cb == "" {
		return fail(ErrMissingCallbackURL)
	}
	if u, err := url.Parse(cb); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fail(ErrBadCallbackURL)
	}
	h := state.Hook{Tenant: t.Name, CallbackURL: cb}
	h.MeetingID, _ = p("meetingID")
	if ev, ok := p("eventID"); ok && ev != "" {
		// bbb-webhooks lower-cases the list and compares it with the
		// lower-cased event ID.
		h.EventIDs = strings.Split(strings.ToLower(ev), ",")
	}
	raw, _ := p("getRaw")
	h.Raw = strings.EqualFold(raw, "true")
	got, dup, err := s.cfg.Store.AddHook(h)
	if err != nil {
		s.log.Error("hooks/create: the state store refused the hook", "tenant", t.Name, "error", err)
		return fail(ErrCreate)
	}
	if dup {
		return duplicateXML(got), "duplicateWarning"
	}
	s.log.Info("hook registered", "tenant", t.Name, "hook", got.ID, "host", hostOf(cb), "raw", got.Raw)
	if got.Raw {
		s.Nudge() // the servers need tinyscale's raw hook now
	}
	return createdXML(got), bbb.Success
}

func (s *Service) destroy(t *tenant.Tenant, p func(string) (string, bool)) ([]byte, string) {
	id, ok := p("hookID")
	if !ok {
		return fail(ErrMissingHookID)
	}
	removed, err := s.cfg.Store.RemoveHook(t.Name, id)
	if err != nil {
		s.log.Error("hooks/destroy: the state store failed", "tenant", t.Name, "error", err)
		return fail(ErrDestroy)
	}
	if !removed {
		return fail(ErrMissingHook)
	}
	s.log.Info("hook removed", "tenant", t.Name, "hook", id)
	return removedXML, bbb.Success
}

// list answers every hook of the tenant, or with meetingID its global
// hooks and those of that meeting, in the order of their IDs.
func (s *Service) list(t *tenant.Tenant, p func(string) (string, bool)) ([]byte, string) {
	all, err := s.cfg.Store.Hooks()
	if err != nil {
		s.log.Error("hooks/list: the state store failed", "tenant", t.Name, "error", err)
		return fail(ErrList)
	}
	meetingID, filtered := p("meetingID")
	own := slices.DeleteFunc(all, func(h state.Hook) bool {
		return h.Tenant != t.Name || (filtered && h.MeetingID != "" && h.MeetingID != meetingID)
	})
	return listXML(own), bbb.Success
}

// hostOf returns a URL's host, for logs: the rest may carry a receiver's
// own token.
func hostOf(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Host
	}
	return ""
}
