package main

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisCalls reads INFO commandstats: the calls of each command Redis has
// answered since it started ("get", "evalsha", ...). The INFO calls of the
// benchmark itself are left out.
func redisCalls(ctx context.Context, c *redis.Client) (map[string]int64, error) {
	info, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, err
	}
	calls := map[string]int64{}
	for line := range strings.Lines(info) {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		name, isCmd := strings.CutPrefix(name, "cmdstat_")
		if !ok || !isCmd || name == "info" {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(kv, "calls="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				calls[name] = n
			}
		}
	}
	return calls, nil
}

// callDelta is after minus before, command by command, and the total.
func callDelta(before, after map[string]int64) (map[string]int64, int64) {
	d := map[string]int64{}
	var total int64
	for k, v := range after {
		if n := v - before[k]; n != 0 {
			d[k] = n
			total += n
		}
	}
	return d, total
}

// redisProc is a redis-server the benchmark runs for itself: without
// persistence, on a free loopback port, dying with the benchmark.
type redisProc struct {
	*child
	addr string
}

// startRedis starts redis-server in dir and waits until it answers PING.
func startRedis(ctx context.Context, dir string) (*redisProc, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("the scale scenario runs its own redis-server: %v", err)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--daemonize", "no", "--loglevel", "warning")
	c, err := startChild("redis-server", cmd)
	if err != nil {
		return nil, err
	}
	r := &redisProc{child: c, addr: addr}
	rc := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		err := rc.Ping(pctx).Err()
		cancel()
		if err == nil {
			return r, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			r.stop()
			return nil, fmt.Errorf("redis-server on %s did not answer: %v: %s", addr, err, c.tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// slowCommands empties Redis's slow log, or, with report, says what it
// holds: the commands that took Redis itself 10 ms or more since the
// last call (its default threshold), slowest first, briefly.
func slowCommands(ctx context.Context, c *redis.Client, report bool) (string, error) {
	if !report {
		return "", c.SlowLogReset(ctx).Err()
	}
	logs, err := c.SlowLogGet(ctx, 128).Result()
	if err != nil {
		return "", err
	}
	if len(logs) == 0 {
		return "none", nil
	}
	slices.SortFunc(logs, func(a, b redis.SlowLog) int { return cmp.Compare(b.Duration, a.Duration) })
	var out []string
	for _, l := range logs[:min(len(logs), 5)] {
		name := "?"
		if len(l.Args) > 0 {
			name = strings.ToLower(l.Args[0])
		}
		out = append(out, fmt.Sprintf("%s %s", name, fmtDur(l.Duration)))
	}
	return fmt.Sprintf("%d, the slowest: %s", len(logs), strings.Join(out, ", ")), nil
}
