package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tinyscale/tinyscale/admin"
	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/internal/ci"
	"github.com/tinyscale/tinyscale/internal/testredis"
)

// These tests hold the promises "a meeting lives on exactly one server"
// and "a broken server costs users nothing" against the real binary, with
// fake BBB servers on loopback made to break as real ones do. Each logs the
// figure docs/guarantees.md quotes; TINYSCALE_TEST_BINARY runs them
// against another build (main before the fix) for the "before" figure.

// placed is a servers.json entry with tags and a load limit.
type placed struct {
	Host    string   `json:"host"`
	Secret  string   `json:"secret"`
	Tags    []string `json:"tags,omitempty"`
	MaxLoad float64  `json:"max_load,omitempty"`
}

// servePlaced starts tinyscale with servers.json holding servers, the
// environment env added; it returns the process, its directory and the
// API base URL.
func servePlaced(t *testing.T, servers []placed, env ...string) (*proc, string, string) {
	t.Helper()
	dir := t.TempDir()
	data, _ := json.Marshal(servers)
	if err := os.WriteFile(filepath.Join(dir, "servers.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	p := start(t, dir, append([]string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port, "TINYSCALE_LOG_LEVEL=warn"}, env...))
	p.WaitReady(t, "http://127.0.0.1:"+port+"/healthz")
	return p, dir, "http://127.0.0.1:" + port + "/bigbluebutton/api"
}

func placedOf(f *bbbfake.Server, tags ...string) placed {
	return placed{Host: f.URL(), Secret: f.Secret(), Tags: tags}
}

// runningOn counts the fakes that run the meeting.
func runningOn(id string, fakes ...*bbbfake.Server) int {
	n := 0
	for _, f := range fakes {
		if f.HasMeeting(id) {
			n++
		}
	}
	return n
}

// TestE2ECrashAfterCreateIsNotSplit: BBB creates the meeting and crashes
// before it answers. Go's transport used to replay the create on a new
// connection, and the refused dial of that replay moved the meeting to
// another server: when the first came back, the meeting ran on two.
func TestE2ECrashAfterCreateIsNotSplit(t *testing.T) {
	a, b := fake(t, "secret-a"), fake(t, "secret-b")
	_, _, api := servePlaced(t, []placed{placedOf(a, "x"), placedOf(b)}, "TINYSCALE_POLL_INTERVAL=1h")
	// A call that answers leaves a kept-alive connection to a: the create
	// goes over it, as creates do in production.
	getOK(t, signed(api, "getMeetings", url.Values{}, clientSecret))
	a.SetCallMode(bbb.CallCreate, bbbfake.ModeCrashAfter)
	create := url.Values{"meetingID": {"crash"}, "name": {"Crash"}, "meta_server-tag": {"x"}}
	_, _, body := get(t, signed(api, "create", create, clientSecret))
	if err := a.Restart(); err != nil {
		t.Fatal(err)
	}
	t.Logf("answer to the create: %.200s", body)
	if !a.HasMeeting("crash") {
		t.Fatal("a did not create the meeting: the test proves nothing")
	}
	if b.HasMeeting("crash") {
		t.Fatalf("the meeting runs on both servers after a crash that followed its create")
	}
	// The client's retry goes to a, where the meeting is.
	getOK(t, signed(api, "create", create, clientSecret))
	if n := runningOn("crash", a, b); n != 1 {
		t.Errorf("after the retry the meeting runs on %d servers", n)
	}
}

// TestE2ETimedOutCreateKeepsItsServer: a create whose server took too long
// may have created the meeting; the retry goes to the same server, where
// the meeting is, even when a fresh placement would choose another.
func TestE2ETimedOutCreateKeepsItsServer(t *testing.T) {
	t.Parallel()
	a, b := fake(t, "secret-a"), fake(t, "secret-b")
	_, _, api := servePlaced(t, []placed{placedOf(a, "x"), placedOf(b)},
		"TINYSCALE_POLL_INTERVAL=1h", "TINYSCALE_REQUEST_TIMEOUT=1s", "TINYSCALE_CREATE_TIMEOUT=1s")
	a.SetCallMode(bbb.CallCreate, bbbfake.ModeHangAfter)
	_, _, body := get(t, signed(api, "create", url.Values{"meetingID": {"slow"}, "name": {"Slow"}, "meta_server-tag": {"x"}}, clientSecret))
	t.Logf("answer to the timed-out create: %.200s", body)
	a.SetCallMode(bbb.CallCreate, bbbfake.ModeNormal)
	// Without the tag a fresh placement prefers untagged b.
	_, _, body = get(t, signed(api, "create", url.Values{"meetingID": {"slow"}, "name": {"Slow"}}, clientSecret))
	if n := runningOn("slow", a, b); n != 1 {
		t.Fatalf("the meeting runs on %d servers after a timed-out create and its retry (%.200s)", n, body)
	}
	if !a.HasMeeting("slow") {
		t.Error("the meeting left the server that created it")
	}
}

// TestE2EFailingCreatesDoNotAttractMeetings: one of three servers answers
// every create with an error page while its polls succeed. Before passive
// health, 28 of 30 creates failed: a failed create adds no load, so the
// broken server always looked the least loaded.
func TestE2EFailingCreatesDoNotAttractMeetings(t *testing.T) {
	fakes := []*bbbfake.Server{fake(t, "secret-a"), fake(t, "secret-b"), fake(t, "secret-c")}
	fakes[0].SetCallMode(bbb.CallCreate, bbbfake.ModeHTTPError)
	_, _, api := servePlaced(t, []placed{placedOf(fakes[0]), placedOf(fakes[1]), placedOf(fakes[2])}, "TINYSCALE_POLL_INTERVAL=200ms")
	failed := 0
	for i := range 30 {
		r := tryCall(api, "create", url.Values{"meetingID": {fmt.Sprintf("f%d", i)}, "name": {"Meeting"}})
		if r == nil || !r.OK() {
			failed++
		}
		time.Sleep(20 * time.Millisecond) // polls go on meanwhile
	}
	t.Logf("creates failed with 1 of 3 servers failing its creates: %d/30", failed)
	if failed > 0 {
		t.Errorf("%d of 30 creates failed, want 0", failed)
	}
}

// TestE2EHangingServerCostsOneCreate: a server that accepts connections and
// never answers creates (its polls still answer) costs the first create
// the create timeout; the next ones go to the healthy server at once.
// Before, each create sent there waited the whole request timeout.
func TestE2EHangingServerCostsOneCreate(t *testing.T) {
	t.Parallel()
	bad, good := fake(t, "secret-a"), fake(t, "secret-b")
	bad.SetCallMode(bbb.CallCreate, bbbfake.ModeHang)
	// The default create timeout is 5s; 2s keeps the test short.
	_, _, api := servePlaced(t, []placed{placedOf(bad), placedOf(good)}, "TINYSCALE_POLL_INTERVAL=1h", "TINYSCALE_CREATE_TIMEOUT=2s")
	var slowest, total time.Duration
	failed := 0
	for i := range 6 {
		start := time.Now()
		r := tryCall(api, "create", url.Values{"meetingID": {fmt.Sprintf("h%d", i)}, "name": {"Meeting"}})
		d := time.Since(start)
		slowest, total = max(slowest, d), total+d
		if r == nil || !r.OK() {
			failed++
		}
	}
	t.Logf("6 creates with one server hanging: %d failed, slowest %v, all %v", failed, slowest.Round(10*time.Millisecond), total.Round(10*time.Millisecond))
	if failed > 1 || slowest > 4*time.Second {
		t.Errorf("%d creates failed, the slowest took %v; want at most 1 and the create timeout", failed, slowest)
	}
}

// TestE2EMaxMeetingsUnderConcurrency: a tenant's max_meetings holds for 40
// creates at once (all 40 ran before).
func TestE2EMaxMeetingsUnderConcurrency(t *testing.T) {
	a, b := fake(t, "secret-a"), fake(t, "secret-b")
	dir := writeServers(t, entry(a), entry(b))
	writeTenants(t, dir, `[{"name": "uni-a", "secrets": ["`+fileTenantSecret+`"], "max_meetings": 5}]`)
	_, root := serveTenants(t, dir)
	api := root + "/t/uni-a/bigbluebutton/api"
	var ok atomic.Int32
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := noRedirects.Get(signed(api, "create", url.Values{"meetingID": {fmt.Sprintf("c%d", i)}, "name": {"Meeting"}}, fileTenantSecret))
			if err != nil {
				return
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if strings.Contains(string(body), "<returncode>SUCCESS</returncode>") {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	running := len(a.Meetings()) + len(b.Meetings())
	t.Logf("40 concurrent creates with max_meetings 5: %d succeeded, %d run", ok.Load(), running)
	if ok.Load() != 5 || running != 5 {
		t.Errorf("%d creates succeeded and %d meetings run, want 5", ok.Load(), running)
	}
}

// TestE2ESizeHintIsCapped: one create with meta_bbb-meeting-size-hint=9e18
// made every server look full for the ramp (15 minutes).
func TestE2ESizeHintIsCapped(t *testing.T) {
	a := fake(t, "secret-a")
	srv := placedOf(a)
	srv.MaxLoad = 1000
	_, _, api := servePlaced(t, []placed{srv}, "TINYSCALE_POLL_INTERVAL=200ms")
	getOK(t, signed(api, "create", url.Values{"meetingID": {"huge"}, "name": {"Huge"}, "meta_bbb-meeting-size-hint": {"9000000000000000000"}}, clientSecret))
	time.Sleep(500 * time.Millisecond) // a poll reads the hint back from BBB
	r := tryCall(api, "create", url.Values{"meetingID": {"next"}, "name": {"Next"}})
	if r == nil || !r.OK() {
		t.Fatalf("after one create with a huge size hint the next one fails: %+v", r)
	}
	if info, _ := a.Meeting("huge"); info.Params.Get("meta_bbb-meeting-size-hint") != "500" {
		t.Errorf("BBB got size hint %q, want it capped to 500", info.Params.Get("meta_bbb-meeting-size-hint"))
	}
}

// hugeBackend is a BBB server whose getMeetings answers, once armed, a
// valid document of about size bytes without a Content-Length.
func hugeBackend(t *testing.T, size int64) (*httptest.Server, *atomic.Bool) {
	var armed atomic.Bool
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		if !armed.Load() || !strings.HasSuffix(r.URL.Path, "/getMeetings") {
			io.WriteString(w, "<response><returncode>SUCCESS</returncode><meetings/></response>")
			return
		}
		io.WriteString(w, "<response><returncode>SUCCESS</returncode><meetings>")
		chunk := []byte(strings.Repeat("<meeting><meetingID>x</meetingID></meeting>", 1<<14))
		for n := int64(0); n < size; n += int64(len(chunk)) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		io.WriteString(w, "</meetings></response>")
	}))
	t.Cleanup(s.Close)
	return s, &armed
}

// peakRSSKB reads a process's peak resident memory from /proc.
func peakRSSKB(t *testing.T, pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		ci.Skip(t, "no /proc: "+err.Error())
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

// TestE2EBackendMemoryIsBounded: eight getMeetings at once, each fanning
// out to a server that answers 100 MB, took tinyscale to 1.19 GB. The
// answers share one memory budget now. Under the race detector (CI's
// command) the answers are smaller and so is the budget, which keeps the
// run short and the figure as telling: without the budget the eight
// answers alone would be 256 MB.
func TestE2EBackendMemoryIsBounded(t *testing.T) {
	size, budget := int64(100<<20), int64(128<<20)
	if raceEnabled {
		size, budget = 32<<20, 8<<20
	}
	huge, armed := hugeBackend(t, size)
	good := fake(t, "secret-b")
	p, _, api := servePlaced(t, []placed{{Host: huge.URL + "/bigbluebutton/api", Secret: "x"}, placedOf(good)},
		"TINYSCALE_POLL_INTERVAL=1h", "TINYSCALE_BACKEND_MEMORY="+strconv.FormatInt(budget>>20, 10)+"MiB")
	before := peakRSSKB(t, p.Cmd.Process.Pid)
	armed.Store(true)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := tryCall(api, "getMeetings", url.Values{}); r == nil {
				t.Error("getMeetings gave no BBB answer")
			}
		}()
	}
	wg.Wait()
	peak := peakRSSKB(t, p.Cmd.Process.Pid)
	rise := int64(peak-before) << 10
	t.Logf("peak RSS with 8 concurrent %d MB getMeetings answers and a %d MB budget: %d MB (at start %d MB, race detector %v)",
		size>>20, budget>>20, peak>>10, before>>10, raceEnabled)
	limit := 2*budget + size
	if raceEnabled {
		limit = 4 * size // the detector's shadow memory multiplies what is held; 8 answers held would be far above
	}
	if rise > limit {
		t.Errorf("RSS rose %d MB, want at most %d MB", rise>>20, limit>>20)
	}
}

