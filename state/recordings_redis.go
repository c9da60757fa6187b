package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/redis/go-redis/v9"
)

// The stored recordings' index in Redis: a hash (recordID → JSON), a
// version counter bumped by every write, and a sorted set of recordIDs
// scored by the version that last changed them. An instance reading the
// index asks for the version (one GET) and fetches only what changed since
// the version it holds, so a query over 100,000 recordings answers from
// memory yet sees every instance's writes at once.

// redisRecordings is the Redis store's copy of the index and how far it
// is synced.
type redisRecordings struct {
	mu  sync.Mutex // one sync at a time
	ver int64      // version of the copy; 0: never loaded
}

func (r *Redis) srecKey() string    { return r.cfg.prefix + "srec" }
func (r *Redis) srecVerKey() string { return r.cfg.prefix + "srec:ver" }
func (r *Redis) srecLogKey() string { return r.cfg.prefix + "srec:log" }

// srecWriteScript: KEYS hash, version, log; ARGV recordID, JSON ("" to
// delete). Returns the new version.
var srecWriteScript = redis.NewScript(`
local v = redis.call('INCR', KEYS[2])
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('ZADD', KEYS[3], v, ARGV[1])
return v
`)

func (r *Redis) srecWrite(recordID string, v []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	err := srecWriteScript.Run(ctx, r.client, []string{r.srecKey(), r.srecVerKey(), r.srecLogKey()}, recordID, string(v)).Err()
	if err != nil {
		return unavailable("store recording "+recordID, err)
	}
	return nil
}

// PutStoredRecording implements RecordingIndex.
func (r *Redis) PutStoredRecording(rec StoredRecording) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := r.srecWrite(rec.RecordID, v); err != nil {
		return err
	}
	r.mem.srecs.put(rec)
	return nil
}

// DeleteStoredRecording implements RecordingIndex.
func (r *Redis) DeleteStoredRecording(recordID string) error {
	if err := r.srecWrite(recordID, nil); err != nil {
		return err
	}
	r.mem.srecs.remove(recordID)
	return nil
}

// syncRecordings brings the copy up to Redis's version. While Redis cannot
// be reached, the copy answers as it is.
func (r *Redis) syncRecordings() {
	r.srec.mu.Lock()
	defer r.srec.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	ver, err := r.client.Get(ctx, r.srecVerKey()).Int64()
	if errors.Is(err, redis.Nil) {
		ver, err = 0, nil
	}
	if err != nil || ver == r.srec.ver {
		return
	}
	if r.srec.ver == 0 || ver < r.srec.ver {
		// First load, or Redis lost its data: take the whole hash.
		all, err := r.client.HGetAll(ctx, r.srecKey()).Result()
		if err != nil {
			return
		}
		fresh := &recordingIndex{}
		for _, v := range all {
			var rec StoredRecording
			if json.Unmarshal([]byte(v), &rec) == nil {
				fresh.put(rec)
			}
		}
		r.mem.srecs.replace(fresh)
		r.srec.ver = ver
		return
	}
	ids, err := r.client.ZRangeArgs(ctx, redis.ZRangeArgs{Key: r.srecLogKey(), ByScore: true,
		Start: "(" + strconv.FormatInt(r.srec.ver, 10), Stop: strconv.FormatInt(ver, 10)}).Result()
	if err != nil {
		return
	}
	if len(ids) > 0 {
		vals, err := r.client.HMGet(ctx, r.srecKey(), ids...).Result()
		if err != nil {
			return
		}
		for i, v := range vals {
			s, ok := v.(string)
			if !ok {
				r.mem.srecs.remove(ids[i])
				continue
			}
			var rec StoredRecording
			if err := json.Unmarshal([]byte(s), &rec); err != nil {
				r.cfg.log.Warn("state: stored recording unreadable", "record_id", ids[i], "error", fmt.Sprint(err))
				continue
			}
			r.mem.srecs.put(rec)
		}
	}
	r.srec.ver = ver
}

// StoredRecording implements RecordingIndex.
func (r *Redis) StoredRecording(recordID string) (StoredRecording, bool) {
	r.syncRecordings()
	return r.mem.srecs.get(recordID)
}

// EachStoredRecording implements RecordingIndex.
func (r *Redis) EachStoredRecording(tenant string, fn func(*StoredRecording) bool) {
	r.syncRecordings()
	r.mem.srecs.each(tenant, fn)
}

// StoredRecordingsOf implements RecordingIndex.
func (r *Redis) StoredRecordingsOf(tenant, meetingID string) []StoredRecording {
	r.syncRecordings()
	return r.mem.srecs.of(tenant, meetingID)
}

// CountStoredRecordings implements RecordingIndex.
func (r *Redis) CountStoredRecordings(tenant, state string) int {
	r.syncRecordings()
	return r.mem.srecs.count(tenant, state)
}

// StoredRecordingsAt implements RecordingIndex.
func (r *Redis) StoredRecordingsAt(tenant string, states []string, from, n int) []StoredRecording {
	r.syncRecordings()
	return r.mem.srecs.at(tenant, states, from, n)
}

// CountStoredRecordingsUntil implements RecordingIndex.
func (r *Redis) CountStoredRecordingsUntil(tenant string, states []string, t int64) int {
	r.syncRecordings()
	return r.mem.srecs.until(tenant, states, t)
}

// AllStoredRecordings implements RecordingIndex.
func (r *Redis) AllStoredRecordings() []StoredRecording {
	r.syncRecordings()
	return r.mem.srecs.all()
}
