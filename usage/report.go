package usage

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tinyscale/tinyscale/state"
)

// Records returns the usage of meetings that started in [from, to): the
// stored records, with the meetings running now counted up to their last
// poll (replacing their checkpoints).
func (t *Tracker) Records(from, to time.Time) ([]state.UsageRecord, error) {
	recs, err := t.store.Usage(from, to)
	if err != nil {
		return nil, err
	}
	idx := make(map[recKey]int, len(recs))
	for i, r := range recs {
		idx[keyOf(r)] = i
	}
	for _, r := range t.Running() {
		if r.Start.Before(from) || !r.Start.Before(to) {
			continue
		}
		if i, ok := idx[keyOf(r)]; ok {
			recs[i] = r
		} else {
			recs = append(recs, r)
		}
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Start.Before(recs[j].Start) })
	return recs, nil
}

// The groupings of a report.
const (
	ByTenant = "tenant"
	ByDay    = "day"
	ByServer = "server"
)

// Row is the usage of one tenant, day or server.
type Row struct {
	Key                string  `json:"key"`
	Meetings           int     `json:"meetings"`
	Recorded           int     `json:"recorded"`
	MeetingMinutes     float64 `json:"meeting_minutes"`
	ParticipantMinutes float64 `json:"participant_minutes"`
	PeakParticipants   int     `json:"peak_participants"`
}

// Report is the usage of a period, grouped.
type Report struct {
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	By    string    `json:"by"`
	Rows  []Row     `json:"rows"`
	Total Row       `json:"total"`
	// Records lists every meeting, when asked for.
	Records []state.UsageRecord `json:"records,omitempty"`
}

// Summarize groups records by tenant, day (the UTC day a meeting started)
// or server, sorted by key.
func Summarize(recs []state.UsageRecord, by string, from, to time.Time) (Report, error) {
	var keyOf func(state.UsageRecord) string
	switch by {
	case ByTenant, "":
		by, keyOf = ByTenant, func(r state.UsageRecord) string { return r.Tenant }
	case ByDay:
		keyOf = func(r state.UsageRecord) string { return r.Start.UTC().Format(time.DateOnly) }
	case ByServer:
		keyOf = func(r state.UsageRecord) string { return r.Server }
	default:
		return Report{}, fmt.Errorf("by=%q: use tenant, day or server", by)
	}
	rows := map[string]*Row{}
	rep := Report{From: from, To: to, By: by, Rows: []Row{}, Total: Row{Key: "total"}}
	for _, r := range recs {
		k := keyOf(r)
		row := rows[k]
		if row == nil {
			row = &Row{Key: k}
			rows[k] = row
		}
		for _, x := range []*Row{row, &rep.Total} {
			x.Meetings++
			if r.Recorded {
				x.Recorded++
			}
			x.MeetingMinutes += r.End.Sub(r.Start).Minutes()
			x.ParticipantMinutes += r.ParticipantMinutes
			x.PeakParticipants = max(x.PeakParticipants, r.PeakParticipants)
		}
	}
	for _, row := range rows {
		rep.Rows = append(rep.Rows, *row)
	}
	sort.Slice(rep.Rows, func(i, j int) bool { return rep.Rows[i].Key < rep.Rows[j].Key })
	return rep, nil
}

// ParsePeriod reads a report's bounds: dates (2026-11-01, taken in UTC)
// or RFC 3339 times. A date as to includes that whole day. Empty from is
// the first of this month (UTC), empty to is now.
func ParsePeriod(from, to string, now time.Time) (time.Time, time.Time, error) {
	now = now.UTC()
	f := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	t := now.Add(time.Second)
	var err error
	if from != "" {
		if f, err = parseTime(from, false); err != nil {
			return f, t, fmt.Errorf("from: %v", err)
		}
	}
	if to != "" {
		if t, err = parseTime(to, true); err != nil {
			return f, t, fmt.Errorf("to: %v", err)
		}
	}
	if !f.Before(t) {
		return f, t, errors.New("from must be before to")
	}
	return f, t, nil
}

func parseTime(s string, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither a date (2026-11-01) nor an RFC 3339 time (2026-11-01T08:00:00Z)", s)
}
