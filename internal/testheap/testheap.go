// Package testheap measures, for tests, how much memory a piece of code
// leaves alive: the check that what a long-lived table keeps is its own
// few bytes, not the whole request or answer it was cut from.
package testheap

import "runtime"

// Retained is how much more heap is live while keep's result is held than
// before keep ran: what keep left behind. It collects twice each time, so
// that what sync.Pools held (kept one collection longer) is gone too.
// Other goroutines of the test allocate meanwhile: compare the result
// with bounds far apart (a few kilobytes kept against the hundreds a
// leak would keep).
func Retained[T any](keep func() T) int64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := keep()
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc)
}
