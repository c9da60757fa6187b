//go:build !race

package bbb

const raceEnabled = false
