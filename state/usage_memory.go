package state

import (
	"bytes"
	"sort"
	"sync"
	"time"
)

// usageLog is the in-memory usage store of Memory. Its zero value is
// empty and ready.
type usageLog struct {
	mu   sync.Mutex
	recs map[string]UsageRecord // by usageKey
}

// AddUsage implements UsageStore.
func (m *Memory) AddUsage(recs ...UsageRecord) error {
	l := &m.usage
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.recs == nil {
		l.recs = map[string]UsageRecord{}
	}
	for _, r := range recs {
		l.recs[string(usageKey(r))] = r
	}
	return nil
}

// Usage implements UsageStore.
func (m *Memory) Usage(from, to time.Time) ([]UsageRecord, error) {
	l := &m.usage
	lo, hi := usageBound(from), usageBound(to)
	l.mu.Lock()
	var keys []string
	for k := range l.recs {
		if bytes.Compare([]byte(k), lo) >= 0 && bytes.Compare([]byte(k), hi) < 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]UsageRecord, len(keys))
	for i, k := range keys {
		out[i] = l.recs[k]
	}
	l.mu.Unlock()
	return out, nil
}

// PruneUsage implements UsageStore.
func (m *Memory) PruneUsage(before time.Time) (int, error) {
	l := &m.usage
	hi := usageBound(before)
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for k := range l.recs {
		if bytes.Compare([]byte(k), hi) < 0 {
			delete(l.recs, k)
			n++
		}
	}
	return n, nil
}
