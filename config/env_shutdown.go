package config

import (
	"fmt"
	"time"
)

// DefaultShutdownTimeout bounds a graceful shutdown.
const DefaultShutdownTimeout = 15 * time.Second

// loadShutdown reads TINYSCALE_SHUTDOWN_TIMEOUT: how long, after SIGTERM,
// requests in flight and due callback deliveries may take to finish.
func (e *Env) loadShutdown(getenv func(string) string) error {
	e.ShutdownTimeout = DefaultShutdownTimeout
	if v := getenv("TINYSCALE_SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("TINYSCALE_SHUTDOWN_TIMEOUT=%q is not a positive Go duration; write e.g. TINYSCALE_SHUTDOWN_TIMEOUT=15s", v)
		}
		e.ShutdownTimeout = d
	}
	return nil
}
