package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is a process the benchmark started: tinyscale or the ceiling server.
type child struct {
	name   string
	cmd    *exec.Cmd
	output tailBuffer // the end of its stdout and stderr, for errors
	// logFile, when set, is where its stderr goes instead (tinyscale's
	// log): a file, as a deployment's log would be, so that reading the
	// lines costs this process nothing while it measures.
	logFile string
	done    chan struct{}
	err     error // how it ended, once done is closed
}

// startChild starts cmd; its output goes to the child's tail buffer unless
// cmd.Stdout is set already.
func startChild(name string, cmd *exec.Cmd) (*child, error) {
	c := &child{name: name, cmd: cmd, done: make(chan struct{})}
	if cmd.Stdout == nil {
		cmd.Stdout = &c.output
	}
	if cmd.Stderr == nil {
		cmd.Stderr = &c.output
	}
	cmd.SysProcAttr = sysProcAttr()
	// Wait returns soon after the process ends even if a process of its
	// own still holds the output pipes.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %v", name, err)
	}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// tail returns the end of the process's output, for error messages.
func (c *child) tail() string {
	if c.logFile == "" {
		return c.output.String()
	}
	f, err := os.Open(c.logFile)
	if err != nil {
		return c.output.String()
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > tailSize {
		f.Seek(fi.Size()-tailSize, io.SeekStart)
	}
	data, _ := io.ReadAll(io.LimitReader(f, tailSize))
	return c.output.String() + string(data)
}

// exited returns an error describing the end of a process that is no
// longer running, nil while it runs.
func (c *child) exited() error {
	select {
	case <-c.done:
		return fmt.Errorf("%s exited (%v): %s", c.name, c.err, c.tail())
	default:
		return nil
	}
}

// stop asks the process to end with SIGTERM and kills it if it has not
// within five seconds.
func (c *child) stop() {
	select {
	case <-c.done:
		return
	default:
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-c.done
	}
}

// tailBuffer keeps the last 8 KB written to it; safe for concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 8 << 10

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > tailSize {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-tailSize:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// buildTinyscale builds cmd/tinyscale into dir as the README and the
// releases do (static: CGO_ENABLED=0) and returns the binary's path. A
// cgo build links libc and the dynamic loader, 1.4 MB more of RSS idle.
func buildTinyscale(ctx context.Context, dir string) (string, error) {
	bin := dir + "/tinyscale"
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/tinyscale/tinyscale/cmd/tinyscale")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("CGO_ENABLED=0 go build ./cmd/tinyscale: %v\n%s", err, out)
	}
	return bin, nil
}

// cleanEnv is the environment of the children: this process's, less every
// TINYSCALE_ and PORT setting, so that a developer's own cannot leak in.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TINYSCALE_") || strings.HasPrefix(kv, "PORT=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// itoa is strconv.Itoa, shorter at the many call sites that build IDs.
func itoa(i int) string { return strconv.Itoa(i) }
