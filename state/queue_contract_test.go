package state

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// The queue's and InitDoc's part of the contract every Store keeps.
func init() {
	contract = append(contract, queueContract...)
}

var queueContract = []struct {
	name string
	run  func(t *testing.T, s Store)
}{
	{"put jobs are never adopted by their own instance", func(t *testing.T, s Store) {
		must(t, s.PutJob(Job{ID: "j1", Tenant: "a", Data: []byte(`{"u":"x"}`)}))
		must(t, s.PutJob(Job{ID: "j2", Tenant: "b", Data: []byte{0, 1, 0xff}}))
		must(t, s.PutJob(Job{ID: "j1", Tenant: "a", Data: []byte(`{"u":"y"}`)})) // replace
		got, err := s.AdoptJobs()
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("AdoptJobs returned this instance's own jobs: %+v", got)
		}
		must(t, s.DeleteJob("j1"))
		must(t, s.DeleteJob("j1")) // deleting nothing is fine
		must(t, s.DeleteJob("never"))
	}},
	{"init doc stores once", func(t *testing.T, s Store) {
		d, err := s.InitDoc("key", []byte("first"))
		if err != nil || string(d) != "first" {
			t.Fatalf("InitDoc of a new doc = %q, %v; want first", d, err)
		}
		d, err = s.InitDoc("key", []byte("second"))
		if err != nil || string(d) != "first" {
			t.Fatalf("InitDoc of an existing doc = %q, %v; want the first", d, err)
		}
		if d, _ := s.LoadDoc("key"); string(d) != "first" {
			t.Fatalf("LoadDoc after InitDoc = %q, want first", d)
		}
	}},
	{"concurrent init doc has one winner", func(t *testing.T, s Store) {
		got := make([][]byte, 20)
		var wg sync.WaitGroup
		for i := range got {
			wg.Go(func() {
				d, err := s.InitDoc("race", fmt.Appendf(nil, "v%d", i))
				if err != nil {
					t.Error(err)
				}
				got[i] = d
			})
		}
		wg.Wait()
		for i, d := range got {
			if !bytes.Equal(d, got[0]) {
				t.Fatalf("InitDoc %d learnt %q, InitDoc 0 learnt %q", i, d, got[0])
			}
		}
	}},
}

// TestBoltAdoptsJobsAfterRestart: jobs put by a process that stopped
// (or was killed: bolt commits before PutJob returns) are adopted by the
// next, once, and deleted ones are not.
func TestBoltAdoptsJobsAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	b, err := OpenBolt(path)
	must(t, err)
	must(t, b.PutJob(Job{ID: "j1", Tenant: "a", Data: []byte("one")}))
	must(t, b.PutJob(Job{ID: "j2", Tenant: "b", Data: []byte("two")}))
	must(t, b.PutJob(Job{ID: "j3", Tenant: "b", Data: []byte("three")}))
	must(t, b.DeleteJob("j3"))
	must(t, b.Close())

	b, err = OpenBolt(path)
	must(t, err)
	defer b.Close()
	got, err := b.AdoptJobs()
	must(t, err)
	if len(got) != 2 || got[0].ID != "j1" || string(got[0].Data) != "one" || got[0].Tenant != "a" ||
		got[1].ID != "j2" || string(got[1].Data) != "two" {
		t.Fatalf("adopted %+v, want j1 and j2 with their data", got)
	}
	if again, _ := b.AdoptJobs(); len(again) != 0 {
		t.Fatalf("a second AdoptJobs returned %+v again", again)
	}
}

// TestRedisAdoptsJobsOfADeadInstance: another instance takes over the
// jobs of one that stopped renewing its lease, exactly once, and never
// those of a live one.
func TestRedisAdoptsJobsOfADeadInstance(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	a := openRedis(t, url, prefix)
	b := openRedis(t, url, prefix)
	c := openRedis(t, url, prefix)
	must(t, a.PutJob(Job{ID: "j1", Tenant: "t", Data: []byte("one")}))
	must(t, a.PutJob(Job{ID: "j2", Tenant: "t", Data: []byte{0, 0xfe}}))
	if got, _ := b.AdoptJobs(); len(got) != 0 {
		t.Fatalf("b adopted %+v from a live instance", got)
	}
	// a dies: its lease key goes.
	must(t, a.client.Del(t.Context(), a.aliveKey(a.id)).Err())
	got, err := b.AdoptJobs()
	must(t, err)
	if len(got) != 2 || got[0].ID == got[1].ID {
		t.Fatalf("b adopted %+v, want j1 and j2", got)
	}
	for _, j := range got {
		if j.ID == "j2" && !bytes.Equal(j.Data, []byte{0, 0xfe}) {
			t.Fatalf("j2's data came back as %q", j.Data)
		}
	}
	if got, _ := c.AdoptJobs(); len(got) != 0 {
		t.Fatalf("c adopted %+v that b holds", got)
	}
	if got, _ := b.AdoptJobs(); len(got) != 0 {
		t.Fatalf("b adopted its own jobs again: %+v", got)
	}
}

// TestRedisReleaseJobsHandsOver: an instance that stops cleanly hands its
// jobs over at once, without waiting for its lease to run out.
func TestRedisReleaseJobsHandsOver(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	a := openRedis(t, url, prefix)
	b := openRedis(t, url, prefix)
	must(t, a.PutJob(Job{ID: "j1", Tenant: "t", Data: []byte("one")}))
	must(t, a.ReleaseJobs())
	got, err := b.AdoptJobs()
	must(t, err)
	if len(got) != 1 || got[0].ID != "j1" {
		t.Fatalf("after a clean stop, b adopted %+v, want j1", got)
	}
}
