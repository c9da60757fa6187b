package recordings

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/tinyscale/tinyscale/state"
)

// Query is a getRecordings' filters, on one tenant's stored recordings.
type Query struct {
	Tenant string
	// RecordIDs are prefixes; when given, MeetingIDs are ignored (BBB).
	RecordIDs []string
	// MeetingIDs are the tenant's own meeting IDs.
	MeetingIDs []string
	// States as getRecordings names them; empty means published and
	// unpublished; "any" every state.
	States []string
	// Meta filters: the value may start or end with % as a wildcard.
	Meta map[string]string
}

// Match is one stored recording a query found.
type Match struct {
	RecordID  string
	StartTime int64
	entry     *state.StoredRecording
}

// Find returns the tenant's stored recordings that match q, in
// getRecordings order (start time, then record ID). A meeting ID query
// reads only that meeting's entries; others scan the tenant's index in
// memory.
func (l *Library) Find(q Query) []Match {
	out, _ := l.FindFirst(q, -1)
	return out
}

// FindFirst is Find keeping only the first n matches (all when n < 0),
// and counting them all: a page of getRecordings needs at most
// offset+limit of them, and totalElements.
func (l *Library) FindFirst(q Query, n int) ([]Match, int) {
	states := q.States
	if len(states) == 0 {
		states = []string{"published", "unpublished"}
	}
	anyState := slices.Contains(states, "any")
	keep := func(e *state.StoredRecording) bool {
		if !anyState && !slices.Contains(states, e.State) {
			return false
		}
		for k, f := range q.Meta {
			v, has := e.Meta[k]
			if !has || !matchMeta(v, f) {
				return false
			}
		}
		return true
	}
	var out []Match
	total := 0
	add := func(e *state.StoredRecording) {
		total++
		if n < 0 || len(out) < n {
			out = append(out, Match{RecordID: e.RecordID, StartTime: e.StartTime, entry: e})
		}
	}
	switch {
	case len(q.RecordIDs) > 0:
		l.Index.EachStoredRecording(q.Tenant, func(e *state.StoredRecording) bool {
			if slices.ContainsFunc(q.RecordIDs, func(p string) bool { return strings.HasPrefix(e.RecordID, p) }) && keep(e) {
				add(e)
			}
			return true
		})
	case len(q.MeetingIDs) > 0:
		for _, id := range dedupe(q.MeetingIDs) {
			for _, e := range l.Index.StoredRecordingsOf(q.Tenant, id) {
				if keep(&e) {
					add(&e)
				}
			}
		}
		if len(q.MeetingIDs) > 1 {
			// Several meetings' lists, each sorted: sort them together,
			// then cut (the cut above may have kept the wrong ones).
			all := n
			n = -1
			out, total = out[:0], 0
			for _, id := range dedupe(q.MeetingIDs) {
				for _, e := range l.Index.StoredRecordingsOf(q.Tenant, id) {
					if keep(&e) {
						add(&e)
					}
				}
			}
			slices.SortStableFunc(out, func(a, b Match) int {
				if a.StartTime != b.StartTime {
					return cmp.Compare(a.StartTime, b.StartTime)
				}
				return strings.Compare(a.RecordID, b.RecordID)
			})
			if all >= 0 && len(out) > all {
				out = out[:all]
			}
		}
	case len(q.Meta) == 0 && n >= 0:
		// Only states filter: the counts say the total, and the walk
		// stops at the n-th match.
		if anyState {
			states = []string{"published", "unpublished", "deleted", "processing", "processed"}
		}
		for _, st := range dedupe(states) {
			total += l.Index.CountStoredRecordings(q.Tenant, st)
		}
		if n > 0 {
			l.Index.EachStoredRecording(q.Tenant, func(e *state.StoredRecording) bool {
				if keep(e) {
					out = append(out, Match{RecordID: e.RecordID, StartTime: e.StartTime, entry: e})
				}
				return len(out) < n
			})
		}
	default:
		l.Index.EachStoredRecording(q.Tenant, func(e *state.StoredRecording) bool {
			if keep(e) {
				add(e)
			}
			return true
		})
	}
	return out, total
}

// allStates are the states getRecordings' state=any stands for.
var allStates = []string{"published", "unpublished", "deleted", "processing", "processed"}

// states returns the states q asks for: published and unpublished when it
// names none, as BBB does.
func (q Query) states() []string {
	switch {
	case len(q.States) == 0:
		return []string{"published", "unpublished"}
	case slices.Contains(q.States, "any"):
		return allStates
	}
	return dedupe(q.States)
}

// ByPosition reports whether q filters by state alone: its matches are
// then found by position (At, CountUntil) instead of by a walk.
func (q Query) ByPosition() bool {
	return len(q.RecordIDs) == 0 && len(q.MeetingIDs) == 0 && len(q.Meta) == 0
}

// At returns up to n of q's matches from position from of getRecordings'
// order, and how many match in all. q must filter by state alone
// (ByPosition).
func (l *Library) At(q Query, from, n int) ([]Match, int) {
	states := q.states()
	total := 0
	for _, st := range states {
		total += l.Index.CountStoredRecordings(q.Tenant, st)
	}
	if n <= 0 || from >= total {
		return nil, total
	}
	entries := l.Index.StoredRecordingsAt(q.Tenant, states, from, n)
	out := make([]Match, len(entries))
	for i := range entries {
		e := &entries[i]
		out[i] = Match{RecordID: e.RecordID, StartTime: e.StartTime, entry: e}
	}
	return out, total
}

