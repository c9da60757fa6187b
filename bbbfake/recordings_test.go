package bbbfake

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
)

func addTestRecordings(s *Server) {
	for _, r := range []Recording{
		{RecordID: "aaa111-1", MeetingID: "m1", Name: "One", Published: true, StartTime: 1000, EndTime: 121000, Participants: 3,
			Metadata: map[string]string{"gl-listed": "true", "bbb-context": "course-101"}},
		{RecordID: "aaa111-2", MeetingID: "m1", Name: "Two", State: "unpublished", Metadata: map[string]string{"bbb-context": "course-102"}},
		{RecordID: "aab222-1", MeetingID: "m2", Name: "Three", Published: true},
		{RecordID: "bbb333-1", MeetingID: "m3", Name: "Four", State: "processing"},
		{RecordID: "ccc444-1", MeetingID: "m4", Name: "Five", State: "deleted"},
	} {
		s.AddRecording(r)
	}
}

func TestGetRecordingsFilters(t *testing.T) {
	s := startTest(t)
	_, body := callBody(t, s, bbb.CallGetRecordings, "")
	const none = "<response><returncode>SUCCESS</returncode><recordings/><messageKey>noRecordings</messageKey><message>There are no recordings for the meeting(s).</message></response>"
	if string(body) != none {
		t.Fatalf("no recordings:\n%s", body)
	}
	addTestRecordings(s)
	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"all", "", []string{"aaa111-1", "aaa111-2", "aab222-1"}},
		{"meetingID csv", q("meetingID", "m1,m2"), []string{"aaa111-1", "aaa111-2", "aab222-1"}},
		{"meetingID one", q("meetingID", "m2"), []string{"aab222-1"}},
		{"recordID prefix", q("recordID", "aaa"), []string{"aaa111-1", "aaa111-2"}},
		{"recordID csv prefixes", q("recordID", "aab,aaa111-2"), []string{"aaa111-2", "aab222-1"}},
		{"recordID wins over meetingID", q("meetingID", "m2", "recordID", "aaa111-1"), []string{"aaa111-1"}},
		{"state published", q("state", "published"), []string{"aaa111-1", "aab222-1"}},
		{"state processing", q("meetingID", "m3", "state", "processing"), []string{"bbb333-1"}},
		{"state any", q("state", "any"), []string{"aaa111-1", "aaa111-2", "aab222-1", "bbb333-1", "ccc444-1"}},
		{"nextcloud states", q("state", "processing,processed,published,unpublished"), []string{"aaa111-1", "aaa111-2", "aab222-1", "bbb333-1"}},
		{"meta exact", q("meta_gl-listed", "true"), []string{"aaa111-1"}},
		{"meta key case", q("meta_BBB-Context", "course-102"), []string{"aaa111-2"}},
		{"meta prefix", q("meta_bbb-context", "course-%"), []string{"aaa111-1", "aaa111-2"}},
		{"meta suffix", q("meta_bbb-context", "%-101"), []string{"aaa111-1"}},
		{"meta contains", q("meta_bbb-context", "%rse-1%"), []string{"aaa111-1", "aaa111-2"}},
		{"meta and", q("meta_bbb-context", "course-%", "meta_gl-listed", "true"), []string{"aaa111-1"}},
		{"unknown meeting", q("meetingID", "zz"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, body := callBody(t, s, bbb.CallGetRecordings, tc.query)
			got := texts(t, body, "recordID")
			equal(t, "recordIDs", got, tc.want)
			if len(tc.want) == 0 {
				expect(t, r, bbb.Success, "noRecordings")
			} else {
				expect(t, r, bbb.Success, "")
			}
			if r.Get("totalElements") != "" {
				t.Fatal("totalElements without paging")
			}
		})
	}
}

