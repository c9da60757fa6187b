package admin

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/config"
	"github.com/tinyscale/tinyscale/gateway"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
)

// The secrets of the tenants' tests: none may ever show in an answer
// that did not just create it.
const (
	uniASecret    = "uni-a-secret-from-the-file"
	schoolSecret1 = "school-b-first-secret"
	schoolSecret2 = "school-b-second-secret"
)

// fileTenants is the tenants.json of the tenant tests.
func fileTenants() []tenant.Tenant {
	return []tenant.Tenant{{Name: "uni-a", Secrets: []string{uniASecret}, Hosts: []string{"bbb.uni-a.example"},
		Policy: tenant.Policy{MaxMeetings: 5}}}
}

// tenantEnv is tinyscale with tenants over one fake BBB server: the
// gateway (plain and /t/<name> paths) and the admin API on one loopback
// server.
type tenantEnv struct {
	*env
	reg     *tenant.Registry
	overlay *TenantOverlay
}

// newTenantEnv starts a tenantEnv whose tenant changes are kept in store
// (a new memory store when nil).
func newTenantEnv(t *testing.T, tok string, store *state.Memory) *tenantEnv {
	t.Helper()
	if store == nil {
		store = state.NewMemory()
	}
	f := startFake(t, "bbb1")
	e := &env{t: t, fakes: map[string]*bbbfake.Server{"bbb1": f}, store: store,
		base: []config.Server{{ID: "bbb1", Host: f.URL(), Secret: f.Secret(), Weight: 1}}}
	e.pool = pool.New()
	e.fleet = NewFleet(e.pool, &MemoryOverlay{}, build, nil)
	if err := e.fleet.Init(e.base); err != nil {
		t.Fatal(err)
	}
	reg, err := tenant.NewRegistry(tenant.Tenant{Secrets: []string{clientSecret}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ov := NewTenantOverlay(reg, store, nil)
	if err := ov.Apply(fileTenants()); err != nil {
		t.Fatal(err)
	}
	gw := gateway.New(gateway.Config{Secrets: []string{clientSecret}, Tenants: reg}, e.pool, e.store)
	e.poller = &pool.Poller{Pool: e.pool, Interval: time.Hour, Timeout: 5 * time.Second, Thresholds: pool.DefaultThresholds, OnRound: gw.Reconcile}
	api := New(Config{Token: tok, Fleet: e.fleet, Store: e.store, Tenants: reg, TenantOverlay: ov, Timeout: 5 * time.Second, TokenFailures: 1 << 20})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gateway.IsAPIPath(r.URL.Path) {
			gw.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return &tenantEnv{env: e, reg: reg, overlay: ov}
}

// call makes a BBB API call signed with secret at path (a /t/<name>
// prefix, or ""), with host as the Host header ("" for the server's), and
// returns the reply's messageKey: "SUCCESS" for a success.
func (e *tenantEnv) call(secret, prefix, host, call string, v url.Values) string {
	e.t.Helper()
	data := e.rawCall(secret, prefix, host, call, v)
	r, err := bbb.ParseReply(data, nil)
	if err != nil {
		e.t.Fatalf("%s: %v: %s", call, err, data)
	}
	if r.OK() {
		return "SUCCESS"
	}
	return r.MessageKey
}

// rawCall is call's request; it returns the answer's body.
func (e *tenantEnv) rawCall(secret, prefix, host, call string, v url.Values) []byte {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.url+prefix+gateway.APIPrefix+"/"+call+"?"+bbb.Sign(bbb.SHA256, call, v.Encode(), secret), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	res, err := httpClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return data
}

// getMeetings is the call of the brief: the cheapest signed call.
func (e *tenantEnv) getMeetings(secret, prefix string) string {
	e.t.Helper()
	return e.call(secret, prefix, "", "getMeetings", url.Values{})
}

// tenantCall calls the admin API and fails the test on an unexpected
// status. Every answer is checked for secrets: none may show, but the one
// an add or a rotate-secret just generated, in the answer's "secret".
func (e *tenantEnv) tenantCall(method, path string, body any, wantStatus int, out any) string {
	e.t.Helper()
	before := e.knownSecrets()
	st, raw := e.admin(method, Prefix+path, body, out)
	if st != wantStatus {
		e.t.Fatalf("%s %s: HTTP %d %s, want %d", method, path, st, raw, wantStatus)
	}
	var ans struct{ Secret string }
	json.Unmarshal([]byte(raw), &ans)
	generating := method == "POST" && (path == "tenants" || strings.HasSuffix(path, "/rotate-secret"))
	switch {
	case ans.Secret != "" && !generating:
		e.t.Errorf("%s %s answers a secret", method, path)
	case ans.Secret != "" && slices.Contains(before, ans.Secret):
		e.t.Errorf("%s %s answers a secret that existed before it", method, path)
	case ans.Secret != "":
		e.noSecrets(method+" "+path, raw, ans.Secret)
	default:
		e.noSecrets(method+" "+path, raw)
	}
	return raw
}

// knownSecrets are the tests' secrets and every one the registry holds.
func (e *tenantEnv) knownSecrets() []string {
	secrets := []string{uniASecret, schoolSecret1, schoolSecret2, clientSecret, e.overlay.placeholder}
	for _, t := range e.reg.All() {
		secrets = append(secrets, t.Secrets...)
	}
	return secrets
}

// noSecrets fails the test if raw holds a known secret other than
// allowed.
func (e *tenantEnv) noSecrets(what, raw string, allowed ...string) {
	e.t.Helper()
	for _, s := range e.knownSecrets() {
		if strings.Contains(raw, s) && !slices.Contains(allowed, s) {
			e.t.Errorf("%s: the answer shows a secret: %s", what, raw)
		}
	}
}

// TestTenantAuth checks that the tenant endpoints take the admin token as
// the others do, and that a refused request changes nothing.
func TestTenantAuth(t *testing.T) {
	on := newTenantEnv(t, token, nil)
	off := newTenantEnv(t, "", nil)
	paths := []struct {
		method, path string
		body         any
	}{
		{"GET", "tenants", nil},
		{"GET", "tenants/uni-a", nil},
		{"POST", "tenants", tenant.Tenant{Name: "x", Secrets: []string{"x-secret-1234"}}},
		{"PUT", "tenants/uni-a", map[string]any{"hosts": []string{}}},
		{"DELETE", "tenants/uni-a", nil},
		{"POST", "tenants/uni-a/rotate-secret", struct{}{}},
		{"POST", "tenants/uni-a/retire-secrets", nil},
	}
	tests := []struct {
		name       string
		env        *tenantEnv
		auth       string
		wantStatus int
		wantError  string
	}{
		{"disabled", off, "Bearer " + token, http.StatusNotFound, "admin API disabled"},
		{"no header", on, "", http.StatusUnauthorized, "TINYSCALE_ADMIN_TOKEN"},
		{"wrong token", on, "Bearer not-the-token", http.StatusUnauthorized, "wrong"},
		{"basic scheme", on, "Basic " + token, http.StatusUnauthorized, "wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range paths {
				st, body := tt.env.adminAs(tt.auth, p.method, Prefix+p.path, p.body, nil)
				if st != tt.wantStatus || !strings.Contains(body, tt.wantError) {
					t.Errorf("%s %s: HTTP %d %s, want %d with %q", p.method, p.path, st, body, tt.wantStatus, tt.wantError)
				}
			}
		})
	}
	for _, e := range []*tenantEnv{on, off} {
		if names := tenantNames(e.overlay.Tenants()); !slices.Equal(names, []string{"uni-a"}) {
			t.Errorf("refused requests changed the tenants: %v", names)
		}
		if got := e.reg.Get("uni-a").Secrets; !slices.Equal(got, []string{uniASecret}) {
			t.Errorf("refused requests changed uni-a's secrets: %d of them", len(got))
		}
	}
}

func tenantNames(ts []tenant.Tenant) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

// TestTenantLifecycle adds, rotates, retires, changes and removes a tenant
// through the admin API and checks each step through the gateway, with
// requests signed as its integration would.
func TestTenantLifecycle(t *testing.T) {
	e := newTenantEnv(t, token, nil)
	const b = "/t/school-b"

	// The list: the default tenant and tenants.json's, secrets counted.
	var list TenantList
	e.tenantCall("GET", "tenants", nil, http.StatusOK, &list)
	if len(list.Tenants) != 2 || list.Tenants[0].Name != "default" || list.Tenants[1].Name != "uni-a" {
		t.Fatalf("list: %+v", list)
	}
	if a := list.Tenants[1]; a.Secrets != 1 || a.Source != "tenants.json" || a.MaxMeetings != 5 ||
		!slices.Equal(a.Hosts, []string{"bbb.uni-a.example"}) || a.Path != "/t/uni-a/bigbluebutton/api/" {
		t.Errorf("uni-a listed as %+v", a)
	}

	// Add: the new tenant's secret works on its path at once.
	if got := e.getMeetings(schoolSecret1, b); got != "checksumError" {
		t.Fatalf("school-b before it is added: %s, want checksumError", got)
	}
	var ans TenantAnswer
	e.tenantCall("POST", "tenants", tenant.Tenant{Name: "school-b", Secrets: []string{schoolSecret1}}, http.StatusCreated, &ans)
	if ans.Tenant.Name != "school-b" || ans.Tenant.Secrets != 1 || ans.Secret != "" || ans.Tenant.Source != "admin API" {
		t.Errorf("add answered %+v", ans)
	}
	if got := e.getMeetings(schoolSecret1, b); got != "SUCCESS" {
		t.Fatalf("getMeetings signed with the added tenant's secret: %s", got)
	}
	if got := e.getMeetings(uniASecret, b); got != "checksumError" {
		t.Errorf("school-b's path took uni-a's secret: %s", got)
	}

	// Its meetings count in the list: placements, and the polls' users.
	if got := e.call(schoolSecret1, b, "", "create", url.Values{"meetingID": {"room1"}, "name": {"Room"}}); got != "SUCCESS" {
		t.Fatalf("create as school-b: %s", got)
	}
	e.fakes["bbb1"].AddUsers("school-b~room1", 3, false, false)
	e.poller.PollOnce(t.Context())
	var one TenantAnswer
	e.tenantCall("GET", "tenants/school-b", nil, http.StatusOK, &one)
	if one.Tenant.Meetings != 1 || one.Tenant.Participants != 3 {
		t.Errorf("school-b's usage: %d meetings, %d participants; want 1 and 3", one.Tenant.Meetings, one.Tenant.Participants)
	}
	e.tenantCall("GET", "tenants/uni-a", nil, http.StatusOK, &one)
	if one.Tenant.Meetings != 0 || one.Tenant.Participants != 0 {
		t.Errorf("uni-a counts school-b's meeting: %+v", one.Tenant)
	}

	// Rotate with a generated secret: shown once, and both work.
	var rot TenantAnswer
	e.tenantCall("POST", "tenants/school-b/rotate-secret", struct{}{}, http.StatusOK, &rot)
	if len(rot.Secret) != 64 || rot.Tenant.Secrets != 2 {
		t.Fatalf("rotate: secret of %d characters, %d secrets; want 64 hex and 2", len(rot.Secret), rot.Tenant.Secrets)
	}
	for _, s := range []string{schoolSecret1, rot.Secret} {
		if got := e.getMeetings(s, b); got != "SUCCESS" {
			t.Errorf("after rotate, a secret fails: %s", got)
		}
	}
	var again TenantAnswer
	raw := e.tenantCall("GET", "tenants/school-b", nil, http.StatusOK, &again)
	if strings.Contains(raw, rot.Secret) {
		t.Error("GET tenants/school-b shows the rotated secret again")
	}
	raw = e.tenantCall("GET", "tenants", nil, http.StatusOK, nil)
	if strings.Contains(raw, rot.Secret) {
		t.Error("GET tenants shows the rotated secret again")
	}

	// Retire: only the newest works.
	var ret TenantAnswer
	e.tenantCall("POST", "tenants/school-b/retire-secrets", nil, http.StatusOK, &ret)
	if ret.Retired != 1 || ret.Tenant.Secrets != 1 {
		t.Errorf("retire: %+v", ret)
	}
	if got := e.getMeetings(schoolSecret1, b); got != "checksumError" {
		t.Errorf("the retired secret: %s, want checksumError", got)
	}
	if got := e.getMeetings(rot.Secret, b); got != "SUCCESS" {
		t.Errorf("the newest secret after retire: %s", got)
	}

	// Rotate to a given secret: not repeated in the answer.
	var given TenantAnswer
	raw = e.tenantCall("POST", "tenants/school-b/rotate-secret", RotateRequest{Secret: schoolSecret2}, http.StatusOK, &given)
	if given.Secret != "" || given.Tenant.Secrets != 2 || strings.Contains(raw, schoolSecret2) {
		t.Errorf("rotate to a given secret answered it: %s", raw)
	}
	e.tenantCall("POST", "tenants/school-b/retire-secrets", struct{}{}, http.StatusOK, nil)
	if got := e.getMeetings(schoolSecret2, b); got != "SUCCESS" {
		t.Errorf("the given secret: %s", got)
	}
	var noop TenantAnswer
	e.tenantCall("POST", "tenants/school-b/retire-secrets", nil, http.StatusOK, &noop)
	if noop.Retired != 0 || noop.Tenant.Secrets != 1 || noop.Tenant.Name != "school-b" || e.getMeetings(schoolSecret2, b) != "SUCCESS" {
		t.Errorf("retiring the secrets of a tenant with one: %+v", noop)
	}

	// PUT replaces hosts and policy and keeps the secrets.
	e.tenantCall("PUT", "tenants/school-b", map[string]any{"hosts": []string{"bbb.school-b.example"}, "max_meetings": 1}, http.StatusOK, &ans)
	if ans.Tenant.Secrets != 1 || ans.Tenant.MaxMeetings != 1 || !slices.Equal(ans.Tenant.Hosts, []string{"bbb.school-b.example"}) {
		t.Errorf("PUT answered %+v", ans.Tenant)
	}
	if got := e.call(schoolSecret2, "", "bbb.school-b.example", "getMeetings", url.Values{}); got != "SUCCESS" {
		t.Errorf("a request by the new host: %s", got)
	}
	if got := e.call(schoolSecret2, "", "bbb.school-b.example", "create", url.Values{"meetingID": {"room2"}, "name": {"R"}}); got != "maxConcurrentMeetings" {
		t.Errorf("a second meeting with max_meetings 1: %s, want maxConcurrentMeetings", got)
	}

	// A tenant added without secrets gets a generated one, shown once.
	ans = TenantAnswer{}
	raw = e.tenantCall("POST", "tenants", tenant.Tenant{Name: "gen"}, http.StatusCreated, &ans)
	if len(ans.Secret) != 64 {
		t.Fatalf("add without secrets: %s", raw)
	}
	if got := e.getMeetings(ans.Secret, "/t/gen"); got != "SUCCESS" {
		t.Errorf("the generated secret: %s", got)
	}

	// Remove: its requests fail as a wrong secret would, and what it left
	// on the server never shows as another tenant's.
	var rm TenantRemoveAnswer
	e.tenantCall("DELETE", "tenants/school-b", nil, http.StatusOK, &rm)
	if rm.Removed != "school-b" || rm.Meetings != 1 {
		t.Errorf("remove answered %+v", rm)
	}
	for _, tc := range []struct{ prefix, host string }{{b, ""}, {"", "bbb.school-b.example"}} {
		if got := e.call(schoolSecret2, tc.prefix, tc.host, "getMeetings", url.Values{}); got != "checksumError" {
			t.Errorf("removed tenant by %q%q: %s, want checksumError", tc.prefix, tc.host, got)
		}
	}
	e.tenantCall("GET", "tenants/school-b", nil, http.StatusNotFound, nil)
	// The name stays reserved: the default tenant cannot reach its IDs,
	// which answer as unknown meetings, as while the tenant existed.
	if got := e.call(clientSecret, "", "", "getMeetingInfo", url.Values{"meetingID": {"school-b~room1"}}); got != "notFound" {
		t.Errorf("the default tenant reaches the removed tenant's meeting: %s, want notFound", got)
	}
	if got := e.call(clientSecret, "", "", "create", url.Values{"meetingID": {"school-b~room1"}, "name": {"Room"}}); got != "validationError" {
		t.Errorf("the default tenant creates in the removed tenant's IDs: %s, want validationError", got)
	}
	if body := e.rawCall(clientSecret, "", "", "getMeetings", url.Values{}); !bytes.Contains(body, []byte("SUCCESS")) || bytes.Contains(body, []byte("room1")) {
		t.Errorf("the default tenant's getMeetings shows the removed tenant's meeting: %s", body)
	}
	e.tenantCall("GET", "tenants", nil, http.StatusOK, &list)
	if names := infoNames(list.Tenants); !slices.Equal(names, []string{"default", "gen", "uni-a"}) {
		t.Errorf("tenants after remove: %v", names)
	}

	// Added again, the name gets its meetings back.
	e.tenantCall("POST", "tenants", tenant.Tenant{Name: "school-b", Secrets: []string{schoolSecret1}}, http.StatusCreated, nil)
	if got := e.call(schoolSecret1, b, "", "isMeetingRunning", url.Values{"meetingID": {"room1"}}); got != "SUCCESS" {
		t.Errorf("school-b added again: %s", got)
	}
}

func infoNames(ts []TenantInfo) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

// TestTenantErrors checks the refusals: conflicts (409), invalid bodies
// (400), unknown tenants (404); none changes anything nor shows a secret.
func TestTenantErrors(t *testing.T) {
	e := newTenantEnv(t, token, nil)
	e.tenantCall("POST", "tenants", tenant.Tenant{Name: "school-b", Secrets: []string{schoolSecret1}, Hosts: []string{"bbb.school-b.example"}}, http.StatusCreated, nil)
	full := tenant.Tenant{Name: "full", Secrets: []string{"full-secret-1", "full-secret-2", "full-secret-3", "full-secret-4"}}
	e.tenantCall("POST", "tenants", full, http.StatusCreated, nil)
	tests := []struct {
		name         string
		method, path string
		body         any
		wantStatus   int
		want         string
	}{
		{"name of tenants.json", "POST", "tenants", tenant.Tenant{Name: "uni-a", Secrets: []string{"another-secret"}}, http.StatusConflict, `"uni-a" exists`},
		{"name added through the API", "POST", "tenants", tenant.Tenant{Name: "school-b", Secrets: []string{"another-secret"}}, http.StatusConflict, "exists"},
		{"host of another", "POST", "tenants", tenant.Tenant{Name: "c", Secrets: []string{"another-secret"}, Hosts: []string{"BBB.Uni-A.example:443"}}, http.StatusConflict, `tenant "uni-a"`},
		{"default", "POST", "tenants", tenant.Tenant{Name: "default", Secrets: []string{"another-secret"}}, http.StatusConflict, "TINYSCALE_SECRET"},
		{"invalid name", "POST", "tenants", tenant.Tenant{Name: "Uni C", Secrets: []string{"another-secret"}}, http.StatusBadRequest, `"name"`},
		{"short secret", "POST", "tenants", tenant.Tenant{Name: "c", Secrets: []string{"short"}}, http.StatusBadRequest, "shorter than 8"},
		{"unknown field", "POST", "tenants", `{"name": "c", "max_meeting": 3}`, http.StatusBadRequest, "max_meeting"},
		{"empty body", "POST", "tenants", nil, http.StatusBadRequest, "empty body"},
		{"PUT a host of another", "PUT", "tenants/school-b", map[string]any{"hosts": []string{"bbb.uni-a.example"}}, http.StatusConflict, "uni-a"},
		{"PUT renames", "PUT", "tenants/school-b", map[string]any{"name": "school-c"}, http.StatusBadRequest, "renamed"},
		{"PUT unknown", "PUT", "tenants/nope", map[string]any{}, http.StatusNotFound, `"nope"`},
		{"PUT default", "PUT", "tenants/default", map[string]any{}, http.StatusConflict, "TINYSCALE_SECRET"},
		{"GET unknown", "GET", "tenants/nope", nil, http.StatusNotFound, "tenants list"},
		{"DELETE unknown", "DELETE", "tenants/nope", nil, http.StatusNotFound, "nope"},
		{"DELETE default", "DELETE", "tenants/default", nil, http.StatusConflict, "TINYSCALE_SECRET"},
		{"rotate unknown", "POST", "tenants/nope/rotate-secret", nil, http.StatusNotFound, "nope"},
		{"rotate default", "POST", "tenants/default/rotate-secret", nil, http.StatusConflict, "TINYSCALE_SECRET"},
		{"rotate to a secret it has", "POST", "tenants/school-b/rotate-secret", RotateRequest{Secret: schoolSecret1}, http.StatusConflict, "already"},
		{"rotate a full tenant", "POST", "tenants/full/rotate-secret", nil, http.StatusConflict, "retire"},
		{"rotate with retire", "POST", "tenants/school-b/rotate-secret", `{"retire": true}`, http.StatusBadRequest, "retire-secrets"},
		{"rotate to a short secret", "POST", "tenants/school-b/rotate-secret", RotateRequest{Secret: "short"}, http.StatusBadRequest, "shorter than 8"},
		{"retire unknown", "POST", "tenants/nope/retire-secrets", nil, http.StatusNotFound, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, raw := e.admin(tt.method, Prefix+tt.path, tt.body, nil)
			var eb ErrorBody
			json.Unmarshal([]byte(raw), &eb)
			if st != tt.wantStatus || !strings.Contains(eb.Error, tt.want) {
				t.Errorf("HTTP %d %s, want %d with %q", st, raw, tt.wantStatus, tt.want)
			}
			e.noSecrets(tt.name, raw, "short")
		})
	}
	want := map[string][]string{"full": full.Secrets, "school-b": {schoolSecret1}, "uni-a": {uniASecret}}
	got := map[string][]string{}
	for _, tn := range e.overlay.Tenants() {
		got[tn.Name] = tn.Secrets
		if tn.Name == "school-b" && !slices.Equal(tn.Hosts, []string{"bbb.school-b.example"}) {
			t.Errorf("a refused PUT changed school-b's hosts: %v", tn.Hosts)
		}
	}
	if len(got) != len(want) {
		t.Errorf("tenants after refused changes: %v", got)
	}
	for name, s := range want {
		if !slices.Equal(got[name], s) {
			t.Errorf("a refused change changed %s's secrets", name)
		}
	}
}

