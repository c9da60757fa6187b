package state

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fill writes a known set of data into s.
func fill(t *testing.T, s Store) {
	t.Helper()
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	claim(t, s, Meeting{Tenant: DefaultTenant, MeetingID: "m1", ServerID: "s1", Expected: 50, CreatedAt: at}, "")
	claim(t, s, Meeting{Tenant: "other", MeetingID: "m1", ServerID: "s2", CreatedAt: at}, "")
	must(t, s.SetRecordingOwner("r1", "s1"))
	must(t, s.SaveDoc("admin", []byte(`{"s1":"cordoned"}`)))
	must(t, s.SaveDoc("blob", []byte{0, 0xfe, '"'}))
	must(t, s.SaveDoc("spaced", []byte(`{ "a": 1 }`))) // JSON, but not compact
	ri := s.(RecordingIndex)
	must(t, ri.PutStoredRecording(StoredRecording{RecordID: "sr1", Tenant: DefaultTenant, MeetingID: "m1", State: "published",
		StartTime: 1700000000000, Meta: map[string]string{"gl-listed": "true"}, Data: []byte(`{"formats":[]}`), Updated: at}))
	must(t, ri.PutStoredRecording(StoredRecording{RecordID: "sr2", Tenant: "other", MeetingID: "m1", State: "deleted",
		StartTime: 1600000000000, Data: []byte{0, 1, 2}, Updated: at}))
}

// sameContents fails unless s holds exactly what fill wrote.
func sameContents(t *testing.T, s Store) {
	t.Helper()
	ms := s.Meetings()
	if len(ms) != 2 {
		t.Fatalf("%d meetings, want 2: %+v", len(ms), ms)
	}
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	if m := ms[0]; m.Tenant != DefaultTenant || m.MeetingID != "m1" || m.ServerID != "s1" || m.Expected != 50 || !m.CreatedAt.Equal(at) {
		t.Fatalf("meeting 0 = %+v", m)
	}
	if m := ms[1]; m.Tenant != "other" || m.ServerID != "s2" {
		t.Fatalf("meeting 1 = %+v", m)
	}
	if sid, _ := s.RecordingOwner("r1"); sid != "s1" {
		t.Fatalf("r1 on %q", sid)
	}
	if d, _ := s.LoadDoc("admin"); string(d) != `{"s1":"cordoned"}` {
		t.Fatalf("admin doc %q", d)
	}
	if d, _ := s.LoadDoc("blob"); !bytes.Equal(d, []byte{0, 0xfe, '"'}) {
		t.Fatalf("blob doc %q", d)
	}
	if d, _ := s.LoadDoc("spaced"); string(d) != `{ "a": 1 }` {
		t.Fatalf("spaced doc %q", d)
	}
	// The recording store's index: listed per tenant, counted, by meeting.
	ri := s.(RecordingIndex)
	r1, ok := ri.StoredRecording("sr1")
	if !ok || r1.Tenant != DefaultTenant || r1.MeetingID != "m1" || r1.State != "published" || r1.StartTime != 1700000000000 ||
		r1.Meta["gl-listed"] != "true" || string(r1.Data) != `{"formats":[]}` || !r1.Updated.Equal(at) {
		t.Fatalf("sr1 = %+v", r1)
	}
	if r2, _ := ri.StoredRecording("sr2"); !bytes.Equal(r2.Data, []byte{0, 1, 2}) || r2.State != "deleted" {
		t.Fatalf("sr2 = %+v", r2)
	}
	if l := ri.StoredRecordingsOf("other", "m1"); len(l) != 1 || l[0].RecordID != "sr2" {
		t.Fatalf("other's recordings of m1: %+v", l)
	}
	if n := ri.CountStoredRecordings(DefaultTenant, "published"); n != 1 {
		t.Fatalf("%d published in the default tenant, want 1", n)
	}
}

