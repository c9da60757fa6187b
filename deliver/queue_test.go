package deliver

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/state"
)

// fast is a schedule for tests: five attempts, as BBB's, without the wait.
var fast = []time.Duration{0, time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond}

// TestBBBSchedule pins the schedule to bbb-web's CallbackUrlService
// (schedRetryCallback): 5 attempts, 0 + 30 s + 1 min + 2 min + 5 min.
func TestBBBSchedule(t *testing.T) {
	want := []time.Duration{0, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute}
	if !slices.Equal(BBBSchedule, want) {
		t.Fatalf("BBBSchedule = %v, want %v", BBBSchedule, want)
	}
	var total time.Duration
	for _, d := range BBBSchedule {
		total += d
	}
	if total != 8*time.Minute+30*time.Second {
		t.Fatalf("BBBSchedule spans %v, want 8m30s", total)
	}
	if got := (&Job{}).schedule(); !slices.Equal(got, BBBSchedule) {
		t.Fatalf("a job without a schedule uses %v, want BBBSchedule", got)
	}
}

// receiver answers each request with the next status of its script (the
// last one repeats) and records what it got.
type receiver struct {
	mu     sync.Mutex
	script []int
	got    []*http.Request
	bodies []string
	hit    chan struct{}
	srv    *httptest.Server
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{script: script, hit: make(chan struct{}, 100)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		buf := make([]byte, 1<<16)
		n, _ := req.Body.Read(buf)
		r.mu.Lock()
		status := r.script[min(len(r.got), len(r.script)-1)]
		r.got = append(r.got, req)
		r.bodies = append(r.bodies, string(buf[:n]))
		r.mu.Unlock()
		w.WriteHeader(status)
		r.hit <- struct{}{}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// outcomes collects the queue's outcomes.
type outcomes struct {
	mu   sync.Mutex
	list []string
	done chan string
}

func newOutcomes() *outcomes { return &outcomes{done: make(chan string, 1000)} }

func (o *outcomes) on(j *Job, outcome string, status int) {
	o.mu.Lock()
	o.list = append(o.list, fmt.Sprintf("%s %s %d", j.Tenant, outcome, status))
	o.mu.Unlock()
	if outcome != Retrying {
		o.done <- j.Tenant + " " + outcome
	}
}

func (o *outcomes) wait(t *testing.T) string {
	t.Helper()
	select {
	case s := <-o.done:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no final outcome within 10s")
		return ""
	}
}

func startQueue(t *testing.T, store Store, opt Options) *Queue {
	t.Helper()
	q := New(store, opt)
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)
	return q
}

// TestOutcomes: what each answer does, with BBB's number of attempts.
func TestOutcomes(t *testing.T) {
	webhook := func(j *Job) { j.Done, j.KeepOnGone = []int{401}, true }
	for _, c := range []struct {
		name     string
		script   []int
		outcome  string
		attempts int
		job      func(*Job) // the job's own rules, if any
	}{
		{"2xx delivers", []int{200}, Delivered, 1, nil},
		{"204 delivers", []int{204}, Delivered, 1, nil},
		{"5xx is retried until it delivers", []int{500, 503, 200}, Delivered, 3, nil},
		{"404 is retried, not a stop", []int{404, 200}, Delivered, 2, nil},
		{"401 is retried", []int{401, 401, 202}, Delivered, 3, nil},
		{"3xx without Location is retried", []int{302, 200}, Delivered, 2, nil},
		{"410 stops at once", []int{410}, Gone, 1, nil},
		{"410 after a retry stops", []int{500, 410}, Gone, 2, nil},
		{"gives up after five attempts", []int{500}, GaveUp, 5, nil},
		// A webhook delivery follows bbb-webhooks: 401 is delivered, 410 retried.
		{"webhook: 401 is delivered", []int{401}, Delivered, 1, webhook},
		{"webhook: 410 is retried", []int{410, 410, 200}, Delivered, 3, webhook},
		{"webhook: 500 still retried", []int{500, 204}, Delivered, 2, webhook},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newReceiver(t, c.script...)
			o := newOutcomes()
			q := startQueue(t, state.NewMemory(), Options{OnOutcome: o.on})
			j := Job{Tenant: "a", Kind: "end", URL: r.srv.URL + "/cb?x=1", Schedule: fast}
			if c.job != nil {
				c.job(&j)
			}
			must(t, q.Enqueue(j))
			if got := o.wait(t); got != "a "+c.outcome {
				t.Fatalf("outcome %q, want %q (%v)", got, c.outcome, o.list)
			}
			if n := r.count(); n != c.attempts {
				t.Fatalf("%d attempts, want %d", n, c.attempts)
			}
		})
	}
}

