package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/tinyscale/tinyscale/tenant"
)

// TenantInfo is a tenant as the API shows it. It never holds the tenant's
// secrets, only how many it has.
type TenantInfo struct {
	Name string `json:"name"`
	// Hosts are the Host header values recognised as the tenant's.
	Hosts []string `json:"hosts"`
	// Path is the tenant's API on any host: /t/<name>/bigbluebutton/api/.
	Path string `json:"path"`
	// Secrets counts the tenant's secrets: 2 while one is being rotated.
	Secrets int `json:"secrets"`
	// Source is where the tenant is configured: "tenants.json", "admin
	// API" (added or changed through the API: that version wins over
	// tenants.json's), or "TINYSCALE_SECRET" for the default tenant.
	Source string `json:"source"`
	// The policy and limits, as in tenants.json.
	tenant.Policy
	// Meetings counts the tenant's meetings placed by tinyscale.
	Meetings int `json:"meetings"`
	// Participants counts the users in the tenant's meetings (breakout
	// rooms aside) as the servers' last polls saw them: what
	// max_participants is checked against.
	Participants int `json:"participants"`
}

// TenantList is the answer of GET tenants: the default tenant first, then
// the named ones by name.
type TenantList struct {
	Tenants []TenantInfo `json:"tenants"`
}

// TenantAnswer is the answer of a change to one tenant.
type TenantAnswer struct {
	Tenant TenantInfo `json:"tenant"`
	// Secret is a secret tinyscale just generated (POST tenants without
	// secrets, rotate-secret without one): shown in this answer only,
	// and nowhere else ever. A secret the caller gave is not repeated.
	Secret string `json:"secret,omitempty"`
	// Retired counts the secrets retire-secrets dropped.
	Retired int `json:"retired,omitempty"`
}

// TenantRemoveAnswer is the answer of DELETE tenants/{name}.
type TenantRemoveAnswer struct {
	Removed string `json:"removed"`
	// Meetings counts the tenant's meetings still placed: they run on,
	// but its integration can no longer reach them.
	Meetings int `json:"meetings"`
}

// RotateRequest is the body of POST tenants/{name}/rotate-secret: {} for
// a generated secret, or the secret to add.
type RotateRequest struct {
	Secret string `json:"secret,omitempty"`
}

// tenantsOff answers when the API has no tenant registry.
func (a *API) tenantsOff(w http.ResponseWriter) bool {
	if a.tenants == nil {
		writeError(w, http.StatusNotFound, "tenants are not configured on this tinyscale")
		return true
	}
	return false
}

// usage counts every tenant's placed meetings and participants.
type usage struct{ meetings, participants int }

func (a *API) tenantUsage() map[string]usage {
	out := map[string]usage{}
	if a.cfg.Store != nil {
		for _, m := range a.cfg.Store.Meetings() {
			name := m.Tenant
			if name == "" {
				name = tenant.DefaultName
			}
			u := out[name]
			u.meetings++
			out[name] = u
		}
	}
	if a.cfg.Fleet != nil {
		reg := a.tenants.Registry()
		for _, s := range a.cfg.Fleet.Pool().All() {
			for _, m := range s.Meetings() {
				if m.Breakout {
					continue
				}
				owner, _ := reg.OwnerOf(m.MeetingID)
				u := out[owner.Name]
				u.participants += m.Participants
				out[owner.Name] = u
			}
		}
	}
	return out
}

// tenantInfo shows t, with its usage from u.
func (a *API) tenantInfo(t tenant.Tenant, u map[string]usage) TenantInfo {
	src := "TINYSCALE_SECRET"
	if t.Name != tenant.DefaultName {
		src = a.tenants.Source(t.Name)
	}
	hosts := slices.Clone(t.Hosts)
	if hosts == nil {
		hosts = []string{}
	}
	path := tenant.PathPrefix + t.Name + "/bigbluebutton/api/"
	if t.Name == tenant.DefaultName {
		path = "/bigbluebutton/api/"
	}
	return TenantInfo{Name: t.Name, Hosts: hosts, Path: path, Secrets: len(t.Secrets), Source: src, Policy: t.Policy,
		Meetings: u[t.Name].meetings, Participants: u[t.Name].participants}
}

