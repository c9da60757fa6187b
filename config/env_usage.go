package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultUsageRetention keeps usage records 13 months.
const DefaultUsageRetention = 396 * 24 * time.Hour

// loadUsage reads TINYSCALE_USAGE_RETENTION: how long usage records are
// kept, in days ("400d") or as a Go duration ("9600h").
func (e *Env) loadUsage(getenv func(string) string) error {
	if err := e.loadShutdown(getenv); err != nil {
		return err
	}
	e.UsageRetention = DefaultUsageRetention
	v := strings.TrimSpace(getenv("TINYSCALE_USAGE_RETENTION"))
	if v == "" {
		return nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > 100*366 {
			return fmt.Errorf("TINYSCALE_USAGE_RETENTION=%q: write a number of days such as 400d", v)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil || d <= 0 {
			return fmt.Errorf("TINYSCALE_USAGE_RETENTION=%q: write a number of days such as 400d (or a Go duration, 9600h)", v)
		}
	}
	e.UsageRetention = d
	return nil
}
