package bbbfake

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// TestEndedCallbackRetriesAsBBB: bbb-web tries a meeting-ended callback
// five times (at 0, 30 s, 1 min, 2 min and 5 min after the first), takes
// only 2xx as done (410 and redirects included, everything else is
// retried), and gives up after the fifth failure.
func TestEndedCallbackRetriesAsBBB(t *testing.T) {
	if want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute}; !slices.Equal(endedRetries, want) {
		t.Fatalf("BBB's schedule is %v, the fake has %v", want, endedRetries)
	}
	for _, tc := range []struct {
		name     string
		answers  []int // what the receiver answers, attempt by attempt (then 200)
		attempts int
	}{
		{"at once", nil, 1},
		{"after failures", []int{500, http.StatusGone, http.StatusFound}, 4},
		{"gives up after five", []int{503, 503, 503, 503, 503, 503, 503}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				if i < len(tc.answers) {
					if tc.answers[i] == http.StatusFound {
						w.Header().Set("Location", "/elsewhere")
					}
					w.WriteHeader(tc.answers[i])
					return
				}
				w.WriteHeader(http.StatusOK)
			}))
			defer rcv.Close()
			s := startTest(t)
			s.SetEndedRetries(time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond)
			create(t, s, "meetingID", "m1", "name", "Meeting", "meetingEndedURL", rcv.URL+"/ended")
			s.EndMeeting("m1")
			s.WaitCallbacks()
			got := s.EndedAttempts()
			if len(got) != tc.attempts || int(n.Load()) != tc.attempts {
				t.Fatalf("%d attempts (%d received), want %d: %+v", len(got), n.Load(), tc.attempts, got)
			}
			for _, a := range got {
				if a.URL != rcv.URL+"/ended?meetingID=m1&recordingmarks=false" {
					t.Errorf("attempt to %q", a.URL)
				}
			}
		})
	}
}

// TestEndedCallbackRetriesStopWithTheServer: closing the server abandons
// the retries waiting, so no test waits minutes for them.
func TestEndedCallbackRetriesStopWithTheServer(t *testing.T) {
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer rcv.Close()
	s := startTest(t)
	create(t, s, "meetingID", "m1", "name", "Meeting", "meetingEndedURL", rcv.URL)
	s.EndMeeting("m1")
	for deadline := time.Now().Add(5 * time.Second); len(s.EndedAttempts()) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("no first attempt")
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.Close()
	done := make(chan struct{})
	go func() { s.WaitCallbacks(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the retries outlived the server")
	}
	if n := len(s.EndedAttempts()); n != 1 {
		t.Errorf("%d attempts, want the first only", n)
	}
}
