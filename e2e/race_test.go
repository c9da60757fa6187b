//go:build race

package e2e

// The tests run with -race: build tinyscale with it too.
func init() { raceEnabled = true }
