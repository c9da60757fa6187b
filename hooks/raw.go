package hooks

import (
	"encoding/json"
	"time"
)

// Raw events: hooks created with getRaw=true receive BBB's own messages
// instead of the mapped events. bbb-webhooks sends those only to hooks
// that asked for them, so tinyscale keeps a second hook on every server,
// with getRaw, while any integration has a raw hook (reconcile.go), and
// relays what arrives there to the raw hooks.
//
// A raw message names its meeting by BBB's internal ID; the external ID,
// which says whose meeting it is, comes with the message when it has
// meetingProp (creates), else from the mapped events seen before, which
// carry both.

// rawSuffix ends the relay URL of the raw hook.
const rawSuffix = "/raw"

type rawShape struct {
	Envelope struct {
		Routing struct {
			MeetingID string `json:"meetingId"`
		} `json:"routing"`
	} `json:"envelope"`
	Header struct {
		Body struct {
			MeetingID string `json:"meetingId"`
		} `json:"body"`
	} `json:"header"`
	Core struct {
		Body struct {
			MeetingID string `json:"meetingId"`
			Props     struct {
				MeetingProp struct {
					IntID string `json:"intId"`
					ExtID string `json:"extId"`
				} `json:"meetingProp"`
			} `json:"props"`
		} `json:"body"`
	} `json:"core"`
}

// rawMeeting returns a raw message's internal and external meeting IDs,
// as far as the message tells them (bbb-webhooks' _findMeetingID order).
func rawMeeting(raw []byte) (internal, external string) {
	var m rawShape
	if json.Unmarshal(raw, &m) != nil {
		return "", ""
	}
	p := m.Core.Body.Props.MeetingProp
	for _, id := range []string{m.Envelope.Routing.MeetingID, m.Header.Body.MeetingID, p.IntID, m.Core.Body.MeetingID} {
		if id != "" {
			return id, p.ExtID
		}
	}
	return "", p.ExtID
}

// idMap remembers the external ID of each internal meeting ID seen in a
// mapped event, per server, for a day.
type idMap map[string]idEntry

type idEntry struct {
	external string
	at       time.Time
}

// maxIDs bounds the map: past it, entries older than idLife go.
const (
	maxIDs = 100000
	idLife = 24 * time.Hour
)

func (s *Service) learnID(serverID, internal, external string) {
	if internal == "" || external == "" {
		return
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ids) >= maxIDs {
		for k, e := range s.ids {
			if now.Sub(e.at) > idLife {
				delete(s.ids, k)
			}
		}
		if len(s.ids) >= maxIDs {
			return
		}
	}
	s.ids[serverID+"\x00"+internal] = idEntry{external, now}
}

func (s *Service) externalID(serverID, internal string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[serverID+"\x00"+internal].external
}
