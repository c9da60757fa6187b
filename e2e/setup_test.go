package e2e

import (
	"context"
	"encoding/json"
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

// The client library under test, installed into e2e/node_modules.
const (
	clientPackage = "bigbluebutton-js"
	clientVersion = "0.2.0"
)

// raceEnabled is set by race_test.go: tinyscale is then built with -race.
var raceEnabled bool

// inCI reports whether the test runs in CI, where a missing tool is an
// error rather than a reason to skip.
func inCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v != "" && v != "false" && v != "0"
}

// requireTool returns the path of a command, skipping the test when it is
// missing (failing it in CI).
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := name + " is not on PATH: the end-to-end test with " + clientPackage + " needs Node.js 20+ and npm"
	if inCI() {
		t.Fatal(msg + " (CI=true: install them in the CI image)")
	}
	t.Skip(msg + "; skipping it")
	return ""
}

// installClient installs the client library with npm into e2e/node_modules
// unless that version is already there.
func installClient(t *testing.T, npm string) {
	t.Helper()
	var pkg struct{ Version string }
	if data, err := os.ReadFile(filepath.Join("node_modules", clientPackage, "package.json")); err == nil &&
		json.Unmarshal(data, &pkg) == nil && pkg.Version == clientVersion {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--no-save", clientPackage+"@"+clientVersion)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("npm install %s@%s: %v\n%s", clientPackage, clientVersion, err, out)
	}
	t.Logf("installed %s@%s", clientPackage, clientVersion)
}

// buildTinyscale builds the tinyscale command into a temporary directory.
func buildTinyscale(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tinyscale")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, "github.com/tinyscale/tinyscale/cmd/tinyscale")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build tinyscale: %v\n%s", err, out)
	}
	return bin
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// lockedBuffer collects a process's output from two copier goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startTinyscale runs bin serve in dir with env added to the test's own
// environment (minus tinyscale's variables), waits until /readyz answers
// 200 on port, and stops it when the test ends. The log is shown if the
// test fails.
func startTinyscale(t *testing.T, bin, dir, port string, env ...string) {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TINYSCALE_") && !strings.HasPrefix(kv, "PORT=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, append(env, "PORT="+port)...)
	log := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("tinyscale log:\n%s", log.String())
		}
	})

	ready := "http://127.0.0.1:" + port + "/readyz"
	deadline := time.Now().Add(time.Minute)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		if res, err := c.Get(ready); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-done:
			t.Fatalf("tinyscale exited before it was ready: %v\n%s", cmd.ProcessState, log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("tinyscale not ready after a minute:\n%s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
