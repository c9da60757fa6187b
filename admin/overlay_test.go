package admin

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/config"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
)

// TestEffective is the table of how the changes lay over servers.json.
func TestEffective(t *testing.T) {
	a := config.Server{ID: "a", Host: "http://a/bigbluebutton/api", Secret: "sa"}
	b := config.Server{ID: "b", Host: "http://b/bigbluebutton/api", Secret: "sb"}
	c := config.Server{ID: "c", Host: "http://c/bigbluebutton/api", Secret: "sc"}
	b2 := config.Server{ID: "b", Host: "http://b2/bigbluebutton/api", Secret: "sb2"}
	dupHost := config.Server{ID: "x", Host: a.Host, Secret: "sx"}
	tests := []struct {
		name     string
		changes  Changes
		want     []config.Server
		warnings int
	}{
		{"none", Changes{}, []config.Server{a, b}, 0},
		{"added", Changes{Added: []config.Server{c}}, []config.Server{a, b, c}, 0},
		{"removed", Changes{Removed: []string{"a"}}, []config.Server{b}, 0},
		{"removed and added", Changes{Removed: []string{"a"}, Added: []config.Server{c}}, []config.Server{b, c}, 0},
		{"added replaces same id", Changes{Added: []config.Server{b2}}, []config.Server{a, b2}, 0},
		{"removed wins over added", Changes{Added: []config.Server{c}, Removed: []string{"c"}}, []config.Server{a, b}, 0},
		{"added with a taken host", Changes{Added: []config.Server{dupHost}}, []config.Server{a, b}, 1},
		{"removed unknown id", Changes{Removed: []string{"zzz"}}, []config.Server{a, b}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings := tt.changes.Effective([]config.Server{a, b})
			if !slices.EqualFunc(got, tt.want, func(x, y config.Server) bool { return x.ID == y.ID && x.Host == y.Host && x.Secret == y.Secret }) {
				t.Errorf("Effective = %+v, want %+v", got, tt.want)
			}
			if len(warnings) != tt.warnings {
				t.Errorf("warnings %q, want %d", warnings, tt.warnings)
			}
		})
	}
}

// TestStoreOverlay checks the document in a durable store: read back the
// same after the store is reopened, nothing stored is no changes, a broken
// document an error naming it.
func TestStoreOverlay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := state.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	o := &StoreOverlay{Store: st}
	if c, err := o.Load(); err != nil || len(c.Added)+len(c.Removed)+len(c.States) != 0 {
		t.Fatalf("empty store: %+v, %v", c, err)
	}
	want := Changes{
		States:  map[string]pool.AdminState{"a": pool.Cordoned},
		Added:   []config.Server{{ID: "c", Host: "http://c/bigbluebutton/api", Secret: "secret-c", Weight: 2}},
		Removed: []string{"b"},
	}
	if err := o.Save(want); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if st, err = state.OpenBolt(path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o = &StoreOverlay{Store: st}
	got, err := o.Load()
	if err != nil || got.States["a"] != pool.Cordoned || len(got.Added) != 1 || got.Added[0].Secret != "secret-c" || !slices.Equal(got.Removed, []string{"b"}) {
		t.Fatalf("read back %+v, %v", got, err)
	}
	for _, bad := range []string{`{"states": {"a": "sleeping"}}`, `[1, 2]`, `{`} {
		st.SaveDoc(OverlayDoc, []byte(bad))
		if _, err := o.Load(); err == nil || !strings.Contains(err.Error(), OverlayDoc) {
			t.Errorf("Load of %s: %v, want an error naming the document", bad, err)
		}
	}
}

