package state

import (
	"context"
	"strings"
)

// Instances counts the tinyscale processes connected to this Redis: the
// distinct client names "tinyscale-<id>" that OpenRedis gives each
// process's connections (CLIENT LIST). For the dashboard; an error when
// Redis cannot be asked.
func (r *Redis) Instances() (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	list, err := r.client.ClientList(ctx).Result()
	if err != nil {
		return 0, unavailable("client list", err)
	}
	names := map[string]bool{}
	for _, line := range strings.Split(list, "\n") {
		for _, f := range strings.Fields(line) {
			if name, ok := strings.CutPrefix(f, "name="); ok && strings.HasPrefix(name, "tinyscale-") {
				names[name] = true
			}
		}
	}
	return len(names), nil
}
