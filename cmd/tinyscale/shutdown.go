package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/tinyscale/tinyscale/deliver"
)

// shutdown is the graceful end after SIGTERM or SIGINT: the listener
// closes at once (new connections are refused), the requests in flight
// finish, the poller stops, and the callback deliveries due now are sent,
// all within bound. What is still running then is cut off: requests are
// closed, and undelivered callbacks stay in the state store for the next
// start.
func shutdown(srv *http.Server, queue *deliver.Queue, stopPoll func(), bound time.Duration, log *slog.Logger) error {
	start := time.Now()
	log.Info("shutting down: refusing new connections, finishing requests in flight and due deliveries", "bound", bound.String())
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	err := srv.Shutdown(ctx)
	stopPoll()
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		log.Warn("shutdown: requests still in flight at the bound: closing them", "bound", bound.String())
		srv.Close()
	case err != nil && !errors.Is(err, http.ErrServerClosed):
		return err
	}
	if queue != nil {
		if left := queue.Drain(ctx); left > 0 {
			log.Info("shutdown: callback deliveries left queued in the state store for the next start", "jobs", left)
		}
	}
	log.Info("shut down", "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}
