package tenant

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
)

// Registry holds the tenants and finds the one a request belongs to. It is
// safe for concurrent use; the tenant list can be replaced at runtime.
type Registry struct {
	// Global is the policy applied to every tenant's calls, the default
	// tenant's included (its defaults rank below a tenant's own).
	Global Policy

	mu     sync.RWMutex
	def    *Tenant
	byName map[string]*Tenant
	byHost map[string]*Tenant
}

// NewRegistry returns a registry with the default tenant (secrets from
// TINYSCALE_SECRET, policy from the global settings) and tenants.
func NewRegistry(def Tenant, tenants []Tenant) (*Registry, error) {
	def.Name = DefaultName
	r := &Registry{def: &def}
	return r, r.Replace(tenants)
}

// Replace swaps the named tenants after validating them all: an invalid
// list changes nothing.
func (r *Registry) Replace(tenants []Tenant) error {
	byName := map[string]*Tenant{}
	byHost := map[string]*Tenant{}
	for i := range tenants {
		t := tenants[i]
		if err := t.Validate(); err != nil {
			return err
		}
		if t.Name == DefaultName {
			return errors.New(`tenant "default": the name is reserved for requests signed with TINYSCALE_SECRET; choose another`)
		}
		if byName[t.Name] != nil {
			return fmt.Errorf("tenant %q is declared twice", t.Name)
		}
		byName[t.Name] = &t
		for _, h := range t.Hosts {
			h = normalizeHost(h)
			if o := byHost[h]; o != nil {
				return fmt.Errorf("host %q belongs to both %q and %q", h, o.Name, t.Name)
			}
			byHost[h] = &t
		}
	}
	r.mu.Lock()
	r.byName, r.byHost = byName, byHost
	r.mu.Unlock()
	return nil
}

// Default returns the default tenant.
func (r *Registry) Default() *Tenant { return r.def }

// Get returns the tenant of that name (the default one for "default").
func (r *Registry) Get(name string) *Tenant {
	if name == DefaultName {
		return r.def
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byName[name]
}

// All returns the named tenants, sorted by name.
func (r *Registry) All() []Tenant {
	r.mu.RLock()
	out := make([]Tenant, 0, len(r.byName))
	for _, t := range r.byName {
		out = append(out, *t)
	}
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b Tenant) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// MultiTenant reports whether any named tenant exists; without one,
// tinyscale behaves exactly as a single-tenant balancer.
func (r *Registry) MultiTenant() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.byName) > 0
}

// PathPrefix is the path form of a tenant's API: /t/<name>/bigbluebutton/api.
const PathPrefix = "/t/"

// Resolve finds the tenant of a request from its Host header and path. It
// returns the path with any /t/<name> prefix removed, or nil when the path
// names an unknown tenant or contradicts the host's tenant.
func (r *Registry) Resolve(host, path string) (*Tenant, string) {
	r.mu.RLock()
	hostT := r.byHost[normalizeHost(host)]
	r.mu.RUnlock()
	if rest, ok := strings.CutPrefix(path, PathPrefix); ok {
		name, sub, _ := strings.Cut(rest, "/")
		t := r.Get(name)
		if t == nil || name == DefaultName || (hostT != nil && hostT != t) {
			return nil, path
		}
		return t, "/" + sub
	}
	if hostT != nil {
		return hostT, path
	}
	return r.def, path
}

// orphan owns the meetings of tenants no longer configured: nobody's.
var orphan = &Tenant{Name: "(removed tenant)"}

// OwnerOf returns the tenant a BBB meeting ID belongs to and the tenant's
// own ID for it. With named tenants configured, an ID that carries a
// tenant prefix of a name no longer configured (a tenant deleted from
// tenants.json while its meetings or recordings live on) belongs to no
// one: it must never fall to the default tenant.
func (r *Registry) OwnerOf(bbbID string) (*Tenant, string) {
	if name, id, ok := strings.Cut(bbbID, separator); ok {
		if t := r.Get(name); t != nil && t != r.def {
			return t, id
		}
		if name != DefaultName && nameRE.MatchString(name) && r.MultiTenant() {
			return orphan, id
		}
	}
	return r.def, bbbID
}

// Reserved reports whether a default-tenant meeting ID would be read as a
// named tenant's: it must be refused, or the default tenant could reach
// into that tenant's meetings.
func (r *Registry) Reserved(meetingID string) bool {
	t, _ := r.OwnerOf(meetingID)
	return t != r.def
}

func normalizeHost(h string) string {
	// Only a host with a colon can carry a port: SplitHostPort allocates
	// an error for every host without one, and this runs on every call.
	if strings.IndexByte(h, ':') < 0 {
		return strings.ToLower(strings.TrimSuffix(h, "."))
	}
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

// LoadFile reads tenants.json: a JSON array of tenants. A missing file is
// no error (no named tenants).
func LoadFile(path string) ([]Tenant, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	var list []Tenant
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("%s: want a JSON array of {\"name\", \"secrets\", \"hosts\"} objects: %v", path, err)
	}
	for i := range list {
		if err := list[i].Validate(); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
	}
	return list, nil
}
