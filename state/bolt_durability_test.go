package state

import (
	"bytes"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// kill -9 cannot show a missing fsync (the page cache survives a killed
// process), so the durability contract — an acknowledged write is on disk
// — is checked in its two parts: the file is opened with syncing on, and
// every write returns only after its transaction committed.

func TestBoltSyncsEveryCommit(t *testing.T) {
	b, err := OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.db.NoSync {
		t.Fatal("the bolt file is opened with NoSync: commits are not fsync'd, a power cut loses acknowledged placements")
	}
}

// TestBoltWritesReturnAfterCommit holds the file's write lock (an open
// read-write transaction) and checks that Claim and Release wait for it:
// they may return only once their own transaction committed. A write that
// returned first would acknowledge a create whose placement a crash loses.
func TestBoltWritesReturnAfterCommit(t *testing.T) {
	b, err := OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	m := Meeting{Tenant: "default", MeetingID: "room", ServerID: "s1"}
	writes := []struct {
		name string
		fn   func() error
		want bool // the key is in the file afterwards
	}{
		{"Claim", func() error { _, err := b.Claim(m, ""); return err }, true},
		{"Release", func() error { return b.Release("default", "room", "s1") }, false},
	}
	for _, w := range writes {
		tx, err := b.db.Begin(true)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback() // on failure, before b.Close, which waits for it
		done := make(chan error, 1)
		go func() { done <- w.fn() }()
		waitInCommit(t, done, "state.(*Bolt)."+w.name+"(")
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		// Returned: it must be in the file now, not only in memory.
		var inFile bool
		b.db.View(func(tx *bolt.Tx) error {
			inFile = tx.Bucket(bucketMeetings).Get(meetingKey("default", "room")) != nil
			return nil
		})
		if inFile != w.want {
			t.Fatalf("%s returned but the file has the placement: %v, want %v", w.name, inFile, w.want)
		}
	}
}

// waitInCommit waits until the goroutine running fn waits inside bolt for
// its transaction; it fails the test if fn returned first.
func waitInCommit(t *testing.T, done chan error, fn string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("%s returned (%v) while another transaction held the file: it did not wait for its commit", fn, err)
		default:
		}
		n := runtime.Stack(buf, true)
		for _, g := range bytes.Split(buf[:n], []byte("\n\n")) {
			if bytes.Contains(g, []byte(fn)) && (bytes.Contains(g, []byte("bbolt.(*DB).Batch(")) || bytes.Contains(g, []byte("bbolt.(*DB).Update("))) {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("%s never came to wait for its commit", fn)
}
