package bbb_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
)

// versusPollSpec is the poller's list spec (pool.pollSpec).
var versusPollSpec = &bbb.ListSpec{List: "meetings", Item: "meeting", Fields: []string{
	"meetingID", "participantCount", "voiceParticipantCount", "videoCount", "createTime", "isBreakout",
	"metadata/bbb-meeting-size-hint", "meetingName", "recording", "internalMeetingID", "parentMeetingID",
}}

// fakeMeetings is the getMeetings answer of a fake server running n
// meetings of users participants each, as the poller reads it.
func fakeMeetings(b *testing.B, n, users int) []byte {
	b.Helper()
	f := bbbfake.Start("bench-secret")
	b.Cleanup(f.Close)
	c := f.Client()
	for i := range n {
		id := fmt.Sprintf("poll-%d", i)
		if _, err := c.Get(b.Context(), bbb.CallCreate, url.Values{"meetingID": {id}, "name": {"Room " + id}}.Encode()); err != nil {
			b.Fatal(err)
		}
		f.AddUsers(id, users, true, false)
	}
	res, err := c.Get(b.Context(), bbb.CallGetMeetings, "")
	if err != nil {
		b.Fatal(err)
	}
	return res.Body
}

// BenchmarkParseReplyVersus measures ParseReply and the parser it was
// before its fast paths (ParseReplyV0) on the same answers, one after the
// other in the same run, so that a noisy machine can still compare them:
// run it a few times over and compare the medians of old and new.
func BenchmarkParseReplyVersus(b *testing.B) {
	meetingsSpec := &bbb.ListSpec{List: "meetings", Item: "meeting", Fields: []string{"meetingID", "internalMeetingID", "participantCount", "moderatorCount"}}
	for _, doc := range []struct {
		name string
		body []byte
		spec *bbb.ListSpec
	}{
		{"indented20", bbb.MeetingsDoc(b, 20), meetingsSpec},
		{"poll20x5", fakeMeetings(b, 20, 5), versusPollSpec},
		{"poll100x3", fakeMeetings(b, 100, 3), versusPollSpec},
	} {
		for _, p := range []struct {
			name  string
			parse func([]byte, *bbb.ListSpec) (*bbb.Reply, error)
		}{{"old", bbb.ParseReplyV0}, {"new", bbb.ParseReply}} {
			b.Run(doc.name+"/"+p.name, func(b *testing.B) {
				b.SetBytes(int64(len(doc.body)))
				b.ReportAllocs()
				for b.Loop() {
					if r, err := p.parse(doc.body, doc.spec); err != nil || !r.OK() || len(r.Items) == 0 {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
