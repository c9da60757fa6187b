package gateway_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
)

// addRecordings puts n recordings of meeting "course" on each fake, with
// start times interleaved across servers.
func addRecordings(c *cluster, n int) {
	for i, f := range c.fakes {
		for j := range n {
			start := int64(1_700_000_000_000 + (j*len(c.fakes)+i)*1000)
			f.AddRecording(bbbfake.Recording{
				RecordID:  fmt.Sprintf("rec%02d-s%d-%d", j*len(c.fakes)+i, i, start),
				MeetingID: "course", Name: "Course", Published: true, State: "published",
				StartTime: start, EndTime: start + 60000, Participants: 2,
				Metadata: map[string]string{"gl-listed": "true"},
			})
		}
	}
}

func recordIDs(t *testing.T, body string) ([]string, *bbb.Reply) {
	t.Helper()
	r, err := bbb.ParseReply([]byte(body), &bbb.ListSpec{List: "recordings", Item: "recording", Fields: []string{"recordID"}})
	if err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	var ids []string
	for _, it := range r.Items {
		ids = append(ids, it.Fields[0])
	}
	return ids, r
}

func TestGetRecordingsPagesOverAllServers(t *testing.T) {
	c := newCluster(t, 3)
	addRecordings(c, 4) // 12 recordings, rec00..rec11 in start order
	_, body := c.get(signed("getRecordings", url.Values{"meetingID": {"course"}}))
	ids, _ := recordIDs(t, body)
	if len(ids) != 12 {
		t.Fatalf("%d recordings, want 12", len(ids))
	}
	for i, id := range ids {
		if !strings.HasPrefix(id, fmt.Sprintf("rec%02d-", i)) {
			t.Fatalf("not sorted by start time: %v", ids)
		}
	}
	for _, tc := range []struct {
		offset, limit string
		first, n      int
	}{
		{"0", "5", 0, 5},
		{"5", "5", 5, 5},
		{"10", "5", 10, 2},
		{"12", "5", 0, 0},
		{"", "3", 0, 3},
		{"0", "1000", 0, 12}, // capped at 100
		{"0", "0", 0, 1},     // bbb-web clamps limit to 1..100
		{"-3", "2", 0, 2},    // and a negative offset to 0
		{"x", "2", 0, 2},     // an offset that is not a number is 0
		{"7", "+2", 7, 2},
	} {
		t.Run("offset="+tc.offset+",limit="+tc.limit, func(t *testing.T) {
			v := url.Values{"meetingID": {"course"}}
			if tc.offset != "" {
				v.Set("offset", tc.offset)
			}
			if tc.limit != "" {
				v.Set("limit", tc.limit)
			}
			_, body := c.get(signed("getRecordings", v))
			ids, r := recordIDs(t, body)
			if r.Get("totalElements") != "12" {
				t.Errorf("totalElements %q, want 12", r.Get("totalElements"))
			}
			if len(ids) != tc.n {
				t.Fatalf("%d recordings, want %d", len(ids), tc.n)
			}
			if tc.n > 0 && !strings.HasPrefix(ids[0], fmt.Sprintf("rec%02d-", tc.first)) {
				t.Fatalf("page starts at %s, want rec%02d", ids[0], tc.first)
			}
		})
	}
	// Without a limit bbb-web does not page: offset alone is ignored.
	for _, off := range []string{"4", "-1", "abc"} {
		_, body := c.get(signed("getRecordings", url.Values{"meetingID": {"course"}, "offset": {off}}))
		if ids, r := recordIDs(t, body); len(ids) != 12 || r.Get("totalElements") != "" {
			t.Errorf("offset=%s alone: %d recordings, totalElements %q; want 12 and none", off, len(ids), r.Get("totalElements"))
		}
	}
	r := c.call("getRecordings", url.Values{"meetingID": {"other"}})
	wantKey(t, r, bbb.Success, "noRecordings")
}

// Paging goes to the servers as BBB's own paging: each is asked for at
// most offset+limit, so servers with allowFetchAllRecordings=false answer
// and none is read to its end for one page.
func TestGetRecordingsPagesWithBackendPaging(t *testing.T) {
	c := newCluster(t, 3)
	addRecordings(c, 40) // 120 recordings
	for _, f := range c.fakes {
		f.SetAllowFetchAllRecordings(false)
		f.ResetRequests()
	}
	_, body := c.get(signed("getRecordings", url.Values{"offset": {"10"}, "limit": {"5"}}))
	ids, r := recordIDs(t, body)
	if len(ids) != 5 || r.Get("totalElements") != "120" || !strings.HasPrefix(ids[0], "rec10-") {
		t.Fatalf("page: %v, totalElements %q; want rec10.. of 120", ids, r.Get("totalElements"))
	}
	for i, f := range c.fakes {
		for _, req := range f.Requests() {
			if req.Call != "getRecordings" {
				continue
			}
			if req.Query.Get("offset") != "0" || req.Query.Get("limit") != "15" {
				t.Errorf("server %d asked offset=%q limit=%q, want 0 and 15", i, req.Query.Get("offset"), req.Query.Get("limit"))
			}
		}
	}
	// Past BBB's maximum page of 100, a server is asked page by page.
	_, body = c.get(signed("getRecordings", url.Values{"offset": {"110"}, "limit": {"100"}}))
	if ids, r := recordIDs(t, body); len(ids) != 10 || r.Get("totalElements") != "120" || !strings.HasPrefix(ids[0], "rec110-") {
		t.Fatalf("last page: %d recordings from %v, totalElements %q", len(ids), ids[:min(1, len(ids))], r.Get("totalElements"))
	}
	// Unpaged and without IDs, such servers answer nothing, as one would.
	rr := c.call("getRecordings", nil)
	wantKey(t, rr, bbb.Success, "noRecordings")
}

