package state

import (
	"cmp"
	"slices"
	"strconv"
	"sync"
	"time"
)

// hookMemory is Memory's webhook registry. Its zero value is empty.
type hookMemory struct {
	mu         sync.Mutex
	next       int64
	hooks      []Hook
	deliveries map[string]HookDelivery
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

// PutHookDelivery implements HookStore.
func (m *Memory) PutHookDelivery(d HookDelivery) error {
	k := &m.hk
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.deliveries == nil {
		k.deliveries = map[string]HookDelivery{}
	}
	d.Body = slices.Clone(d.Body)
	k.deliveries[d.ID] = d
	return nil
}

// DeleteHookDelivery implements HookStore.
func (m *Memory) DeleteHookDelivery(id string) error {
	k := &m.hk
	k.mu.Lock()
	delete(k.deliveries, id)
	k.mu.Unlock()
	return nil
}

// TakeHookDeliveries implements HookStore, oldest first.
func (m *Memory) TakeHookDeliveries(owner string, staleBefore time.Time) ([]HookDelivery, error) {
	k := &m.hk
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []HookDelivery
	now := time.Now().UnixMilli()
	for id, d := range k.deliveries {
		if !takeable(d, owner, staleBefore) {
			continue
		}
		d.Owner, d.UpdatedMs = owner, now
		k.deliveries[id] = d
		d.Body = slices.Clone(d.Body)
		out = append(out, d)
	}
	sortDeliveries(out)
	return out, nil
}

// sortDeliveries orders deliveries by ID, which callers make sortable by
// time: the oldest is resumed first.
func sortDeliveries(ds []HookDelivery) {
	slices.SortFunc(ds, func(a, b HookDelivery) int { return cmp.Compare(a.ID, b.ID) })
}
