package state

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// benchStores opens each kind of store for a benchmark.
func benchStores(b *testing.B) map[string]Store {
	b.Helper()
	stores := map[string]Store{"memory": NewMemory()}
	bo, err := OpenBolt(filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bo.Close() })
	stores["bolt"] = bo
	url := redisURL(b)
	stores["redis"] = openRedis(b, url, testPrefix(b, url))
	return stores
}

// BenchmarkLookup is the join path: every store answers from memory.
func BenchmarkLookup(b *testing.B) {
	for name, s := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			for i := range 1000 {
				if _, err := s.Claim(Meeting{Tenant: DefaultTenant, MeetingID: fmt.Sprintf("m%d", i), ServerID: "s1"}, ""); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, ok := s.Lookup(DefaultTenant, ids[i%1000]); !ok {
						b.Fatal("lookup missed")
					}
					i++
				}
			})
		})
	}
}

var ids = func() []string {
	out := make([]string, 1000)
	for i := range out {
		out[i] = fmt.Sprintf("m%d", i)
	}
	return out
}()

// BenchmarkClaim is the create path: parallel claims of new meetings,
// each durable (bolt: fsync'd, shared by a batch; redis: one script).
func BenchmarkClaim(b *testing.B) {
	for name, s := range benchStores(b) {
		if name == "memory" {
			continue
		}
		b.Run(name+"/one-at-a-time", func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				if _, err := s.Claim(Meeting{Tenant: DefaultTenant, MeetingID: fmt.Sprintf("o%d", i), ServerID: "s1"}, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/parallel", func(b *testing.B) {
			var n atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(8) // creates arrive concurrently; let them share commits
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := fmt.Sprintf("c%d", n.Add(1))
					if _, err := s.Claim(Meeting{Tenant: DefaultTenant, MeetingID: id, ServerID: "s1"}, ""); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkClaimAmong is a shared placement's claim, one at a time, among
// a shortlist of 64 servers and among every server of the scale
// scenario's fleet (500), each with meetings pending: the script's cost
// grows with the candidates it reads. "equal" servers share one polled
// load, as the scale scenario's do; "distinct" ones each have their own,
// the most levels a claim can send (see appendLevels).
func BenchmarkClaimAmong(b *testing.B) {
	url := redisURL(b)
	for _, tc := range []struct {
		n        int
		distinct bool
	}{{64, false}, {500, false}, {500, true}} {
		name := fmt.Sprintf("candidates=%d/equal", tc.n)
		if tc.distinct {
			name = fmt.Sprintf("candidates=%d/distinct", tc.n)
		}
		b.Run(name, func(b *testing.B) {
			r := openRedis(b, url, testPrefix(b, url))
			cands := make([]Candidate, tc.n)
			for i := range cands {
				cands[i] = Candidate{ServerID: fmt.Sprintf("127.0.0.1:%d", 30000+i), Polled: 650, Weight: 1}
				if tc.distinct {
					cands[i].Polled += float64(i) / 8
				}
			}
			span := PendingSpan{Now: time.Now(), Length: 10 * time.Second, Keep: 3}
			b.ReportAllocs()
			for i := range b.N {
				id := fmt.Sprintf("m%d", i)
				if _, err := r.ClaimAmong(Meeting{Tenant: DefaultTenant, MeetingID: id}, "", id, cands, 16, span); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