// TestChangesSurviveRestart makes changes through the API, then starts a
// new tinyscale (new pool, new overlay reading the same store) over the
// same servers.json: the changes are all there.
func TestChangesSurviveRestart(t *testing.T) {
	store := state.NewMemory() // what a restart reopens: the contract suite proves Bolt and Redis keep it
	e := newEnv(t, token, &StoreOverlay{Store: store}, "bbb1", "bbb2", "bbb3")
	extra := startFake(t, "extra")
	steps := []struct{ method, path string }{
		{"POST", Prefix + "servers/bbb1/cordon"},
		{"POST", Prefix + "servers/bbb3/disable"},
		{"DELETE", Prefix + "servers/bbb2"},
	}
	for _, s := range steps {
		if st, body := e.admin(s.method, s.path, nil, nil); st != 200 {
			t.Fatalf("%s %s: HTTP %d %s", s.method, s.path, st, body)
		}
	}
	if st, body := e.admin("POST", Prefix+"servers", map[string]any{"id": "extra", "host": extra.URL(), "secret": extra.Secret(), "tags": []string{"t"}}, nil); st != 201 {
		t.Fatalf("add: HTTP %d %s", st, body)
	}
	if st, body := e.admin("POST", Prefix+"servers/extra/cordon", nil, nil); st != 200 {
		t.Fatalf("cordon extra: HTTP %d %s", st, body)
	}

	// The restart: same servers.json, a fresh pool and overlay.
	p := pool.New()
	f := NewFleet(p, &StoreOverlay{Store: store}, build, nil)
	if err := f.Init(e.base); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range p.All() {
		ids = append(ids, s.ID)
	}
	if want := []string{"bbb1", "bbb3", "extra"}; !slices.Equal(ids, want) {
		t.Fatalf("after restart: %v, want %v", ids, want)
	}
	for id, want := range map[string]pool.AdminState{"bbb1": pool.Cordoned, "bbb3": pool.Disabled, "extra": pool.Cordoned} {
		if got := p.Get(id).Admin(); got != want {
			t.Errorf("%s is %s after restart, want %s", id, got, want)
		}
	}
	if s := p.Get("extra"); s.Client.Secret != extra.Secret() || !slices.Equal(s.Tags, []string{"t"}) {
		t.Errorf("added server restored without its secret or tags: %+v", s)
	}

	// Enabling bbb1 and re-adding bbb2 (removed, still in servers.json)
	// also survive.
	e.admin("POST", Prefix+"servers/bbb1/enable", nil, nil)
	f2 := e.fakes["bbb2"]
	if st, body := e.admin("POST", Prefix+"servers", map[string]any{"id": "bbb2", "host": f2.URL(), "secret": f2.Secret()}, nil); st != 201 {
		t.Fatalf("re-add bbb2: HTTP %d %s", st, body)
	}
	p = pool.New()
	if err := NewFleet(p, &StoreOverlay{Store: store}, build, nil).Init(e.base); err != nil {
		t.Fatal(err)
	}
	if p.Get("bbb2") == nil || p.Get("bbb1").Admin() != pool.Enabled {
		t.Errorf("after the second restart: bbb2 %v, bbb1 %s", p.Get("bbb2") != nil, p.Get("bbb1").Admin())
	}
}

// failingOverlay fails every save.
type failingOverlay struct{ MemoryOverlay }

func (*failingOverlay) Save(Changes) error { return os.ErrPermission }

// TestFailedSaveChangesNothing checks that a change that cannot be stored
// is not made: it would be lost at the next restart without a word.
func TestFailedSaveChangesNothing(t *testing.T) {
	e := newEnv(t, token, &failingOverlay{}, "bbb1")
	for _, s := range []struct{ method, path string }{
		{"POST", Prefix + "servers/bbb1/disable"},
		{"DELETE", Prefix + "servers/bbb1"},
	} {
		if st, body := e.admin(s.method, s.path, nil, nil); st != 500 || !strings.Contains(body, "permission") {
			t.Errorf("%s %s: HTTP %d %s, want 500 with the reason", s.method, s.path, st, body)
		}
	}
	if s := e.pool.Get("bbb1"); s == nil || s.Admin() != pool.Enabled {
		t.Errorf("the pool changed though the change was not stored")
	}
}
