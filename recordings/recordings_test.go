package recordings_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/recordings"
	"github.com/tinyscale/tinyscale/recordings/rectest"
	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
)

const bbbSecret = "bbb1-secret-0123456789"

type env struct {
	lib   *recordings.Library
	fs    *recordings.FS
	srv   *httptest.Server
	dir   string
	index *state.Memory
}

func newEnv(t testing.TB, tenants ...tenant.Tenant) *env {
	t.Helper()
	fs, err := recordings.OpenFS(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := tenant.NewRegistry(tenant.Tenant{Secrets: []string{"client-secret"}}, tenants)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{fs: fs, dir: t.TempDir(), index: state.NewMemory()}
	e.lib = &recordings.Library{Store: fs, Index: e.index, Tenants: reg, PublicURL: "https://lb.example.org"}
	push := &recordings.PushHandler{Library: e.lib, Secrets: func() map[string]string { return map[string]string{"bbb1": bbbSecret} }}
	play := &recordings.PlaybackHandler{Library: e.lib, Tenants: reg}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == recordings.PushPath {
			push.ServeHTTP(w, r)
			return
		}
		play.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) folder(t testing.TB, r rectest.Recording) recordings.Folder {
	t.Helper()
	dir, err := r.Write(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := recordings.ReadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (e *env) push(f recordings.Folder, secret string) error {
	p := &recordings.Pusher{URL: e.srv.URL, Secret: secret, Deadline: 5 * time.Second}
	return p.Push(context.Background(), f)
}

func get(t *testing.T, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func rec(format string) rectest.Recording {
	start := int64(1_700_000_000_000)
	return rectest.Recording{RecordID: rectest.RecordID("room-1", start), MeetingID: "room-1", Name: "Fred's Room & Co",
		Format: format, StartTime: start, Meta: map[string]string{"gl-listed": "false", "bbb-origin": "greenlight"}, MediaSize: 300 << 10}
}

func TestPushThenPlay(t *testing.T) {
	e := newEnv(t)
	pres, video := e.folder(t, rec("presentation")), e.folder(t, rec("video"))
	for _, f := range []recordings.Folder{pres, video} {
		if err := e.push(f, bbbSecret); err != nil {
			t.Fatal(err)
		}
	}
	r, ok := e.lib.Get("default", pres.RecordID)
	if !ok || strings.Join(r.Formats(), ",") != "presentation,video" || r.Origin() != "bbb1" || r.MeetingID != "room-1" {
		t.Fatalf("stored: %+v %v", r, ok)
	}
	x := string(r.XML(e.lib.BaseURL("default")))
	for _, want := range []string{
		"<recordID>" + pres.RecordID + "</recordID>", "<meetingID>room-1</meetingID>", "<name>Fred&apos;s Room &amp; Co</name>",
		"<published>true</published>", "<state>published</state>", "<gl-listed>false</gl-listed>", "<meetingId>room-1</meetingId>",
		"<url>https://lb.example.org/playback/presentation/2.3/" + pres.RecordID + "</url>",
		"<url>https://lb.example.org/playback/video/" + pres.RecordID + "/</url>", "<length>33</length>",
		`alt="Slide 1">https://lb.example.org/presentation/` + pres.RecordID + "/presentation/",
	} {
		if !strings.Contains(x, want) {
			t.Errorf("XML lacks %s:\n%s", want, x)
		}
	}
	// Every file byte for byte, with its type.
	for _, tc := range []struct{ url, file, ctype string }{
		{"/presentation/" + pres.RecordID + "/metadata.xml", filepath.Join(pres.Dir, "metadata.xml"), "text/xml"},
		{"/presentation/" + pres.RecordID + "/video/webcams.webm", filepath.Join(pres.Dir, "video/webcams.webm"), "video/webm"},
		{"/presentation/" + pres.RecordID + "/shapes.svg", filepath.Join(pres.Dir, "shapes.svg"), "image/svg+xml"},
		{"/video/" + pres.RecordID + "/video-0.m4v", filepath.Join(video.Dir, "video-0.m4v"), "video/x-m4v"},
		{"/playback/video/" + pres.RecordID + "/", filepath.Join(video.Dir, "index.html"), "text/html; charset=utf-8"},
	} {
		res, body := get(t, e.srv.URL+tc.url)
		want, _ := os.ReadFile(tc.file)
		if res.StatusCode != 200 || !bytes.Equal(body, want) || res.Header.Get("Content-Type") != tc.ctype {
			t.Errorf("%s: %d %q, %d bytes (want %d)", tc.url, res.StatusCode, res.Header.Get("Content-Type"), len(body), len(want))
		}
	}
	// Range.
	want, _ := os.ReadFile(filepath.Join(video.Dir, "video-0.m4v"))
	res, body := get(t, e.srv.URL+"/video/"+pres.RecordID+"/video-0.m4v", "Range", "bytes=1000-1999")
	if res.StatusCode != http.StatusPartialContent || !bytes.Equal(body, want[1000:2000]) {
		t.Fatalf("range: %d, %d bytes", res.StatusCode, len(body))
	}
}

func TestPlaybackRefusesTraversalAndUnpublished(t *testing.T) {
	e := newEnv(t)
	f := e.folder(t, rec("presentation"))
	if err := e.push(f, bbbSecret); err != nil {
		t.Fatal(err)
	}
	// A symbolic link planted in the stored folder leads nowhere.
	vs, _ := e.fs.Versions()
	stored := filepath.Join(e.fs.Root(), vs[0].Tenant, vs[0].RecordID, vs[0].Format+"."+vs[0].Version)
	os.WriteFile(filepath.Join(e.dir, "secret.txt"), []byte("secret"), 0o644)
	if err := os.Symlink(filepath.Join(e.dir, "secret.txt"), filepath.Join(stored, "link.txt")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		"/presentation/" + f.RecordID + "/../../../../etc/passwd",
		"/presentation/" + f.RecordID + "/%2e%2e/%2e%2e/secret.txt",
		"/presentation/" + f.RecordID + "/link.txt",
		"/presentation/..%2f..%2fetc/passwd",
		"/presentation/" + f.RecordID + "/presentation",
		"/video/" + f.RecordID + "/metadata.xml", // a format it does not have
		"/presentation/nosuchrecording-1/metadata.xml",
	} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/", nil)
		req.URL.RawPath, req.URL.Path = "", ""
		req.URL.Opaque = p
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, res.StatusCode)
		}
	}
	if n, err := e.lib.SetState("default", []string{f.RecordID}, "unpublished"); n != 1 || err != nil {
		t.Fatal(n, err)
	}
	if res, _ := get(t, e.srv.URL+"/presentation/"+f.RecordID+"/metadata.xml"); res.StatusCode != 404 {
		t.Fatalf("unpublished: %d", res.StatusCode)
	}
	e.lib.SetState("default", []string{f.RecordID}, "published")
	if res, _ := get(t, e.srv.URL+"/presentation/"+f.RecordID+"/metadata.xml"); res.StatusCode != 200 {
		t.Fatalf("published again: %d", res.StatusCode)
	}
}

func TestPushRefusals(t *testing.T) {
	e := newEnv(t)
	f := e.folder(t, rec("presentation"))
	err := e.push(f, "wrong-secret")
	if err == nil || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("wrong secret: %v", err)
	}
	if e.lib.Has(f.RecordID) {
		t.Fatal("a push with a wrong secret was stored")
	}
	// A stream cut short, or not the one signed, stores nothing.
	var tarball bytes.Buffer
	f.WriteTar(&tarball)
	for name, body := range map[string][]byte{
		"truncated": tarball.Bytes()[:tarball.Len()/2],
		"changed":   append(bytes.Clone(tarball.Bytes()[:tarball.Len()-1]), 'x'),
	} {
		sum := strings.Repeat("0", 64)
		q := recordings.PushQuery(f.RecordID, f.Format, int64(len(body)), sum, time.Now(), bbbSecret)
		res, err := http.Post(e.srv.URL+recordings.PushPath+"?"+q, "application/x-tar", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, res.StatusCode)
		}
	}
	if e.lib.Has(f.RecordID) {
		t.Fatal("a bad upload was stored")
	}
	if vs, _ := e.fs.Versions(); len(vs) != 0 {
		t.Fatalf("a bad upload left files: %v", vs)
	}
	tmp, _ := os.ReadDir(filepath.Join(e.fs.Root(), ".tmp"))
	if len(tmp) != 0 {
		t.Fatalf("a bad upload left %d entries in .tmp", len(tmp))
	}
}

