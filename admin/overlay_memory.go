package admin

import "sync"

// MemoryOverlay keeps the changes in memory only, for `tinyscale demo`
// and tests: they are lost on exit.
type MemoryOverlay struct {
	mu sync.Mutex
	c  Changes
}

// Load implements Overlay.
func (m *MemoryOverlay) Load() (Changes, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.c.clone(), nil
}

// Save implements Overlay.
func (m *MemoryOverlay) Save(c Changes) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.c = c.clone()
	return nil
}
