package state

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Usage records in Redis: a hash from usageKey to the record's JSON, and
// a sorted set of the keys scored by start (Unix milliseconds, exact in a
// float64), for ranges. They are not copied into memory and travel in no
// event: no instance needs them on the request path.
func (r *Redis) usageHashKey() string  { return r.cfg.prefix + "usage:rec" }
func (r *Redis) usageIndexKey() string { return r.cfg.prefix + "usage:idx" }

// usageTimeout bounds a usage query, which may read a month of records.
const usageTimeout = 30 * time.Second

// AddUsage implements UsageStore: every usageChunk records are one
// MULTI of one HSET and one ZADD, so that the index never names a key
// the hash lacks.
func (r *Redis) AddUsage(recs ...UsageRecord) error {
	for len(recs) > 0 {
		n := min(len(recs), usageChunk)
		if err := r.addUsage(recs[:n]); err != nil {
			return err
		}
		recs = recs[n:]
	}
	return nil
}

// usageChunk bounds the records of one Redis transaction: a checkpoint of
// 50,000 meetings is 100 round trips, none of which holds Redis long.
const usageChunk = 500

func (r *Redis) addUsage(recs []UsageRecord) error {
	fields := make([]any, 0, 2*len(recs))
	members := make([]redis.Z, 0, len(recs))
	for _, rec := range recs {
		v, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		k := string(usageKey(rec))
		fields = append(fields, k, v)
		members = append(members, redis.Z{Score: float64(rec.Start.UnixMilli()), Member: k})
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, r.usageHashKey(), fields...)
		p.ZAdd(ctx, r.usageIndexKey(), members...)
		return nil
	})
	if err != nil {
		return unavailable("write usage", err)
	}
	return nil
}

// usageRange is the query of the keys of starts in [from, to).
func (r *Redis) usageRange(from, to time.Time) redis.ZRangeArgs {
	return redis.ZRangeArgs{Key: r.usageIndexKey(), ByScore: true,
		Start: strconv.FormatInt(from.UnixMilli(), 10), Stop: "(" + strconv.FormatInt(to.UnixMilli(), 10)}
}

// Usage implements UsageStore.
func (r *Redis) Usage(from, to time.Time) ([]UsageRecord, error) {
	ctx, cancel := context.WithTimeout(context.Background(), usageTimeout)
	defer cancel()
	keys, err := r.client.ZRangeArgs(ctx, r.usageRange(from, to)).Result()
	if err != nil {
		return nil, unavailable("read usage", err)
	}
	out := make([]UsageRecord, 0, len(keys))
	const batch = 500
	for len(keys) > 0 {
		n := min(batch, len(keys))
		vals, err := r.client.HMGet(ctx, r.usageHashKey(), keys[:n]...).Result()
		if err != nil {
			return nil, unavailable("read usage", err)
		}
		for _, v := range vals {
			s, ok := v.(string)
			if !ok {
				continue // pruned meanwhile
			}
			var rec UsageRecord
			if json.Unmarshal([]byte(s), &rec) == nil {
				out = append(out, rec)
			}
		}
		keys = keys[n:]
	}
	return out, nil
}

// PruneUsage implements UsageStore.
func (r *Redis) PruneUsage(before time.Time) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), usageTimeout)
	defer cancel()
	keys, err := r.client.ZRangeArgs(ctx, r.usageRange(time.Unix(0, 0), before)).Result()
	if err != nil {
		return 0, unavailable("prune usage", err)
	}
	if len(keys) == 0 {
		return 0, nil
	}
	members := make([]any, len(keys))
	for i, k := range keys {
		members[i] = k
	}
	_, err = r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HDel(ctx, r.usageHashKey(), keys...)
		p.ZRem(ctx, r.usageIndexKey(), members...)
		return nil
	})
	if err != nil {
		return 0, unavailable("prune usage", err)
	}
	return len(keys), nil
}
