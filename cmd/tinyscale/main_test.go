package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/internal/testproc"
)

// binary is the tinyscale command built once by TestMain; the tests run
// it as a user would.
var binary string

// raceEnabled is set by race_test.go when the tests run with -race; the
// binary is then built with -race too, so that races in the real program
// fail the tests.
var raceEnabled bool

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "tinyscale-cmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "tinyscale")
	if b := os.Getenv("TINYSCALE_TEST_BINARY"); b != "" {
		// Another build (main's, say) under the same tests: how the
		// before/after figures in docs/guarantees.md were measured.
		binary = b
	} else if err := testproc.Build(".", binary, raceEnabled); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// TestCommands checks the commands that print and exit.
func TestCommands(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		want     []string
	}{
		{[]string{"version"}, 0, []string{"tinyscale dev"}},
		{[]string{"--version"}, 0, []string{"tinyscale dev"}},
		{[]string{"help"}, 0, []string{"Usage:", "tinyscale demo", "TINYSCALE_SECRET"}},
		{[]string{"-h"}, 0, []string{"Usage:"}},
		{[]string{"frobnicate"}, 1, []string{`unknown command "frobnicate"`, "Usage:"}},
		{[]string{"serve", "extra"}, 1, []string{"serve takes no arguments", "Usage:"}},
		{[]string{"demo", "extra"}, 1, []string{"demo takes no arguments", "Usage:"}},
		// Help is help, not an error, for every command.
		{[]string{"serve", "--help"}, 0, []string{"tinyscale [serve]", "TINYSCALE_SECRET", "PORT"}},
		{[]string{"serve", "-h"}, 0, []string{"tinyscale [serve]"}},
		{[]string{"demo", "--help"}, 0, []string{"tinyscale demo", "fake BBB servers"}},
		{[]string{"state", "help"}, 0, []string{"tinyscale state export"}},
		// A flag a newcomer reaches for points to the variable that does it.
		{[]string{"serve", "--port", "9000"}, 1, []string{"PORT=9000"}},
		{[]string{"--port=9000"}, 1, []string{"PORT=9000"}},
		{[]string{"demo", "-port", "9100"}, 1, []string{"PORT=9100"}},
		{[]string{"serve", "--secret", "x"}, 1, []string{"TINYSCALE_SECRET="}},
		// state says what is wrong, as the other commands do.
		{[]string{"state"}, 1, []string{"state needs a command", "Usage:"}},
		{[]string{"state", "frob"}, 1, []string{`unknown state command "frob"`, "Usage:"}},
		{[]string{"state", "export", "a", "b"}, 1, []string{"at most one FILE"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out := runToExit(t, t.TempDir(), nil, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d; output:\n%s", code, tt.wantCode, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output does not mention %q:\n%s", w, out)
				}
			}
		})
	}
}
