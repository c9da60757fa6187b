// Package deliver is tinyscale's one delivery queue: callbacks to
// integrations (meeting ended, recording ready, learning analytics) and
// webhook events all go through it.
//
// It is durable: a job is kept in the state store (state.Jobs) from the
// moment Enqueue returns until it is delivered or given up, so queued
// deliveries survive a restart, even kill -9 (they are delivered at least
// once; a delivery that succeeded just before a crash may be repeated).
//
// It is fair per tenant: each tenant has its own bound on queued jobs and
// its own share of the attempts in flight, so one tenant's unreachable
// receiver neither delays another tenant's deliveries nor makes the
// queue drop them.
//
// It is safe: every attempt dials through a net.Dialer whose Control
// refuses the denied networks (link-local always; more with Targets), so
// neither DNS rebinding nor a redirect reaches a denied address.
//
// To deliver something, build a Job and enqueue it:
//
//	err := q.Enqueue(deliver.Job{
//		Tenant:   "uni-a",                    // whose delivery: fairness, bounds, metrics
//		Kind:     "hook",                     // a short label for logs and metrics
//		Method:   http.MethodPost,
//		URL:      "https://lms.example.org/bbb/events",
//		Header:   http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
//		Body:     []byte("event=..."),
//		Schedule: deliver.BBBSchedule,        // waits before each attempt; nil means BBBSchedule
//	})
//
// Enqueue fails with ErrFull when the tenant's bound is reached (other
// tenants are unaffected) and with the store's error when the job could
// not be made durable; in both cases nothing will be sent, so answer the
// caller an error it retries on. An attempt that gets a 2xx is
// delivered; 410 Gone stops (the receiver deleted the object); a denied
// or invalid target stops; anything else (other 3xx, 4xx, 5xx, network
// errors) is tried again after the next wait of the schedule, until the
// schedule is used up. Redirects are followed (at most 5, http and https
// only, each hop dialled through the same checks).
package deliver
