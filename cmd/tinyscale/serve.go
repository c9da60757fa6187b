package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tinyscale/tinyscale/admin"
	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/callback"
	"github.com/tinyscale/tinyscale/config"
	"github.com/tinyscale/tinyscale/gateway"
	"github.com/tinyscale/tinyscale/hooks"
	"github.com/tinyscale/tinyscale/internal/asynclog"
	"github.com/tinyscale/tinyscale/internal/gctune"
	"github.com/tinyscale/tinyscale/metrics"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
)

func serveCmd(ctx context.Context, args []string) error {
	if err := takesNoArgs("serve", args, serveUsage, os.Stdout); err != nil {
		return err
	}
	// SIGHUP reloads servers.json. Asked for first: its default action
	// ends the process, and a reload sent while tinyscale starts must not.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	env, err := config.LoadEnv(os.Getenv, true)
	if err != nil {
		return err
	}
	log, closeLog := newLogger(env)
	defer closeLog()
	// A join flood on a small fleet would otherwise run the collector 25
	// to 30 times a second (gctune); GOGC, if set, is the operator's.
	defer gctune.Start(os.Getenv, gctune.Config{}).Stop()
	warnings, err := env.CheckStrength()
	if err != nil {
		return err
	}
	for _, w := range warnings {
		log.Warn(w)
	}
	servers, err := config.LoadServers(env.ServersFile)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, env, log)
	if err != nil {
		return err
	}
	defer store.Close()
	// Admin changes live with the placements: in the embedded file, or in
	// Redis where every instance sees them.
	return runWith(ctx, env, servers, store, &admin.StoreOverlay{Store: store}, hup, log, nil)
}

