package metrics

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/gateway"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
)

const clientSecret = "metrics-test-secret"

// cluster is a gateway over two fake BBB servers, with /metrics, on
// loopback.
type cluster struct {
	fakes  []*bbbfake.Server
	pool   *pool.Pool
	poller *pool.Poller
	url    string
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{}
	var servers []*pool.Server
	for _, id := range []string{"bbb1", "bbb2"} {
		f := bbbfake.Start("backend-secret-" + id)
		t.Cleanup(f.Close)
		c.fakes = append(c.fakes, f)
		servers = append(servers, pool.NewServer(id, f.Client()))
	}
	c.pool = pool.New(servers...)
	m := New(c.pool)
	gw := gateway.New(gateway.Config{Secrets: []string{clientSecret}, Observer: m}, c.pool, state.NewMemory())
	c.poller = &pool.Poller{Pool: c.pool, Interval: time.Hour, Timeout: 5 * time.Second, Thresholds: pool.DefaultThresholds, OnRound: gw.Reconcile}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	mux.Handle("/", gw)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c.url = srv.URL
	return c
}

var noRedirect = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// call makes a signed API call and returns the HTTP status.
func (c *cluster) call(t *testing.T, name string, v url.Values, secret string) int {
	t.Helper()
	u := c.url + gateway.APIPrefix + "/" + name + "?" + bbb.Sign(bbb.SHA256, name, v.Encode(), secret)
	res, err := noRedirect.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// scrape fetches /metrics over HTTP and parses it.
func (c *cluster) scrape(t *testing.T) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	res, err := http.Get(c.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: HTTP %d, %v", res.StatusCode, err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return fams, string(body)
}

// value returns the value of the series of fam with the given labels
// (name=value pairs), and whether it exists.
func value(fams map[string]*dto.MetricFamily, fam string, labels ...string) (float64, bool) {
	f := fams[fam]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// TestScrapeAfterRequests drives real requests through a gateway in front
// of fake BBB servers and checks over a real scrape that every family
// moves as it should.
func TestScrapeAfterRequests(t *testing.T) {
	c := newCluster(t)
	for _, id := range []string{"room-a", "room-b"} {
		if st := c.call(t, "create", url.Values{"meetingID": {id}, "name": {id}}, clientSecret); st != 200 {
			t.Fatalf("create %s: HTTP %d", id, st)
		}
	}
	if st := c.call(t, "join", url.Values{"meetingID": {"room-a"}, "fullName": {"Ada"}, "role": {"MODERATOR"}}, clientSecret); st != http.StatusFound {
		t.Fatalf("join: HTTP %d, want 302", st)
	}
	c.call(t, "getMeetings", nil, "a-wrong-secret")
	c.call(t, "no-such-call-room-a", nil, clientSecret)
	// Someone in room-a, seen by a poll.
	var onA *bbbfake.Server
	idA := ""
	for i, f := range c.fakes {
		if f.HasMeeting("room-a") {
			onA, idA = f, []string{"bbb1", "bbb2"}[i]
		}
	}
	if onA == nil {
		t.Fatal("room-a is on no server")
	}
	onA.AddUsers("room-a", 3, true, true)
	c.poller.PollOnce(t.Context())

	fams, body := c.scrape(t)
	tests := []struct {
		fam    string
		labels []string
		want   float64
	}{
		{"tinyscale_api_requests_total", []string{"tenant", "default", "call", "create", "result", "SUCCESS"}, 2},
		{"tinyscale_api_requests_total", []string{"tenant", "default", "call", "join", "result", "redirect"}, 1},
		{"tinyscale_api_requests_total", []string{"tenant", "default", "call", "getMeetings", "result", "checksumError"}, 1},
		{"tinyscale_api_requests_total", []string{"tenant", "default", "call", "unsupported", "result", "unsupportedRequest"}, 1},
		{"tinyscale_api_request_duration_seconds", []string{"call", "create"}, 2},
		{"tinyscale_api_request_duration_seconds", []string{"call", "join"}, 1},
		{"tinyscale_placement_conflicts_total", nil, 0},
		{"tinyscale_server_up", []string{"server", "bbb1"}, 1},
		{"tinyscale_server_up", []string{"server", "bbb2"}, 1},
		{"tinyscale_server_available", []string{"server", "bbb1"}, 1},
		{"tinyscale_server_state", []string{"server", "bbb1", "state", "enabled"}, 1},
		{"tinyscale_server_state", []string{"server", "bbb1", "state", "cordoned"}, 0},
		{"tinyscale_server_state", []string{"server", "bbb1", "state", "disabled"}, 0},
		{"tinyscale_server_participants", []string{"server", idA}, 3},
		{"tinyscale_server_voice_streams", []string{"server", idA}, 3},
		{"tinyscale_server_video_streams", []string{"server", idA}, 3},
	}
	for _, tt := range tests {
		got, ok := value(fams, tt.fam, tt.labels...)
		if !ok || got != tt.want {
			t.Errorf("%s%v = %v (present %v), want %v", tt.fam, tt.labels, got, ok, tt.want)
		}
	}

	// Placements and backend calls: one create on each, or both on one.
	var placed, creates, meetings float64
	for _, id := range []string{"bbb1", "bbb2"} {
		v, _ := value(fams, "tinyscale_placements_total", "server", id)
		placed += v
		v, _ = value(fams, "tinyscale_backend_requests_total", "server", id, "call", "create", "outcome", "ok")
		creates += v
		v, _ = value(fams, "tinyscale_server_meetings", "server", id)
		meetings += v
		if _, ok := value(fams, "tinyscale_server_load", "server", id); !ok {
			t.Errorf("no tinyscale_server_load for %s", id)
		}
	}
	if placed != 2 || creates != 2 || meetings != 2 {
		t.Errorf("placements %v, backend creates %v, server meetings %v; want 2 each", placed, creates, meetings)
	}
	for _, fam := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if fams[fam] == nil {
			t.Errorf("no %s: Go and process collectors missing", fam)
		}
	}
	for _, secret := range []string{clientSecret, "backend-secret-bbb1", "a-wrong-secret", "room-a", "room-b", "checksum="} {
		if strings.Contains(body, secret) {
			t.Errorf("the scrape contains %q", secret)
		}
	}
}

// TestScrapeFollowsPool checks that the per-server gauges are read at
// scrape time: an admin state change, a server going offline, and a
// server removed all show in the next scrape.
func TestScrapeFollowsPool(t *testing.T) {
	c := newCluster(t)
	c.pool.Get("bbb1").SetAdmin(pool.Cordoned)
	c.pool.Get("bbb2").MarkOffline("test")
	fams, _ := c.scrape(t)
	for _, tt := range []struct {
		fam    string
		labels []string
		want   float64
	}{
		{"tinyscale_server_state", []string{"server", "bbb1", "state", "cordoned"}, 1},
		{"tinyscale_server_state", []string{"server", "bbb1", "state", "enabled"}, 0},
		{"tinyscale_server_available", []string{"server", "bbb1"}, 0},
		{"tinyscale_server_up", []string{"server", "bbb1"}, 1},
		{"tinyscale_server_up", []string{"server", "bbb2"}, 0},
		{"tinyscale_server_available", []string{"server", "bbb2"}, 0},
	} {
		if got, ok := value(fams, tt.fam, tt.labels...); !ok || got != tt.want {
			t.Errorf("%s%v = %v (present %v), want %v", tt.fam, tt.labels, got, ok, tt.want)
		}
	}
	c.pool.Remove("bbb2")
	fams, _ = c.scrape(t)
	if _, ok := value(fams, "tinyscale_server_up", "server", "bbb2"); ok {
		t.Error("a removed server is still scraped")
	}
}

// TestObserverLabelsBounded checks that label values cannot grow without
// bound: unknown calls fold into "unsupported", odd results into "other",
// and the distinct results are capped.
func TestObserverLabelsBounded(t *testing.T) {
	m := New(pool.New())
	m.APICall("default", "../../etc/passwd", "SUCCESS", time.Millisecond)
	m.APICall("default", "create", "a result with spaces and a meetingID=room-1", time.Millisecond)
	m.BackendCall("bbb1", "weird call", errors.New("refused"), time.Millisecond)
	for i := range maxResults + 10 {
		m.APICall("default", "end", "key"+strings.Repeat("x", i%40)+string(rune('a'+i%26)), time.Millisecond)
	}
	m.Conflict()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		byName[f.GetName()] = f
	}
	results := map[string]bool{}
	for _, mt := range byName["tinyscale_api_requests_total"].Metric {
		for _, l := range mt.Label {
			switch l.GetName() {
			case "call":
				if l.GetValue() != "create" && l.GetValue() != "end" && l.GetValue() != "unsupported" {
					t.Errorf("call label %q", l.GetValue())
				}
			case "result":
				results[l.GetValue()] = true
			}
		}
	}
	if len(results) > maxResults+1 { // the capped ones and "other"
		t.Errorf("%d distinct results, want at most %d", len(results), maxResults+1)
	}
	if !results[otherResult] {
		t.Errorf("free text and results past the cap not folded into %q: %v", otherResult, results)
	}
	if v, _ := value(byName, "tinyscale_backend_requests_total", "server", "bbb1", "call", "unsupported", "outcome", "error"); v != 1 {
		t.Errorf("backend error with an unknown call = %v, want 1 under call=unsupported", v)
	}
	if v, _ := value(byName, "tinyscale_placement_conflicts_total"); v != 1 {
		t.Errorf("conflicts = %v, want 1", v)
	}
}

// TestLabelSet is the table of result values admitted.
func TestLabelSet(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"SUCCESS", "SUCCESS"},
		{"checksumError", "checksumError"},
		{"not_found_2", "not_found_2"},
		{"", otherResult},
		{"has space", otherResult},
		{"room=1", otherResult},
		{strings.Repeat("a", 49), otherResult},
		{"ünïcode", otherResult},
	}
	s := newLabelSet(10)
	for _, tt := range tests {
		if got := s.get(tt.in); got != tt.want {
			t.Errorf("get(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	full := newLabelSet(2)
	full.get("a")
	full.get("b")
	if got := full.get("c"); got != otherResult {
		t.Errorf("third value of a set of 2 = %q, want %q", got, otherResult)
	}
	if got := full.get("a"); got != "a" {
		t.Errorf("a value already in a full set = %q, want it kept", got)
	}
}