func TestExportImportBetweenStores(t *testing.T) {
	open := map[string]func(t testing.TB) Store{}
	for _, k := range storeKinds {
		open[k.name] = k.open
	}
	for _, pair := range [][2]string{{"bolt", "redis"}, {"redis", "bolt"}, {"memory", "bolt"}} {
		t.Run(pair[0]+" to "+pair[1], func(t *testing.T) {
			from, to := open[pair[0]](t), open[pair[1]](t)
			fill(t, from)
			var buf bytes.Buffer
			must(t, Export(from, &buf))
			// the destination's own placement of m1 is overwritten
			claim(t, to, Meeting{Tenant: DefaultTenant, MeetingID: "m1", ServerID: "elsewhere"}, "")
			n, err := Import(to, bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if n != 8 {
				t.Fatalf("Import wrote %d records, want 8 (2 meetings, 1 recording, 2 stored recordings, 3 docs)", n)
			}
			sameContents(t, to)
		})
	}
}

func TestExportDocument(t *testing.T) {
	s := NewMemory()
	fill(t, s)
	var buf bytes.Buffer
	must(t, Export(s, &buf))
	var doc struct {
		Version    int                        `json:"version"`
		Meetings   []map[string]any           `json:"meetings"`
		Recordings map[string]string          `json:"recordings"`
		Stored     []map[string]any           `json:"stored_recordings"`
		Docs       map[string]json.RawMessage `json:"docs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, buf.String())
	}
	if doc.Version != 1 || len(doc.Meetings) != 2 || doc.Recordings["r1"] != "s1" {
		t.Fatalf("export = %s", buf.String())
	}
	if len(doc.Stored) != 2 || doc.Stored[0]["record_id"] != "sr1" || doc.Stored[1]["tenant"] != "other" {
		t.Fatalf("stored recordings: %v", doc.Stored)
	}
	if m := doc.Meetings[0]; m["tenant"] != DefaultTenant || m["meeting_id"] != "m1" || m["server"] != "s1" {
		t.Fatalf("meeting fields: %v", m)
	}
	var compact bytes.Buffer
	json.Compact(&compact, doc.Docs["admin"])
	if compact.String() != `{"s1":"cordoned"}` {
		t.Fatalf("a JSON doc is not exported as JSON: %s", doc.Docs["admin"])
	}
	if !bytes.HasPrefix(doc.Docs["spaced"], []byte(`"`)) {
		t.Fatalf("a non-compact JSON doc is not exported as base64: %s", doc.Docs["spaced"])
	}
	if string(doc.Docs["blob"]) != `"AP4i"` {
		t.Fatalf("a binary doc is not exported as base64: %s", doc.Docs["blob"])
	}
}

func TestImportRejectsBadDocuments(t *testing.T) {
	// Each has a valid meeting first: nothing may be written when any part
	// of the document is invalid.
	const ok = `{"meeting_id":"ok","server":"s1"}`
	for name, c := range map[string]struct{ in, why string }{
		"not JSON":          {`meetings`, "invalid character"},
		"wrong version":     {`{"version":2,"meetings":[` + ok + `]}`, "version 2"},
		"no version":        {`{"meetings":[` + ok + `]}`, "version 0"},
		"unknown field":     {`{"version":1,"meetings":[` + ok + `],"meeting":[]}`, "unknown field"},
		"meeting no server": {`{"version":1,"meetings":[` + ok + `,{"meeting_id":"m1"}]}`, "meetings[1]"},
		"meeting no id":     {`{"version":1,"meetings":[` + ok + `,{"server":"s1"}]}`, "meetings[1]"},
		"doc a number":      {`{"version":1,"meetings":[` + ok + `],"docs":{"d":42}}`, `docs["d"]`},
		"doc bad base64":    {`{"version":1,"meetings":[` + ok + `],"docs":{"d":"%%%"}}`, `docs["d"]`},
		"stored no tenant":  {`{"version":1,"meetings":[` + ok + `],"stored_recordings":[{"record_id":"r","state":"published"}]}`, "stored_recordings[0]"},
		"stored no id":      {`{"version":1,"meetings":[` + ok + `],"stored_recordings":[{"tenant":"default","state":"published"}]}`, "stored_recordings[0]"},
	} {
		t.Run(name, func(t *testing.T) {
			s := NewMemory()
			_, err := Import(s, strings.NewReader(c.in))
			if err == nil || !strings.Contains(err.Error(), c.why) {
				t.Fatalf("Import(%s) = %v, want an error about %s", c.in, err, c.why)
			}
			if len(s.Meetings()) != 0 || len(s.AllStoredRecordings()) != 0 {
				t.Fatal("a rejected import wrote something")
			}
		})
	}
}

func TestImportDefaultsTenant(t *testing.T) {
	b, err := OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	n, err := Import(b, strings.NewReader(`{"version":1,"meetings":[{"meeting_id":"m1","server":"s1"}],"docs":{"d":[1,2]}}`))
	if err != nil || n != 2 {
		t.Fatalf("Import = %d, %v", n, err)
	}
	if sid, _ := b.Lookup(DefaultTenant, "m1"); sid != "s1" {
		t.Fatalf("a meeting without tenant went to %q in the default tenant", sid)
	}
	if d, _ := b.LoadDoc("d"); string(d) != `[1,2]` {
		t.Fatalf("doc d = %q", d)
	}
}
