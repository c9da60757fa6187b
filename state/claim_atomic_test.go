package state

import (
	"bytes"
	"runtime"
	"testing"
	"time"
)

// TestMemoryClaimIsOneStep makes two claims of one meeting overlap in the
// worst order, deterministically rather than by hoping the scheduler does
// it: the first claim is held inside Claim, after its check and before its
// write (in the clock it reads for CreatedAt); the second claim is let run
// until it waits on the store's lock; only then is the first let go. With
// check and write under one lock the second sees the first's placement.
// A check made before taking the lock (or without it) has by then seen the
// meeting free, and the second claim also wins: a split meeting.
func TestMemoryClaimIsOneStep(t *testing.T) {
	m := NewMemory()
	inside := make(chan struct{})
	release := make(chan struct{})
	first := true
	m.now = func() time.Time {
		if first { // only the first claim reads the clock while the test holds it
			first = false
			close(inside)
			<-release
		}
		return time.Unix(1, 0)
	}
	won := make(chan string, 2)
	go func() {
		owner, err := m.Claim(Meeting{Tenant: "default", MeetingID: "room", ServerID: "s1"}, "")
		if err != nil {
			t.Error(err)
		}
		won <- owner
	}()
	<-inside
	go func() {
		owner, err := m.Claim(Meeting{Tenant: "default", MeetingID: "room", ServerID: "s2"}, "")
		if err != nil {
			t.Error(err)
		}
		won <- owner
	}()
	waitBlockedInLock(t, "state.(*Memory).Claim")
	close(release)
	a, b := <-won, <-won
	if a != "s1" || b != "s1" {
		t.Fatalf("claims answered owners %q and %q, want s1 for both (the first claim won)", a, b)
	}
	if got, _ := m.Lookup("default", "room"); got != "s1" {
		t.Fatalf("placement %q, want s1", got)
	}
}

// waitBlockedInLock waits until some goroutine is inside fn and waiting on
// a sync lock, as the runtime's goroutine dump shows it.
func waitBlockedInLock(t *testing.T, fn string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		n := runtime.Stack(buf, true)
		for _, g := range bytes.Split(buf[:n], []byte("\n\n")) {
			if bytes.Contains(g, []byte(fn+"(")) && (bytes.Contains(g, []byte("sync.(*RWMutex).Lock")) || bytes.Contains(g, []byte("sync.(*RWMutex).RLock")) || bytes.Contains(g, []byte("sync.(*Mutex).Lock"))) {
				return
			}
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no goroutine came to wait on a lock in %s", fn)
}
