package state

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Buckets of the webhook registry: hooks by ID and an index of
// tenant\x00callbackURL to ID (the duplicate check). The hooks bucket's
// sequence numbers the hooks.
var (
	bucketHooks    = []byte("hooks")
	bucketHookURLs = []byte("hook_urls")
)

// Hook reads go to the file, not to memory: they serve hooks/list and
// the relay of an event, never a join, and bbolt reads are from its
// memory map.

func hookKey(id uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], id) // big-endian: bolt's order is the IDs'
	return k[:]
}

func hookURLKey(tenant, callbackURL string) []byte {
	return []byte(tenant + "\x00" + callbackURL)
}

func hookBuckets(tx *bolt.Tx) (hooks, urls *bolt.Bucket, err error) {
	if hooks, err = tx.CreateBucketIfNotExists(bucketHooks); err != nil {
		return
	}
	urls, err = tx.CreateBucketIfNotExists(bucketHookURLs)
	return
}

// AddHook implements HookStore.
func (b *Bolt) AddHook(h Hook) (Hook, bool, error) {
	var out Hook
	dup := false
	err := b.db.Update(func(tx *bolt.Tx) error {
		hooks, urls, err := hookBuckets(tx)
		if err != nil {
			return err
		}
		uk := hookURLKey(h.Tenant, h.CallbackURL)
		if k := urls.Get(uk); k != nil {
			if v := hooks.Get(k); v != nil {
				dup = true
				return json.Unmarshal(v, &out)
			}
		}
		seq, err := hooks.NextSequence()
		if err != nil {
			return err
		}
		h.ID = strconv.FormatUint(seq, 10)
		if h.CreatedAt.IsZero() {
			h.CreatedAt = time.Now()
		}
		v, err := json.Marshal(h)
		if err != nil {
			return err
		}
		if err := hooks.Put(hookKey(seq), v); err != nil {
			return err
		}
		out = h
		return urls.Put(uk, hookKey(seq))
	})
	if err != nil {
		return Hook{}, false, fmt.Errorf("state: add hook: %w", err)
	}
	return out, dup, nil
}

// RemoveHook implements HookStore.
func (b *Bolt) RemoveHook(tenant, id string) (bool, error) {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return false, nil // not an ID this store ever gave
	}
	removed := false
	err = b.db.Update(func(tx *bolt.Tx) error {
		hooks, urls, err := hookBuckets(tx)
		if err != nil {
			return err
		}
		v := hooks.Get(hookKey(n))
		if v == nil {
			return nil
		}
		var h Hook
		if err := json.Unmarshal(v, &h); err != nil {
			return err
		}
		if h.Tenant != tenant {
			return nil
		}
		removed = true
		if err := hooks.Delete(hookKey(n)); err != nil {
			return err
		}
		return urls.Delete(hookURLKey(h.Tenant, h.CallbackURL))
	})
	if err != nil {
		return false, fmt.Errorf("state: remove hook: %w", err)
	}
	return removed, nil
}

// Hooks implements HookStore.
func (b *Bolt) Hooks() ([]Hook, error) {
	var out []Hook
	err := b.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketHooks)
		if bk == nil {
			return nil
		}
		return bk.ForEach(func(_, v []byte) error {
			var h Hook
			if err := json.Unmarshal(v, &h); err != nil {
				return err
			}
			out = append(out, h)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("state: hooks: %w", err)
	}
	return out, nil
}
