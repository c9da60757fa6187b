package main

import (
	"log/slog"

	"github.com/tinyscale/tinyscale/admin"
	"github.com/tinyscale/tinyscale/config"
	"github.com/tinyscale/tinyscale/deliver"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
	usagepkg "github.com/tinyscale/tinyscale/usage"
)

// newUsageTracker returns the tracker recording every meeting's life in
// the store, or nil when the store keeps no usage.
func newUsageTracker(env *config.Env, store state.Store, tenants *tenant.Registry, log *slog.Logger) *usagepkg.Tracker {
	us, ok := store.(state.UsageStore)
	if !ok {
		log.Warn("the state store keeps no usage records: usage accounting is off")
		return nil
	}
	owner := func(bbbID string) (string, string) {
		if tenants == nil {
			return state.DefaultTenant, bbbID
		}
		t, id := tenants.OwnerOf(bbbID)
		if t == nil || t.Name == "" {
			return state.DefaultTenant, id
		}
		return t.Name, id
	}
	tr := usagepkg.NewTracker(us, owner, log)
	tr.Retention = env.UsageRetention
	return tr
}

// usageSource is the tracker as the admin API's source, nil (not a nil
// pointer in an interface) when there is none.
func usageSource(tr *usagepkg.Tracker) admin.UsageSource {
	if tr == nil {
		return nil
	}
	return tr
}

// onRound reconciles the placements with each poll round, then counts
// its usage.
func onRound(reconcile func(pool.Round), tr *usagepkg.Tracker) func(pool.Round) {
	if tr == nil {
		return reconcile
	}
	return func(r pool.Round) {
		reconcile(r)
		tr.Observe(r)
	}
}

// dashboardGauges fills the dashboard's overview with the numbers of the
// parts that run: the callback queue, the recordings awaited by the
// recording store, and the instances sharing Redis.
func dashboardGauges(store state.Store, queue *deliver.Queue, recs *recordingStore) admin.Gauges {
	g := admin.Gauges{Instances: func() int { return 1 }}
	if recs != nil && recs.pending != nil {
		g.RecordingsQueued = recs.pending.count
	}
	if queue != nil {
		g.CallbacksQueued = func() int {
			n := 0
			for _, c := range queue.Pending() {
				n += c
			}
			return n
		}
	}
	if r, ok := store.(*state.Redis); ok {
		g.Instances = func() int {
			n, err := r.Instances()
			if err != nil {
				return 0
			}
			return n
		}
	}
	return g
}

// sampled adds the dashboard's chart sample to each poll round.
func sampled(next func(pool.Round), api *admin.API) func(pool.Round) {
	return func(r pool.Round) {
		next(r)
		api.Sample(r.Started)
	}
}

// count is how many recordings have a recording-ready callback waiting
// for their push: the recordings queued, for the dashboard.
func (pc *pendingCallbacks) count() int {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return len(pc.load())
}
