package tenant

import "reflect"

// Swap is Replace for changes made at runtime (the admin API, a reload):
// it validates the whole list the same way, and an invalid list changes
// nothing, but a tenant whose every field is unchanged keeps its very
// *Tenant. Requests in flight compare tenants by pointer (whose meeting is
// this?), so a change to one tenant must not make the others' pointers
// stale under them.
func (r *Registry) Swap(tenants []Tenant) error {
	next := &Registry{def: r.def}
	if err := next.Replace(tenants); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, t := range next.byName {
		old := r.byName[name]
		if old == nil || !reflect.DeepEqual(*old, *t) {
			continue
		}
		next.byName[name] = old
		for h, ht := range next.byHost {
			if ht == t {
				next.byHost[h] = old
			}
		}
	}
	r.byName, r.byHost = next.byName, next.byHost
	return nil
}

// HostKey is the form in which hosts are compared: without port, a
// trailing dot or upper case. Two tenants whose hosts have the same key
// clash.
func HostKey(host string) string { return normalizeHost(host) }
