package admin

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
)

// TenantOverlayDoc is the name of the tenant changes' document in a state
// store.
const TenantOverlayDoc = "tenants-overlay"

// maxSecrets bounds a tenant's secrets: rotation needs two at once; a few
// more allow for a rotation started twice, but every secret is one more
// checksum to try on each of the tenant's requests.
const maxSecrets = 4

// TenantChanges are the tenant changes made through the admin API, laid
// over tenants.json: tenants.json stays the declarative list, these say
// what was done to it since. They are stored as one document of the state
// store (TenantOverlayDoc), with the placements.
type TenantChanges struct {
	// Set holds the tenants added or changed through the API, whole,
	// secrets included. Each replaces tenants.json's tenant of its name,
	// or adds a tenant tenants.json does not have.
	Set []tenant.Tenant `json:"set,omitempty"`
	// Removed lists the tenants removed through the API, also ones
	// tenants.json still lists. Their names stay reserved (see Effective).
	Removed []string `json:"removed,omitempty"`
}

// Effective lays the changes over base (tenants.json): base's tenants the
// API did not touch, then the tenants of Set, each in place of base's
// tenant of its name. A tenant of Set that is invalid or has a host a
// tenant of tenants.json (or an earlier one of Set) has is left out, and
// said so in the warnings; the base tenant of its name, if any, stays.
//
// retired are the removed names no tenant has: they must stay reserved,
// or the meetings and recordings the removed tenant left on the BBB
// servers ("<name>~<id>") would be read as the default tenant's.
func (c TenantChanges) Effective(base []tenant.Tenant) (list []tenant.Tenant, retired, warnings []string) {
	set := map[string]tenant.Tenant{}
	var order []string
	for _, t := range c.Set {
		if _, dup := set[t.Name]; !dup {
			order = append(order, t.Name)
		}
		set[t.Name] = t
	}
	baseByName := map[string]tenant.Tenant{}
	taken := map[string]string{} // host key → tenant name
	for _, t := range base {
		baseByName[t.Name] = t
		if _, changed := set[t.Name]; changed || slices.Contains(c.Removed, t.Name) {
			continue
		}
		// A host two tenants of the file share is the file's error,
		// reported by the registry: no choice is made here.
		for _, h := range t.Hosts {
			taken[tenant.HostKey(h)] = t.Name
		}
		list = append(list, t)
	}
	take := func(t tenant.Tenant, what string) bool {
		if err := t.Validate(); err != nil || t.Name == tenant.DefaultName {
			if err == nil {
				err = fmt.Errorf("tenant %q: the name is reserved", t.Name)
			}
			warnings = append(warnings, fmt.Sprintf("%s: %v: left out", what, err))
			return false
		}
		for _, h := range t.Hosts {
			if other, ok := taken[tenant.HostKey(h)]; ok && other != t.Name {
				warnings = append(warnings, fmt.Sprintf("%s %q has host %s, which tenant %q has: left out", what, t.Name, h, other))
				return false
			}
		}
		for _, h := range t.Hosts {
			taken[tenant.HostKey(h)] = t.Name
		}
		list = append(list, t)
		return true
	}
	for _, name := range order {
		if take(set[name], "tenant changed through the admin API") {
			continue
		}
		if b, ok := baseByName[name]; ok {
			take(b, "tenants.json's tenant")
		}
	}
	for _, name := range c.Removed {
		if !slices.ContainsFunc(list, func(t tenant.Tenant) bool { return t.Name == name }) && !slices.Contains(retired, name) {
			retired = append(retired, name)
		}
	}
	return list, retired, warnings
}

// TenantOverlay is the tenant list as configured: tenants.json with the
// changes made through the admin API laid over it, in the registry the
// gateway uses. Every change goes through it, one at a time, and is
// stored before the registry changes, so that a failed save changes
// nothing.
//
// Each change starts from the document as the store has it now, not as
// this instance last saw it: with Redis, changes made through another
// instance are kept, not overwritten. Sync (and Watch) apply those changes
// here too.
type TenantOverlay struct {
	reg   *tenant.Registry
	store state.Store
	log   *slog.Logger
	// placeholder is the secret of the removed tenants kept to reserve
	// their names: random, never stored nor shown, so no request is ever
	// signed with it.
	placeholder string

	mu      sync.Mutex
	base    []tenant.Tenant // tenants.json as last loaded
	changes TenantChanges   // as last applied
	applied []byte          // the document as last applied
}

