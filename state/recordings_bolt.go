package state

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bucketStoredRecordings holds the stored recordings' index: recordID →
// StoredRecording as JSON.
var bucketStoredRecordings = []byte("stored_recordings")

// loadStoredRecordings copies the bucket into memory, once, on first use:
// the rest of the file is loaded by OpenBolt.
func (b *Bolt) loadStoredRecordings() error {
	b.srecOnce.Do(func() {
		b.srecErr = b.db.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists(bucketStoredRecordings)
			if err != nil {
				return err
			}
			return bk.ForEach(func(k, v []byte) error {
				var r StoredRecording
				if err := json.Unmarshal(v, &r); err != nil {
					return fmt.Errorf("stored recording %q: %w", k, err)
				}
				b.mem.srecs.put(r)
				return nil
			})
		})
	})
	return b.srecErr
}

// PutStoredRecording implements RecordingIndex: committed and fsync'd,
// then visible.
func (b *Bolt) PutStoredRecording(r StoredRecording) error {
	if err := b.loadStoredRecordings(); err != nil {
		return err
	}
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	mu := b.lock("r\x00" + r.RecordID)
	mu.Lock()
	defer mu.Unlock()
	err = b.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bucketStoredRecordings).Put([]byte(r.RecordID), v) })
	if err != nil {
		return fmt.Errorf("state: store recording %s: %w", r.RecordID, err)
	}
	b.mem.srecs.put(r)
	return nil
}

// DeleteStoredRecording implements RecordingIndex.
func (b *Bolt) DeleteStoredRecording(recordID string) error {
	if err := b.loadStoredRecordings(); err != nil {
		return err
	}
	mu := b.lock("r\x00" + recordID)
	mu.Lock()
	defer mu.Unlock()
	err := b.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bucketStoredRecordings).Delete([]byte(recordID)) })
	if err != nil {
		return fmt.Errorf("state: delete recording %s: %w", recordID, err)
	}
	b.mem.srecs.remove(recordID)
	return nil
}

// StoredRecording implements RecordingIndex from memory.
func (b *Bolt) StoredRecording(recordID string) (StoredRecording, bool) {
	b.loadStoredRecordings()
	return b.mem.srecs.get(recordID)
}

// EachStoredRecording implements RecordingIndex from memory.
func (b *Bolt) EachStoredRecording(tenant string, fn func(*StoredRecording) bool) {
	b.loadStoredRecordings()
	b.mem.srecs.each(tenant, fn)
}

// StoredRecordingsOf implements RecordingIndex from memory.
func (b *Bolt) StoredRecordingsOf(tenant, meetingID string) []StoredRecording {
	b.loadStoredRecordings()
	return b.mem.srecs.of(tenant, meetingID)
}

// CountStoredRecordings implements RecordingIndex from memory.
func (b *Bolt) CountStoredRecordings(tenant, state string) int {
	b.loadStoredRecordings()
	return b.mem.srecs.count(tenant, state)
}

// StoredRecordingsAt implements RecordingIndex from memory.
func (b *Bolt) StoredRecordingsAt(tenant string, states []string, from, n int) []StoredRecording {
	b.loadStoredRecordings()
	return b.mem.srecs.at(tenant, states, from, n)
}

// CountStoredRecordingsUntil implements RecordingIndex from memory.
func (b *Bolt) CountStoredRecordingsUntil(tenant string, states []string, t int64) int {
	b.loadStoredRecordings()
	return b.mem.srecs.until(tenant, states, t)
}

// AllStoredRecordings implements RecordingIndex from memory.
func (b *Bolt) AllStoredRecordings() []StoredRecording {
	b.loadStoredRecordings()
	return b.mem.srecs.all()
}