// TestRequestAsQueued: method, headers, body and query arrive as queued.
func TestRequestAsQueued(t *testing.T) {
	r := newReceiver(t, 200)
	o := newOutcomes()
	q := startQueue(t, state.NewMemory(), Options{OnOutcome: o.on})
	must(t, q.Enqueue(Job{Tenant: "a", Method: http.MethodPost, URL: r.srv.URL + "/rec?k=v",
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-A": {"1"}},
		Body:   []byte("signed_parameters=abc")}))
	o.wait(t)
	got := r.got[0]
	if got.Method != http.MethodPost || got.URL.RawQuery != "k=v" || got.Header.Get("X-A") != "1" ||
		got.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.bodies[0] != "signed_parameters=abc" {
		t.Fatalf("got %s %s %v %q", got.Method, got.URL, got.Header, r.bodies[0])
	}
}

// TestRedirects: followed to allowed targets, POST body kept on 307;
// refused (and not retried) to a denied address or another scheme.
func TestRedirects(t *testing.T) {
	final := newReceiver(t, 200)
	redirect := func(to string, code int) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			http.Redirect(w, req, to, code)
		}))
		t.Cleanup(s.Close)
		return s
	}
	for _, c := range []struct {
		name    string
		to      string
		code    int
		deny    string
		outcome string
	}{
		{"302 to an allowed target", final.srv.URL + "/x", http.StatusFound, "", Delivered},
		{"307 keeps the POST", final.srv.URL + "/x", http.StatusTemporaryRedirect, "", Delivered},
		{"to link-local metadata", "http://169.254.169.254/latest/meta-data", http.StatusFound, "", Refused},
		{"to IPv6 link-local", "http://[fe80::1]/", http.StatusFound, "", Refused},
		{"to a denied loopback address", "http://127.0.0.2:9/", http.StatusFound, "127.0.0.2/32", Refused},
		{"to a name resolving to a denied address", "http://localhost:9/", http.StatusFound, "127.0.0.0/8,::1", Refused},
		{"to another scheme", "file:///etc/passwd", http.StatusFound, "", Refused},
	} {
		t.Run(c.name, func(t *testing.T) {
			deny, err := ParseDeny(c.deny)
			must(t, err)
			// The first hop must stay allowed: deny only what the redirect aims at.
			src := redirect(c.to, c.code)
			o := newOutcomes()
			q := startQueue(t, state.NewMemory(), Options{OnOutcome: o.on, HTTP: (&Targets{Deny: deny}).Client(5 * time.Second)})
			before := final.count()
			must(t, q.Enqueue(Job{Tenant: "a", Method: http.MethodPost, URL: src.URL, Body: []byte("b=1"), Schedule: fast}))
			if got := o.wait(t); got != "a "+c.outcome {
				t.Fatalf("outcome %q, want %q (%v)", got, c.outcome, o.list)
			}
			if c.outcome == Delivered && c.code == http.StatusTemporaryRedirect {
				final.mu.Lock()
				last, body := final.got[len(final.got)-1], final.bodies[len(final.bodies)-1]
				final.mu.Unlock()
				if last.Method != http.MethodPost || body != "b=1" {
					t.Fatalf("307 arrived as %s %q", last.Method, body)
				}
			}
			if c.outcome == Refused && final.count() != before {
				t.Fatal("a refused redirect reached the receiver")
			}
		})
	}
}

// TestDeniedFirstHop: a target that resolves to a denied address is
// refused without a connection, and not retried.
func TestDeniedFirstHop(t *testing.T) {
	r := newReceiver(t, 200)
	deny, _ := ParseDeny("127.0.0.1")
	o := newOutcomes()
	q := startQueue(t, state.NewMemory(), Options{OnOutcome: o.on, HTTP: (&Targets{Deny: deny}).Client(time.Second)})
	must(t, q.Enqueue(Job{Tenant: "a", URL: r.srv.URL, Schedule: fast}))
	if got := o.wait(t); got != "a "+Refused {
		t.Fatalf("outcome %q, want refused", got)
	}
	if r.count() != 0 {
		t.Fatal("the denied receiver was called")
	}
}

