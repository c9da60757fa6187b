package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Bounds of the waits: generous, since -race and busy CI machines are slow,
// but a hung tinyscale fails the test rather than the whole run.
const (
	exitWait  = 60 * time.Second
	readyWait = 60 * time.Second
	pollEvery = 20 * time.Millisecond
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a
// process's stdout and stderr copiers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// proc is a running tinyscale binary.
type proc struct {
	cmd    *exec.Cmd
	stdout syncBuffer // stdout only
	output syncBuffer // stdout and stderr, interleaved
	done   chan struct{}
	code   int // exit code, valid once done is closed
}

// baseEnv is the test's environment without tinyscale's variables, so that
// a developer's own settings cannot leak into a test.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TINYSCALE_") || strings.HasPrefix(kv, "PORT=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// start runs the binary with args in dir, with env ("KEY=value") added to
// baseEnv. The process is killed when the test ends, and its output logged
// if the test failed.
func start(t *testing.T, dir string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(binary, args...), done: make(chan struct{})}
	p.cmd.Dir = dir
	p.cmd.Env = append(baseEnv(), env...)
	p.cmd.Stdout = io.MultiWriter(&p.stdout, &p.output)
	p.cmd.Stderr = &p.output
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start tinyscale: %v", err)
	}
	go func() {
		err := p.cmd.Wait()
		p.code = 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.code = ee.ExitCode()
		} else if err != nil {
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("tinyscale %s output:\n%s", strings.Join(args, " "), p.output.String())
		}
	})
	return p
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to exit and returns its exit code; the test
// fails if it runs longer than exitWait.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(exitWait):
		t.Fatalf("tinyscale still running after %v; output:\n%s", exitWait, p.output.String())
		return 0
	}
}

// runToExit runs the binary to completion and returns its exit code and
// combined output.
func runToExit(t *testing.T, dir string, env []string, args ...string) (int, string) {
	t.Helper()
	p := start(t, dir, env, args...)
	code := p.wait(t)
	return code, p.output.String()
}

// waitReady polls url until it answers 200. It fails the test if the
// process exits first or readyWait passes.
func (p *proc) waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(readyWait)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		if res, err := c.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if p.exited() {
			t.Fatalf("tinyscale exited with code %d before answering %s; output:\n%s", p.code, url, p.output.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not answering after %v; output:\n%s", url, readyWait, p.output.String())
		}
		time.Sleep(pollEvery)
	}
}

// waitFor polls cond until it holds, failing the test after readyWait.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(readyWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", readyWait, what)
		}
		time.Sleep(pollEvery)
	}
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on (it
// was free a moment ago).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// serverEntry is one servers.json entry as an operator writes it.
type serverEntry struct {
	Host   string `json:"host"`
	Secret string `json:"secret"`
}

// writeServers writes servers.json into a new directory and returns it,
// to be the working directory of tinyscale.
func writeServers(t *testing.T, servers ...serverEntry) string {
	t.Helper()
	dir := t.TempDir()
	data, err := json.MarshalIndent(servers, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "servers.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// noRedirects is an HTTP client that returns redirects instead of
// following them, as the tests check where join sends the browser.
var noRedirects = &http.Client{
	Timeout: 20 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}
