package metrics

import (
	"sync"

	"github.com/tinyscale/tinyscale/bbb"
)

// knownCalls are the call label values: every BBB call tinyscale answers.
// Anything else becomes "unsupported", so that a client probing random
// paths cannot create series without bound.
var knownCalls = map[string]bool{}

func init() {
	for _, c := range []string{
		bbb.CallCreate, bbb.CallJoin, bbb.CallEnd, bbb.CallIsMeetingRunning, bbb.CallGetMeetingInfo,
		bbb.CallGetMeetings, bbb.CallInsertDocument, bbb.CallSendChatMessage, bbb.CallGetRecordings,
		bbb.CallPublishRecordings, bbb.CallUpdateRecordings, bbb.CallDeleteRecordings,
		bbb.CallGetRecordingTextTracks, bbb.CallPutRecordingTextTrack,
		bbb.CallHooksCreate, bbb.CallHooksDestroy, bbb.CallHooksList,
	} {
		knownCalls[c] = true
	}
}

// unsupported is the call label of every unknown call.
const unsupported = "unsupported"

func callLabel(call string) string {
	if knownCalls[call] {
		return call
	}
	return unsupported
}

// maxResults bounds the distinct result label values. BBB's messageKeys
// are a few dozen, but a result can come from a backend's answer, and a
// broken or hostile backend must not grow the series without bound.
const maxResults = 64

// otherResult is the result label once maxResults values were seen, or of
// a value that does not look like a messageKey.
const otherResult = "other"

// labelSet admits label values until it holds max of them.
type labelSet struct {
	mu   sync.RWMutex
	max  int
	seen map[string]bool
}

func newLabelSet(max int) *labelSet { return &labelSet{max: max, seen: map[string]bool{}} }

// get returns v if it is (or may become) one of the set's values, else
// otherResult.
func (s *labelSet) get(v string) string {
	if !wordLike(v) {
		return otherResult
	}
	s.mu.RLock()
	ok := s.seen[v]
	s.mu.RUnlock()
	if ok {
		return v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[v] {
		return v
	}
	if len(s.seen) >= s.max {
		return otherResult
	}
	s.seen[v] = true
	return v
}

// wordLike reports whether v looks like a messageKey: a short word of
// letters, digits and underscores. Free text never becomes a label.
func wordLike(v string) bool {
	if v == "" || len(v) > 48 {
		return false
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}
