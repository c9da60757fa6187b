package gateway_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
)

// TestTenantAnswersCarryNoBackendIDs checks that no answer a tenant
// receives holds the backend-side (scoped) form of its meeting IDs, in any
// element BBB echoes them in: <meetingID>, recording metadata's meetingId
// (which Greenlight reads first, to find the room of a recording), a
// meta_ key the integration chose, any case.
func TestTenantAnswersCarryNoBackendIDs(t *testing.T) {
	c := tenantCluster(t, 2, uniA)
	a := client{c: c, secret: "uni-a-secret-1", host: "bbb.uni-a.example"}
	r := a.call("create", url.Values{"meetingID": {"room1"}, "name": {"Room 1"}, "record": {"true"},
		"meta_gl-listed": {"true"}})
	wantKey(t, r, bbb.Success, "")
	var recID string
	for _, f := range c.fakes {
		if info, ok := f.Meeting("uni-a~room1"); ok {
			rec := recordingOf(info)
			recID = rec.RecordID
			f.AddRecording(rec)
		}
	}
	if recID == "" {
		t.Fatal("the meeting is on no server")
	}
	for _, tc := range []struct {
		call   string
		params url.Values
	}{
		{"getMeetingInfo", url.Values{"meetingID": {"room1"}}},
		{"getMeetings", nil},
		{"isMeetingRunning", url.Values{"meetingID": {"room1"}}},
		{"getRecordings", url.Values{"meetingID": {"room1"}}},
		{"getRecordings", url.Values{"recordID": {recID}}},
		{"getRecordings", nil},
	} {
		_, body := a.get(tc.call, tc.params)
		if !strings.Contains(body, "<returncode>SUCCESS</returncode>") {
			t.Fatalf("%s %v: %s", tc.call, tc.params, body)
		}
		if strings.Contains(body, "uni-a~") {
			t.Errorf("%s %v shows the tenant a backend-side ID:\n%s", tc.call, tc.params, body)
		}
	}
	_, body := a.get("getRecordings", url.Values{"recordID": {recID}})
	// The metadata keeps BBB's own keys, with the tenant's ID.
	for _, want := range []string{"<meetingId>room1</meetingId>", "<meetingID>room1</meetingID>", "<meetingName>Room 1</meetingName>"} {
		if !strings.Contains(body, want) {
			t.Errorf("getRecordings lacks %s:\n%s", want, body)
		}
	}
}
