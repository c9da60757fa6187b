package admin

import (
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/config"
	"github.com/tinyscale/tinyscale/pool"
)

// TestReload applies new versions of servers.json and checks what each
// server becomes: unchanged ones keep their object (health, load,
// reservations, state), changed limits keep what was learned, new ones
// are checked, removed ones go with their placements kept.
func TestReload(t *testing.T) {
	e := newEnv(t, token, nil, "bbb1", "bbb2", "bbb3")
	e.create("on-somewhere")
	e.poller.PollOnce(t.Context())
	// What tinyscale learned, that a reload must not lose: a reservation
	// on bbb2 (the only server available for a moment), bbb1's state,
	// bbb2's health.
	s1, s2 := e.pool.Get("bbb1"), e.pool.Get("bbb2")
	s1.SetAdmin(pool.Cordoned)
	e.pool.Get("bbb3").SetAdmin(pool.Cordoned)
	if s, err := e.pool.Place(pool.Request{MeetingID: "reserved", Expected: 40}); err != nil || s != s2 {
		t.Fatalf("reservation on %v, %v; want bbb2", s, err)
	}
	e.pool.Get("bbb3").SetAdmin(pool.Enabled)
	s2.MarkOffline("test: down")
	loadBefore := s2.Load(e.pool.Model, time.Now())

	newFake := startFake(t, "bbb4")
	next := slices.Clone(e.base)
	next[1].Weight, next[1].Tags, next[1].MaxLoad = 3, []string{"big"}, 500 // bbb2: new limits
	next = slices.DeleteFunc(next, func(s config.Server) bool { return s.ID == "bbb3" })
	next = append(next, config.Server{ID: "bbb4", Host: newFake.URL(), Secret: newFake.Secret(), Weight: 1})
	placementsBefore := len(e.store.Meetings())

	rep, err := e.fleet.Reload(t.Context(), next)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Added, []string{"bbb4"}) || !slices.Equal(rep.Removed, []string{"bbb3"}) ||
		!slices.Equal(rep.Updated, []string{"bbb2"}) || !slices.Equal(rep.Unchanged, []string{"bbb1"}) {
		t.Errorf("report %+v", rep)
	}
	if e.pool.Get("bbb1") != s1 || s1.Admin() != pool.Cordoned {
		t.Errorf("unchanged bbb1 lost its object or state")
	}
	n2 := e.pool.Get("bbb2")
	if n2 == s2 || n2.Weight != 3 || !slices.Equal(n2.Tags, []string{"big"}) || n2.MaxLoad != 500 || n2.Online() {
		t.Errorf("bbb2 after reload: weight %v tags %v max %v online %v; want 3 [big] 500 offline", n2.Weight, n2.Tags, n2.MaxLoad, n2.Online())
	}
	if e.pool.Get("bbb3") != nil || e.pool.Get("bbb4") == nil || !e.pool.Get("bbb4").Online() {
		t.Errorf("bbb3 kept or bbb4 missing or offline")
	}
	// The weight went from 1 to 3: the raw load is what must be kept.
	if l := n2.Load(e.pool.Model, time.Now()) * 3; l < loadBefore-0.01 || n2.Status(e.pool.Model, time.Now()).Pending != 1 {
		t.Errorf("bbb2 raw load %v after reload, was %v: the reservation was lost", l, loadBefore)
	}
	if len(e.store.Meetings()) != placementsBefore {
		t.Errorf("placements %d after reload, want %d kept", len(e.store.Meetings()), placementsBefore)
	}
}