// CountUntil returns how many of q's matches start at or before
// startTime. q must filter by state alone (ByPosition).
func (l *Library) CountUntil(q Query, startTime int64) int {
	return l.Index.CountStoredRecordingsUntil(q.Tenant, q.states(), startTime)
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// matchMeta matches a metadata value against a getRecordings meta_ filter,
// where % at the start or the end is a wildcard.
func matchMeta(value, filter string) bool {
	if filter == "%" {
		return true
	}
	pre := strings.HasPrefix(filter, "%")
	suf := len(filter) > 1 && strings.HasSuffix(filter, "%")
	core := strings.TrimSuffix(strings.TrimPrefix(filter, "%"), "%")
	switch {
	case pre && suf:
		return strings.Contains(value, core)
	case pre:
		return strings.HasSuffix(value, core)
	case suf:
		return strings.HasPrefix(value, core)
	}
	return value == filter
}

// XML renders a match as the <recording> element of getRecordings, as
// bbb-web writes it, every playback and preview URL under base (the
// tenant's public URL).
func (m Match) XML(base string) []byte { return m.AppendXML(nil, base) }

// AppendXML appends the match's <recording> element to dst: a page is
// rendered into one buffer (it is the garbage of every getRecordings, and
// garbage is what the collector's pauses over a large index cost).
func (m Match) AppendXML(dst []byte, base string) []byte {
	r, ok := decode(*m.entry)
	if !ok {
		return dst
	}
	return r.AppendXML(dst, base)
}

// XML renders the recording as getRecordings' <recording> element.
func (r *Recording) XML(base string) []byte { return r.AppendXML(nil, base) }

// AppendXML appends the recording's getRecordings <recording> element to b.
func (r *Recording) AppendXML(b []byte, base string) []byte {
	d := &r.data
	el := func(name, v string) {
		b = append(b, '<')
		b = append(b, name...)
		b = append(b, '>')
		b = appendEscaped(b, v)
		b = append(b, "</"...)
		b = append(b, name...)
		b = append(b, '>')
	}
	num := func(name string, v int64) {
		b = append(b, '<')
		b = append(b, name...)
		b = append(b, '>')
		b = strconv.AppendInt(b, v, 10)
		b = append(b, "</"...)
		b = append(b, name...)
		b = append(b, '>')
	}
	b = append(b, "<recording>"...)
	el("recordID", r.RecordID)
	el("meetingID", r.MeetingID)
	el("internalMeetingID", d.InternalMeetingID)
	el("name", d.Name)
	el("isBreakout", strconv.FormatBool(d.IsBreakout))
	if d.Breakout != nil {
		b = append(b, "<breakout>"...)
		el("parentId", d.Breakout.ParentID)
		el("sequence", d.Breakout.Sequence)
		el("freeJoin", d.Breakout.FreeJoin)
		b = append(b, "</breakout>"...)
	}
	if len(d.BreakoutRooms) > 0 {
		b = append(b, "<breakoutRooms>"...)
		for _, id := range d.BreakoutRooms {
			el("breakoutRoom", id)
		}
		b = append(b, "</breakoutRooms>"...)
	}
	el("published", strconv.FormatBool(r.State == "published"))
	el("state", r.State)
	num("startTime", r.StartTime)
	num("endTime", d.EndTime)
	num("participants", d.Participants)
	num("rawSize", d.RawSize)
	b = append(b, "<metadata>"...)
	var small [8]string
	keys := small[:0]
	for k := range r.Meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		el(k, r.Meta[k])
	}
	b = append(b, "</metadata>"...)
	var size int64
	for _, f := range d.Formats {
		size += f.Size
	}
	num("size", size)
	b = append(b, "<playback>"...)
	if r.State == "published" || r.State == "unpublished" {
		for _, f := range d.Formats {
			b = append(b, "<format>"...)
			el("type", f.Type)
			b = append(b, "<url>"...)
			b = appendEscaped(b, base)
			b = appendEscaped(b, f.Link)
			b = append(b, "</url>"...)
			num("processingTime", f.ProcessingTime)
			num("length", f.Duration/60000)
			num("size", f.Size)
			if len(f.Images) > 0 {
				b = append(b, "<preview><images>"...)
				for _, im := range f.Images {
					b = append(b, `<image width="`...)
					b = appendEscaped(b, im.Width)
					b = append(b, `" height="`...)
					b = appendEscaped(b, im.Height)
					b = append(b, `" alt="`...)
					b = appendEscaped(b, im.Alt)
					b = append(b, `">`...)
					b = appendEscaped(b, base)
					b = appendEscaped(b, im.Path)
					b = append(b, "</image>"...)
				}
				b = append(b, "</images></preview>"...)
			}
			b = append(b, "</format>"...)
		}
	}
	return append(b, "</playback><data/></recording>"...)
}

// appendEscaped appends s to b escaped for XML text and attributes, as
// bbb-web's writer escapes it (&, <, >, " and ').
func appendEscaped(b []byte, s string) []byte {
	for {
		i := strings.IndexAny(s, `&<>"'`)
		if i < 0 {
			return append(b, s...)
		}
		b = append(b, s[:i]...)
		switch s[i] {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '"':
			b = append(b, "&quot;"...)
		case '\'':
			b = append(b, "&apos;"...)
		}
		s = s[i+1:]
	}
}
