package gateway

import (
	"bytes"
	"cmp"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/recordings"
)

// The recording calls when tinyscale keeps its own recording store
// (Config.Recordings, TINYSCALE_RECORDINGS): a stored recording is
// tinyscale's. getRecordings lists it from the store (never again from its
// origin, which may still hold it), merged with the servers' live answers
// for recordings not pushed yet; publish, update and delete act on the
// stored copy and answer as BBB does.

// storeQuery reads a getRecordings' filters for the store, on the
// caller's tenant: its meeting IDs are its own, as the index keeps them.
func storeQuery(c *call) recordings.Query {
	q := recordings.Query{Tenant: c.tenant.Name, Meta: map[string]string{}}
	q.RecordIDs = idListParam(c.param("recordID"))
	if len(q.RecordIDs) == 0 {
		q.MeetingIDs = idListParam(c.param("meetingID"))
	}
	q.States = csvParam(strings.ToLower(c.param("state")))
	for k, v := range metaParams(c) {
		q.Meta[k] = v
	}
	return q
}

// metaKey is what BBB accepts as a meta_ parameter's name; the rest of it
// becomes an XML element name in getRecordings, so nothing else is taken.
var metaKey = regexp.MustCompile(`^meta_([A-Za-z0-9_.-]+)$`)

// metaParams returns the call's meta_ parameters, names lower-cased as
// bbb-web keeps them (bbb.ParamKey), the first of names it folds together.
func metaParams(c *call) map[string]string {
	out := map[string]string{}
	for _, kv := range c.params {
		m := metaKey.FindStringSubmatch(kv.Name)
		if m == nil {
			continue
		}
		k := strings.TrimPrefix(bbb.ParamKey(kv.Name), "meta_")
		if _, seen := out[k]; !seen {
			out[k] = kv.Value
		}
	}
	return out
}

// idListParam reads a list of IDs as bbb-web's decodeIds does (decoded
// once more, then split; bbb.IDList), so that the store answers for the
// IDs a BBB server would read. A list that does not decode is kept as one
// ID, which matches no recording (and does not widen the filter to all).
func idListParam(v string) []string {
	ids, ok := bbb.IDList(v)
	if !ok {
		return []string{v}
	}
	return csvParam(strings.Join(ids, ","))
}

func csvParam(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// getStoredRecordings answers getRecordings from the store and the live
// servers together.
func (g *Gateway) getStoredRecordings(w http.ResponseWriter, c *call) {
	lib := g.cfg.Recordings
	pg := readPage(c)
	q := storeQuery(c)
	live, liveTotal := g.liveRecordings(c, pg, lib.Has)
	slices.SortStableFunc(live, func(a, b liveRecording) int {
		if a.start != b.start {
			return cmp.Compare(a.start, b.start)
		}
		return strings.Compare(a.id, b.id)
	})
	// The page merges two sorted lists, stored first on equal start
	// times. A state-only page is found by position: the live
	// recordings before the offset are those whose merged position (its
	// index plus the stored ones starting at or before it) is below it,
	// and the rest of the offset is stored ones, read from there on. Any
	// other filter walks the stored matches up to the page's end.
	var matches []recordings.Match
	var stored, skipLive int
	from, to := 0, -1
	if pg.paged && q.ByPosition() {
		skipLive = sort.Search(len(live), func(j int) bool { return j+lib.CountUntil(q, live[j].start) >= pg.offset })
		matches, stored = lib.At(q, pg.offset-skipLive, pg.limit)
		live = live[skipLive:]
		to = min(len(matches)+len(live), pg.limit)
	} else {
		first := -1
		if pg.paged {
			first = pg.offset + pg.limit // the page needs no later stored ones
		}
		matches, stored = lib.FindFirst(q, first)
		to = len(matches) + len(live)
		if pg.paged {
			from, to = min(pg.offset, to), min(pg.offset+pg.limit, to)
		}
	}
	total := stored + liveTotal
	base := lib.BaseURL(c.tenant.Name)
	// The page is rendered into one buffer, sized for it at once (a
	// stored <recording> is about 1 KB): growing it would be most of a
	// page's garbage.
	buf := make([]byte, 0, min(to-from, 1000)*recordingSize)
	for i, j, k := 0, 0, 0; k < to; k++ {
		takeStored := j >= len(live) || (i < len(matches) && matches[i].StartTime <= live[j].start)
		if takeStored {
			if k >= from {
				buf = matches[i].AppendXML(buf, base)
			}
			i++
		} else {
			if k >= from {
				buf = append(buf, live[j].raw...)
			}
			j++
		}
	}
	var items [][]byte
	if len(buf) > 0 {
		items = [][]byte{buf}
	}
	var extra []byte
	if pg.paged {
		extra = []byte("<totalElements>" + strconv.Itoa(total) + "</totalElements>")
	}
	c.result = bbb.Success
	bbb.WriteXML(w, g.restore(bbb.ListXML("recordings", items, "noRecordings", noRecordingsMessage, extra)))
}

// recordingSize is about what a stored recording's <recording> element
// takes, to size a page's buffer.
const recordingSize = 1536

// storedRecordingsCall handles publish, update and deleteRecordings for
// the recordIDs in the store, and passes the others on to the servers. It
// reports false when none of them is stored (the caller goes on as
// without a store).
func (g *Gateway) storedRecordingsCall(w http.ResponseWriter, c *call, ids []string) bool {
	lib := g.cfg.Recordings
	var stored, rest []string
	for _, id := range ids {
		if _, ok := lib.Get(c.tenant.Name, id); ok {
			stored = append(stored, id)
		} else {
			rest = append(rest, id)
		}
	}
	if len(stored) == 0 {
		return false
	}
	var elem, value string
	var err error
	switch c.name {
	case bbb.CallPublishRecordings:
		publish := c.param("publish")
		if publish != "true" && publish != "false" {
			c.fail(w, &bbb.Error{Key: "missingParamPublish", Message: "You must specify a publish value true or false."})
			return true
		}
		st := "unpublished"
		if publish == "true" {
			st = "published"
		}
		_, err = lib.SetState(c.tenant.Name, stored, st)
		elem, value = "published", publish
	case bbb.CallDeleteRecordings:
		_, err = lib.SetState(c.tenant.Name, stored, "deleted")
		elem, value = "deleted", "true"
	case bbb.CallUpdateRecordings:
		_, err = lib.UpdateMeta(c.tenant.Name, stored, metaParams(c))
		elem, value = "updated", "true"
	default:
		return false
	}
	if err != nil {
		g.log.Error("recording store: change failed", "call", c.name, "error", err)
		c.fail(w, bbb.ErrStateUnavailable)
		return true
	}
	if len(rest) > 0 {
		// The others may live on the servers: their answer does not
		// change ours (some were found), but they must be changed too.
		rc := *c
		rc.params = c.params.Clone()
		rc.params.Set("recordID", bbb.EncodeIDList(rest))
		g.recordingsCallServers(httptest.NewRecorder(), &rc, rest)
	}
	c.result = bbb.Success
	var b bytes.Buffer
	b.WriteString("<response><returncode>SUCCESS</returncode><" + elem + ">" + value + "</" + elem + "></response>")
	bbb.WriteXML(w, b.Bytes())
	return true
}
