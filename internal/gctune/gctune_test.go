package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mb = 1 << 20
	for _, tc := range []struct {
		name string
		base uint64  // live heap, stacks, globals
		rate float64 // bytes a second
		want int
	}{
		{"at rest: Go's own pace", 4 * mb, 0, 100},
		{"slow allocation: Go's own pace", 4 * mb, 8 * mb, 100},
		{"a join flood on a small heap: one interval's allocation", 4 * mb, 160 * mb, 1000},
		{"a flood beyond the cap: at most MaxHeadroom of garbage", 4 * mb, 1024 * mb, 1600},
		// 64 MB of headroom on 2 MB would be 3,200 %, and Go's 4 MB floor
		// times 32 a goal of 128 MB: the percent stops at a 66 MB floor.
		{"a heap under Go's 4 MB floor: the floor is held to the headroom", 2 * mb, 1024 * mb, 1650},
		{"a tiny heap flooded: the floor is held to the headroom", mb / 4, 1024 * mb, 1606},
		{"a large heap: its own headroom is larger", 100 * mb, 160 * mb, 100},
		{"a heap larger than the cap and a faster flood: Go's own pace", 100 * mb, 1024 * mb, 100},
		{"no live heap measured yet", 0, 0, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percent(tc.base, tc.rate, 250*time.Millisecond, 64*mb); got != tc.want {
				t.Errorf("Percent(%d MB, %.0f MB/s) = %d, want %d", tc.base/mb, tc.rate/mb, got, tc.want)
			}
		})
	}
}

func TestOperatorsGOGCStands(t *testing.T) {
	getenv := func(k string) string {
		if k == "GOGC" {
			return "200"
		}
		return ""
	}
	if tu := Start(getenv, Config{}); tu != nil {
		tu.Stop()
		t.Fatal("Start tuned the collector although GOGC was set")
	}
}

// sink keeps the flood's allocations on the heap.
var sink []byte

// cyclesFor allocates total bytes in 1 KB pieces, each garbage at once,
// and returns how many collections ran meanwhile.
func cyclesFor(total int) uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	before := s[0].Value.Uint64()
	for range total / 1024 {
		sink = make([]byte, 1024)
	}
	metrics.Read(s)
	return s[0].Value.Uint64() - before
}

// TestTunerSlowsTheCollectorUnderAFlood runs the real collector: a small
// live heap flooded with garbage collects far less often with the tuner
// than with Go's default, and Stop puts the default back.
func TestTunerSlowsTheCollectorUnderAFlood(t *testing.T) {
	const total = 512 << 20
	runtime.GC()
	plain := cyclesFor(total)

	tu := Start(func(string) string { return "" }, Config{})
	if tu == nil {
		t.Fatal("Start returned no tuner without GOGC")
	}
	cyclesFor(64 << 20) // a few cycles to measure the rate
	tuned := cyclesFor(total)
	percent := tu.Percent()
	tu.Stop()

	t.Logf("collections for 512 MB: %d plain, %d tuned; percent %d", plain, tuned, percent)
	if percent <= basePercent {
		t.Errorf("after a flood the tuner's percent is %d, want more than %d", percent, basePercent)
	}
	// Go's default collects at least every 4 MB: over 100 times for
	// 512 MB. The tuner's headroom is tens of MB at any realistic rate.
	if tuned*3 > plain {
		t.Errorf("%d collections with the tuner for 512 MB of garbage, %d without: want under a third", tuned, plain)
	}
	if prev := debug.SetGCPercent(basePercent); prev != basePercent {
		t.Errorf("after Stop GOGC is %d, want Go's default %d", prev, basePercent)
	}
	if got := tu.Percent(); got != basePercent {
		t.Errorf("a stopped tuner reports %d, want %d", got, basePercent)
	}
	// A stopped tuner sets nothing after later cycles.
	cyclesFor(64 << 20)
	runtime.GC()
	if prev := debug.SetGCPercent(basePercent); prev != basePercent {
		t.Errorf("cycles after Stop set GOGC to %d", prev)
	}
}

// TestFirstRateStartsAtStart: what the process allocated before Start is
// not a rate. A tuner started after 256 MB of garbage, then idle, keeps
// Go's default at its first cycle.
func TestFirstRateStartsAtStart(t *testing.T) {
	cyclesFor(256 << 20)
	tu := Start(func(string) string { return "" }, Config{})
	defer tu.Stop()
	tu.mu.Lock()
	armed := tu.last
	tu.mu.Unlock()
	time.Sleep(200 * time.Millisecond)
	runtime.GC()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tu.mu.Lock()
		seen := tu.last.After(armed) // afterCycle ran
		tu.mu.Unlock()
		if seen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the tuner saw no cycle within 10 s of runtime.GC")
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if p := tu.Percent(); p != basePercent {
		t.Errorf("after an idle first cycle the percent is %d, want %d: the allocation before Start counted as a rate", p, basePercent)
	}
}