// TestE2ERedisRestoredFromOlderSnapshot: Redis comes back from a snapshot
// older than the last placement. The placement is gone, the meeting still
// runs; a create of it must go where it runs, not be placed anew.
func TestE2ERedisRestoredFromOlderSnapshot(t *testing.T) {
	dir := t.TempDir()
	rs, err := testredis.Launch(0, dir)
	if err != nil {
		testredis.Missing(t, err.Error())
	}
	t.Cleanup(func() { rs.Stop() })
	a, b := fake(t, "secret-a"), fake(t, "secret-b")
	_, _, api := servePlaced(t, []placed{placedOf(a, "x"), placedOf(b)},
		"TINYSCALE_POLL_INTERVAL=1h", "TINYSCALE_REDIS_URL="+rs.URL())
	getOK(t, signed(api, "create", url.Values{"meetingID": {"old"}, "name": {"Old"}, "meta_server-tag": {"x"}}, clientSecret))
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(rs.Port)})
	if err := rc.Save(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	getOK(t, signed(api, "create", url.Values{"meetingID": {"recent"}, "name": {"Recent"}, "meta_server-tag": {"x"}}, clientSecret))
	if !a.HasMeeting("recent") {
		t.Fatal("recent is not on a")
	}
	rs.Stop() // kill -9: the snapshot on disk lacks "recent"
	if rs, err = testredis.Launch(rs.Port, dir); err != nil {
		t.Fatal(err)
	}
	// The retry without the tag: a fresh placement prefers untagged b.
	var r *bbb.Reply
	waitFor(t, "a create once Redis is back", func() bool {
		r = tryCall(api, "create", url.Values{"meetingID": {"recent"}, "name": {"Recent"}})
		return r != nil && r.MessageKey != "internalError"
	})
	if b.HasMeeting("recent") {
		t.Fatalf("the meeting was placed anew after Redis lost its placement: it runs on both servers (%s)", r.MessageKey)
	}
}

