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
func (m Match) XML(base string) []byte {
	r, ok := decode(*m.entry)
	if !ok {
		return nil
	}
	return r.XML(base)
}

// XML renders the recording as getRecordings' <recording> element.
func (r *Recording) XML(base string) []byte {
	d := r.data
	var b strings.Builder
	el := func(name, v string) {
		b.WriteString("<" + name + ">")
		escape(&b, v)
		b.WriteString("</" + name + ">")
	}
	num := func(name string, v int64) { el(name, strconv.FormatInt(v, 10)) }
	b.WriteString("<recording>")
	el("recordID", r.RecordID)
	el("meetingID", r.MeetingID)
	el("internalMeetingID", d.InternalMeetingID)
	el("name", d.Name)
	el("isBreakout", strconv.FormatBool(d.IsBreakout))
	if d.Breakout != nil {
		b.WriteString("<breakout>")
		el("parentId", d.Breakout.ParentID)
		el("sequence", d.Breakout.Sequence)
		el("freeJoin", d.Breakout.FreeJoin)
		b.WriteString("</breakout>")
	}
	if len(d.BreakoutRooms) > 0 {
		b.WriteString("<breakoutRooms>")
		for _, id := range d.BreakoutRooms {
			el("breakoutRoom", id)
		}
		b.WriteString("</breakoutRooms>")
	}
	el("published", strconv.FormatBool(r.State == "published"))
	el("state", r.State)
	num("startTime", r.StartTime)
	num("endTime", d.EndTime)
	num("participants", d.Participants)
	num("rawSize", d.RawSize)
	b.WriteString("<metadata>")
	keys := make([]string, 0, len(r.Meta))
	for k := range r.Meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		el(k, r.Meta[k])
	}
	b.WriteString("</metadata>")
	var size int64
	for _, f := range d.Formats {
		size += f.Size
	}
	num("size", size)
	b.WriteString("<playback>")
	if r.State == "published" || r.State == "unpublished" {
		for _, f := range d.Formats {
			b.WriteString("<format>")
			el("type", f.Type)
			el("url", base+f.Link)
			num("processingTime", f.ProcessingTime)
			num("length", f.Duration/60000)
			num("size", f.Size)
			if len(f.Images) > 0 {
				b.WriteString("<preview><images>")
				for _, im := range f.Images {
					b.WriteString(`<image width="`)
					escape(&b, im.Width)
					b.WriteString(`" height="`)
					escape(&b, im.Height)
					b.WriteString(`" alt="`)
					escape(&b, im.Alt)
					b.WriteString(`">`)
					escape(&b, base+im.Path)
					b.WriteString("</image>")
				}
				b.WriteString("</images></preview>")
			}
			b.WriteString("</format>")
		}
	}
	b.WriteString("</playback><data/></recording>")
	return []byte(b.String())
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

func escape(b *strings.Builder, s string) { xmlEscaper.WriteString(b, s) }
