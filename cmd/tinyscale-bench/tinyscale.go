package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/tinyscale/tinyscale/bbbfake"
)

// benchSecret is TINYSCALE_SECRET of the tinyscale under test.
const benchSecret = "tinyscale-bench-0f6c3e2a9b7d4c1e8a5f"

// readyWait bounds tinyscale's startup: it checks every server first.
const readyWait = 3 * time.Minute

// tinyscaleProc is the tinyscale binary running in front of fake servers.
type tinyscaleProc struct {
	*child
	addr string // host:port
	dir  string // holds servers.json
}

// apiURL returns the URL of a call on tinyscale, without a query.
func (t *tinyscaleProc) apiURL(call string) string {
	return "http://" + t.addr + bbbfake.APIPath + "/" + call
}

// startTinyscale writes a servers.json listing fakes and starts bin with
// it, listening on a free loopback port, in its default configuration
// (one log line per API call, at level info, to a file in its directory;
// metrics on), with env ("KEY=value") added. It returns once /readyz
// answers 200, that is once every server was checked and at least one is
// available.
func startTinyscale(ctx context.Context, bin string, fakes []*bbbfake.Server, env ...string) (*tinyscaleProc, error) {
	refs := make([]fakeRef, len(fakes))
	for i, f := range fakes {
		refs[i] = fakeRef{URL: f.URL(), Secret: f.Secret()}
	}
	return startTinyscaleAt(ctx, bin, refs, env...)
}

// startTinyscaleAt is startTinyscale in front of fake servers known by
// URL and secret (a fleet process's).
func startTinyscaleAt(ctx context.Context, bin string, fakes []fakeRef, env ...string) (*tinyscaleProc, error) {
	dir, err := os.MkdirTemp("", "tinyscale-bench-")
	if err != nil {
		return nil, err
	}
	type entry struct {
		ID     string `json:"id"`
		Host   string `json:"host"`
		Secret string `json:"secret"`
	}
	list := make([]entry, len(fakes))
	for i, f := range fakes {
		list[i] = entry{ID: "fake-" + itoa(i), Host: f.URL, Secret: f.Secret}
	}
	data, _ := json.Marshal(list)
	servers := filepath.Join(dir, "servers.json")
	if err := os.WriteFile(servers, data, 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = cleanEnv(append([]string{
		"TINYSCALE_SECRET=" + benchSecret,
		"TINYSCALE_LISTEN=" + addr,
		"TINYSCALE_SERVERS=" + servers,
	}, env...)...)
	logPath := filepath.Join(dir, "tinyscale.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	cmd.Stdout, cmd.Stderr = logFile, logFile
	c, err := startChild("tinyscale", cmd)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.logFile = logPath
	t := &tinyscaleProc{child: c, addr: addr, dir: dir}
	if err := t.waitReady(ctx); err != nil {
		t.stop()
		return nil, err
	}
	return t, nil
}

// waitReady polls /readyz until it answers 200.
func (t *tinyscaleProc) waitReady(ctx context.Context) error {
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(readyWait)
	for time.Now().Before(deadline) {
		if err := t.exited(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := hc.Get("http://" + t.addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("tinyscale not ready after %v: %s", readyWait, t.tail())
}

// stop ends the process and removes its directory.
func (t *tinyscaleProc) stop() {
	t.child.stop()
	os.RemoveAll(t.dir)
}

// logLines ends the process (SIGTERM: a clean stop, which writes out the
// log) and counts the lines of its log that hold every one of words.
func (t *tinyscaleProc) logLines(words ...string) (int, error) {
	t.child.stop()
	data, err := os.ReadFile(t.logFile)
	if err != nil {
		return 0, err
	}
	n := 0
next:
	for line := range strings.Lines(string(data)) {
		for _, w := range words {
			if !strings.Contains(line, w) {
				continue next
			}
		}
		n++
	}
	return n, nil
}

// createTargets returns signed creates on tinyscale for the meetings
// prefix-0 ... prefix-(n-1).
func (t *tinyscaleProc) createTargets(prefix string, n int) []string {
	urls := make([]string, n)
	for i := range urls {
		urls[i] = tsURL(t, "create", createQuery(prefix+"-"+itoa(i)))
	}
	return urls
}

// createMeetings creates the meetings prefix-0 ... prefix-(n-1) through
// tinyscale, workers at a time, and fails if any create does.
func (t *tinyscaleProc) createMeetings(ctx context.Context, prefix string, n, workers int) (*tally, error) {
	var tl tally
	a := attack{name: "create " + prefix, targets: getTargets(t.createTargets(prefix, n)), workers: workers, hits: n, ok: isSuccess}
	if err := a.run(ctx, &tl); err != nil {
		return nil, err
	}
	if tl.errors > 0 {
		return nil, fmt.Errorf("creating %d meetings through tinyscale: %d failed, the first: %s", n, tl.errors, tl.firstError)
	}
	return &tl, nil
}

// callDurations reads, from the log of a stopped tinyscale, the duration
// of every call of the given name logged between from and to: the time
// tinyscale itself spent on each, from its handler's start to its answer,
// without the time the request waited for a CPU on a crowded machine.
func (t *tinyscaleProc) callDurations(call string, from, to time.Time) ([]time.Duration, error) {
	data, err := os.ReadFile(t.child.logFile)
	if err != nil {
		return nil, err
	}
	var out []time.Duration
	for line := range strings.Lines(string(data)) {
		if !strings.Contains(line, " call="+call+" ") {
			continue
		}
		at, ok := logField(line, "time")
		d, ok2 := logField(line, "duration")
		if !ok || !ok2 {
			continue
		}
		ts, err := time.Parse(time.RFC3339Nano, at)
		if err != nil || ts.Before(from) || ts.After(to) {
			continue
		}
		if dur, err := time.ParseDuration(d); err == nil {
			out = append(out, dur)
		}
	}
	return out, nil
}

// logField is the unquoted value of key=value in a text log line.
func logField(line, key string) (string, bool) {
	i := strings.Index(line, " "+key+"=")
	if i < 0 {
		if !strings.HasPrefix(line, key+"=") {
			return "", false
		}
		i = -1
	}
	v := line[i+len(key)+2:]
	if end := strings.IndexAny(v, " \n"); end >= 0 {
		v = v[:end]
	}
	return v, v != ""
}
