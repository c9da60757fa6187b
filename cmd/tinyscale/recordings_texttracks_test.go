package main

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestStoredRecordingTextTracksAfterTheirServerIsGone: a presentation
// published with live captions is pushed through the real command; its
// server is removed; getRecordingTextTracks still lists the captions, an
// uploaded track is stored and listed, and both files play from tinyscale.
func TestStoredRecordingTextTracksAfterTheirServerIsGone(t *testing.T) {
	a, b := fake(t, "secret-a"), fake(t, "secret-b")
	dir, store, port := writeServers(t, entry(a), entry(b)), t.TempDir(), freePort(t)
	p, root := recServe(t, dir, store, port)
	r := e2eRec("room-tt", 16<<10)
	r.Format = "presentation"
	r.Captions = map[string]string{"en": "English"}
	pres, err := r.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if code, out := runCLI(t, []string{"TINYSCALE_URL=" + root, "BBB_SECRET=secret-a"}, "recordings", "push", pres); code != 0 {
		t.Fatalf("push: exit %d: %s", code, out)
	}
	data, _ := json.Marshal([]serverEntry{entry(b)})
	rewriteServers(t, dir, data)
	p.Cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "a gone after SIGHUP", func() bool { return !slices.Contains(serverIDs(t, root), a.Addr()) })
	a.Close()

	api := root + "/bigbluebutton/api"
	tracks := func() []map[string]string {
		_, _, body := get(t, signed(api, "getRecordingTextTracks", url.Values{"recordID": {r.RecordID}}, clientSecret))
		var v struct {
			Response struct {
				ReturnCode string              `json:"returncode"`
				Tracks     []map[string]string `json:"tracks"`
			} `json:"response"`
		}
		if json.Unmarshal([]byte(body), &v) != nil || v.Response.ReturnCode != "SUCCESS" {
			t.Fatalf("getRecordingTextTracks: %s", body)
		}
		return v.Response.Tracks
	}
	if got := tracks(); len(got) != 1 || got[0]["href"] != root+"/presentation/"+r.RecordID+"/caption_en.vtt" || got[0]["source"] != "live" {
		t.Fatalf("tracks after the server left: %v", got)
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "de.vtt")
	vtt := "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHallo\n"
	fw.Write([]byte(vtt))
	mw.Close()
	u := signed(api, "putRecordingTextTrack", url.Values{"recordID": {r.RecordID}, "kind": {"subtitles"}, "lang": {"de-DE"}, "label": {"Deutsch"}}, clientSecret)
	res, err := http.Post(u, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	var put struct {
		Response map[string]string `json:"response"`
	}
	json.NewDecoder(res.Body).Decode(&put)
	res.Body.Close()
	if put.Response["returncode"] != "SUCCESS" || put.Response["messageKey"] != "upload_text_track_success" {
		t.Fatalf("putRecordingTextTrack: %v", put.Response)
	}
	got := tracks()
	if len(got) != 2 || got[0]["lang"] != "de-DE" || got[0]["label"] != "Deutsch" || got[0]["source"] != "upload" {
		t.Fatalf("tracks after the upload: %v", got)
	}
	for href, want := range map[string]string{got[0]["href"]: vtt, got[1]["href"]: "live en"} {
		if !strings.HasPrefix(href, root+"/") {
			t.Fatalf("href %s is not under TINYSCALE_URL", href)
		}
		if code, _, b := get(t, href); code != 200 || !strings.Contains(b, want) {
			t.Errorf("GET %s: %d %q", href, code, b)
		}
	}
	// The upload is durable: it survives kill -9.
	p.Cmd.Process.Kill()
	p.Wait(t)
	recServe(t, dir, store, port)
	if got := tracks(); len(got) != 2 {
		t.Fatalf("after a restart: %v", got)
	}
}
