package state

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// The stored recordings' index contract, run against every Store.

func srec(id, tenant, meeting string, start int64) StoredRecording {
	return StoredRecording{RecordID: id, Tenant: tenant, MeetingID: meeting, State: "published", StartTime: start,
		Meta: map[string]string{"gl-listed": "true"}, Data: []byte(`{"formats":[]}`), Updated: time.Now().UTC().Truncate(time.Millisecond)}
}

func tenantIDs(s Store, tenant string) []string {
	var ids []string
	s.EachStoredRecording(tenant, func(r *StoredRecording) bool {
		ids = append(ids, r.RecordID)
		return true
	})
	return ids
}

var recordingContract = []struct {
	name string
	run  func(t *testing.T, s Store)
}{
	{"all of every tenant", func(t *testing.T, s Store) {
		for _, r := range []StoredRecording{srec("rb", "uni-b", "m", 1), srec("ra", DefaultTenant, "m", 5), srec("rc", "uni-a", "m", 3)} {
			if err := s.PutStoredRecording(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteStoredRecording("rc"); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range s.AllStoredRecordings() {
			ids = append(ids, r.Tenant+"/"+r.RecordID)
		}
		if !slices.Equal(ids, []string{"default/ra", "uni-b/rb"}) {
			t.Fatalf("all = %v, want default/ra, uni-b/rb (by record ID)", ids)
		}
	}},
	{"put get delete", func(t *testing.T, s Store) {
		if _, ok := s.StoredRecording("r1"); ok {
			t.Fatal("an empty index knows r1")
		}
		want := srec("r1", DefaultTenant, "m1", 10)
		if err := s.PutStoredRecording(want); err != nil {
			t.Fatal(err)
		}
		got, ok := s.StoredRecording("r1")
		if !ok || got.MeetingID != "m1" || got.Meta["gl-listed"] != "true" || string(got.Data) != string(want.Data) || !got.Updated.Equal(want.Updated) {
			t.Fatalf("StoredRecording = %+v, %v", got, ok)
		}
		if err := s.DeleteStoredRecording("r1"); err != nil {
			t.Fatal(err)
		}
		if _, ok := s.StoredRecording("r1"); ok {
			t.Fatal("deleted r1 is still there")
		}
		if err := s.DeleteStoredRecording("never"); err != nil {
			t.Fatalf("deleting an unknown recording: %v", err)
		}
	}},
	{"ordered by start time then ID, per tenant", func(t *testing.T, s Store) {
		for _, r := range []StoredRecording{
			srec("c", DefaultTenant, "m1", 30), srec("a", DefaultTenant, "m2", 10),
			srec("b2", DefaultTenant, "m1", 20), srec("b1", DefaultTenant, "m1", 20),
			srec("x", "uni-a", "m1", 5),
		} {
			if err := s.PutStoredRecording(r); err != nil {
				t.Fatal(err)
			}
		}
		if got := tenantIDs(s, DefaultTenant); !slices.Equal(got, []string{"a", "b1", "b2", "c"}) {
			t.Fatalf("default tenant: %v", got)
		}
		if got := tenantIDs(s, "uni-a"); !slices.Equal(got, []string{"x"}) {
			t.Fatalf("uni-a: %v", got)
		}
		var ids []string
		for _, r := range s.StoredRecordingsOf(DefaultTenant, "m1") {
			ids = append(ids, r.RecordID)
		}
		if !slices.Equal(ids, []string{"b1", "b2", "c"}) {
			t.Fatalf("meeting m1: %v", ids)
		}
		if n := s.CountStoredRecordings(DefaultTenant, "published"); n != 4 {
			t.Fatalf("count: %d, want 4", n)
		}
		if n := s.CountStoredRecordings("uni-a", "unpublished"); n != 0 {
			t.Fatalf("count of another state: %d", n)
		}
		if got := s.StoredRecordingsOf("uni-a", "m2"); len(got) != 0 {
			t.Fatalf("another tenant's meeting m2: %v", got)
		}
		// Stop early.
		n := 0
		s.EachStoredRecording(DefaultTenant, func(*StoredRecording) bool { n++; return n < 2 })
		if n != 2 {
			t.Fatalf("EachStoredRecording went on after false: %d calls", n)
		}
	}},
	{"replace moves an entry", func(t *testing.T, s Store) {
		s.PutStoredRecording(srec("r1", DefaultTenant, "m1", 10))
		s.PutStoredRecording(srec("r2", DefaultTenant, "m1", 20))
		moved := srec("r1", DefaultTenant, "m9", 30)
		moved.State = "unpublished"
		if err := s.PutStoredRecording(moved); err != nil {
			t.Fatal(err)
		}
		if got := tenantIDs(s, DefaultTenant); !slices.Equal(got, []string{"r2", "r1"}) {
			t.Fatalf("after replace: %v", got)
		}
		if got := s.StoredRecordingsOf(DefaultTenant, "m1"); len(got) != 1 || got[0].RecordID != "r2" {
			t.Fatalf("old meeting keeps %v", got)
		}
		if s.CountStoredRecordings(DefaultTenant, "published") != 1 || s.CountStoredRecordings(DefaultTenant, "unpublished") != 1 {
			t.Fatal("counts after a state change")
		}
		if got, _ := s.StoredRecording("r1"); got.State != "unpublished" || got.MeetingID != "m9" {
			t.Fatalf("replaced entry: %+v", got)
		}
	}},
	{"by position", func(t *testing.T, s Store) {
		// 60 entries in three states, start times with ties, another
		// tenant's in between, some replaced into another state: every
		// window and every count is the walk's.
		rng := rand.New(rand.NewPCG(13, 1))
		states := []string{"published", "unpublished", "deleted"}
		for i := range 60 {
			r := srec(fmt.Sprintf("r%02d", rng.IntN(70)), DefaultTenant, "m", int64(rng.IntN(20)))
			r.State = states[rng.IntN(3)]
			if i%7 == 0 {
				r.Tenant = "uni-a"
			}
			if err := s.PutStoredRecording(r); err != nil {
				t.Fatal(err)
			}
		}
		for _, want := range [][]string{{"published"}, {"unpublished", "published"}, {"deleted", "published", "unpublished"}, {"published", "published"}, {"processing"}} {
			var walk []StoredRecording
			s.EachStoredRecording(DefaultTenant, func(r *StoredRecording) bool {
				if slices.Contains(want, r.State) {
					walk = append(walk, *r)
				}
				return true
			})
			for from := 0; from <= len(walk)+1; from++ {
				for _, n := range []int{1, 3, 100} {
					var got, exp []string
					for _, r := range s.StoredRecordingsAt(DefaultTenant, want, from, n) {
						got = append(got, r.RecordID)
					}
					for _, r := range walk[min(from, len(walk)):min(from+n, len(walk))] {
						exp = append(exp, r.RecordID)
					}
					if !slices.Equal(got, exp) {
						t.Fatalf("states %v from %d n %d: %v, want %v", want, from, n, got, exp)
					}
				}
			}
			for st := int64(-1); st <= 20; st++ {
				exp := 0
				for _, r := range walk {
					if r.StartTime <= st {
						exp++
					}
				}
				if got := s.CountStoredRecordingsUntil(DefaultTenant, want, st); got != exp {
					t.Fatalf("states %v until %d: %d, want %d", want, st, got, exp)
				}
			}
		}
	}},
}

func TestRecordingIndexContract(t *testing.T) {
	for _, k := range storeKinds {
		t.Run(k.name, func(t *testing.T) {
			for _, c := range recordingContract {
				t.Run(c.name, func(t *testing.T) { c.run(t, k.open(t)) })
			}
		})
	}
}

// The index survives a reopen of the embedded file.
func TestBoltRecordingIndexDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	b, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := b.PutStoredRecording(srec(fmt.Sprint("r", i), DefaultTenant, "m", int64(i))); err != nil {
			t.Fatal(err)
		}
	}
	b.DeleteStoredRecording("r1")
	b.Close()
	b, err = OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := tenantIDs(b, DefaultTenant); !slices.Equal(got, []string{"r0", "r2"}) {
		t.Fatalf("after reopen: %v", got)
	}
}

// Instances sharing Redis see each other's writes at once, deletes too.
func TestRedisRecordingIndexShared(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	a, b := openRedis(t, url, prefix), openRedis(t, url, prefix)
	if err := a.PutStoredRecording(srec("r1", DefaultTenant, "m", 1)); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.StoredRecording("r1"); !ok {
		t.Fatal("b does not see a's recording")
	}
	b.PutStoredRecording(srec("r2", DefaultTenant, "m", 2))
	a.DeleteStoredRecording("r1")
	if got := tenantIDs(b, DefaultTenant); !slices.Equal(got, []string{"r2"}) {
		t.Fatalf("b after a's delete: %v", got)
	}
	if got := tenantIDs(a, DefaultTenant); !slices.Equal(got, []string{"r2"}) {
		t.Fatalf("a: %v", got)
	}
	// A third instance loads everything at once.
	c := openRedis(t, url, prefix)
	if got := c.StoredRecordingsOf(DefaultTenant, "m"); len(got) != 1 || got[0].RecordID != "r2" {
		t.Fatalf("a new instance: %v", got)
	}
}
