package bbbfake

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tinyscale/tinyscale/bbb"
)

// Recording is a recording held by the server.
type Recording struct {
	RecordID, MeetingID, Name string
	Published                 bool
	// State is processing, processed, published, unpublished or deleted;
	// when empty, AddRecording derives it from Published.
	State string
	// StartTime and EndTime are milliseconds since the epoch.
	StartTime, EndTime int64
	Participants       int
	// Metadata keys are as getRecordings shows them (lower case).
	Metadata   map[string]string
	IsBreakout bool
	// ParentID is, for a breakout room's recording, the internal meeting
	// ID of its parent (the parent's recordID); Sequence is the room's
	// number. getRecordings shows them in <breakout>.
	ParentID string
	Sequence int
}

// recording is a stored recording and its text tracks. Guarded by Server.mu.
type recording struct {
	Recording
	tracks []TextTrack
}

var errMissingPublish = &bbb.Error{Key: "missingParamPublish", Message: "You must specify a publish value true or false."}

const msgNoRecordings = "There are no recordings for the meeting(s)."

func (r Recording) clone() Recording {
	r.Metadata = maps.Clone(r.Metadata)
	return r
}

// AddRecording stores a recording, replacing one with the same RecordID.
func (s *Server) AddRecording(r Recording) {
	r = r.clone()
	if r.Metadata == nil {
		r.Metadata = map[string]string{}
	}
	switch r.State {
	case "":
		r.State = "unpublished"
		if r.Published {
			r.State = "published"
		}
	case "published":
		r.Published = true
	case "unpublished", "deleted":
		r.Published = false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.findRecording(r.RecordID); old != nil {
		old.Recording = r
		return
	}
	s.recordings = append(s.recordings, &recording{Recording: r})
}

// Recordings returns a copy of every recording, deleted ones included.
func (s *Server) Recordings() []Recording {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Recording, len(s.recordings))
	for i, r := range s.recordings {
		out[i] = r.clone()
	}
	return out
}

func (s *Server) findRecording(id string) *recording {
	for _, r := range s.recordings {
		if r.RecordID == id {
			return r
		}
	}
	return nil
}

