package main

import (
	"io"
	"net"
	"testing"
	"time"
)

// TestSlowClientsAreDropped opens connections that send their request
// headers a byte at a time, and one that sends nothing: tinyscale closes
// them after TINYSCALE_HEADER_TIMEOUT instead of holding them open, and
// goes on serving others meanwhile.
func TestSlowClientsAreDropped(t *testing.T) {
	f := fake(t, "secret-a")
	port := freePort(t)
	p := start(t, writeServers(t, entry(f)), []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port, "TINYSCALE_HEADER_TIMEOUT=1s"})
	p.WaitReady(t, "http://127.0.0.1:"+port+"/healthz")
	addr := "127.0.0.1:" + port

	type result struct {
		closedAfter time.Duration
		err         error
	}
	done := make(chan result, 2)
	for _, trickle := range []bool{true, false} {
		go func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				done <- result{err: err}
				return
			}
			defer c.Close()
			startAt := time.Now()
			if trickle {
				go func() {
					for _, b := range []byte("GET /bigbluebutton/api HTTP/1.1\r\nHost: x\r\nX-Slow: ") {
						if _, err := c.Write([]byte{b}); err != nil {
							return
						}
						time.Sleep(100 * time.Millisecond)
					}
				}()
			}
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, err = io.ReadAll(c) // returns when tinyscale closes the connection
			done <- result{time.Since(startAt), err}
		}()
	}
	// Others are served meanwhile.
	getOK(t, "http://"+addr+"/bigbluebutton/api")
	for range 2 {
		r := <-done
		if r.err != nil {
			t.Fatalf("slow connection: %v (not closed by tinyscale within 10s)", r.err)
		}
		if r.closedAfter > 5*time.Second {
			t.Errorf("slow connection closed after %s, want about the 1s header timeout", r.closedAfter)
		}
	}
}
