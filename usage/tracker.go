// Package usage accounts for every meeting's life: when it started and
// ended, on which server, its peak participants and its participant-
// minutes, measured from the polls and recorded in the state store when it
// ends. Hosting providers bill from it (docs/admin.md, "Usage").
//
// How it is measured: the participants a poll sees in a meeting are taken
// to stay until the next poll that sees it, so participant-minutes are the
// sum of count × minutes between consecutive polls. A meeting ends at the
// last poll that saw it running, once a poll of its server answers without
// it. The precision is one poll interval (TINYSCALE_POLL_INTERVAL); time a
// server did not answer for is not counted.
package usage

import (
	"log/slog"
	"sync"
	"time"

	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
)

// Defaults of a Tracker.
const (
	// DefaultRetention keeps usage for 13 months: a year to compare with.
	DefaultRetention = 396 * 24 * time.Hour
	// DefaultCheckpoint is how often running meetings are written, so that
	// a restart loses at most this much of their count.
	DefaultCheckpoint = 5 * time.Minute
	// DefaultStale ends a meeting whose server has not answered for this
	// long: it will never say the meeting ended.
	DefaultStale = time.Hour
	// resumeWindow is how far back a starting tracker looks for the
	// checkpoints of meetings that ran when the last one stopped.
	resumeWindow = 7 * 24 * time.Hour
	pruneEvery   = time.Hour
)

// OwnerFunc maps a BBB meetingID (as the server runs it, scoped by the
// tenant) to its tenant and the meetingID the tenant knows.
type OwnerFunc func(bbbID string) (tenant, meetingID string)

// Tracker turns poll rounds into usage records. Feed it every round with
// Observe (the poller's OnRound); it is safe for concurrent use.
type Tracker struct {
	store state.UsageStore
	owner OwnerFunc
	log   *slog.Logger

	// Retention, Checkpoint and Stale default to the constants above
	// when zero; set them before the first Observe.
	Retention, Checkpoint, Stale time.Duration

	mu        sync.Mutex
	live      map[liveKey]*meeting
	resumable map[recKey]state.UsageRecord // checkpoints of a previous run
	pending   []state.UsageRecord          // writes that failed, retried next round
	lastCkpt  time.Time
	lastPrune time.Time
	// round numbers the rounds observed: a live meeting that a round saw
	// carries its number, so that finding the ones it did not see needs
	// no set of the seen built anew at every round (50,000 keys on a large
	// fleet).
	round uint64
}

type liveKey struct{ server, bbbID string }
type recKey struct {
	tenant, meetingID string
	start             int64 // UnixMilli
}

// meeting is one running meeting's count so far.
type meeting struct {
	rec       state.UsageRecord // End is the last poll that saw it
	lastCount int
	round     uint64 // the last round that saw it (Tracker.round)
}