// TestTenantPersistence restarts tinyscale over the same store: the
// changes made through the API come back, laid over tenants.json, and a
// tenants.json edited in the meantime still counts.
func TestTenantPersistence(t *testing.T) {
	store := state.NewMemory()
	e := newTenantEnv(t, token, store)
	var rot TenantAnswer
	e.tenantCall("POST", "tenants", tenant.Tenant{Name: "school-b", Secrets: []string{schoolSecret1}, Hosts: []string{"bbb.school-b.example"}}, http.StatusCreated, nil)
	e.tenantCall("POST", "tenants/school-b/rotate-secret", struct{}{}, http.StatusOK, &rot)
	e.tenantCall("PUT", "tenants/uni-a", map[string]any{"hosts": []string{"bbb.uni-a.example", "uni-a.example"}, "tags": []string{"gold"}}, http.StatusOK, nil)
	e.tenantCall("POST", "tenants", tenant.Tenant{Name: "gone", Secrets: []string{"gone-secret-123"}}, http.StatusCreated, nil)
	e.tenantCall("DELETE", "tenants/gone", nil, http.StatusOK, nil)

	// The restart: a new registry and overlay over the same store. The
	// file lists a new tenant, and "gone" (removed through the API).
	restarted := newTenantEnv(t, token, store)
	file := append(fileTenants(), tenant.Tenant{Name: "new-in-file", Secrets: []string{"new-in-file-secret"}},
		tenant.Tenant{Name: "gone", Secrets: []string{"gone-secret-123"}})
	if err := restarted.overlay.Apply(file); err != nil {
		t.Fatal(err)
	}
	r := restarted.reg
	if names := tenantNames(restarted.overlay.Tenants()); !slices.Equal(names, []string{"new-in-file", "school-b", "uni-a"}) {
		t.Fatalf("tenants after the restart: %v", names)
	}
	if s := r.Get("school-b").Secrets; !slices.Equal(s, []string{schoolSecret1, rot.Secret}) {
		t.Errorf("school-b's secrets after the restart: %d, want its 2 in order", len(s))
	}
	if a := r.Get("uni-a"); !slices.Equal(a.Hosts, []string{"bbb.uni-a.example", "uni-a.example"}) || !slices.Equal(a.Tags, []string{"gold"}) || a.MaxMeetings != 0 {
		t.Errorf("uni-a after the restart: %+v, want the API's version", a.Policy)
	}
	for _, tc := range []struct{ secret, prefix, host, want string }{
		{rot.Secret, "/t/school-b", "", "SUCCESS"},
		{schoolSecret1, "", "bbb.school-b.example", "SUCCESS"},
		{uniASecret, "", "uni-a.example", "SUCCESS"},
		{"new-in-file-secret", "/t/new-in-file", "", "SUCCESS"},
		{"gone-secret-123", "/t/gone", "", "checksumError"},
	} {
		if got := restarted.call(tc.secret, tc.prefix, tc.host, "getMeetings", url.Values{}); got != tc.want {
			t.Errorf("after the restart, %s%s: %s, want %s", tc.host, tc.prefix, got, tc.want)
		}
	}
	if owner, _ := r.OwnerOf("gone~room"); owner == r.Default() {
		t.Error(`a removed tenant's meeting IDs ("gone~room") are read as the default tenant's`)
	}
	if st, _ := restarted.admin("GET", Prefix+"tenants/gone", nil, nil); st != http.StatusNotFound {
		t.Errorf("GET a removed tenant after the restart: HTTP %d", st)
	}
	var list TenantList
	restarted.tenantCall("GET", "tenants", nil, http.StatusOK, &list)
	src := map[string]string{}
	for _, ti := range list.Tenants {
		src[ti.Name] = ti.Source
	}
	if src["uni-a"] != "admin API" || src["new-in-file"] != "tenants.json" || src["default"] != "TINYSCALE_SECRET" {
		t.Errorf("sources: %v", src)
	}
}

