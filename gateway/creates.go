package gateway

import (
	"strings"
	"sync"
	"time"
)

// creates remembers the creates under way and when the last create of each
// meeting finished. A poll sent before a create finished may not list the
// meeting, and must not be taken as proof that the meeting is gone.
type creates struct {
	mu sync.Mutex
	// m is by meeting ID, under a copy of it: the IDs given are cut from
	// a create's whole query. Its values are pointers so that updating a
	// meeting's state never stores the given ID as its key (assigning to
	// an existing string key replaces the key too).
	m map[string]*createState
}

type createState struct {
	running int
	done    time.Time
}

func (c *creates) begin(meetingID string) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*createState{}
	}
	st := c.m[meetingID]
	if st == nil {
		st = &createState{}
		c.m[strings.Clone(meetingID)] = st
	}
	st.running++
	c.mu.Unlock()
}

func (c *creates) end(meetingID string, t time.Time) {
	c.mu.Lock()
	if st := c.m[meetingID]; st != nil {
		st.running--
		st.done = t
	}
	c.mu.Unlock()
}

// settled reports whether no create of the meeting was under way when a
// poll was sent at pollStart, nor after it.
func (c *creates) settled(meetingID string, pollStart time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.m[meetingID]
	return st == nil || st.running == 0 && st.done.Before(pollStart)
}

// prune forgets creates that finished before t: every poll sent after t
// judges them settled anyway.
func (c *creates) prune(t time.Time) {
	c.mu.Lock()
	for id, st := range c.m {
		if st.running == 0 && st.done.Before(t) {
			delete(c.m, id)
		}
	}
	c.mu.Unlock()
}
