package main

import (
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/tinyscale/tinyscale/config"
	"github.com/tinyscale/tinyscale/deliver"
	"github.com/tinyscale/tinyscale/hooks"
	"github.com/tinyscale/tinyscale/metrics"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
)

// newHooks starts the webhooks service: tinyscale's registry, the relay
// under TINYSCALE_URL and the reconciler that keeps tinyscale's hook on
// every server. Its deliveries go through q.
func newHooks(env *config.Env, p *pool.Pool, tenants *tenant.Registry, store state.Store, q *deliver.Queue, m *metrics.Metrics, log *slog.Logger) *hooks.Service {
	hk := hooks.New(hooks.Config{
		Store: store, Pool: p, Tenants: tenants, Queue: q,
		PublicURL: env.PublicURL, Secret: env.Secret, Timeout: env.RequestTimeout, Log: log,
	})
	if err := hk.Register(m.Registry()); err != nil {
		log.Warn("webhooks: metrics not registered", "error", err)
	}
	return hk
}

// hookOutcomes passes the delivery queue's outcomes to the webhooks
// service once it exists (the queue starts first: it resumes what a
// previous process left).
type hookOutcomes struct{ hk atomic.Pointer[hooks.Service] }

func (o *hookOutcomes) outcome(j *deliver.Job, outcome string, status int) {
	if hk := o.hk.Load(); hk != nil {
		hk.Outcome(j, outcome, status)
	}
}

// withHooks routes the webhooks relay's path to hk (nil: 404) and the
// rest to next.
func withHooks(hk *hooks.Service, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, hooks.PathPrefix) {
			if hk == nil {
				http.NotFound(w, r)
				return
			}
			hk.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// withNudge tells hk of each poll round, so that a server that came
// online or was added gets tinyscale's hook at once.
func withNudge(round func(pool.Round), hk *hooks.Service) func(pool.Round) {
	if hk == nil {
		return round
	}
	return func(r pool.Round) {
		round(r)
		hk.Nudge()
	}
}
