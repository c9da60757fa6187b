package state

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The subscriber goroutine keeps this instance's memory in line with
// Redis. It alone applies events and resyncs, so the two never interleave:
//
//	subscribe ─▶ confirmed ─▶ resync (applied = seq) ─▶ live
//	   ▲                                                 │ events in seq order
//	   └─ backoff ◀─ connection lost / ping unanswered ◀─┘ check every interval
//
// A resync reads the seq before it scans, so events at or below it are
// already in the snapshot and skipped; later ones are applied on top.
// The check of every interval resyncs only if the seq, the epoch or
// Redis's run_id moved past what this instance applied (see inSync), and
// in full every fullResyncEvery intervals.

// maxBackoff caps the wait between reconnection attempts.
const maxBackoff = 2 * time.Second

// fullResyncEvery is how many resync intervals pass at most between two
// full resyncs (5 minutes at the default 30 s).
const fullResyncEvery = 10

func (r *Redis) subscribe(ctx context.Context) {
	defer close(r.done)
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		r.psMu.Lock()
		if ctx.Err() != nil { // Close ran: it must not miss a new subscription
			r.psMu.Unlock()
			return
		}
		r.ps = r.client.Subscribe(ctx, r.channel())
		ps := r.ps
		r.psMu.Unlock()
		synced, err := r.listen(ctx, ps)
		if synced {
			backoff = 50 * time.Millisecond // it was up for a while
		}
		ps.Close()
		if r.setLive(false) && ctx.Err() == nil {
			r.cfg.log.Warn("redis: lost the subscription; reads answer from memory, writes fail until it is back", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// listen receives on ps until the connection fails, pinging when it is
// quiet so that a silently dead connection is noticed; it reports whether
// it got as far as a resync, and why it stopped.
func (r *Redis) listen(ctx context.Context, ps *redis.PubSub) (synced bool, err error) {
	tick := min(r.cfg.timeout, r.cfg.resync)
	var lastSync, lastFull, pingSent time.Time
	needSync := false
	// A check that found events in flight waits for them (up to the write
	// timeout, as a writer waits for its own) instead of reloading.
	var awaitSeq int64
	var awaitUntil time.Time
	for ctx.Err() == nil {
		msg, err := ps.ReceiveTimeout(ctx, tick)
		var ne net.Error
		switch {
		case err != nil && errors.As(err, &ne) && ne.Timeout():
			if !pingSent.IsZero() && time.Since(pingSent) >= r.cfg.timeout {
				return synced, errors.New("ping unanswered")
			}
			if pingSent.IsZero() {
				if err := ps.Ping(ctx); err != nil {
					return synced, err
				}
				pingSent = time.Now()
			}
		case err != nil:
			return synced, err
		default:
			pingSent = time.Time{} // any traffic shows the connection alive
			switch m := msg.(type) {
			case *redis.Subscription:
				needSync = m.Kind == "subscribe"
			case *redis.Message:
				if r.handle(m.Payload) {
					needSync = true
				}
			}
		}
		select {
		case <-r.nudge:
			needSync = true
		default:
		}
		if awaitSeq != 0 && !needSync {
			switch {
			case r.caughtUp(awaitSeq):
				awaitSeq, lastSync = 0, time.Now()
			case time.Now().After(awaitUntil):
				awaitSeq, needSync = 0, true // they never came
			}
		}
		if !needSync && awaitSeq == 0 && !lastSync.IsZero() && time.Since(lastSync) >= r.cfg.resync {
			// The periodic safety net. A full resync reads every key (SCAN
			// and MGET of 50,000 placements, and their JSON, on a large
			// fleet: most of an idle instance's CPU after polling) to find
			// what is nearly always nothing. Every write bumps the seq and
			// publishes it, so an instance that applied every seq there is
			// holds what Redis holds; it reloads only when that is not so,
			// and in full every fullResyncEvery intervals for what no seq
			// shows (a placement's TTL running out, a hand-made change).
			if time.Since(lastFull) >= time.Duration(r.cfg.fullEvery)*r.cfg.resync {
				needSync = true
			} else if ok, want, err := r.inSync(ctx); err != nil {
				return synced, err
			} else if ok {
				lastSync = time.Now()
			} else if want != 0 {
				awaitSeq, awaitUntil = want, time.Now().Add(r.cfg.timeout)
			} else {
				needSync = true
			}
		}
		if needSync {
			wasLive := r.Live()
			if err := r.resync(ctx); err != nil {
				return synced, err // reconnect and resync from scratch
			}
			if !wasLive {
				r.cfg.log.Info("redis: subscribed and in sync", "meetings", len(r.mem.Meetings()))
			}
			needSync, synced, lastSync, awaitSeq = false, true, time.Now(), 0
			lastFull = lastSync
		}
	}
	return synced, ctx.Err()
}

// handle applies one event; it reports whether the event asks for a
// resync (another instance reseeded Redis).
func (r *Redis) handle(payload string) (resync bool) {
	parts := strings.SplitN(payload, " ", 4)
	if len(parts) != 4 {
		return false
	}
	seq, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return false
	}
	inst, op, body := parts[1], parts[2], parts[3]
	switch op {
	case "resv":
		if inst != r.id {
			r.reservation(body)
		}
		return false
	case "resync":
		return inst != r.id
	}
	r.seqMu.Lock()
	defer r.seqMu.Unlock()
	if seq <= r.applied {
		return false // already in the last resync's snapshot
	}
	if seq != r.applied+1 {
		r.unsure = true // an event between them never came
	}
	switch op {
	case "claim", "release":
		var m Meeting
		if json.Unmarshal([]byte(body), &m) != nil {
			return true // undecodable: trust a resync instead
		}
		if op == "claim" {
			r.mem.Put(m)
		} else {
			r.mem.Delete(m.Tenant, m.MeetingID)
		}
	case "rec":
		var e recordingEvent
		if json.Unmarshal([]byte(body), &e) != nil {
			return true
		}
		r.mem.SetRecordingOwner(e.RecordID, e.ServerID)
	case "doc":
		var e docEvent
		if json.Unmarshal([]byte(body), &e) != nil {
			return true
		}
		r.mem.SaveDoc(e.Name, e.Data)
	default:
		r.unsure = true // a newer version's event: the next periodic resync reloads
		return false
	}
	r.applied = seq
	if r.unsureSeq != 0 && seq >= r.unsureSeq {
		r.unsureSeq = 0 // the late events came, in order
	}
	r.broadcastLocked()
	return false
}

func (r *Redis) reservation(body string) {
	var res Reservation
	if json.Unmarshal([]byte(body), &res) != nil {
		return
	}
	r.resvMu.RLock()
	fns := r.onResv
	r.resvMu.RUnlock()
	for _, fn := range fns {
		fn(res)
	}
}

// setLive reports whether it changed anything.
func (r *Redis) setLive(live bool) bool {
	r.seqMu.Lock()
	defer r.seqMu.Unlock()
	if r.live == live {
		return false
	}
	r.live = live
	r.broadcastLocked()
	return true
}

// broadcastLocked wakes the writers waiting in settle.
func (r *Redis) broadcastLocked() {
	close(r.advanced)
	r.advanced = make(chan struct{})
}

// waitLive waits for the first resync, for OpenRedis.
func (r *Redis) waitLive(ctx context.Context) error {
	for {
		r.seqMu.Lock()
		live, ch := r.live, r.advanced
		r.seqMu.Unlock()
		if live {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