// NewTenantOverlay returns the overlay that keeps its changes in store and
// applies them to reg. Apply sets the tenants.json it lays them over.
func NewTenantOverlay(reg *tenant.Registry, store state.Store, log *slog.Logger) *TenantOverlay {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &TenantOverlay{reg: reg, store: store, log: log, placeholder: newSecret()}
}

// Registry returns the registry the overlay changes.
func (o *TenantOverlay) Registry() *tenant.Registry { return o.reg }

// newSecret returns 32 random bytes in hex, for a tenant's new secret.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand documents it)
	return hex.EncodeToString(b)
}

// load reads the stored changes and the document's bytes; none if nothing
// was ever stored.
func (o *TenantOverlay) load() (TenantChanges, []byte, error) {
	data, err := o.store.LoadDoc(TenantOverlayDoc)
	if err != nil || data == nil {
		return TenantChanges{}, nil, err
	}
	var c TenantChanges
	if err := json.Unmarshal(data, &c); err != nil {
		return TenantChanges{}, nil, fmt.Errorf("state store document %q: %v", TenantOverlayDoc, err)
	}
	return c, data, nil
}

// registryList is the effective list with a placeholder for every retired
// name, and the warnings about tenants left out.
func (o *TenantOverlay) registryList(base []tenant.Tenant, c TenantChanges) ([]tenant.Tenant, []string) {
	list, retired, warnings := c.Effective(base)
	for _, name := range retired {
		p := tenant.Tenant{Name: name, Secrets: []string{o.placeholder}}
		if p.Validate() == nil && name != tenant.DefaultName {
			list = append(list, p)
		}
	}
	return list, warnings
}

// Apply loads the stored changes, lays them over base (tenants.json) and
// sets the registry's tenants: at startup and at each reload. An invalid
// result (two tenants of tenants.json with one host, say) changes nothing.
func (o *TenantOverlay) Apply(base []tenant.Tenant) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	c, data, err := o.load()
	if err != nil {
		return err
	}
	return o.apply(base, c, data)
}

func (o *TenantOverlay) apply(base []tenant.Tenant, c TenantChanges, data []byte) error {
	list, warnings := o.registryList(base, c)
	if err := o.reg.Swap(list); err != nil {
		return err
	}
	for _, w := range warnings {
		o.log.Warn(w)
	}
	var overridden []string
	for _, t := range c.Set {
		if slices.ContainsFunc(base, func(b tenant.Tenant) bool { return b.Name == t.Name }) {
			overridden = append(overridden, t.Name)
		}
	}
	if len(overridden) > 0 {
		o.log.Info("tenants changed through the admin API replace their tenants.json entries", "tenants", overridden)
	}
	o.base, o.changes, o.applied = base, c, data
	return nil
}

// Sync applies the stored changes again if the document changed since it
// was last applied (through another instance sharing a Redis store), and
// reports whether it did.
func (o *TenantOverlay) Sync() (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	data, err := o.store.LoadDoc(TenantOverlayDoc)
	if err != nil || bytes.Equal(data, o.applied) {
		return false, err
	}
	c, data, err := o.load()
	if err != nil {
		return false, err
	}
	return true, o.apply(o.base, c, data)
}

// Watch calls Sync every interval until ctx is done, so that tenants
// changed through another instance are served here within an interval.
// Reading the document is cheap: every store keeps documents in memory.
func (o *TenantOverlay) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var last string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		changed, err := o.Sync()
		switch {
		case err != nil && err.Error() != last:
			o.log.Error("tenants: could not apply the tenant changes stored by another instance: keeping the current tenants", "error", err)
			last = err.Error()
		case err == nil && changed:
			o.log.Info("tenants: applied the tenant changes stored by another instance")
			last = ""
		}
	}
}

// Tenants returns the named tenants in force, sorted by name: the
// registry's, without the placeholders that keep removed names reserved.
func (o *TenantOverlay) Tenants() []tenant.Tenant {
	return slices.DeleteFunc(o.reg.All(), func(t tenant.Tenant) bool {
		return len(t.Secrets) == 1 && t.Secrets[0] == o.placeholder
	})
}

// Source says where a tenant is configured: "tenants.json", or "admin
// API" once added or changed through the API (its tenants.json entry, if
// any, is then ignored).
func (o *TenantOverlay) Source(name string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if slices.ContainsFunc(o.changes.Set, func(t tenant.Tenant) bool { return t.Name == name }) {
		return "admin API"
	}
	return "tenants.json"
}

