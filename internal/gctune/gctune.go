// Package gctune keeps Go's garbage collector from running many times a
// second on a small heap.
//
// Go's collector starts a cycle when the heap has grown by GOGC percent
// (100) of what was live after the last one, and at 4 MB at the least.
// A balancer answering tens of thousands of joins a second on a small
// fleet has a live heap of a few MB and allocates 100 MB or more a second
// (most of it net/http's own request and header objects), so it collects
// 25 to 30 times a second (measured at 38,000 joins/s, about a tenth of
// its CPU), each cycle's fixed cost paid again and again for a heap that
// barely changes.
//
// The tuner measures, at the end of every cycle, how fast the process
// allocated since the one before, and sets the GOGC percent so that the
// next cycle starts no sooner than Interval later at that rate: the
// collector's headroom is the allocation of one Interval, never less than
// Go's own (GOGC=100) and never more than MaxHeadroom above the live heap
// (the stacks and globals included, as Go counts them).
// At rest, or with a large live heap (500 servers, 50,000 meetings),
// Go's own headroom is already the larger and nothing changes; under a
// join flood on a small heap the collector runs a few times a second and
// the process holds at most MaxHeadroom more garbage.
//
// An operator who sets GOGC has chosen: the tuner then does nothing.
// GOMEMLIMIT keeps working with it, as with any GOGC: the collector runs
// whenever the heap nears the limit.
package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// Defaults for Config.
const (
	// DefaultInterval is the shortest time between two cycles the tuner
	// aims for.
	DefaultInterval = 250 * time.Millisecond
	// DefaultMaxHeadroom bounds the garbage the tuner lets pile up above
	// the live heap (Go's own headroom applies where it is larger).
	DefaultMaxHeadroom = 32 << 20
)

// basePercent is Go's default GOGC: the tuner never sets less.
const basePercent = 100

// Config is how a Tuner sets the collector's pace.
type Config struct {
	// Interval is the shortest time between cycles to aim for at the
	// measured allocation rate (DefaultInterval if zero).
	Interval time.Duration
	// MaxHeadroom is the most bytes of garbage allowed beyond the live
	// heap, whatever the rate (DefaultMaxHeadroom if zero). Go's own
	// headroom (the live heap) applies when it is larger.
	MaxHeadroom uint64
}

// Percent is the GOGC percent that gives the next cycle a headroom of one
// interval's allocation at rate bytes a second: never under basePercent,
// and no more headroom than max(base, maxHeadroom). base is what the
// percent is a percent of: since Go 1.18 the collector's goal is the live
// heap plus GOGC percent of the live heap, the goroutine stacks and the
// globals together. It is the tuner's whole policy, kept apart from the
// runtime so that it can be tested on its own.
func Percent(base uint64, rate float64, interval time.Duration, maxHeadroom uint64) int {
	if base == 0 {
		base = 1
	}
	want := rate * interval.Seconds()
	if limit := float64(max(base, maxHeadroom)); want > limit {
		want = limit
	}
	p := want / float64(base) * 100
	// Go also never collects below a heap of 4 MB times GOGC/100: on a
	// heap of 2 MB, 1,600 % would put that floor at 64 MB, twice the
	// headroom wanted. The percent stops where the floor reaches it.
	p = min(p, (float64(base)+want)/heapMinimum*100)
	return max(int(p), basePercent)
}

// heapMinimum is the Go collector's smallest goal at GOGC=100 (the
// runtime's defaultHeapMinimum), scaled by GOGC/100 like the goal.
const heapMinimum = 4 << 20

// Tuner adjusts the GOGC percent after every collection. Start one with
// Start; Stop it before the process exits to leave Go's default in place.
type Tuner struct {
	cfg Config

	mu      sync.Mutex
	stopped bool
	percent int // the percent last set
	cycles  uint64
	last    time.Time
	allocs  uint64 // cumulative bytes allocated at the last cycle
	samples []metrics.Sample
}

// sentinel is an object allocated for the next cycle to collect: its
// cleanup is the tuner's call at the end of that cycle. 16 bytes with a
// pointer, so that it is never a tiny allocation sharing a block (whose
// cleanup would wait for its neighbours).
type sentinel struct {
	_ *byte
	_ uint64
}

// Start begins tuning, unless GOGC is set in the environment (then it
// returns nil and the operator's choice stands). cfg's zero fields take
// the defaults.
func Start(getenv func(string) string, cfg Config) *Tuner {
	if getenv("GOGC") != "" {
		return nil
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.MaxHeadroom == 0 {
		cfg.MaxHeadroom = DefaultMaxHeadroom
	}
	t := &Tuner{cfg: cfg, percent: basePercent, samples: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/scan/stack:bytes"},
		{Name: "/gc/scan/globals:bytes"},
		{Name: "/gc/heap/allocs:bytes"},
		{Name: "/gc/cycles/total:gc-cycles"},
	}}
	t.mu.Lock()
	// The first rate is of what was allocated from here, not from the
	// process's start.
	_, t.allocs, t.cycles = t.readLocked()
	t.last = time.Now()
	t.mu.Unlock()
	t.arm()
	return t
}

// arm allocates the sentinel whose cleanup runs after the next cycle.
func (t *Tuner) arm() {
	runtime.AddCleanup(&sentinel{}, func(t *Tuner) { t.afterCycle() }, t)
}

// readLocked reads the runtime's figures into t.samples and returns the
// base of the GOGC percent (the live heap, the stacks and the globals
// the collector scans), the cumulative allocation and the cycle count.
func (t *Tuner) readLocked() (base, allocs, cycles uint64) {
	metrics.Read(t.samples)
	v := func(i int) uint64 { return t.samples[i].Value.Uint64() }
	return v(0) + v(1) + v(2), v(3), v(4)
}

// afterCycle runs once a cycle has collected the sentinel: it sets the
// percent for the next cycle from the allocation rate since the last call,
// and arms the next sentinel.
func (t *Tuner) afterCycle() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	base, allocs, cycles := t.readLocked()
	now := time.Now()
	if dt := now.Sub(t.last); dt > 0 && cycles > t.cycles {
		// The rate is over the cycles since the last call: a cleanup can
		// run late, after several.
		rate := float64(allocs-t.allocs) / dt.Seconds()
		if p := Percent(base, rate, t.cfg.Interval, t.cfg.MaxHeadroom); p != t.percent {
			debug.SetGCPercent(p)
			t.percent = p
		}
	}
	t.last, t.allocs, t.cycles = now, allocs, cycles
	t.arm()
}

// Percent returns the GOGC percent the tuner last set (100 until it has
// seen a busy cycle).
func (t *Tuner) Percent() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.percent
}

// Stop ends tuning and puts Go's default percent back.
func (t *Tuner) Stop() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	t.stopped = true
	if t.percent != basePercent {
		debug.SetGCPercent(basePercent)
		t.percent = basePercent
	}
}
