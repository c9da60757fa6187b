package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/tinyscale/tinyscale/admin"
	"github.com/tinyscale/tinyscale/callback"
	"github.com/tinyscale/tinyscale/config"
	"github.com/tinyscale/tinyscale/deliver"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/recordings"
	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
)

// recordingStore is tinyscale's own recording store as serve runs it
// (TINYSCALE_RECORDINGS): the library, its endpoints, and the
// recording-ready callbacks waiting for their recordings.
type recordingStore struct {
	lib     *recordings.Library
	push    http.Handler
	play    http.Handler
	admin   http.Handler
	pending *pendingCallbacks
}

// openRecordingStore opens the store when TINYSCALE_RECORDINGS is set, nil
// otherwise.
func openRecordingStore(env *config.Env, store state.Store, p *pool.Pool, tenants *tenant.Registry, queue *deliver.Queue, log *slog.Logger) (*recordingStore, error) {
	if env.RecordingsDir == "" {
		return nil, nil
	}
	fs, err := recordings.OpenFS(env.RecordingsDir)
	if err != nil {
		return nil, err
	}
	pending := &pendingCallbacks{store: store, queue: queue, log: log}
	lib := &recordings.Library{Store: fs, Index: store, Tenants: tenants, PublicURL: env.PublicURL, Log: log, OnStored: pending.stored}
	secrets := func() map[string]string {
		out := map[string]string{}
		for _, s := range p.All() {
			out[s.ID] = s.Client.Secret
		}
		return out
	}
	// Load the index now (the embedded store loads it on first use), so
	// the first getRecordings does not pay for it.
	store.CountStoredRecordings(state.DefaultTenant, "published")
	log.Info("recording store on", "dir", fs.Root(), "player", env.PlayerDir != "")
	return &recordingStore{
		lib:     lib,
		push:    &recordings.PushHandler{Library: lib, Secrets: secrets, Log: log},
		play:    &recordings.PlaybackHandler{Library: lib, PlayerDir: env.PlayerDir, Tenants: tenants},
		admin:   &recordings.AdminHandler{Library: lib},
		pending: pending,
	}, nil
}

// run sweeps what crashes left and delivers callbacks whose recordings
// never came, until ctx ends.
func (rs *recordingStore) run(ctx context.Context) {
	rs.lib.Sweep(sweepAge)
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rs.pending.expire(callbackWait)
		}
	}
}

// sweepAge is how old an upload left by a crash must be before it is
// removed: another instance sharing the directory may be writing it.
const sweepAge = 6 * time.Hour

// callbackWait is how long a recording-ready callback waits for its
// recording to be pushed; then it is delivered anyway (a server without
// the post_publish script must not keep the integration from learning of
// its recordings).
const callbackWait = time.Hour

// wrap routes the upload endpoint and the playback paths to the store,
// and the rest to next.
func (rs *recordingStore) wrap(next http.Handler) http.Handler {
	if rs == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case p == recordings.PushPath:
			rs.push.ServeHTTP(w, r)
		case recordings.IsPlaybackPath(p):
			rs.play.ServeHTTP(w, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// adminConfig mounts the store's admin endpoints.
func (rs *recordingStore) adminConfig(cfg admin.Config) admin.Config {
	if rs != nil {
		cfg.Recordings = rs.admin
	}
	return cfg
}

// pendingCallbacks keeps recording-ready callbacks until their recording
// is stored, in the state store (one document), so that they survive a
// restart and every instance sees them.
type pendingCallbacks struct {
	store state.Store
	queue *deliver.Queue
	log   *slog.Logger
	mu    sync.Mutex
}

const pendingDoc = "recordings/pending-callbacks"

type pendingJob struct {
	Job   deliver.Job `json:"job"`
	Since time.Time   `json:"since"`
}

func (pc *pendingCallbacks) load() map[string][]pendingJob {
	m := map[string][]pendingJob{}
	if b, err := pc.store.LoadDoc(pendingDoc); err == nil && len(b) > 0 {
		json.Unmarshal(b, &m)
	}
	return m
}

func (pc *pendingCallbacks) save(m map[string][]pendingJob) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return pc.store.SaveDoc(pendingDoc, b)
}

// hold is the relay's HoldRecording: a callback for a recording already
// stored goes at once; one for a recording not stored yet waits.
func (pc *pendingCallbacks) hold(lib *recordings.Library) func(string, deliver.Job) (bool, error) {
	return func(recordID string, j deliver.Job) (bool, error) {
		if recordID == "" || lib.Has(recordID) {
			return false, nil
		}
		pc.mu.Lock()
		defer pc.mu.Unlock()
		m := pc.load()
		m[recordID] = append(m[recordID], pendingJob{Job: j, Since: time.Now()})
		if err := pc.save(m); err != nil {
			return false, err
		}
		pc.log.Info("recording-ready callback waits for its recording to be stored", "record_id", recordID, "tenant", j.Tenant)
		return true, nil
	}
}

// stored is the library's OnStored: the recording's waiting callbacks go.
func (pc *pendingCallbacks) stored(_ string, recordID string) {
	pc.release(func(id string, _ []pendingJob) bool { return id == recordID })
}

// expire delivers callbacks that waited longer than wait.
func (pc *pendingCallbacks) expire(wait time.Duration) {
	pc.release(func(id string, jobs []pendingJob) bool {
		if time.Since(jobs[0].Since) > wait {
			pc.log.Warn("recording-ready callback delivered without the recording stored in tinyscale (no push came: is the post_publish script installed on its server?)", "record_id", id)
			return true
		}
		return false
	})
}

func (pc *pendingCallbacks) release(which func(string, []pendingJob) bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	m := pc.load()
	var send []deliver.Job
	for id, jobs := range m {
		if len(jobs) > 0 && which(id, jobs) {
			for _, j := range jobs {
				send = append(send, j.Job)
			}
			delete(m, id)
		}
	}
	if len(send) == 0 {
		return
	}
	if err := pc.save(m); err != nil {
		pc.log.Warn("recording-ready callbacks not released", "error", err)
		return
	}
	for _, j := range send {
		if err := pc.queue.Enqueue(j); err != nil {
			pc.log.Warn("recording-ready callback not queued", "tenant", j.Tenant, "error", err)
		}
	}
}

// library is the gateway's Config.Recordings: nil without a store.
func (rs *recordingStore) library() *recordings.Library {
	if rs == nil {
		return nil
	}
	return rs.lib
}

// start sets the relay's hold and runs the sweeper until ctx ends.
func (rs *recordingStore) start(ctx context.Context, relay http.Handler) {
	if rs == nil {
		return
	}
	if r, ok := relay.(*callback.Relay); ok {
		r.HoldRecording = rs.pending.hold(rs.lib)
	}
	go rs.run(ctx)
}