// change applies fn to the stored changes as they are now, given the
// tenants in force by them (without the placeholders), and then stores
// and applies the result. want, if not empty, is a tenant the result must
// hold as fn set it. Nothing changes if fn, the check or the save fails.
func (o *TenantOverlay) change(want string, fn func(cur []tenant.Tenant, c *TenantChanges) error) (tenant.Tenant, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	c, _, err := o.load()
	if err != nil {
		return tenant.Tenant{}, &Error{http.StatusInternalServerError, err.Error()}
	}
	cur, _, _ := c.Effective(o.base)
	before, _ := json.Marshal(c)
	if err := fn(cur, &c); err != nil {
		return tenant.Tenant{}, err
	}
	data, err := json.Marshal(c)
	if err != nil {
		return tenant.Tenant{}, err
	}
	if bytes.Equal(data, before) {
		// Nothing to store (retiring the secrets of a tenant with one).
		if i := find(cur, want); want != "" && i >= 0 {
			return cur[i], nil
		}
		return tenant.Tenant{}, nil
	}
	list, warnings := o.registryList(o.base, c)
	if _, err := tenant.NewRegistry(tenant.Tenant{}, list); err != nil {
		return tenant.Tenant{}, &Error{http.StatusConflict, err.Error()}
	}
	var got tenant.Tenant
	if want != "" {
		i := slices.IndexFunc(list, func(t tenant.Tenant) bool { return t.Name == want })
		if i < 0 {
			return tenant.Tenant{}, &Error{http.StatusConflict, fmt.Sprintf("tenant %q cannot be set: %v", want, warnings)}
		}
		got = list[i]
	}
	if err := o.store.SaveDoc(TenantOverlayDoc, data); err != nil {
		o.log.Error("admin: could not store the tenant change", "error", err)
		return tenant.Tenant{}, &Error{http.StatusInternalServerError, fmt.Sprintf("save tenant changes: %v", err)}
	}
	if err := o.apply(o.base, c, data); err != nil {
		// Checked above: only a bug gets here.
		return tenant.Tenant{}, &Error{http.StatusInternalServerError, err.Error()}
	}
	return got, nil
}

// find returns the index of the tenant named name in list, or -1.
func find(list []tenant.Tenant, name string) int {
	return slices.IndexFunc(list, func(t tenant.Tenant) bool { return t.Name == name })
}

func tenantNotFound(name string) error {
	return &Error{http.StatusNotFound, fmt.Sprintf("no tenant named %q; `tinyscale tenants list` shows the names", name)}
}

var errDefaultTenant = &Error{http.StatusConflict, `the "default" tenant is the one of TINYSCALE_SECRET and the plain path: change it in tinyscale's environment, not here`}

// hostClash refuses a tenant with a host another tenant of cur has.
func hostClash(cur []tenant.Tenant, t tenant.Tenant) error {
	for _, o := range cur {
		if o.Name == t.Name {
			continue
		}
		for _, h := range t.Hosts {
			for _, oh := range o.Hosts {
				if tenant.HostKey(h) == tenant.HostKey(oh) {
					return &Error{http.StatusConflict, fmt.Sprintf("host %s belongs to tenant %q already", h, o.Name)}
				}
			}
		}
	}
	return nil
}

// setTenant records t in c as the API's version of its tenant.
func setTenant(c *TenantChanges, t tenant.Tenant) {
	c.Set = slices.DeleteFunc(c.Set, func(o tenant.Tenant) bool { return o.Name == t.Name })
	c.Set = append(c.Set, t)
	c.Removed = slices.DeleteFunc(c.Removed, func(n string) bool { return n == t.Name })
}

// Add adds a new tenant, validated. A tenant of that name, or one with one
// of its hosts, is a conflict. A name removed earlier can be taken again:
// the meetings and recordings left under it are then the new tenant's.
func (o *TenantOverlay) Add(t tenant.Tenant) (tenant.Tenant, error) {
	if err := t.Validate(); err != nil {
		return tenant.Tenant{}, &Error{http.StatusBadRequest, err.Error()}
	}
	if t.Name == tenant.DefaultName {
		return tenant.Tenant{}, errDefaultTenant
	}
	got, err := o.change(t.Name, func(cur []tenant.Tenant, c *TenantChanges) error {
		if find(cur, t.Name) >= 0 {
			return &Error{http.StatusConflict, fmt.Sprintf("a tenant named %q exists; change it with PUT tenants/%s (or remove it first)", t.Name, t.Name)}
		}
		if err := hostClash(cur, t); err != nil {
			return err
		}
		setTenant(c, t)
		return nil
	})
	if err == nil {
		o.log.Info("admin: tenant added", "tenant", t.Name, "hosts", t.Hosts)
	}
	return got, err
}

