package admin

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tinyscale/tinyscale/state"
	usagepkg "github.com/tinyscale/tinyscale/usage"
)

// UsageSource is where the usage endpoint reads meeting lifetimes: the
// usage.Tracker, which adds the meetings running now to the stored
// records.
type UsageSource interface {
	Records(from, to time.Time) ([]state.UsageRecord, error)
}

// getUsage answers GET usage?from=D&to=D&by=tenant|day|server[&records=true]:
// the usage of the meetings that started in the period, grouped. See
// docs/admin.md, "Usage".
func (a *API) getUsage(w http.ResponseWriter, r *http.Request) {
	if a.cfg.Usage == nil {
		writeError(w, http.StatusNotFound, "usage accounting is off: the state store does not keep usage")
		return
	}
	q := r.URL.Query()
	from, to, err := usagepkg.ParsePeriod(q.Get("from"), q.Get("to"), time.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	recs, err := a.cfg.Usage.Records(from, to)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "cannot read usage: "+err.Error())
		return
	}
	rep, err := usagepkg.Summarize(recs, q.Get("by"), from, to)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if b, _ := strconv.ParseBool(q.Get("records")); b {
		rep.Records = recs
		if rep.Records == nil {
			rep.Records = []state.UsageRecord{}
		}
	}
	writeJSON(w, http.StatusOK, rep)
}