func TestParseDeny(t *testing.T) {
	p, err := ParseDeny(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8,::ffff:10.1.1.1")
	must(t, err)
	tg := &Targets{Deny: p}
	for _, c := range []struct {
		addr   string
		denied bool
	}{
		{"10.2.3.4", true}, {"192.168.1.7", true}, {"192.168.1.8", false}, {"fd12::1", true},
		{"127.0.0.1", false}, {"::1", false}, {"169.254.169.254", true}, {"::ffff:169.254.1.1", true},
		{"fe80::1", true}, {"8.8.8.8", false}, {"0.0.0.0", false}, {"::ffff:10.9.9.9", true},
	} {
		if got := tg.Denied(netip.MustParseAddr(c.addr)); got != c.denied {
			t.Errorf("Denied(%s) = %v, want %v", c.addr, got, c.denied)
		}
	}
	lo, _ := ParseDeny("127.0.0.0/8,::1")
	if !(&Targets{Deny: lo}).Denied(netip.MustParseAddr("0.0.0.0")) {
		t.Error("0.0.0.0 reaches loopback, and loopback is denied")
	}
	for _, bad := range []string{"10.0.0.0/33", "example.org", "10.0.0"} {
		if _, err := ParseDeny(bad); err == nil {
			t.Errorf("ParseDeny(%q) accepted it", bad)
		}
	}
}

// TestFairness: a tenant whose receiver hangs never delays another
// tenant's delivery: b's callback arrives while every one of a's attempts
// is still hanging.
func TestFairness(t *testing.T) {
	release := make(chan struct{})
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer stuck.Close()
	defer close(release)
	good := newReceiver(t, 200)
	o := newOutcomes()
	q := startQueue(t, state.NewMemory(), Options{OnOutcome: o.on, Workers: 8, Concurrency: 2, Timeout: time.Minute})
	for range 50 {
		must(t, q.Enqueue(Job{Tenant: "a", URL: stuck.URL, Schedule: fast}))
	}
	must(t, q.Enqueue(Job{Tenant: "b", URL: good.srv.URL, Schedule: fast}))
	if got := o.wait(t); got != "b "+Delivered {
		t.Fatalf("first final outcome %q, want b delivered while a hangs", got)
	}
	if p := q.Pending(); p["a"] != 50 || p["b"] != 0 {
		t.Fatalf("pending %v, want a 50 (none finished), b 0", p)
	}
}

// TestPerTenantBound: a full tenant's jobs are refused; others' are not.
func TestPerTenantBound(t *testing.T) {
	release := make(chan struct{})
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer stuck.Close()
	defer close(release)
	good := newReceiver(t, 200)
	o := newOutcomes()
	q := startQueue(t, state.NewMemory(), Options{OnOutcome: o.on, PerTenant: 3, Timeout: time.Minute})
	for range 3 {
		must(t, q.Enqueue(Job{Tenant: "a", URL: stuck.URL}))
	}
	if err := q.Enqueue(Job{Tenant: "a", URL: stuck.URL}); !errors.Is(err, ErrFull) {
		t.Fatalf("a's 4th job: %v, want ErrFull", err)
	}
	if got := o.wait(t); got != "a "+Dropped {
		t.Fatalf("outcome %q, want a dropped", got)
	}
	for range 3 {
		must(t, q.Enqueue(Job{Tenant: "b", URL: good.srv.URL}))
	}
	for range 3 {
		if got := o.wait(t); got != "b "+Delivered {
			t.Fatalf("outcome %q, want b delivered", got)
		}
	}
}

func TestEnqueueRefusesInvalid(t *testing.T) {
	q := startQueue(t, state.NewMemory(), Options{})
	for _, u := range []string{"", "ftp://x/", "javascript:alert(1)", "/relative", "http://"} {
		if err := q.Enqueue(Job{Tenant: "a", URL: u}); !errors.Is(err, ErrInvalid) {
			t.Errorf("Enqueue(%q) = %v, want ErrInvalid", u, err)
		}
	}
}

// TestSurvivesRestart: a job still waiting when the queue stops is kept
// in the bolt file and delivered by the next process's queue.
func TestSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	r := newReceiver(t, 503, 503, 503, 200)
	b, err := state.OpenBolt(path)
	must(t, err)
	first := make(chan string, 10)
	q := New(b, Options{OnOutcome: func(_ *Job, outcome string, _ int) { first <- outcome }})
	must(t, q.Start())
	slow := []time.Duration{0, time.Hour, time.Millisecond, time.Millisecond}
	must(t, q.Enqueue(Job{Tenant: "a", Kind: "end", URL: r.srv.URL + "/end", Schedule: slow}))
	if got := <-first; got != Retrying {
		t.Fatalf("first attempt: %s, want retrying", got)
	}
	q.Close()
	must(t, b.Close())
	if r.count() != 1 {
		t.Fatalf("%d attempts before the restart, want 1", r.count())
	}

	// The retry is due in an hour; the test moves it due now, as the
	// clock would.
	b, err = state.OpenBolt(path)
	must(t, err)
	defer b.Close()
	o := newOutcomes()
	q = New(&dueNow{Jobs: b}, Options{OnOutcome: o.on})
	must(t, q.Start())
	defer q.Close()
	if got := o.wait(t); got != "a "+Delivered {
		t.Fatalf("after restart: %q, want a delivered (%v)", got, o.list)
	}
	if n := r.count(); n != 4 {
		t.Fatalf("%d attempts in all, want 4 (1 before, 2 more 503s and the 200 after)", n)
	}
	if left, _ := b.AdoptJobs(); len(left) != 0 {
		t.Fatalf("jobs left in the store: %v", left)
	}
}

// dueNow is a store whose adopted jobs are due at once.
type dueNow struct{ state.Jobs }

func (d *dueNow) AdoptJobs() ([]state.Job, error) {
	jobs, err := d.Jobs.AdoptJobs()
	for i := range jobs {
		jobs[i].Data = rewriteDue(jobs[i].Data)
	}
	return jobs, err
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