// newLogger returns the logger to stderr that env asks for, and the
// function that writes out its last lines: lines are written by a
// goroutine of their own (asynclog), so that an API call's log line costs
// it a copy into memory, not a write system call.
func newLogger(env *config.Env) (*slog.Logger, func()) {
	var level slog.Level
	level.UnmarshalText([]byte(env.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	w := asynclog.New(os.Stderr, 0, 0)
	// slog's text or JSON lines, the call lines written by asynclog's own
	// formatter (the same bytes, without slog's generic path).
	h := asynclog.NewTextHandler(w, opts)
	if env.LogFormat == "json" {
		h = asynclog.NewJSONHandler(w, opts)
	}
	log := slog.New(h)
	// go-redis prints its own messages as plain text unless told where.
	state.SetRedisLogger(log)
	return log, func() { w.Close() }
}

// run serves with placements and admin changes kept in memory only and
// no reload of servers.json: for the demo, whose servers live as long as
// it does.
func run(ctx context.Context, env *config.Env, servers []config.Server, log *slog.Logger, ready func(addr string)) error {
	return runWith(ctx, env, servers, state.NewMemory(), &admin.MemoryOverlay{}, nil, log, ready)
}

// runWith checks the servers, then serves until ctx is done. store keeps
// the placements, overlay the admin changes; each signal on hup (nil: none) reloads
// env.ServersFile. ready, if not nil, is called with the listening address
// once requests are answered.
func runWith(ctx context.Context, env *config.Env, servers []config.Server, store state.Store, overlay admin.Overlay, hup <-chan os.Signal,
	log *slog.Logger, ready func(addr string)) error {
	transport := bbb.NewTransport(env.ConnectTimeout, env.RequestTimeout)
	hc := bbb.NewHTTPClient(transport)
	defer transport.CloseIdleConnections()
	p := pool.New()
	share(p, store)
	p.PendingSpan = env.PollInterval
	p.Strategy = pool.NewStrategy(env.Strategy)
	p.Model.MinExpected, p.Model.Ramp = env.MeetingSize, env.MeetingRamp
	budget := bbb.NewBudget(env.BackendMemory)
	fleet := admin.NewFleet(p, overlay, newPoolServer(hc, budget), log)
	fleet.CheckTimeout = env.RequestTimeout
	// servers.json with the admin changes laid over it: servers added and
	// removed through the admin API, and their states, survive a restart.
	if err := fleet.Init(servers); err != nil {
		return err
	}
	round, err := startupCheck(ctx, p, env.RequestTimeout, log)
	if err != nil {
		return err
	}

	m := metrics.New(p)
	build := readBuildInfo()
	m.Registry().MustRegister(buildInfoGauge(build))
	tenants, tenantOverlay, err := loadTenants(env, store, log)
	if err != nil {
		return err
	}
	gcfg := gateway.Config{
		Secrets:        []string{env.Secret},
		Algorithms:     env.Algorithms,
		RequestTimeout: env.RequestTimeout,
		CreateTimeout:  min(env.CreateTimeout, env.RequestTimeout),
		MaxSizeHint:    env.MaxSizeHint,
		StateTimeout:   env.StateTimeout,
		FanoutTimeout:  env.FanoutTimeout,
		MaxBody:        env.MaxBody,
		Logger:         log,
		Observer:       m,
		Tenants:        tenants,
		LogoutURL:      env.LogoutURL,
		Limiter: &gateway.Limiter{
			Failures: env.ChecksumFailures, Window: env.ChecksumWindow, Block: env.ChecksumBlock,
			Delay: time.Second, TrustProxy: env.TrustProxy, OnBlock: func(string) { m.ChecksumBlocked() },
		},
	}
	var outcomes hookOutcomes
	queue := deliveryQueue(env, store, m, log, outcomes.outcome)
	defer queue.Close()
	recs, err := openRecordingStore(env, store, p, tenants, queue, log)
	if err != nil {
		return err
	}
	gcfg.Recordings = recs.library()
	var hk *hooks.Service
	var relay http.Handler = http.NotFoundHandler()
	if env.PublicURL != "" {
		var r *callback.Relay
		if gcfg.Callbacks, r, err = callbacks(env, p, tenants, store, queue, log); err != nil {
			return err
		}
		relay = r
		hk = newHooks(env, p, tenants, store, queue, m, log)
		outcomes.hk.Store(hk)
		gcfg.Hooks = hk
	} else {
		log.Warn("TINYSCALE_URL is not set: callback URLs pass to the BBB servers untouched, so recording-ready and analytics callbacks will not verify at the integration; set TINYSCALE_URL to the address BBB servers reach tinyscale at")
	}
	poller := &pool.Poller{
		Pool: p, Interval: env.PollInterval, Timeout: env.RequestTimeout, Logger: log,
		// Each round's checks trickle out over half the interval.
		Spread:     env.PollInterval / 2,
		Thresholds: pool.Thresholds{Down: env.OfflineAfter, Up: env.OnlineAfter},
	}
	gcfg.Repoll = poller.Kick
	gw := gateway.New(gcfg, p, store)
	if n, ok := store.(state.LossNotifier); ok {
		n.OnLoss(gw.StateLost)
	}
	// The API root reports the lowest version among the servers.
	vctx, stopVersions := context.WithCancel(ctx)
	defer stopVersions()
	go gw.WatchVersions(vctx, 5*time.Minute)
	if r, ok := relay.(*callback.Relay); ok {
		r.OnEnded = gw.MeetingEnded
	}
	tracker := newUsageTracker(env, store, tenants, log)
	adminAPI := admin.New(recs.adminConfig(admin.Config{Token: env.AdminToken, Fleet: fleet, Store: store, Tenants: tenants, TenantOverlay: tenantOverlay, Timeout: env.RequestTimeout, Logger: log,
		Usage: usageSource(tracker), Gauges: dashboardGauges(store, queue, recs), TrustProxy: env.TrustProxy}))
	// Learn where meetings already run before the first request: a
	// restarted tinyscale routes joins for them at once.
	reconcile := withNudge(sampled(onRound(gw.Reconcile, tracker), adminAPI), hk)
	poller.OnRound = reconcile
	reconcile(round)

	srv := &http.Server{
		Handler: withBodyDeadline(withHooks(hk, recs.wrap(handler(gw, p, adminAPI, m.Handler(), relay))), bodyTime(env.HeaderTimeout)),
		// A client that sends its headers byte by byte (slowloris) is
		// dropped after HeaderTimeout; a body gets bodyTime; an idle
		// keep-alive connection 12 header timeouts; an answer must be
		// written within the stall the listener's writeGuard is given
		// below. No ReadTimeout
		// or WriteTimeout: they cost every request deadline system calls
		// (deadlines.go).
		ReadHeaderTimeout: env.HeaderTimeout,
		IdleTimeout:       12 * env.HeaderTimeout,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	// Listen only now that every server was checked: the original answered
	// 500 to requests that came during its startup checks.
	ln, err := net.Listen("tcp", env.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %v (set PORT or TINYSCALE_LISTEN to a free port)", env.Listen, err)
	}
	pctx, stopPoll := context.WithCancel(ctx)
	defer stopPoll()
	if env.PprofListen != "" {
		stopPprof, err := servePprof(env.PprofListen, log)
		if err != nil {
			ln.Close()
			return err
		}
		defer stopPprof()
	}
	go poller.Run(pctx)
	recs.start(pctx, relay)
	if hk != nil {
		go hk.Run(pctx)
	}
	go tenantOverlay.Watch(pctx, tenantSyncInterval)
	if hup != nil {
		r := &reloader{file: env.ServersFile, fleet: fleet, log: log, env: env, tenants: tenantOverlay}
		go r.run(pctx, hup)
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(writeGuard{Listener: ln, stall: 2*env.RequestTimeout + env.FanoutTimeout}) }()
	log.Info("tinyscale listening", "addr", ln.Addr().String(), "servers", len(p.All()), "admin_api", env.AdminToken != "",
		"version", build.Version, "commit", build.Commit, "built", build.Date, "go", build.GoVersion)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	return shutdown(srv, queue, stopPoll, env.ShutdownTimeout, log)
}

// handler routes the BBB API to the gateway, the admin API, the metrics
// and the health probes. It does not use http.ServeMux for the BBB API: the
// mux would redirect the ".../api//create" that some clients send.
func handler(gw *gateway.Gateway, p *pool.Pool, adminAPI, metricsHandler, relay http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case gateway.IsAPIPath(r.URL.Path):
			gw.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, callback.PathPrefix):
			relay.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, "/admin/"):
			adminAPI.ServeHTTP(w, r)
		case r.URL.Path == "/metrics":
			metricsHandler.ServeHTTP(w, r)
		case r.URL.Path == "/healthz":
			fmt.Fprintln(w, "ok")
		case r.URL.Path == "/readyz":
			if len(p.Available()) == 0 {
				http.Error(w, "no BBB server available", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprintln(w, "ready")
		default:
			http.NotFound(w, r)
		}
	})
}

