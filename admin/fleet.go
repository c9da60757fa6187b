package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/tinyscale/tinyscale/config"
	"github.com/tinyscale/tinyscale/pool"
)

// Fleet is the list of servers tinyscale balances over as configured:
// servers.json with the admin changes laid over it. Every change to the
// pool's server list goes through it (the admin API, a reload), one at a
// time, so that the pool and the stored changes always agree.
type Fleet struct {
	pool    *pool.Pool
	overlay Overlay
	build   func(config.Server) *pool.Server
	log     *slog.Logger

	// CheckTimeout bounds the check of a new server (10s when zero).
	CheckTimeout time.Duration

	mu      sync.Mutex
	base    []config.Server // servers.json as last loaded
	changes Changes         // as last loaded or saved
}

// NewFleet returns the fleet of p. build makes a pool server of a
// configured one (its client, weight, tags); the fleet sets its admin
// state. The pool's list is set by Init.
func NewFleet(p *pool.Pool, o Overlay, build func(config.Server) *pool.Server, log *slog.Logger) *Fleet {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Fleet{pool: p, overlay: o, build: build, log: log}
}

// Pool returns the pool the fleet manages.
func (f *Fleet) Pool() *pool.Pool { return f.pool }

// Error is a failed admin operation with the HTTP status it answers.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

func notFound(id string) error {
	return &Error{http.StatusNotFound, fmt.Sprintf("no server with id %q; `tinyscale servers list` shows the ids", id)}
}

// Init loads the stored changes, lays them over base (servers.json) and
// sets the pool's servers, with their stored admin states. It makes no
// call to the servers: the caller checks them.
func (f *Fleet) Init(base []config.Server) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.overlay.Load()
	if err != nil {
		return err
	}
	c = c.clone()
	eff, warnings := c.Effective(base)
	for _, w := range warnings {
		f.log.Warn(w)
	}
	list := make([]*pool.Server, 0, len(eff))
	for _, sc := range eff {
		s := f.build(sc)
		if st, ok := c.States[sc.ID]; ok {
			s.SetAdmin(st)
		}
		list = append(list, s)
	}
	f.pool.Replace(list)
	f.base, f.changes = base, c
	return nil
}

// ReloadReport says what a reload changed, by server ID.
type ReloadReport struct {
	// Added and Removed are servers new to the list and gone from it;
	// Replaced kept their ID but changed host, secret or algorithm, and are
	// new objects; Updated changed weight, tags or max_load only, and keep
	// what was learned of them.
	Added, Removed, Replaced, Updated, Unchanged []string
	// Offline lists new servers that could not be reached: they were added
	// offline, and the poller brings them online.
	Offline []string
}

// Reload applies a new servers.json (already validated) and the stored
// changes as they are now, without dropping a request: servers whose
// host, secret and algorithm are unchanged keep their object, so their
// health, load and pending reservations survive; a changed weight, tags or
// max_load gives a successor object that inherits them; new servers are
// checked first, and one with a wrong secret or that is not a BBB API
// fails the whole reload, which then changes nothing. Removed servers'
// placements stay in the store: calls for their meetings answer notFound,
// as BBB does for a meeting it does not know.
func (f *Fleet) Reload(ctx context.Context, base []config.Server) (ReloadReport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var rep ReloadReport
	c, err := f.overlay.Load()
	if err != nil {
		return rep, err
	}
	c = c.clone()
	eff, warnings := c.Effective(base)
	for _, w := range warnings {
		f.log.Warn(w)
	}
	list := make([]*pool.Server, len(eff))
	var fresh []*pool.Server
	for i, sc := range eff {
		old := f.pool.Get(sc.ID)
		switch {
		case old == nil || !sameIdentity(old, sc):
			s := f.build(sc)
			fresh = append(fresh, s)
			if st, ok := c.States[sc.ID]; ok {
				s.SetAdmin(st)
			}
			list[i] = s
			if old == nil {
				rep.Added = append(rep.Added, sc.ID)
			} else {
				rep.Replaced = append(rep.Replaced, sc.ID)
			}
		case sameLimits(old, sc):
			list[i] = old
			rep.Unchanged = append(rep.Unchanged, sc.ID)
		default:
			// Its successor is made after the checks, so that it inherits
			// the freshest health and load.
			rep.Updated = append(rep.Updated, sc.ID)
		}
	}
	if err := f.checkNew(ctx, fresh, &rep); err != nil {
		return ReloadReport{}, err
	}
	for i, sc := range eff {
		old := f.pool.Get(sc.ID)
		if list[i] == nil {
			list[i] = old.Successor(sc.Weight, sc.MaxLoad, sc.Tags)
		}
		// A kept server keeps its live state (a cordoned server that
		// drained is disabled, though the stored state still says
		// cordoned), unless the stored state changed since it was last
		// read: an edit by hand.
		if st, ok := c.States[sc.ID]; ok && old != nil && sameIdentity(old, sc) && f.changes.States[sc.ID] != st {
			list[i].SetAdmin(st)
		}
	}
	for _, s := range f.pool.All() {
		if !slices.ContainsFunc(eff, func(sc config.Server) bool { return sc.ID == s.ID }) {
			rep.Removed = append(rep.Removed, s.ID)
		}
	}
	f.pool.Replace(list)
	f.base, f.changes = base, c
	return rep, nil
}

// sameIdentity reports whether s is the server sc configures: the same
// host, secret and signing algorithm. Anything else is a new server.
func sameIdentity(s *pool.Server, sc config.Server) bool {
	return s.Client.Base == sc.Host && s.Client.Secret == sc.Secret && s.Client.Algorithm == sc.SigningAlgorithm()
}

