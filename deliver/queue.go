package deliver

import (
	"bytes"
	"container/heap"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/tinyscale/tinyscale/state"
)

// Store keeps the queue durable: state.Store is one.
type Store = state.Jobs

// Options tune a Queue; the zero value of each field is a sane default.
type Options struct {
	// HTTP sends the attempts. Default: (&Targets{}).Client(Timeout),
	// which never dials a link-local address.
	HTTP *http.Client
	// Timeout bounds one attempt (default 10 s, bbb-web's).
	Timeout time.Duration
	// PerTenant bounds the jobs one tenant may have queued (default
	// 10,000): past it, that tenant's Enqueue fails with ErrFull.
	PerTenant int
	// Concurrency bounds one tenant's attempts in flight (default 4), so
	// that a tenant whose receiver hangs holds at most that many.
	Concurrency int
	// Workers bounds all attempts in flight (default 64).
	Workers int
	// AdoptEvery is how often jobs left by a stopped instance are looked
	// for (default a third of state.JobLease).
	AdoptEvery time.Duration
	Log        *slog.Logger
	// OnOutcome, if set, is told of every attempt's outcome and of every
	// job dropped (status 0 when there was no answer): for metrics.
	OnOutcome func(j *Job, outcome string, status int)
}

// DefaultTimeout bounds one attempt: bbb-web's CALLBACK_TIMEOUT_MS.
const DefaultTimeout = 10 * time.Second

// ErrFull is Enqueue's error when the tenant already has PerTenant jobs
// queued.
var ErrFull = errors.New("deliver: this tenant's delivery queue is full")

// ErrInvalid is Enqueue's error for a job that could never be sent.
var ErrInvalid = errors.New("deliver: invalid job")

// Queue is the delivery queue. Create it with New, Start it, Close it.
type Queue struct {
	store Store
	opt   Options

	mu       sync.Mutex
	tenants  map[string]*tenantQueue
	order    []string // tenants, for round robin
	next     int      // where the next round robin turn starts
	inflight int
	closed   bool

	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	start  sync.Once
}

// tenantQueue is one tenant's share of the queue.
type tenantQueue struct {
	waiting  jobHeap
	inflight int
	count    int // waiting + in flight: what PerTenant bounds
}

// New returns a queue keeping its jobs in store. Nothing is sent before
// Start.
func New(store Store, opt Options) *Queue {
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.HTTP == nil {
		opt.HTTP = (&Targets{}).Client(opt.Timeout)
	}
	if opt.PerTenant <= 0 {
		opt.PerTenant = 10_000
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 4
	}
	if opt.Workers <= 0 {
		opt.Workers = 64
	}
	if opt.AdoptEvery <= 0 {
		opt.AdoptEvery = state.JobLease / 3
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Queue{store: store, opt: opt, tenants: map[string]*tenantQueue{},
		wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel}
}

// Start takes over the jobs a previous process left in the store and
// starts sending. It returns the store's error if those jobs could not be
// read; the queue runs anyway and tries again every AdoptEvery.
func (q *Queue) Start() error {
	var err error
	q.start.Do(func() {
		err = q.adopt()
		q.wg.Add(2)
		go q.dispatch()
		go q.adoptLoop()
	})
	return err
}

// Close stops sending: attempts in flight are cancelled and every job
// not yet delivered stays in the store for the next start.
func (q *Queue) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cancel()
	q.wg.Wait()
	// A store shared by instances (Redis) hands this one's jobs over now.
	if r, ok := q.store.(interface{ ReleaseJobs() error }); ok {
		if err := r.ReleaseJobs(); err != nil {
			q.opt.Log.Warn("delivery queue: cannot hand the queued deliveries over; other instances take them after the lease", "error", err)
		}
	}
}

