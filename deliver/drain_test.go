package deliver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/state"
)

// TestDrain checks the graceful shutdown's wait: a delivery in flight to
// a slow receiver is finished, a job due only later does not hold it, and
// the context bounds it.
func TestDrain(t *testing.T) {
	var got atomic.Int32
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-time.After(300 * time.Millisecond):
		}
		got.Add(1)
	}))
	defer slow.Close()
	loopback, err := ParseDeny("")
	must(t, err)
	q := startQueue(t, state.NewMemory(), Options{HTTP: (&Targets{Deny: loopback}).Client(5 * time.Second)})
	must(t, q.Enqueue(Job{Tenant: "a", URL: slow.URL, Schedule: []time.Duration{0}}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if left := q.Drain(ctx); left != 0 || got.Load() != 1 {
		t.Fatalf("Drain left %d jobs, the receiver got %d; want 0 and 1", left, got.Load())
	}

	// A job due in an hour: Drain returns at once, and says it is left.
	must(t, q.Enqueue(Job{Tenant: "a", URL: slow.URL, Schedule: []time.Duration{time.Hour}}))
	start := time.Now()
	if left := q.Drain(ctx); left != 1 {
		t.Fatalf("Drain with a job due later: %d left, want 1", left)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Drain waited %v for a job due in an hour", d)
	}

	// A receiver that never answers: the context ends the wait.
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer hang.Close()
	defer close(release)
	must(t, q.Enqueue(Job{Tenant: "b", URL: hang.URL, Schedule: []time.Duration{0}}))
	short, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	if left := q.Drain(short); left != 2 {
		t.Fatalf("Drain past its bound: %d left, want 2", left)
	}
}
