package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Bucket names of the bolt file. Meetings are keyed tenant\x00meetingID
// (NUL cannot occur in an HTTP query value that BBB accepts as an ID, so
// the key splits back unambiguously) and hold the Meeting as JSON.
var (
	bucketMeetings   = []byte("meetings")
	bucketRecordings = []byte("recordings")
	bucketDocs       = []byte("docs")
)

// boltLockTimeout bounds the wait for the file lock: a second process on
// the same file must fail with a clear message, not hang at startup.
const boltLockTimeout = time.Second

// boltBatchDelay is how long a claim waits for others to share its
// commit. bbolt's default (10ms) would add 10ms to every lone create; 1ms
// is about one fsync, so a burst still shares commits.
const boltBatchDelay = time.Millisecond

// Bolt is the embedded Store: a bbolt file, loaded into memory when it
// opens. Reads answer from memory; every write is committed and fsync'd
// before it returns, so an acknowledged create survives kill -9. Only one
// process may open a file at a time.
type Bolt struct {
	mem  *Memory
	db   *bolt.DB
	path string
	// locks serialize the writes of one key (striped by hash), so that a
	// claim's check, its commit and its memory update happen as one step
	// while writes to other keys still share commits in a batch.
	locks [64]sync.Mutex
	seed  maphash.Seed

	// Recording owners are written behind: see SetRecordingOwner.
	recMu     sync.Mutex
	recQ      chan [2]string
	recClosed bool
	recDone   chan struct{}

	// The stored recordings' index is loaded on first use: recordings_bolt.go.
	srecOnce sync.Once
	srecErr  error

	// held are the jobs this process put or adopted (queue_bolt.go).
	held jobTable
}

// OpenBolt opens (creating if needed) the bolt file at path and loads it.
// It fails within about a second if another process holds the file. A
// damaged file (truncated, say) is an error that names the file and the
// fix, never a panic: bbolt panics on some damage it finds while reading.
func OpenBolt(path string) (b *Bolt, err error) {
	var db *bolt.DB
	// A truncated file makes bbolt read its memory map past the end of the
	// file: a fault, which this turns into a panic recovered below.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if db != nil {
				func() { defer func() { recover() }(); db.Close() }()
			}
			b, err = nil, damaged(path, fmt.Errorf("%v", r))
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: boltLockTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("state: %s is used by another tinyscale process (its lock was not released within %v); stop it or set another TINYSCALE_DATA", path, boltLockTimeout)
	}
	if errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrChecksum) || errors.Is(err, bolterrors.ErrVersionMismatch) ||
		err != nil && strings.Contains(err.Error(), "file size too small") {
		return nil, damaged(path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("state: open %s: %w", path, err)
	}
	db.MaxBatchDelay = boltBatchDelay
	b = &Bolt{mem: NewMemory(), db: db, path: path, seed: maphash.MakeSeed(),
		recQ: make(chan [2]string, recQueue), recDone: make(chan struct{})}
	if err := b.load(); err != nil {
		db.Close()
		return nil, damaged(path, err)
	}
	go b.writeRecordings()
	return b, nil
}

// ErrDamaged marks a state file that cannot be read.
var ErrDamaged = errors.New("state file is damaged")

// damaged is the error for a state file that cannot be read: it says what
// to do, and that nothing running is lost by doing it.
func damaged(path string, cause error) error {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return fmt.Errorf("state: %s cannot be read (%w: %v). Move it aside (mv %s %s.damaged) and start tinyscale again: "+
		"it learns the running meetings from the BBB servers at startup. If you have an export, restore it with `tinyscale state import FILE`",
		path, ErrDamaged, cause, path, path)
}

// load creates the buckets and copies the file's contents into memory.
func (b *Bolt) load() error {
	var snap snapshot
	err := b.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeetings, bucketRecordings, bucketDocs} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		snap = snapshot{recordings: map[string]string{}, docs: map[string][]byte{}}
		err := tx.Bucket(bucketMeetings).ForEach(func(k, v []byte) error {
			var mt Meeting
			if err := json.Unmarshal(v, &mt); err != nil {
				return fmt.Errorf("meeting %q: %w", k, err)
			}
			snap.meetings = append(snap.meetings, mt)
			return nil
		})
		if err != nil {
			return err
		}
		tx.Bucket(bucketRecordings).ForEach(func(k, v []byte) error {
			snap.recordings[string(k)] = string(v)
			return nil
		})
		return tx.Bucket(bucketDocs).ForEach(func(k, v []byte) error {
			snap.docs[string(k)] = append([]byte(nil), v...)
			return nil
		})
	})
	if err != nil {
		return err
	}
	b.mem.replace(snap)
	return nil
}

func meetingKey(tenant, meetingID string) []byte {
	return []byte(tenant + "\x00" + meetingID)
}

// lock returns the stripe lock of a key.
func (b *Bolt) lock(k string) *sync.Mutex {
	return &b.locks[maphash.String(b.seed, k)%uint64(len(b.locks))]
}

