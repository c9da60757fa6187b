package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
)

// The ceiling server is this binary run again with roleEnv=roleCeiling.
const (
	roleEnv     = "TINYSCALE_BENCH_ROLE"
	roleCeiling = "ceiling"
)

// ceilingLocation is the ceiling's fixed redirect: as long as the one
// tinyscale answers a join with (the join signed with SHA-256 for a backend).
var ceilingLocation = "http://127.0.0.1:1" + "/bigbluebutton/api/join?" +
	bbb.Sign(bbb.SHA256, bbb.CallJoin, joinQuery("ceiling-meeting", 1), "ceiling-secret")

// serveCeiling is the bare Go HTTP server the join throughput is measured
// against: every request gets the same 302, as a join does from tinyscale,
// with nothing else done. It listens on a free loopback port, writes
// "listening ADDR" to out, and serves until in reaches its end (the parent
// closed the pipe or died).
func serveCeiling(in io.Reader, out io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", ceilingLocation)
			w.Header().Set("Cache-Control", "no-cache")
			w.WriteHeader(http.StatusFound)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	go srv.Serve(ln)
	fmt.Fprintf(out, "listening %s\n", ln.Addr())
	io.Copy(io.Discard, in)
	return srv.Close()
}

// ceilingProc is the ceiling server running as a child process.
type ceilingProc struct {
	*roleProc
	addr string
}

// startCeiling runs this binary again as the ceiling server and waits for
// its address.
func startCeiling() (*ceilingProc, error) {
	rp, s, err := startRole("ceiling server", 10*time.Second, roleEnv+"="+roleCeiling)
	if err != nil {
		return nil, err
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(s), "listening ")
	if !ok {
		rp.stop()
		return nil, fmt.Errorf("ceiling server said %q: %s", s, rp.tail())
	}
	return &ceilingProc{roleProc: rp, addr: addr}, nil
}
