package pool

import (
	"fmt"
	"hash/maphash"
	"net/url"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
)

// A poll that gets the same answer as the last one reuses what it parsed;
// a changed answer is parsed again and its change seen; a server removed
// from the pool is forgotten.
func TestPollReusesUnchangedAnswer(t *testing.T) {
	f := bbbfake.Start("answers-secret")
	defer f.Close()
	c := f.Client()
	if _, err := c.Get(t.Context(), bbb.CallCreate, url.Values{"meetingID": {"m1"}, "name": {"Room"}}.Encode()); err != nil {
		t.Fatal(err)
	}
	f.AddUsers("m1", 2, true, false)
	s := NewServer("fake", c)
	p := &Poller{Pool: New(s), Interval: time.Hour, Timeout: 5 * time.Second}
	round := func() []MeetingLoad {
		var got []MeetingLoad
		p.OnRound = func(r Round) { got = r.Meetings["fake"] }
		p.PollOnce(t.Context())
		if len(got) != 1 {
			t.Fatalf("round found %v", got)
		}
		return got
	}
	first := round()
	if first[0].Participants != 2 || first[0].Voice != 2 {
		t.Fatalf("first poll: %+v", first[0])
	}
	if again := round(); &again[0] != &first[0] {
		t.Error("an unchanged answer was parsed again")
	}
	f.AddUsers("m1", 1, true, true)
	changed := round()
	if &changed[0] == &first[0] || changed[0].Participants != 3 || changed[0].Video != 1 {
		t.Errorf("after a join: %+v (parsed again: %v)", changed[0], &changed[0] != &first[0])
	}
	if p.answers.len() != 1 {
		t.Fatalf("%d answers remembered", p.answers.len())
	}
	p.Pool.Remove("fake")
	p.PollOnce(t.Context())
	if n := p.answers.len(); n != 0 {
		t.Errorf("a removed server's answer is still remembered (%d)", n)
	}
}

// scaleBody is the getMeetings answer of one server of the scale
// scenario: 100 meetings of 3 participants, all on audio, one camera.
func scaleBody(b *testing.B) (*bbbfake.Server, []byte) {
	b.Helper()
	f := bbbfake.Start("bench-secret")
	b.Cleanup(f.Close)
	c := f.Client()
	for i := range 100 {
		id := fmt.Sprintf("scale-%d", i)
		if _, err := c.Get(b.Context(), bbb.CallCreate, url.Values{"meetingID": {id}, "name": {"Room " + id}}.Encode()); err != nil {
			b.Fatal(err)
		}
		f.AddUsers(id, 1, true, true)
		f.AddUsers(id, 2, true, false)
	}
	res, err := c.Get(b.Context(), bbb.CallGetMeetings, "")
	if err != nil {
		b.Fatal(err)
	}
	return f, res.Body
}

// BenchmarkPollAnswer is what one server's answer costs a poll round in
// the scale scenario, after it arrived: "parse" reads it into the load
// model with its meetings' strings copied (a server's first answer),
// "changed" with the meetings of its last answer to reuse the strings of
// (the usual changed answer: counts moved), "same" is an answer equal to
// the last one: its digest and the lookup.
func BenchmarkPollAnswer(b *testing.B) {
	_, body := scaleBody(b)
	last, err := parseMeetings(body, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		last []MeetingLoad
	}{{"parse", nil}, {"changed", last}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if ms, err := parseMeetings(body, bc.last); err != nil || len(ms) != 100 {
					b.Fatalf("%v, %d meetings", err, len(ms))
				}
			}
		})
	}
	b.Run("same", func(b *testing.B) {
		var a answers
		s := &Server{ID: "s"}
		ms, err := parseMeetings(body, nil)
		if err != nil {
			b.Fatal(err)
		}
		a.put(s, maphash.Bytes(a.seed(), body), len(body), ms)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if ms, ok := a.get(s, maphash.Bytes(a.seed(), body), len(body)); !ok || len(ms) != 100 {
				b.Fatal("missed")
			}
		}
	})
}

// BenchmarkPollServerScale is one server's part of a poll round in the
// scale scenario, answer unchanged: the signed getMeetings over loopback
// HTTP, the answer read (chunked, as BBB and the fake send it), its
// digest, the meetings of the last parse. -benchmem shows what the read
// leaves to the garbage collector per server and round.
func BenchmarkPollServerScale(b *testing.B) {
	f, body := scaleBody(b)
	s := NewServer("fake", f.Client())
	var a answers
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if ms, err := check(b.Context(), s, &a); err != nil || len(ms) != 100 {
			b.Fatalf("%v, %d meetings", err, len(ms))
		}
	}
}
