package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// guardedServer serves h on loopback behind a writeGuard of stall, and
// counts the answers whose writing ended (in error or not).
func guardedServer(t *testing.T, stall time.Duration, h http.HandlerFunc) (addr string, ended *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ended = new(atomic.Int64)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer ended.Add(1)
		h(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(writeGuard{Listener: ln, stall: stall})
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), ended
}

// bigAnswer writes n bytes.
func bigAnswer(n int) http.HandlerFunc {
	chunk := bytes.Repeat([]byte("x"), 32<<10)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(n))
		for left := n; left > 0; left -= len(chunk) {
			if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
				return
			}
		}
	}
}

// dialSmall connects with a small receive buffer, so that an unread answer
// fills it soon.
func dialSmall(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	tc := c.(*net.TCPConn)
	tc.SetReadBuffer(4 << 10)
	t.Cleanup(func() { c.Close() })
	return tc
}

// waitEnded waits until n answers ended, for at most d.
func waitEnded(t *testing.T, ended *atomic.Int64, n int64, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for ended.Load() < n {
		if time.Since(start) > d {
			t.Fatalf("%d of %d answers ended after %s: a client that does not read pins the handler", ended.Load(), n, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// TestGuardCutsUnreadAnswer: a large answer the client never reads, and
// pipelined small answers it never reads, end within the stall instead
// of holding the handler and the connection for good.
func TestGuardCutsUnreadAnswer(t *testing.T) {
	const stall = 300 * time.Millisecond
	t.Run("large", func(t *testing.T) {
		addr, ended := guardedServer(t, stall, bigAnswer(64<<20))
		c := dialSmall(t, addr)
		fmt.Fprintf(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
		if took := waitEnded(t, ended, 1, 10*time.Second); took < stall/2 {
			t.Errorf("answer ended after %s, before the stall", took)
		}
	})
	t.Run("pipelined", func(t *testing.T) {
		addr, ended := guardedServer(t, stall, bigAnswer(200))
		c := dialSmall(t, addr)
		go func() {
			req := []byte("GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
			for range 200_000 {
				if _, err := c.Write(req); err != nil {
					return
				}
			}
		}()
		// The answers fill the buffers, then a write waits: the
		// connection must be closed within the stall.
		deadline := time.Now().Add(20 * time.Second)
		for {
			n := ended.Load()
			time.Sleep(3 * stall)
			if ended.Load() == n {
				break // no answer ends any more: the connection is gone
			}
			if time.Now().After(deadline) {
				t.Fatal("answers still going after 20s")
			}
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.Copy(io.Discard, c); err != nil && !strings.Contains(err.Error(), "reset") {
			t.Fatalf("connection not closed by the server: %v", err)
		}
	})
}

// TestGuardRenewsBetweenAnswers: a keep-alive connection used for longer
// than the stall is served, and so is a large answer read late whose
// handler set a deadline of its own; the same answer without one is cut.
func TestGuardRenewsBetweenAnswers(t *testing.T) {
	const stall = 500 * time.Millisecond
	sizes := map[string]int{"/short": 256 << 10, "/long": 64 << 20, "/huge": 64 << 20}
	addr, _ := guardedServer(t, stall, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/long" {
			http.NewResponseController(w).SetWriteDeadline(time.Now().Add(20 * time.Second))
		}
		bigAnswer(sizes[r.URL.Path])(w, r)
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	read := func(path string, pause time.Duration) error {
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
		time.Sleep(pause)
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			return err
		}
		n, err := io.Copy(io.Discard, res.Body)
		if err == nil && n != int64(sizes[path]) {
			err = fmt.Errorf("%d bytes", n)
		}
		return err
	}
	for i := range 8 { // 8 answers, 150 ms apart: past the stall
		if err := read("/short", 150*time.Millisecond); err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
	}
	if err := read("/long", 4*stall); err != nil {
		t.Fatalf("large answer with its own deadline, read after 4 stalls: %v", err)
	}
	for i := range 3 { // the guard is back
		if err := read("/short", 150*time.Millisecond); err != nil {
			t.Fatalf("answer %d after the long one: %v", i, err)
		}
	}
	if err := read("/huge", 4*stall); err == nil {
		t.Error("a large answer read only after 4 stalls was written whole")
	}
}
