package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketUsage holds the usage records, keyed by usageKey so that a range
// of start times is a cursor seek. Unlike placements, usage is read from
// the file, not from memory: it is never on the request path.
var bucketUsage = []byte("usage")

// AddUsage implements UsageStore.
// One record goes through bolt's Batch, which shares a commit with the
// writes of other goroutines; many are one transaction of their own.
func (b *Bolt) AddUsage(recs ...UsageRecord) error {
	vals := make([][]byte, len(recs))
	for i, r := range recs {
		v, err := json.Marshal(r)
		if err != nil {
			return err
		}
		vals[i] = v
	}
	put := func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(bucketUsage)
		if err != nil {
			return err
		}
		for i, r := range recs {
			if err := bk.Put(usageKey(r), vals[i]); err != nil {
				return err
			}
		}
		return nil
	}
	var err error
	switch len(recs) {
	case 0:
		return nil
	case 1:
		err = b.db.Batch(put)
	default:
		err = b.db.Update(put)
	}
	if err != nil {
		return fmt.Errorf("state: write usage: %w", err)
	}
	return nil
}

// Usage implements UsageStore.
func (b *Bolt) Usage(from, to time.Time) ([]UsageRecord, error) {
	var out []UsageRecord
	hi := usageBound(to)
	err := b.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketUsage)
		if bk == nil {
			return nil
		}
		c := bk.Cursor()
		for k, v := c.Seek(usageBound(from)); k != nil && bytes.Compare(k, hi) < 0; k, v = c.Next() {
			var r UsageRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("usage record %x: %w", k, err)
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("state: read usage: %w", err)
	}
	return out, nil
}

// PruneUsage implements UsageStore.
func (b *Bolt) PruneUsage(before time.Time) (int, error) {
	n := 0
	hi := usageBound(before)
	err := b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketUsage)
		if bk == nil {
			return nil
		}
		// Collected first: deleting under a moving cursor skips keys.
		var old [][]byte
		c := bk.Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k, hi) < 0; k, _ = c.Next() {
			old = append(old, append([]byte(nil), k...))
		}
		for _, k := range old {
			if err := bk.Delete(k); err != nil {
				return err
			}
		}
		n = len(old)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("state: prune usage: %w", err)
	}
	return n, nil
}