// TestReloadRefusesMisconfiguredServer checks that a new server with a
// wrong secret fails the reload, which then changes nothing; an
// unreachable new server is added offline.
func TestReloadRefusesMisconfiguredServer(t *testing.T) {
	e := newEnv(t, token, nil, "bbb1", "bbb2")
	wrong := startFake(t, "wrong")
	before := e.pool.All()
	next := append(slices.Clone(e.base[:1]), config.Server{ID: "wrong", Host: wrong.URL(), Secret: "not-it", Weight: 1})
	_, err := e.fleet.Reload(t.Context(), next)
	if err == nil || !strings.Contains(err.Error(), "wrong") || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("reload with a wrong secret: %v", err)
	}
	if strings.Contains(err.Error(), "not-it") {
		t.Errorf("the error shows the secret: %v", err)
	}
	if !slices.Equal(e.pool.All(), before) {
		t.Errorf("a failed reload changed the pool")
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + ln.Addr().String() + "/bigbluebutton/api"
	ln.Close()
	next = append(slices.Clone(e.base), config.Server{ID: "down", Host: down, Secret: "x", Weight: 1})
	rep, err := e.fleet.Reload(t.Context(), next)
	if err != nil || !slices.Equal(rep.Offline, []string{"down"}) || e.pool.Get("down") == nil || e.pool.Get("down").Online() {
		t.Errorf("unreachable new server: report %+v, err %v", rep, err)
	}
}

// TestReloadKeepsAdminChanges checks that a reload keeps the changes
// made through the API: a removed server stays removed though
// servers.json lists it, an added one stays, a host or secret change
// makes a new server object.
func TestReloadKeepsAdminChanges(t *testing.T) {
	e := newEnv(t, token, nil, "bbb1", "bbb2")
	extra := startFake(t, "extra")
	e.admin("DELETE", Prefix+"servers/bbb2", nil, nil)
	e.admin("POST", Prefix+"servers", map[string]any{"id": "extra", "host": extra.URL(), "secret": extra.Secret()}, nil)
	e.admin("POST", Prefix+"servers/extra/disable", nil, nil)
	old1 := e.pool.Get("bbb1")
	moved := startFake(t, "moved")
	next := slices.Clone(e.base)
	next[0].Host, next[0].Secret = moved.URL(), moved.Secret() // bbb1 now points elsewhere
	rep, err := e.fleet.Reload(t.Context(), next)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range e.pool.All() {
		ids = append(ids, s.ID)
	}
	if !slices.Equal(ids, []string{"bbb1", "extra"}) || !slices.Equal(rep.Replaced, []string{"bbb1"}) {
		t.Errorf("servers %v, report %+v; want [bbb1 extra], bbb1 replaced", ids, rep)
	}
	if n := e.pool.Get("bbb1"); n == old1 || n.Client.Base != moved.URL() {
		t.Errorf("bbb1 with a new host kept its old object")
	}
	if got := e.pool.Get("extra").Admin(); got != pool.Disabled {
		t.Errorf("extra is %s after reload, want disabled", got)
	}
}

// TestReloadStates checks the admin states a reload applies to servers it
// keeps: a state edited by hand in the stored changes applies; a live
// state the stored one does not know of (a cordoned server that drained
// to disabled) is kept.
func TestReloadStates(t *testing.T) {
	o := &MemoryOverlay{}
	e := newEnv(t, token, o, "bbb1", "bbb2")
	e.admin("POST", Prefix+"servers/bbb2/cordon", nil, nil)
	s1, s2 := e.pool.Get("bbb1"), e.pool.Get("bbb2")
	s2.SetAdmin(pool.Disabled) // drained, as the poller does

	c, _ := o.Load()
	c.States["bbb1"] = pool.Disabled // an edit by hand
	o.Save(c)
	if _, err := e.fleet.Reload(t.Context(), e.base); err != nil {
		t.Fatal(err)
	}
	if e.pool.Get("bbb1") != s1 || s1.Admin() != pool.Disabled {
		t.Errorf("bbb1 is %s, want disabled by the edited state", s1.Admin())
	}
	if e.pool.Get("bbb2") != s2 || s2.Admin() != pool.Disabled {
		t.Errorf("drained bbb2 is %s after reload, want still disabled", s2.Admin())
	}
}
