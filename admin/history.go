package admin

import (
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tinyscale/tinyscale/pool"
)

// History keeps, in memory, the cluster's participants and each server's
// load over the last hours, for the dashboard's chart: a ring of samples,
// bounded in count, so its memory is bounded too (about 4 bytes per
// server per sample).
type History struct {
	mu    sync.Mutex
	every time.Duration // at most one sample per every
	size  int
	times []time.Time // ring, oldest at next once full
	parts []int
	meets []int
	load  map[string][]float32 // by server ID, aligned with times
	next  int
	full  bool
}

// Defaults of NewHistory: 6 hours at one sample per 30 seconds.
const (
	DefaultHistorySamples = 720
	DefaultHistoryEvery   = 30 * time.Second
)

// NewHistory keeps size samples taken at most every every (the defaults
// when zero).
func NewHistory(size int, every time.Duration) *History {
	if size <= 0 {
		size = DefaultHistorySamples
	}
	if every <= 0 {
		every = DefaultHistoryEvery
	}
	return &History{every: every, size: size, load: map[string][]float32{}}
}

// Sample records the pool as it is at now, unless the last sample is
// younger than the interval. Call it after every poll round.
func (h *History) Sample(p *pool.Pool, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := h.len(); n > 0 && now.Sub(h.times[h.idx(n-1)]) < h.every {
		return
	}
	ls := takeSample(p, now)
	parts, meets, loads := ls.parts, ls.meets, ls.load
	i := h.next
	if !h.full {
		h.times = append(h.times, now)
		h.parts = append(h.parts, parts)
		h.meets = append(h.meets, meets)
	} else {
		h.times[i], h.parts[i], h.meets[i] = now, parts, meets
	}
	for id, l := range loads {
		series := h.load[id]
		if series == nil {
			series = make([]float32, h.size)
			h.load[id] = series
		}
		series[i] = l
	}
	for id, series := range h.load {
		if _, ok := loads[id]; !ok {
			series[i] = 0 // removed, or not polled: no load
		}
	}
	h.next = (h.next + 1) % h.size
	if h.next == 0 {
		h.full = true
	}
	// Servers with no load in any kept sample are gone for good.
	if h.next == 0 {
		for id, series := range h.load {
			if _, ok := loads[id]; !ok && allZero(series) {
				delete(h.load, id)
			}
		}
	}
}

func allZero(s []float32) bool {
	for _, v := range s {
		if v != 0 {
			return false
		}
	}
	return true
}

func (h *History) len() int {
	if h.full {
		return h.size
	}
	return len(h.times)
}

// idx is the ring index of the i-th oldest sample.
func (h *History) idx(i int) int {
	if h.full {
		return (h.next + i) % h.size
	}
	return i
}

// HistorySeries is one server's load over the samples.
type HistorySeries struct {
	Server string    `json:"server"`
	Load   []float32 `json:"load"`
}

// HistoryAnswer is the answer of GET history: the samples' times (Unix
// milliseconds), the cluster's participants and meetings, and the load of
// the servers asked for (by default the most loaded now).
type HistoryAnswer struct {
	Times        []int64         `json:"times"`
	Participants []int           `json:"participants"`
	Meetings     []int           `json:"meetings"`
	Servers      []HistorySeries `json:"servers"`
}

// maxChartServers bounds the series of one answer.
const maxChartServers = 12

// liveSample is the pool now, appended to an answer as its last point so
// the chart ends at the present however old the last sample is.
type liveSample struct {
	at           time.Time
	parts, meets int
	load         map[string]float32
}

func takeSample(p *pool.Pool, now time.Time) liveSample {
	ls := liveSample{at: now, load: map[string]float32{}}
	for _, s := range p.All() {
		st := s.Status(p.Model, now)
		ls.parts += st.Participants
		ls.meets += st.Meetings
		ls.load[s.ID] = float32(st.Load)
	}
	return ls
}

func (h *History) answer(ids []string, top int, live *liveSample) HistoryAnswer {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.len()
	m := n
	if live != nil {
		m++
	}
	ans := HistoryAnswer{Times: make([]int64, m), Participants: make([]int, m), Meetings: make([]int, m), Servers: []HistorySeries{}}
	for i := range n {
		j := h.idx(i)
		ans.Times[i], ans.Participants[i], ans.Meetings[i] = h.times[j].UnixMilli(), h.parts[j], h.meets[j]
	}
	if live != nil {
		ans.Times[n], ans.Participants[n], ans.Meetings[n] = live.at.UnixMilli(), live.parts, live.meets
	}
	if len(ids) == 0 && n > 0 {
		last := h.idx(n - 1)
		for id := range h.load {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(a, b int) bool {
			la, lb := h.load[ids[a]][last], h.load[ids[b]][last]
			if la != lb {
				return la > lb
			}
			return ids[a] < ids[b]
		})
		ids = ids[:min(top, len(ids))]
	}
	for _, id := range ids[:min(maxChartServers, len(ids))] {
		series, ok := h.load[id]
		if !ok {
			continue
		}
		out := make([]float32, m)
		for i := range n {
			out[i] = series[h.idx(i)]
		}
		if live != nil {
			out[n] = live.load[id]
		}
		ans.Servers = append(ans.Servers, HistorySeries{Server: id, Load: out})
	}
	return ans
}

// Sample records the pool in the API's history: call it after every poll
// round.
func (a *API) Sample(now time.Time) { a.history.Sample(a.cfg.Fleet.Pool(), now) }

// getHistory answers GET history[?servers=a,b]: the chart's data.
func (a *API) getHistory(w http.ResponseWriter, r *http.Request) {
	var ids []string
	if v := r.URL.Query().Get("servers"); v != "" {
		ids = strings.Split(v, ",")
	}
	live := takeSample(a.cfg.Fleet.Pool(), time.Now())
	writeJSON(w, http.StatusOK, a.history.answer(ids, 8, &live))
}
