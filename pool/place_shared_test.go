package pool

import (
	"testing"
	"time"
)

// A poll interval under a millisecond (TINYSCALE_POLL_INTERVAL=500us) makes
// slots of one millisecond, not a division by zero on every create.
func TestSpanOfASubMillisecondInterval(t *testing.T) {
	p := New()
	p.PendingSpan = 500 * time.Microsecond
	sp := p.CurrentSpan()
	if sp.Cutoff.After(sp.Now) || sp.Now.Sub(sp.Cutoff) > 10*time.Millisecond {
		t.Fatalf("span now %v cutoff %v", sp.Now, sp.Cutoff)
	}
}