func TestRepushIsHarmless(t *testing.T) {
	e := newEnv(t)
	f := e.folder(t, rec("presentation"))
	for range 3 {
		if err := e.push(f, bbbSecret); err != nil {
			t.Fatal(err)
		}
	}
	e.lib.UpdateMeta("default", []string{f.RecordID}, map[string]string{"gl-listed": "true"})
	// A rebuilt folder (new files) replaces the old version; the metadata
	// set through tinyscale stays.
	os.WriteFile(filepath.Join(f.Dir, "captions.json"), []byte(`[{"locale":"en"}]`), 0o644)
	if err := e.push(f, bbbSecret); err != nil {
		t.Fatal(err)
	}
	if vs, _ := e.fs.Versions(); len(vs) != 1 {
		t.Fatalf("%d versions stored, want 1", len(vs))
	}
	res, body := get(t, e.srv.URL+"/presentation/"+f.RecordID+"/captions.json")
	if res.StatusCode != 200 || string(body) != `[{"locale":"en"}]` {
		t.Fatalf("rebuilt file: %d %s", res.StatusCode, body)
	}
	if r, _ := e.lib.Get("default", f.RecordID); r.Meta["gl-listed"] != "true" {
		t.Fatalf("meta after re-push: %v", r.Meta)
	}
}