// TestTenantSync is two instances sharing a store: a change through one
// is applied by the other's Sync, and a change through the other then
// keeps it.
func TestTenantSync(t *testing.T) {
	store := state.NewMemory()
	a, b := newTenantEnv(t, token, store), newTenantEnv(t, token, store)
	a.tenantCall("POST", "tenants", tenant.Tenant{Name: "school-b", Secrets: []string{schoolSecret1}}, http.StatusCreated, nil)
	if b.reg.Get("school-b") != nil {
		t.Fatal("b knows school-b before syncing: the test proves nothing")
	}
	if changed, err := b.overlay.Sync(); err != nil || !changed {
		t.Fatalf("Sync: %v %v, want a change", changed, err)
	}
	if got := b.getMeetings(schoolSecret1, "/t/school-b"); got != "SUCCESS" {
		t.Errorf("b after Sync: %s", got)
	}
	if changed, _ := b.overlay.Sync(); changed {
		t.Error("a second Sync without a change reports one")
	}
	// b's change starts from the store, so a's tenant survives it.
	b.tenantCall("POST", "tenants", tenant.Tenant{Name: "c", Secrets: []string{"c-secret-1234"}}, http.StatusCreated, nil)
	a.overlay.Sync()
	for _, e := range []*tenantEnv{a, b} {
		if names := tenantNames(e.overlay.Tenants()); !slices.Equal(names, []string{"c", "school-b", "uni-a"}) {
			t.Errorf("tenants: %v", names)
		}
	}
	// Watch applies it without a call.
	a.tenantCall("DELETE", "tenants/c", nil, http.StatusOK, nil)
	go b.overlay.Watch(t.Context(), 10*time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for b.getMeetings("c-secret-1234", "/t/c") != "checksumError" {
		if time.Now().After(deadline) {
			t.Fatal("Watch did not apply the removal")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTenantChangesEffective checks how the changes are laid over
// tenants.json, clashes included.
func TestTenantChangesEffective(t *testing.T) {
	base := []tenant.Tenant{
		{Name: "a", Secrets: []string{"a-secret-1"}, Hosts: []string{"a.example"}},
		{Name: "b", Secrets: []string{"b-secret-1"}, Hosts: []string{"b.example"}},
	}
	tests := []struct {
		name        string
		changes     TenantChanges
		want        []string // name:first secret
		wantRetired []string
		wantWarn    string
	}{
		{"none", TenantChanges{}, []string{"a:a-secret-1", "b:b-secret-1"}, nil, ""},
		{"replace", TenantChanges{Set: []tenant.Tenant{{Name: "a", Secrets: []string{"a-secret-2"}}}}, []string{"b:b-secret-1", "a:a-secret-2"}, nil, ""},
		{"add", TenantChanges{Set: []tenant.Tenant{{Name: "c", Secrets: []string{"c-secret-1"}}}}, []string{"a:a-secret-1", "b:b-secret-1", "c:c-secret-1"}, nil, ""},
		{"remove", TenantChanges{Removed: []string{"b", "x"}}, []string{"a:a-secret-1"}, []string{"b", "x"}, ""},
		{"added host clashes with the file", TenantChanges{Set: []tenant.Tenant{{Name: "c", Secrets: []string{"c-secret-1"}, Hosts: []string{"A.example."}}}},
			[]string{"a:a-secret-1", "b:b-secret-1"}, nil, `has host A.example., which tenant "a" has`},
		{"replacement clashes: the file's stays", TenantChanges{Set: []tenant.Tenant{{Name: "a", Secrets: []string{"a-secret-2"}, Hosts: []string{"b.example"}}}},
			[]string{"b:b-secret-1", "a:a-secret-1"}, nil, "left out"},
		{"invalid stored tenant", TenantChanges{Set: []tenant.Tenant{{Name: "c"}}}, []string{"a:a-secret-1", "b:b-secret-1"}, nil, `"secrets"`},
		{"removed then added", TenantChanges{Set: []tenant.Tenant{{Name: "b", Secrets: []string{"b-secret-2"}}}, Removed: []string{"a"}}, []string{"b:b-secret-2"}, []string{"a"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, retired, warnings := tt.changes.Effective(base)
			var got []string
			for _, tn := range list {
				got = append(got, tn.Name+":"+tn.Secrets[0])
			}
			if !slices.Equal(got, tt.want) || !slices.Equal(retired, tt.wantRetired) {
				t.Errorf("got %v retired %v, want %v retired %v", got, retired, tt.want, tt.wantRetired)
			}
			w := strings.Join(warnings, "\n")
			if (tt.wantWarn == "") != (w == "") || !strings.Contains(w, tt.wantWarn) {
				t.Errorf("warnings %q, want %q", w, tt.wantWarn)
			}
			if strings.Contains(w, "secret-") {
				t.Errorf("a warning shows a secret: %s", w)
			}
		})
	}
}

// TestTenantOverlayStoreFailure checks that a change the store refuses
// changes nothing.
func TestTenantOverlayStoreFailure(t *testing.T) {
	reg, _ := tenant.NewRegistry(tenant.Tenant{Secrets: []string{clientSecret}}, nil)
	store := &failingStore{Memory: state.NewMemory()}
	o := NewTenantOverlay(reg, store, nil)
	if err := o.Apply(fileTenants()); err != nil {
		t.Fatal(err)
	}
	store.fail = true
	_, err := o.Add(tenant.Tenant{Name: "c", Secrets: []string{"c-secret-1234"}})
	if e, ok := err.(*Error); !ok || e.Status != http.StatusInternalServerError {
		t.Fatalf("Add with a failing store: %v", err)
	}
	if reg.Get("c") != nil {
		t.Error("a change the store refused is in force")
	}
}

type failingStore struct {
	*state.Memory
	fail bool
}

func (f *failingStore) SaveDoc(name string, data []byte) error {
	if f.fail {
		return state.ErrUnavailable
	}
	return f.Memory.SaveDoc(name, data)
}

// TestTenantDocument checks the stored document's form: what an operator
// finds in `tinyscale state export`.
func TestTenantDocument(t *testing.T) {
	store := state.NewMemory()
	e := newTenantEnv(t, token, store)
	e.tenantCall("POST", "tenants", tenant.Tenant{Name: "school-b", Secrets: []string{schoolSecret1}}, http.StatusCreated, nil)
	e.tenantCall("DELETE", "tenants/uni-a", nil, http.StatusOK, nil)
	data, err := store.LoadDoc(TenantOverlayDoc)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc["set"], []byte(`"name":"school-b"`)) || string(doc["removed"]) != `["uni-a"]` {
		t.Errorf("document: %s", data)
	}
	if bytes.Contains(data, []byte(e.overlay.placeholder)) {
		t.Error("the document holds the placeholder secret")
	}
}
