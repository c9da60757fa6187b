package main

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// attack is one run of the vegeta load generator against a list of
// targets, cycled through.
type attack struct {
	name    string
	targets []vegeta.Target
	// workers is the number of concurrent requesters. Without a pacer they
	// send as fast as the answers come (the maximum rate at that
	// concurrency); with one, maxWorkers (if larger) lets vegeta add more
	// when all are waiting, so that a slow answer does not hold back the
	// requests due after it.
	workers, maxWorkers int
	pacer               vegeta.Pacer
	// duration ends the attack (0: none); hits ends it after that many
	// requests (0: none). One of them must be set.
	duration time.Duration
	hits     int
	// ok tells a right answer; vegeta itself only checks the status.
	ok func(*vegeta.Result) bool
}

// tally adds up what attacks measured; one tally may span several
// attacks (alternating rounds).
type tally struct {
	requests, errors int
	wall             time.Duration // sum over attacks: start to last answer
	span             time.Duration // longest time over which one attack sent its requests
	lat              vegeta.LatencyMetrics
	firstError       string
	// mu lets attacks running at once add to one tally.
	mu sync.Mutex
}

// throughput is the right answers per second of wall time.
func (t *tally) throughput() float64 {
	if t.wall <= 0 {
		return 0
	}
	return float64(t.requests-t.errors) / t.wall.Seconds()
}

func (t *tally) p50() time.Duration { return t.lat.Quantile(0.50) }
func (t *tally) p99() time.Duration { return t.lat.Quantile(0.99) }

// run carries out a and adds its results to t. It returns early, with
// ctx's error, when ctx is done.
func (a attack) run(ctx context.Context, t *tally) error {
	maxWorkers := max(a.workers, a.maxWorkers)
	// The attacker's own transport, so that its connections are closed
	// when the attack is over: a Transport nobody uses any more keeps its
	// idle connections open, and tinyscale holds each for its idle
	// timeout (the soak counted a hundred connections' buffers a cycle
	// as tinyscale's growth). The options below set it up as vegeta's
	// own would be.
	tr := &http.Transport{DialContext: (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext}
	defer tr.CloseIdleConnections()
	atk := vegeta.NewAttacker(
		vegeta.Client(&http.Client{Transport: tr}),
		vegeta.Workers(uint64(a.workers)),
		vegeta.MaxWorkers(uint64(maxWorkers)),
		vegeta.Connections(maxWorkers),
		vegeta.Redirects(vegeta.NoFollow),
		vegeta.KeepAlive(true),
		vegeta.Timeout(15*time.Second),
		vegeta.MaxBody(8<<20),
	)
	var pacer vegeta.Pacer = vegeta.Rate{} // zero: as fast as the workers go
	if a.pacer != nil {
		pacer = a.pacer
	}
	if a.hits > 0 {
		pacer = limitPacer{Pacer: pacer, n: uint64(a.hits)}
	}
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	start := time.Now()
	var first, last time.Time
	for res := range atk.Attack(vegeta.NewStaticTargeter(a.targets...), pacer, a.duration, a.name) {
		t.mu.Lock()
		t.requests++
		t.lat.Add(res.Latency)
		if first.IsZero() || res.Timestamp.Before(first) {
			first = res.Timestamp
		}
		if res.Timestamp.After(last) {
			last = res.Timestamp
		}
		if res.Error != "" || (a.ok != nil && !a.ok(res)) {
			t.errors++
			if t.firstError == "" {
				t.firstError = describe(res)
			}
		}
		t.mu.Unlock()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.wall += time.Since(start)
	t.span = max(t.span, last.Sub(first))
	return ctx.Err()
}

// describe says what went wrong with a result, briefly.
func describe(res *vegeta.Result) string {
	if res.Error != "" {
		return res.Error
	}
	body := string(res.Body)
	if len(body) > 200 {
		body = body[:200] + "..."
	}
	return http.StatusText(int(res.Code)) + ": " + body
}

// limitPacer stops an attack after n hits.
type limitPacer struct {
	vegeta.Pacer
	n uint64
}

func (p limitPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= p.n {
		return 0, true
	}
	return p.Pacer.Pace(elapsed, hits)
}

// isRedirect accepts a 302 with a Location, as a join answers.
func isRedirect(res *vegeta.Result) bool {
	return res.Code == http.StatusFound && res.Headers.Get("Location") != ""
}

// isSuccess accepts HTTP 200 with BBB's SUCCESS return code.
func isSuccess(res *vegeta.Result) bool {
	return res.Code == http.StatusOK && strings.Contains(string(res.Body), "<returncode>SUCCESS</returncode>")
}

// getTargets turns URLs into GET targets.
func getTargets(urls []string) []vegeta.Target {
	out := make([]vegeta.Target, len(urls))
	for i, u := range urls {
		out[i] = vegeta.Target{Method: http.MethodGet, URL: u}
	}
	return out
}
