package pool

import (
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// Strategy chooses the server for a new meeting among candidates that may
// all take it. cands is never empty.
type Strategy interface {
	Name() string
	Select(cands []*Server, m LoadModel, now time.Time) *Server
}

// NewStrategy returns the strategy of that name: "least-load" (the
// default) or "roundrobin"; nil for another name.
func NewStrategy(name string) Strategy {
	switch name {
	case "", "least-load", "leastload", "load":
		return NewLeastLoad()
	case "roundrobin", "round-robin":
		return &RoundRobin{}
	}
	return nil
}

// LeastLoad picks the server with the least weighted load, ties broken at
// random so that equal servers share a burst instead of the first taking it.
type LeastLoad struct{}

// NewLeastLoad returns the least-load strategy.
func NewLeastLoad() *LeastLoad { return &LeastLoad{} }

// Name implements Strategy.
func (*LeastLoad) Name() string { return "least-load" }

// tieEpsilon is how close two loads are to count as a tie.
const tieEpsilon = 1e-9

// Select implements Strategy.
func (*LeastLoad) Select(cands []*Server, m LoadModel, now time.Time) *Server {
	loads := make([]float64, len(cands))
	for i, s := range cands {
		loads[i] = s.Load(m, now)
	}
	return leastOf(cands, loads)
}

// leastOf returns the server of least load, loads[i] being cands[i]'s.
func leastOf(cands []*Server, loads []float64) *Server {
	var best *Server
	bestLoad, ties := 0.0, 0
	for i, s := range cands {
		l := loads[i]
		switch {
		case best == nil || l < bestLoad-tieEpsilon:
			best, bestLoad, ties = s, l, 1
		case l <= bestLoad+tieEpsilon:
			// Reservoir sampling: each of the tied servers is chosen with
			// equal chance, in one pass.
			ties++
			if rand.IntN(ties) == 0 {
				best = s
			}
		}
	}
	return best
}

// RoundRobin takes the candidates in turn, as the original tinyscale did.
type RoundRobin struct{ next atomic.Uint64 }

// Name implements Strategy.
func (*RoundRobin) Name() string { return "roundrobin" }

// Select implements Strategy.
func (r *RoundRobin) Select(cands []*Server, _ LoadModel, _ time.Time) *Server {
	n := r.next.Add(1) - 1
	return cands[n%uint64(len(cands))]
}
