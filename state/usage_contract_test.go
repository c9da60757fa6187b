package state

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// The usage contract every store keeps, run against each implementation.

var usageContract = []struct {
	name string
	run  func(t *testing.T, s UsageStore)
}{
	{"empty", func(t *testing.T, s UsageStore) {
		recs, err := s.Usage(time.Time{}, time.Now().Add(time.Hour))
		if err != nil || len(recs) != 0 {
			t.Fatalf("Usage of an empty store = %v, %v", recs, err)
		}
	}},
	{"round trip keeps every field", func(t *testing.T, s UsageStore) {
		r := usageRec("acme", "m1", day(1, 10))
		r.Name, r.Recorded, r.PeakParticipants, r.ParticipantMinutes = "Maths 101 — ünïcode", true, 42, 1234.5
		mustUsage(t, s.AddUsage(r))
		got := usageIn(t, s, day(1, 0), day(2, 0))
		if len(got) != 1 || !sameUsage(got[0], r) {
			t.Fatalf("Usage = %+v, want [%+v]", got, r)
		}
	}},
	{"range is by start, half-open, oldest first", func(t *testing.T, s UsageStore) {
		for _, r := range []UsageRecord{
			usageRec("a", "late", day(3, 0)), // exactly at to: outside
			usageRec("a", "mid", day(2, 12)),
			usageRec("a", "first", day(2, 0)), // exactly at from: inside
			usageRec("a", "before", day(1, 23)),
		} {
			mustUsage(t, s.AddUsage(r))
		}
		got := usageIn(t, s, day(2, 0), day(3, 0))
		if len(got) != 2 || got[0].MeetingID != "first" || got[1].MeetingID != "mid" {
			t.Fatalf("Usage of day 2 = %v, want first then mid", usageIDs(got))
		}
	}},
	{"adding again replaces", func(t *testing.T, s UsageStore) {
		r := usageRec("a", "m1", day(1, 10))
		mustUsage(t, s.AddUsage(r))
		r.ParticipantMinutes = 99 // a second instance saw the same meeting end
		mustUsage(t, s.AddUsage(r))
		got := usageIn(t, s, day(1, 0), day(2, 0))
		if len(got) != 1 || got[0].ParticipantMinutes != 99 {
			t.Fatalf("after adding twice: %+v, want one record with 99", got)
		}
	}},
	{"same meetingID, other tenant or other start, are separate", func(t *testing.T, s UsageStore) {
		mustUsage(t, s.AddUsage(usageRec("a", "m1", day(1, 10))))
		mustUsage(t, s.AddUsage(usageRec("b", "m1", day(1, 10))))
		mustUsage(t, s.AddUsage(usageRec("a", "m1", day(1, 11)))) // created again later
		if got := usageIn(t, s, day(1, 0), day(2, 0)); len(got) != 3 {
			t.Fatalf("Usage = %d records, want 3", len(got))
		}
	}},
	{"prune drops what started before", func(t *testing.T, s UsageStore) {
		for i := 1; i <= 5; i++ {
			mustUsage(t, s.AddUsage(usageRec("a", "m", day(i, 0))))
		}
		n, err := s.PruneUsage(day(3, 0))
		if err != nil || n != 2 {
			t.Fatalf("PruneUsage = %d, %v; want 2", n, err)
		}
		got := usageIn(t, s, time.Time{}, day(10, 0))
		if len(got) != 3 || !got[0].Start.Equal(day(3, 0)) {
			t.Fatalf("after prune: %v", got)
		}
		if n, _ := s.PruneUsage(day(3, 0)); n != 0 {
			t.Fatalf("pruning again dropped %d", n)
		}
	}},
	{"many records in one call, a key given twice", func(t *testing.T, s UsageStore) {
		const n = 1234 // more than one Redis chunk
		recs := make([]UsageRecord, 0, n+1)
		for i := range n {
			recs = append(recs, usageRec("a", fmt.Sprint("m", i), day(1, 0).Add(time.Duration(i)*time.Second)))
		}
		again := recs[7]
		again.PeakParticipants = 99 // the later of two records with one key wins
		recs = append(recs, again)
		mustUsage(t, s.AddUsage(recs...))
		mustUsage(t, s.AddUsage()) // nothing: no error
		got := usageIn(t, s, day(1, 0), day(2, 0))
		if len(got) != n {
			t.Fatalf("%d records back, want %d", len(got), n)
		}
		for i, r := range got {
			if r.MeetingID != fmt.Sprint("m", i) {
				t.Fatalf("record %d is %s: not in start order", i, r.MeetingID)
			}
		}
		if got[7].PeakParticipants != 99 {
			t.Fatalf("the key given twice kept %d, want the later 99", got[7].PeakParticipants)
		}
	}},
}

