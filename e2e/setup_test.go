package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/internal/ci"
	"github.com/tinyscale/tinyscale/internal/testproc"
)

// The client library under test, installed into e2e/node_modules.
const (
	clientPackage = "bigbluebutton-js"
	clientVersion = "0.2.0"
)

// raceEnabled is set by race_test.go: tinyscale is then built with -race.
var raceEnabled bool

// requireTool returns the path of a command, skipping the test when it is
// missing (failing it in CI).
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	ci.Skip(t, name+" is not on PATH: the end-to-end test with "+clientPackage+" needs Node.js 20+ and npm (in CI: install them in the CI image)")
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
	if err := testproc.Build("github.com/tinyscale/tinyscale/cmd/tinyscale", bin, raceEnabled); err != nil {
		t.Fatal(err)
	}
	return bin
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
var freePort = testproc.FreePort

// startTinyscale runs bin serve in dir with env added to the test's own
// environment (minus tinyscale's variables), waits until /readyz answers
// 200 on port, and stops it when the test ends. The log is shown if the
// test fails.
func startTinyscale(t *testing.T, bin, dir, port string, env ...string) {
	t.Helper()
	p := testproc.Start(t, bin, dir, append(env, "PORT="+port))
	p.WaitReady(t, "http://127.0.0.1:"+port+"/readyz")
}
