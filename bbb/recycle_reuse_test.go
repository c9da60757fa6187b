//go:build !race

package bbb

// The race detector makes sync.Pool drop items at random, so what this
// file measures (the buffers are reused) only holds without it; the
// recycling's correctness is in recycle_test.go, which runs with it.

import (
	"runtime"
	"strconv"
	"testing"
)

// TestRecycledAnswersAreReused: reading answers one after another and
// recycling each allocates a small part of their size (the HTTP
// exchange), not a buffer per answer.
func TestRecycledAnswersAreReused(t *testing.T) {
	c := recycleServer(t)
	const size, rounds = 200_000, 50
	get := func() {
		res, err := c.Get(t.Context(), "getMeetings", "size="+strconv.Itoa(size)+"&fill=x")
		if err != nil || len(res.Body) != size {
			t.Fatal(err)
		}
		res.Recycle()
	}
	get()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range rounds {
		get()
	}
	runtime.ReadMemStats(&after)
	// The test server makes a buffer of size per answer; the client none.
	if per := (after.TotalAlloc - before.TotalAlloc) / rounds; per > size+size/2 {
		t.Errorf("%d bytes allocated per answer of %d: the buffers are not reused", per, size)
	}
}
