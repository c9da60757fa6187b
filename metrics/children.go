package metrics

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// apiChild is the counter and histogram one API call's labels resolve to.
// Resolving labels through a vector (WithLabelValues) hashes and validates
// every value and takes the vector's lock; an API call is counted with a
// lookup in children instead, which takes no lock once the labels were
// seen.
type apiChild struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// apiKey is an API call's raw labels, before callLabel and the result cap.
type apiKey struct{ tenant, call, result string }

// maxChildren bounds the raw label combinations kept resolved. The labels
// themselves are bounded (see labels.go), but raw results and call names
// are not: past the bound, a call is resolved through the vectors each
// time, which counts the same at a higher cost.
const maxChildren = 4096

// childCache maps apiKey to *apiChild.
type childCache struct {
	m sync.Map
	n atomic.Int64
}

// apiChild returns the metrics of an API call with these labels.
func (m *Metrics) apiChild(tenant, call, result string) *apiChild {
	k := apiKey{tenant, call, result}
	if c, ok := m.children.m.Load(k); ok {
		return c.(*apiChild)
	}
	label := callLabel(call)
	c := &apiChild{
		requests: m.apiRequests.WithLabelValues(tenant, label, m.results.get(result)),
		duration: m.apiDuration.WithLabelValues(label),
	}
	if m.children.n.Add(1) <= maxChildren {
		m.children.m.Store(k, c)
	} else {
		m.children.n.Add(-1)
	}
	return c
}
