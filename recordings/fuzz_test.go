package recordings_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/tinyscale/tinyscale/recordings"
	"github.com/tinyscale/tinyscale/tenant"
)

// FuzzPlaybackPath asks the playback handler for any path: nothing it
// answers 200 may come from outside a published recording's folder, such
// as a file beside the store, in the store's root, or in an unpublished
// recording's folder.
func FuzzPlaybackPath(f *testing.F) {
	e := newEnv(f, tenant.Tenant{Name: "uni-a", Secrets: []string{"uni-a-secret-123"}})
	pub := e.folder(f, rec("presentation"))
	if err := e.push(pub, bbbSecret); err != nil {
		f.Fatal(err)
	}
	hidden := rec("video")
	hidden.RecordID, hidden.MeetingID = "0123456789abcdef0123456789abcdef01234567-1700000009999", "uni-a~hidden"
	hf := e.folder(f, hidden)
	if err := e.push(hf, bbbSecret); err != nil {
		f.Fatal(err)
	}
	e.lib.SetState("uni-a", []string{hidden.RecordID}, "unpublished")
	secret := []byte("outside-the-store-7f3a")
	os.WriteFile(filepath.Join(filepath.Dir(e.fs.Root()), "secret.txt"), secret, 0o644)
	os.WriteFile(filepath.Join(e.fs.Root(), "secret.txt"), secret, 0o644)
	hiddenMedia, _ := os.ReadFile(filepath.Join(hf.Dir, "video-0.m4v"))
	play := &recordings.PlaybackHandler{Library: e.lib, Tenants: e.lib.Tenants}
	for _, p := range []string{
		"/presentation/" + pub.RecordID + "/metadata.xml", "/presentation/" + pub.RecordID + "/../../secret.txt",
		"/presentation/../secret.txt", "/video/" + hidden.RecordID + "/video-0.m4v", "/playback/video/" + hidden.RecordID + "/",
		"/presentation/" + pub.RecordID + "/..%2f..%2fsecret.txt", "/presentation/" + pub.RecordID + "//etc/passwd",
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		req := httptest.NewRequest(http.MethodGet, "http://lb.example.org/", nil)
		req.URL.Path = p
		w := httptest.NewRecorder()
		play.ServeHTTP(w, req)
		if w.Code != http.StatusOK && w.Code != http.StatusPartialContent {
			return
		}
		body, _ := io.ReadAll(w.Body)
		if bytes.Contains(body, secret) || (len(hiddenMedia) > 0 && bytes.Equal(body, hiddenMedia)) {
			t.Fatalf("%q reached a file it must not: %d bytes", p, len(body))
		}
	})
}

// FuzzMetadata reads any metadata.xml: never a panic, and what it
// accepts names a valid record ID and format.
func FuzzMetadata(f *testing.F) {
	f.Add([]byte(rec("presentation").Metadata()))
	f.Add([]byte(rec("video").Metadata()))
	f.Add([]byte(`<recording><id>x</id><meeting externalId="a&amp;b"/><meta><a>1</a></meta><playback><format>../x</format></playback></recording>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "metadata.xml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		fo, err := recordings.ReadFolder(dir)
		if err == nil && (!recordings.ValidRecordID(fo.RecordID) || !recordings.ValidFormat(fo.Format)) {
			t.Fatalf("accepted %+v", fo)
		}
	})
}
