// Package testredis starts real redis-server processes for tests, on free
// loopback ports, without persistence. Tests that need Redis call Require
// (or Start for one of their own): without redis-server they are skipped
// with a message, except under CI=true, where CI must run them and they
// fail instead.
package testredis

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tinyscale/tinyscale/internal/ci"
)

// Server is a redis-server started by a test.
type Server struct {
	Port int
	Dir  string
	cmd  *exec.Cmd
}

// URL is the server's redis:// URL.
func (s *Server) URL() string { return "redis://127.0.0.1:" + strconv.Itoa(s.Port) }

// Launch starts redis-server without persistence on port (0: a free one),
// with dir as its working directory, and waits until it answers PING.
func Launch(port int, dir string) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, err
	}
	if port == 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{Port: port, Dir: dir, cmd: cmd}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return s, nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("redis-server on port %d did not answer: %w", port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server (SIGKILL: as abrupt as a crash) and reaps it.
func (s *Server) Stop() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

// Missing skips the test for want of Redis, or fails it under CI=true.
func Missing(t testing.TB, why string) {
	t.Helper()
	ci.Skip(t, "no Redis for this test: "+why+" (install redis-server or set REDIS_URL to run the Redis tests)")
}

// Start starts a redis-server for this test alone, stopped when it ends;
// for tests that stop and restart Redis.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		Missing(t, "this test runs its own Redis, so it needs redis-server installed")
	}
	s, err := Launch(0, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}