func TestGetRecordingsElement(t *testing.T) {
	s := startTest(t)
	addTestRecordings(s)
	_, body := callBody(t, s, bbb.CallGetRecordings, q("recordID", "aaa111-1"))
	equal(t, "recording elements", children(t, body, "recording"), []string{
		"recordID", "meetingID", "internalMeetingID", "name", "isBreakout", "published", "state",
		"startTime", "endTime", "participants", "metadata", "playback",
	})
	equal(t, "format elements", children(t, body, "format"), []string{"type", "url", "processingTime", "length"})
	equal(t, "url", texts(t, body, "url"), []string{"http://" + s.Addr() + "/playback/presentation/2.3/aaa111-1"})
	equal(t, "length", texts(t, body, "length"), []string{"2"})
	// BBB adds the external meetingId, meetingName and isBreakout to every
	// recording's metadata (shared/bbb-api.md §4.7), beside the meta_ keys.
	equal(t, "metadata", children(t, body, "metadata"), []string{"bbb-context", "gl-listed", "isBreakout", "meetingId", "meetingName"})
	equal(t, "metadata meetingId", texts(t, body, "meetingId"), []string{"m1"})
	res, _ := do(t, "GET", "http://"+s.Addr()+"/playback/presentation/2.3/aaa111-1", "", nil)
	if res.StatusCode != 200 {
		t.Fatalf("playback page %d", res.StatusCode)
	}
}

func TestGetRecordingsPaging(t *testing.T) {
	s := startTest(t)
	addTestRecordings(s)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{q("limit", "2"), []string{"aaa111-1", "aaa111-2"}},
		{q("offset", "1", "limit", "1"), []string{"aaa111-2"}},
		{q("offset", "9", "limit", "5"), nil},
		{q("limit", "0"), []string{"aaa111-1"}},                 // limit is clamped to 1..100
		{q("offset", "-4", "limit", "1"), []string{"aaa111-1"}}, // a negative offset is 0
		{q("offset", "z", "limit", "1"), []string{"aaa111-1"}},  // so is one that is no number
	} {
		r, body := callBody(t, s, bbb.CallGetRecordings, tc.query)
		equal(t, tc.query, texts(t, body, "recordID"), tc.want)
		if r.Get("totalElements") != "3" {
			t.Fatalf("%s: totalElements %q in %s", tc.query, r.Get("totalElements"), body)
		}
	}
	// Without a parseable limit bbb-web does not page at all: offset alone
	// is ignored and no totalElements is added.
	for _, query := range []string{q("offset", "2"), q("offset", "1", "limit", "x")} {
		r, body := callBody(t, s, bbb.CallGetRecordings, query)
		equal(t, query, texts(t, body, "recordID"), []string{"aaa111-1", "aaa111-2", "aab222-1"})
		if r.Get("totalElements") != "" {
			t.Fatalf("%s: totalElements %q, want none", query, r.Get("totalElements"))
		}
	}
}

// With allowFetchAllRecordings=false, a getRecordings without IDs and
// without a limit answers nothing; IDs or a limit still answer.
func TestGetRecordingsAllowFetchAllFalse(t *testing.T) {
	s := startTest(t)
	addTestRecordings(s)
	s.SetAllowFetchAllRecordings(false)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", nil},
		{q("offset", "0"), nil},
		{q("limit", "5"), []string{"aaa111-1", "aaa111-2", "aab222-1"}},
		{q("recordID", "aab"), []string{"aab222-1"}},
	} {
		_, body := callBody(t, s, bbb.CallGetRecordings, tc.query)
		equal(t, "query "+tc.query, texts(t, body, "recordID"), tc.want)
	}
}

