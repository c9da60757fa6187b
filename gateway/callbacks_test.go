package gateway_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/callback"
	"github.com/tinyscale/tinyscale/deliver"
	"github.com/tinyscale/tinyscale/gateway"
	"github.com/tinyscale/tinyscale/state"
)

// integration is a fake Greenlight/Moodle receiving callbacks.
type integration struct {
	srv      *httptest.Server
	mu       sync.Mutex
	got      []received
	statuses []int // answers to give, in order; 200 after
}

type received struct {
	Method, Path, RawQuery, Auth string
	Body                         []byte
}

func newIntegration(t *testing.T, statuses ...int) *integration {
	in := &integration{statuses: statuses}
	in.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		in.mu.Lock()
		in.got = append(in.got, received{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), body})
		status := 200
		if len(in.statuses) > 0 {
			status, in.statuses = in.statuses[0], in.statuses[1:]
		}
		in.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(in.srv.Close)
	return in
}

// wait returns the requests received on path once there are n of them.
func (in *integration) wait(t *testing.T, path string, n int) []received {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		in.mu.Lock()
		var out []received
		for _, r := range in.got {
			if r.Path == path {
				out = append(out, r)
			}
		}
		in.mu.Unlock()
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d callbacks, want %d", path, len(out), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// withCallbacks turns on the relay with TINYSCALE_URL = the cluster's URL.
func withCallbacks(c *cluster) *deliver.Queue {
	signer := callback.NewSigner(testSecret)
	d := deliver.New(state.NewMemory(), deliver.Options{})
	d.Start()
	c.t.Cleanup(d.Close)
	c.other = &callback.Relay{
		Signer: signer,
		ClientSecret: func(name string) (string, bool) {
			if c.cfg.Tenants != nil {
				if t := c.cfg.Tenants.Get(name); t != nil {
					return t.Secrets[0], true
				}
				return "", false
			}
			return testSecret, name == "default"
		},
		ServerSecret: func(id string) (string, bool) {
			if s := c.pool.Get(id); s != nil {
				return s.Client.Secret, true
			}
			return "", false
		},
		OnEnded:  c.gw.MeetingEnded,
		Queue:    d,
		Schedule: fastSchedule,
		Log:      slog.New(slog.DiscardHandler),
	}
	c.reconfigure(func(cfg *gateway.Config) {
		cfg.Callbacks = &callback.Rewriter{Base: c.srv.URL, Signer: signer}
	})
	c.other.(*callback.Relay).OnEnded = c.gw.MeetingEnded
	return d
}

// fastSchedule is BBB's five attempts without its waits.
var fastSchedule = []time.Duration{0, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}

func TestCallbacksRelayedAndResigned(t *testing.T) {
	c := newCluster(t, 2)
	withCallbacks(c)
	gl := newIntegration(t)
	params := url.Values{
		"meetingID": {"cb-room"}, "name": {"Callbacks"},
		"meta_endCallbackUrl":          {gl.srv.URL + "/meeting_ended?token=nextcloud-hmac"},
		"meta_bbb-recording-ready-url": {gl.srv.URL + "/recording_ready"},
		"meta_analytics-callback-url":  {gl.srv.URL + "/analytics"},
	}
	r := c.call("create", params)
	wantKey(t, r, bbb.Success, "")
	holder := c.holder("cb-room")

	// The BBB server was given relay URLs, never the integration's.
	info, _ := holder.Meeting("cb-room")
	for k, v := range info.Metadata {
		if strings.Contains(v, gl.srv.URL) {
			t.Fatalf("metadata %s reached the BBB server unchanged: %s", k, v)
		}
	}
	// The integration sees its own URLs in metadata.
	_, body := c.get(signed("getMeetingInfo", url.Values{"meetingID": {"cb-room"}}))
	if !strings.Contains(body, "<endcallbackurl>"+bbb.Escape(gl.srv.URL+"/meeting_ended?token=nextcloud-hmac")+"</endcallbackurl>") ||
		strings.Contains(body, "/tinyscale/callback/") {
		t.Fatalf("getMeetingInfo metadata not restored: %s", body)
	}
	_, body = c.get(signed("getMeetings", nil))
	if strings.Contains(body, "/tinyscale/callback/") {
		t.Fatalf("getMeetings shows relay URLs: %s", body)
	}

	// Analytics: BBB signs with its own secret; the integration gets a
	// Bearer JWT (HS512) that verifies with the secret it knows, and the
	// JSON byte for byte.
	status, sent, err := holder.Analytics("cb-room")
	if err != nil || status != 200 {
		t.Fatalf("analytics: %d %v", status, err)
	}
	ana := gl.wait(t, "/analytics", 1)[0]
	if string(ana.Body) != string(sent) {
		t.Fatal("analytics JSON changed on the way")
	}
	verifyJWT(t, strings.TrimPrefix(ana.Auth, "Bearer "), "HS512")

	// Recording ready: the JWT is signed again with the client secret.
	holder.AddRecording(recordingOf(info))
	status, err = holder.RecordingReady(info.InternalID)
	if err != nil || status != 200 {
		t.Fatalf("recording ready: %d %v", status, err)
	}
	rr := gl.wait(t, "/recording_ready", 1)[0]
	form, _ := url.ParseQuery(string(rr.Body))
	cl := verifyJWT(t, form.Get("signed_parameters"), "HS256")
	if cl["meeting_id"] != "cb-room" || cl["record_id"] != info.InternalID {
		t.Fatalf("recording-ready claims %v", cl)
	}
	_, body = c.get(signed("getRecordings", url.Values{"meetingID": {"cb-room"}}))
	if strings.Contains(body, "/tinyscale/callback/") || !strings.Contains(body, gl.srv.URL+"/recording_ready") {
		t.Fatalf("getRecordings metadata not restored: %s", body)
	}

	// End: the integration's GET gets BBB's parameters; tinyscale frees
	// the placement at once through its own meetingEndedURL.
	r = c.call("end", url.Values{"meetingID": {"cb-room"}})
	wantKey(t, r, bbb.Success, "sentEndMeetingRequest")
	end := gl.wait(t, "/meeting_ended", 1)[0]
	q, _ := url.ParseQuery(end.RawQuery)
	if q.Get("token") != "nextcloud-hmac" || q.Get("meetingID") != "cb-room" || q.Get("recordingmarks") != "false" {
		t.Fatalf("end callback query %q", end.RawQuery)
	}
}

func TestMeetingEndedFreesPlacementAtOnce(t *testing.T) {
	c := newCluster(t, 2)
	withCallbacks(c)
	holder := c.create("ends-alone")
	holder.EndMeeting("ends-alone") // no end call through tinyscale, no poll
	holder.WaitCallbacks()
	if _, ok := c.store.Lookup("default", "ends-alone"); ok {
		t.Fatal("placement kept after BBB called tinyscale's meetingEndedURL")
	}
}

func TestCallbackRetriesAndGone(t *testing.T) {
	c := newCluster(t, 1)
	withCallbacks(c)
	gl := newIntegration(t, 503, 502, 200)
	moodle := newIntegration(t, 410)
	c.call("create", url.Values{"meetingID": {"retry-room"}, "name": {"Retry"},
		"meta_bbb-recording-ready-url": {gl.srv.URL + "/ready"},
		"meta_analytics-callback-url":  {moodle.srv.URL + "/analytics"}})
	f := c.fakes[0]
	info, _ := f.Meeting("retry-room")
	f.AddRecording(recordingOf(info))
	if _, err := f.RecordingReady(info.InternalID); err != nil {
		t.Fatal(err)
	}
	if got := gl.wait(t, "/ready", 3); len(got) != 3 {
		t.Fatalf("%d deliveries, want 2 retries after 5xx then success", len(got))
	}
	if _, _, err := f.Analytics("retry-room"); err != nil {
		t.Fatal(err)
	}
	moodle.wait(t, "/analytics", 1)
	time.Sleep(150 * time.Millisecond) // longer than every backoff
	if n := len(moodle.wait(t, "/analytics", 1)); n != 1 {
		t.Fatalf("410 was retried: %d deliveries", n)
	}
}

func TestCallbackEndpointRefusesForgeries(t *testing.T) {
	c := newCluster(t, 1)
	withCallbacks(c)
	gl := newIntegration(t)
	c.call("create", url.Values{"meetingID": {"forge-room"}, "name": {"Forge"},
		"meta_bbb-recording-ready-url": {gl.srv.URL + "/ready"}})
	info, _ := c.fakes[0].Meeting("forge-room")
	relay := info.Metadata["bbb-recording-ready-url"]
	good, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"meeting_id": "forge-room", "record_id": "r"}).SignedString([]byte(c.fakes[0].Secret()))
	wrongKey, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"meeting_id": "forge-room", "record_id": "r"}).SignedString([]byte("guess"))
	post := func(u, tok string) int {
		res, err := http.PostForm(u, url.Values{"signed_parameters": {tok}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, tc := range []struct {
		name, url, token string
		status           int
	}{
		{"tampered token", relay[:len(relay)-3] + "abc", good, 401},
		{"no token", c.srv.URL + "/tinyscale/callback/rec/", good, 401},
		{"open relay attempt", c.srv.URL + "/tinyscale/callback/rec/https%3A%2F%2Fevil.example", good, 401},
		{"kind swapped", strings.Replace(relay, "/rec/", "/ana/", 1), good, 401},
		{"backend JWT with another secret", relay, wrongKey, 401},
		{"genuine", relay, good, 200},
	} {
		if got := post(tc.url, tc.token); got != tc.status {
			t.Errorf("%s: HTTP %d, want %d", tc.name, got, tc.status)
		}
	}
	if n := len(gl.wait(t, "/ready", 1)); n != 1 {
		t.Fatalf("%d deliveries, want only the genuine one", n)
	}
}

func verifyJWT(t *testing.T, tok, alg string) jwt.MapClaims {
	t.Helper()
	cl := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tok, cl, func(*jwt.Token) (any, error) { return []byte(testSecret), nil },
		jwt.WithValidMethods([]string{alg}))
	if err != nil {
		t.Fatalf("JWT does not verify with the client secret as %s: %v", alg, err)
	}
	return cl
}

// recordingOf is the recording BBB makes of a meeting: its metadata copied.
func recordingOf(m bbbfake.MeetingInfo) bbbfake.Recording {
	return bbbfake.Recording{RecordID: m.InternalID, MeetingID: m.MeetingID, Name: m.Name, Published: true,
		StartTime: m.CreateTime, EndTime: m.CreateTime + 1000, Metadata: m.Metadata}
}

// TestTenantCallbacks checks that a tenant's integration gets its
// callbacks under its own meeting ID, signed with its own secret.
func TestTenantCallbacks(t *testing.T) {
	c := tenantCluster(t, 1, uniA)
	withCallbacks(c)
	lms := newIntegration(t)
	a := client{c: c, secret: "uni-a-secret-1", host: "bbb.uni-a.example"}
	r := a.call("create", url.Values{"meetingID": {"course-7"}, "name": {"Course"},
		"meta_endCallbackUrl":          {lms.srv.URL + "/ended"},
		"meta_bbb-recording-ready-url": {lms.srv.URL + "/ready"}})
	wantKey(t, r, bbb.Success, "")
	f := c.fakes[0]
	info, _ := f.Meeting("uni-a~course-7")
	f.AddRecording(recordingOf(info))
	if _, err := f.RecordingReady(info.InternalID); err != nil {
		t.Fatal(err)
	}
	rr := lms.wait(t, "/ready", 1)[0]
	form, _ := url.ParseQuery(string(rr.Body))
	cl := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(form.Get("signed_parameters"), cl, func(*jwt.Token) (any, error) { return []byte("uni-a-secret-1"), nil },
		jwt.WithValidMethods([]string{"HS256"})); err != nil || cl["meeting_id"] != "course-7" {
		t.Fatalf("tenant recording-ready: claims %v, %v", cl, err)
	}
	wantKey(t, a.call("end", url.Values{"meetingID": {"course-7"}}), bbb.Success, "sentEndMeetingRequest")
	end := lms.wait(t, "/ended", 1)[0]
	if q, _ := url.ParseQuery(end.RawQuery); q.Get("meetingID") != "course-7" {
		t.Fatalf("tenant end callback shows BBB's ID: %s", end.RawQuery)
	}
}
