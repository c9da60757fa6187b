package bbbfake

import (
	"net/http"
	"slices"
	"time"
)

// endedRetries are the waits of bbb-web's CallbackUrlService before the
// second to fifth attempt of a meeting-ended callback (schedRetryCallback:
// 30 s, 1 min, 2 min, 5 min); after the fifth failure it gives up. Any
// answer but 2xx, a network error or a timeout counts as a failure, 410
// included, and redirects are not followed.
var endedRetries = []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute}

// CallbackAttempt is one attempt of a meeting-ended callback.
type CallbackAttempt struct {
	URL    string
	At     time.Time
	Status int // 0 when the request failed
}

// SetEndedRetries replaces BBB's waits between meeting-ended callback
// attempts, for tests that cannot wait 8.5 minutes; none means no retry.
func (s *Server) SetEndedRetries(d ...time.Duration) {
	s.mu.Lock()
	s.endRetries = slices.Clone(d)
	if s.endRetries == nil {
		s.endRetries = []time.Duration{}
	}
	s.mu.Unlock()
}

// EndedAttempts returns every meeting-ended callback attempt so far.
func (s *Server) EndedAttempts() []CallbackAttempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.endSent)
}

// endedCallback makes one meeting-ended callback with bbb-web's retries.
// Closing the server abandons the retries still waiting.
func (s *Server) endedCallback(u string) {
	defer s.callbacks.Done()
	s.mu.Lock()
	retries := s.endRetries
	s.mu.Unlock()
	if retries == nil {
		retries = endedRetries
	}
	stop := s.stopped()
	for attempt := 0; ; attempt++ {
		status, _ := s.callBack(http.MethodGet, u, nil, nil)
		s.mu.Lock()
		s.endSent = append(s.endSent, CallbackAttempt{URL: u, At: time.Now(), Status: status})
		s.mu.Unlock()
		if status/100 == 2 || attempt >= len(retries) {
			return
		}
		t := time.NewTimer(retries[attempt])
		select {
		case <-t.C:
		case <-stop:
			t.Stop()
			return
		}
	}
}
