package bbbfake

import (
	"net"
	"net/http"
	"time"
)

// Mode says how a Server answers API calls (the root included).
type Mode int

// The modes of a Server.
const (
	// ModeNormal answers as BBB does.
	ModeNormal Mode = iota
	// ModeHTTPError answers HTTP 500 with an HTML page, as a broken proxy
	// in front of BBB would.
	ModeHTTPError
	// ModeGarbage answers HTTP 200 with a cut-off XML document.
	ModeGarbage
	// ModeHang never answers: the handler waits until the request is
	// cancelled or the server closed.
	ModeHang
	// ModeReset closes the connection without answering (TCP reset).
	ModeReset
	// ModeResetAfter carries the call out (a create creates its meeting)
	// and then closes the connection without answering: the network
	// dropped the answer, not the request.
	ModeResetAfter
	// ModeHangAfter carries the call out and then never answers, as a BBB
	// whose create went through but whose answer is stuck.
	ModeHangAfter
	// ModeCrashAfter carries the call out and then stops the whole server,
	// as a BBB that crashed right after creating the meeting: the answer
	// never comes and new connections are refused until Restart.
	ModeCrashAfter
	// ModeFailed answers BBB's FAILED with an empty messageKey without
	// carrying the call out, as bbb-web does when its own service fails.
	ModeFailed
)

// String names the mode.
func (m Mode) String() string {
	switch m {
	case ModeNormal:
		return "normal"
	case ModeHTTPError:
		return "http-error"
	case ModeGarbage:
		return "garbage"
	case ModeHang:
		return "hang"
	case ModeReset:
		return "reset"
	case ModeResetAfter:
		return "reset-after"
	case ModeHangAfter:
		return "hang-after"
	case ModeFailed:
		return "failed"
	case ModeCrashAfter:
		return "crash-after"
	}
	return "unknown"
}

// failedBody is what ModeFailed answers: bbb-web's answer when a call
// throws inside the server, a FAILED without a messageKey of its own.
const failedBody = "<response><returncode>FAILED</returncode><messageKey></messageKey><message>An unexpected error occurred.</message></response>"

// GarbageBody is what ModeGarbage answers.
const GarbageBody = "<response><returncode>SUC"

const httpErrorPage = "<html><head><title>500 Internal Server Error</title></head>" +
	"<body><center><h1>500 Internal Server Error</h1></center><hr><center>nginx</center></body></html>\n"

// misbehave waits for the configured delay and applies the mode. It reports
// whether the request should be answered normally.
func (s *Server) misbehave(w http.ResponseWriter, r *http.Request, call string) bool {
	s.mu.Lock()
	delay, mode := s.delay, s.modeOf(call)
	s.mu.Unlock()
	stop := s.stopped()
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return false
		case <-stop:
			return false
		}
	}
	switch mode {
	case ModeHTTPError:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(httpErrorPage))
		return false
	case ModeGarbage:
		w.Header().Set("Content-Type", "text/xml;charset=utf-8")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(GarbageBody))
		return false
	case ModeHang:
		select {
		case <-r.Context().Done():
		case <-stop:
		}
		return false
	case ModeReset:
		reset(w)
		return false
	case ModeFailed:
		w.Header().Set("Content-Type", "text/xml;charset=utf-8")
		w.Write([]byte(failedBody))
		return false
	}
	return true
}

// reset hijacks the connection and closes it with SO_LINGER 0, so the
// client sees a reset rather than an answer.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// SetCallMode sets how one call (bbb.CallCreate, say) is answered,
// whatever SetMode says for the others: a server whose creates fail while
// its getMeetings polls succeed. ModeNormal gives the call back to SetMode.
func (s *Server) SetCallMode(call string, m Mode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.callModes == nil {
		s.callModes = map[string]Mode{}
	}
	if m == ModeNormal {
		delete(s.callModes, call)
		return
	}
	s.callModes[call] = m
}

// modeOf is the mode for call; s.mu must be held.
func (s *Server) modeOf(call string) Mode {
	if m, ok := s.callModes[call]; ok {
		return m
	}
	return s.mode
}

// afterMode is the mode for call when it acts after carrying the call out,
// ModeNormal otherwise.
func (s *Server) afterMode(call string) Mode {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.modeOf(call); m == ModeResetAfter || m == ModeHangAfter || m == ModeCrashAfter {
		return m
	}
	return ModeNormal
}

// handleThenFail carries the call out with its answer thrown away, then
// resets the connection or hangs.
func (s *Server) handleThenFail(c *apiCall, m Mode) {
	w := c.w
	c.w = discardWriter{h: http.Header{}}
	c.route.handle(c)
	switch m {
	case ModeResetAfter:
		reset(w)
		return
	case ModeCrashAfter:
		s.mu.Lock()
		delete(s.callModes, c.name) // it comes back healthy from Restart
		s.mu.Unlock()
		s.Close()
		return
	}
	select {
	case <-c.r.Context().Done():
	case <-s.stopped():
	}
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header       { return d.h }
func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) WriteHeader(int)             {}