// TestE2ETruncatedStateFile: a tinyscale.db cut short (a full disk, a
// copy interrupted) made serve crash with a bus error. It now exits with
// a message naming the file and the fix.
func TestE2ETruncatedStateFile(t *testing.T) {
	a := fake(t, "secret-a")
	dir := writeServers(t, entry(a))
	port := freePort(t)
	env := []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port, "TINYSCALE_POLL_INTERVAL=1h"}
	p := start(t, dir, env)
	p.WaitReady(t, "http://127.0.0.1:"+port+"/healthz")
	for i := range 50 {
		getOK(t, signed("http://127.0.0.1:"+port+"/bigbluebutton/api", "create", url.Values{"meetingID": {fmt.Sprintf("t%d", i)}, "name": {"Meeting"}}, clientSecret))
	}
	stop(t, p, 15) // SIGTERM
	db := filepath.Join(dir, "tinyscale.db")
	data, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db, data[:len(data)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := runToExit(t, dir, env)
	t.Logf("exit %d: %s", code, strings.TrimSpace(out))
	if code == 0 || strings.Contains(out, "goroutine ") || strings.Contains(out, "SIGBUS") {
		t.Fatalf("a truncated state file: exit code %d, a crash instead of a message:\n%.2000s", code, out)
	}
	for _, w := range []string{db, "mv "} {
		if !strings.Contains(out, w) {
			t.Errorf("the message does not say %q:\n%s", w, out)
		}
	}
}

