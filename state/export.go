package state

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

// ExportVersion is the version of the document Export writes.
const ExportVersion = 1

// Lister is implemented by stores that can enumerate their recordings
// and documents (Memory, Bolt and Redis); Export needs it, since Store
// only looks them up by name.
type Lister interface {
	// Recordings returns every recording owner, by record ID.
	Recordings() map[string]string
	// DocNames returns the name of every document.
	DocNames() []string
}

// exportDoc is the export document (docs/state.md describes it). A doc
// that is a compact JSON object or array (what json.Marshal writes) is
// written as JSON, for people to read, and compacted again on import, so
// it comes back byte for byte; any other doc is a base64 string, so a
// string value always means base64.
type exportDoc struct {
	Version    int               `json:"version"`
	Meetings   []Meeting         `json:"meetings"`
	Recordings map[string]string `json:"recordings"`
	// StoredRecordings is the index of tinyscale's own recording store
	// (RecordingIndex); its files are backed up with the store's
	// directory. Absent in documents written before it existed.
	StoredRecordings []StoredRecording          `json:"stored_recordings,omitempty"`
	Docs             map[string]json.RawMessage `json:"docs"`
}

// Export writes everything s holds as one JSON document, for backups and
// for moving between stores. s must implement Lister.
func Export(s Store, w io.Writer) error {
	l, ok := s.(Lister)
	if !ok {
		return fmt.Errorf("state: export: %T cannot list its recordings and documents", s)
	}
	doc := exportDoc{Version: ExportVersion, Meetings: s.Meetings(), Recordings: l.Recordings(),
		Docs: map[string]json.RawMessage{}}
	if ri, ok := s.(RecordingIndex); ok {
		doc.StoredRecordings = ri.AllStoredRecordings()
	}
	for _, name := range l.DocNames() {
		data, err := s.LoadDoc(name)
		if err != nil {
			return fmt.Errorf("state: export doc %s: %w", name, err)
		}
		doc.Docs[name] = encodeDoc(data)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func encodeDoc(data []byte) json.RawMessage {
	var compact bytes.Buffer
	if len(data) > 0 && (data[0] == '{' || data[0] == '[') && json.Compact(&compact, data) == nil &&
		bytes.Equal(compact.Bytes(), data) {
		return append(json.RawMessage(nil), data...)
	}
	b, _ := json.Marshal(base64.StdEncoding.EncodeToString(data))
	return b
}

func decodeDoc(raw json.RawMessage) ([]byte, error) {
	t := bytes.TrimSpace(raw)
	if len(t) > 0 && t[0] == '"' {
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return nil, err
		}
		return base64.StdEncoding.DecodeString(s)
	}
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		return nil, fmt.Errorf("a doc is a JSON object, a JSON array or a base64 string, not %.20s", t)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, t); err != nil {
		return nil, err
	}
	return compact.Bytes(), nil
}

// Import writes an Export document into s, overwriting the placements,
// recording owners, stored recordings' index entries and documents it
// names and leaving others alone. It returns how many records (meetings,
// recordings, stored recordings and documents) it wrote.
// A meeting without a tenant goes to DefaultTenant. The whole document is
// checked before anything is written.
func Import(s Store, r io.Reader) (n int, err error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields() // a misspelt field would silently lose data
	var doc exportDoc
	if err := dec.Decode(&doc); err != nil {
		return 0, fmt.Errorf("state: import: %w", err)
	}
	if doc.Version != ExportVersion {
		return 0, fmt.Errorf("state: import: version %d, want %d", doc.Version, ExportVersion)
	}
	for i, m := range doc.Meetings {
		if m.MeetingID == "" || m.ServerID == "" {
			return 0, fmt.Errorf("state: import: meetings[%d]: meeting_id and server are required", i)
		}
		if m.Tenant == "" {
			doc.Meetings[i].Tenant = DefaultTenant
		}
	}
	ri, _ := s.(RecordingIndex)
	for i, r := range doc.StoredRecordings {
		if r.RecordID == "" || r.Tenant == "" || r.State == "" {
			return 0, fmt.Errorf("state: import: stored_recordings[%d]: record_id, tenant and state are required", i)
		}
		if ri == nil {
			return 0, fmt.Errorf("state: import: %T cannot hold stored recordings", s)
		}
	}
	docs := make(map[string][]byte, len(doc.Docs))
	for name, raw := range doc.Docs {
		d, err := decodeDoc(raw)
		if err != nil {
			return 0, fmt.Errorf("state: import: docs[%q]: %w", name, err)
		}
		docs[name] = d
	}
	for _, m := range doc.Meetings {
		if err := overwrite(s, m); err != nil {
			return n, err
		}
		n++
	}
	ids := make([]string, 0, len(doc.Recordings))
	for id := range doc.Recordings {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if err := s.SetRecordingOwner(id, doc.Recordings[id]); err != nil {
			return n, fmt.Errorf("state: import: recording %s: %w", id, err)
		}
		n++
	}
	for _, r := range doc.StoredRecordings {
		if err := ri.PutStoredRecording(r); err != nil {
			return n, fmt.Errorf("state: import: stored recording %s: %w", r.RecordID, err)
		}
		n++
	}
	for name, d := range docs {
		if err := s.SaveDoc(name, d); err != nil {
			return n, fmt.Errorf("state: import: doc %s: %w", name, err)
		}
		n++
	}
	return n, nil
}

// overwrite places m whoever holds it now: a claim against the current
// owner, retried against the owner a lost claim reports (another writer,
// or a copy in memory that lags the shared store).
func overwrite(s Store, m Meeting) error {
	cur, _ := s.Lookup(m.Tenant, m.MeetingID)
	for range 5 {
		owner, err := s.Claim(m, cur)
		if err != nil {
			return fmt.Errorf("state: import: meeting %s: %w", m.MeetingID, err)
		}
		if owner == m.ServerID {
			return nil
		}
		cur = owner
	}
	return fmt.Errorf("state: import: meeting %s: its placement kept changing", m.MeetingID)
}
