package bbbfake

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The events a fake bbb-webhooks sends to its hooks when the fake's
// meetings change, in bbb-webhooks' mapped format
// (example/events/mapped-events.json of bbb-webhooks).

// HookDelivery is one POST the fake's bbb-webhooks made.
type HookDelivery struct {
	// URL is the URL posted to, with the checksum when there is one.
	URL    string
	Body   []byte
	Header http.Header
	// Status is the receiver's answer, 0 if it could not be reached.
	Status int
}

// defaultHookRetries are bbb-webhooks' retryIntervals (about 5 minutes in
// all); after the last one the hook is removed.
var defaultHookRetries = []time.Duration{
	100 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second,
	8 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute, time.Minute, time.Minute, time.Minute,
}

// SetHookRetries replaces bbb-webhooks' retry intervals, for tests that
// cannot wait five minutes.
func (s *Server) SetHookRetries(d ...time.Duration) {
	s.mu.Lock()
	s.hookRetries = slices.Clone(d)
	if s.hookRetries == nil {
		s.hookRetries = []time.Duration{}
	}
	s.mu.Unlock()
}

// HookDeliveries returns every delivery attempt made so far.
func (s *Server) HookDeliveries() []HookDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.hookSent)
}

// WaitHooks waits for the deliveries under way, retries included.
func (s *Server) WaitHooks() { s.hookWG.Wait() }

// jsonObj builds a JSON object with its keys in insertion order, as
// JavaScript's JSON.stringify writes them.
type jsonObj []any // key, value, key, value…