// Lookup implements Store from memory.
func (b *Bolt) Lookup(tenant, meetingID string) (string, bool) {
	return b.mem.Lookup(tenant, meetingID)
}

// Get implements Store from memory.
func (b *Bolt) Get(tenant, meetingID string) (Meeting, bool) { return b.mem.Get(tenant, meetingID) }

// Meetings implements Store from memory.
func (b *Bolt) Meetings() []Meeting { return b.mem.Meetings() }

// AppendMeetings implements Store from memory.
func (b *Bolt) AppendMeetings(dst []Meeting) []Meeting { return b.mem.AppendMeetings(dst) }

// TenantMeetings implements Store from memory.
func (b *Bolt) TenantMeetings(tenant string) int { return b.mem.TenantMeetings(tenant) }

// RecordingOwner implements Store from memory.
func (b *Bolt) RecordingOwner(recordID string) (string, bool) {
	return b.mem.RecordingOwner(recordID)
}

// LoadDoc implements Store from memory.
func (b *Bolt) LoadDoc(name string) ([]byte, error) { return b.mem.LoadDoc(name) }

// Recordings returns every recording owner, for export.
func (b *Bolt) Recordings() map[string]string { return b.mem.Recordings() }

// DocNames returns every document name, for export.
func (b *Bolt) DocNames() []string { return b.mem.DocNames() }

// Claim implements Store. The meeting's stripe lock makes check and write
// one step: memory mirrors the file for every key, because each write to
// a key holds its lock until both are updated.
func (b *Bolt) Claim(m Meeting, prev string) (string, error) {
	k := meetingKey(m.Tenant, m.MeetingID)
	mu := b.lock(string(k))
	mu.Lock()
	defer mu.Unlock()
	if cur, _ := b.mem.Lookup(m.Tenant, m.MeetingID); cur != prev {
		return cur, nil
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now()
	}
	v, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	// Batch may run fn twice (when another call in the batch fails), so
	// fn only writes; the decision was taken above under the lock.
	err = b.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeetings).Put(k, v) })
	if err != nil {
		return "", fmt.Errorf("state: claim %s: %w", m.MeetingID, err)
	}
	b.mem.Put(m)
	return m.ServerID, nil
}

// Release implements Store.
func (b *Bolt) Release(tenant, meetingID, serverID string) error {
	k := meetingKey(tenant, meetingID)
	mu := b.lock(string(k))
	mu.Lock()
	defer mu.Unlock()
	if cur, ok := b.mem.Lookup(tenant, meetingID); !ok || cur != serverID {
		return nil
	}
	err := b.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeetings).Delete(k) })
	if err != nil {
		return fmt.Errorf("state: release %s: %w", meetingID, err)
	}
	b.mem.Delete(tenant, meetingID)
	return nil
}

// SetRecordingOwner implements Store.
//
// A recording's server is a routing hint, not a placement: one that is not
// known is asked of every server. So it is kept in memory at once and
// written to the file behind, in batches, instead of making a create wait
// for a second fsync (that doubled a create's latency).
func (b *Bolt) SetRecordingOwner(recordID, serverID string) error {
	if err := b.mem.SetRecordingOwner(recordID, serverID); err != nil {
		return err
	}
	b.recMu.Lock()
	defer b.recMu.Unlock()
	if b.recClosed {
		return errors.New("state: store closed")
	}
	select {
	case b.recQ <- [2]string{recordID, serverID}:
	default: // a burst beyond the queue: the hint stays in memory only
	}
	return nil
}

// recQueue bounds the recording owners waiting to be written.
const recQueue = 4096

// writeRecordings writes recording owners behind, many per transaction,
// until the queue is closed and drained.
func (b *Bolt) writeRecordings() {
	defer close(b.recDone)
	for first := range b.recQ {
		batch := [][2]string{first}
	drain:
		for len(batch) < 512 {
			select {
			case r, ok := <-b.recQ:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		b.db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket(bucketRecordings)
			for _, r := range batch {
				if err := bk.Put([]byte(r[0]), []byte(r[1])); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

// SaveDoc implements Store.
func (b *Bolt) SaveDoc(name string, data []byte) error {
	mu := b.lock("d\x00" + name)
	mu.Lock()
	defer mu.Unlock()
	err := b.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDocs).Put([]byte(name), data)
	})
	if err != nil {
		return fmt.Errorf("state: save %s: %w", name, err)
	}
	return b.mem.SaveDoc(name, data)
}

// Path returns the file's path, for logs.
func (b *Bolt) Path() string { return b.path }

// Close implements Store. Writes after Close fail; reads keep answering
// from memory.
func (b *Bolt) Close() error {
	b.recMu.Lock()
	if !b.recClosed {
		b.recClosed = true
		close(b.recQ)
	}
	b.recMu.Unlock()
	<-b.recDone // what was queued is written
	return b.db.Close()
}
