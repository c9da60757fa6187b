package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/internal/ci"
	"github.com/tinyscale/tinyscale/internal/testproc"
	"github.com/tinyscale/tinyscale/internal/testredis"
	"github.com/tinyscale/tinyscale/recordings"
	"github.com/tinyscale/tinyscale/recordings/rectest"
)

// recServe starts tinyscale with its recording store in storeDir, in dir
// (servers.json, the state file), and returns it and its root URL.
func recServe(t *testing.T, dir, storeDir, port string) (*proc, string) {
	t.Helper()
	root := "http://127.0.0.1:" + port
	p := start(t, dir, []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port, "TINYSCALE_URL=" + root,
		"TINYSCALE_RECORDINGS=" + storeDir, "TINYSCALE_ADMIN_TOKEN=" + adminToken, "TINYSCALE_POLL_INTERVAL=100ms"})
	p.WaitReady(t, root+"/healthz")
	return p, root
}

// runCLI runs the binary with env and returns its exit code and output.
func runCLI(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(testproc.BaseEnv(), env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func listedIDs(t *testing.T, root, meetingID string) []string {
	t.Helper()
	_, _, body := get(t, signed(root+"/bigbluebutton/api", "getRecordings", url.Values{"meetingID": {meetingID}}, clientSecret))
	r, err := bbb.ParseReply([]byte(body), &bbb.ListSpec{List: "recordings", Item: "recording", Fields: []string{"recordID"}})
	if err != nil || !r.OK() {
		t.Fatalf("getRecordings: %v %s", err, body)
	}
	var ids []string
	for _, it := range r.Items {
		ids = append(ids, it.Fields[0])
	}
	return ids
}

func e2eRec(meeting string, media int64) rectest.Recording {
	start := time.Now().Add(-time.Hour).UnixMilli()
	return rectest.Recording{RecordID: rectest.RecordID(meeting, start), MeetingID: meeting, Name: "Room " + meeting,
		StartTime: start, Meta: map[string]string{"gl-listed": "true"}, MediaSize: media}
}

// TestRecordingsPushedPlayedAfterTheirServerIsGone is the store's whole
// path through the real binary: a BBB server's post_publish command pushes
// a presentation and a video folder; a wrong secret is refused; a re-push
// is harmless; the recording is listed once although its server lists it
// too; the server is removed from servers.json (SIGHUP), and the recording
// is still listed and its files still play, with Range.
func TestRecordingsPushedPlayedAfterTheirServerIsGone(t *testing.T) {
	a, b := fake(t, "secret-a"), fake(t, "secret-b")
	dir, store := writeServers(t, entry(a), entry(b)), t.TempDir()
	p, root := recServe(t, dir, store, freePort(t))
	r := e2eRec("room-1", 256<<10)
	published := t.TempDir()
	pres, _ := (func() rectest.Recording { x := r; x.Format = "presentation"; return x })().Write(published)
	video, _ := (func() rectest.Recording { x := r; x.Format = "video"; return x })().Write(published)
	env := []string{"TINYSCALE_URL=" + root}

	if code, out := runCLI(t, append(env, "BBB_SECRET=wrong"), "recordings", "push", "--deadline", "5s", pres); code == 0 || !strings.Contains(out, "secret") {
		t.Fatalf("push with a wrong secret: exit %d: %s", code, out)
	}
	if ids := listedIDs(t, root, "room-1"); len(ids) != 0 {
		t.Fatalf("a refused push is listed: %v", ids)
	}
	// The secret from bbb-web's properties, as on a BBB server.
	props := filepath.Join(t.TempDir(), "bbb-web.properties")
	os.WriteFile(props, []byte("# bbb-web\nsecuritySalt=secret-a\nserverURL=https://bbb1.example.org\n"), 0o644)
	for range 2 {
		code, out := runCLI(t, env, "recordings", "push", "--properties", props, pres, video)
		if code != 0 || strings.Count(out, "stored "+r.RecordID) != 2 {
			t.Fatalf("push: exit %d: %s", code, out)
		}
	}
	a.AddRecording(bbbfake.Recording{RecordID: r.RecordID, MeetingID: "room-1", Name: "Room room-1", State: "published", StartTime: r.StartTime})
	if ids := listedIDs(t, root, "room-1"); !slices.Equal(ids, []string{r.RecordID}) {
		t.Fatalf("listed %v, want the recording once", ids)
	}

	// The origin goes.
	data, _ := json.Marshal([]serverEntry{entry(b)})
	rewriteServers(t, dir, data)
	p.Cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "a gone after SIGHUP", func() bool { return !slices.Contains(serverIDs(t, root), a.Addr()) })
	a.Close()
	if ids := listedIDs(t, root, "room-1"); !slices.Equal(ids, []string{r.RecordID}) {
		t.Fatalf("after its server left: %v", ids)
	}
	want, _ := os.ReadFile(filepath.Join(video, "video-0.m4v"))
	req, _ := http.NewRequest("GET", root+"/video/"+r.RecordID+"/video-0.m4v", nil)
	req.Header.Set("Range", "bytes=100-")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusPartialContent || !bytes.Equal(got, want[100:]) {
		t.Fatalf("Range after the server left: %d, %d bytes", res.StatusCode, len(got))
	}
	_, _, body := get(t, root+"/presentation/"+r.RecordID+"/shapes.svg")
	if wantSVG, _ := os.ReadFile(filepath.Join(pres, "shapes.svg")); body != string(wantSVG) {
		t.Fatal("shapes.svg is not byte-identical")
	}
	// A's secret is no longer one of tinyscale's servers'.
	if code, out := runCLI(t, append(env, "BBB_SECRET=secret-a"), "recordings", "push", "--deadline", "5s", pres); code == 0 {
		t.Fatalf("push with a removed server's secret: exit 0: %s", out)
	}
	admin := []string{"TINYSCALE_ADMIN_URL=" + root, "TINYSCALE_ADMIN_TOKEN=" + adminToken}
	if code, out := runCLI(t, admin, "recordings", "list"); code != 0 || !strings.Contains(out, r.RecordID) || !strings.Contains(out, "presentation,video") {
		t.Fatalf("recordings list: exit %d: %s", code, out)
	}
	if code, out := runCLI(t, admin, "recordings", "delete", r.RecordID, "--yes"); code != 0 {
		t.Fatalf("recordings delete: exit %d: %s", code, out)
	}
	if ids := listedIDs(t, root, "room-1"); len(ids) != 0 {
		t.Fatalf("deleted for good, still listed: %v", ids)
	}
	if strings.Contains(p.Output.String(), "secret-a") {
		t.Error("the log shows a secret")
	}
}

// TestRecordingsUploadKilled kills tinyscale (kill -9) in the middle of an
// upload: after a restart nothing of it is listed or playable, and the
// push then stores it whole.
func TestRecordingsUploadKilled(t *testing.T) {
	a := fake(t, "secret-a")
	dir, store, port := writeServers(t, entry(a)), t.TempDir(), freePort(t)
	p, root := recServe(t, dir, store, port)
	r := e2eRec("room-k", 8<<20)
	r.Format = "presentation"
	folder, _ := r.Write(t.TempDir())
	f, err := recordings.ReadFolder(folder)
	if err != nil {
		t.Fatal(err)
	}
	var tarball bytes.Buffer
	f.WriteTar(&tarball)
	sum := sha256.Sum256(tarball.Bytes())
	q := recordings.PushQuery(f.RecordID, f.Format, int64(tarball.Len()), hex.EncodeToString(sum[:]), time.Now(), "secret-a")
	pr, pw := io.Pipe()
	go func() {
		pw.Write(tarball.Bytes()[:tarball.Len()/2])
		// The rest never comes: tinyscale dies first.
	}()
	req, _ := http.NewRequest("POST", root+recordings.PushPath+"?"+q, pr)
	req.ContentLength = int64(tarball.Len())
	go http.DefaultClient.Do(req)
	waitFor(t, "the upload under way", func() bool {
		es, _ := os.ReadDir(filepath.Join(store, ".tmp"))
		return len(es) > 0
	})
	p.Cmd.Process.Kill()
	p.Wait(t)
	pw.CloseWithError(io.ErrClosedPipe)

	p, root = recServe(t, dir, store, port)
	if ids := listedIDs(t, root, "room-k"); len(ids) != 0 {
		t.Fatalf("a killed upload is listed: %v", ids)
	}
	if status, _, _ := get(t, root+"/presentation/"+r.RecordID+"/metadata.xml"); status != http.StatusNotFound {
		t.Fatalf("a killed upload plays: %d", status)
	}
	if code, out := runCLI(t, []string{"TINYSCALE_URL=" + root, "BBB_SECRET=secret-a"}, "recordings", "push", folder); code != 0 {
		t.Fatalf("push after the restart: exit %d: %s", code, out)
	}
	if ids := listedIDs(t, root, "room-k"); !slices.Equal(ids, []string{r.RecordID}) {
		t.Fatalf("after the push: %v", ids)
	}
	stop(t, p, syscall.SIGTERM)
}

// TestRecordingsDiskFull stores into a small tmpfs: a push that does not
// fit fails with a clear message and loses nothing stored before.
func TestRecordingsDiskFull(t *testing.T) {
	store := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", store).CombinedOutput(); err != nil {
		ci.Skip(t, "mounting a tmpfs needs root: "+strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", store).Run() })
	a := fake(t, "secret-a")
	_, root := recServe(t, writeServers(t, entry(a)), store, freePort(t))
	env := []string{"TINYSCALE_URL=" + root, "BBB_SECRET=secret-a"}
	small, big := e2eRec("room-s", 512<<10), e2eRec("room-b", 4<<20)
	small.Format, big.Format = "video", "video"
	smallDir, _ := small.Write(t.TempDir())
	bigDir, _ := big.Write(t.TempDir())
	if code, out := runCLI(t, env, "recordings", "push", smallDir); code != 0 {
		t.Fatalf("push of a recording that fits: exit %d: %s", code, out)
	}
	code, out := runCLI(t, env, "recordings", "push", "--deadline", "3s", bigDir)
	if code == 0 || !strings.Contains(out, "full") {
		t.Fatalf("push into a full disk: exit %d: %s", code, out)
	}
	if ids := listedIDs(t, root, "room-b"); len(ids) != 0 {
		t.Fatalf("the recording that did not fit is listed: %v", ids)
	}
	want, _ := os.ReadFile(filepath.Join(smallDir, "video-0.m4v"))
	_, _, body := get(t, root+"/video/"+small.RecordID+"/video-0.m4v")
	if body != string(want) {
		t.Fatal("the recording stored before the disk filled is damaged")
	}
	if es, _ := os.ReadDir(filepath.Join(store, ".tmp")); len(es) != 0 {
		t.Fatalf("the failed upload left %d entries behind", len(es))
	}
}

// TestRecordingReadyWaitsForTheStore: with the store on, the integration's
// recording-ready callback is delivered once the recording is stored in
// tinyscale, re-signed with the integration's secret, not when the BBB
// server sends it (before its post_publish push).
func TestRecordingReadyWaitsForTheStore(t *testing.T) {
	type arrival struct{ body string }
	got := make(chan arrival, 4)
	lms := httptestServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- arrival{string(b)}
	})
	f := fake(t, "backend-secret")
	p, root := recServe(t, writeServers(t, entry(f)), t.TempDir(), freePort(t))
	api := root + "/bigbluebutton/api"
	getOK(t, signed(api, "create", url.Values{"meetingID": {"lecture"}, "name": {"Lecture"},
		"meta_bbb-recording-ready-url": {lms + "/recording_ready"}}, clientSecret))
	info, _ := f.Meeting("lecture")
	f.AddRecording(bbbfake.Recording{RecordID: info.InternalID, MeetingID: "lecture", Name: "Lecture", Published: true, Metadata: info.Metadata})
	if status, err := f.RecordingReady(info.InternalID); err != nil || status != 200 {
		t.Fatalf("recording ready: %d %v", status, err)
	}
	// The relay held it before it answered the BBB server.
	waitFor(t, "the callback held for the store", func() bool {
		return strings.Contains(p.Output.String(), "recording-ready callback waits for its recording")
	})
	r := e2eRec("lecture", 64<<10)
	r.RecordID, r.Format = info.InternalID, "presentation"
	folder, _ := r.Write(t.TempDir())
	if code, out := runCLI(t, []string{"TINYSCALE_URL=" + root, "BBB_SECRET=backend-secret"}, "recordings", "push", folder); code != 0 {
		t.Fatalf("push: exit %d: %s", code, out)
	}
	var a arrival
	select {
	case a = <-got:
	case <-time.After(testproc.ReadyWait):
		t.Fatal("no recording-ready callback after the recording was stored")
	}
	form, _ := url.ParseQuery(a.body)
	cl := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(form.Get("signed_parameters"), cl, func(*jwt.Token) (any, error) { return []byte(clientSecret), nil },
		jwt.WithValidMethods([]string{"HS256"})); err != nil || cl["record_id"] != info.InternalID {
		t.Fatalf("recording-ready JWT: %v %v", cl, err)
	}
	select {
	case extra := <-got:
		t.Fatalf("a second callback: %s", extra.body)
	default:
	}
}

