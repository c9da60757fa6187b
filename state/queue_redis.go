package state

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// JobLease is how long an instance counts as alive after its last
// PutJob or AdoptJobs: when it dies, the other instances (or itself,
// restarted) adopt its queued jobs after at most this long. The deliver
// queue calls AdoptJobs well within it.
const JobLease = 30 * time.Second

// The queue in Redis: one hash of jobs (ID → redisJob as JSON), and one
// key per live instance that expires JobLease after its last sign of
// life. Jobs are not mirrored into memory and not rewritten by a resync:
// a Redis that lost its data lost the callbacks queued in it.
func (r *Redis) jobsKey() string             { return r.cfg.prefix + "jobs" }
func (r *Redis) aliveKey(inst string) string { return r.cfg.prefix + "alive:" + inst }

// redisJob is a job with the instance that holds it.
type redisJob struct {
	Job
	Owner string `json:"owner"`
}

// PutJob implements Store.
func (r *Redis) PutJob(j Job) error {
	v, err := json.Marshal(redisJob{Job: j, Owner: r.id})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	_, err = r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, r.aliveKey(r.id), "1", JobLease)
		p.HSet(ctx, r.jobsKey(), j.ID, v)
		return nil
	})
	if err != nil {
		return unavailable("queue job", err)
	}
	return nil
}

// DeleteJob implements Store.
func (r *Redis) DeleteJob(id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	if err := r.client.HDel(ctx, r.jobsKey(), id).Err(); err != nil {
		return unavailable("delete job", err)
	}
	return nil
}

// adoptScript: KEYS jobs hash; ARGV this instance, prefix of the alive
// keys, lease (ms). It renews this instance's alive key, then takes
// every job whose owner's alive key is gone, in one step, so that two
// instances never adopt the same job. Returns the adopted jobs' JSON.
var adoptScript = redis.NewScript(`
redis.call('SET', ARGV[2] .. ARGV[1], '1', 'PX', ARGV[3])
local out = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local ok, j = pcall(cjson.decode, all[i+1])
  if ok and j['owner'] ~= ARGV[1] and redis.call('EXISTS', ARGV[2] .. (j['owner'] or '')) == 0 then
    j['owner'] = ARGV[1]
    local v = cjson.encode(j)
    redis.call('HSET', KEYS[1], all[i], v)
    table.insert(out, v)
  end
end
return out
`)

// AdoptJobs implements Store.
func (r *Redis) AdoptJobs() ([]Job, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*r.cfg.timeout)
	defer cancel()
	res, err := adoptScript.Run(ctx, r.client, []string{r.jobsKey()},
		r.id, r.cfg.prefix+"alive:", JobLease.Milliseconds()).StringSlice()
	if err != nil {
		return nil, unavailable("adopt jobs", err)
	}
	out := make([]Job, 0, len(res))
	for _, v := range res {
		var j redisJob
		if err := json.Unmarshal([]byte(v), &j); err != nil {
			return out, fmt.Errorf("state: redis adopt jobs: %w", err)
		}
		out = append(out, j.Job)
	}
	return out, nil
}

// initDocScript: KEYS doc, seq; ARGV guard, data, channel, instance,
// event payload. Returns {stored document, seq}, seq 0 when the document
// existed and nothing was written.
var initDocScript = redis.NewScript(guard + `
local cur = redis.call('GET', KEYS[1])
if cur then return {cur, 0} end
redis.call('SET', KEYS[1], ARGV[2])
local seq = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[3], seq .. ' ' .. ARGV[4] .. ' doc ' .. ARGV[5])
return {ARGV[2], seq}
`)

// InitDoc implements Store atomically in Redis.
func (r *Redis) InitDoc(name string, data []byte) ([]byte, error) {
	ev, _ := json.Marshal(docEvent{name, data})
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	res, err := r.write(ctx, initDocScript, r.docKey(name), data, r.channel(), r.id, ev).Slice()
	if err != nil {
		return nil, unavailable("init "+name, err)
	}
	if len(res) != 2 {
		return nil, fmt.Errorf("state: redis init %s: unexpected reply %v", name, res)
	}
	stored, _ := res[0].(string)
	seq, _ := res[1].(int64)
	if seq != 0 {
		r.settle(seq, func() { r.mem.SaveDoc(name, data) })
	} else {
		r.mem.SaveDoc(name, []byte(stored))
	}
	return []byte(stored), nil
}

// ReleaseJobs tells the other instances at once that this one stopped
// delivering (its lease is dropped), so they adopt its queued jobs at
// their next AdoptJobs instead of after JobLease. The deliver queue calls
// it when it closes.
func (r *Redis) ReleaseJobs() error {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	if err := r.client.Del(ctx, r.aliveKey(r.id)).Err(); err != nil {
		return unavailable("release jobs", err)
	}
	return nil
}
