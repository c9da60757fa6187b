package callback

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/deliver"
	"github.com/tinyscale/tinyscale/tenant"
)

// Relay is the HTTP handler of the callback endpoints under PathPrefix.
type Relay struct {
	Signer *Signer
	// ClientSecret returns the secret the tenant's integration knows, and
	// false for a tenant no longer configured: its callbacks are dropped,
	// never signed with another tenant's secret.
	ClientSecret func(tenant string) (string, bool)
	// ServerSecret returns a backend's secret, false for an unknown server.
	ServerSecret func(serverID string) (string, bool)
	// OnEnded, if set, is asked what a meeting-ended callback means: it
	// asks the server whether the meeting still runs and, only if it does
	// not, frees its placement and load at once. A meeting-ended callback
	// is relayed to the integration only when it is confirmed.
	OnEnded func(ctx context.Context, t Target) Ending
	// Queue delivers the callbacks (a *deliver.Queue).
	Queue Enqueuer
	// Schedule is the wait before each delivery attempt; nil is
	// deliver.BBBSchedule, bbb-web's own for meeting-ended callbacks.
	Schedule []time.Duration
	// HoldRecording, if set, may take a recording-ready delivery (Tenant,
	// Kind and Schedule filled in) to queue it later: tinyscale's
	// recording store delivers it once it stored the recording, so that
	// the integration learns of it where it plays for good. It reports
	// whether it took it.
	HoldRecording func(recordID string, j deliver.Job) (bool, error)
	Log           *slog.Logger
	Now           func() time.Time
}

// Enqueuer queues a delivery durably: *deliver.Queue is one.
type Enqueuer interface {
	Enqueue(deliver.Job) error
}

// Ending is what the server says of a meeting a meeting-ended callback
// names.
type Ending int

const (
	// EndConfirmed: the server no longer runs the meeting; its placement
	// is freed and the callback relayed.
	EndConfirmed Ending = iota
	// EndRunning: the server still runs a meeting of that ID, so the
	// callback is a replay or a late one of an earlier session. Nothing is
	// freed and nothing relayed.
	EndRunning
	// EndUnknown: the server could not be asked. The caller gets 503, and
	// BBB tries again on its own schedule.
	EndUnknown
	// EndEarlier: the token's session is over and a later session of the
	// same meeting ID runs: the callback is relayed (it is a true, late
	// event of the earlier session) and nothing is freed.
	EndEarlier
)

// maxCallbackBody bounds what a BBB server may post (analytics JSON of a
// big meeting is the largest).
const maxCallbackBody = 8 << 20

func (r *Relay) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// ServeHTTP takes a callback from a BBB server.
func (r *Relay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rest, _ := strings.CutPrefix(req.URL.Path, PathPrefix)
	kind, tok, _ := strings.Cut(rest, "/")
	t, err := r.Signer.Parse(tok)
	if err != nil || string(t.Kind) != kind {
		r.Log.Warn("callback refused: not a token tinyscale issued", "remote", req.RemoteAddr, "path_kind", kind)
		http.Error(w, "invalid callback token", http.StatusUnauthorized)
		return
	}
	switch t.Kind {
	case End, Ended:
		r.ended(w, req, t)
	case Recording:
		r.recording(w, req, t)
	case Analytics:
		r.analytics(w, req, t)
	default:
		http.Error(w, "invalid callback token", http.StatusUnauthorized)
	}
}

