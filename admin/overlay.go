package admin

import (
	"maps"
	"slices"

	"github.com/tinyscale/tinyscale/config"
	"github.com/tinyscale/tinyscale/pool"
)

// Changes are the operator's changes made through the admin API, laid over
// servers.json: what must survive a restart. servers.json stays the
// declarative list; these say what was done to it since.
type Changes struct {
	// States holds the admin state set for each server, by ID.
	States map[string]pool.AdminState `json:"states,omitempty"`
	// Added lists the servers added through the API, secrets included.
	Added []config.Server `json:"added,omitempty"`
	// Removed lists the IDs of servers removed through the API, also the
	// ones servers.json still lists.
	Removed []string `json:"removed,omitempty"`
}

// Overlay stores Changes. StoreOverlay keeps them with the placements in
// the state store; MemoryOverlay, for the demo, nowhere.
type Overlay interface {
	// Load returns the stored changes; none (no error) if nothing was
	// ever stored.
	Load() (Changes, error)
	// Save replaces the stored changes, atomically: a crash leaves the old
	// ones or the new ones, never a mix.
	Save(Changes) error
}

// clone returns a deep copy, so that a change being saved never aliases
// the changes in force.
func (c Changes) clone() Changes {
	out := Changes{States: maps.Clone(c.States), Added: slices.Clone(c.Added), Removed: slices.Clone(c.Removed)}
	if out.States == nil {
		out.States = map[string]pool.AdminState{}
	}
	return out
}

// Effective lays the changes over base (servers.json): base's servers
// without the removed ones, an added server replacing a base server of the
// same ID, the other added servers after them. An added server whose host
// another server already has is left out, and said so in the warnings.
func (c Changes) Effective(base []config.Server) (servers []config.Server, warnings []string) {
	added := map[string]config.Server{}
	for _, s := range c.Added {
		added[s.ID] = s
	}
	hosts := map[string]string{}
	take := func(s config.Server) {
		if other, dup := hosts[s.Host]; dup {
			warnings = append(warnings, "server "+s.ID+" added through the admin API has the same host as "+other+": left out")
			return
		}
		hosts[s.Host] = s.ID
		servers = append(servers, s)
	}
	for _, s := range base {
		if slices.Contains(c.Removed, s.ID) {
			continue
		}
		if a, ok := added[s.ID]; ok {
			s = a
			delete(added, s.ID)
		}
		take(s)
	}
	for _, s := range c.Added {
		if _, ok := added[s.ID]; ok && !slices.Contains(c.Removed, s.ID) {
			take(s)
		}
	}
	return servers, warnings
}
