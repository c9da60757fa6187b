// Package ci tells tests whether they run in CI, where a missing
// precondition (Redis, Node.js, /proc) is a failure, not a reason to skip:
// a test that skips itself in CI guards nothing, and nobody notices.
package ci

import (
	"os"
	"strings"
	"testing"
)

// Enabled reports whether the CI environment variable is set to a true
// value: anything but "", "0", "false", "no" or "off" (any case), since
// CI services set it to "true", "1" or "yes".
func Enabled() bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv("CI"))) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

// Skip skips t for want of a precondition, or fails it when Enabled: under
// CI every test must run. why says what is missing and how to provide it.
func Skip(t testing.TB, why string) {
	t.Helper()
	if Enabled() {
		t.Fatalf("CI=%s but %s", os.Getenv("CI"), why)
	}
	t.Skip(why)
}