func TestUsageContract(t *testing.T) {
	for _, k := range storeKinds {
		t.Run(k.name, func(t *testing.T) {
			for _, c := range usageContract {
				t.Run(c.name, func(t *testing.T) {
					s, ok := k.open(t).(UsageStore)
					if !ok {
						t.Fatalf("%s does not implement UsageStore", k.name)
					}
					c.run(t, s)
				})
			}
		})
	}
}

// TestBoltUsageSurvivesReopen checks that usage is durable: billing must
// not lose a month to a restart.
func TestBoltUsageSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	b, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	r := usageRec("a", "m1", day(1, 10))
	mustUsage(t, b.AddUsage(r))
	b.Close()
	b, err = OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := usageIn(t, b, day(1, 0), day(2, 0)); len(got) != 1 || !sameUsage(got[0], r) {
		t.Fatalf("after reopen: %+v", got)
	}
}

func day(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }

func usageRec(tenant, id string, start time.Time) UsageRecord {
	end := start.Add(45 * time.Minute)
	return UsageRecord{Tenant: tenant, MeetingID: id, Server: "s1", Start: start, End: end,
		DurationSeconds: end.Sub(start).Seconds(), PeakParticipants: 3, ParticipantMinutes: 100}
}

func sameUsage(a, b UsageRecord) bool {
	return a.Tenant == b.Tenant && a.MeetingID == b.MeetingID && a.Name == b.Name && a.Server == b.Server &&
		a.Start.Equal(b.Start) && a.End.Equal(b.End) && a.DurationSeconds == b.DurationSeconds &&
		a.PeakParticipants == b.PeakParticipants && a.ParticipantMinutes == b.ParticipantMinutes && a.Recorded == b.Recorded
}

func usageIn(t *testing.T, s UsageStore, from, to time.Time) []UsageRecord {
	t.Helper()
	recs, err := s.Usage(from, to)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func usageIDs(rs []UsageRecord) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.MeetingID)
	}
	return out
}

func mustUsage(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestUsageOpenRange checks that the widest range finds everything: the
// zero time and a far future bound must not overflow the key.
func TestUsageOpenRange(t *testing.T) {
	m := NewMemory()
	mustUsage(t, m.AddUsage(usageRec("a", "m", day(1, 0))))
	if got := usageIn(t, m, time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); len(got) != 1 {
		t.Fatalf("open range found %d records, want 1", len(got))
	}
}

// TestRedisInstances checks that two stores on one Redis count as two
// instances.
func TestRedisInstances(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	a := openRedis(t, url, prefix)
	n1, err := a.Instances()
	if err != nil || n1 < 1 {
		t.Fatalf("Instances = %d, %v", n1, err)
	}
	openRedis(t, url, prefix)
	if n2, _ := a.Instances(); n2 != n1+1 {
		t.Fatalf("after a second store: %d instances, want %d", n2, n1+1)
	}
}

// TestMeetingCount checks that every store counts its placements.
func TestMeetingCount(t *testing.T) {
	for _, k := range storeKinds {
		t.Run(k.name, func(t *testing.T) {
			s := k.open(t)
			c, ok := s.(MeetingCounter)
			if !ok {
				t.Fatalf("%s is not a MeetingCounter", k.name)
			}
			for i, id := range []string{"a", "b", "c"} {
				if _, err := s.Claim(Meeting{Tenant: DefaultTenant, MeetingID: id, ServerID: "s1"}, ""); err != nil {
					t.Fatal(err)
				}
				if n := c.MeetingCount(); n != i+1 {
					t.Fatalf("MeetingCount = %d, want %d", n, i+1)
				}
			}
			if err := s.Release(DefaultTenant, "b", "s1"); err != nil {
				t.Fatal(err)
			}
			if n := c.MeetingCount(); n != 2 || n != len(s.Meetings()) {
				t.Fatalf("after a release: MeetingCount = %d, Meetings %d", n, len(s.Meetings()))
			}
		})
	}
}

// BenchmarkUsageCheckpoint writes a checkpoint of 2,000 running meetings
// into each store: record by record, as the usage tracker did, and in one
// call, as it does now.
func BenchmarkUsageCheckpoint(b *testing.B) {
	recs := make([]UsageRecord, 2000)
	for i := range recs {
		recs[i] = usageRec("a", fmt.Sprint("m", i), day(1, 0).Add(time.Duration(i)*time.Second))
		recs[i].Ongoing = true
	}
	for _, k := range storeKinds {
		if k.name == "memory" {
			continue
		}
		for _, mode := range []string{"one by one", "one call"} {
			b.Run(k.name+"/"+mode, func(b *testing.B) {
				s := k.open(b).(UsageStore)
				for b.Loop() {
					if mode == "one call" {
						mustUsage(b, s.AddUsage(recs...))
						continue
					}
					for _, r := range recs {
						mustUsage(b, s.AddUsage(r))
					}
				}
			})
		}
	}
}
