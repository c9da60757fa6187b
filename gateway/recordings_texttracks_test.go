package gateway_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/recordings"
	"github.com/tinyscale/tinyscale/tenant"
)

type tracksReply struct {
	Response struct {
		ReturnCode string                 `json:"returncode"`
		MessageKey string                 `json:"messageKey"`
		RecordID   string                 `json:"recordId"`
		Tracks     []recordings.TextTrack `json:"tracks"`
	} `json:"response"`
}

func parseTracks(t *testing.T, body string) tracksReply {
	t.Helper()
	var r tracksReply
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("not JSON: %v: %s", err, body)
	}
	return r
}

// vttUpload is a putRecordingTextTrack body: the file in field "file".
func vttUpload(t *testing.T, data string) (string, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("file", "track.vtt")
	fw.Write([]byte(data))
	mw.Close()
	return mw.FormDataContentType(), b.String()
}

// TestStoredRecordingTextTracks: a stored recording's tracks are answered
// by tinyscale (its origin holds nothing of it): the live captions it was
// published with, then uploads, which replace a track of the same kind and
// language and are served from the store; bad uploads answer BBB's errors.
func TestStoredRecordingTextTracks(t *testing.T) {
	c, lib := storeCluster(t, 1, tenant.Tenant{Name: "uni-a", Secrets: []string{"uni-a-secret"}})
	r := storedRec("course", 0)
	r.Captions = map[string]string{"en": "English"}
	pushFolder(t, lib, r)
	list := func() []recordings.TextTrack {
		_, body := c.get(signed("getRecordingTextTracks", url.Values{"recordID": {r.RecordID}}))
		tr := parseTracks(t, body)
		if tr.Response.ReturnCode != bbb.Success {
			t.Fatalf("getRecordingTextTracks: %s", body)
		}
		return tr.Response.Tracks
	}
	if got := list(); len(got) != 1 || got[0] != (recordings.TextTrack{
		Href: "https://lb.example.org/presentation/" + r.RecordID + "/caption_en.vtt", Kind: "captions", Label: "English", Lang: "en", Source: "live"}) {
		t.Fatalf("published captions: %+v", got)
	}
	put := func(v url.Values, file string) tracksReply {
		ct, body := vttUpload(t, file)
		_, out := c.do("POST", signed("putRecordingTextTrack", v), ct, body)
		return parseTracks(t, out)
	}
	for _, tc := range []struct {
		name string
		v    url.Values
		file string
		key  string
	}{
		{"bad kind", url.Values{"recordID": {r.RecordID}, "kind": {"chapters"}, "lang": {"en"}}, "WEBVTT\n", "invalidKind"},
		{"bad lang", url.Values{"recordID": {r.RecordID}, "kind": {"subtitles"}, "lang": {"../x"}}, "WEBVTT\n", "invalidLang"},
		{"no lang", url.Values{"recordID": {r.RecordID}, "kind": {"subtitles"}}, "WEBVTT\n", "invalidLang"},
		{"empty file", url.Values{"recordID": {r.RecordID}, "kind": {"subtitles"}, "lang": {"de"}}, "", "empty_uploaded_text_track"},
		{"unknown recording", url.Values{"recordID": {"ffff-1"}, "kind": {"subtitles"}, "lang": {"de"}}, "WEBVTT\n", "noRecordings"},
	} {
		if got := put(tc.v, tc.file); got.Response.ReturnCode != bbb.Failed || got.Response.MessageKey != tc.key {
			t.Errorf("%s: %+v, want %s", tc.name, got.Response, tc.key)
		}
	}
	if len(list()) != 1 {
		t.Fatal("a refused upload is listed")
	}
	up := func(kind, lang, label, data string) {
		t.Helper()
		got := put(url.Values{"recordID": {r.RecordID}, "kind": {kind}, "lang": {lang}, "label": {label}}, data)
		if got.Response.ReturnCode != bbb.Success || got.Response.MessageKey != "upload_text_track_success" || got.Response.RecordID != r.RecordID {
			t.Fatalf("upload %s %s: %+v", kind, lang, got.Response)
		}
	}
	up("subtitles", "pt-BR", "Português", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nolá\n")
	up("captions", "en", "English (edited)", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nedited\n")
	up("subtitles", "pt-BR", "Português (BR)", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nolá 2\n")
	got := list()
	want := []recordings.TextTrack{
		{Href: "https://lb.example.org/captions/" + r.RecordID + "/captions_en.vtt", Kind: "captions", Label: "English (edited)", Lang: "en", Source: "upload"},
		{Href: "https://lb.example.org/captions/" + r.RecordID + "/subtitles_pt-BR.vtt", Kind: "subtitles", Label: "Português (BR)", Lang: "pt-BR", Source: "upload"},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("tracks %+v\nwant   %+v", got, want)
	}
	// The files, both kept through the later upload.
	for path, body := range map[string]string{
		"/captions/" + r.RecordID + "/subtitles_pt-BR.vtt": "olá 2",
		"/captions/" + r.RecordID + "/captions_en.vtt":     "edited",
	} {
		rec := httptest.NewRecorder()
		(&recordings.PlaybackHandler{Library: lib}).ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if out := rec.Body.String(); rec.Code != 200 || !strings.Contains(out, body) || rec.Header().Get("Content-Type") != "text/vtt" {
			t.Errorf("GET %s: %d %q %q", path, rec.Code, rec.Header().Get("Content-Type"), out)
		}
	}
	// Another tenant neither sees nor writes them.
	q := bbb.Sign(bbb.SHA1, "getRecordingTextTracks", url.Values{"recordID": {r.RecordID}}.Encode(), "uni-a-secret")
	_, body := c.get("/t/uni-a/bigbluebutton/api/getRecordingTextTracks?" + q)
	if tr := parseTracks(t, body); tr.Response.ReturnCode != bbb.Failed || len(tr.Response.Tracks) != 0 {
		t.Fatalf("uni-a reads the default tenant's tracks: %s", body)
	}
	ct, up2 := vttUpload(t, "WEBVTT\n")
	q = bbb.Sign(bbb.SHA1, "putRecordingTextTrack", url.Values{"recordID": {r.RecordID}, "kind": {"subtitles"}, "lang": {"fr"}}.Encode(), "uni-a-secret")
	_, body = c.do("POST", "/t/uni-a/bigbluebutton/api/putRecordingTextTrack?"+q, ct, up2)
	if tr := parseTracks(t, body); tr.Response.ReturnCode != bbb.Failed {
		t.Fatalf("uni-a writes the default tenant's tracks: %s", body)
	}
	if len(list()) != 2 {
		t.Fatal("another tenant's upload changed the tracks")
	}
	// Only the current captions version is kept.
	vs, _ := lib.Store.Versions()
	n := 0
	for _, v := range vs {
		if v.Format == recordings.CaptionsFormat {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d captions versions stored, want 1", n)
	}
}
