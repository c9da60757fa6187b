package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is the Store shared by several tinyscale instances. Redis holds
// the data; every instance keeps a copy in memory, updated by the events
// each write publishes and by a full resync when its subscription
// (re)connects; every ResyncInterval it checks that it is still in sync,
// and resyncs when it is not (see listen). Reads answer from that copy, so
// joins keep working while Redis is away; writes go to Redis and fail
// fast with ErrUnavailable when it cannot be reached.
//
// Redis Cluster is not supported (the scripts touch keys in several hash
// slots); use one primary, with replicas and Sentinel for failover.
type Redis struct {
	mem    *Memory
	client *redis.Client
	cfg    redisConfig
	id     string // this instance, to skip its own reservations

	// applied is the seq of the last event applied to mem (or of the last
	// resync); live says the subscription is up and mem is in sync.
	// Writers wait for their own event to be applied so that an instance
	// reads its own writes in the order Redis applied them.
	seqMu   sync.Mutex
	applied int64
	live    bool
	// unsure says that memory may differ from Redis in a way the seq does
	// not show (a write applied here without its event, an event skipped):
	// the next periodic resync reloads everything, not only checks.
	unsure bool
	// unsureSeq is the seq of the latest write applied here before its
	// event (its writer stopped waiting; the subscription stayed up): the
	// event is late, not lost, and applying it in order puts memory right
	// again. Until then memory may differ from Redis; 0 when nothing waits.
	unsureSeq int64
	resyncs   int           // full resyncs so far: for the tests
	advanced  chan struct{} // closed and replaced when applied or live change
	nudge     chan struct{} // asks the subscriber for a resync

	resvMu sync.RWMutex
	onResv []func(Reservation)

	// epoch and runID identify the data last synced with (checkEpoch);
	// guarded by seqMu.
	epoch, runID string
	lossMu       sync.RWMutex
	onLoss       []func()

	cancel context.CancelFunc
	done   chan struct{}
	psMu   sync.Mutex
	ps     *redis.PubSub // the current subscription, closed by Close

	srec      redisRecordings // the stored recordings' index: recordings_redis.go
	hooksSeen hookCache       // the last hooks read (hooks_redis.go)
}

// DefaultMeetingTTL is the safety expiry of a placement in Redis.
const DefaultMeetingTTL = 7 * 24 * time.Hour

// OpenRedis connects to the Redis at rawURL (redis://, rediss:// or
// unix://; a redis:// URL with master_name=… goes through Sentinel, see
// redis.ParseFailoverURL), loads everything into memory and subscribes to
// the other instances' changes. ctx bounds the first load only.
func OpenRedis(ctx context.Context, rawURL string, opts ...RedisOption) (*Redis, error) {
	cfg := redisConfig{prefix: "tinyscale:", resync: 30 * time.Second, fullEvery: fullResyncEvery, timeout: time.Second, ttl: DefaultMeetingTTL,
		log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&cfg)
	}
	var idb [8]byte
	rand.Read(idb[:])
	id := hex.EncodeToString(idb[:])
	client, err := newRedisClient(rawURL, cfg.timeout, "tinyscale-"+id)
	if err != nil {
		return nil, err
	}
	r := &Redis{mem: NewMemory(), client: client, cfg: cfg, id: id,
		advanced: make(chan struct{}), nudge: make(chan struct{}, 1), done: make(chan struct{})}
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("state: redis %s: %w: %w", redactURL(rawURL), ErrUnavailable, err)
	}
	subCtx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go r.subscribe(subCtx)
	if err := r.waitLive(ctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("state: redis %s: first load: %w: %w", redactURL(rawURL), ErrUnavailable, err)
	}
	return r, nil
}

// Keys. A meeting's key escapes its tenant so that the first ':' after
// "m:" ends it; the value holds tenant and meeting ID anyway.
var tenantEscaper = strings.NewReplacer("%", "%25", ":", "%3A")

