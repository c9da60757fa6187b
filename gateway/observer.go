package gateway

import "time"

// Observer is told what the gateway does, for metrics. Implementations
// must be safe for concurrent use and fast: they run on the request path.
// Labels never carry secrets, checksums or meeting IDs.
type Observer interface {
	// APICall is one client request: its tenant, the call name
	// ("unsupported" for an unknown one), its result (a messageKey,
	// "SUCCESS", "redirect"), and how long tinyscale took to answer.
	APICall(tenant, call, result string, d time.Duration)
	// BackendCall is one request to a BBB server; err is nil on an answer.
	BackendCall(server, call string, err error, d time.Duration)
	// Placement is a new meeting placed on a server.
	Placement(server string)
	// Conflict is a meeting found running on another server than its
	// placement.
	Conflict()
}

type nopObserver struct{}

func (nopObserver) APICall(string, string, string, time.Duration)    {}
func (nopObserver) BackendCall(string, string, error, time.Duration) {}
func (nopObserver) Placement(string)                                 {}
func (nopObserver) Conflict()                                        {}
