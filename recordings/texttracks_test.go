package recordings_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/tinyscale/tinyscale/recordings"
	"github.com/tinyscale/tinyscale/tenant"
)

// TestTextTracksKeptSweptAndRemoved: the current captions version survives
// a sweep (the replaced one does not linger), a push of the reserved
// format is refused, and removing the recording removes its tracks.
func TestTextTracksKeptSweptAndRemoved(t *testing.T) {
	e := newEnv(t)
	r := rec("presentation")
	if err := e.push(e.folder(t, r), bbbSecret); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct{ kind, lang string }{{"captions", "../../x"}, {"chapters", "en"}, {"subtitles", ""}} {
		if err := e.lib.PutTextTrack(ctx, tenant.DefaultName, r.RecordID, tc.kind, tc.lang, "", []byte("WEBVTT\n")); !errors.Is(err, recordings.ErrBadUpload) {
			t.Errorf("%s %q: %v, want ErrBadUpload", tc.kind, tc.lang, err)
		}
	}
	if err := e.lib.PutTextTrack(ctx, "other", r.RecordID, "subtitles", "en", "", []byte("WEBVTT\n")); !errors.Is(err, recordings.ErrNotFound) {
		t.Errorf("another tenant's upload: %v", err)
	}
	for _, v := range []string{"WEBVTT\n\none", "WEBVTT\n\ntwo"} {
		if err := e.lib.PutTextTrack(ctx, tenant.DefaultName, r.RecordID, "subtitles", "fr", "", []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.lib.PutTextTrack(ctx, tenant.DefaultName, r.RecordID, "captions", "en", "English", []byte("WEBVTT\n\nen")); err != nil {
		t.Fatal(err)
	}
	e.lib.Sweep(0)
	tracks, err := e.lib.TextTracks(tenant.DefaultName, r.RecordID)
	if err != nil || len(tracks) != 2 || tracks[1].Label != "fr" {
		t.Fatalf("tracks %+v %v", tracks, err)
	}
	for want, url := range map[string]string{"WEBVTT\n\ntwo": tracks[1].Href, "WEBVTT\n\nen": tracks[0].Href} {
		res, body := get(t, e.srv.URL+url[len("https://lb.example.org"):])
		if res.StatusCode != http.StatusOK || !bytes.Equal(body, []byte(want)) {
			t.Errorf("GET %s after a sweep: %d %q", url, res.StatusCode, body)
		}
	}
	f := e.folder(t, rec("presentation"))
	f.Format = recordings.CaptionsFormat
	var tb bytes.Buffer
	f.WriteTar(&tb)
	if _, err := e.lib.Push(ctx, "bbb1", r.RecordID, recordings.CaptionsFormat, &tb); !errors.Is(err, recordings.ErrBadUpload) {
		t.Errorf("push of the reserved format: %v", err)
	}
	if err := e.lib.Remove(r.RecordID); err != nil {
		t.Fatal(err)
	}
	if vs, _ := e.fs.Versions(); len(vs) != 0 {
		t.Errorf("left after Remove: %+v", vs)
	}
}