// Enqueue makes j durable and queues it; see the package comment. It
// never blocks on a receiver, only on the store's write.
func (q *Queue) Enqueue(j Job) error {
	if u, err := url.Parse(j.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: URL is not http(s)", ErrInvalid)
	}
	if j.Method == "" {
		j.Method = http.MethodGet
	}
	j.Header, j.Body = j.Header.Clone(), bytes.Clone(j.Body) // the caller may reuse its own
	name := j.tenant()
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return errors.New("deliver: queue closed")
	}
	tq := q.tenant(name)
	if tq.count >= q.opt.PerTenant {
		q.mu.Unlock()
		q.outcome(&j, Dropped, 0, nil)
		return ErrFull
	}
	tq.count++ // held while the store writes, so the bound holds under concurrency
	q.mu.Unlock()

	var id [16]byte
	rand.Read(id[:])
	now := time.Now()
	j.ID, j.Attempts, j.Queued = hex.EncodeToString(id[:]), 0, now
	j.Due = now.Add(j.schedule()[0])
	if err := q.persist(&j); err != nil {
		q.mu.Lock()
		tq.count--
		q.mu.Unlock()
		return err
	}
	q.mu.Lock()
	heap.Push(&tq.waiting, &j)
	q.mu.Unlock()
	q.poke()
	return nil
}

// Pending returns how many jobs each tenant has queued or in flight.
func (q *Queue) Pending() map[string]int {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make(map[string]int, len(q.tenants))
	for name, tq := range q.tenants {
		out[name] = tq.count
	}
	return out
}

// tenant returns name's share, made on first use. q.mu is held.
func (q *Queue) tenant(name string) *tenantQueue {
	tq := q.tenants[name]
	if tq == nil {
		tq = &tenantQueue{}
		q.tenants[name] = tq
		q.order = append(q.order, name)
	}
	return tq
}

func (q *Queue) persist(j *Job) error {
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return q.store.PutJob(state.Job{ID: j.ID, Tenant: j.tenant(), Data: data})
}

func (q *Queue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// adopt queues the jobs no live instance holds.
func (q *Queue) adopt() error {
	jobs, err := q.store.AdoptJobs()
	for _, sj := range jobs {
		j := new(Job)
		if uerr := json.Unmarshal(sj.Data, j); uerr != nil || j.ID != sj.ID {
			q.opt.Log.Error("delivery queue: dropping a stored job that does not decode", "id", sj.ID, "tenant", sj.Tenant)
			q.store.DeleteJob(sj.ID)
			continue
		}
		q.mu.Lock()
		tq := q.tenant(j.tenant())
		tq.count++ // adopted jobs are durable already: the bound is for new ones
		heap.Push(&tq.waiting, j)
		q.mu.Unlock()
	}
	if len(jobs) > 0 {
		q.opt.Log.Info("delivery queue: took over queued deliveries", "jobs", len(jobs))
		q.poke()
	}
	return err
}

func (q *Queue) adoptLoop() {
	defer q.wg.Done()
	t := time.NewTicker(q.opt.AdoptEvery)
	defer t.Stop()
	for {
		select {
		case <-q.ctx.Done():
			return
		case <-t.C:
			if err := q.adopt(); err != nil {
				q.opt.Log.Warn("delivery queue: cannot look for jobs left by stopped instances", "error", err)
			}
		}
	}
}

// dispatch starts attempts as they fall due: one job per tenant in turn,
// never more than Concurrency per tenant nor Workers in all.
func (q *Queue) dispatch() {
	defer q.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		q.mu.Lock()
		now := time.Now()
		for q.inflight < q.opt.Workers && q.launchOne(now) {
		}
		var next time.Time
		if q.inflight < q.opt.Workers {
			for _, tq := range q.tenants {
				if tq.inflight < q.opt.Concurrency && len(tq.waiting) > 0 {
					if due := tq.waiting[0].Due; next.IsZero() || due.Before(next) {
						next = due
					}
				}
			}
		}
		q.mu.Unlock()
		wait := time.Hour
		if !next.IsZero() {
			wait = max(time.Until(next), time.Millisecond)
		}
		timer.Reset(wait)
		select {
		case <-q.ctx.Done():
			return
		case <-q.wake:
		case <-timer.C:
		}
	}
}

