package hooks

import (
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tinyscale/tinyscale/deliver"
	"github.com/tinyscale/tinyscale/state"
)

// maxEventBody bounds a delivery from a server (bbb-webhooks sends one
// event, or up to multiEvent of them).
const maxEventBody = 4 << 20

// ServeHTTP takes a delivery of bbb-webhooks on a server to tinyscale's
// hook (POST PathPrefix<server>/<tag>). It answers 401 to anything not
// signed by that server, 200 once every event is queued (durably) for
// the hooks that take it, and 503 if the queue could not keep one, so
// that the server tries again.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, PathPrefix)
	esc, tag, _ := strings.Cut(rest, "/")
	tag, raw := strings.CutSuffix(tag, rawSuffix)
	serverID, err := url.PathUnescape(esc)
	if err != nil || subtle.ConstantTimeCompare([]byte(tag), []byte(s.tag(serverID))) != 1 {
		s.refuse(w, r, "url", "")
		return
	}
	srv := s.cfg.Pool.Get(serverID)
	if srv == nil {
		s.refuse(w, r, "server", serverID)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEventBody))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "not a form", http.StatusBadRequest)
		return
	}
	callbackURL := s.relayURL(serverID)
	if raw {
		callbackURL += rawSuffix
	}
	if !s.authentic(r, body, form, callbackURL, srv.Client.Secret) {
		s.refuse(w, r, "signature", serverID)
		return
	}
	events, err := parseEvents(form.Get("event"))
	if err != nil {
		http.Error(w, "event is not a JSON array", http.StatusBadRequest)
		return
	}
	for i := range events {
		ev := &events[i]
		if !raw {
			s.learnID(serverID, ev.internalID, ev.meetingID)
			continue
		}
		// A raw message: no data.id, and its meeting named by BBB's
		// internal ID.
		internal, external := rawMeeting(ev.raw)
		if external == "" {
			external = s.externalID(serverID, internal)
		}
		ev.id, ev.meetingID = "", external
	}
	if err := s.route(events, raw); err != nil {
		s.log.Warn("webhooks: an event could not be queued; the server will send it again", "server", serverID, "error", err)
		http.Error(w, "queue unavailable", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// authentic checks a delivery: Bearer with the server's secret (auth2_0)
// or a checksum of any bbb-webhooks version.
func (s *Service) authentic(r *http.Request, body []byte, form url.Values, callbackURL, secret string) bool {
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return subtle.ConstantTimeCompare([]byte(bearer), []byte(secret)) == 1
	}
	cs := r.URL.Query().Get("checksum")
	return cs != "" && verifyDelivery(cs, callbackURL, body, form.Get("event"), form.Get("timestamp"), form.Get("domain"), secret)
}

func (s *Service) refuse(w http.ResponseWriter, r *http.Request, reason, serverID string) {
	s.stats.refused.WithLabelValues(reason).Inc()
	s.log.Warn("webhooks: event refused: not signed by a BBB server of tinyscale's", "reason", reason, "server", serverID, "remote", r.RemoteAddr)
	http.Error(w, "unauthorized", http.StatusUnauthorized)
}

// route queues each event for every hook that takes it: hooks of the
// tenant whose meeting it is (the default tenant's for events of no
// meeting), global or of that meeting, whose eventID list names it. The
// event is shown with the tenant's meeting ID and signed with the
// tenant's secret, in the body bbb-webhooks 3.x posts.
func (s *Service) route(events []event, raw bool) error {
	hooks, err := s.cfg.Store.Hooks()
	if err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	for _, ev := range events {
		if raw && ev.meetingID == "" {
			// bbb-webhooks sends raw messages only when it knows their
			// meeting; tinyscale must know it too, to know whose it is.
			s.stats.events.WithLabelValues("(unknown)", "dropped").Inc()
			continue
		}
		owner, local := s.cfg.Tenants.OwnerOf(ev.meetingID)
		secret, ok := secretOf(owner)
		if !ok {
			s.stats.events.WithLabelValues("(removed tenant)", "dropped").Inc()
			continue // a removed tenant's meeting: nobody's
		}
		var body []byte
		for _, h := range hooks {
			if !takes(h, owner.Name, local, ev.id, raw) {
				continue
			}
			if body == nil {
				body = deliveryBody(s.domain, translate(ev.raw, ev.meetingID, local), now)
			}
			err := s.cfg.Queue.Enqueue(deliver.Job{
				Tenant: owner.Name, Kind: Kind, Method: http.MethodPost,
				URL:      signedURL(h.CallbackURL, body, secret),
				Header:   http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
				Body:     body,
				Schedule: s.cfg.Schedule,
				// bbb-webhooks takes a 401 as delivered and retries a 410.
				Done: []int{http.StatusUnauthorized}, KeepOnGone: true,
			})
			switch {
			case errors.Is(err, deliver.ErrFull):
				s.stats.events.WithLabelValues(owner.Name, "dropped").Inc()
			case errors.Is(err, deliver.ErrInvalid):
				s.log.Warn("webhooks: a hook's callbackURL cannot be delivered to", "tenant", owner.Name, "hook", h.ID)
			case err != nil:
				return err
			default:
				s.stats.events.WithLabelValues(owner.Name, "queued").Inc()
			}
		}
		if body == nil {
			s.stats.events.WithLabelValues(owner.Name, "unwanted").Inc()
		}
	}
	return nil
}

// takes reports whether hook h receives an event of tenant's meeting
// local (its own ID, "" for none) with event ID id: a mapped event
// (raw=false) for hooks without getRaw, a raw message for hooks with it.
// A raw message has no event ID, so a raw hook with an eventID list gets
// none, as in bbb-webhooks 3.x.
func takes(h state.Hook, tenant, local, id string, raw bool) bool {
	if h.Tenant != tenant || h.Raw != raw {
		return false
	}
	if h.MeetingID != "" && h.MeetingID != local {
		return false
	}
	return len(h.EventIDs) == 0 || (id != "" && slices.Contains(h.EventIDs, strings.ToLower(id)))
}

// Outcome is told of the delivery queue's outcomes. A hook whose
// delivery was given up after every retry is removed, as bbb-webhooks
// removes it.
func (s *Service) Outcome(j *deliver.Job, outcome string, _ int) {
	if j.Kind != Kind || outcome != deliver.GaveUp {
		return
	}
	// The URL is the callbackURL with "?checksum=" or "&checksum=" and 40
	// hex digits appended (signedURL).
	cut := len(j.URL) - len("checksum=") - 40 - 1
	if cut <= 0 {
		return
	}
	callbackURL := j.URL[:cut]
	hooks, err := s.cfg.Store.Hooks()
	if err != nil {
		return
	}
	for _, h := range hooks {
		if h.Tenant == j.Tenant && h.CallbackURL == callbackURL {
			if ok, _ := s.cfg.Store.RemoveHook(h.Tenant, h.ID); ok {
				s.log.Warn("webhooks: hook removed after its deliveries failed for every retry, as bbb-webhooks does", "tenant", h.Tenant, "hook", h.ID, "host", hostOf(h.CallbackURL))
			}
		}
	}
}
