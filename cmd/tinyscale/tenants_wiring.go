package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/tinyscale/tinyscale/admin"
	"github.com/tinyscale/tinyscale/callback"
	"github.com/tinyscale/tinyscale/config"
	"github.com/tinyscale/tinyscale/deliver"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
)

// tenantSyncInterval is how often the stored tenant changes are read for
// changes made through another instance (Redis): cheap, since every store
// keeps its documents in memory.
const tenantSyncInterval = 2 * time.Second

// loadTenants builds the tenant registry: the default tenant with
// TINYSCALE_SECRET, the tenants of tenants.json with the changes made
// through the admin API laid over them (kept in store), and the global
// policy. The overlay it returns makes those changes, and lays them over
// tenants.json again at each reload.
func loadTenants(env *config.Env, store state.Store, log *slog.Logger) (*tenant.Registry, *admin.TenantOverlay, error) {
	list, err := tenant.LoadFile(env.TenantsFile)
	if err != nil {
		return nil, nil, err
	}
	reg, err := tenant.NewRegistry(tenant.Tenant{Secrets: []string{env.Secret}}, nil)
	if err != nil {
		return nil, nil, err
	}
	reg.Global = tenant.Policy{
		CreateDefaults: env.CreateDefaults, CreateOverrides: env.CreateOverrides,
		JoinDefaults: env.JoinDefaults, JoinOverrides: env.JoinOverrides,
	}
	overlay := admin.NewTenantOverlay(reg, store, log)
	if err := overlay.Apply(list); err != nil {
		return nil, nil, fmt.Errorf("%s, with the tenant changes made through the admin API: %v", env.TenantsFile, err)
	}
	warnWeakTenantSecrets(reg, log)
	return reg, overlay, nil
}

// callbacks builds the callback rewriter and relay for TINYSCALE_URL.
// Tokens are signed with the relay key kept in the store, so every
// instance sharing the store takes every callback, and tokens outlive a
// change of TINYSCALE_SECRET; tokens of earlier versions, keyed on that
// secret, are still accepted while it is unchanged.
func callbacks(env *config.Env, p *pool.Pool, tenants *tenant.Registry, store state.Store, q *deliver.Queue, log *slog.Logger) (*callback.Rewriter, *callback.Relay, error) {
	key, err := callback.LoadKey(store)
	if err != nil {
		return nil, nil, err
	}
	signer := callback.NewKeySigner(key, env.Secret)
	relay := &callback.Relay{
		Signer: signer,
		ClientSecret: func(name string) (string, bool) {
			if t := tenants.Get(name); t != nil && len(t.Secrets) > 0 {
				return t.Secrets[0], true
			}
			return "", false
		},
		ServerSecret: func(id string) (string, bool) {
			if s := p.Get(id); s != nil {
				return s.Client.Secret, true
			}
			return "", false
		},
		Queue:    q,
		Schedule: env.CallbackRetry,
		Log:      log,
	}
	return &callback.Rewriter{Base: env.PublicURL, Signer: signer}, relay, nil
}

// warnWeakTenantSecrets warns about tenant secrets shorter than
// config.MinSecretLength, naming the tenant, never the secret.
func warnWeakTenantSecrets(reg *tenant.Registry, log *slog.Logger) {
	for _, t := range reg.All() {
		if t.Name == tenant.DefaultName {
			continue // TINYSCALE_SECRET: warned about with the environment
		}
		for i, s := range t.Secrets {
			if len(s) < config.MinSecretLength {
				log.Warn(config.WeakSecret(fmt.Sprintf("secret %d of tenant %s", i+1, t.Name), len(s)))
			}
		}
	}
}
