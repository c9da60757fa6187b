package state

import (
	"strconv"
	"time"
)

// Hook is a webhook an integration registered with hooks/create. Its ID
// is unique across every instance sharing the store: a counter from 1, as
// bbb-webhooks 2.6 numbers hooks on one server.
type Hook struct {
	ID          string `json:"id"`
	Tenant      string `json:"tenant"`
	CallbackURL string `json:"callback_url"`
	// MeetingID is the tenant's own meeting ID the hook is limited to; ""
	// for a hook that receives every meeting of its tenant.
	MeetingID string `json:"meeting_id,omitempty"`
	// EventIDs, lower-cased, are the only events the hook receives; empty
	// for all.
	EventIDs []string `json:"event_ids,omitempty"`
	// Raw asks for BBB's raw messages instead of the mapped events.
	Raw       bool      `json:"raw,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// HookStore keeps the webhook registry.
// Every method is safe for concurrent use and atomic across the
// instances sharing the store.
type HookStore interface {
	// AddHook registers h with a new ID, unless the tenant already has a
	// hook with h.CallbackURL: then it returns that one and true (as
	// bbb-webhooks answers duplicateWarning). A zero CreatedAt is set to now.
	AddHook(h Hook) (hook Hook, duplicate bool, err error)
	// RemoveHook removes the tenant's hook with that ID and reports
	// whether there was one; another tenant's hook is never touched.
	RemoveHook(tenant, id string) (bool, error)
	// Hooks lists every hook, in the order of their IDs.
	Hooks() ([]Hook, error)
}

// hookLess orders hooks by their numeric IDs.
func hookLess(a, b Hook) int {
	x, _ := strconv.ParseInt(a.ID, 10, 64)
	y, _ := strconv.ParseInt(b.ID, 10, 64)
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}
