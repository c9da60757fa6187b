package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/tinyscale/tinyscale/config"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
)

// stateFile is the embedded store's file name under TINYSCALE_DATA.
const stateFile = "tinyscale.db"

// openStore opens the configured state store: Redis when
// TINYSCALE_REDIS_URL is set, else the embedded file under TINYSCALE_DATA.
func openStore(ctx context.Context, env *config.Env, log *slog.Logger) (state.Store, error) {
	if env.RedisURL != "" {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		s, err := state.OpenRedis(ctx, env.RedisURL, state.WithLogger(log))
		if err != nil {
			return nil, fmt.Errorf("TINYSCALE_REDIS_URL: %v", err)
		}
		return s, nil
	}
	if err := os.MkdirAll(env.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("TINYSCALE_DATA=%s: %v", env.DataDir, err)
	}
	s, err := state.OpenBolt(filepath.Join(env.DataDir, stateFile))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// share connects the pool's reservations to the other instances sharing
// the store, when it is shared (Redis): a burst split over two instances
// then spreads as evenly as on one.
func share(p *pool.Pool, store state.Store) {
	sh, ok := store.(state.Sharer)
	if !ok {
		return
	}
	p.Share(func(r pool.Reservation) { sh.ShareReservation(state.Reservation(r)) })
	sh.OnReservation(func(r state.Reservation) { p.ApplyRemote(pool.Reservation(r)) })
	if pl, ok := store.(state.Placer); ok {
		// The pending load the store keeps for exact placement ends early
		// for a meeting that came to nothing (see state.Placer).
		p.OnSettled(func(serverID string, ids []string) {
			sp := p.CurrentSpan()
			pl.Settled(serverID, ids, state.PendingSpan{Now: sp.Now, Length: sp.Length, Keep: sp.Keep})
		})
	}
}