// launchOne starts the due job of the next tenant in turn that may send,
// and reports whether there was one. q.mu is held.
func (q *Queue) launchOne(now time.Time) bool {
	n := len(q.order)
	for i := range n {
		idx := (q.next + i) % n
		tq := q.tenants[q.order[idx]]
		if tq.inflight >= q.opt.Concurrency || len(tq.waiting) == 0 || tq.waiting[0].Due.After(now) {
			continue
		}
		j := heap.Pop(&tq.waiting).(*Job)
		tq.inflight++
		q.inflight++
		q.next = idx + 1
		q.wg.Add(1)
		go q.attempt(j)
		return true
	}
	return false
}

// attempt sends j once and files the outcome.
func (q *Queue) attempt(j *Job) {
	defer q.wg.Done()
	status, err := q.send(j)
	if q.ctx.Err() != nil {
		return // closing: the job stays in the store as it was
	}
	j.Attempts++
	sched := j.schedule()
	var outcome string
	switch {
	case err == nil && (status >= 200 && status < 300 || slices.Contains(j.Done, status)):
		outcome = Delivered
	case err == nil && status == http.StatusGone && !j.KeepOnGone:
		outcome = Gone
	case errors.Is(err, ErrDenied) || errors.Is(err, errBadRedirect) || errors.Is(err, errBadRequest):
		outcome = Refused
	case j.Attempts >= len(sched):
		outcome = GaveUp
	default:
		outcome = Retrying
		j.Due = time.Now().Add(sched[j.Attempts])
	}
	if outcome == Retrying {
		if perr := q.persist(j); perr != nil {
			// Still retried from memory; only a restart before then loses it.
			q.opt.Log.Warn("delivery queue: cannot store a retry", "tenant", j.tenant(), "error", perr)
		}
	} else if derr := q.store.DeleteJob(j.ID); derr != nil {
		q.opt.Log.Warn("delivery queue: cannot forget a finished job; it may be sent again after a restart", "tenant", j.tenant(), "error", derr)
	}
	seen := *j // j may be sent again as soon as it is back in the queue
	q.mu.Lock()
	tq := q.tenants[j.tenant()]
	tq.inflight--
	q.inflight--
	if outcome == Retrying {
		heap.Push(&tq.waiting, j)
	} else {
		tq.count--
	}
	q.mu.Unlock()
	q.poke()
	q.outcome(&seen, outcome, status, err)
}

var errBadRequest = errors.New("request cannot be built")

// send makes one attempt; the error is nil when the receiver answered.
func (q *Queue) send(j *Job) (int, error) {
	ctx, cancel := context.WithTimeout(q.ctx, q.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, j.Method, j.URL, bytesReader(j.Body))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errBadRequest, err)
	}
	if j.Header != nil {
		req.Header = j.Header.Clone()
	}
	res, err := q.opt.HTTP.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, which may carry the receiver's own HMAC
		}
		return 0, err
	}
	drain(res)
	return res.StatusCode, nil
}

func (q *Queue) outcome(j *Job, outcome string, status int, err error) {
	if q.opt.OnOutcome != nil {
		q.opt.OnOutcome(j, outcome, status)
	}
	// Only the host is logged: the URL is the receiver's and may carry its
	// own HMAC (Nextcloud's does).
	attrs := []any{"tenant", j.tenant(), "kind", j.Kind, "outcome", outcome, "attempt", j.Attempts, "host", host(j.URL)}
	if status != 0 {
		attrs = append(attrs, "status", status)
	}
	if err != nil {
		attrs = append(attrs, "error", err.Error())
	}
	switch outcome {
	case Delivered, Retrying:
		q.opt.Log.Info("delivery", attrs...)
	default:
		q.opt.Log.Warn("delivery", attrs...)
	}
}
