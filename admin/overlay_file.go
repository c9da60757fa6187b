package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/tinyscale/tinyscale/pool"
)

// FileOverlay keeps the admin changes in a JSON file. The file holds the
// secrets of servers added through the API, so it is written with mode
// 0600, and always whole: to a temporary file in the same directory, then
// renamed over the old one.
type FileOverlay struct {
	Path string
}

// Load implements Overlay. A missing file is no changes.
func (f *FileOverlay) Load() (Changes, error) {
	data, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return Changes{}, nil
	}
	if err != nil {
		return Changes{}, fmt.Errorf("%s: %v", f.Path, err)
	}
	var c Changes
	if err := json.Unmarshal(data, &c); err != nil {
		return Changes{}, fmt.Errorf("%s: not tinyscale's admin state (%v); fix or remove it (TINYSCALE_ADMIN_STATE)", f.Path, err)
	}
	for id, st := range c.States {
		if _, ok := pool.ParseAdminState(string(st)); !ok {
			return Changes{}, fmt.Errorf("%s: server %q has state %q; use enabled, cordoned or disabled", f.Path, id, st)
		}
	}
	return c, nil
}

// Save implements Overlay.
func (f *FileOverlay) Save(c Changes) error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.Path), ".tinyscale-admin-*.json")
	if err != nil {
		return fmt.Errorf("save admin state: %v (set TINYSCALE_ADMIN_STATE to a writable path)", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("save admin state: %v", err)
	}
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync() // the rename must not land before the data
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), f.Path)
	}
	if err != nil {
		return fmt.Errorf("save admin state to %s: %v", f.Path, err)
	}
	return nil
}

// MemoryOverlay keeps the changes in memory only, for `tinyscale demo`
// and tests: they are lost on exit.
type MemoryOverlay struct {
	mu sync.Mutex
	c  Changes
}

// Load implements Overlay.
func (m *MemoryOverlay) Load() (Changes, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.c.clone(), nil
}

// Save implements Overlay.
func (m *MemoryOverlay) Save(c Changes) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.c = c.clone()
	return nil
}
