// Package testproc runs the real tinyscale binary in tests, as a user
// would: built with `go build`, started with an environment of its own,
// waited for on its HTTP port, killed when the test ends, and its output
// shown when the test fails. Every wait is bounded.
package testproc

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Bounds of the waits: generous, since -race and busy CI machines are slow,
// but a hung tinyscale fails the test rather than the whole run.
const (
	ExitWait  = 60 * time.Second
	ReadyWait = 60 * time.Second
	PollEvery = 20 * time.Millisecond
)

// Build builds the tinyscale command (package pkg) to bin, with the race
// detector when race is true, so that races in the real program fail the
// tests that run it.
func Build(pkg, bin string, race bool) error {
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, pkg)...).CombinedOutput()
	if err != nil {
		return errors.New("go build tinyscale: " + err.Error() + "\n" + string(out))
	}
	return nil
}

// SyncBuffer is a bytes.Buffer safe for the concurrent writes of a
// process's stdout and stderr copiers.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Proc is a running binary.
type Proc struct {
	Cmd    *exec.Cmd
	Stdout SyncBuffer // stdout only
	Output SyncBuffer // stdout and stderr, interleaved
	done   chan struct{}
	code   int // exit code, valid once done is closed
}

// BaseEnv is the test's environment without tinyscale's variables, so that
// a developer's own settings cannot leak into a test.
func BaseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TINYSCALE_") || strings.HasPrefix(kv, "PORT=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// Start runs bin with args in dir, with env ("KEY=value") added to
// BaseEnv. The process is killed when the test ends, and its output logged
// if the test failed.
func Start(t *testing.T, bin, dir string, env []string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.Cmd.Dir = dir
	p.Cmd.Env = append(BaseEnv(), env...)
	p.Cmd.Stdout = io.MultiWriter(&p.Stdout, &p.Output)
	p.Cmd.Stderr = &p.Output
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("start tinyscale: %v", err)
	}
	go func() {
		err := p.Cmd.Wait()
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
		if !p.Exited() {
			p.Cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("tinyscale %s output:\n%s", strings.Join(args, " "), p.Output.String())
		}
	})
	return p
}

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Code is the exit code, once Done is closed.
func (p *Proc) Code() int { return p.code }

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits for the process to exit and returns its exit code; the test
// fails if it runs longer than ExitWait.
func (p *Proc) Wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(ExitWait):
		t.Fatalf("tinyscale still running after %v; output:\n%s", ExitWait, p.Output.String())
		return 0
	}
}

// WaitReady polls url until it answers 200. It fails the test if the
// process exits first or ReadyWait passes.
func (p *Proc) WaitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(ReadyWait)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		if res, err := c.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if p.Exited() {
			t.Fatalf("tinyscale exited with code %d before answering %s; output:\n%s", p.code, url, p.Output.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not answering after %v; output:\n%s", url, ReadyWait, p.Output.String())
		}
		time.Sleep(PollEvery)
	}
}

// WaitFor polls cond until it holds, failing the test after ReadyWait.
func WaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(ReadyWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", ReadyWait, what)
		}
		time.Sleep(PollEvery)
	}
}

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on (it
// was free a moment ago).
func FreePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}