func (r *Redis) meetingKey(tenant, meetingID string) string {
	return r.cfg.prefix + "m:" + tenantEscaper.Replace(tenant) + ":" + meetingID
}
func (r *Redis) docKey(name string) string { return r.cfg.prefix + "doc:" + name }
func (r *Redis) seqKey() string            { return r.cfg.prefix + "seq" }
func (r *Redis) epochKey() string          { return r.cfg.prefix + "epoch" }
func (r *Redis) recordingsKey() string     { return r.cfg.prefix + "recordings" }
func (r *Redis) channel() string           { return r.cfg.prefix + "events" }

// Lookup implements Store from memory.
func (r *Redis) Lookup(tenant, meetingID string) (string, bool) {
	return r.mem.Lookup(tenant, meetingID)
}

// Get implements Store from memory.
func (r *Redis) Get(tenant, meetingID string) (Meeting, bool) { return r.mem.Get(tenant, meetingID) }

// Meetings implements Store from memory.
func (r *Redis) Meetings() []Meeting { return r.mem.Meetings() }

// AppendMeetings implements Store from memory.
func (r *Redis) AppendMeetings(dst []Meeting) []Meeting { return r.mem.AppendMeetings(dst) }

// TenantMeetings implements Store from memory.
func (r *Redis) TenantMeetings(tenant string) int { return r.mem.TenantMeetings(tenant) }

// RecordingOwner implements Store from memory.
func (r *Redis) RecordingOwner(recordID string) (string, bool) {
	return r.mem.RecordingOwner(recordID)
}

// LoadDoc implements Store from memory: the last version this instance
// saw, even while Redis is away.
func (r *Redis) LoadDoc(name string) ([]byte, error) { return r.mem.LoadDoc(name) }

// Recordings returns every recording owner, for export.
func (r *Redis) Recordings() map[string]string { return r.mem.Recordings() }

// DocNames returns every document name, for export.
func (r *Redis) DocNames() []string { return r.mem.DocNames() }

// unavailable wraps a Redis error: the caller learns that the store could
// not be reached (or did not answer in time) and refuses the write.
func unavailable(what string, err error) error {
	return fmt.Errorf("state: redis %s: %w: %w", what, ErrUnavailable, err)
}

// write runs a write script on key with the guard flag (see
// redis_scripts.go). When the guard finds that Redis lost its data, it
// asks the subscriber for the resync that writes memory back.
func (r *Redis) write(ctx context.Context, script *redis.Script, key string, args ...any) *redis.Cmd {
	flag := "0"
	if !r.mem.empty() {
		flag = "1"
	}
	cmd := script.Run(ctx, r.client, []string{key, r.seqKey()}, append([]any{flag}, args...)...)
	r.lost(cmd.Err())
	return cmd
}

// lost asks the subscriber for the resync that writes memory back when a
// write's guard found that Redis lost its data.
func (r *Redis) lost(err error) {
	if err != nil && strings.HasPrefix(err.Error(), "TINYSCALE_LOST") {
		select {
		case r.nudge <- struct{}{}:
		default: // a resync is already asked for
		}
	}
}

// Claim implements Store atomically in Redis (see claimScript). A zero
// CreatedAt is set to now.
func (r *Redis) Claim(m Meeting, prev string) (string, error) {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now()
	}
	v, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	res, err := r.write(ctx, claimScript, r.meetingKey(m.Tenant, m.MeetingID),
		prev, m.ServerID, v, r.cfg.ttl.Milliseconds(), r.channel(), r.id).Slice()
	if err != nil {
		return "", unavailable("claim "+m.MeetingID, err)
	}
	if len(res) != 2 {
		return "", fmt.Errorf("state: redis claim %s: unexpected reply %v", m.MeetingID, res)
	}
	owner, _ := res[0].(string)
	seq, _ := res[1].(int64)
	if seq == 0 {
		return owner, nil
	}
	r.settle(seq, func() { r.mem.Put(m) })
	return owner, nil
}

// Release implements Store.
func (r *Redis) Release(tenant, meetingID, serverID string) error {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	seq, err := r.write(ctx, releaseScript, r.meetingKey(tenant, meetingID),
		serverID, r.channel(), r.id).Int64()
	if err != nil {
		return unavailable("release "+meetingID, err)
	}
	if seq != 0 {
		r.settle(seq, func() { r.mem.Delete(tenant, meetingID) })
	}
	return nil
}

