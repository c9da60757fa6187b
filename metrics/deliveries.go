package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Deliveries are the metrics of the delivery queue (package deliver),
// per tenant: attempts by outcome and jobs queued now.
type Deliveries struct {
	attempts *prometheus.CounterVec
	kinds    *labelSet

	pending func() map[string]int
	desc    *prometheus.Desc
}

// maxKinds bounds the kind label values (callback kinds and hook events).
const maxKinds = 32

// Deliveries registers the delivery queue's metrics on m. pending is
// read at every scrape (Queue.Pending).
func (m *Metrics) Deliveries(pending func() map[string]int) *Deliveries {
	d := &Deliveries{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tinyscale_deliveries_total",
			Help: "Delivery attempts of callbacks and webhook events, by tenant, kind (end, ended, rec, ana, hook...) and outcome (delivered, retrying, gone, refused, gave_up, dropped).",
		}, []string{"tenant", "kind", "outcome"}),
		kinds:   newLabelSet(maxKinds),
		pending: pending,
		desc:    prometheus.NewDesc("tinyscale_delivery_queue", "Deliveries queued or in flight now, by tenant.", []string{"tenant"}, nil),
	}
	m.reg.MustRegister(d.attempts, d)
	return d
}

// Attempt counts one outcome. Tenant names are configured names (a
// bounded set); kinds are bounded like results.
func (d *Deliveries) Attempt(tenant, kind, outcome string) {
	d.attempts.WithLabelValues(tenant, d.kinds.get(kind), outcome).Inc()
}

// Describe implements prometheus.Collector.
func (d *Deliveries) Describe(ch chan<- *prometheus.Desc) { ch <- d.desc }

// Collect implements prometheus.Collector.
func (d *Deliveries) Collect(ch chan<- prometheus.Metric) {
	for tenant, n := range d.pending() {
		ch <- prometheus.MustNewConstMetric(d.desc, prometheus.GaugeValue, float64(n), tenant)
	}
}