func TestRecordingActions(t *testing.T) {
	s := startTest(t)
	addTestRecordings(s)
	for _, tc := range []struct {
		name, call, query, rc, key, elem, value string
	}{
		{"publish no id", bbb.CallPublishRecordings, q("publish", "true"), bbb.Failed, "missingParamRecordID", "", ""},
		{"publish no value", bbb.CallPublishRecordings, q("recordID", "aaa111-2"), bbb.Failed, "missingParamPublish", "", ""},
		{"publish unknown", bbb.CallPublishRecordings, q("recordID", "zzz", "publish", "true"), bbb.Failed, "notFound", "", ""},
		{"publish", bbb.CallPublishRecordings, q("recordID", "zzz,aaa111-2", "publish", "true"), bbb.Success, "", "published", "true"},
		{"unpublish", bbb.CallPublishRecordings, q("recordID", "aab222-1", "publish", "false"), bbb.Success, "", "published", "false"},
		{"update", bbb.CallUpdateRecordings, q("recordID", "aaa111-1", "meta_gl-listed", "", "meta_Protect", "yes"), bbb.Success, "", "updated", "true"},
		{"update unknown", bbb.CallUpdateRecordings, q("recordID", "aaa", "meta_x", "y"), bbb.Failed, "notFound", "", ""},
		{"delete", bbb.CallDeleteRecordings, q("recordID", "bbb333-1"), bbb.Success, "", "deleted", "true"},
		{"delete no id", bbb.CallDeleteRecordings, "", bbb.Failed, "missingParamRecordID", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, tc.call, tc.query)
			expect(t, r, tc.rc, tc.key)
			if tc.elem != "" && r.Get(tc.elem) != tc.value {
				t.Fatalf("<%s> = %q", tc.elem, r.Get(tc.elem))
			}
			if tc.key == "notFound" && r.Message != "We could not find recordings" {
				t.Fatalf("message %q", r.Message)
			}
		})
	}
	byID := map[string]Recording{}
	for _, r := range s.Recordings() {
		byID[r.RecordID] = r
	}
	if r := byID["aaa111-2"]; !r.Published || r.State != "published" {
		t.Fatalf("publish: %+v", r)
	}
	if r := byID["aab222-1"]; r.Published || r.State != "unpublished" {
		t.Fatalf("unpublish: %+v", r)
	}
	if m := byID["aaa111-1"].Metadata; m["protect"] != "yes" || len(m) != 2 {
		t.Fatalf("update: %v", m)
	}
	if byID["bbb333-1"].State != "deleted" {
		t.Fatal("delete did not mark the recording deleted")
	}
	_, body := callBody(t, s, bbb.CallGetRecordings, q("state", "deleted"))
	equal(t, "deleted", texts(t, body, "recordID"), []string{"bbb333-1", "ccc444-1"})
}

func TestTextTracks(t *testing.T) {
	s := startTest(t)
	addTestRecordings(s)
	getTracks := func(id string) map[string]any {
		t.Helper()
		res, body := do(t, "GET", signed(s, bbb.CallGetRecordingTextTracks, q("recordID", id)), "", nil)
		if res.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("Content-Type %q", res.Header.Get("Content-Type"))
		}
		var v struct{ Response map[string]any }
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		return v.Response
	}
	if r := getTracks("zzz"); r["returncode"] != "FAILED" || r["messageKey"] != "noRecordings" {
		t.Fatalf("unknown: %v", r)
	}
	if r := getTracks("aaa111-1"); r["returncode"] != "SUCCESS" || len(r["tracks"].([]any)) != 0 {
		t.Fatalf("no tracks: %v", r)
	}

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "en.vtt")
	fw.Write([]byte("WEBVTT\n"))
	mw.Close()
	u := signed(s, bbb.CallPutRecordingTextTrack, q("recordID", "aaa111-1", "kind", "subtitles", "lang", "en-US", "label", "English"))
	res, body := do(t, http.MethodPost, u, mw.FormDataContentType(), buf.Bytes())
	want := `{"response":{"messageKey":"upload_text_track_success","message":"Text track uploaded successfully","recordId":"aaa111-1","returncode":"SUCCESS"}}`
	if res.StatusCode != 200 || string(body) != want {
		t.Fatalf("put: %d %s", res.StatusCode, body)
	}
	r := getTracks("aaa111-1")
	tracks := r["tracks"].([]any)
	tr := tracks[0].(map[string]any)
	if len(tracks) != 1 || tr["kind"] != "subtitles" || tr["lang"] != "en-US" || tr["label"] != "English" || tr["source"] != "upload" {
		t.Fatalf("tracks %v", r)
	}
	if got := s.TextTracks("aaa111-1"); len(got) != 1 || string(got[0].Data) != "WEBVTT\n" {
		t.Fatalf("TextTracks %+v", got)
	}
	// Wrong kind, and a form body instead of multipart.
	_, body = do(t, http.MethodPost, signed(s, bbb.CallPutRecordingTextTrack, q("recordID", "aaa111-1", "kind", "x", "lang", "en")), mw.FormDataContentType(), buf.Bytes())
	if !bytes.Contains(body, []byte(`"invalidKind"`)) {
		t.Fatalf("kind: %s", body)
	}
	res, body = do(t, http.MethodPost, u, "application/x-www-form-urlencoded", []byte("a=b"))
	if !bytes.Contains(body, []byte(`"unsupportedContentType"`)) {
		t.Fatalf("content type: %s", body)
	}
	_ = res
}
