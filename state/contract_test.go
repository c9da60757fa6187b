package state

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// The contract every Store keeps, run against each implementation.

// storeKinds opens a fresh, empty store of each kind.
var storeKinds = []struct {
	name string
	open func(t testing.TB) Store
}{
	{"memory", func(t testing.TB) Store { return NewMemory() }},
	{"bolt", func(t testing.TB) Store {
		b, err := OpenBolt(filepath.Join(t.TempDir(), "state.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	}},
	{"redis", func(t testing.TB) Store {
		url := redisURL(t)
		return openRedis(t, url, testPrefix(t, url))
	}},
}

var contract = []struct {
	name string
	run  func(t *testing.T, s Store)
}{
	{"lookup and get after claim", func(t *testing.T, s Store) {
		if _, ok := s.Lookup(DefaultTenant, "m1"); ok {
			t.Fatal("an empty store knows m1")
		}
		if _, ok := s.Get(DefaultTenant, "m1"); ok {
			t.Fatal("an empty store gets m1")
		}
		owner := claim(t, s, Meeting{Tenant: DefaultTenant, MeetingID: "m1", ServerID: "s1", Expected: 40}, "")
		if owner != "s1" {
			t.Fatalf("claim of a free meeting: owner %q, want s1", owner)
		}
		if sid, ok := s.Lookup(DefaultTenant, "m1"); !ok || sid != "s1" {
			t.Fatalf("Lookup = %q, %v; want s1, true", sid, ok)
		}
		m, ok := s.Get(DefaultTenant, "m1")
		if !ok || m.ServerID != "s1" || m.Expected != 40 || m.Tenant != DefaultTenant || m.MeetingID != "m1" {
			t.Fatalf("Get = %+v, %v", m, ok)
		}
		if m.CreatedAt.IsZero() || time.Since(m.CreatedAt) > time.Minute {
			t.Fatalf("CreatedAt = %v, want about now", m.CreatedAt)
		}
	}},
	{"claim keeps a given created at", func(t *testing.T, s Store) {
		at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
		claim(t, s, Meeting{Tenant: DefaultTenant, MeetingID: "m1", ServerID: "s1", CreatedAt: at}, "")
		if m, _ := s.Get(DefaultTenant, "m1"); !m.CreatedAt.Equal(at) {
			t.Fatalf("CreatedAt = %v, want %v", m.CreatedAt, at)
		}
	}},
	{"claim is compare and swap", func(t *testing.T, s Store) {
		m := Meeting{Tenant: DefaultTenant, MeetingID: "m1", ServerID: "s1"}
		claim(t, s, m, "")
		m.ServerID = "s2"
		if owner := claim(t, s, m, ""); owner != "s1" {
			t.Fatalf("claim with prev \"\" of a held meeting: owner %q, want the holder s1", owner)
		}
		if owner := claim(t, s, m, "s3"); owner != "s1" {
			t.Fatalf("claim with a wrong prev: owner %q, want s1", owner)
		}
		if sid, _ := s.Lookup(DefaultTenant, "m1"); sid != "s1" {
			t.Fatalf("a lost claim moved the meeting to %q", sid)
		}
		if owner := claim(t, s, m, "s1"); owner != "s2" {
			t.Fatalf("claim with prev = holder: owner %q, want s2", owner)
		}
		if sid, _ := s.Lookup(DefaultTenant, "m1"); sid != "s2" {
			t.Fatalf("after replacing: Lookup = %q, want s2", sid)
		}
	}},
	{"concurrent claims have one winner", func(t *testing.T, s Store) {
		owners := concurrentClaims(t, []Store{s}, "m1", 100)
		won := 0
		for i, o := range owners {
			if o != owners[0] {
				t.Fatalf("claim %d learnt owner %q, claim 0 learnt %q", i, o, owners[0])
			}
			if o == fmt.Sprintf("s%d", i) {
				won++
			}
		}
		if won != 1 {
			t.Fatalf("%d claims won, want exactly 1", won)
		}
		if sid, _ := s.Lookup(DefaultTenant, "m1"); sid != owners[0] {
			t.Fatalf("Lookup = %q, want the winner %q", sid, owners[0])
		}
	}},
	{"release only by the holder", func(t *testing.T, s Store) {
		claim(t, s, Meeting{Tenant: DefaultTenant, MeetingID: "m1", ServerID: "s1"}, "")
		must(t, s.Release(DefaultTenant, "m1", "s2"))
		if sid, ok := s.Lookup(DefaultTenant, "m1"); !ok || sid != "s1" {
			t.Fatalf("release by another server dropped the meeting: %q, %v", sid, ok)
		}
		must(t, s.Release(DefaultTenant, "m1", "s1"))
		if _, ok := s.Lookup(DefaultTenant, "m1"); ok {
			t.Fatal("release by the holder kept the meeting")
		}
		must(t, s.Release(DefaultTenant, "m1", "s1")) // releasing nothing is fine
		if owner := claim(t, s, Meeting{Tenant: DefaultTenant, MeetingID: "m1", ServerID: "s3"}, ""); owner != "s3" {
			t.Fatalf("claim after release: owner %q, want s3", owner)
		}
	}},
	{"meetings lists every placement", func(t *testing.T, s Store) {
		want := []Meeting{
			{Tenant: "a", MeetingID: "m1", ServerID: "s1"},
			{Tenant: "a", MeetingID: "m2", ServerID: "s2"},
			{Tenant: "b", MeetingID: "m1", ServerID: "s3"},
		}
		for _, m := range want {
			claim(t, s, m, "")
		}
		claim(t, s, Meeting{Tenant: "c", MeetingID: "gone", ServerID: "s1"}, "")
		must(t, s.Release("c", "gone", "s1"))
		got := s.Meetings()
		if len(got) != len(want) {
			t.Fatalf("Meetings = %+v, want %d", got, len(want))
		}
		for i := range want {
			if got[i].Tenant != want[i].Tenant || got[i].MeetingID != want[i].MeetingID || got[i].ServerID != want[i].ServerID {
				t.Fatalf("Meetings[%d] = %+v, want %+v", i, got[i], want[i])
			}
		}
	}},
	{"recording owners", func(t *testing.T, s Store) {
		if _, ok := s.RecordingOwner("r1"); ok {
			t.Fatal("an empty store knows r1")
		}
		must(t, s.SetRecordingOwner("r1", "s1"))
		must(t, s.SetRecordingOwner("r2", "s2"))
		must(t, s.SetRecordingOwner("r1", "s3"))
		if sid, ok := s.RecordingOwner("r1"); !ok || sid != "s3" {
			t.Fatalf("RecordingOwner(r1) = %q, %v; want s3", sid, ok)
		}
		if sid, _ := s.RecordingOwner("r2"); sid != "s2" {
			t.Fatalf("RecordingOwner(r2) = %q, want s2", sid)
		}
	}},
	{"docs round trip", func(t *testing.T, s Store) {
		if d, err := s.LoadDoc("admin"); err != nil || d != nil {
			t.Fatalf("LoadDoc of a missing doc = %q, %v; want nil, nil", d, err)
		}
		must(t, s.SaveDoc("admin", []byte(`{"s1":"cordoned"}`)))
		bin := []byte{0, 1, 2, 0xff, '\n'}
		must(t, s.SaveDoc("bin", bin))
		must(t, s.SaveDoc("admin", []byte(`{"s1":"enabled"}`)))
		if d, err := s.LoadDoc("admin"); err != nil || string(d) != `{"s1":"enabled"}` {
			t.Fatalf("LoadDoc(admin) = %q, %v", d, err)
		}
		if d, err := s.LoadDoc("bin"); err != nil || !bytes.Equal(d, bin) {
			t.Fatalf("LoadDoc(bin) = %q, %v", d, err)
		}
	}},
	{"tenants isolate", func(t *testing.T, s Store) {
		claim(t, s, Meeting{Tenant: "a", MeetingID: "m1", ServerID: "s1"}, "")
		if owner := claim(t, s, Meeting{Tenant: "b", MeetingID: "m1", ServerID: "s2"}, ""); owner != "s2" {
			t.Fatalf("tenant b's m1 went to %q: it must not see tenant a's", owner)
		}
		must(t, s.Release("a", "m1", "s1"))
		if _, ok := s.Lookup("a", "m1"); ok {
			t.Fatal("a's m1 survived its release")
		}
		if sid, _ := s.Lookup("b", "m1"); sid != "s2" {
			t.Fatalf("releasing a's m1 touched b's: %q", sid)
		}
		if _, ok := s.Lookup("a:m1", ""); ok {
			t.Fatal("keys of different tenants collide")
		}
	}},
	{"tenant counts follow claims, moves and releases", func(t *testing.T, s Store) {
		count := func() map[string]int {
			n := map[string]int{}
			for _, m := range s.Meetings() {
				n[m.Tenant]++
			}
			return n
		}
		check := func(step string) {
			t.Helper()
			want := count()
			for _, tn := range []string{"a", "b", "c"} {
				if got := s.TenantMeetings(tn); got != want[tn] {
					t.Fatalf("after %s: TenantMeetings(%q) = %d, placements say %d", step, tn, got, want[tn])
				}
			}
		}
		check("nothing")
		for i := range 5 {
			claim(t, s, Meeting{Tenant: "a", MeetingID: fmt.Sprint("m", i), ServerID: "s1"}, "")
		}
		claim(t, s, Meeting{Tenant: "b", MeetingID: "m0", ServerID: "s1"}, "")
		check("six claims")
		claim(t, s, Meeting{Tenant: "a", MeetingID: "m0", ServerID: "s9"}, "")   // lost: held by s1
		claim(t, s, Meeting{Tenant: "a", MeetingID: "m1", ServerID: "s2"}, "s1") // moved
		check("a lost claim and a move")
		must(t, s.Release("a", "m2", "s7")) // not its server
		must(t, s.Release("a", "m3", "s1"))
		must(t, s.Release("a", "m3", "s1")) // again
		must(t, s.Release("c", "none", "s1"))
		check("releases")
		if got := s.TenantMeetings("a"); got != 4 {
			t.Fatalf("tenant a holds %d meetings, want 4", got)
		}
	}},
}

func TestContract(t *testing.T) {
	for _, k := range storeKinds {
		t.Run(k.name, func(t *testing.T) {
			for _, c := range contract {
				t.Run(c.name, func(t *testing.T) { c.run(t, k.open(t)) })
			}
		})
	}
}

func claim(t *testing.T, s Store, m Meeting, prev string) string {
	t.Helper()
	owner, err := s.Claim(m, prev)
	if err != nil {
		t.Fatalf("Claim(%+v, %q): %v", m, prev, err)
	}
	return owner
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// concurrentClaims claims meetingID n times at once, claim i for server
// si through stores[i%len(stores)], and returns the owner each learnt.
func concurrentClaims(t *testing.T, stores []Store, meetingID string, n int) []string {
	t.Helper()
	owners := make([]string, n)
	errs := make([]error, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		wg.Go(func() {
			start.Wait()
			owners[i], errs[i] = stores[i%len(stores)].Claim(
				Meeting{Tenant: DefaultTenant, MeetingID: meetingID, ServerID: fmt.Sprintf("s%d", i)}, "")
		})
	}
	start.Done()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("claim %d: %v", i, err)
		}
	}
	if slices.Contains(owners, "") {
		t.Fatalf("a claim learnt no owner: %q", owners)
	}
	return owners
}

// TestTenantMeetingsAfterReplace: a resync or a load swaps in a whole
// snapshot; the tenant counts are those of the snapshot, not the sum of
// before and after.
func TestTenantMeetingsAfterReplace(t *testing.T) {
	m := NewMemory()
	for i := range 3 {
		claim(t, m, Meeting{Tenant: "a", MeetingID: fmt.Sprint("old-", i), ServerID: "s1"}, "")
	}
	m.replace(snapshot{meetings: []Meeting{
		{Tenant: "a", MeetingID: "x", ServerID: "s1"},
		{Tenant: "b", MeetingID: "x", ServerID: "s2"},
		{Tenant: "b", MeetingID: "y", ServerID: "s2"},
		{Tenant: "b", MeetingID: "y", ServerID: "s3"}, // listed twice: one placement
	}})
	for tn, want := range map[string]int{"a": 1, "b": 2, "c": 0} {
		if got := m.TenantMeetings(tn); got != want {
			t.Errorf("TenantMeetings(%q) = %d, want %d", tn, got, want)
		}
	}
	m.Delete("b", "y")
	m.Delete("b", "y")
	if got := m.TenantMeetings("b"); got != 1 {
		t.Errorf("after deleting y twice: %d, want 1", got)
	}
}
