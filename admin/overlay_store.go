package admin

import (
	"encoding/json"
	"fmt"

	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
)

// OverlayDoc is the name of the admin changes' document in a state store.
const OverlayDoc = "admin-overlay"

// StoreOverlay keeps the admin changes as a document of the state store,
// so that they live with the placements (in the embedded file, or in Redis
// where every instance sees them) instead of in a file of their own.
type StoreOverlay struct {
	Store state.Store
}

// Load implements Overlay.
func (o *StoreOverlay) Load() (Changes, error) {
	data, err := o.Store.LoadDoc(OverlayDoc)
	if err != nil || data == nil {
		return Changes{}, err
	}
	var c Changes
	if err := json.Unmarshal(data, &c); err != nil {
		return Changes{}, fmt.Errorf("state store document %q: %v", OverlayDoc, err)
	}
	for id, st := range c.States {
		if _, ok := pool.ParseAdminState(string(st)); !ok {
			return Changes{}, fmt.Errorf("state store document %q: server %q has state %q", OverlayDoc, id, st)
		}
	}
	return c, nil
}

// Save implements Overlay.
func (o *StoreOverlay) Save(c Changes) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := o.Store.SaveDoc(OverlayDoc, data); err != nil {
		return fmt.Errorf("save admin state: %v", err)
	}
	return nil
}
