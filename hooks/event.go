package hooks

import (
	"bytes"
	"encoding/json"
	"strings"
)

// event is what tinyscale reads of one mapped bbb-webhooks event; the
// event itself travels on as the bytes the server sent.
type event struct {
	raw json.RawMessage
	// id is data.id (meeting-created, user-joined, …).
	id string
	// meetingID is data.attributes.meeting["external-meeting-id"]: the ID
	// BBB knows, scoped for a named tenant's meeting; "" if none.
	meetingID string
	// internalID is BBB's internal-meeting-id.
	internalID string
}

type mappedShape struct {
	Data struct {
		ID         string `json:"id"`
		Attributes struct {
			Meeting struct {
				External string `json:"external-meeting-id"`
				Internal string `json:"internal-meeting-id"`
			} `json:"meeting"`
		} `json:"attributes"`
	} `json:"data"`
}

// parseEvents splits the event field of a delivery, a JSON array of one
// or more events (bbb-webhooks' multiEvent), into its events.
func parseEvents(field string) ([]event, error) {
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(field), &list); err != nil {
		return nil, err
	}
	out := make([]event, 0, len(list))
	for _, raw := range list {
		var m mappedShape
		if json.Unmarshal(raw, &m) != nil {
			continue // not an object: nothing a hook could be matched on
		}
		mt := m.Data.Attributes.Meeting
		out = append(out, event{raw: raw, id: m.Data.ID, meetingID: mt.External, internalID: mt.Internal})
	}
	return out, nil
}

// translate shows an event with the tenant's own meeting ID: every JSON
// string whose value is the scoped ID (external-meeting-id, the
// recording's meetingId metadata, a raw message's extId) becomes local.
// The rest of the bytes pass unchanged.
func translate(raw []byte, scoped, local string) []byte {
	if scoped == local || scoped == "" {
		return raw
	}
	return replaceJSONStrings(raw, scoped, local)
}

// replaceJSONStrings replaces every JSON string token of raw that decodes
// to from by the encoding of to. Strings are compared decoded, so an
// escaped form of the ID is found too; keys are left alone.
func replaceJSONStrings(raw []byte, from, to string) []byte {
	if !bytes.Contains(raw, []byte(firstRunes(from))) {
		return raw
	}
	enc := jsString(to)
	var out bytes.Buffer
	last := 0
	for i := 0; i < len(raw); i++ {
		if raw[i] != '"' {
			continue
		}
		end := stringEnd(raw, i)
		if end < 0 {
			break
		}
		tok := raw[i : end+1]
		isKey := nextNonSpace(raw, end+1) == ':'
		if !isKey {
			var s string
			if json.Unmarshal(tok, &s) == nil && s == from {
				out.Write(raw[last:i])
				out.WriteString(enc)
				last = end + 1
			}
		}
		i = end
	}
	if last == 0 {
		return raw
	}
	out.Write(raw[last:])
	return out.Bytes()
}

// firstRunes is a prefix of s free of characters JSON may escape, for a
// quick check that s can be in a document at all.
func firstRunes(s string) string {
	if i := strings.IndexAny(s, "\"\\/<>&"); i >= 0 {
		return s[:i]
	}
	return s
}

// stringEnd returns the index of the quote closing the JSON string that
// starts at raw[start], -1 if it does not close.
func stringEnd(raw []byte, start int) int {
	for j := start + 1; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return -1
}

func nextNonSpace(raw []byte, i int) byte {
	for ; i < len(raw); i++ {
		switch raw[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return raw[i]
		}
	}
	return 0
}