// recordingEvent and docEvent are the payloads of the rec and doc events.
type recordingEvent struct {
	RecordID string `json:"id"`
	ServerID string `json:"server"`
}

type docEvent struct {
	Name string `json:"name"`
	Data []byte `json:"data"`
}

// SetRecordingOwner implements Store.
func (r *Redis) SetRecordingOwner(recordID, serverID string) error {
	ev, _ := json.Marshal(recordingEvent{recordID, serverID})
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	seq, err := r.write(ctx, recordingScript, r.recordingsKey(),
		recordID, serverID, r.channel(), r.id, ev).Int64()
	if err != nil {
		return unavailable("recording "+recordID, err)
	}
	r.settle(seq, func() { r.mem.SetRecordingOwner(recordID, serverID) })
	return nil
}

// SaveDoc implements Store. Documents travel in events, so keep them
// small (the admin overlay is a few hundred bytes).
func (r *Redis) SaveDoc(name string, data []byte) error {
	ev, _ := json.Marshal(docEvent{name, data})
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	seq, err := r.write(ctx, docScript, r.docKey(name),
		data, r.channel(), r.id, ev).Int64()
	if err != nil {
		return unavailable("save "+name, err)
	}
	r.settle(seq, func() { r.mem.SaveDoc(name, data) })
	return nil
}

// settle returns once this instance's memory shows the write of seq: it
// waits for its event while the subscription is live, for at most the
// write timeout. Without a live subscription (or if the event is late) it
// applies the write itself; the next resync puts any reordering right.
func (r *Redis) settle(seq int64, apply func()) {
	deadline := time.NewTimer(r.cfg.timeout)
	defer deadline.Stop()
	for {
		r.seqMu.Lock()
		applied, live, ch := r.applied, r.live, r.advanced
		r.seqMu.Unlock()
		if live && applied >= seq {
			return
		}
		if !live {
			r.applyUnsure(seq, apply)
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			r.applyUnsure(seq, apply)
			return
		}
	}
}

// applyUnsure applies the write of seq without its event: the order of
// writes may now differ from Redis's. With the subscription up the event
// is only late, and applying it in its turn puts that right (unsureSeq);
// without, only a full resync does.
//
// It holds seqMu across the apply, as the subscriber does for events, so
// that an event applied between the writer's deadline and this call is
// not overwritten by the older write: the event, in order, is the truth.
func (r *Redis) applyUnsure(seq int64, apply func()) {
	r.seqMu.Lock()
	defer r.seqMu.Unlock()
	if r.live && r.applied >= seq {
		return // its event came after all
	}
	apply()
	if r.live {
		r.unsureSeq = max(r.unsureSeq, seq)
	} else {
		r.unsure = true
	}
}

// ShareReservation implements Sharer: a plain PUBLISH, outside the
// sequence of writes, as reservations are hints and live seconds.
func (r *Redis) ShareReservation(res Reservation) error {
	v, err := json.Marshal(res)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	if err := r.client.Publish(ctx, r.channel(), "0 "+r.id+" resv "+string(v)).Err(); err != nil {
		return unavailable("share reservation", err)
	}
	return nil
}

// OnReservation implements Sharer.
func (r *Redis) OnReservation(fn func(Reservation)) {
	r.resvMu.Lock()
	r.onResv = append(r.onResv, fn)
	r.resvMu.Unlock()
}

// Live reports whether this instance is subscribed to Redis and in sync:
// for health checks and metrics.
func (r *Redis) Live() bool {
	r.seqMu.Lock()
	defer r.seqMu.Unlock()
	return r.live
}

// Close implements Store: it stops the subscriber and closes the client.
// Reads keep answering from memory; writes fail.
func (r *Redis) Close() error {
	r.cancel()
	r.psMu.Lock()
	if r.ps != nil {
		r.ps.Close() // unblocks a pending receive
	}
	r.psMu.Unlock()
	<-r.done
	return r.client.Close()
}
