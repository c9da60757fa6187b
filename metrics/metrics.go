// Package metrics exposes tinyscale's work in the Prometheus format: the
// API calls clients make, the calls to each BBB server, placements, and
// each server's health and load, read from the pool at scrape time.
//
// Labels never carry a secret, a checksum or a meeting ID, and every
// label's values are bounded: call names are the known BBB calls (else
// "unsupported"), servers are the configured IDs, results are BBB
// messageKeys capped in number.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tinyscale/tinyscale/pool"
)

// Buckets are the latency buckets, in seconds: a join answered from
// memory takes tens of microseconds, a getRecordings fan-out over slow
// servers several seconds, and both must be told apart.
var Buckets = []float64{
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
}

// Metrics collects tinyscale's metrics on a registry of its own, so that
// tests and several instances in one process do not collide on the
// global one. It implements gateway.Observer.
type Metrics struct {
	reg *prometheus.Registry

	apiRequests     *prometheus.CounterVec
	apiDuration     *prometheus.HistogramVec
	backendRequests *prometheus.CounterVec
	backendDuration *prometheus.HistogramVec
	placements      *prometheus.CounterVec
	conflicts       prometheus.Counter
	callbacks       *prometheus.CounterVec
	blocked         prometheus.Counter

	results  *labelSet
	children childCache
}

// New returns the metrics of a tinyscale serving from p. The pool is read
// at every scrape, so servers added or removed later are seen.
func New(p *pool.Pool) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		apiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tinyscale_api_requests_total",
			Help: "BBB API requests answered, by tenant, call and result (SUCCESS, redirect, or a BBB messageKey).",
		}, []string{"tenant", "call", "result"}),
		apiDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tinyscale_api_request_duration_seconds",
			Help:    "Time tinyscale took to answer a BBB API request, by call.",
			Buckets: Buckets,
		}, []string{"call"}),
		backendRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tinyscale_backend_requests_total",
			Help: "Requests to BBB servers, by server, call and outcome (ok: the server answered; error: it did not).",
		}, []string{"server", "call", "outcome"}),
		backendDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tinyscale_backend_request_duration_seconds",
			Help:    "Duration of requests to BBB servers, by server and call.",
			Buckets: Buckets,
		}, []string{"server", "call"}),
		placements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tinyscale_placements_total",
			Help: "New meetings placed, by server.",
		}, []string{"server"}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tinyscale_placement_conflicts_total",
			Help: "Meetings found running on another server than the one they are placed on (the placement wins).",
		}),
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tinyscale_callbacks_total",
			Help: "Callback delivery attempts to integrations, by kind (end, ended, rec, ana) and outcome (delivered, retrying, gone, rejected, gave_up, dropped).",
		}, []string{"kind", "outcome"}),
		blocked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tinyscale_checksum_blocks_total",
			Help: "Client addresses blocked for failing checksums too often.",
		}),
		results: newLabelSet(maxResults),
	}
	m.reg.MustRegister(
		m.apiRequests, m.apiDuration, m.backendRequests, m.backendDuration, m.placements, m.conflicts,
		m.callbacks, m.blocked,
		newPoolCollector(p),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Registry returns the registry the metrics live on, for tests and for
// adding metrics of other parts.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics at /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// APICall implements gateway.Observer. Tenant names are the configured
// ones, so the label stays bounded.
func (m *Metrics) APICall(tenant, call, result string, d time.Duration) {
	c := m.apiChild(tenant, call, result)
	c.requests.Inc()
	c.duration.Observe(d.Seconds())
}

// BackendCall implements gateway.Observer.
func (m *Metrics) BackendCall(server, call string, err error, d time.Duration) {
	call = callLabel(call)
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.backendRequests.WithLabelValues(server, call, outcome).Inc()
	m.backendDuration.WithLabelValues(server, call).Observe(d.Seconds())
}

// Placement implements gateway.Observer.
func (m *Metrics) Placement(server string) { m.placements.WithLabelValues(server).Inc() }

// Conflict implements gateway.Observer.
func (m *Metrics) Conflict() { m.conflicts.Inc() }

// Callback counts one callback delivery attempt's outcome.
func (m *Metrics) Callback(kind, outcome string) { m.callbacks.WithLabelValues(kind, outcome).Inc() }

// ChecksumBlocked counts a client address blocked by the checksum limiter.
func (m *Metrics) ChecksumBlocked() { m.blocked.Inc() }
