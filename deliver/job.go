package deliver

import (
	"net/http"
	"time"
)

// Job is one HTTP request to deliver.
type Job struct {
	// Tenant is whose delivery it is: bounds, fairness and metrics are
	// per tenant. Empty is taken as "default".
	Tenant string `json:"tenant"`
	// Kind labels the job in logs and metrics ("end", "rec", "hook"...).
	// Keep it to a handful of values: it is a metric label.
	Kind string `json:"kind"`
	// Method (GET when empty), URL, Header and Body are the request. URL
	// must be an absolute http or https URL. The queue keeps its own copy
	// of Header; a nil Header sends only Go's defaults.
	Method string      `json:"method"`
	URL    string      `json:"url"`
	Header http.Header `json:"header,omitempty"`
	Body   []byte      `json:"body,omitempty"`
	// Schedule is the wait before each attempt, the first usually 0: its
	// length is the number of attempts. nil means BBBSchedule.
	Schedule []time.Duration `json:"schedule,omitempty"`
	// Done lists statuses besides 2xx that end the job as delivered
	// (bbb-webhooks counts a receiver's 401 as one), and KeepOnGone
	// retries a 410 as any failure instead of stopping: the receivers of
	// webhooks expect bbb-webhooks' rules, not a callback's.
	Done       []int `json:"done,omitempty"`
	KeepOnGone bool  `json:"keep_on_gone,omitempty"`

	// Set by the queue.
	ID       string    `json:"id"`
	Attempts int       `json:"attempts"` // made so far
	Due      time.Time `json:"due"`      // of the next attempt
	Queued   time.Time `json:"queued"`
}

// BBBSchedule is how bbb-web's CallbackUrlService retries a meeting-ended
// callback: at once, then after 30 s, 1 min, 2 min and 5 min, five
// attempts over 8.5 minutes.
var BBBSchedule = []time.Duration{0, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute}

// Outcomes of an attempt, for logs and metrics.
const (
	Delivered = "delivered" // a 2xx
	Gone      = "gone"      // 410: the receiver deleted the object; stop
	Refused   = "refused"   // a denied or invalid target; stop
	Retrying  = "retrying"  // anything else, with attempts left
	GaveUp    = "gave_up"   // anything else, on the last attempt
	Dropped   = "dropped"   // not queued: the tenant's queue was full
)

func (j *Job) schedule() []time.Duration {
	if len(j.Schedule) == 0 {
		return BBBSchedule
	}
	return j.Schedule
}

func (j *Job) tenant() string {
	if j.Tenant == "" {
		return "default"
	}
	return j.Tenant
}
