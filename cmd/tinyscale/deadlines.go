package main

import (
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// tinyscale bounds what a slow client can hold, without a deadline system
// call on every request (http.Server's ReadTimeout and WriteTimeout cost
// one to three per request, for protection that almost never applies):
//
//   - request headers: http.Server's ReadHeaderTimeout, per request (net/http
//     arms it anyway, as it does IdleTimeout between requests);
//   - a request body: a read deadline set by withBodyDeadline, only on
//     requests that have one;
//   - the answers: writeGuard's connections give every write a deadline,
//     renewed on a connection only when less than half of it is left, so
//     one system call per connection every stall/2 instead of two per
//     request.

// bodyTime is how long a request body may take to arrive, from when its
// headers were read: 7 header timeouts (70 s by default, as the minute
// after the headers that ReadTimeout allowed before).
func bodyTime(header time.Duration) time.Duration { return 7 * header }

// withBodyDeadline gives a request with a body bodyTime to send it: a body
// trickled byte by byte is cut then. Requests without one (every join)
// pay nothing. A handler that takes longer uploads (a recording push)
// sets its own deadline after this one.
func withBodyDeadline(next http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
		}
		next.ServeHTTP(w, r)
	})
}

// writeGuard is a listener whose connections bound every answer's writes:
// a client that stops reading (a large getMeetings it never reads, or
// pipelined requests whose small answers it never reads) holds its
// connection at most stall, then is cut.
type writeGuard struct {
	net.Listener
	stall time.Duration
}

// Accept implements net.Listener.
func (l writeGuard) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &guardedConn{Conn: c, stall: l.stall}, nil
}

// guardedConn is a connection whose writes always have a deadline.
//
// Each answer's writes get the deadline the guard holds, between stall/2
// and stall ahead when the answer's first write starts, never extended
// while that answer is written: an answer is written within stall, as
// with WriteTimeout. The guard is renewed only at the first write after
// an answer ended (net/http clears the write deadline after each request,
// which is how the guard sees the end) and only when less than stall/2 is
// left. A deadline a handler sets (http.ResponseController, a recording's
// long download) replaces the guard's until net/http clears it.
type guardedConn struct {
	net.Conn
	stall time.Duration

	mu      sync.Mutex
	until   time.Time // the guard's deadline, on the connection unless asked
	asked   bool      // a deadline set through SetWriteDeadline is in force
	renewOK bool      // an answer ended since until was set
}

// guard puts the guard's deadline on the connection if it must be: no
// deadline asked, and none yet or the last one running out.
func (c *guardedConn) guard() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.asked {
		return nil
	}
	if !c.until.IsZero() {
		if !c.renewOK {
			return nil // within an answer: never extended
		}
		c.renewOK = false // this answer's first write decides
		if time.Until(c.until) >= c.stall/2 {
			return nil
		}
	}
	c.until, c.renewOK = time.Now().Add(c.stall), false
	return c.Conn.SetWriteDeadline(c.until)
}

// Write implements net.Conn.
func (c *guardedConn) Write(p []byte) (int, error) {
	if err := c.guard(); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// ReadFrom keeps net/http's sendfile path for files (recording playback)
// under the guard.
func (c *guardedConn) ReadFrom(r io.Reader) (int64, error) {
	if err := c.guard(); err != nil {
		return 0, err
	}
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// CloseWrite lets net/http half-close the connection as it does a TCP
// connection's.
func (c *guardedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// SetWriteDeadline implements net.Conn: a deadline replaces the guard's;
// the zero time (net/http's after every answer) ends the answer and gives
// the connection back to the guard, which keeps its deadline in place
// rather than clearing it with a system call.
func (c *guardedConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.IsZero() {
		if c.asked {
			// The asked deadline is on the connection: the next write must
			// put the guard's back.
			c.asked, c.until = false, time.Time{}
		}
		c.renewOK = true
		return nil
	}
	c.asked = true
	return c.Conn.SetWriteDeadline(t)
}

// SetDeadline implements net.Conn.
func (c *guardedConn) SetDeadline(t time.Time) error {
	if err := c.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.Conn.SetReadDeadline(t)
}
