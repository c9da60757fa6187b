package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// roleProc is this binary run again in a role of its own (the ceiling
// server, the fake fleet): a process apart, so its CPU is not the
// measured one's. Closing its stdin ends it.
type roleProc struct {
	*child
	stdin io.Closer
}

// startRole runs this binary with env, named name in errors, and returns
// it with the first line it prints (its address, its seeded fakes), read
// within wait.
func startRole(name string, wait time.Duration, env ...string) (*roleProc, string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(exe)
	cmd.Env = cleanEnv(env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	c, err := startChild(name, cmd)
	if err != nil {
		return nil, "", err
	}
	p := &roleProc{child: c, stdin: stdin}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReaderSize(stdout, 1<<20).ReadString('\n')
		line <- s
		io.Copy(io.Discard, stdout)
	}()
	select {
	case s := <-line:
		return p, s, nil
	case <-c.done:
		return nil, "", c.exited()
	case <-time.After(wait):
		p.stop()
		return nil, "", fmt.Errorf("%s did not start within %v: %s", name, wait, c.tail())
	}
}

// stop closes the process's stdin, which ends it, then waits as child.stop does.
func (p *roleProc) stop() {
	p.stdin.Close()
	p.child.stop()
}
