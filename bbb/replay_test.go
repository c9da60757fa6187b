package bbb

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// crashServer answers getMeetings normally; on a create it reads the
// request, counts it, then drops the connection and stops listening, as a
// BBB that created the meeting and crashed (or a network that dropped the
// answer and then the route) does.
type crashServer struct {
	ln      net.Listener
	srv     *http.Server
	creates atomic.Int32
	once    sync.Once
}

func startCrashServer(t *testing.T, stopListening bool) *crashServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cs := &crashServer{ln: ln}
	cs.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/bigbluebutton/api/create" {
			w.Header().Set("Content-Type", "text/xml")
			w.Write([]byte("<response><returncode>SUCCESS</returncode><meetings/></response>"))
			return
		}
		cs.creates.Add(1)
		if r.Header.Get("Transfer-Encoding") != "" || r.ContentLength > 0 {
			t.Errorf("create sent with a body: Transfer-Encoding %q, Content-Length %d", r.Header.Get("Transfer-Encoding"), r.ContentLength)
		}
		if stopListening {
			cs.once.Do(func() { ln.Close() }) // later dials are refused
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}
	})}
	go cs.srv.Serve(ln)
	t.Cleanup(func() { cs.srv.Close() })
	return cs
}

// TestCreateIsNotReplayed: a create whose reused connection drops after
// the server read it is not sent again by the transport (Go's transport
// replays an idempotent GET on a new connection), and its error does not
// say "not received" even when a new connection would be refused: the
// server may have created the meeting.
func TestCreateIsNotReplayed(t *testing.T) {
	for _, tc := range []struct {
		name          string
		stopListening bool
	}{
		{"server keeps listening: no second create", false},
		{"server gone: not a connect error", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := startCrashServer(t, tc.stopListening)
			tr := NewTransport(time.Second, 2*time.Second)
			defer tr.CloseIdleConnections()
			c := &Client{Base: "http://" + cs.ln.Addr().String() + "/bigbluebutton/api", Secret: testSecret, HTTP: NewHTTPClient(tr)}
			// An answered call leaves the connection idle in the pool: the
			// create reuses it, as in production.
			if _, err := c.Get(context.Background(), CallGetMeetings, ""); err != nil {
				t.Fatal(err)
			}
			_, err := c.Get(context.Background(), CallCreate, "meetingID=m&name=M")
			if err == nil {
				t.Fatal("no error from a dropped create")
			}
			if IsConnectError(err) {
				t.Errorf("create dropped after the server read it counts as not received: %v", err)
			}
			if IsTimeout(err) {
				t.Errorf("dropped connection reported as a timeout: %v", err)
			}
			if n := cs.creates.Load(); n != 1 {
				t.Errorf("server got %d creates, want exactly 1 (no replay)", n)
			}
		})
	}
}

// TestRefusedCreateIsNotReceived: with no connection at all, the create
// certainly did not arrive, and may go elsewhere.
func TestRefusedCreateIsNotReceived(t *testing.T) {
	c := &Client{Base: "http://" + refusedAddr(t) + "/bigbluebutton/api", Secret: testSecret, HTTP: NewHTTPClient(NewTransport(time.Second, time.Second))}
	_, err := c.Get(context.Background(), CallCreate, "meetingID=m")
	if !IsConnectError(err) {
		t.Errorf("refused create: IsConnectError(%v) = false", err)
	}
}
