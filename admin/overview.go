package admin

import (
	"net/http"
	"time"

	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
)

// Overview is the answer of GET overview: the cluster at a glance. The
// counts of parts that are off are null ("n/a" on the dashboard).
type Overview struct {
	Servers   int `json:"servers"`
	Online    int `json:"online"`
	Available int `json:"available"`
	Enabled   int `json:"enabled"`
	Cordoned  int `json:"cordoned"`
	Disabled  int `json:"disabled"`
	// Meetings and the counts after it are what the last polls saw
	// running; Placed counts the meetings tinyscale placed.
	Meetings         int       `json:"meetings"`
	Placed           int       `json:"placed"`
	Participants     int       `json:"participants"`
	Voice            int       `json:"voice"`
	Video            int       `json:"video"`
	Load             float64   `json:"load"`
	CallbacksQueued  *int      `json:"callbacks_queued"`
	RecordingsQueued *int      `json:"recordings_queued"`
	Instances        *int      `json:"instances"`
	Now              time.Time `json:"now"`
}

func gauge(f func() int) *int {
	if f == nil {
		return nil
	}
	n := f()
	return &n
}

func (a *API) getOverview(w http.ResponseWriter, r *http.Request) {
	p := a.cfg.Fleet.Pool()
	now := time.Now()
	o := Overview{Now: now.UTC(), Placed: placedCount(a.cfg.Store),
		CallbacksQueued: gauge(a.cfg.Gauges.CallbacksQueued), RecordingsQueued: gauge(a.cfg.Gauges.RecordingsQueued),
		Instances: gauge(a.cfg.Gauges.Instances)}
	o.Available = len(p.Available())
	for _, s := range p.All() {
		st := s.Status(p.Model, now)
		o.Servers++
		if st.Online {
			o.Online++
		}
		switch st.Admin {
		case pool.Enabled:
			o.Enabled++
		case pool.Cordoned:
			o.Cordoned++
		case pool.Disabled:
			o.Disabled++
		}
		o.Meetings += st.Meetings
		o.Participants += st.Participants
		o.Voice += st.Voice
		o.Video += st.Video
		o.Load += st.Load
	}
	writeJSON(w, http.StatusOK, o)
}

// placedCount counts the placements, without copying them when the store
// can.
func placedCount(s state.Store) int {
	if c, ok := s.(state.MeetingCounter); ok {
		return c.MeetingCount()
	}
	return len(s.Meetings())
}
