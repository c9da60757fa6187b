package state

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bucketJobs holds the delivery queue: job ID → Job as JSON.
var bucketJobs = []byte("jobs")

// PutJob implements Store: committed and fsync'd before it returns.
// Only one process opens a bolt file, so the file's jobs are this
// process's once put or adopted.
func (b *Bolt) PutJob(j Job) error {
	v, err := json.Marshal(j)
	if err != nil {
		return err
	}
	err = b.db.Batch(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(bucketJobs)
		if err != nil {
			return err
		}
		return bk.Put([]byte(j.ID), v)
	})
	if err != nil {
		return fmt.Errorf("state: queue job: %w", err)
	}
	b.held.put(Job{ID: j.ID})
	return nil
}

// DeleteJob implements Store.
func (b *Bolt) DeleteJob(id string) error {
	err := b.db.Batch(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketJobs)
		if bk == nil {
			return nil
		}
		return bk.Delete([]byte(id))
	})
	if err != nil {
		return fmt.Errorf("state: delete job: %w", err)
	}
	b.held.delete(id)
	return nil
}

// AdoptJobs implements Store: the jobs in the file that this process did
// not put or adopt, which a process before it (stopped or killed) left.
func (b *Bolt) AdoptJobs() ([]Job, error) {
	var out []Job
	err := b.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketJobs)
		if bk == nil {
			return nil
		}
		return bk.ForEach(func(k, v []byte) error {
			if b.held.has(string(k)) {
				return nil
			}
			var j Job
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("job %q: %w", k, err)
			}
			out = append(out, j)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("state: adopt jobs from %s: %w", b.path, err)
	}
	for _, j := range out {
		b.held.put(Job{ID: j.ID})
	}
	return out, nil
}

// InitDoc implements Store.
func (b *Bolt) InitDoc(name string, data []byte) ([]byte, error) {
	mu := b.lock("d\x00" + name)
	mu.Lock()
	defer mu.Unlock()
	if d, _ := b.mem.LoadDoc(name); d != nil {
		return d, nil
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDocs).Put([]byte(name), data)
	})
	if err != nil {
		return nil, fmt.Errorf("state: save %s: %w", name, err)
	}
	b.mem.SaveDoc(name, data)
	return append([]byte(nil), data...), nil
}