func TestGetRecordingsPassesFilters(t *testing.T) {
	c := newCluster(t, 2)
	addRecordings(c, 2)
	_, body := c.get(signed("getRecordings", url.Values{"recordID": {"rec01-,rec02-"}, "state": {"any"}}))
	ids, _ := recordIDs(t, body)
	if len(ids) != 2 {
		t.Fatalf("recordID prefixes: %v", ids)
	}
	for _, f := range c.fakes {
		for _, req := range f.Requests() {
			if req.Call == "getRecordings" && req.Query.Get("state") != "any" {
				t.Errorf("state filter not passed on: %s", req.RawQuery)
			}
		}
	}
}

func TestRecordingCallsSplitByServer(t *testing.T) {
	c := newCluster(t, 3)
	addRecordings(c, 2)
	// Learn where recordings live, as a client listing them does.
	c.get(signed("getRecordings", nil))
	all := func(f *bbbfake.Server) []string {
		var ids []string
		for _, r := range f.Recordings() {
			ids = append(ids, r.RecordID)
		}
		return ids
	}
	a, b := all(c.fakes[0]), all(c.fakes[2])
	list := strings.Join([]string{a[0], b[0], b[1]}, ",")
	for _, f := range c.fakes {
		f.ResetRequests()
	}
	r := c.call("publishRecordings", url.Values{"recordID": {list}, "publish": {"false"}})
	if !r.OK() || r.Get("published") != "false" { // BBB echoes the publish value
		t.Fatalf("publishRecordings: %s %s", r.ReturnCode, r.MessageKey)
	}
	wantIDs := map[*bbbfake.Server]string{c.fakes[0]: a[0], c.fakes[2]: b[0] + "," + b[1]}
	for _, f := range c.fakes {
		var got []string
		for _, req := range f.Requests() {
			if req.Call == "publishRecordings" {
				got = append(got, req.Query.Get("recordID"))
			}
		}
		if want, ok := wantIDs[f]; ok && (len(got) != 1 || got[0] != want) {
			t.Errorf("server %s got recordID %v, want %s", f.Addr(), got, want)
		} else if !ok && len(got) != 0 {
			t.Errorf("server %s got a call for recordings it does not hold: %v", f.Addr(), got)
		}
	}
	for _, rec := range c.fakes[2].Recordings() {
		if rec.Published {
			t.Errorf("%s still published", rec.RecordID)
		}
	}

	r = c.call("deleteRecordings", url.Values{"recordID": {"no-such-recording"}})
	wantKey(t, r, bbb.Failed, "notFound")
	r = c.call("updateRecordings", url.Values{})
	wantKey(t, r, bbb.Failed, "missingParamRecordID")
	r = c.call("publishRecordings", url.Values{"recordID": {a[1]}})
	wantKey(t, r, bbb.Failed, "missingParamPublish")
	r = c.call("updateRecordings", url.Values{"recordID": {a[1]}, "meta_gl-listed": {"false"}})
	if !r.OK() || r.Get("updated") != "true" {
		t.Fatalf("updateRecordings of an unseen recording: %s", r.MessageKey)
	}
}

func TestTextTracks(t *testing.T) {
	c := newCluster(t, 2)
	addRecordings(c, 1)
	rid := c.fakes[1].Recordings()[0].RecordID
	res, body := c.get(signed("getRecordingTextTracks", url.Values{"recordID": {rid}}))
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || !strings.Contains(body, `"returncode":"SUCCESS"`) {
		t.Fatalf("getRecordingTextTracks: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	// Checksum errors on the JSON calls come as JSON.
	_, body = c.get("/bigbluebutton/api/getRecordingTextTracks?recordID=" + rid + "&checksum=0000000000000000000000000000000000000000")
	if !strings.Contains(body, `"messageKey":"checksumError"`) {
		t.Fatalf("JSON checksum error: %s", body)
	}
	// The upload is multipart: forwarded byte for byte to the holder.
	boundary := "XyZ"
	mp := "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"en.vtt\"\r\nContent-Type: text/vtt\r\n\r\nWEBVTT\r\n\r\n00:00.000 --> 00:01.000\r\nHello\r\n--XyZ--\r\n"
	v := url.Values{"recordID": {rid}, "kind": {"subtitles"}, "lang": {"en-US"}, "label": {"English"}}
	res, body = c.do("POST", signed("putRecordingTextTrack", v), "multipart/form-data; boundary="+boundary, mp)
	if !strings.Contains(body, `"returncode":"SUCCESS"`) {
		t.Fatalf("putRecordingTextTrack: %d %s", res.StatusCode, body)
	}
	var forwarded *bbbfake.Request
	for _, req := range c.fakes[1].Requests() {
		if req.Call == "putRecordingTextTrack" {
			forwarded = &req
		}
	}
	if forwarded == nil || string(forwarded.Body) != mp {
		t.Fatalf("multipart body not forwarded byte for byte")
	}
}
