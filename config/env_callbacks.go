package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/tinyscale/tinyscale/deliver"
)

// DefaultCallbackRetry is bbb-web's retry schedule of meeting-ended
// callbacks, which tinyscale applies to every callback it relays.
const DefaultCallbackRetry = "0s,30s,1m,2m,5m"

// loadCallbackEnv reads TINYSCALE_CALLBACK_DENY and
// TINYSCALE_CALLBACK_RETRY.
func (e *Env) loadCallbackEnv(getenv func(string) string) error {
	deny, err := deliver.ParseDeny(getenv("TINYSCALE_CALLBACK_DENY"))
	if err != nil {
		return fmt.Errorf("TINYSCALE_CALLBACK_DENY: %v; write e.g. TINYSCALE_CALLBACK_DENY=10.0.0.0/8,192.168.0.0/16", err)
	}
	e.CallbackDeny = deny
	v := or(getenv("TINYSCALE_CALLBACK_RETRY"), DefaultCallbackRetry)
	sched, err := parseSchedule(v)
	if err != nil {
		return fmt.Errorf("TINYSCALE_CALLBACK_RETRY=%q: %v; write the wait before each attempt, e.g. TINYSCALE_CALLBACK_RETRY=%s", v, err, DefaultCallbackRetry)
	}
	e.CallbackRetry = sched
	return nil
}

// maxAttempts bounds a schedule: each attempt of a dead receiver holds a
// queue slot for up to its timeout.
const maxAttempts = 50

func parseSchedule(s string) ([]time.Duration, error) {
	var out []time.Duration
	for f := range strings.SplitSeq(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("%q is not a duration", strings.TrimSpace(f))
		}
		if d > 24*time.Hour {
			return nil, fmt.Errorf("%v is more than a day", d)
		}
		out = append(out, d)
	}
	if len(out) > maxAttempts {
		return nil, fmt.Errorf("%d attempts, at most %d", len(out), maxAttempts)
	}
	return out, nil
}
