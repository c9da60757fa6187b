package state

import (
	"cmp"
	"slices"
	"sort"
	"sync"
	"time"
	"unique"
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
	// StoredRecordingsAt returns up to n of a tenant's entries in the
	// given states, from position from of their common getRecordings
	// order: a page found without walking the entries before it.
	StoredRecordingsAt(tenant string, states []string, from, n int) []StoredRecording
	// CountStoredRecordingsUntil returns how many of a tenant's entries in
	// the given states start at or before startTime (where a recording
	// not in the index falls among them).
	CountStoredRecordingsUntil(tenant string, states []string, startTime int64) int
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
	// byState holds each (tenant, state)'s entries sorted by less: a
	// page of getRecordings is found in them by position.
	byState map[[2]string][]*StoredRecording
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
		x.byState = map[[2]string][]*StoredRecording{}
	}
	x.removeLocked(r.RecordID)
	intern(&r)
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
	k := [2]string{r.Tenant, r.State}
	sl := x.byState[k]
	h, _ := slices.BinarySearchFunc(sl, p, less)
	x.byState[k] = slices.Insert(sl, h, p)
}

// intern makes r's repeated strings (tenant, state, meeting ID, the
// metadata's names and usual values) share one copy with every other
// entry's: the index of 100,000 recordings is then about half as many
// objects for the collector to mark, which is what a getRecordings that
// meets a collection waits for. unique drops a string no entry holds.
func intern(r *StoredRecording) {
	r.Tenant = unique.Make(r.Tenant).Value()
	r.State = unique.Make(r.State).Value()
	r.MeetingID = unique.Make(r.MeetingID).Value()
	if len(r.Meta) > 0 {
		meta := make(map[string]string, len(r.Meta))
		for k, v := range r.Meta {
			meta[unique.Make(k).Value()] = unique.Make(v).Value()
		}
		r.Meta = meta
	}
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
	k := [2]string{old.Tenant, old.State}
	if l := drop(x.byState[k]); len(l) > 0 {
		x.byState[k] = l
	} else {
		delete(x.byState, k)
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
	return len(x.byState[[2]string{tenant, state}])
}

// lists returns the sorted lists of a tenant's entries in states, each
// state once. The caller holds x.mu.
func (x *recordingIndex) lists(tenant string, states []string) [][]*StoredRecording {
	var out [][]*StoredRecording
	for i, st := range states {
		if slices.Contains(states[:i], st) {
			continue
		}
		if l := x.byState[[2]string{tenant, st}]; len(l) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// at returns up to n entries from position from of the merged order of a
// tenant's entries in states. Each list's share of the entries before
// from is found by binary search (an entry's merged position is its index
// plus the entries of the other lists less than it, which grows with the
// index), so a page costs O(states² log² entries + n), whatever from is.
func (x *recordingIndex) at(tenant string, states []string, from, n int) []StoredRecording {
	x.mu.RLock()
	defer x.mu.RUnlock()
	lists := x.lists(tenant, states)
	pos := make([]int, len(lists))
	for a, l := range lists {
		pos[a] = sort.Search(len(l), func(i int) bool {
			merged := i
			for b, o := range lists {
				if b != a {
					k, _ := slices.BinarySearchFunc(o, l[i], less)
					merged += k
				}
			}
			return merged >= from
		})
	}
	var out []StoredRecording
	for len(out) < n {
		best := -1
		for a, l := range lists {
			if pos[a] < len(l) && (best < 0 || less(l[pos[a]], lists[best][pos[best]]) < 0) {
				best = a
			}
		}
		if best < 0 {
			break
		}
		out = append(out, *lists[best][pos[best]])
		pos[best]++
	}
	return out
}

// until returns how many of a tenant's entries in states start at or
// before t.
func (x *recordingIndex) until(tenant string, states []string, t int64) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	total := 0
	for _, l := range x.lists(tenant, states) {
		total += sort.Search(len(l), func(i int) bool { return l[i].StartTime > t })
	}
	return total
}

// StoredRecordingsAt implements RecordingIndex.
func (m *Memory) StoredRecordingsAt(tenant string, states []string, from, n int) []StoredRecording {
	return m.srecs.at(tenant, states, from, n)
}

// CountStoredRecordingsUntil implements RecordingIndex.
func (m *Memory) CountStoredRecordingsUntil(tenant string, states []string, t int64) int {
	return m.srecs.until(tenant, states, t)
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
	x.byID, x.byTenant, x.byMeeting, x.byState = fresh.byID, fresh.byTenant, fresh.byMeeting, fresh.byState
}
