//go:build race

package bbb

const raceEnabled = true
