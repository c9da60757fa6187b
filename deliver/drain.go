package deliver

import (
	"context"
	"time"
)

// Drain waits, for a graceful shutdown, until no attempt is in flight and
// no job is due now, or ctx is done; it returns how many jobs are left
// queued (due later, or not sent in time). Those stay in the store for the
// next start; Close must still be called.
func (q *Queue) Drain(ctx context.Context) int {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		busy, left := q.busy(time.Now())
		if !busy {
			return left
		}
		select {
		case <-ctx.Done():
			return left
		case <-t.C:
		}
	}
}

// busy reports whether an attempt is in flight or a job is due at now,
// and how many jobs are queued.
func (q *Queue) busy(now time.Time) (bool, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	busy := q.inflight > 0
	left := 0
	for _, tq := range q.tenants {
		left += tq.count
		if len(tq.waiting) > 0 && !tq.waiting[0].Due.After(now) {
			busy = true
		}
	}
	return busy, left
}