// Update replaces a tenant's hosts and policy with t's. Its secrets are
// kept unless t has some, which then replace them.
func (o *TenantOverlay) Update(name string, t tenant.Tenant) (tenant.Tenant, error) {
	if name == tenant.DefaultName {
		return tenant.Tenant{}, errDefaultTenant
	}
	if t.Name != "" && t.Name != name {
		return tenant.Tenant{}, &Error{http.StatusBadRequest, fmt.Sprintf("the body names tenant %q, the path %q: a tenant cannot be renamed; add the new name and remove the old one", t.Name, name)}
	}
	t.Name = name
	got, err := o.change(name, func(cur []tenant.Tenant, c *TenantChanges) error {
		i := find(cur, name)
		if i < 0 {
			return tenantNotFound(name)
		}
		if len(t.Secrets) == 0 {
			t.Secrets = slices.Clone(cur[i].Secrets)
		}
		if err := t.Validate(); err != nil {
			return &Error{http.StatusBadRequest, err.Error()}
		}
		if err := hostClash(cur, t); err != nil {
			return err
		}
		setTenant(c, t)
		return nil
	})
	if err == nil {
		o.log.Info("admin: tenant changed", "tenant", name, "hosts", t.Hosts)
	}
	return got, err
}

// Remove drops a tenant: requests signed with its secrets answer
// checksumError from then on. Its name stays reserved, so that its
// meetings still running and its recordings never show as another
// tenant's; adding the name again gives them back.
func (o *TenantOverlay) Remove(name string) error {
	if name == tenant.DefaultName {
		return errDefaultTenant
	}
	_, err := o.change("", func(cur []tenant.Tenant, c *TenantChanges) error {
		if find(cur, name) < 0 {
			return tenantNotFound(name)
		}
		c.Set = slices.DeleteFunc(c.Set, func(t tenant.Tenant) bool { return t.Name == name })
		if !slices.Contains(c.Removed, name) {
			c.Removed = append(c.Removed, name)
		}
		return nil
	})
	if err == nil {
		o.log.Info("admin: tenant removed", "tenant", name)
	}
	return err
}

// AddSecret adds a secret to a tenant, after the ones it has: both the old
// and the new one are accepted, and callbacks stay signed with the oldest
// until RetireSecrets. An empty secret means a generated one. It returns
// the tenant and the secret added.
func (o *TenantOverlay) AddSecret(name, secret string) (tenant.Tenant, string, error) {
	if name == tenant.DefaultName {
		return tenant.Tenant{}, "", errDefaultTenant
	}
	if secret == "" {
		secret = newSecret()
	}
	got, err := o.change(name, func(cur []tenant.Tenant, c *TenantChanges) error {
		i := find(cur, name)
		if i < 0 {
			return tenantNotFound(name)
		}
		t := cur[i]
		switch {
		case slices.Contains(t.Secrets, secret):
			return &Error{http.StatusConflict, fmt.Sprintf("tenant %q has this secret already", name)}
		case len(t.Secrets) >= maxSecrets:
			return &Error{http.StatusConflict, fmt.Sprintf("tenant %q has %d secrets, the most it may have: retire the old ones first (POST tenants/%s/retire-secrets) once its integrations use the newest", name, len(t.Secrets), name)}
		}
		t.Secrets = append(slices.Clone(t.Secrets), secret)
		if err := t.Validate(); err != nil {
			return &Error{http.StatusBadRequest, err.Error()}
		}
		setTenant(c, t)
		return nil
	})
	if err != nil {
		return tenant.Tenant{}, "", err
	}
	o.log.Info("admin: tenant secret added", "tenant", name, "secrets", len(got.Secrets))
	return got, secret, nil
}

// RetireSecrets drops every secret of a tenant but the newest, once its
// integrations use it: requests signed with the others answer
// checksumError from then on, and callbacks are signed with the newest.
// It returns the tenant and how many secrets were dropped.
func (o *TenantOverlay) RetireSecrets(name string) (tenant.Tenant, int, error) {
	if name == tenant.DefaultName {
		return tenant.Tenant{}, 0, errDefaultTenant
	}
	dropped := 0
	got, err := o.change(name, func(cur []tenant.Tenant, c *TenantChanges) error {
		i := find(cur, name)
		if i < 0 {
			return tenantNotFound(name)
		}
		t := cur[i]
		if dropped = len(t.Secrets) - 1; dropped == 0 {
			return nil // nothing to store
		}
		t.Secrets = []string{t.Secrets[len(t.Secrets)-1]}
		setTenant(c, t)
		return nil
	})
	if err == nil && dropped > 0 {
		o.log.Info("admin: tenant secrets retired", "tenant", name, "retired", dropped)
	}
	return got, dropped, err
}
