package main

import (
	"log/slog"

	"github.com/tinyscale/tinyscale/config"
	"github.com/tinyscale/tinyscale/deliver"
	"github.com/tinyscale/tinyscale/metrics"
	"github.com/tinyscale/tinyscale/state"
)

// deliveryQueue starts the one delivery queue of callbacks and webhook
// events, kept in store, with its metrics, and takes over what a
// previous process left queued. Close it after the HTTP server stopped.
func deliveryQueue(env *config.Env, store state.Store, m *metrics.Metrics, log *slog.Logger, also func(*deliver.Job, string, int)) *deliver.Queue {
	targets := &deliver.Targets{Deny: env.CallbackDeny}
	var dm *metrics.Deliveries
	q := deliver.New(store, deliver.Options{
		HTTP: targets.Client(deliveryTimeout),
		Log:  log,
		OnOutcome: func(j *deliver.Job, outcome string, status int) {
			dm.Attempt(j.Tenant, j.Kind, outcome)
			m.Callback(j.Kind, outcome)
			if also != nil {
				also(j, outcome, status)
			}
		},
	})
	dm = m.Deliveries(q.Pending)
	if err := q.Start(); err != nil {
		log.Warn("delivery queue: cannot read the deliveries left queued; trying again in the background", "error", err)
	}
	return q
}

// deliveryTimeout bounds one delivery attempt, as bbb-web's callbacks.
const deliveryTimeout = deliver.DefaultTimeout
