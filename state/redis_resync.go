package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// resyncTimeout bounds one full reload: long enough for a large Redis,
// short enough that a hung one is noticed.
const resyncTimeout = 30 * time.Second

// scanBatch is the number of keys fetched per SCAN and MGET.
const scanBatch = 500

// resync reloads everything from Redis into memory and marks the instance
// live. Called only by the subscriber goroutine, after the subscription is
// confirmed, so no event can fall between the snapshot and the stream.
func (r *Redis) resync(parent context.Context) error {
	ctx, cancel := context.WithTimeout(parent, resyncTimeout)
	defer cancel()
	lost, why, err := r.checkEpoch(ctx)
	if err != nil {
		return err
	}
	seq, err := r.client.Get(ctx, r.seqKey()).Int64()
	if errors.Is(err, redis.Nil) && !r.mem.empty() {
		lost, why = true, "its data is gone"
		// Redis lost its data (restarted without persistence) while this
		// instance remembers placements: forgetting them would split every
		// running meeting at its next create, so write them back.
		if err := r.reseed(ctx); err != nil {
			return err
		}
		r.cfg.log.Warn("redis: it lost its data (no persistence?); wrote this instance's placements back",
			"meetings", len(r.mem.Meetings()))
		seq, err = r.client.Get(ctx, r.seqKey()).Int64()
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	r.seqMu.Lock()
	if seq < r.applied {
		lost, why = true, "its sequence went back (restored from an older snapshot?)"
	}
	r.seqMu.Unlock()
	snap := snapshot{recordings: map[string]string{}, docs: map[string][]byte{}}
	err = r.scan(ctx, r.cfg.prefix+"m:", func(_ string, v []byte) {
		var m Meeting
		if json.Unmarshal(v, &m) == nil {
			snap.meetings = append(snap.meetings, m)
		}
	})
	if err != nil {
		return err
	}
	err = r.scan(ctx, r.docKey(""), func(k string, v []byte) {
		snap.docs[strings.TrimPrefix(k, r.docKey(""))] = v
	})
	if err != nil {
		return err
	}
	it := r.client.HScan(ctx, r.recordingsKey(), 0, "", scanBatch).Iterator()
	for it.Next(ctx) {
		id := it.Val()
		if !it.Next(ctx) {
			break
		}
		snap.recordings[id] = it.Val()
	}
	if err := it.Err(); err != nil {
		return err
	}
	r.seqMu.Lock()
	r.mem.replace(snap)
	r.applied = seq
	r.live = true
	r.unsure, r.unsureSeq = false, 0
	r.resyncs++
	r.broadcastLocked()
	r.seqMu.Unlock()
	if lost {
		r.cfg.log.Warn("redis: placements may have been lost: "+why+"; new meetings wait until the servers were asked what runs", "meetings", len(snap.meetings))
		r.lossMu.RLock()
		fns := r.onLoss
		r.lossMu.RUnlock()
		for _, fn := range fns {
			fn()
		}
	}
	return nil
}

// inSync reports whether memory still holds what Redis holds, as far as
// three reads in one round trip can tell: the epoch and Redis's run_id
// are those of the last resync, nothing was applied out of order since
// (unsure), and this instance applied every seq up to the one read. Under
// a stream of writes the seq read is usually ahead of the events already
// received: then it returns want, the seq to wait for, and the caller
// judges once the events in flight arrived (or did not). Anything else, a
// key missing included, is for a full resync to judge.
func (r *Redis) inSync(parent context.Context) (ok bool, want int64, err error) {
	ctx, cancel := context.WithTimeout(parent, r.cfg.timeout)
	defer cancel()
	pipe := r.client.Pipeline()
	epoch := pipe.Get(ctx, r.epochKey())
	info := pipe.Info(ctx, "server")
	seqCmd := pipe.Get(ctx, r.seqKey())
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return false, 0, err
	}
	seq, err := seqCmd.Int64()
	if err != nil || epoch.Err() != nil || info.Err() != nil {
		return false, 0, nil
	}
	r.seqMu.Lock()
	defer r.seqMu.Unlock()
	if !r.live || r.unsure || epoch.Val() != r.epoch || infoField(info.Val(), "run_id") != r.runID || seq < r.applied {
		return false, 0, nil
	}
	want = max(seq, r.unsureSeq)
	if r.applied >= want {
		return true, 0, nil
	}
	return false, want, nil
}

