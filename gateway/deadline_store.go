package gateway

import (
	"fmt"
	"time"

	"github.com/tinyscale/tinyscale/state"
)

// deadlineStore gives every write to the state store a deadline: a stalled
// disk (or a Redis that takes its time) costs a create StateTimeout and a
// clear BBB error, never a hang. Reads answer from memory and pass through.
//
// A write that missed its deadline still runs to its end in the
// background; at most maxStalledWrites do at once, further writes fail at
// once, so a disk that never comes back cannot pile up goroutines.
type deadlineStore struct {
	state.Store
	timeout time.Duration
	slots   chan struct{}
}

// maxStalledWrites bounds the writes under way at once.
const maxStalledWrites = 256

func newDeadlineStore(s state.Store, timeout time.Duration) *deadlineStore {
	return &deadlineStore{Store: s, timeout: timeout, slots: make(chan struct{}, maxStalledWrites)}
}

// errStalled is what a write that missed its deadline returns.
func (d *deadlineStore) errStalled() error {
	return fmt.Errorf("%w: a write did not finish within %v (a stalled or full disk?)", state.ErrUnavailable, d.timeout)
}

// run runs write with the deadline.
func (d *deadlineStore) run(write func() error) error {
	select {
	case d.slots <- struct{}{}:
	default:
		return d.errStalled()
	}
	done := make(chan error, 1)
	go func() {
		defer func() { <-d.slots }()
		done <- write()
	}()
	t := time.NewTimer(d.timeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return d.errStalled()
	}
}

// Claim implements state.Store with the deadline. A claim that missed it
// may still land: the placement then names a server that never got the
// create, and the next poll round drops it.
func (d *deadlineStore) Claim(m state.Meeting, prev string) (string, error) {
	var owner string
	err := d.run(func() error {
		o, err := d.Store.Claim(m, prev)
		owner = o
		return err
	})
	if err != nil {
		return "", err
	}
	return owner, nil
}

// Release implements state.Store with the deadline.
func (d *deadlineStore) Release(tenant, meetingID, serverID string) error {
	return d.run(func() error { return d.Store.Release(tenant, meetingID, serverID) })
}

// SetRecordingOwner implements state.Store with the deadline.
func (d *deadlineStore) SetRecordingOwner(recordID, serverID string) error {
	return d.run(func() error { return d.Store.SetRecordingOwner(recordID, serverID) })
}

// SaveDoc implements state.Store with the deadline.
func (d *deadlineStore) SaveDoc(name string, data []byte) error {
	return d.run(func() error { return d.Store.SaveDoc(name, data) })
}
