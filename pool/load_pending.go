package pool

import "strings"

// pendingSet is a server's reservations, with the sums their load is made
// of kept as they change, so that the pending load costs O(1) to read.
type pendingSet struct {
	m map[string]pending
	// expected sums the size hints of the reservations that have one;
	// unhinted counts those that do not (they count as MinExpected).
	expected int
	unhinted int
}

func newPendingSet() pendingSet { return pendingSet{m: map[string]pending{}} }

func (ps *pendingSet) count(p pending, sign int) {
	if p.expected > 0 {
		ps.expected += sign * p.expected
	} else {
		ps.unhinted += sign
	}
}

// put adds or replaces the reservation of id. The set keeps a copy of id:
// a meeting ID cut from a request or an event would keep all of it.
func (ps *pendingSet) put(id string, p pending) {
	if old, ok := ps.m[id]; ok {
		ps.count(old, -1)
	}
	ps.m[strings.Clone(id)] = p
	ps.count(p, +1)
}

// del drops the reservation of id, if any.
func (ps *pendingSet) del(id string) {
	if old, ok := ps.m[id]; ok {
		ps.count(old, -1)
		delete(ps.m, id)
	}
}

func (ps *pendingSet) get(id string) (pending, bool) {
	p, ok := ps.m[id]
	return p, ok
}

func (ps *pendingSet) len() int { return len(ps.m) }

// load is the sum of LoadModel.Pending over the reservations.
func (ps *pendingSet) load(m LoadModel) float64 {
	return float64(len(ps.m))*m.Meeting + float64(ps.expected) + float64(ps.unhinted*m.MinExpected)
}

// clone returns a copy that shares nothing with ps.
func (ps *pendingSet) clone() pendingSet {
	n := *ps
	n.m = make(map[string]pending, len(ps.m))
	for id, p := range ps.m {
		n.m[id] = p
	}
	return n
}
