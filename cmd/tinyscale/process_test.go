package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/internal/testproc"
)

// proc is a running tinyscale binary.
type proc = testproc.Proc

// start runs the binary built by TestMain with args in dir, with env
// ("KEY=value") added to the test's environment less tinyscale's own.
func start(t *testing.T, dir string, env []string, args ...string) *proc {
	t.Helper()
	return testproc.Start(t, binary, dir, env, args...)
}

// runToExit runs the binary to completion and returns its exit code and
// combined output.
func runToExit(t *testing.T, dir string, env []string, args ...string) (int, string) {
	t.Helper()
	p := start(t, dir, env, args...)
	code := p.Wait(t)
	return code, p.Output.String()
}

// The shared helpers under their short names.
var (
	waitFor  = testproc.WaitFor
	freePort = testproc.FreePort
)

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
