package gateway_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
)

// TestIntegrationFlowsAsTenant replays, as a named tenant, the parts of
// Greenlight, Moodle and Nextcloud that read more than a messageKey: the
// recording sync, a join to a meeting that is gone, the recording list.
// Each asserts what the integration reads (shared/bbb-api.md §8).
func TestIntegrationFlowsAsTenant(t *testing.T) {
	c := tenantCluster(t, 2, uniA)
	a := client{c: c, secret: "uni-a-secret-1", host: "bbb.uni-a.example"}
	record := func(id string) string {
		t.Helper()
		f := c.holder("uni-a~" + id)
		info, _ := f.Meeting("uni-a~" + id)
		f.AddRecording(recordingOf(info))
		f.EndMeeting("uni-a~" + id)
		return info.InternalID
	}

	t.Run("Greenlight recording sync", func(t *testing.T) {
		// Greenlight's RecordingsSync asks for its rooms' recordings and finds
		// each recording's room by metadata meetingId before meetingID.
		wantKey(t, a.call("create", url.Values{"meetingID": {"gl-room-1"}, "name": {"Team Room"}, "record": {"true"},
			"meta_bbb-origin": {"greenlight"}}), bbb.Success, "")
		rec := record("gl-room-1")
		_, body := a.get("getRecordings", url.Values{"meetingID": {"gl-room-1,gl-room-2"}})
		r, err := bbb.ParseReply([]byte(body), &bbb.ListSpec{List: "recordings", Item: "recording",
			Fields: []string{"recordID", "metadata/meetingId", "meetingID", "metadata/bbb-origin"}})
		if err != nil || len(r.Items) != 1 {
			t.Fatalf("getRecordings: %v %s", err, body)
		}
		f := r.Items[0].Fields
		if f[0] != rec || f[1] != "gl-room-1" || f[2] != "gl-room-1" || f[3] != "greenlight" {
			t.Errorf("Greenlight reads recordID %q, metadata meetingId %q, meetingID %q, origin %q", f[0], f[1], f[2], f[3])
		}
	})

	t.Run("Moodle join after the meeting ended", func(t *testing.T) {
		// Moodle sends its activity's logoutURL on every join; a student
		// whose meeting is gone goes back there, with BBB's errors.
		logout := "https://moodle.example/mod/bigbluebuttonbn/bbb_view.php?action=logout&id=7"
		raw := rfc1738("meetingID", "5b8a-2-7[0]", "fullName", "Zoë O'Brien", "password", "ap",
			"logoutURL", logout, "role", "VIEWER", "userID", "42")
		res, body := c.rawGet("/t/uni-a", a.secret, "join", raw)
		if res.StatusCode != http.StatusFound {
			t.Fatalf("HTTP %d, want a 302 back to Moodle: %s", res.StatusCode, body)
		}
		loc := res.Header.Get("Location")
		if !strings.HasPrefix(loc, logout+"&errors=") {
			t.Fatalf("Location %q does not keep Moodle's logoutURL byte for byte", loc)
		}
		u, _ := url.Parse(loc)
		var errs []struct{ Key, Message string }
		if err := json.Unmarshal([]byte(u.Query().Get("errors")), &errs); err != nil || len(errs) != 1 || errs[0].Key != "notFound" {
			t.Errorf("errors=%q (%v), want [{notFound}]", u.Query().Get("errors"), err)
		}
	})

	t.Run("Nextcloud recording list", func(t *testing.T) {
		wantKey(t, a.call("create", url.Values{"meetingID": {"nc room uid"}, "name": {"NC Room"}, "record": {"true"}}), bbb.Success, "")
		rec := record("nc room uid")
		_, body := c.rawGet("/t/uni-a", a.secret, "getRecordings", rfc3986("meetingID", "nc room uid", "state", "processing,processed,published,unpublished"))
		r, err := bbb.ParseReply([]byte(body), &bbb.ListSpec{List: "recordings", Item: "recording",
			Fields: []string{"recordID", "meetingID", "published"}})
		if err != nil || len(r.Items) != 1 {
			t.Fatalf("getRecordings: %v %s", err, body)
		}
		f := r.Items[0].Fields
		if f[0] != rec || f[1] != "nc room uid" || f[2] != "true" {
			t.Errorf("Nextcloud reads %q", f)
		}
		// It shows the playback link of each format.
		if !strings.Contains(body, "<type>presentation</type>") || !strings.Contains(body, "/playback/presentation/2.3/"+rec+"</url>") {
			t.Errorf("no presentation playback in %s", body)
		}
		if strings.Contains(body, "uni-a~") {
			t.Errorf("the list shows a backend-side ID: %s", body)
		}
	})
}
