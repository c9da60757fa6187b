package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tinyscale/tinyscale/internal/testredis"
)

// Redis for the tests: REDIS_URL when set; else a redis-server this
// package starts on a free port (shared by the tests, stopped by
// TestMain); else the tests skip, or fail when CI=true, since CI must run
// them.

// redisServer is a redis-server started by the tests.
type redisServer = testredis.Server

func startRedisServer(port int, dir string) (*redisServer, error) { return testredis.Launch(port, dir) }

var shared struct {
	once sync.Once
	srv  *redisServer
	dir  string
	url  string
	err  error
}

// stopSharedRedis is called by TestMain.
func stopSharedRedis() {
	if shared.srv != nil {
		shared.srv.Stop()
		os.RemoveAll(shared.dir)
	}
}

// noRedis skips the test, or fails it under CI.
func noRedis(t testing.TB, why string) { testredis.Missing(t, why) }

// redisURL returns the URL of a Redis for the test.
func redisURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	shared.once.Do(func() {
		if _, err := exec.LookPath("redis-server"); err != nil {
			shared.err = fmt.Errorf("REDIS_URL is not set and redis-server is not installed")
			return
		}
		shared.dir, shared.err = os.MkdirTemp("", "tinyscale-redis-")
		if shared.err != nil {
			return
		}
		shared.srv, shared.err = startRedisServer(0, shared.dir)
		if shared.err == nil {
			shared.url = shared.srv.URL()
		}
	})
	if shared.err != nil {
		noRedis(t, shared.err.Error())
	}
	return shared.url
}

// ownRedisServer starts a redis-server for this test alone, for tests
// that stop and restart it.
func ownRedisServer(t testing.TB) *redisServer { return testredis.Start(t) }

// testPrefix returns a key prefix no other test uses, and deletes its
// keys when the test ends, so tests can share one Redis.
func testPrefix(t testing.TB, url string) string {
	t.Helper()
	var b [4]byte
	rand.Read(b[:])
	prefix := "tinyscale-test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		c := rawClient(t, url)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		keys, _ := c.Keys(ctx, globEscaper.Replace(prefix)+"*").Result()
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
	})
	return prefix
}

// rawClient is a plain client, for writing behind the store's back.
func rawClient(t testing.TB, url string) *redis.Client {
	t.Helper()
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

// openRedis opens a store on url and closes it when the test ends.
func openRedis(t testing.TB, url, prefix string, opts ...RedisOption) *Redis {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := OpenRedis(ctx, url, append([]RedisOption{WithPrefix(prefix)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startSentinel starts a Sentinel that monitors master as "mymaster" and
// waits until it names the master.
func startSentinel(t testing.TB, master *redisServer) (url string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf") // Sentinel rewrites its config: it must be writable
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor mymaster 127.0.0.1 %d 1\n", port, dir, master.Port)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, conf, "--sentinel", "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	c := redis.NewSentinelClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), MaxRetries: -1})
	defer c.Close()
	waitFor(t, 10*time.Second, "Sentinel never named the master", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		addr, err := c.GetMasterAddrByName(ctx, "mymaster").Result()
		return err == nil && len(addr) == 2 && addr[1] == strconv.Itoa(master.Port)
	})
	return fmt.Sprintf("redis://127.0.0.1:%d/0?master_name=mymaster", port)
}
