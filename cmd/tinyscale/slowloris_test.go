package main

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
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

// TestSlowBodyIsCut: a request body trickled a byte at a time is cut once
// it has taken 7 header timeouts, while a body that takes longer than
// the header timeout but arrives within that is served.
func TestSlowBodyIsCut(t *testing.T) {
	f := fake(t, "secret-a")
	port := freePort(t)
	p := start(t, writeServers(t, entry(f)), []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port, "TINYSCALE_HEADER_TIMEOUT=1s"})
	p.WaitReady(t, "http://127.0.0.1:"+port+"/healthz")
	addr := "127.0.0.1:" + port
	form := bbb.Sign(bbb.SHA1, "create", url.Values{"meetingID": {"slow-body"}, "name": {"Slow"}}.Encode(), clientSecret)
	post := func(length int, body string, every time.Duration) (string, time.Duration, error) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return "", 0, err
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /bigbluebutton/api/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", length)
		startAt := time.Now()
		go func() {
			for i := range len(body) {
				if _, err := c.Write([]byte{body[i]}); err != nil {
					return
				}
				time.Sleep(every)
			}
		}()
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		out, err := io.ReadAll(c) // until tinyscale closes the connection
		return string(out), time.Since(startAt), err
	}
	type result struct {
		out  string
		took time.Duration
		err  error
	}
	trickled, slow := make(chan result, 1), make(chan result, 1)
	go func() {
		out, took, err := post(100_000, strings.Repeat("a", 100_000), 50*time.Millisecond)
		trickled <- result{out, took, err}
	}()
	go func() {
		// Over about 2.5 s: longer than the header timeout, well within
		// the body's 7 s. Connection: close comes from the form's end.
		out, took, err := post(len(form), form, 2500*time.Millisecond/time.Duration(len(form)))
		slow <- result{out, took, err}
	}()
	r := <-trickled
	if r.err != nil {
		t.Fatalf("trickled body: %v after %s (not cut)", r.err, r.took)
	}
	if r.took < 6*time.Second || r.took > 15*time.Second {
		t.Errorf("trickled body cut after %s, want about 7 header timeouts (7s)", r.took)
	}
	select {
	case r := <-slow:
		t.Fatalf("slow but whole body: connection closed after %s: %q", r.took, r.out)
	default:
	}
	// The slow body was answered on a connection that stays open: its
	// answer is there once the body is.
	waitFor(t, "the slow body's meeting", func() bool { return f.HasMeeting("slow-body") })
}

// TestUnreadAnswerIsCut: a client that asks for a large getRecordings and
// never reads it does not pin the handler: the call ends (its log line is
// written) within the write bound of 2 request timeouts and a fan-out
// timeout, and the connection is closed.
func TestUnreadAnswerIsCut(t *testing.T) {
	f := fake(t, "secret-a")
	meta := strings.Repeat("m", 20<<10)
	for i := range 1000 { // about 20 MB of answer: more than any socket buffer holds
		f.AddRecording(bbbfake.Recording{RecordID: fmt.Sprintf("rec-%04d", i), MeetingID: "m", Name: "r", Published: true,
			StartTime: 1, EndTime: 2, Metadata: map[string]string{"big": meta}})
	}
	port := freePort(t)
	p := start(t, writeServers(t, entry(f)), []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port,
		// The write guard is 2 × 1 s + 4 s. The fan-out gets 4 s to read the
		// 20 MB from the fake even on a loaded machine: an answer cut short
		// by the fan-out timeout would be small and prove nothing.
		"TINYSCALE_REQUEST_TIMEOUT=1s", "TINYSCALE_FANOUT_TIMEOUT=4s"})
	p.WaitReady(t, "http://127.0.0.1:"+port+"/healthz")
	c, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	u := signed("/bigbluebutton/api", "getRecordings", url.Values{}, clientSecret)
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", u)
	startAt := time.Now()
	for !strings.Contains(p.Output.String(), "call=getRecordings") {
		if time.Since(startAt) > 30*time.Second {
			t.Fatalf("getRecordings never read by its client still not ended after 30s:\n%s", p.Output.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if strings.Contains(p.Output.String(), "backend call failed") {
		t.Fatalf("the fan-out did not get the 20 MB answer in time (a loaded machine?): nothing to cut\n%s", p.Output.String())
	}
	if took := time.Since(startAt); took > 15*time.Second {
		t.Errorf("the call ended after %s, want within the fan-out and the write guard (about 10s)", took)
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	n, err := io.Copy(io.Discard, c)
	if err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("connection not closed by tinyscale after %d bytes: %v\n%s", n, err, p.Output.String())
	}
	if n > 15<<20 {
		t.Errorf("%d bytes arrived: the answer was written whole, not cut", n)
	}
}
