package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tinyscale/tinyscale/pool"
)

// poolCollector reads each server's status at scrape time: gauges set on
// every poll would go stale for removed servers and cost work on the
// poll path; reading at scrape costs nothing between scrapes.
type poolCollector struct {
	pool *pool.Pool

	up, available, state, load, meetings, participants, voice, video *prometheus.Desc
}

func newPoolCollector(p *pool.Pool) *poolCollector {
	server := []string{"server"}
	return &poolCollector{
		pool:         p,
		up:           prometheus.NewDesc("tinyscale_server_up", "1 if the server is online (its polls succeed), else 0.", server, nil),
		available:    prometheus.NewDesc("tinyscale_server_available", "1 if the server takes new meetings now (enabled, online, under its max_load), else 0.", server, nil),
		state:        prometheus.NewDesc("tinyscale_server_state", "The server's admin state: 1 for the current one of enabled, cordoned, disabled.", []string{"server", "state"}, nil),
		load:         prometheus.NewDesc("tinyscale_server_load", "The server's load divided by its weight (about one unit per participant), as placement compares it.", server, nil),
		meetings:     prometheus.NewDesc("tinyscale_server_meetings", "Meetings the last poll found on the server.", server, nil),
		participants: prometheus.NewDesc("tinyscale_server_participants", "Participants the last poll found on the server (breakout rooms not counted twice).", server, nil),
		voice:        prometheus.NewDesc("tinyscale_server_voice_streams", "Voice participants the last poll found on the server.", server, nil),
		video:        prometheus.NewDesc("tinyscale_server_video_streams", "Camera streams the last poll found on the server.", server, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.available, c.state, c.load, c.meetings, c.participants, c.voice, c.video} {
		ch <- d
	}
}

// adminStates are the values of the state label, all exported for each
// server so that a query can compare them without absent series.
var adminStates = []pool.AdminState{pool.Enabled, pool.Cordoned, pool.Disabled}

// Collect implements prometheus.Collector.
func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	avail := map[string]bool{}
	for _, s := range c.pool.Available() {
		avail[s.ID] = true
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, s := range c.pool.All() {
		st := s.Status(c.pool.Model, now)
		gauge(c.up, bool01(st.Online), st.ID)
		gauge(c.available, bool01(avail[st.ID]), st.ID)
		for _, a := range adminStates {
			gauge(c.state, bool01(st.Admin == a), st.ID, string(a))
		}
		gauge(c.load, st.Load, st.ID)
		gauge(c.meetings, float64(st.Meetings), st.ID)
		gauge(c.participants, float64(st.Participants), st.ID)
		gauge(c.voice, float64(st.Voice), st.ID)
		gauge(c.video, float64(st.Video), st.ID)
	}
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