// TestE2EFullDiskFailsCreatesCleanly: the state file on a filesystem that
// fills up (a 1 MiB tmpfs). Creates answer a BBB
// internalError within the state timeout, nothing crashes or hangs, and
// creates work again once there is room.
func TestE2EFullDiskFailsCreatesCleanly(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1M", "tmpfs", mnt).CombinedOutput(); err != nil {
		ci.Skip(t, "cannot mount a tmpfs (needs root): "+strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	a := fake(t, "secret-a")
	_, _, api := servePlaced(t, []placed{placedOf(a)}, "TINYSCALE_POLL_INTERVAL=1h", "TINYSCALE_DATA="+mnt, "TINYSCALE_STATE_TIMEOUT=1s")
	getOK(t, signed(api, "create", url.Values{"meetingID": {"before-full"}, "name": {"Meeting"}}, clientSecret))
	filler := filepath.Join(mnt, "filler")
	exec.Command("dd", "if=/dev/zero", "of="+filler, "bs=64k").Run() // until the disk is full
	failed := 0
	var slowest time.Duration
	for i := range 40 {
		start := time.Now()
		r := tryCall(api, "create", url.Values{"meetingID": {fmt.Sprintf("full-%d", i)}, "name": {"Meeting"}})
		slowest = max(slowest, time.Since(start))
		switch {
		case r == nil:
			t.Fatalf("create %d on a full disk: no BBB answer (tinyscale crashed?)", i)
		case !r.OK():
			failed++
			if r.MessageKey != "internalError" {
				t.Errorf("create on a full disk: %s %s", r.MessageKey, r.Message)
			}
		}
	}
	t.Logf("40 creates on a full disk: %d failed with internalError, slowest %v", failed, slowest.Round(time.Millisecond))
	if failed == 0 {
		t.Log("bbolt found room in its pages for every placement: the disk was not full for it")
	}
	if slowest > 3*time.Second {
		t.Errorf("a create on a full disk took %v", slowest)
	}
	os.Remove(filler)
	if r := tryCall(api, "create", url.Values{"meetingID": {"after-full"}, "name": {"Meeting"}}); r == nil || !r.OK() {
		t.Errorf("create once the disk has room again: %+v", r)
	}
}

// TestE2ETwoInstancesShareReservations: two instances on one Redis, no
// poll between the creates. A big meeting created through instance A is
// counted by instance B at once, so B's burst goes to the other server;
// if B ignored A's reservations it would spread its burst over both.
func TestE2ETwoInstancesShareReservations(t *testing.T) {
	rs := testredis.Start(t)
	fakes := []*bbbfake.Server{fake(t, "secret-a"), fake(t, "secret-b")}
	dir := writeServers(t, entry(fakes[0]), entry(fakes[1]))
	var roots []string
	for range 2 {
		port := freePort(t)
		p := start(t, dir, []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port, "TINYSCALE_REDIS_URL=" + rs.URL(),
			"TINYSCALE_POLL_INTERVAL=1h", "TINYSCALE_LOG_LEVEL=warn", "TINYSCALE_ADMIN_TOKEN=" + adminToken})
		p.WaitReady(t, "http://127.0.0.1:"+port+"/readyz")
		roots = append(roots, "http://127.0.0.1:"+port)
	}
	getOK(t, signed(roots[0]+"/bigbluebutton/api", "create", url.Values{"meetingID": {"big"}, "name": {"Big"}, "meta_bbb-meeting-size-hint": {"200"}}, clientSecret))
	big := holderOf(fakes, "big")
	waitFor(t, "instance B to count A's reservation", func() bool {
		var list admin.ServerList
		adminCall(t, roots[1], "GET", "servers", &list)
		for _, s := range list.Servers {
			if s.ID == big.Addr() && s.Pending > 0 {
				return true
			}
		}
		return false
	})
	for i := range 5 {
		getOK(t, signed(roots[1]+"/bigbluebutton/api", "create", url.Values{"meetingID": {fmt.Sprintf("burst-%d", i)}, "name": {"Burst"}}, clientSecret))
		if big.HasMeeting(fmt.Sprintf("burst-%d", i)) {
			t.Errorf("burst-%d went to the server A had just given a 200-seat meeting: B did not count A's reservation", i)
		}
	}
}
