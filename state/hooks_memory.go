package state

import (
	"slices"
	"strconv"
	"sync"
	"time"
)

// hookMemory is Memory's webhook registry. Its zero value is empty.
type hookMemory struct {
	mu    sync.Mutex
	next  int64
	hooks []Hook
}

func cloneHook(h Hook) Hook {
	h.EventIDs = slices.Clone(h.EventIDs)
	return h
}

// AddHook implements HookStore.
func (m *Memory) AddHook(h Hook) (Hook, bool, error) {
	k := &m.hk
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, o := range k.hooks {
		if o.Tenant == h.Tenant && o.CallbackURL == h.CallbackURL {
			return cloneHook(o), true, nil
		}
	}
	k.next++
	h.ID = strconv.FormatInt(k.next, 10)
	if h.CreatedAt.IsZero() {
		h.CreatedAt = time.Now()
	}
	h = cloneHook(h)
	k.hooks = append(k.hooks, h)
	return cloneHook(h), false, nil
}

// RemoveHook implements HookStore.
func (m *Memory) RemoveHook(tenant, id string) (bool, error) {
	k := &m.hk
	k.mu.Lock()
	defer k.mu.Unlock()
	n := len(k.hooks)
	k.hooks = slices.DeleteFunc(k.hooks, func(h Hook) bool { return h.ID == id && h.Tenant == tenant })
	return len(k.hooks) < n, nil
}

// Hooks implements HookStore.
func (m *Memory) Hooks() ([]Hook, error) {
	k := &m.hk
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]Hook, len(k.hooks))
	for i, h := range k.hooks {
		out[i] = cloneHook(h)
	}
	return out, nil
}
