package gateway_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/gateway"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
)

// scaleRound is the steady state of the scale scenario (issue 15): servers
// × meetings running, every one placed where it runs, created an hour ago.
func scaleRound(servers, meetings int) (*pool.Pool, *state.Memory, pool.Round) {
	created := time.Now().Add(-time.Hour)
	store := state.NewMemory()
	round := pool.Round{Started: time.Now(), Meetings: make(map[string][]pool.MeetingLoad, servers)}
	var ss []*pool.Server
	for i := range servers {
		sid := fmt.Sprintf("scale-%d", i)
		ss = append(ss, pool.NewServer(sid, nil))
		ms := make([]pool.MeetingLoad, meetings)
		for j := range ms {
			id := fmt.Sprintf("scale-%d-%d", i, j)
			ms[j] = pool.MeetingLoad{MeetingID: id, Participants: 3, Voice: 3, Video: 1, Created: created,
				Name: "Room " + id, InternalID: fmt.Sprintf("%040x-%d", i*meetings+j, created.UnixMilli())}
			store.Put(state.Meeting{Tenant: state.DefaultTenant, MeetingID: id, ServerID: sid, CreatedAt: created})
		}
		round.Meetings[sid] = ms
	}
	return pool.New(ss...), store, round
}

// BenchmarkReconcile50k is one poll round's reconcile in the scale
// scenario: 500 servers × 100 meetings, all placed, nothing to change.
// Before the reconcile kept its maps between rounds it allocated per
// meeting; compare with `-benchmem`.
func BenchmarkReconcile50k(b *testing.B) {
	p, store, round := scaleRound(500, 100)
	gw := gateway.New(gateway.Config{Secrets: []string{testSecret}}, p, store)
	gw.Reconcile(round)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		gw.Reconcile(round)
	}
	if n := len(store.Meetings()); n != 50_000 {
		b.Fatalf("%d placements after the rounds, want 50000", n)
	}
}
