package bbb

import (
	"context"
	"errors"
	"sync"
)

// Budget bounds the memory that the answers of every backend call read at
// once may hold together, not each answer alone: eight servers answering
// 60 MB each at the same time must not take eight times 60 MB. Clients
// sharing one Budget charge what they read to it and give it back when the
// caller is done with the answer (Response.Release).
//
// A call that holds nothing waits for room; a call that already holds part
// of the budget and needs more fails at once instead of waiting, so that
// calls never wait for each other in a circle.
type Budget struct {
	mu      sync.Mutex
	max     int64
	used    int64
	changed chan struct{} // closed and replaced when room is given back
}

// NewBudget returns a budget of max bytes.
func NewBudget(max int64) *Budget {
	return &Budget{max: max, changed: make(chan struct{})}
}

// ErrBudget is returned when backend answers already use the whole budget.
var ErrBudget = errors.New("backend answers exceed tinyscale's memory budget (TINYSCALE_BACKEND_MEMORY)")

// Used reports the bytes charged now.
func (b *Budget) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// acquire charges n bytes. With wait, it waits for room until ctx is done;
// without, it fails at once when there is none.
func (b *Budget) acquire(ctx context.Context, n int64, wait bool) error {
	if n > b.max {
		return ErrBudget
	}
	for {
		b.mu.Lock()
		if b.used+n <= b.max {
			b.used += n
			b.mu.Unlock()
			return nil
		}
		ch := b.changed
		b.mu.Unlock()
		if !wait {
			return ErrBudget
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (b *Budget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

// charge is what one answer holds of a budget; its release runs once.
type charge struct {
	b    *Budget
	mu   sync.Mutex
	held int64
}

func (c *charge) grow(ctx context.Context, n int64) error {
	if c.b == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.b.acquire(ctx, n, c.held == 0); err != nil {
		return err
	}
	c.held += n
	return nil
}

func (c *charge) free() {
	if c == nil || c.b == nil {
		return
	}
	c.mu.Lock()
	n := c.held
	c.held = 0
	c.mu.Unlock()
	c.b.release(n)
}
