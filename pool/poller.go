package pool

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
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

// pollSpec reads what the load model needs of each <meeting>.
var pollSpec = &bbb.ListSpec{List: "meetings", Item: "meeting", Fields: []string{
	"meetingID", "participantCount", "voiceParticipantCount", "videoCount", "createTime", "isBreakout",
	"metadata/bbb-meeting-size-hint", "meetingName", "recording", "internalMeetingID", "parentMeetingID",
}}

// Check makes one signed getMeetings call to s and classifies the outcome:
// the meetings it runs when it answers as a healthy BBB server;
// ErrWrongSecret or ErrNotBBB (wrapped) when it is misconfigured; any
// other error when it cannot be reached or answers badly.
func Check(ctx context.Context, s *Server) ([]MeetingLoad, error) {
	return check(ctx, s, nil)
}

// check is Check, skipping the parse when the answer is byte for byte the
// one last parsed for s (c may be nil: always parse).
func check(ctx context.Context, s *Server, c *answers) ([]MeetingLoad, error) {
	res, err := s.Client.Get(ctx, bbb.CallGetMeetings, "")
	if err != nil {
		return nil, err
	}
	defer res.Recycle() // nothing of the answer outlives check: its meetings are copies
	if res.Status != 200 {
		if res.Status == 404 {
			return nil, fmt.Errorf("HTTP 404: %w", ErrNotBBB)
		}
		return nil, fmt.Errorf("HTTP %d", res.Status)
	}
	var sum uint64
	var last []MeetingLoad
	if c != nil {
		sum = maphash.Bytes(c.seed(), res.Body)
		var same bool
		if last, same = c.get(s, sum, len(res.Body)); same {
			return last, nil
		}
	}
	ms, err := parseMeetings(res.Body, last)
	if err == nil && c != nil {
		c.put(s, sum, len(res.Body), ms)
	}
	return ms, err
}

// parseMeetings reads a getMeetings answer into what the load model needs.
// Its strings own their memory (see ownStrings): last is the server's
// previous answer, whose strings a meeting still running reuses.
func parseMeetings(body []byte, last []MeetingLoad) ([]MeetingLoad, error) {
	reply, err := bbb.ParseReply(body, pollSpec)
	if err != nil {
		return nil, ErrNotBBB
	}
	if !reply.OK() {
		if reply.MessageKey == "checksumError" {
			return nil, ErrWrongSecret
		}
		return nil, fmt.Errorf("getMeetings answered FAILED %s", reply.MessageKey)
	}
	ms := make([]MeetingLoad, len(reply.Items))
	owned := ownStrings{last: last}
	for i, it := range reply.Items {
		f := it.Fields
		ms[i] = MeetingLoad{
			MeetingID:    f[0],
			Participants: int(bbb.Int(f[1])),
			Voice:        int(bbb.Int(f[2])),
			Video:        int(bbb.Int(f[3])),
			Created:      time.UnixMilli(bbb.Int(f[4])), // BBB's times are milliseconds
			Breakout:     f[5] == "true",
			Expected:     int(bbb.Int(f[6])),
			Name:         f[7],
			Recording:    f[8] == "true",
			InternalID:   f[9],
		}
		if ms[i].Breakout {
			ms[i].ParentID = f[10]
		}
		owned.own(&ms[i], i)
	}
	return ms, nil
}

// Round is the outcome of one poll of every server: the meetings of each
// server that answered. Servers that failed are absent.
type Round struct {
	// Started is when the round's requests went out.
	Started  time.Time
	Meetings map[string][]MeetingLoad
}

// Poller checks every server at an interval and keeps its health and load
// current.
type Poller struct {
	Pool       *Pool
	Interval   time.Duration
	Timeout    time.Duration
	Thresholds Thresholds
	Logger     *slog.Logger
	// OnRound, if set, gets each round's results, for reconciling the
	// placements with what really runs.
	OnRound func(Round)
	// Spread, if set, spreads the checks of each periodic round evenly
	// over this long from its start, instead of sending them all at once:
	// 500 servers answering at the same instant is a burst of CPU, memory
	// and connections in tinyscale (and in whatever shares its cores) once
	// a round, where a spread round is a trickle. A round asked for by Kick
	// (the state lost placements) and PollOnce are never spread.
	Spread time.Duration

	kickOnce sync.Once
	kick     chan struct{}
	answers  answers
}

func (p *Poller) kicks() chan struct{} {
	p.kickOnce.Do(func() { p.kick = make(chan struct{}, 1) })
	return p.kick
}

// Kick asks Run for a round now rather than at the next tick (after the
// state store lost placements, say). Kicks while a round is due coalesce.
func (p *Poller) Kick() {
	select {
	case p.kicks() <- struct{}{}:
	default:
	}
}

// Run polls until ctx is done.
func (p *Poller) Run(ctx context.Context) {
	t := time.NewTicker(p.Interval)
	defer t.Stop()
	kick := p.kicks()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.poll(ctx, p.Spread)
		case <-kick:
			p.poll(ctx, 0)
		}
	}
}

// PollOnce checks every server at once, each under the poller's timeout,
// and waits for all answers.
func (p *Poller) PollOnce(ctx context.Context) { p.poll(ctx, 0) }

// poll is a round whose checks start evenly over spread (0: all at once).
// Round.Started is when the first went out, the earliest any did: a
// placement made after it is never taken for ended by the round. Each
// server's meetings are recorded as of its own check's start.
func (p *Poller) poll(ctx context.Context, spread time.Duration) {
	round := Round{Started: time.Now(), Meetings: map[string][]MeetingLoad{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	all := p.Pool.All()
	p.answers.keep(all)
	for i, s := range all {
		sent := round.Started
		if spread > 0 && i > 0 {
			sent = round.Started.Add(spreadOffset(i, len(all), spread))
			if !sleepUntil(ctx, sent) {
				break
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, p.Timeout)
			ms, err := check(cctx, s, &p.answers)
			cancel()
			if ctx.Err() != nil {
				return // shutting down: not the server's fault
			}
			now := time.Now()
			if s.Observe(err, p.Thresholds, now) && p.Logger != nil {
				if err != nil {
					p.Logger.Warn("server offline", "server", s.ID, "error", err)
				} else {
					p.Logger.Info("server online", "server", s.ID)
				}
			}
			if err != nil {
				return
			}
			if s.SetMeetings(ms, sent, p.Pool.Model.Ramp) && p.Logger != nil {
				p.Logger.Info("cordoned server is empty: now disabled", "server", s.ID)
			}
			mu.Lock()
			round.Meetings[s.ID] = ms
			mu.Unlock()
		}()
	}
	wg.Wait()
	if p.OnRound != nil && ctx.Err() == nil {
		p.OnRound(round)
	}
}

// spreadStep is the finest step of a spread round: 500 servers over 5 s
// go out 5 at a time every 50 ms rather than one every 10 ms, a fifth of
// the timers and wake-ups (a tenth of an idle instance's polling CPU).
const spreadStep = 50 * time.Millisecond

// spreadOffset is when the i-th of n checks of a round spread over spread
// goes out, after the first: evenly, in steps of at least spreadStep.
func spreadOffset(i, n int, spread time.Duration) time.Duration {
	at := spread * time.Duration(i) / time.Duration(n)
	if spread/time.Duration(n) >= spreadStep {
		return at
	}
	return at.Truncate(spreadStep)
}

// sleepUntil waits until t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
