package tenant

import (
	"slices"

	"github.com/tinyscale/tinyscale/bbb"
)

// Params says which of a policy's parameter sets applies: create's or join's.
type Params int

// The calls policies change.
const (
	Create Params = iota
	Join
)

func (p *Policy) sets(which Params) (defaults, overrides map[string]string) {
	if which == Create {
		return p.CreateDefaults, p.CreateOverrides
	}
	return p.JoinDefaults, p.JoinOverrides
}

// Apply applies the policies' parameters to the parameters of a create or
// join, in this precedence (later wins):
//
//	global default < tenant default < client < global override < tenant override
//
// Parameters nobody set keep the client's values and order.
func Apply(p *bbb.Params, which Params, global, own *Policy) {
	gd, go_ := global.sets(which)
	td, to := own.sets(which)
	for _, defaults := range []map[string]string{td, gd} {
		for _, k := range sortedKeys(defaults) {
			if !p.HasKey(k) {
				p.Add(k, defaults[k])
			}
		}
	}
	for _, overrides := range []map[string]string{go_, to} {
		for _, k := range sortedKeys(overrides) {
			p.SetKey(k, overrides[k])
		}
	}
}

func sortedKeys(m map[string]string) []string {
	if len(m) == 0 {
		return nil // the usual case, on every create and join: no policy
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
