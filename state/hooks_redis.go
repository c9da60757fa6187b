package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Webhooks in Redis: a hash of hooks by ID, a hash from
// tenant\x00callbackURL to ID (the duplicate check) and a counter for the
// IDs. They are read from Redis
// on use (hooks/list, the relay of an event; never a join); when Redis
// is away, reads answer what this instance last saw.

func (r *Redis) hooksKey() string    { return r.cfg.prefix + "hooks" }
func (r *Redis) hookURLsKey() string { return r.cfg.prefix + "hook_urls" }
func (r *Redis) hookSeqKey() string  { return r.cfg.prefix + "hook_seq" }

// hookCache is the last list of hooks read from Redis.
type hookCache struct {
	mu    sync.Mutex
	hooks []Hook
	ok    bool
}

// addHookScript: KEYS hooks, urls, seq; ARGV url key, hook JSON whose
// first member is "id":"". Returns {JSON, 1} for a duplicate, else the
// new hook's JSON and 0. The ID and the write are one atomic step, so two
// instances never give out one ID.
var addHookScript = redis.NewScript(`
local id = redis.call('HGET', KEYS[2], ARGV[1])
if id then
  local v = redis.call('HGET', KEYS[1], id)
  if v then return {v, 1} end
end
id = tostring(redis.call('INCR', KEYS[3]))
local v = '{"id":"' .. id .. '"' .. string.sub(ARGV[2], 9)
redis.call('HSET', KEYS[1], id, v)
redis.call('HSET', KEYS[2], ARGV[1], id)
return {v, 0}
`)

// removeHookScript: KEYS hooks, urls; ARGV id, tenant. Returns 1 if the
// tenant's hook was removed.
var removeHookScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
local h = cjson.decode(v)
if h['tenant'] ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], h['tenant'] .. '\0' .. h['callback_url'])
return 1
`)

const emptyIDPrefix = `{"id":""`

// AddHook implements HookStore.
func (r *Redis) AddHook(h Hook) (Hook, bool, error) {
	if h.CreatedAt.IsZero() {
		h.CreatedAt = time.Now()
	}
	h.ID = ""
	v, err := json.Marshal(h)
	if err != nil {
		return Hook{}, false, err
	}
	if !strings.HasPrefix(string(v), emptyIDPrefix) {
		return Hook{}, false, errors.New("state: hook JSON does not start with its id")
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	res, err := addHookScript.Run(ctx, r.client, []string{r.hooksKey(), r.hookURLsKey(), r.hookSeqKey()},
		string(hookURLKey(h.Tenant, h.CallbackURL)), string(v)).Slice()
	if err != nil {
		return Hook{}, false, unavailable("add hook", err)
	}
	if len(res) != 2 {
		return Hook{}, false, fmt.Errorf("state: redis add hook: unexpected reply %v", res)
	}
	js, _ := res[0].(string)
	dup, _ := res[1].(int64)
	var out Hook
	if err := json.Unmarshal([]byte(js), &out); err != nil {
		return Hook{}, false, fmt.Errorf("state: redis add hook: %w", err)
	}
	return out, dup == 1, nil
}

// RemoveHook implements HookStore.
func (r *Redis) RemoveHook(tenant, id string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	n, err := removeHookScript.Run(ctx, r.client, []string{r.hooksKey(), r.hookURLsKey()}, id, tenant).Int64()
	if err != nil {
		return false, unavailable("remove hook", err)
	}
	return n == 1, nil
}

// Hooks implements HookStore. With Redis away it answers the last list
// this instance read, if any.
func (r *Redis) Hooks() ([]Hook, error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	vals, err := r.client.HVals(ctx, r.hooksKey()).Result()
	c := &r.hooksSeen
	if err != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.ok {
			return slices.Clone(c.hooks), nil
		}
		return nil, unavailable("hooks", err)
	}
	out := make([]Hook, 0, len(vals))
	for _, v := range vals {
		var h Hook
		if json.Unmarshal([]byte(v), &h) == nil {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, hookLess)
	c.mu.Lock()
	c.hooks, c.ok = slices.Clone(out), true
	c.mu.Unlock()
	return out, nil
}
