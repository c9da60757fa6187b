package pool

import (
	"hash/maphash"
	"sync"
)

// answers remembers, for each polled server, a digest of its last
// getMeetings answer and the meetings parsed from it. A server whose
// meetings did not change since the last poll (a quiet fleet, a night, a
// fleet of long lectures) sends the same bytes again; parsing them again
// was most of a poll's CPU, and the garbage it made most of the rest.
// The digest is a 64-bit maphash with a per-process random seed, so two
// different answers of one server agree by chance once in 2^64 polls,
// and nobody outside can craft a collision. It holds one entry per
// server in the pool: keep drops the servers no longer in it.
type answers struct {
	mu     sync.Mutex
	seeded maphash.Seed
	once   sync.Once
	m      map[*Server]answer
}

type answer struct {
	sum      uint64
	size     int
	meetings []MeetingLoad
}

func (a *answers) seed() maphash.Seed {
	a.once.Do(func() { a.seeded = maphash.MakeSeed() })
	return a.seeded
}

// get returns the meetings of s's last answer, and whether that answer
// had this digest and size (the same answer again). The slice is shared:
// its readers never change it.
func (a *answers) get(s *Server, sum uint64, size int) (last []MeetingLoad, same bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.m[s]
	return e.meetings, e.meetings != nil && e.sum == sum && e.size == size
}

func (a *answers) put(s *Server, sum uint64, size int, ms []MeetingLoad) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil {
		a.m = map[*Server]answer{}
	}
	a.m[s] = answer{sum: sum, size: size, meetings: ms}
}

// keep forgets the servers not in all (removed from the pool).
func (a *answers) keep(all []*Server) {
	in := make(map[*Server]bool, len(all))
	for _, s := range all {
		in[s] = true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for s := range a.m {
		if !in[s] {
			delete(a.m, s)
		}
	}
}

// len is the number of servers remembered.
func (a *answers) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.m)
}