// sameLimits reports whether s places as sc says.
func sameLimits(s *pool.Server, sc config.Server) bool {
	w := sc.Weight
	if w <= 0 {
		w = 1
	}
	return s.Weight == w && s.MaxLoad == sc.MaxLoad && slices.Equal(s.Tags, sc.Tags)
}

// checkNew checks new servers at once. A misconfigured one is an error
// naming it; an unreachable one goes offline.
func (f *Fleet) checkNew(ctx context.Context, fresh []*pool.Server, rep *ReloadReport) error {
	errs := make([]error, len(fresh))
	var wg sync.WaitGroup
	for i, s := range fresh {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.check(ctx, s)
		}()
	}
	wg.Wait()
	var fatal []error
	for i, err := range errs {
		s := fresh[i]
		switch {
		case err == nil:
		case isConfigError(err):
			fatal = append(fatal, fmt.Errorf("server %s (%s): %w", s.ID, s.Client.Base, err))
		default:
			rep.Offline = append(rep.Offline, s.ID)
		}
	}
	return errors.Join(fatal...)
}

// check makes one signed call to a new server. A healthy one gets the
// meetings it runs; an unreachable one is marked offline and the error
// returned; a misconfigured one's error is returned as it is.
func (f *Fleet) check(ctx context.Context, s *pool.Server) error {
	timeout := f.CheckTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ms, err := pool.Check(cctx, s)
	switch {
	case err == nil:
		s.SetMeetings(ms, time.Now(), f.pool.Model.Ramp)
	case !isConfigError(err):
		s.MarkOffline(err.Error())
	}
	return err
}

func isConfigError(err error) bool {
	return errors.Is(err, pool.ErrWrongSecret) || errors.Is(err, pool.ErrNotBBB)
}

// save stores c and makes it the changes in force. The pool is changed by
// the caller only after a successful save, so a failed save changes
// nothing.
func (f *Fleet) save(c Changes) error {
	if err := f.overlay.Save(c); err != nil {
		f.log.Error("admin: could not store the change", "error", err)
		return &Error{http.StatusInternalServerError, err.Error()}
	}
	f.changes = c
	return nil
}

// Add checks a new server and adds it. sc must be validated. A server
// with a wrong secret, or that is not a BBB API, is refused; one that
// cannot be reached is added offline, with a warning.
func (f *Fleet) Add(ctx context.Context, sc config.Server) (s *pool.Server, warning string, err error) {
	if err := f.taken(sc); err != nil {
		return nil, "", err
	}
	// Checked before taking the lock: a slow server must not hold up
	// other admin changes.
	s = f.build(sc)
	if err := f.check(ctx, s); err != nil {
		if isConfigError(err) {
			return nil, "", &Error{http.StatusBadRequest, fmt.Sprintf("server %s (%s): %v", sc.ID, sc.Host, err)}
		}
		warning = fmt.Sprintf("server %s cannot be reached (%v): added offline; it takes meetings once its polls succeed", sc.ID, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.taken(sc); err != nil {
		return nil, "", err
	}
	c := f.changes.clone()
	c.Added = slices.DeleteFunc(c.Added, func(a config.Server) bool { return a.ID == sc.ID })
	c.Added = append(c.Added, sc)
	c.Removed = slices.DeleteFunc(c.Removed, func(id string) bool { return id == sc.ID })
	delete(c.States, sc.ID)
	if err := f.save(c); err != nil {
		return nil, "", err
	}
	f.pool.Add(s)
	f.log.Info("admin: server added", "server", sc.ID, "host", sc.Host, "online", s.Online())
	return s, warning, nil
}

// taken refuses a server whose ID or host another server has.
func (f *Fleet) taken(sc config.Server) error {
	for _, o := range f.pool.All() {
		switch {
		case o.ID == sc.ID:
			return &Error{http.StatusConflict, fmt.Sprintf("a server with id %q exists; remove it first, or give the new one another \"id\"", sc.ID)}
		case o.Client.Base == sc.Host:
			return &Error{http.StatusConflict, fmt.Sprintf("server %q already has host %s", o.ID, sc.Host)}
		}
	}
	return nil
}

// Remove drops a server from the pool, for good: it is recorded as
// removed, so a restart with the same servers.json does not bring it
// back. Its meetings' placements stay in the store; calls for them answer
// notFound.
func (f *Fleet) Remove(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pool.Get(id) == nil {
		return notFound(id)
	}
	c := f.changes.clone()
	c.Added = slices.DeleteFunc(c.Added, func(a config.Server) bool { return a.ID == id })
	if slices.ContainsFunc(f.base, func(b config.Server) bool { return b.ID == id }) && !slices.Contains(c.Removed, id) {
		c.Removed = append(c.Removed, id)
	}
	delete(c.States, id)
	if err := f.save(c); err != nil {
		return err
	}
	f.pool.Remove(id)
	f.log.Info("admin: server removed", "server", id)
	return nil
}

// SetState sets a server's admin state and stores it.
func (f *Fleet) SetState(id string, st pool.AdminState) (*pool.Server, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.pool.Get(id)
	if s == nil {
		return nil, notFound(id)
	}
	c := f.changes.clone()
	c.States[id] = st
	if err := f.save(c); err != nil {
		return nil, err
	}
	if s.SetAdmin(st) {
		f.log.Info("admin: server state changed", "server", id, "state", st)
	}
	return s, nil
}
