package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
)

// TestGracefulShutdown sends SIGTERM to the real binary while a slow call
// to a BBB server is in flight: the call completes with the server's
// answer, new connections are refused, and tinyscale exits 0.
func TestGracefulShutdown(t *testing.T) {
	f := fake(t, "s1")
	port := freePort(t)
	root := "http://127.0.0.1:" + port
	p := start(t, writeServers(t, entry(f)), []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port, "TINYSCALE_SHUTDOWN_TIMEOUT=30s"})
	p.WaitReady(t, root+"/healthz")
	f.SetDelay(1500 * time.Millisecond)

	type result struct {
		reply *bbb.Reply
		err   error
	}
	done := make(chan result, 1)
	go func() {
		res, err := http.Get(signed(root+"/bigbluebutton/api", "create", url.Values{"meetingID": {"in-flight"}, "name": {"In flight"}}, clientSecret))
		if err != nil {
			done <- result{err: err}
			return
		}
		defer res.Body.Close()
		var body strings.Builder
		_, err = io.Copy(&body, res.Body)
		if err != nil {
			done <- result{err: err}
			return
		}
		r, err := bbb.ParseReply([]byte(body.String()), nil)
		done <- result{r, err}
	}()
	waitFor(t, "the create to reach the BBB server", func() bool { return f.CountCalls("create") > 0 })
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The listener closes at once: a new connection is refused while the
	// create is still waiting for the server.
	waitFor(t, "new connections to be refused", func() bool {
		c := &http.Client{Timeout: time.Second}
		res, err := c.Get(root + "/healthz")
		if err == nil {
			res.Body.Close()
		}
		return err != nil
	})
	r := <-done
	if r.err != nil || !r.reply.OK() {
		t.Fatalf("the create in flight at SIGTERM: %+v, %v", r.reply, r.err)
	}
	if !f.HasMeeting("in-flight") {
		t.Error("the server has no meeting in-flight")
	}
	if code := p.Wait(t); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	out := p.Output.String()
	for _, want := range []string{"shutting down", "shut down"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log does not say %q:\n%s", want, out)
		}
	}
}

// TestShutdownBound checks that a call slower than the bound does not
// hold the exit: tinyscale closes it at TINYSCALE_SHUTDOWN_TIMEOUT.
func TestShutdownBound(t *testing.T) {
	f := fake(t, "s1")
	port := freePort(t)
	root := "http://127.0.0.1:" + port
	p := start(t, writeServers(t, entry(f)), []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port,
		"TINYSCALE_SHUTDOWN_TIMEOUT=500ms", "TINYSCALE_REQUEST_TIMEOUT=30s"})
	p.WaitReady(t, root+"/healthz")
	f.SetDelay(time.Minute)
	go func() {
		c := &http.Client{Timeout: time.Minute}
		if res, err := c.Get(signed(root+"/bigbluebutton/api", "create", url.Values{"meetingID": {"stuck"}}, clientSecret)); err == nil {
			res.Body.Close()
		}
	}()
	waitFor(t, "the create to reach the BBB server", func() bool { return f.CountCalls("create") > 0 })
	p.Cmd.Process.Signal(syscall.SIGTERM)
	if code := p.Wait(t); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	if out := p.Output.String(); !strings.Contains(out, "still in flight at the bound") {
		t.Errorf("the log does not say requests were cut off:\n%s", out)
	}
}
