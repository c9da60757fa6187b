package hooks

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/pool"
)

// The reconciler keeps exactly one hook of tinyscale's on every server
// that takes calls: it lists the server's hooks, registers tinyscale's
// relay URL where it is missing (a server added, back online, or whose
// bbb-webhooks dropped the hook after failed deliveries) and removes
// tinyscale hooks with a URL that is no longer its own (a renamed
// server, an old TINYSCALE_URL host). Hooks of others are left alone.

// Nudge asks for a check of every server soon: after each poll round, so
// that a server that came online or was added gets its hook at once.
func (s *Service) Nudge() {
	select {
	case s.nudge <- struct{}{}:
	default:
	}
}

// Run checks every server now and then at each Nudge, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	s.CheckAll(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.nudge:
			s.CheckAll(ctx)
		}
	}
}

// CheckAll checks every server that takes calls, at once.
func (s *Service) CheckAll(ctx context.Context) {
	online := map[string]bool{}
	wantRaw := false
	if hooks, err := s.cfg.Store.Hooks(); err == nil {
		for _, h := range hooks {
			wantRaw = wantRaw || h.Raw
		}
	}
	var wg sync.WaitGroup
	for _, srv := range s.cfg.Pool.Routable() {
		online[srv.ID] = true
		wg.Go(func() { s.check(ctx, srv, wantRaw) })
	}
	wg.Wait()
	// A server that went offline may come back without its hooks (a
	// reinstall, a wiped Redis): check it again when it is back.
	s.mu.Lock()
	for id := range s.seen {
		if !online[id] {
			delete(s.seen, id)
		}
	}
	s.mu.Unlock()
}

var hookList = &bbb.ListSpec{List: "hooks", Item: "hook", Fields: []string{"hookID", "callbackURL"}}

// errNoWebhooks means the server answered hooks/list with no BBB document:
// bbb-webhooks is not installed (nginx answers 404).
var errNoWebhooks = errors.New("bbb-webhooks does not answer on this server (is the bbb-webhooks package installed?)")

// check makes sure the server has tinyscale's hook, and its raw hook
// while wantRaw (some integration asked for getRaw).
func (s *Service) check(ctx context.Context, srv *pool.Server, wantRaw bool) {
	want := s.relayURL(srv.ID)
	wantRawURL := want + rawSuffix
	res, err := s.call(ctx, srv, bbb.CallHooksList, "")
	if err != nil {
		s.problem(srv.ID, "webhooks: cannot list the server's hooks", err)
		return
	}
	reply, err := bbb.ParseReply(res.Body, hookList)
	if err != nil || res.Status != http.StatusOK {
		s.problem(srv.ID, "webhooks: cannot list the server's hooks", errNoWebhooks)
		return
	}
	if !reply.OK() {
		s.problem(srv.ID, "webhooks: the server refused hooks/list", errors.New(reply.MessageKey+": "+reply.Message))
		return
	}
	found, foundRaw := false, false
	for _, it := range reply.Items {
		id, cb := it.Fields[0], it.Fields[1]
		switch {
		case cb == want:
			found = true
		case cb == wantRawURL && wantRaw:
			foundRaw = true
		case s.ours(cb):
			// A URL of tinyscale's that is not this server's any more.
			s.call(ctx, srv, bbb.CallHooksDestroy, "hookID="+url.QueryEscape(id))
		}
	}
	if !found && !s.register(ctx, srv, "callbackURL="+url.QueryEscape(want)) {
		return
	}
	if wantRaw && !foundRaw && !s.register(ctx, srv, "callbackURL="+url.QueryEscape(wantRawURL)+"&getRaw=true") {
		return
	}
	s.mu.Lock()
	s.seen[srv.ID] = true
	delete(s.warned, srv.ID)
	s.mu.Unlock()
}

// register creates one of tinyscale's hooks on the server.
func (s *Service) register(ctx context.Context, srv *pool.Server, query string) bool {
	res, err := s.call(ctx, srv, bbb.CallHooksCreate, query)
	if err != nil {
		s.problem(srv.ID, "webhooks: cannot register tinyscale's hook", err)
		return false
	}
	r, err := bbb.ParseReply(res.Body, nil)
	if err != nil || !r.OK() {
		msg := "not a BBB answer"
		if err == nil {
			msg = r.MessageKey + ": " + r.Message
		}
		s.problem(srv.ID, "webhooks: the server refused tinyscale's hook", errors.New(msg))
		return false
	}
	s.mu.Lock()
	again := s.seen[srv.ID]
	s.mu.Unlock()
	if again {
		s.log.Warn("webhooks: the server had lost tinyscale's hook (bbb-webhooks drops hooks after failed deliveries); registered it again", "server", srv.ID)
	} else {
		s.log.Info("webhooks: registered tinyscale's hook on the server", "server", srv.ID, "hook", r.Get("hookID"), "raw", strings.Contains(query, "getRaw"))
	}
	return true
}

// problem logs a server's problem once, not at every round.
func (s *Service) problem(serverID, msg string, err error) {
	s.mu.Lock()
	repeated := s.warned[serverID] == err.Error()
	s.warned[serverID] = err.Error()
	s.mu.Unlock()
	if !repeated {
		s.log.Warn(msg, "server", serverID, "error", err)
	}
}

// call makes one webhooks API call, signed as the server's bbb-webhooks
// accepts: with the server's algorithm (servers.json "algorithm"),
// falling back to SHA-1 for good once a checksumError says it takes
// nothing else (bbb-webhooks 2.6, shipped with BBB 2.7).
func (s *Service) call(ctx context.Context, srv *pool.Server, name, query string) (*bbb.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	c := *srv.Client
	s.mu.Lock()
	if s.sha1[srv.ID] {
		c.Algorithm = bbb.SHA1
	}
	s.mu.Unlock()
	res, err := c.Get(ctx, name, query)
	if err != nil || c.Algorithm == bbb.SHA1 || !checksumRefused(res) {
		return res, err
	}
	c.Algorithm = bbb.SHA1
	res, err = c.Get(ctx, name, query)
	if err == nil && !checksumRefused(res) {
		s.mu.Lock()
		s.sha1[srv.ID] = true
		s.mu.Unlock()
		s.log.Info("webhooks: the server's bbb-webhooks takes SHA-1 checksums only (2.6); signing its calls with SHA-1", "server", srv.ID)
	}
	return res, err
}

func checksumRefused(res *bbb.Response) bool {
	r, err := bbb.ParseReply(res.Body, nil)
	return err == nil && r.MessageKey == "checksumError"
}
