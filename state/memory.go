package state

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tinyscale/tinyscale/internal/own"
)

// Memory is a Store held in process memory only: what it knows is lost on
// exit. It is the fast path the durable stores build on.
type Memory struct {
	mu         sync.RWMutex
	meetings   map[key]Meeting
	perTenant  map[string]int    // placements per tenant: a create under max_meetings counts them
	recordings map[string]string // recording owners, the newer generation
	recOld     map[string]string // the older one (see recordingOwnersCap)
	ownersCap  int
	docs       map[string][]byte
	now        func() time.Time
	srecs      recordingIndex // stored recordings: recordings_index.go
	queue      jobTable       // the delivery queue (queue_memory.go)
	usage      usageLog       // see usage_memory.go
	hk         hookMemory     // webhooks (hooks_memory.go)
}

type key struct{ tenant, meetingID string }

// NewMemory returns an empty store.
func NewMemory() *Memory {
	return &Memory{meetings: map[key]Meeting{}, perTenant: map[string]int{}, recordings: map[string]string{}, docs: map[string][]byte{}, now: time.Now,
		ownersCap: recordingOwnersCap}
}

// recordingOwnersCap bounds the recording owners kept in memory. An owner
// is a routing hint (a recording whose server is not known is asked of
// every server), so the least recently seen are dropped: owners are kept
// in two generations of at most half the cap each; when the newer is
// full it becomes the older, and the older is dropped. An owner set again
// (every getRecordings that lists the recording does) is in the newer.
const recordingOwnersCap = 200_000

// Lookup implements Store.
func (m *Memory) Lookup(tenant, meetingID string) (string, bool) {
	m.mu.RLock()
	mt, ok := m.meetings[key{tenant, meetingID}]
	m.mu.RUnlock()
	return mt.ServerID, ok
}

// Get implements Store.
func (m *Memory) Get(tenant, meetingID string) (Meeting, bool) {
	m.mu.RLock()
	mt, ok := m.meetings[key{tenant, meetingID}]
	m.mu.RUnlock()
	return mt, ok
}

// Claim implements Store. A zero CreatedAt is set to now.
func (m *Memory) Claim(mt Meeting, prev string) (string, error) {
	k := key{mt.Tenant, mt.MeetingID}
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur := m.meetings[k].ServerID; cur != prev {
		return cur, nil
	}
	if mt.CreatedAt.IsZero() {
		mt.CreatedAt = m.now()
	}
	m.setLocked(k, mt)
	return mt.ServerID, nil
}

// setLocked stores a placement and keeps the tenant's count. It keeps
// copies of the placement's strings (owned).
func (m *Memory) setLocked(k key, mt Meeting) {
	// Both maps with the copies as keys: assigning to a string key that
	// is there already stores the key given again.
	mt = owned(mt)
	if _, ok := m.meetings[k]; !ok {
		m.perTenant[mt.Tenant]++
	}
	m.meetings[key{mt.Tenant, mt.MeetingID}] = mt
}

// owned returns mt with its strings copied into one allocation of their
// own (own.Strings). A placement lives as long as its meeting, and the IDs it is given
// are cut from something larger: a create's whole query, an event from
// Redis, a poll's answer. Keeping such a substring kept all of it (about
// a kilobyte a meeting for a create's query).
func owned(mt Meeting) Meeting {
	own.Strings(&mt.Tenant, &mt.MeetingID, &mt.ServerID)
	return mt
}

// deleteLocked removes a placement and keeps the tenant's count.
func (m *Memory) deleteLocked(k key) {
	mt, ok := m.meetings[k]
	if !ok {
		return
	}
	delete(m.meetings, k)
	// By the placement's own copy of the tenant's name, as setLocked.
	if m.perTenant[mt.Tenant]--; m.perTenant[mt.Tenant] <= 0 {
		delete(m.perTenant, mt.Tenant)
	}
}

// TenantMeetings implements Store: a count kept as placements come and
// go, so that a create under a tenant's max_meetings costs O(1), not a
// walk over every placement of every tenant.
func (m *Memory) TenantMeetings(tenant string) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.perTenant[tenant]
}

// Put sets a placement unconditionally: for loading a store's contents
// and applying another instance's changes.
func (m *Memory) Put(mt Meeting) {
	m.mu.Lock()
	m.setLocked(key{mt.Tenant, mt.MeetingID}, mt)
	m.mu.Unlock()
}

// Delete removes a placement unconditionally.
func (m *Memory) Delete(tenant, meetingID string) {
	m.mu.Lock()
	m.deleteLocked(key{tenant, meetingID})
	m.mu.Unlock()
}

