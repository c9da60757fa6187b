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
	}
	return "unknown"
}

// GarbageBody is what ModeGarbage answers.
const GarbageBody = "<response><returncode>SUC"

const httpErrorPage = "<html><head><title>500 Internal Server Error</title></head>" +
	"<body><center><h1>500 Internal Server Error</h1></center><hr><center>nginx</center></body></html>\n"

// misbehave waits for the configured delay and applies the mode. It reports
// whether the request should be answered normally.
func (s *Server) misbehave(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	delay, mode := s.delay, s.mode
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
