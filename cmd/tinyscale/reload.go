package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/tinyscale/tinyscale/admin"
	"github.com/tinyscale/tinyscale/config"
	"github.com/tinyscale/tinyscale/tenant"
)

// reloader reloads servers.json and tenants.json on SIGHUP, without a
// restart and without dropping a request: the pool's list is swapped in
// one step, and servers that did not change keep their health, load and
// reservations (see admin.Fleet.Reload); the tenants are swapped with the
// admin API's changes laid over them (admin.TenantOverlay.Apply).
type reloader struct {
	file    string
	fleet   *admin.Fleet
	log     *slog.Logger
	env     *config.Env
	tenants *admin.TenantOverlay
}

// run reloads on every signal on hup until ctx is done.
func (r *reloader) run(ctx context.Context, hup <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			r.reload(ctx)
		}
	}
}

// reload reads and validates the file first: an invalid file, or a new
// server with a wrong secret, changes nothing, and the error (naming the
// file, the server and the field) is logged. tinyscale goes on with the
// servers it has.
func (r *reloader) reload(ctx context.Context) {
	r.reloadTenants()
	r.log.Info("reload: reading servers", "file", r.file)
	servers, err := config.LoadServers(r.file)
	if err != nil {
		r.log.Error("reload failed: keeping the current servers", "error", err)
		return
	}
	rep, err := r.fleet.Reload(ctx, servers)
	if err != nil {
		r.log.Error("reload failed: keeping the current servers", "file", r.file, "error", err)
		return
	}
	r.log.Info("reload done", "servers", len(r.fleet.Pool().All()),
		"added", rep.Added, "removed", rep.Removed, "replaced", rep.Replaced, "updated", rep.Updated, "unchanged", len(rep.Unchanged))
	for _, id := range rep.Offline {
		r.log.Warn("reload: new server unreachable: added offline; the poller brings it back", "server", id)
	}
}

// reloadTenants reads tenants.json again and lays the tenant changes of
// the admin API over it, as they are stored now; an invalid file keeps
// the tenants there are.
func (r *reloader) reloadTenants() {
	if r.tenants == nil {
		return
	}
	list, err := tenant.LoadFile(r.env.TenantsFile)
	if err == nil {
		err = r.tenants.Apply(list)
	}
	if err != nil {
		r.log.Error("reload failed: keeping the current tenants", "file", r.env.TenantsFile, "error", err)
		return
	}
	r.log.Info("reload: tenants", "file", r.env.TenantsFile, "in_file", len(list), "tenants", len(r.tenants.Tenants()))
}
