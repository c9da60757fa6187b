package hooks

import "github.com/prometheus/client_golang/prometheus"

// stats are the relay's metrics. Deliveries are counted by the delivery
// queue, per tenant, with kind "hook". Tenant labels are configured
// tenant names; no URL, ID or secret is ever a label.
type stats struct {
	events  *prometheus.CounterVec
	refused *prometheus.CounterVec
}

func newStats() *stats {
	return &stats{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tinyscale_hook_events_total",
			Help: "Webhook events relayed from BBB servers, by tenant and what became of them: queued (once per hook that takes it), unwanted (no hook takes it), dropped (the tenant's queue was full, or its tenant is gone).",
		}, []string{"tenant", "result"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tinyscale_hook_events_refused_total",
			Help: "Posts to the webhooks relay refused with 401, by reason: url (not a relay URL of tinyscale's), server (no such server), signature (not signed with the server's secret).",
		}, []string{"reason"}),
	}
}

// Register adds the relay's metrics to reg.
func (s *Service) Register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{s.stats.events, s.stats.refused} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