// NewTracker returns a tracker writing to store, resolving tenants with
// owner (nil: every meeting is the default tenant's). It reads the
// checkpoints a previous run left, to resume their counts.
func NewTracker(store state.UsageStore, owner OwnerFunc, log *slog.Logger) *Tracker {
	if owner == nil {
		owner = func(id string) (string, string) { return state.DefaultTenant, id }
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Tracker{store: store, owner: owner, log: log, live: map[liveKey]*meeting{}, resumable: map[recKey]state.UsageRecord{}}
	now := time.Now()
	recs, err := store.Usage(now.Add(-resumeWindow), now.Add(time.Minute))
	if err != nil {
		log.Warn("usage: cannot read the checkpoints of running meetings; their counts restart from zero", "error", err)
	}
	for _, r := range recs {
		if r.Ongoing {
			t.resumable[keyOf(r)] = r
		}
	}
	return t
}

func keyOf(r state.UsageRecord) recKey {
	return recKey{r.Tenant, r.MeetingID, r.Start.UnixMilli()}
}

func (t *Tracker) retention() time.Duration  { return orDefault(t.Retention, DefaultRetention) }
func (t *Tracker) checkpoint() time.Duration { return orDefault(t.Checkpoint, DefaultCheckpoint) }
func (t *Tracker) stale() time.Duration      { return orDefault(t.Stale, DefaultStale) }

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Observe accounts for one poll round: it counts the participants of
// every meeting seen, and records the meetings that ended.
func (t *Tracker) Observe(round pool.Round) {
	now := round.Started
	var writes []state.UsageRecord
	t.mu.Lock()
	t.round++
	seen := 0 // live meetings this round saw, each once
	for sid, ms := range round.Meetings {
		for _, ml := range ms {
			if ml.Breakout {
				continue // its users are counted in the parent meeting
			}
			k := liveKey{sid, ml.MeetingID}
			start := ml.Created
			if start.IsZero() || start.UnixMilli() <= 0 {
				start = now
			}
			m := t.live[k]
			var last uint64 // the key's last round: counted once a round
			if m != nil {
				last = m.round
			}
			if m != nil && !m.rec.Start.Equal(start) {
				// Ended and created again between two polls.
				writes = append(writes, m.final())
				m = nil
			}
			if m == nil {
				m = t.begin(sid, ml, start, now)
				m.round = last
				t.live[k] = m
			}
			if m.round != t.round {
				m.round = t.round
				seen++
			}
			m.observe(ml, now)
		}
	}
	// Every live meeting seen: none can have ended, and a steady round
	// skips the walk over all of them.
	if seen < len(t.live) {
		for k, m := range t.live {
			if m.round == t.round {
				continue
			}
			_, answered := round.Meetings[k.server]
			if answered || now.Sub(m.rec.End) > t.stale() {
				writes = append(writes, m.final())
				delete(t.live, k)
			}
		}
	}
	// Checkpoints of the last run that no running meeting took up, once
	// their server answered, ended while tinyscale was away: final as they
	// are.
	for k, r := range t.resumable {
		if _, answered := round.Meetings[r.Server]; answered || now.Sub(r.End) > t.stale() {
			r.Ongoing = false
			writes = append(writes, r)
			delete(t.resumable, k)
		}
	}
	if now.Sub(t.lastCkpt) >= t.checkpoint() {
		t.lastCkpt = now
		for _, m := range t.live {
			r := m.rec
			r.Ongoing = true
			writes = append(writes, r)
		}
	}
	writes = append(t.pending, writes...)
	t.pending = nil
	prune := now.Sub(t.lastPrune) >= pruneEvery
	if prune {
		t.lastPrune = now
	}
	t.mu.Unlock()

	t.write(writes)
	if prune {
		if n, err := t.store.PruneUsage(now.Add(-t.retention())); err != nil {
			t.log.Warn("usage: prune failed", "error", err)
		} else if n > 0 {
			t.log.Info("usage: dropped records past the retention", "records", n, "retention", t.retention().String())
		}
	}
}

// begin starts counting a meeting first seen now, resuming the checkpoint
// of a previous run if there is one.
func (t *Tracker) begin(sid string, ml pool.MeetingLoad, start, now time.Time) *meeting {
	tenant, id := t.owner(ml.MeetingID)
	r := state.UsageRecord{Tenant: tenant, MeetingID: id, Name: ml.Name, Server: sid, Start: start, End: now, Recorded: ml.Recording}
	if old, ok := t.resumable[keyOf(r)]; ok {
		delete(t.resumable, keyOf(r))
		r.PeakParticipants, r.ParticipantMinutes = old.PeakParticipants, old.ParticipantMinutes
	}
	// lastCount 0: the time before this poll (or while tinyscale was away)
	// is not counted, only what polls saw.
	return &meeting{rec: r}
}

// observe adds the interval since the last poll at the count seen then.
func (m *meeting) observe(ml pool.MeetingLoad, now time.Time) {
	if dt := now.Sub(m.rec.End); dt > 0 {
		m.rec.ParticipantMinutes += float64(m.lastCount) * dt.Minutes()
	}
	m.rec.End = now
	m.lastCount = ml.Participants
	m.rec.PeakParticipants = max(m.rec.PeakParticipants, ml.Participants)
	if ml.Name != "" {
		m.rec.Name = ml.Name
	}
	m.rec.Recorded = m.rec.Recorded || ml.Recording
}

// final is the record of the meeting as it ended.
func (m *meeting) final() state.UsageRecord {
	r := m.rec
	r.Ongoing = false
	if r.End.Before(r.Start) {
		r.End = r.Start
	}
	r.DurationSeconds = r.End.Sub(r.Start).Seconds()
	return r
}

// write stores the records; the ones that fail (Redis away) are kept for
// the next round.
func (t *Tracker) write(recs []state.UsageRecord) {
	var failed []state.UsageRecord
	for i := range recs {
		if r := &recs[i]; !r.Ongoing {
			r.DurationSeconds = r.End.Sub(r.Start).Seconds()
		}
	}
	// In chunks, each one write: a checkpoint of every running meeting
	// written record by record was 50,000 round trips (or commits) every
	// 5 minutes, on the poll loop, from every instance.
	for len(recs) > 0 {
		chunk := recs[:min(len(recs), writeChunk)]
		recs = recs[len(chunk):]
		if err := t.store.AddUsage(chunk...); err != nil {
			failed = append(failed, chunk...)
			t.log.Warn("usage: cannot write records; retrying at the next poll", "records", len(chunk), "error", err)
			continue
		}
		for _, r := range chunk {
			if !r.Ongoing {
				t.log.Debug("usage: meeting ended", "tenant", r.Tenant, "meetingID", r.MeetingID, "server", r.Server,
					"minutes", r.DurationSeconds/60, "participant_minutes", r.ParticipantMinutes)
			}
		}
	}
	if len(failed) > 0 {
		const maxPending = 100000 // a bound, should the store stay away for days
		t.mu.Lock()
		t.pending = append(t.pending, failed...)
		if len(t.pending) > maxPending {
			t.pending = t.pending[len(t.pending)-maxPending:]
		}
		t.mu.Unlock()
	}
}

// writeChunk is how many records one store write carries.
const writeChunk = 2000

// Running returns the records of the meetings counted now, as if they
// ended at their last poll: for the dashboard's "this month".
func (t *Tracker) Running() []state.UsageRecord {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]state.UsageRecord, 0, len(t.live))
	for _, m := range t.live {
		r := m.final()
		r.Ongoing = true
		out = append(out, r)
	}
	return out
}
