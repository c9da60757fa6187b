package pool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
)

// Errors from Check that no retry will cure: the configuration is wrong.
var (
	ErrWrongSecret = errors.New("the server rejected tinyscale's checksum: its \"secret\" in servers.json is wrong (see `bbb-conf --secret` on that server)")
	ErrNotBBB      = errors.New("the server did not answer as a BBB API: check that \"host\" points at https://<server>/bigbluebutton/api")
)

// Check makes one signed getMeetings call to s and classifies the outcome:
// nil and the reply when the server answers as a healthy BBB server,
// ErrWrongSecret or ErrNotBBB (wrapped) when it is misconfigured, any
// other error when it cannot be reached or answers badly.
func Check(ctx context.Context, s *Server) (*bbb.Reply, error) {
	res, err := s.Client.Get(ctx, bbb.CallGetMeetings, "")
	if err != nil {
		return nil, err
	}
	if res.Status != 200 {
		if res.Status == 404 {
			return nil, fmt.Errorf("HTTP 404: %w", ErrNotBBB)
		}
		return nil, fmt.Errorf("HTTP %d", res.Status)
	}
	reply, err := bbb.ParseReply(res.Body, &bbb.ListSpec{List: "meetings", Item: "meeting"})
	if err != nil {
		return nil, ErrNotBBB
	}
	if !reply.OK() {
		if reply.MessageKey == "checksumError" {
			return nil, ErrWrongSecret
		}
		return nil, fmt.Errorf("getMeetings answered FAILED %s", reply.MessageKey)
	}
	return reply, nil
}

// Poller checks every server at an interval and keeps its health current.
type Poller struct {
	Pool       *Pool
	Interval   time.Duration
	Timeout    time.Duration
	Thresholds Thresholds
	Logger     *slog.Logger
}

// Run polls until ctx is done.
func (p *Poller) Run(ctx context.Context) {
	t := time.NewTicker(p.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.PollOnce(ctx)
		}
	}
}

// PollOnce checks every server at once and waits for all answers, each
// under the poller's timeout.
func (p *Poller) PollOnce(ctx context.Context) {
	var wg sync.WaitGroup
	for _, s := range p.Pool.All() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, p.Timeout)
			_, err := Check(cctx, s)
			cancel()
			if ctx.Err() != nil {
				return // shutting down: not the server's fault
			}
			if s.Observe(err, p.Thresholds, time.Now()) && p.Logger != nil {
				if err != nil {
					p.Logger.Warn("server offline", "server", s.ID, "error", err)
				} else {
					p.Logger.Info("server online", "server", s.ID)
				}
			}
		}()
	}
	wg.Wait()
}