func (o jsonObj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := 0; i+1 < len(o); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(jsString(o[i].(string)))
		b.WriteByte(':')
		switch v := o[i+1].(type) {
		case string:
			b.WriteString(jsString(v))
		case jsonObj:
			inner, _ := v.MarshalJSON()
			b.Write(inner)
		default:
			enc, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			b.Write(enc)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func meetingAttr(m *meeting) jsonObj {
	return jsonObj{"internal-meeting-id", m.internalID, "external-meeting-id", m.id}
}

// mappedEvent is one event in bbb-webhooks' mapped form.
func mappedEvent(id string, attrs jsonObj) jsonObj {
	return jsonObj{"data", jsonObj{"type", "event", "id", id, "attributes", attrs,
		"event", jsonObj{"ts", time.Now().UnixMilli()}}}
}

func (s *Server) meetingCreatedEvent(m *meeting) {
	meta := jsonObj{}
	for _, k := range slices.Sorted(maps.Keys(m.metadata)) {
		meta = append(meta, k, m.metadata[k])
	}
	parent := "bbb-none"
	if m.parentMeetingID != "" {
		parent = m.parentMeetingID
	}
	attr := jsonObj{"internal-meeting-id", m.internalID, "external-meeting-id", m.id, "name", m.name,
		"is-breakout", m.isBreakout, "parent-id", parent, "duration", m.duration, "create-time", m.createTime,
		"create-date", createDate(m.createTime), "moderator-pass", m.moderatorPW, "viewer-pass", m.attendeePW,
		"record", m.record, "voice-conf", m.voiceBridge, "dial-number", m.dialNumber, "max-users", m.maxUsers,
		"metadata", meta}
	s.emitHook(m, "meeting-created", jsonObj{"meeting", attr}, "MeetingCreatedEvtMsg")
}

func (s *Server) userJoinedEvent(m *meeting, a Attendee) {
	s.emitHook(m, "user-joined", jsonObj{"meeting", meetingAttr(m), "user", jsonObj{
		"internal-user-id", a.UserID, "external-user-id", a.UserID, "name", a.FullName,
		"role", a.Role, "presenter", "false"}}, "UserJoinedMeetingEvtMsg")
}

func (s *Server) meetingEndedEvent(m *meeting) {
	s.emitHook(m, "meeting-ended", jsonObj{"meeting", meetingAttr(m)}, "MeetingEndedEvtMsg")
}

// PublishEnded sends rap-publish-ended for a recording added with
// AddRecording, as BBB's recording pipeline does when it is published.
// It reports false if there is no such recording.
func (s *Server) PublishEnded(recordID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.findRecording(recordID)
	if r == nil {
		return false
	}
	meta := jsonObj{}
	for _, k := range slices.Sorted(maps.Keys(r.Metadata)) {
		meta = append(meta, k, r.Metadata[k])
	}
	meta = append(meta, "meetingId", r.MeetingID)
	m := &meeting{id: r.MeetingID, internalID: r.RecordID}
	s.emitHook(m, "rap-publish-ended", jsonObj{"meeting", meetingAttr(m), "record-id", r.RecordID,
		"success", true, "step-time", 415, "workflow", "presentation", "recording", jsonObj{
			"name", r.Name, "is-breakout", strconv.FormatBool(r.IsBreakout), "start-time", r.StartTime,
			"end-time", r.EndTime, "size", 1513869, "metadata", meta, "playback", jsonObj{
				"format", "presentation", "link", "http://" + s.addr + playbackPath + "presentation/2.3/" + r.RecordID},
		}}, "PublishedRecordingSysMsg")
	return true
}

// emitHook sends an event to every hook that takes it: global hooks and
// those of the meeting, filtered by their eventID lists; hooks with
// getRaw get BBB's raw message instead. Called with s.mu held.
func (s *Server) emitHook(m *meeting, id string, attrs jsonObj, rawName string) {
	if len(s.hooks) == 0 {
		return
	}
	mapped, _ := mappedEvent(id, attrs).MarshalJSON()
	raw, _ := jsonObj{"envelope", jsonObj{"name", rawName, "routing", jsonObj{"meetingId", m.internalID}},
		"core", jsonObj{"header", jsonObj{"name", rawName, "meetingId", m.internalID},
			"body", jsonObj{"props", jsonObj{"meetingProp", jsonObj{"intId", m.internalID, "extId", m.id}}}}}.MarshalJSON()
	for _, h := range s.hooks {
		if h.MeetingID != "" && h.MeetingID != m.id {
			continue
		}
		ev := mapped
		if h.RawData {
			// A raw message has no data.id: a hook with an eventID list
			// never gets one (bbb-webhooks 3.x dispatch).
			if h.EventIDs != nil {
				continue
			}
			ev = raw
		} else if h.EventIDs != nil && !slices.Contains(h.EventIDs, id) {
			continue
		}
		s.hookWG.Add(1)
		go s.deliverHook(h, ev)
	}
}

// deliverHook posts one event to one hook with bbb-webhooks' retries;
// when they are exhausted the hook is removed. 401 counts as delivered.
func (s *Server) deliverHook(h Hook, event []byte) {
	defer s.hookWG.Done()
	s.mu.Lock()
	flavour, auth2, retries := s.hooksFlavour, s.hooksAuth2, s.hookRetries
	s.mu.Unlock()
	if retries == nil {
		retries = defaultHookRetries
	}
	u, body, header := s.hookRequest(flavour, auth2, h.CallbackURL, event, time.Now().UnixMilli())
	stop := s.stopped()
	for attempt := 0; ; attempt++ {
		status, _ := s.callBack(http.MethodPost, u, body, header)
		s.mu.Lock()
		s.hookSent = append(s.hookSent, HookDelivery{URL: u, Body: body, Header: header.Clone(), Status: status})
		s.mu.Unlock()
		if status/100 == 2 || status == http.StatusUnauthorized {
			return
		}
		if attempt >= len(retries) {
			s.mu.Lock()
			s.hooks = slices.DeleteFunc(s.hooks, func(o Hook) bool { return o.ID == h.ID && !o.Permanent })
			s.mu.Unlock()
			return
		}
		t := time.NewTimer(retries[attempt])
		select {
		case <-t.C:
		case <-stop:
			t.Stop()
			return
		}
	}
}

// hookRequest builds the URL, body and headers of a delivery as the
// flavour does. The event is sent as a one-element array.
func (s *Server) hookRequest(flavour HooksFlavour, auth2 bool, callbackURL string, event []byte, ts int64) (string, []byte, http.Header) {
	domain, _, _ := net.SplitHostPort(s.addr)
	evs := "[" + string(event) + "]"
	stamp := strconv.FormatInt(ts, 10)
	header := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	var body, signed string
	if flavour == Webhooks26 {
		body = "event=" + formRFC3986(evs) + "&timestamp=" + stamp + "&domain=" + formRFC3986(domain)
		signed = `{"event":` + jsString(evs) + `,"timestamp":` + stamp + `,"domain":` + jsString(domain) + `}`
	} else {
		body = "domain=" + formURLSearchParams(domain) + "&event=" + formURLSearchParams(evs) + "&timestamp=" + stamp
		signed = body
	}
	if auth2 {
		header.Set("Authorization", "Bearer "+s.secret)
		return callbackURL, []byte(body), header
	}
	sum := sha1.Sum([]byte(callbackURL + signed + s.secret))
	sep := "?"
	if strings.Contains(callbackURL, "?") {
		sep = "&"
	}
	return callbackURL + sep + "checksum=" + hex.EncodeToString(sum[:]), []byte(body), header
}