// ended relays a meeting-ended GET with the parameters BBB appended
// (meetingID, recordingmarks), once the server confirms that the meeting
// is over.
func (r *Relay) ended(w http.ResponseWriter, req *http.Request, t Target) {
	if r.OnEnded != nil {
		switch r.OnEnded(req.Context(), t) {
		case EndRunning:
			r.Log.Warn("meeting-ended callback ignored: the server still runs a meeting of that ID (a replay, or a late callback of an earlier session)",
				"kind", string(t.Kind), "tenant", t.Tenant, "meetingID", t.MeetingID, "server", t.ServerID)
			w.WriteHeader(http.StatusOK)
			return
		case EndUnknown:
			http.Error(w, "cannot confirm with the BBB server now; try again", http.StatusServiceUnavailable)
			return
		case EndEarlier:
			r.Log.Info("meeting-ended callback of an earlier session: relayed, the running session's placement kept",
				"kind", string(t.Kind), "tenant", t.Tenant, "meetingID", t.MeetingID, "server", t.ServerID)
		}
	}
	if t.URL != "" {
		raw := req.URL.RawQuery
		if scoped(t) {
			raw = bbb.ReplaceParam(raw, "meetingID", t.MeetingID)
		}
		if !r.enqueue(w, t, deliver.Job{Method: http.MethodGet, URL: appendQuery(t.URL, raw)}) {
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// enqueue queues the delivery of t's callback; when it cannot (the
// tenant's queue is full, the store is down) it answers 503, so that the
// BBB server tries again later, and reports false.
func (r *Relay) enqueue(w http.ResponseWriter, t Target, j deliver.Job) bool {
	j.Tenant, j.Kind, j.Schedule = t.Tenant, string(t.Kind), r.Schedule
	if err := r.Queue.Enqueue(j); err != nil {
		r.Log.Warn("callback not queued", "kind", string(t.Kind), "tenant", t.Tenant, "error", err)
		http.Error(w, "callback not queued; try again later", http.StatusServiceUnavailable)
		return false
	}
	return true
}

// recording relays a recording-ready POST: BBB's JWT (signed with the
// backend's secret) is checked and signed again with the integration's
// secret, HS256 as BBB does.
func (r *Relay) recording(w http.ResponseWriter, req *http.Request, t Target) {
	if err := req.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	cl, ok := r.verify(w, req.PostForm.Get("signed_parameters"), t)
	if !ok {
		return
	}
	if scoped(t) {
		cl["meeting_id"] = t.MeetingID
	}
	secret, ok := r.clientSecret(w, t)
	if !ok {
		return
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, cl).SignedString([]byte(secret))
	if err != nil {
		http.Error(w, "signing failed", http.StatusInternalServerError)
		return
	}
	body := url.Values{"signed_parameters": {signed}}.Encode()
	j := deliver.Job{Method: http.MethodPost, URL: t.URL, Body: []byte(body),
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}}
	if r.HoldRecording != nil {
		j.Tenant, j.Kind, j.Schedule = t.Tenant, string(t.Kind), r.Schedule
		recordID, _ := cl["record_id"].(string)
		held, err := r.HoldRecording(recordID, j)
		if err != nil {
			r.Log.Warn("recording-ready callback not held", "tenant", t.Tenant, "record_id", recordID, "error", err)
			http.Error(w, "callback not queued; try again later", http.StatusServiceUnavailable)
			return
		}
		if held {
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	if r.enqueue(w, t, j) {
		w.WriteHeader(http.StatusOK)
	}
}

// analyticsLifetime is how long the re-signed analytics JWT is valid.
const analyticsLifetime = 24 * time.Hour

// analytics relays learning-analytics JSON: the Bearer JWT (HS512, the
// backend's secret) is checked and replaced by one signed with the
// integration's secret; the JSON goes on byte for byte.
func (r *Relay) analytics(w http.ResponseWriter, req *http.Request, t Target) {
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, maxCallbackBody))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	bearer, _ := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	cl, ok := r.verify(w, bearer, t)
	if !ok {
		return
	}
	cl["exp"] = r.now().Add(analyticsLifetime).Unix()
	if scoped(t) {
		// The tenant's integration knows its own meeting ID only. This is
		// the one case where the JSON cannot pass byte for byte.
		var doc map[string]any
		if json.Unmarshal(body, &doc) == nil {
			doc["meeting_id"] = t.MeetingID
			if b, err := json.Marshal(doc); err == nil {
				body = b
			}
		}
	}
	secret, ok := r.clientSecret(w, t)
	if !ok {
		return
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS512, cl).SignedString([]byte(secret))
	if err != nil {
		http.Error(w, "signing failed", http.StatusInternalServerError)
		return
	}
	ct := req.Header.Get("Content-Type")
	if ct == "" {
		ct = "application/json"
	}
	if r.enqueue(w, t, deliver.Job{Method: http.MethodPost, URL: t.URL, Body: body, Header: http.Header{
		"Content-Type":  {ct},
		"Authorization": {"Bearer " + signed},
		"User-Agent":    {"BigBlueButton Analytics Callback"},
	}}) {
		w.WriteHeader(http.StatusOK)
	}
}

// clientSecret returns the secret to sign t's callback with; for a tenant
// that is gone it answers 410, which tells BBB to stop retrying.
func (r *Relay) clientSecret(w http.ResponseWriter, t Target) (string, bool) {
	secret, ok := r.ClientSecret(t.Tenant)
	if !ok {
		r.Log.Warn("callback dropped: its tenant is no longer configured", "kind", string(t.Kind), "tenant", t.Tenant)
		http.Error(w, "tenant gone", http.StatusGone)
	}
	return secret, ok
}

// verify checks a backend's JWT with the secret of the server the token
// names; on failure it answers 401 and logs.
func (r *Relay) verify(w http.ResponseWriter, token string, t Target) (jwt.MapClaims, bool) {
	secret, ok := r.ServerSecret(t.ServerID)
	if !ok {
		r.Log.Warn("callback refused: server no longer configured", "kind", string(t.Kind), "server", t.ServerID)
		http.Error(w, "unknown server", http.StatusUnauthorized)
		return nil, false
	}
	cl := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, cl, func(*jwt.Token) (any, error) { return []byte(secret), nil },
		jwt.WithValidMethods([]string{"HS256", "HS384", "HS512"}))
	if err != nil {
		r.Log.Warn("callback refused: the BBB server's signature does not verify", "kind", string(t.Kind), "server", t.ServerID)
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return nil, false
	}
	return cl, true
}

// scoped reports whether BBB knows the meeting under another ID than the
// integration: a named tenant's meeting.
func scoped(t Target) bool { return t.Tenant != "" && t.Tenant != tenant.DefaultName }

// appendQuery adds raw query parameters to u as BBB does: with '?' or '&'.
func appendQuery(u, raw string) string {
	if raw == "" {
		return u
	}
	if strings.Contains(u, "?") {
		return u + "&" + raw
	}
	return u + "?" + raw
}
