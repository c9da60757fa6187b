package state

import (
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// The webhook registry's contract, run against each store kind.
var hookContract = []struct {
	name string
	run  func(t *testing.T, s Store)
}{
	{"ids count from 1 and duplicates answer the first", func(t *testing.T, s Store) {
		h1 := addHook(t, s, Hook{Tenant: "a", CallbackURL: "https://a.example/hook", EventIDs: []string{"meeting-created"}}, false)
		h2 := addHook(t, s, Hook{Tenant: "a", CallbackURL: "https://a.example/other", MeetingID: "room"}, false)
		if h1.ID != "1" || h2.ID != "2" {
			t.Fatalf("IDs %q %q, want 1 2", h1.ID, h2.ID)
		}
		dup := addHook(t, s, Hook{Tenant: "a", CallbackURL: "https://a.example/hook", MeetingID: "x"}, true)
		if dup.ID != "1" || dup.MeetingID != "" || !slices.Equal(dup.EventIDs, []string{"meeting-created"}) {
			t.Fatalf("duplicate answered %+v, want hook 1 as registered", dup)
		}
		// Another tenant's hook with the same URL is its own.
		if h := addHook(t, s, Hook{Tenant: "b", CallbackURL: "https://a.example/hook"}, false); h.ID != "3" {
			t.Fatalf("tenant b's hook got ID %q, want 3", h.ID)
		}
		hooks := listHooks(t, s)
		if ids := hookIDs(hooks); !slices.Equal(ids, []string{"1", "2", "3"}) {
			t.Fatalf("Hooks IDs %q", ids)
		}
		if hooks[1].MeetingID != "room" || hooks[1].Tenant != "a" || hooks[0].CreatedAt.IsZero() {
			t.Fatalf("Hooks %+v", hooks)
		}
	}},
	{"remove only the tenant's own, once", func(t *testing.T, s Store) {
		addHook(t, s, Hook{Tenant: "a", CallbackURL: "https://a/1"}, false)
		addHook(t, s, Hook{Tenant: "b", CallbackURL: "https://b/1"}, false)
		if ok, err := s.RemoveHook("b", "1"); err != nil || ok {
			t.Fatalf("tenant b removed tenant a's hook: %v %v", ok, err)
		}
		for _, id := range []string{"", "x", "99", "-1"} {
			if ok, err := s.RemoveHook("a", id); err != nil || ok {
				t.Fatalf("RemoveHook(%q) = %v %v", id, ok, err)
			}
		}
		if ok, err := s.RemoveHook("a", "1"); err != nil || !ok {
			t.Fatalf("RemoveHook(a, 1) = %v %v", ok, err)
		}
		if ok, _ := s.RemoveHook("a", "1"); ok {
			t.Fatal("a hook was removed twice")
		}
		if ids := hookIDs(listHooks(t, s)); !slices.Equal(ids, []string{"2"}) {
			t.Fatalf("after remove: %q", ids)
		}
		// The URL is free again, and IDs are never reused.
		if h := addHook(t, s, Hook{Tenant: "a", CallbackURL: "https://a/1"}, false); h.ID != "3" {
			t.Fatalf("re-registered hook ID %q, want 3", h.ID)
		}
	}},
	{"concurrent adds get distinct ids", func(t *testing.T, s Store) {
		const n = 50
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				h, _, err := s.AddHook(Hook{Tenant: "a", CallbackURL: fmt.Sprintf("https://a/%d", i%25)})
				if err != nil {
					t.Error(err)
				}
				ids[i] = h.ID
			})
		}
		wg.Wait()
		if got := len(listHooks(t, s)); got != 25 {
			t.Fatalf("%d hooks for 25 URLs", got)
		}
		for i := range 25 {
			if ids[i] != ids[i+25] {
				t.Fatalf("one URL registered twice: %q and %q", ids[i], ids[i+25])
			}
		}
	}},
}

func TestHookContract(t *testing.T) {
	for _, k := range storeKinds {
		t.Run(k.name, func(t *testing.T) {
			for _, c := range hookContract {
				t.Run(c.name, func(t *testing.T) { c.run(t, k.open(t)) })
			}
		})
	}
}

// TestHooksSurviveReopen checks that the embedded file keeps hooks and
// their counter across a restart.
func TestHooksSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	b, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	addHook(t, b, Hook{Tenant: "a", CallbackURL: "https://a/1"}, false)
	addHook(t, b, Hook{Tenant: "a", CallbackURL: "https://a/2"}, false)
	b.Close()
	b, err = OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if ids := hookIDs(listHooks(t, b)); !slices.Equal(ids, []string{"1", "2"}) {
		t.Fatalf("after reopen: %q", ids)
	}
	if h := addHook(t, b, Hook{Tenant: "a", CallbackURL: "https://a/3"}, false); h.ID != "3" {
		t.Fatalf("after reopen the next ID is %q, want 3", h.ID)
	}
}

// TestHookIDsAcrossInstances checks that two instances sharing a Redis
// never give out one ID and see each other's hooks at once.
func TestHookIDsAcrossInstances(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	a, b := openRedis(t, url, prefix), openRedis(t, url, prefix)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			s := Store(a)
			if i%2 == 1 {
				s = b
			}
			if _, _, err := s.AddHook(Hook{Tenant: "a", CallbackURL: fmt.Sprintf("https://a/%d", i)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	ids := hookIDs(listHooks(t, a))
	want := make([]string, 20)
	for i := range want {
		want[i] = fmt.Sprint(i + 1)
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("IDs seen by a: %q", ids)
	}
	if ok, err := b.RemoveHook("a", "7"); err != nil || !ok {
		t.Fatalf("b removes a's hook 7: %v %v", ok, err)
	}
	if slices.Contains(hookIDs(listHooks(t, a)), "7") {
		t.Fatal("a still lists hook 7")
	}
}

func addHook(t *testing.T, s Store, h Hook, wantDup bool) Hook {
	t.Helper()
	out, dup, err := s.AddHook(h)
	if err != nil {
		t.Fatalf("AddHook(%+v): %v", h, err)
	}
	if dup != wantDup {
		t.Fatalf("AddHook(%+v): duplicate %v, want %v", h, dup, wantDup)
	}
	return out
}

func listHooks(t *testing.T, s Store) []Hook {
	t.Helper()
	hs, err := s.Hooks()
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

func hookIDs(hs []Hook) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.ID
	}
	return out
}
