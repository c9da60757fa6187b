package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tinyscale/tinyscale/bbbfake"
)

// TestCallbacksThroughTheBinary runs tinyscale with TINYSCALE_URL as an
// operator would and checks that a recording-ready callback of a BBB
// server reaches the integration signed with the integration's secret,
// and that the meeting-ended callback arrives with BBB's parameters.
func TestCallbacksThroughTheBinary(t *testing.T) {
	var mu sync.Mutex
	got := map[string]*http.Request{}
	bodies := map[string]string{}
	lms := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[r.URL.Path], bodies[r.URL.Path] = r, string(body)
		mu.Unlock()
	}))
	t.Cleanup(lms.Close)

	f := fake(t, "backend-secret")
	port := freePort(t)
	p := start(t, writeServers(t, entry(f)), []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port,
		"TINYSCALE_URL=http://127.0.0.1:" + port})
	p.WaitReady(t, "http://127.0.0.1:"+port+"/readyz")
	base := "http://127.0.0.1:" + port + "/bigbluebutton/api"
	getOK(t, signed(base, "create", url.Values{"meetingID": {"lecture"}, "name": {"Lecture"},
		"meta_bbb-recording-ready-url": {lms.URL + "/recording_ready"},
		"meta_endCallbackUrl":          {lms.URL + "/meeting_ended"}}, clientSecret))

	info, _ := f.Meeting("lecture")
	f.AddRecording(bbbfake.Recording{RecordID: info.InternalID, MeetingID: "lecture", Name: "Lecture", Published: true, Metadata: info.Metadata})
	if status, err := f.RecordingReady(info.InternalID); err != nil || status != 200 {
		t.Fatalf("recording ready: %d %v", status, err)
	}
	getOK(t, signed(base, "end", url.Values{"meetingID": {"lecture"}}, clientSecret))

	waitFor(t, "both callbacks at the integration", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return got["/recording_ready"] != nil && got["/meeting_ended"] != nil
	})
	mu.Lock()
	defer mu.Unlock()
	form, _ := url.ParseQuery(bodies["/recording_ready"])
	cl := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(form.Get("signed_parameters"), cl, func(*jwt.Token) (any, error) { return []byte(clientSecret), nil },
		jwt.WithValidMethods([]string{"HS256"})); err != nil || cl["meeting_id"] != "lecture" || cl["record_id"] != info.InternalID {
		t.Fatalf("recording-ready JWT: %v %v", cl, err)
	}
	if q := got["/meeting_ended"].URL.Query(); q.Get("meetingID") != "lecture" || q.Get("recordingmarks") != "false" {
		t.Fatalf("meeting-ended query %q", got["/meeting_ended"].URL.RawQuery)
	}
}
