//go:build race

package main

// The tests run with -race: build the binary with it too.
func init() { raceEnabled = true }
