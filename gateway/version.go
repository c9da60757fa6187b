package gateway

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/pool"
)

// serverVersion is what one server's API root says of itself.
type serverVersion struct {
	version, apiVersion, bbbVersion string
}

// versions is the API root tinyscale answers: the lowest versions among the
// servers behind it, so that a client that adapts to the server's version
// (Moodle caches <version>) never uses what one of them lacks.
type versions struct {
	mu     sync.Mutex
	byID   map[string]serverVersion
	answer atomic.Pointer[[]byte]
}

// versionXML is the answer to the API root: BBB 3.0's form, with empty
// GraphQL URLs (the GraphQL endpoints are the server's a join redirects
// to, not tinyscale's).
func (g *Gateway) versionXML() []byte {
	if p := g.versions.answer.Load(); p != nil {
		return *p
	}
	return versionDoc(serverVersion{version: "2.0", apiVersion: "2.0"})
}

func versionDoc(v serverVersion) []byte {
	return []byte("<response><returncode>SUCCESS</returncode><version>" + bbb.Escape(v.version) +
		"</version><apiVersion>" + bbb.Escape(v.apiVersion) + "</apiVersion><bbbVersion>" + bbb.Escape(v.bbbVersion) +
		"</bbbVersion><graphqlWebsocketUrl></graphqlWebsocketUrl><graphqlApiUrl></graphqlApiUrl></response>")
}

// WatchVersions learns the servers' versions now and then every interval,
// until ctx ends.
func (g *Gateway) WatchVersions(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		g.LearnVersions(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// LearnVersions asks every server for its API root at once, each under the
// fan-out deadline, and answers the API root with the lowest versions. A
// server that does not answer keeps what it said last; a server no longer
// configured is forgotten.
func (g *Gateway) LearnVersions(ctx context.Context) {
	servers := g.pool.All()
	got := make([]*serverVersion, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer g.recoverWorker("root")
			got[i] = g.rootVersion(ctx, s)
		}()
	}
	wg.Wait()
	g.versions.mu.Lock()
	defer g.versions.mu.Unlock()
	old := g.versions.byID
	g.versions.byID = make(map[string]serverVersion, len(servers))
	for i, s := range servers {
		if got[i] != nil {
			g.versions.byID[s.ID] = *got[i]
		} else if v, ok := old[s.ID]; ok {
			g.versions.byID[s.ID] = v
		}
	}
	if len(g.versions.byID) == 0 {
		return
	}
	var low serverVersion
	first := true
	for _, v := range g.versions.byID {
		if first {
			low, first = v, false
			continue
		}
		low.version = lowerVersion(low.version, v.version)
		low.apiVersion = lowerVersion(low.apiVersion, v.apiVersion)
		low.bbbVersion = lowerVersion(low.bbbVersion, v.bbbVersion)
	}
	doc := versionDoc(low)
	g.versions.answer.Store(&doc)
}

// rootVersion reads one server's API root, nil when it gives none.
func (g *Gateway) rootVersion(ctx context.Context, s *pool.Server) *serverVersion {
	ctx, cancel := context.WithTimeout(ctx, g.cfg.FanoutTimeout)
	defer cancel()
	res, err := s.Client.Get(ctx, "", "")
	if err != nil {
		return nil
	}
	reply := parseBackend(res)
	if reply == nil || !reply.OK() || reply.Get("version") == "" {
		return nil
	}
	return &serverVersion{reply.Get("version"), reply.Get("apiVersion"), reply.Get("bbbVersion")}
}

// lowerVersion returns the lower of two dotted versions ("2.7.3" < "2.7.10"
// < "3.0.0-rc.1"); an empty one (a server that does not reveal it) yields
// to the other.
func lowerVersion(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	if compareVersions(b, a) < 0 {
		return b
	}
	return a
}

// compareVersions compares dotted versions part by part, numerically where
// both parts begin with digits.
func compareVersions(a, b string) int {
	as, bs := strings.FieldsFunc(a, isVersionSep), strings.FieldsFunc(b, isVersionSep)
	for i := 0; i < len(as) && i < len(bs); i++ {
		an, aErr := strconv.Atoi(leadingDigits(as[i]))
		bn, bErr := strconv.Atoi(leadingDigits(bs[i]))
		switch {
		case aErr == nil && bErr == nil && an != bn:
			if an < bn {
				return -1
			}
			return 1
		case as[i] != bs[i]:
			return strings.Compare(as[i], bs[i])
		}
	}
	return len(as) - len(bs)
}

func isVersionSep(r rune) bool { return r == '.' || r == '-' || r == '+' }

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
