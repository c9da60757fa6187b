package state

import (
	"sort"
	"sync"
)

// jobTable holds jobs in memory: the whole queue of a Memory store, and
// the set of jobs a Bolt store's process holds.
type jobTable struct {
	mu   sync.Mutex
	jobs map[string]Job
}

func (t *jobTable) put(j Job) {
	t.mu.Lock()
	if t.jobs == nil {
		t.jobs = map[string]Job{}
	}
	j.Data = append([]byte(nil), j.Data...)
	t.jobs[j.ID] = j
	t.mu.Unlock()
}

func (t *jobTable) delete(id string) {
	t.mu.Lock()
	delete(t.jobs, id)
	t.mu.Unlock()
}

func (t *jobTable) has(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.jobs[id]
	return ok
}

// list returns the jobs sorted by ID, for stable tests and exports.
func (t *jobTable) list() []Job {
	t.mu.Lock()
	out := make([]Job, 0, len(t.jobs))
	for _, j := range t.jobs {
		out = append(out, j)
	}
	t.mu.Unlock()
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out
}

// PutJob implements Store.
func (m *Memory) PutJob(j Job) error {
	m.queue.put(j)
	return nil
}

// DeleteJob implements Store.
func (m *Memory) DeleteJob(id string) error {
	m.queue.delete(id)
	return nil
}

// AdoptJobs implements Store: a Memory store lives and dies with its
// process, so every job it holds is this instance's, and there is never
// one to adopt.
func (m *Memory) AdoptJobs() ([]Job, error) { return nil, nil }

// QueuedJobs returns every job the store holds: for tests and exports.
func (m *Memory) QueuedJobs() []Job { return m.queue.list() }

// InitDoc implements Store.
func (m *Memory) InitDoc(name string, data []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if d, ok := m.docs[name]; ok {
		return append([]byte(nil), d...), nil
	}
	m.docs[name] = append([]byte(nil), data...)
	return append([]byte(nil), data...), nil
}