func (a *API) listTenants(w http.ResponseWriter, r *http.Request) {
	if a.tenantsOff(w) {
		return
	}
	u := a.tenantUsage()
	out := TenantList{Tenants: []TenantInfo{a.tenantInfo(*a.tenants.Registry().Default(), u)}}
	for _, t := range a.tenants.Tenants() {
		out.Tenants = append(out.Tenants, a.tenantInfo(t, u))
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) getTenant(w http.ResponseWriter, r *http.Request) {
	if a.tenantsOff(w) {
		return
	}
	name := r.PathValue("name")
	var t *tenant.Tenant
	if name == tenant.DefaultName {
		t = a.tenants.Registry().Default()
	} else if list := a.tenants.Tenants(); find(list, name) >= 0 {
		t = &list[find(list, name)]
	}
	if t == nil {
		writeErr(w, tenantNotFound(name))
		return
	}
	writeJSON(w, http.StatusOK, TenantAnswer{Tenant: a.tenantInfo(*t, a.tenantUsage())})
}

// maxTenantBody bounds the body of a tenant change.
const maxTenantBody = 256 << 10

// decodeBody reads a JSON body into v, refusing unknown fields: a typo
// ("max_meeting") must not be silently dropped. An empty body is no
// error when empty is true. Errors never quote the body: it may hold
// secrets.
func decodeBody(r *http.Request, v any, empty bool, want string) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxTenantBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			if empty {
				return nil
			}
			return &Error{http.StatusBadRequest, "empty body: send " + want}
		}
		return &Error{http.StatusBadRequest, fmt.Sprintf("body is not %s (%v)", want, err)}
	}
	return nil
}

const tenantJSON = `a tenant as in tenants.json: {"name", "secrets", "hosts", and optionally "create_defaults", "create_overrides", "join_defaults", "join_overrides", "max_meetings", "max_participants", "tags"}`

func (a *API) addTenant(w http.ResponseWriter, r *http.Request) {
	if a.tenantsOff(w) {
		return
	}
	var t tenant.Tenant
	if err := decodeBody(r, &t, false, tenantJSON); err != nil {
		writeErr(w, err)
		return
	}
	generated := ""
	if len(t.Secrets) == 0 {
		generated = newSecret()
		t.Secrets = []string{generated}
	}
	got, err := a.tenants.Add(t)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, TenantAnswer{Tenant: a.tenantInfo(got, a.tenantUsage()), Secret: generated})
}

func (a *API) updateTenant(w http.ResponseWriter, r *http.Request) {
	if a.tenantsOff(w) {
		return
	}
	var t tenant.Tenant
	if err := decodeBody(r, &t, false, tenantJSON+` ("secrets" may be left out to keep them)`); err != nil {
		writeErr(w, err)
		return
	}
	got, err := a.tenants.Update(r.PathValue("name"), t)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, TenantAnswer{Tenant: a.tenantInfo(got, a.tenantUsage())})
}

func (a *API) removeTenant(w http.ResponseWriter, r *http.Request) {
	if a.tenantsOff(w) {
		return
	}
	name := r.PathValue("name")
	if err := a.tenants.Remove(name); err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, TenantRemoveAnswer{Removed: name, Meetings: a.tenantUsage()[name].meetings})
}

func (a *API) rotateSecret(w http.ResponseWriter, r *http.Request) {
	if a.tenantsOff(w) {
		return
	}
	var req RotateRequest
	const want = `{} to add a generated secret, or {"secret": "..."} to add that one; to drop the old secrets use POST tenants/{name}/retire-secrets`
	if err := decodeBody(r, &req, true, want); err != nil {
		writeErr(w, err)
		return
	}
	got, secret, err := a.tenants.AddSecret(r.PathValue("name"), req.Secret)
	if err != nil {
		writeErr(w, err)
		return
	}
	ans := TenantAnswer{Tenant: a.tenantInfo(got, a.tenantUsage())}
	if req.Secret == "" {
		ans.Secret = secret
	}
	writeJSON(w, http.StatusOK, ans)
}

func (a *API) retireSecrets(w http.ResponseWriter, r *http.Request) {
	if a.tenantsOff(w) {
		return
	}
	var req struct{}
	if err := decodeBody(r, &req, true, "an empty body or {}"); err != nil {
		writeErr(w, err)
		return
	}
	got, n, err := a.tenants.RetireSecrets(r.PathValue("name"))
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, TenantAnswer{Tenant: a.tenantInfo(got, a.tenantUsage()), Retired: n})
}