// Release implements Store.
func (m *Memory) Release(tenant, meetingID, serverID string) error {
	k := key{tenant, meetingID}
	m.mu.Lock()
	if mt, ok := m.meetings[k]; ok && mt.ServerID == serverID {
		m.deleteLocked(k)
	}
	m.mu.Unlock()
	return nil
}

// Meetings implements Store, sorted by tenant and meeting ID.
func (m *Memory) Meetings() []Meeting {
	m.mu.RLock()
	out := make([]Meeting, 0, len(m.meetings))
	for _, mt := range m.meetings {
		out = append(out, mt)
	}
	m.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Tenant != out[j].Tenant {
			return out[i].Tenant < out[j].Tenant
		}
		return out[i].MeetingID < out[j].MeetingID
	})
	return out
}

// AppendMeetings implements Store. It holds the read lock only as long
// as the copy takes, never while the caller works on the placements, so
// that a write waiting for the lock does not hold up the joins' reads.
func (m *Memory) AppendMeetings(dst []Meeting) []Meeting {
	m.mu.RLock()
	defer m.mu.RUnlock()
	dst = slices.Grow(dst, len(m.meetings))
	for _, mt := range m.meetings {
		dst = append(dst, mt)
	}
	return dst
}

// RecordingOwner implements Store.
func (m *Memory) RecordingOwner(recordID string) (string, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if s, ok := m.recordings[recordID]; ok {
		return s, true
	}
	s, ok := m.recOld[recordID]
	return s, ok
}

// SetRecordingOwner implements Store.
func (m *Memory) SetRecordingOwner(recordID, serverID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.recordings[recordID]; !ok && len(m.recordings) >= max(m.ownersCap/2, 1) {
		m.recOld, m.recordings = m.recordings, map[string]string{}
	}
	// Copies: the IDs are cut from a whole create answer or getRecordings
	// page, which an owner kept for as long as it was kept.
	m.recordings[strings.Clone(recordID)] = strings.Clone(serverID)
	return nil
}

// LoadDoc implements Store.
func (m *Memory) LoadDoc(name string) ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if d, ok := m.docs[name]; ok {
		return append([]byte(nil), d...), nil
	}
	return nil, nil
}

// SaveDoc implements Store.
func (m *Memory) SaveDoc(name string, data []byte) error {
	m.mu.Lock()
	m.docs[name] = append([]byte(nil), data...)
	m.mu.Unlock()
	return nil
}

// Close implements Store.
func (m *Memory) Close() error { return nil }

// Recordings returns a copy of every recording owner: for export.
func (m *Memory) Recordings() map[string]string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[string]string, len(m.recordings)+len(m.recOld))
	for id, s := range m.recOld {
		out[id] = s
	}
	for id, s := range m.recordings {
		out[id] = s
	}
	return out
}

// DocNames returns the names of every stored document, sorted: for export.
func (m *Memory) DocNames() []string {
	m.mu.RLock()
	out := make([]string, 0, len(m.docs))
	for name := range m.docs {
		out = append(out, name)
	}
	m.mu.RUnlock()
	sort.Strings(out)
	return out
}

// snapshot is a store's whole contents, as a durable store loads it.
type snapshot struct {
	meetings   []Meeting
	recordings map[string]string
	docs       map[string][]byte
}

// replace swaps in a snapshot's contents at once, so that readers never
// see a half-applied resync (a meeting missing for a moment would send a
// create to a second server). It takes ownership of the snapshot's maps.
func (m *Memory) replace(s snapshot) {
	meetings := make(map[key]Meeting, len(s.meetings))
	perTenant := map[string]int{}
	for _, mt := range s.meetings {
		k := key{mt.Tenant, mt.MeetingID}
		if _, dup := meetings[k]; !dup {
			perTenant[k.tenant]++
		}
		meetings[k] = mt
	}
	if s.recordings == nil {
		s.recordings = map[string]string{}
	}
	for id := range s.recordings {
		// A file or a Redis holding more owners than the cap: the
		// extra ones are hints lost, not state.
		if len(s.recordings) <= m.ownersCap/2 {
			break
		}
		delete(s.recordings, id)
	}
	if s.docs == nil {
		s.docs = map[string][]byte{}
	}
	m.mu.Lock()
	m.meetings, m.perTenant, m.recordings, m.recOld, m.docs = meetings, perTenant, s.recordings, nil, s.docs
	m.mu.Unlock()
}

// empty reports whether the store holds nothing at all.
func (m *Memory) empty() bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.meetings) == 0 && len(m.recordings) == 0 && len(m.recOld) == 0 && len(m.docs) == 0
}
