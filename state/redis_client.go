package state

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOption configures OpenRedis.
type RedisOption func(*redisConfig)

type redisConfig struct {
	prefix string
	resync time.Duration
	// fullEvery is how many resync intervals pass at most between two
	// full resyncs (fullResyncEvery; the tests change it).
	fullEvery int
	timeout   time.Duration
	ttl       time.Duration
	log       *slog.Logger
}

// WithLogger logs the subscription's losses and recoveries and the
// rewriting of a Redis that lost its data (default: nothing).
func WithLogger(l *slog.Logger) RedisOption { return func(c *redisConfig) { c.log = l } }

// WithPrefix sets the prefix of every key and of the event channel
// (default "tinyscale:"), so that several deployments can share a Redis.
func WithPrefix(p string) RedisOption { return func(c *redisConfig) { c.prefix = p } }

// WithResyncInterval sets how often an instance checks that it missed no
// event (default 30s): it reloads everything from Redis when it did, and
// at least every 10 intervals anyway.
func WithResyncInterval(d time.Duration) RedisOption {
	return func(c *redisConfig) { c.resync = d }
}

// WithTimeout bounds every write (default 1s): a create must fail fast,
// not hang, when Redis is away.
func WithTimeout(d time.Duration) RedisOption { return func(c *redisConfig) { c.timeout = d } }

// WithMeetingTTL sets the safety expiry of a placement (default 7 days,
// 0 for none), renewed by every claim. It only covers servers that
// vanished: placements end when BBB says a meeting is gone, and a meeting
// still running when its key expires is adopted again by the next poll.
func WithMeetingTTL(d time.Duration) RedisOption { return func(c *redisConfig) { c.ttl = d } }

// newRedisClient builds the client with short timeouts unless the URL
// sets its own, and one retry, which replaces a pooled connection that
// died with a Redis restart. Its connections are named after the
// instance (unless the URL names them), so CLIENT LIST tells them apart.
func newRedisClient(rawURL string, timeout time.Duration, name string) (*redis.Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("state: redis URL: %w", err)
	}
	if u.Query().Has("master_name") {
		o, err := redis.ParseFailoverURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("state: redis URL: %w", err)
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout, o.MaxRetries =
			orDefault(o.DialTimeout, timeout/2), orDefault(o.ReadTimeout, timeout),
			orDefault(o.WriteTimeout, timeout), orDefault(o.PoolTimeout, timeout), orRetries(o.MaxRetries)
		o.ContextTimeoutEnabled = true
		o.DialerRetries = cmp.Or(o.DialerRetries, 1)
		o.ClientName = cmp.Or(o.ClientName, name)
		return redis.NewFailoverClient(o), nil
	}
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("state: redis URL: %w", err)
	}
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout, o.MaxRetries =
		orDefault(o.DialTimeout, timeout/2), orDefault(o.ReadTimeout, timeout),
		orDefault(o.WriteTimeout, timeout), orDefault(o.PoolTimeout, timeout), orRetries(o.MaxRetries)
	o.ContextTimeoutEnabled = true
	o.DialerRetries = cmp.Or(o.DialerRetries, 1) // a refused dial means Redis is away: say so now
	o.ClientName = cmp.Or(o.ClientName, name)
	return redis.NewClient(o), nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func orRetries(n int) int {
	if n == 0 {
		return 1
	}
	return n
}

// redactURL drops the password from a URL for error messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Redacted()
}
