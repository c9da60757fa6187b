package state

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// StoredRecording is one recording kept in tinyscale's own recording
// store (package recordings): the index entry every instance shares. The
// fields are those getRecordings filters and sorts by; Data holds the rest
// (formats, where their files are), owned by package recordings.
type StoredRecording struct {
	RecordID string `json:"record_id"`
	Tenant   string `json:"tenant"`
	// MeetingID is the tenant's own meeting ID (what its integration
	// sent), not the backend-side one.
	MeetingID string `json:"meeting_id"`
	// State is published, unpublished or deleted, as BBB names them.
	State string `json:"state"`
	// StartTime is BBB's start_time, milliseconds since the epoch.
	StartTime int64             `json:"start_time"`
	Meta      map[string]string `json:"meta,omitempty"`
	Data      []byte            `json:"data,omitempty"`
	Updated   time.Time         `json:"updated"`
}

// RecordingIndex keeps the stored recordings' index. Reads answer from
// memory. Every write is durable when it returns and seen by every
// instance sharing the store. Entries are values: a caller may keep one,
// but must not change its map or Data.
type RecordingIndex interface {
	// PutStoredRecording adds or replaces the entry of r.RecordID.
	PutStoredRecording(r StoredRecording) error
	// DeleteStoredRecording forgets a recording; unknown IDs are no error.
	DeleteStoredRecording(recordID string) error
	// StoredRecording returns one entry.
	StoredRecording(recordID string) (StoredRecording, bool)
	// EachStoredRecording calls fn for a tenant's entries in the order of
	// getRecordings (StartTime, then RecordID) until fn returns false. fn
	// must not call the index.
	EachStoredRecording(tenant string, fn func(*StoredRecording) bool)
	// StoredRecordingsOf returns a tenant's entries of one meeting, in the
	// same order.
	StoredRecordingsOf(tenant, meetingID string) []StoredRecording
	// CountStoredRecordings returns how many of a tenant's entries are in
	// the given state, at once (a page's totalElements).
	CountStoredRecordings(tenant, state string) int
	// AllStoredRecordings returns every entry of every tenant, by record
	// ID (for export).
	AllStoredRecordings() []StoredRecording
}

// recordingIndex is the in-memory index every Store builds on: by ID, and
// per tenant sorted and by meeting. Entries are never changed in place, so
// a reader holding one sees a consistent value.
type recordingIndex struct {
	mu        sync.RWMutex
	byID      map[string]*StoredRecording
	byTenant  map[string][]*StoredRecording            // sorted by less
	byMeeting map[string]map[string][]*StoredRecording // tenant → meeting ID
	counts    map[[2]string]int                        // (tenant, state) → entries
}

func less(a, b *StoredRecording) int {
	if c := cmp.Compare(a.StartTime, b.StartTime); c != 0 {
		return c
	}
	return cmp.Compare(a.RecordID, b.RecordID)
}

func (x *recordingIndex) put(r StoredRecording) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.byID == nil {
		x.byID = map[string]*StoredRecording{}
		x.byTenant = map[string][]*StoredRecording{}
		x.byMeeting = map[string]map[string][]*StoredRecording{}
		x.counts = map[[2]string]int{}
	}
	x.removeLocked(r.RecordID)
	p := &r
	x.byID[r.RecordID] = p
	list := x.byTenant[r.Tenant]
	i, _ := slices.BinarySearchFunc(list, p, less)
	x.byTenant[r.Tenant] = slices.Insert(list, i, p)
	m := x.byMeeting[r.Tenant]
	if m == nil {
		m = map[string][]*StoredRecording{}
		x.byMeeting[r.Tenant] = m
	}
	ml := m[r.MeetingID]
	j, _ := slices.BinarySearchFunc(ml, p, less)
	m[r.MeetingID] = slices.Insert(ml, j, p)
	x.counts[[2]string{r.Tenant, r.State}]++
}

func (x *recordingIndex) remove(recordID string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.removeLocked(recordID)
}

func (x *recordingIndex) removeLocked(recordID string) {
	old, ok := x.byID[recordID]
	if !ok {
		return
	}
	delete(x.byID, recordID)
	if k := [2]string{old.Tenant, old.State}; x.counts[k] > 1 {
		x.counts[k]--
	} else {
		delete(x.counts, k)
	}
	drop := func(list []*StoredRecording) []*StoredRecording {
		i, found := slices.BinarySearchFunc(list, old, less)
		if found && list[i] == old {
			return slices.Delete(list, i, i+1)
		}
		return slices.DeleteFunc(list, func(e *StoredRecording) bool { return e == old })
	}
	if l := drop(x.byTenant[old.Tenant]); len(l) > 0 {
		x.byTenant[old.Tenant] = l
	} else {
		delete(x.byTenant, old.Tenant)
	}
	m := x.byMeeting[old.Tenant]
	if l := drop(m[old.MeetingID]); len(l) > 0 {
		m[old.MeetingID] = l
	} else {
		delete(m, old.MeetingID)
	}
}

func (x *recordingIndex) get(recordID string) (StoredRecording, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if p, ok := x.byID[recordID]; ok {
		return *p, true
	}
	return StoredRecording{}, false
}

func (x *recordingIndex) each(tenant string, fn func(*StoredRecording) bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, p := range x.byTenant[tenant] {
		if !fn(p) {
			return
		}
	}
}

func (x *recordingIndex) of(tenant, meetingID string) []StoredRecording {
	x.mu.RLock()
	defer x.mu.RUnlock()
	list := x.byMeeting[tenant][meetingID]
	out := make([]StoredRecording, len(list))
	for i, p := range list {
		out[i] = *p
	}
	return out
}

func (x *recordingIndex) all() []StoredRecording {
	x.mu.RLock()
	out := make([]StoredRecording, 0, len(x.byID))
	for _, p := range x.byID {
		out = append(out, *p)
	}
	x.mu.RUnlock()
	slices.SortFunc(out, func(a, b StoredRecording) int { return cmp.Compare(a.RecordID, b.RecordID) })
	return out
}

func (x *recordingIndex) count(tenant, state string) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.counts[[2]string{tenant, state}]
}

// AllStoredRecordings implements RecordingIndex.
func (m *Memory) AllStoredRecordings() []StoredRecording { return m.srecs.all() }

// CountStoredRecordings implements RecordingIndex.
func (m *Memory) CountStoredRecordings(tenant, state string) int { return m.srecs.count(tenant, state) }

// PutStoredRecording implements RecordingIndex.
func (m *Memory) PutStoredRecording(r StoredRecording) error {
	m.srecs.put(r)
	return nil
}

// DeleteStoredRecording implements RecordingIndex.
func (m *Memory) DeleteStoredRecording(recordID string) error {
	m.srecs.remove(recordID)
	return nil
}

// StoredRecording implements RecordingIndex.
func (m *Memory) StoredRecording(recordID string) (StoredRecording, bool) {
	return m.srecs.get(recordID)
}

// EachStoredRecording implements RecordingIndex.
func (m *Memory) EachStoredRecording(tenant string, fn func(*StoredRecording) bool) {
	m.srecs.each(tenant, fn)
}

// StoredRecordingsOf implements RecordingIndex.
func (m *Memory) StoredRecordingsOf(tenant, meetingID string) []StoredRecording {
	return m.srecs.of(tenant, meetingID)
}

// replace swaps the whole index for fresh's contents.
func (x *recordingIndex) replace(fresh *recordingIndex) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.byID, x.byTenant, x.byMeeting, x.counts = fresh.byID, fresh.byTenant, fresh.byMeeting, fresh.counts
}
