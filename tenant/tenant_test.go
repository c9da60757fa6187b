package tenant

import (
	"github.com/tinyscale/tinyscale/bbb"
	"strings"
	"testing"
)

func registry(t *testing.T) *Registry {
	t.Helper()
	r, err := NewRegistry(Tenant{Secrets: []string{"default-secret"}}, []Tenant{
		{Name: "uni-a", Secrets: []string{"secret-a-1", "secret-a-2"}, Hosts: []string{"bbb.uni-a.example"}},
		{Name: "school-b", Secrets: []string{"secret-b-1"}, Hosts: []string{"BBB.School-B.example."}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestResolve(t *testing.T) {
	r := registry(t)
	for _, tc := range []struct {
		host, path string
		tenant     string // "" for refused
		rest       string
	}{
		{"lb.example", "/bigbluebutton/api/create", "default", "/bigbluebutton/api/create"},
		{"lb.example:8000", "/bigbluebutton/api/create", "default", "/bigbluebutton/api/create"},
		{"bbb.uni-a.example", "/bigbluebutton/api/create", "uni-a", "/bigbluebutton/api/create"},
		{"bbb.uni-a.example:443", "/bigbluebutton/api/", "uni-a", "/bigbluebutton/api/"},
		{"bbb.school-b.example", "/bigbluebutton/api/join", "school-b", "/bigbluebutton/api/join"},
		{"lb.example", "/t/uni-a/bigbluebutton/api/create", "uni-a", "/bigbluebutton/api/create"},
		{"bbb.uni-a.example", "/t/uni-a/bigbluebutton/api/create", "uni-a", "/bigbluebutton/api/create"},
		{"bbb.uni-a.example", "/t/school-b/bigbluebutton/api/create", "", ""},
		{"lb.example", "/t/nobody/bigbluebutton/api/create", "", ""},
		{"lb.example", "/t/default/bigbluebutton/api/create", "", ""},
	} {
		got, rest := r.Resolve(tc.host, tc.path)
		switch {
		case tc.tenant == "" && got != nil:
			t.Errorf("%s %s: resolved to %s, want refused", tc.host, tc.path, got.Name)
		case tc.tenant != "" && (got == nil || got.Name != tc.tenant || rest != tc.rest):
			t.Errorf("%s %s: got %v %q, want %s %q", tc.host, tc.path, got, rest, tc.tenant, tc.rest)
		}
	}
}

func TestScopeAndOwner(t *testing.T) {
	r := registry(t)
	a := r.Get("uni-a")
	id, err := a.Scope("room1")
	if err != nil || id != "uni-a~room1" {
		t.Fatalf("Scope = %q %v", id, err)
	}
	if own, local := r.OwnerOf(id); own != a || local != "room1" {
		t.Fatalf("OwnerOf(%q) = %s %q", id, own.Name, local)
	}
	if own, local := r.OwnerOf("room1"); own != r.Default() || local != "room1" {
		t.Fatalf("default meeting owned by %s", own.Name)
	}
	// A tenant deleted from tenants.json leaves meetings and recordings
	// with its prefix: they must not fall to the default tenant.
	if own, _ := r.OwnerOf("gone~room"); own == r.Default() || own == nil {
		t.Fatal("an ID with a removed tenant's prefix belongs to the default tenant")
	}
	if !r.Reserved("uni-a~room1") || !r.Reserved("gone~room") || r.Reserved("a b~c") {
		t.Fatal("Reserved must hold the IDs with a tenant prefix")
	}
	// Without named tenants nothing is reserved: single-tenant users may
	// use any ID.
	single, _ := NewRegistry(Tenant{Secrets: []string{"s"}}, nil)
	if single.Reserved("a~b") {
		t.Fatal("a single-tenant setup reserved an ID")
	}
	if _, err := a.Scope(strings.Repeat("x", a.MaxIDLength()+1)); err != ErrIDTooLong {
		t.Fatal("an ID too long for BBB once scoped was accepted")
	}
	if id, _ := r.Default().Scope("room1"); id != "room1" {
		t.Fatal("the default tenant's IDs must not change")
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		tenant Tenant
		want   string
	}{
		{Tenant{Name: "Uni A", Secrets: []string{"12345678"}}, `"name"`},
		{Tenant{Name: "uni-a"}, `"secrets"`},
		{Tenant{Name: "uni-a", Secrets: []string{"short"}}, "shorter than 8"},
		{Tenant{Name: "uni-a", Secrets: []string{"12345678"}, Hosts: []string{"https://x/"}}, `"hosts"`},
		{Tenant{Name: "uni-a", Secrets: []string{"12345678"}, Policy: Policy{MaxMeetings: -1}}, "negative"},
		{Tenant{Name: "uni-a", Secrets: []string{"12345678"}, Policy: Policy{CreateOverrides: map[string]string{"meetingID": "x"}}}, "meetingID"},
	} {
		err := tc.tenant.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error about %s", tc.tenant, err, tc.want)
		}
	}
	if _, err := NewRegistry(Tenant{}, []Tenant{{Name: "a", Secrets: []string{"12345678"}}, {Name: "a", Secrets: []string{"12345678"}}}); err == nil {
		t.Error("a tenant declared twice was accepted")
	}
	if _, err := NewRegistry(Tenant{}, []Tenant{{Name: "a", Secrets: []string{"12345678"}, Hosts: []string{"h"}}, {Name: "b", Secrets: []string{"12345678"}, Hosts: []string{"H"}}}); err == nil {
		t.Error("a host of two tenants was accepted")
	}
}

func TestPolicyPrecedence(t *testing.T) {
	global := &Policy{
		CreateDefaults:  map[string]string{"record": "false", "muteOnStart": "false", "welcome": "global"},
		CreateOverrides: map[string]string{"maxParticipants": "100", "duration": "600"},
	}
	own := &Policy{
		CreateDefaults:  map[string]string{"muteOnStart": "true"},
		CreateOverrides: map[string]string{"duration": "120"},
	}
	raw := "meetingID=r&name=R&welcome=client&maxParticipants=5&meta_Bbb-Origin=client"
	own.CreateOverrides["meta_bbb-origin"] = "policy"
	p, _ := bbb.ParseParams(raw)
	Apply(&p, Create, global, own)
	got := p.Encode()
	for k, want := range map[string]string{
		"record":          "false",  // global default
		"muteOnStart":     "true",   // tenant default beats global default
		"welcome":         "client", // client beats defaults
		"maxParticipants": "100",    // global override beats client
		"duration":        "120",    // tenant override beats global override
		"meetingID":       "r",
		"meta_bbb-origin": "policy", // an override replaces the key in any case BBB folds
		"meta_Bbb-Origin": "",
	} {
		if v := param(got, k); v != want {
			t.Errorf("%s = %q, want %q (query %s)", k, v, want, got)
		}
	}
	j, _ := bbb.ParseParams(raw)
	Apply(&j, Join, global, own)
	if got := j.Encode(); got != raw {
		t.Errorf("create policy changed a join: %s", got)
	}
}

func param(raw, k string) string {
	for _, pair := range strings.Split(raw, "&") {
		if key, v, _ := strings.Cut(pair, "="); key == k {
			return v
		}
	}
	return ""
}
