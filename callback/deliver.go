package callback

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Delivery is one callback to send to an integration.
type Delivery struct {
	Kind        Kind
	Method, URL string
	Body        []byte
	Header      http.Header
	attempt     int
}

// Outcome of a delivery, for logs and metrics.
const (
	Delivered = "delivered"
	Gone      = "gone"     // 410: the integration deleted the object; stop
	Rejected  = "rejected" // another 3xx/4xx: retrying would not help
	GaveUp    = "gave_up"  // still failing after every retry
	Retrying  = "retrying" // a 5xx, 429 or network error; tried again later
	Dropped   = "dropped"  // the queue was full
)

// Deliverer sends callbacks with bounded retries and exponential backoff,
// from a bounded queue, so a slow or dead integration can neither block
// the BBB server calling back nor grow tinyscale's memory without bound.
type Deliverer struct {
	// HTTP sends the callbacks; it must not follow redirects.
	HTTP *http.Client
	// Attempts bounds the tries of one callback (default 6).
	Attempts int
	// Backoff is the wait before the first retry, doubled each time up to
	// MaxBackoff (defaults 1s and 30s).
	Backoff, MaxBackoff time.Duration
	Log                 *slog.Logger
	// OnOutcome, if set, is told of every attempt's outcome, for metrics.
	OnOutcome func(kind Kind, outcome string)

	queue   chan *Delivery
	start   sync.Once
	stop    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	timers  map[*time.Timer]struct{}
	stopped bool
}

// queueSize bounds the callbacks waiting to be sent.
const queueSize = 10000

// workers is how many callbacks are sent at once.
const workers = 8

func (d *Deliverer) init() {
	d.start.Do(func() {
		if d.Attempts <= 0 {
			d.Attempts = 6
		}
		if d.Backoff <= 0 {
			d.Backoff = time.Second
		}
		if d.MaxBackoff <= 0 {
			d.MaxBackoff = 30 * time.Second
		}
		if d.HTTP == nil {
			d.HTTP = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			}}
		}
		if d.Log == nil {
			d.Log = slog.New(slog.DiscardHandler)
		}
		d.queue = make(chan *Delivery, queueSize)
		d.stop = make(chan struct{})
		d.timers = map[*time.Timer]struct{}{}
		for range workers {
			d.wg.Add(1)
			go d.work()
		}
	})
}

// Send queues a callback. It never blocks: with the queue full the
// callback is dropped, logged and counted.
func (d *Deliverer) Send(job *Delivery) {
	d.init()
	select {
	case d.queue <- job:
	default:
		d.outcome(job, Dropped, 0, nil)
	}
}

// Close stops the workers and pending retries; callbacks not yet sent are
// dropped.
func (d *Deliverer) Close() {
	d.init()
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return
	}
	d.stopped = true
	for t := range d.timers {
		t.Stop()
	}
	d.mu.Unlock()
	close(d.stop)
	d.wg.Wait()
	d.HTTP.CloseIdleConnections()
}

func (d *Deliverer) work() {
	defer d.wg.Done()
	for {
		select {
		case <-d.stop:
			return
		case job := <-d.queue:
			d.try(job)
		}
	}
}

func (d *Deliverer) try(job *Delivery) {
	job.attempt++
	status, err := d.post(job)
	switch {
	case err == nil && status >= 200 && status < 300:
		d.outcome(job, Delivered, status, nil)
	case err == nil && status == http.StatusGone:
		d.outcome(job, Gone, status, nil)
	case err == nil && status < 500 && status != http.StatusTooManyRequests:
		d.outcome(job, Rejected, status, nil)
	case job.attempt >= d.Attempts:
		d.outcome(job, GaveUp, status, err)
	default:
		d.outcome(job, Retrying, status, err)
		d.retry(job)
	}
}

func (d *Deliverer) post(job *Delivery) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, job.Method, job.URL, bytes.NewReader(job.Body))
	if err != nil {
		return 0, err
	}
	for k, v := range job.Header {
		req.Header[k] = v
	}
	res, err := d.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	return res.StatusCode, nil
}

// retry queues job again after its backoff.
func (d *Deliverer) retry(job *Delivery) {
	wait := d.Backoff << (job.attempt - 1)
	if wait > d.MaxBackoff || wait <= 0 {
		wait = d.MaxBackoff
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(wait, func() {
		d.mu.Lock()
		delete(d.timers, t)
		d.mu.Unlock()
		d.Send(job)
	})
	d.timers[t] = struct{}{}
}

func (d *Deliverer) outcome(job *Delivery, outcome string, status int, err error) {
	if d.OnOutcome != nil {
		d.OnOutcome(job.Kind, outcome)
	}
	// The URL is the integration's; it may carry its own HMAC (Nextcloud)
	// but never a tinyscale secret. Log only its host.
	attrs := []any{"kind", string(job.Kind), "outcome", outcome, "attempt", job.attempt, "host", hostOf(job.URL)}
	if status != 0 {
		attrs = append(attrs, "status", status)
	}
	if err != nil {
		attrs = append(attrs, "error", err)
	}
	switch outcome {
	case Delivered, Retrying:
		d.Log.Info("callback", attrs...)
	default:
		d.Log.Warn("callback", attrs...)
	}
}