// newPoolServer returns the function that makes a pool server of a
// configured one, its client sharing hc's connections.
func newPoolServer(hc *http.Client, budget *bbb.Budget) func(config.Server) *pool.Server {
	return func(sc config.Server) *pool.Server {
		s := pool.NewServer(sc.ID, &bbb.Client{Base: sc.Host, Secret: sc.Secret, Algorithm: sc.SigningAlgorithm(), HTTP: hc, Budget: budget})
		s.Weight, s.Tags, s.MaxLoad = sc.Weight, sc.Tags, sc.MaxLoad
		if s.Weight <= 0 {
			s.Weight = 1
		}
		return s
	}
}

// startupWait bounds the startup check: a server that has not answered
// by then starts offline, and the poller brings it in when it answers.
const startupWait = 3 * time.Second

// startupCheck makes one signed call to every server at once, for at most
// startupWait (or the request timeout, if shorter). A server that rejects
// tinyscale's checksum stops the start: its secret in servers.json is
// wrong, and no retry cures that. One that cannot be reached, does not
// answer in time, or answers something else than BBB (a maintenance page,
// a 404) starts offline with a warning, so one server in maintenance does
// not take the service down.
func startupCheck(ctx context.Context, p *pool.Pool, timeout time.Duration, log *slog.Logger) (pool.Round, error) {
	round := pool.Round{Started: time.Now(), Meetings: map[string][]pool.MeetingLoad{}}
	servers := p.All()
	errs := make([]error, len(servers))
	found := make([][]pool.MeetingLoad, len(servers))
	cctx, cancel := context.WithTimeout(ctx, min(timeout, startupWait))
	defer cancel()
	var mu sync.Mutex
	waiting := map[string]bool{}
	for _, s := range servers {
		waiting[s.ID] = true // all before any check starts: they delete under mu
	}
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			found[i], errs[i] = pool.Check(cctx, s)
			mu.Lock()
			delete(waiting, s.ID)
			mu.Unlock()
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	if len(servers) > 0 {
		log.Info("checking the BBB servers", "servers", len(servers), "at_most", min(timeout, startupWait).String())
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for waitDone := false; !waitDone; {
		select {
		case <-done:
			waitDone = true
		case <-tick.C:
			mu.Lock()
			var ids []string
			for _, s := range servers {
				if waiting[s.ID] {
					ids = append(ids, s.ID+" ("+s.Client.Base+")")
				}
			}
			mu.Unlock()
			log.Info("still waiting for servers to answer the startup check", "servers", strings.Join(ids, ", "))
		}
	}
	var fatal []string
	for i, err := range errs {
		s := servers[i]
		switch {
		case err == nil:
			log.Info("server online", "server", s.ID, "host", s.Client.Base, "meetings", len(found[i]))
			s.SetMeetings(found[i], round.Started, p.Model.Ramp)
			round.Meetings[s.ID] = found[i]
		case errors.Is(err, pool.ErrWrongSecret):
			fatal = append(fatal, fmt.Sprintf("server %s (%s): %v", s.ID, s.Client.Base, err))
		case errors.Is(err, pool.ErrNotBBB):
			s.MarkOffline(err.Error())
			log.Warn("server does not answer as a BBB API at startup (a maintenance page, a 404, a wrong \"host\"?): starting it offline; the poller brings it in once it answers as BBB",
				"server", s.ID, "host", s.Client.Base, "error", err)
		default:
			s.MarkOffline(err.Error())
			log.Warn("server unreachable at startup: starting it offline; the poller brings it back", "server", s.ID, "host", s.Client.Base, "error", err)
		}
	}
	if len(fatal) > 0 {
		return round, errors.New("startup check failed:\n  " + strings.Join(fatal, "\n  "))
	}
	return round, nil
}