func TestTenantsRecordingsStayTheirs(t *testing.T) {
	e := newEnv(t, tenant.Tenant{Name: "uni-a", Secrets: []string{"a-secret"}, Hosts: []string{"bbb.uni-a.example"}})
	r := rec("presentation")
	r.MeetingID = "uni-a~course-1"
	f := e.folder(t, r)
	if err := e.push(f, bbbSecret); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.lib.Get("default", f.RecordID); ok {
		t.Fatal("the default tenant sees uni-a's recording")
	}
	got, ok := e.lib.Get("uni-a", f.RecordID)
	if !ok || got.MeetingID != "course-1" || got.Meta["meetingId"] != "course-1" {
		t.Fatalf("uni-a's recording: %+v", got)
	}
	if x := string(got.XML(e.lib.BaseURL("uni-a"))); !strings.Contains(x, "https://bbb.uni-a.example/playback/presentation/2.3/") {
		t.Fatalf("uni-a's playback URL is not on its host: %s", x)
	}
	// Played through its own host only.
	for host, want := range map[string]int{"bbb.uni-a.example": 200, "lb.example.org": 404} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/presentation/"+f.RecordID+"/metadata.xml", nil)
		req.Host = host
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("host %s: %d, want %d", host, res.StatusCode, want)
		}
	}
}

func TestFindFilters(t *testing.T) {
	e := newEnv(t)
	for i, m := range []string{"a", "b", "a"} {
		r := rec("presentation")
		r.StartTime += int64(i) * 1000
		r.RecordID = rectest.RecordID(m+string(rune('0'+i)), r.StartTime)
		r.MeetingID = m
		r.Meta = map[string]string{"course": "math-" + m}
		if err := e.push(e.folder(t, r), bbbSecret); err != nil {
			t.Fatal(err)
		}
	}
	n := func(q recordings.Query) int { q.Tenant = "default"; return len(e.lib.Find(q)) }
	if got := n(recordings.Query{MeetingIDs: []string{"a"}}); got != 2 {
		t.Errorf("meetingID a: %d", got)
	}
	if got := n(recordings.Query{MeetingIDs: []string{"a", "b", "a"}}); got != 3 {
		t.Errorf("meetingID a,b,a: %d", got)
	}
	if got := n(recordings.Query{Meta: map[string]string{"course": "%-b"}}); got != 1 {
		t.Errorf("meta %%-b: %d", got)
	}
	all := e.lib.Find(recordings.Query{Tenant: "default"})
	if len(all) != 3 || all[0].StartTime > all[1].StartTime || all[1].StartTime > all[2].StartTime {
		t.Fatalf("order: %v", all)
	}
	if got := n(recordings.Query{RecordIDs: []string{all[1].RecordID[:10]}}); got != 1 {
		t.Errorf("recordID prefix: %d", got)
	}
	e.lib.SetState("default", []string{all[0].RecordID}, "deleted")
	if got := n(recordings.Query{}); got != 2 {
		t.Errorf("default states after a delete: %d", got)
	}
	if got := n(recordings.Query{States: []string{"deleted"}}); got != 1 {
		t.Errorf("state deleted: %d", got)
	}
	if got := n(recordings.Query{States: []string{"any"}}); got != 3 {
		t.Errorf("state any: %d", got)
	}
}