func httptestServer(t *testing.T, h http.HandlerFunc) string {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

// TestRecordingsSharedByInstances: two instances sharing Redis and the
// store's directory. A recording pushed to one is listed and played by
// the other at once, and a publish through one shows through the other.
func TestRecordingsSharedByInstances(t *testing.T) {
	rs := testredis.Start(t)
	a := fake(t, "secret-a")
	dir, store := writeServers(t, entry(a)), t.TempDir()
	var roots []string
	for range 2 {
		port := freePort(t)
		root := "http://127.0.0.1:" + port
		p := start(t, dir, []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port, "TINYSCALE_URL=" + root,
			"TINYSCALE_RECORDINGS=" + store, "TINYSCALE_REDIS_URL=" + rs.URL(), "TINYSCALE_LOG_LEVEL=warn"})
		p.WaitReady(t, root+"/healthz")
		roots = append(roots, root)
	}
	r := e2eRec("room-shared", 128<<10)
	r.Format = "video"
	folder, _ := r.Write(t.TempDir())
	if code, out := runCLI(t, []string{"TINYSCALE_URL=" + roots[0], "BBB_SECRET=secret-a"}, "recordings", "push", folder); code != 0 {
		t.Fatalf("push to the first instance: exit %d: %s", code, out)
	}
	if ids := listedIDs(t, roots[1], "room-shared"); !slices.Equal(ids, []string{r.RecordID}) {
		t.Fatalf("the second instance lists %v", ids)
	}
	want, _ := os.ReadFile(filepath.Join(folder, "video-0.m4v"))
	if _, _, body := get(t, roots[1]+"/video/"+r.RecordID+"/video-0.m4v"); body != string(want) {
		t.Fatal("the second instance does not play the file pushed to the first")
	}
	getOK(t, signed(roots[1]+"/bigbluebutton/api", "publishRecordings", url.Values{"recordID": {r.RecordID}, "publish": {"false"}}, clientSecret))
	if status, _, _ := get(t, roots[0]+"/video/"+r.RecordID+"/video-0.m4v"); status != http.StatusNotFound {
		t.Fatalf("unpublished through the second, the first still plays it: %d", status)
	}
}
