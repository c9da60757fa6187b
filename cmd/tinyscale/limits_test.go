package main

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/internal/ci"
)

// zeros is an endless body that costs the test no memory.
type zeros struct{ left int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.left <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), z.left)
	for i := range p[:n] {
		p[i] = 'a'
	}
	z.left -= n
	return int(n), nil
}

// rssKB reads a process's resident memory from /proc.
func rssKB(t *testing.T, pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		ci.Skip(t, "no /proc: "+err.Error())
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

// TestHugeBodyIsRefused sends a 50 MB create body to tinyscale with its
// default settings: it answers HTTP 413 with BBB's XML, the body never
// reaches a BBB server, and tinyscale's memory stays far below the size
// of what was sent.
func TestHugeBodyIsRefused(t *testing.T) {
	f := fake(t, "secret-a")
	p, base := serve(t, entry(f))
	u := signed(base, "create", url.Values{"meetingID": {"huge"}, "name": {"Huge"}}, clientSecret)
	for _, tc := range []struct {
		name   string
		length int64 // -1: chunked, no Content-Length
	}{{"with Content-Length", 50 << 20}, {"chunked", -1}} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", u, &zeros{left: 50 << 20})
			req.ContentLength = tc.length
			req.Header.Set("Content-Type", "application/xml")
			res, err := noRedirects.Do(req)
			if err != nil {
				t.Fatalf("a 50 MB body got no answer: %v", err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "<messageKey>requestTooLarge</messageKey>") {
				t.Fatalf("HTTP %d: %s", res.StatusCode, body)
			}
		})
	}
	if f.CountCalls("create") != 0 {
		t.Fatal("the oversized create reached the BBB server")
	}
	// The limit (16 MiB by default) bounds what one request may hold: a
	// chunked body is read into a buffer that doubles up to it, so a few
	// times the limit above the process's own ~15 MB, never the 50 MB sent
	// twice. A race-detector build needs several times a normal one's.
	limit := 16<<10 + 3*(16<<10)
	if raceEnabled {
		limit *= 6
	}
	if kb := rssKB(t, p.Cmd.Process.Pid); kb > limit {
		t.Errorf("tinyscale holds %d kB after two 50 MB bodies", kb)
	}
	getOK(t, base) // and still answers
}
