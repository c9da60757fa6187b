package pool

import (
	"sync"
	"sync/atomic"
)

// Pool is the set of BBB servers. It is safe for concurrent use; the server
// list can be replaced at runtime (a reload of servers.json).
type Pool struct {
	mu      sync.RWMutex
	servers []*Server
	byID    map[string]*Server
	next    atomic.Uint64
}

// New returns a pool of the given servers.
func New(servers ...*Server) *Pool {
	p := &Pool{}
	p.Replace(servers)
	return p
}

// Replace swaps the server list.
func (p *Pool) Replace(servers []*Server) {
	byID := make(map[string]*Server, len(servers))
	for _, s := range servers {
		byID[s.ID] = s
	}
	p.mu.Lock()
	p.servers, p.byID = append([]*Server(nil), servers...), byID
	p.mu.Unlock()
}

// Get returns the server with that ID, or nil.
func (p *Pool) Get(id string) *Server {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.byID[id]
}

// All returns every server, in configuration order.
func (p *Pool) All() []*Server {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return append([]*Server(nil), p.servers...)
}

// Available returns the servers that may take calls now.
func (p *Pool) Available() []*Server {
	all := p.All()
	out := all[:0]
	for _, s := range all {
		if s.Available() {
			out = append(out, s)
		}
	}
	return out
}

// Pick chooses the server for a new meeting: round-robin over the available
// servers, skipping those in exclude (servers that just refused a create).
// It returns nil when no server is available.
func (p *Pool) Pick(exclude ...string) *Server {
	cands := p.Available()
	if len(exclude) > 0 {
		out := cands[:0]
		for _, s := range cands {
			if !contains(exclude, s.ID) {
				out = append(out, s)
			}
		}
		cands = out
	}
	if len(cands) == 0 {
		return nil
	}
	n := p.next.Add(1) - 1
	return cands[n%uint64(len(cands))]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
