package gateway_test

import (
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/gateway"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
)

// TestReconcileRounds pins what a reconcile decides from one or more poll
// rounds, each case on a fresh gateway over three servers. Several rounds
// in one case check that nothing of an earlier round (the reconcile keeps
// its maps between rounds) leaks into a later one.
func TestReconcileRounds(t *testing.T) {
	hourAgo := time.Now().Add(-time.Hour)
	type round map[string][]string // server → meetings it runs
	cases := []struct {
		name      string
		placed    map[string]string // meeting → server, placed an hour ago
		rounds    []round
		want      map[string]string // the placements after the rounds
		conflicts int64
	}{
		{name: "a running meeting without a placement is adopted",
			rounds: []round{{"s1": {"a"}, "s2": {}}},
			want:   map[string]string{"a": "s1"}},
		{name: "a meeting running on two servers is not adopted",
			rounds: []round{{"s1": {"a"}, "s2": {"a"}}},
			want:   map[string]string{}},
		{name: "once it runs on one only, it is",
			rounds: []round{{"s1": {"a"}, "s2": {"a"}}, {"s1": {}, "s2": {"a"}}},
			want:   map[string]string{"a": "s2"}},
		{name: "a placed meeting its server no longer runs has ended",
			placed: map[string]string{"a": "s1", "b": "s1"},
			rounds: []round{{"s1": {"b"}}},
			want:   map[string]string{"b": "s1"}},
		{name: "a server that did not answer keeps its placements",
			placed: map[string]string{"a": "s1"},
			rounds: []round{{"s2": {}}},
			want:   map[string]string{"a": "s1"}},
		{name: "running on its server and another: kept, one conflict",
			placed:    map[string]string{"a": "s1"},
			rounds:    []round{{"s1": {"a"}, "s2": {"a"}}},
			want:      map[string]string{"a": "s1"},
			conflicts: 1},
		{name: "running on two others while its server answered: ended, two conflicts",
			placed:    map[string]string{"a": "s1"},
			rounds:    []round{{"s1": {}, "s2": {"a"}, "s3": {"a"}}},
			want:      map[string]string{},
			conflicts: 2},
		{name: "running elsewhere while its server is away: kept, a conflict per round",
			placed:    map[string]string{"a": "s1"},
			rounds:    []round{{"s2": {"a"}}, {"s2": {"a"}}},
			want:      map[string]string{"a": "s1"},
			conflicts: 2},
		{name: "then gone from its server: ended, whatever ran where before",
			placed:    map[string]string{"a": "s1"},
			rounds:    []round{{"s1": {"a"}, "s2": {"a"}}, {"s1": {}, "s2": {"a"}}},
			want:      map[string]string{},
			conflicts: 2},
		{name: "a conflict of one round is not counted again once it is gone",
			placed:    map[string]string{"a": "s1"},
			rounds:    []round{{"s1": {"a"}, "s2": {"a"}}, {"s1": {"a"}, "s2": {}}},
			want:      map[string]string{"a": "s1"},
			conflicts: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := state.NewMemory()
			for id, sid := range tc.placed {
				store.Put(state.Meeting{Tenant: state.DefaultTenant, MeetingID: id, ServerID: sid, CreatedAt: hourAgo})
			}
			p := pool.New(pool.NewServer("s1", nil), pool.NewServer("s2", nil), pool.NewServer("s3", nil))
			gw := gateway.New(gateway.Config{Secrets: []string{testSecret}}, p, store)
			for _, r := range tc.rounds {
				pr := pool.Round{Started: time.Now(), Meetings: map[string][]pool.MeetingLoad{}}
				for sid, ids := range r {
					ms := []pool.MeetingLoad{}
					for _, id := range ids {
						ms = append(ms, pool.MeetingLoad{MeetingID: id, Created: hourAgo})
					}
					pr.Meetings[sid] = ms
				}
				gw.Reconcile(pr)
			}
			got := map[string]string{}
			for _, m := range store.Meetings() {
				got[m.MeetingID] = m.ServerID
			}
			if len(got) != len(tc.want) {
				t.Errorf("placements %v, want %v", got, tc.want)
			}
			for id, sid := range tc.want {
				if got[id] != sid {
					t.Errorf("placements %v, want %v", got, tc.want)
					break
				}
			}
			if n := gw.Conflicts(); n != tc.conflicts {
				t.Errorf("%d conflicts counted, want %d", n, tc.conflicts)
			}
		})
	}
}
