package main

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// TestStateExportRestoresStoredRecordings: the recording store's index
// goes through `tinyscale state export` and `import` into a fresh state:
// the restored tinyscale lists the recording with the changes made through
// the API (unpublished, its metadata, its uploaded text track).
func TestStateExportRestoresStoredRecordings(t *testing.T) {
	a := fake(t, "secret-a")
	dir, store, port := writeServers(t, entry(a)), t.TempDir(), freePort(t)
	p, root := recServe(t, dir, store, port)
	r := e2eRec("room-x", 8<<10)
	r.Format = "presentation"
	pres, err := r.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if code, out := runCLI(t, []string{"TINYSCALE_URL=" + root, "BBB_SECRET=secret-a"}, "recordings", "push", pres); code != 0 {
		t.Fatalf("push: exit %d: %s", code, out)
	}
	api := root + "/bigbluebutton/api"
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "fr.vtt")
	fw.Write([]byte("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nbonjour\n"))
	mw.Close()
	res, err := http.Post(signed(api, "putRecordingTextTrack", url.Values{"recordID": {r.RecordID}, "kind": {"subtitles"}, "lang": {"fr"}}, clientSecret),
		mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for call, v := range map[string]url.Values{
		"publishRecordings": {"recordID": {r.RecordID}, "publish": {"false"}},
		"updateRecordings":  {"recordID": {r.RecordID}, "meta_course": {"Physics 101"}},
	} {
		if _, _, out := get(t, signed(api, call, v, clientSecret)); !strings.Contains(out, "SUCCESS") {
			t.Fatalf("%s: %s", call, out)
		}
	}
	p.Cmd.Process.Kill() // the bolt file is open in one process only
	p.Wait(t)

	backup := filepath.Join(t.TempDir(), "state.json")
	if code, out := runToExit(t, dir, nil, "state", "export", backup); code != 0 {
		t.Fatalf("state export: exit %d: %s", code, out)
	}
	fresh := writeServers(t, entry(a))
	if code, out := runToExit(t, fresh, nil, "state", "import", backup); code != 0 {
		t.Fatalf("state import: exit %d: %s", code, out)
	}
	_, root = recServe(t, fresh, store, port)
	api = root + "/bigbluebutton/api"
	_, _, list := get(t, signed(api, "getRecordings", url.Values{"meetingID": {"room-x"}, "state": {"any"}}, clientSecret))
	for _, want := range []string{r.RecordID, "<state>unpublished</state>", "<course>Physics 101</course>"} {
		if !strings.Contains(list, want) {
			t.Fatalf("restored listing lacks %s: %s", want, list)
		}
	}
	_, _, tracks := get(t, signed(api, "getRecordingTextTracks", url.Values{"recordID": {r.RecordID}}, clientSecret))
	if !strings.Contains(tracks, `"lang":"fr"`) || !strings.Contains(tracks, `"source":"upload"`) {
		t.Fatalf("restored text tracks: %s", tracks)
	}
}
