package asynclog

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a destination safe to read while the drainer writes.
type syncBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes++
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// gate is a destination that holds every write until it is opened: a
// stalled pipe.
type gate struct {
	syncBuffer
	open chan struct{}
}

func (g *gate) Write(p []byte) (int, error) {
	<-g.open
	return g.syncBuffer.Write(p)
}

// TestCloseWritesEveryLineInOrder: concurrent writers, then Close: every
// line is there, whole, and each writer's lines in its order.
func TestCloseWritesEveryLineInOrder(t *testing.T) {
	for _, size := range []int{64, 4096, 0} { // tiny buffers make writers wait
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			var out syncBuffer
			w := New(&out, size, time.Millisecond)
			const writers, lines = 8, 500
			var wg sync.WaitGroup
			for i := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := range lines {
						fmt.Fprintf(w, "w%d line %04d\n", i, j)
					}
				}()
			}
			wg.Wait()
			w.Close()
			got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if len(got) != writers*lines {
				t.Fatalf("%d lines, want %d", len(got), writers*lines)
			}
			next := make([]int, writers)
			for _, l := range got {
				var i, j int
				if _, err := fmt.Sscanf(l, "w%d line %d", &i, &j); err != nil {
					t.Fatalf("torn line %q", l)
				}
				if j != next[i] {
					t.Fatalf("writer %d: line %d after %d", i, j, next[i]-1)
				}
				next[i]++
			}
		})
	}
}

// TestWritesAreBatched: lines written close together reach the
// destination in far fewer writes than lines, and within the interval.
func TestWritesAreBatched(t *testing.T) {
	var out syncBuffer
	w := New(&out, 0, 20*time.Millisecond)
	defer w.Close()
	for i := range 100 {
		fmt.Fprintf(w, "line %d\n", i)
	}
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(out.String(), "\n") < 100 {
		if time.Now().After(deadline) {
			t.Fatalf("lines not written out: %q", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	out.mu.Lock()
	writes := out.writes
	out.mu.Unlock()
	if writes > 10 {
		t.Errorf("%d writes for 100 lines, want them batched", writes)
	}
}

// TestFullBufferWaitsAndLosesNothing: with the destination stalled, a
// Write past the buffer's size waits instead of dropping; once the
// destination moves, every line arrives.
func TestFullBufferWaitsAndLosesNothing(t *testing.T) {
	g := &gate{open: make(chan struct{})}
	w := New(g, 100, time.Millisecond)
	line := strings.Repeat("x", 39) + "\n" // 40 bytes
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 10 {
			w.Write([]byte(line))
		}
	}()
	// The drainer holds at most one buffer (stuck in the gate) and the
	// writer fills the next: it must block well before its tenth line.
	deadline := time.Now().Add(5 * time.Second)
	for w.Waits() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the writer never waited for room")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case <-done:
		t.Fatal("all lines accepted while the destination was stalled")
	default:
	}
	close(g.open)
	<-done
	w.Close()
	if got := strings.Count(g.String(), line); got != 10 {
		t.Errorf("%d lines arrived, want 10", got)
	}
}

// TestWriteAfterClose goes straight through, and Close twice is harmless.
func TestWriteAfterClose(t *testing.T) {
	var out syncBuffer
	w := New(&out, 0, time.Hour)
	fmt.Fprintln(w, "before")
	w.Close()
	w.Close()
	fmt.Fprintln(w, "after")
	if got := out.String(); got != "before\nafter\n" {
		t.Errorf("got %q", got)
	}
}

// TestHandlerFlushesWarnings: an info line waits in memory (the interval
// is an hour here), a warning is written out before Log returns, with the
// info line before it.
func TestHandlerFlushesWarnings(t *testing.T) {
	var out syncBuffer
	w := New(&out, 0, time.Hour)
	defer w.Close()
	log := slog.New(NewHandler(slog.NewTextHandler(w, nil), w)).With("instance", "a")
	log.Info("api", "call", "join")
	if out.String() != "" {
		t.Fatalf("info line written at once: %q", out.String())
	}
	log.Warn("server offline", "server", "bbb1")
	got := out.String()
	if !strings.Contains(got, "msg=api") || !strings.Contains(got, "msg=\"server offline\"") ||
		strings.Index(got, "msg=api") > strings.Index(got, "server offline") || !strings.Contains(got, "instance=a") {
		t.Errorf("after the warning: %q", got)
	}
}
