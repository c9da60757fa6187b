package state

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
)

// SetRedisLogger routes go-redis's own messages (its pool, pub/sub and
// connection handshakes), which it otherwise prints as plain text on
// stderr, to log as warnings: with TINYSCALE_LOG_FORMAT=json every line
// stays JSON. go-redis has one logger per process, so this is global.
func SetRedisLogger(log *slog.Logger) {
	redis.SetLogger(redisLogger{log})
}

type redisLogger struct{ log *slog.Logger }

// Printf implements go-redis's internal Logging interface.
func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	msg := strings.TrimPrefix(strings.TrimSpace(fmt.Sprintf(format, v...)), "redis: ")
	l.log.WarnContext(ctx, "redis client: "+msg, "component", "go-redis")
}