// caughtUp reports whether every seq up to want was applied, in order.
func (r *Redis) caughtUp(want int64) bool {
	r.seqMu.Lock()
	defer r.seqMu.Unlock()
	return r.live && !r.unsure && r.applied >= want
}

// checkEpoch reads the generation of the data this instance last synced
// with: the epoch key (a random token made by the first instance to find
// it missing) and Redis's run_id. A changed epoch means the data was
// replaced (flushed, a new Redis); a changed run_id means Redis restarted
// or failed over, and what it loaded (an older snapshot, a lagging replica)
// may lack recent placements. The first check after OpenRedis only
// remembers them.
func (r *Redis) checkEpoch(ctx context.Context) (lost bool, why string, err error) {
	epoch, err := r.client.Get(ctx, r.epochKey()).Result()
	if errors.Is(err, redis.Nil) {
		var b [16]byte
		rand.Read(b[:])
		if err := r.client.SetNX(ctx, r.epochKey(), hex.EncodeToString(b[:]), 0).Err(); err != nil {
			return false, "", err
		}
		epoch, err = r.client.Get(ctx, r.epochKey()).Result()
	}
	if err != nil {
		return false, "", err
	}
	info, err := r.client.Info(ctx, "server").Result()
	if err != nil {
		return false, "", err
	}
	runID := infoField(info, "run_id")
	r.seqMu.Lock()
	defer r.seqMu.Unlock()
	switch {
	case r.epoch == "":
	case epoch != r.epoch:
		lost, why = true, "its data was replaced (flushed?)"
	case runID != r.runID:
		lost, why = true, "it restarted or failed over"
	}
	r.epoch, r.runID = epoch, runID
	return lost, why, nil
}

// infoField reads one field of an INFO answer.
func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return ""
}

// OnLoss implements LossNotifier.
func (r *Redis) OnLoss(fn func()) {
	r.lossMu.Lock()
	r.onLoss = append(r.onLoss, fn)
	r.lossMu.Unlock()
}

// scan calls fn with every string key that starts with prefix and its
// value. The prefix is escaped, so one with glob characters still works.
func (r *Redis) scan(ctx context.Context, prefix string, fn func(k string, v []byte)) error {
	pattern := globEscaper.Replace(prefix) + "*"
	var cursor uint64
	for {
		keys, next, err := r.client.Scan(ctx, cursor, pattern, scanBatch).Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			vals, err := r.client.MGet(ctx, keys...).Result()
			if err != nil {
				return err
			}
			for i, v := range vals {
				if s, ok := v.(string); ok { // nil: expired since the scan
					fn(keys[i], []byte(s))
				}
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

var globEscaper = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)

// reseed writes this instance's memory into an empty Redis, atomically
// and without overwriting anything (see reseedScript).
func (r *Redis) reseed(ctx context.Context) error {
	meetings := r.mem.Meetings()
	recs := r.mem.Recordings()
	args := []any{r.channel(), r.id, r.cfg.ttl.Milliseconds(), len(meetings), len(recs)}
	for _, m := range meetings {
		v, err := json.Marshal(m)
		if err != nil {
			return err
		}
		args = append(args, r.meetingKey(m.Tenant, m.MeetingID), v)
	}
	for id, s := range recs {
		args = append(args, id, s)
	}
	for _, name := range r.mem.DocNames() {
		d, _ := r.mem.LoadDoc(name)
		args = append(args, r.docKey(name), d)
	}
	return reseedScript.Run(ctx, r.client, []string{r.seqKey(), r.recordingsKey()}, args...).Err()
}