// csv reads a list of IDs as ParamsProcessorUtil.decodeIds does: the
// value is URL-decoded once more, then split at ','; empty entries are
// dropped. A value that does not decode lists nothing.
func csv(v string) []string {
	d, err := url.QueryUnescape(v)
	if err != nil {
		return nil
	}
	var out []string
	for _, f := range strings.Split(d, ",") {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// matchMeta matches a recording's metadata value against a getRecordings
// meta_ filter, where % at the start or end is a wildcard.
func matchMeta(value string, has bool, filter string) bool {
	if !has {
		return false
	}
	pre := strings.HasPrefix(filter, "%")
	suf := len(filter) > 1 && strings.HasSuffix(filter, "%")
	core := strings.TrimSuffix(strings.TrimPrefix(filter, "%"), "%")
	if filter == "%" {
		return true
	}
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

// getRecordings filters by recordID prefixes (which win over meetingID),
// meetingID, state and meta_ values, then pages with offset/limit.
func (c *apiCall) getRecordings() {
	recordIDs := csv(c.get("recordID"))
	var meetingIDs []string
	if len(recordIDs) == 0 {
		meetingIDs = csv(c.get("meetingID"))
	}
	states := csv(strings.ToLower(c.get("state")))
	if len(states) == 0 {
		states = []string{"published", "unpublished"}
	}
	anyState := slices.Contains(states, "any")
	meta := metadataOf(c.params)

	s := c.s
	s.mu.Lock()
	noFetchAll := s.noFetchAll
	var items [][]byte
	for _, r := range s.recordings {
		if len(recordIDs) > 0 && !slices.ContainsFunc(recordIDs, func(p string) bool { return strings.HasPrefix(r.RecordID, p) }) {
			continue
		}
		if len(meetingIDs) > 0 && !slices.Contains(meetingIDs, r.MeetingID) {
			continue
		}
		if !anyState && !slices.Contains(states, r.State) {
			continue
		}
		ok := true
		for k, f := range meta {
			v, has := r.Metadata[k]
			ok = ok && matchMeta(v, has, f)
		}
		if ok {
			items = append(items, s.recordingXML(r))
		}
	}
	s.mu.Unlock()

	offset, limit, paged := bbbPage(c.get("offset"), c.get("limit"))
	if !paged && len(recordIDs) == 0 && len(meetingIDs) == 0 && noFetchAll {
		// bbb-web with allowFetchAllRecordings=false: no IDs and no
		// paging answers nothing instead of every recording.
		items = nil
	}
	var extra []byte
	if paged {
		total := len(items)
		items = items[min(offset, total):min(offset+limit, total)]
		extra = []byte("<totalElements>" + strconv.Itoa(total) + "</totalElements>")
	}
	c.xml(bbb.ListXML("recordings", items, "noRecordings", msgNoRecordings, extra))
}

// SetAllowFetchAllRecordings sets bbb-web's allowFetchAllRecordings (true
// by default): with false, a getRecordings without recordID, meetingID and
// limit answers noRecordings.
func (s *Server) SetAllowFetchAllRecordings(allow bool) {
	s.mu.Lock()
	s.noFetchAll = !allow
	s.mu.Unlock()
}

// bbbPage reads offset and limit as bbb-web's MeetingService does: the
// answer is paged only when limit parses as an integer (offset alone pages
// nothing); limit is then clamped to 1..100 (limit=0 gives one recording)
// and an offset that is missing, invalid or negative counts as 0.
func bbbPage(offsetParam, limitParam string) (offset, limit int, paged bool) {
	l, err := strconv.Atoi(limitParam)
	if err != nil {
		return 0, 0, false
	}
	offset, _ = strconv.Atoi(offsetParam)
	return max(offset, 0), min(max(l, 1), 100), true
}

// shownMetadata is the metadata getRecordings shows: the meeting's meta_
// parameters plus the three keys BBB adds to every recording (the external
// meetingId BBB saw, meetingName and isBreakout), in BBB's camel case. A
// balancer that rewrites meeting IDs must translate metadata meetingId too:
// Greenlight reads it before <meetingID>.
func (r *recording) shownMetadata() map[string]string {
	m := maps.Clone(r.Metadata)
	if m == nil {
		m = map[string]string{}
	}
	for k, v := range map[string]string{
		"meetingId": r.MeetingID, "meetingName": r.Name, "isBreakout": strconv.FormatBool(r.IsBreakout),
	} {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	return m
}

// recordingXML renders one <recording>, §4.7.
func (s *Server) recordingXML(r *recording) []byte {
	d := &doc{}
	d.open("recording")
	d.el("recordID", r.RecordID)
	d.el("meetingID", r.MeetingID)
	d.el("internalMeetingID", r.RecordID)
	d.el("name", r.Name)
	d.bool("isBreakout", r.IsBreakout)
	d.bool("published", r.Published)
	d.el("state", r.State)
	d.int("startTime", r.StartTime)
	d.int("endTime", r.EndTime)
	d.count("participants", r.Participants)
	if r.IsBreakout {
		d.open("breakout")
		d.el("parentId", r.ParentID)
		d.int("sequence", int64(r.Sequence))
		d.bool("freeJoin", false)
		d.close("breakout")
	}
	d.open("metadata")
	d.fields(r.shownMetadata())
	d.close("metadata")
	d.open("playback")
	if r.State == "published" || r.State == "unpublished" {
		d.open("format")
		d.el("type", "presentation")
		d.el("url", "http://"+s.addr+playbackPath+r.RecordID)
		d.count("processingTime", 0)
		length := int64(0)
		if r.EndTime > r.StartTime {
			length = (r.EndTime - r.StartTime) / 60000
		}
		d.int("length", length)
		d.close("format")
	}
	d.close("playback")
	d.close("recording")
	return d.fragment()
}

// eachRecording runs f, with s.mu held, on the recordings named in the
// recordID parameter and reports how many there were. A missing recordID
// is answered with missingParamRecordID and gives -1.
func (c *apiCall) eachRecording(f func(*recording)) int {
	ids := csv(c.get("recordID"))
	if len(ids) == 0 {
		c.fail(errMissingRecordID)
		return -1
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	n := 0
	for _, id := range ids {
		if r := c.s.findRecording(id); r != nil {
			f(r)
			n++
		}
	}
	return n
}

// recordingsDone answers a recording action: SUCCESS with <elem>value</elem>
// if any recording was found, else notFound.
func (c *apiCall) recordingsDone(n int, elem, value string) {
	switch {
	case n < 0:
	case n == 0:
		c.fail(errRecordingNotFound)
	default:
		d := newResponse(bbb.Success)
		d.el(elem, value)
		c.xml(d.bytes())
	}
}

func (c *apiCall) publishRecordings() {
	if len(csv(c.get("recordID"))) == 0 {
		c.fail(errMissingRecordID)
		return
	}
	publish := c.get("publish")
	if publish != "true" && publish != "false" {
		c.fail(errMissingPublish)
		return
	}
	n := c.eachRecording(func(r *recording) {
		if r.State == "deleted" {
			return
		}
		r.Published = publish == "true"
		r.State = "unpublished"
		if r.Published {
			r.State = "published"
		}
	})
	c.recordingsDone(n, "published", publish)
}

// deleteRecordings marks recordings deleted: getRecordings shows them only
// for state=deleted or any.
func (c *apiCall) deleteRecordings() {
	n := c.eachRecording(func(r *recording) {
		r.State = "deleted"
		r.Published = false
	})
	c.recordingsDone(n, "deleted", "true")
}

// updateRecordings sets metadata (meta_x=v) and removes it (meta_x=).
func (c *apiCall) updateRecordings() {
	meta := metadataOf(c.params)
	n := c.eachRecording(func(r *recording) {
		for k, v := range meta {
			if v == "" {
				delete(r.Metadata, k)
			} else {
				r.Metadata[k] = v
			}
		}
	})
	c.recordingsDone(n, "updated", "true")
}
