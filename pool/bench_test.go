package pool

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
)

// loadedPool returns a pool of n servers, each running perServer meetings
// of 10 to 16 participants as a poll found them, with the given strategy.
// Young meetings were created within the last minutes, so their expected
// size still decays; the others an hour ago.
func loadedPool(n, perServer int, young bool, strategy Strategy) *Pool {
	now := time.Now()
	ss := servers(n)
	for i, s := range ss {
		ms := make([]MeetingLoad, perServer)
		for j := range ms {
			created := now.Add(-time.Hour)
			if young {
				created = now.Add(-time.Duration(j) * 5 * time.Second)
			}
			ms[j] = MeetingLoad{
				MeetingID: fmt.Sprintf("m-%d-%d", i, j), Participants: 10 + (i+j)%7, Voice: 5, Video: j % 3,
				Created: created,
			}
		}
		s.SetMeetings(ms, now, time.Minute)
	}
	p := New(ss...)
	p.Strategy = strategy
	return p
}

// BenchmarkPlace is the placement of one create over 100 and 500 loaded
// servers: the available ones filtered, the strategy's choice, the
// reservation. Each placement is taken back, so every iteration sees the
// same pool. "500x100young" is the scale scenario's fleet (100 meetings
// per server, all still in their ramp): a placement costs the same
// whatever the meetings, O(servers).
func BenchmarkPlace(b *testing.B) {
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = fmt.Sprintf("new-%d", i)
	}
	for _, size := range []struct {
		name            string
		servers, perSrv int
		young           bool
	}{{"100", 100, 20, false}, {"500", 500, 20, false}, {"500x100young", 500, 100, true}} {
		for _, strategy := range []Strategy{NewLeastLoad(), &RoundRobin{}} {
			b.Run(fmt.Sprintf("%s/%s", size.name, strategy.Name()), func(b *testing.B) {
				p := loadedPool(size.servers, size.perSrv, size.young, strategy)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					id := ids[i%len(ids)]
					i++
					s, err := p.Place(Request{MeetingID: id})
					if err != nil {
						b.Fatal(err)
					}
					s.Unreserve(id)
				}
			})
		}
	}
}

// BenchmarkShortlist is a shared placement's part in this instance, over
// 500 servers of 100 meetings (the scale scenario's fleet, an hour old):
// the 64 least loaded, and every server within three meetings of the
// least as the gateway asks (here all of them), each with its polled load
// before the span's cutoff.
func BenchmarkShortlist(b *testing.B) {
	p := loadedPool(500, 100, false, NewLeastLoad())
	for _, bc := range []struct {
		name  string
		slack float64
		want  int
	}{
		{"least64", 0, 64},
		{"slack3meetings", 3 * p.Model.Pending(0), 500},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if cs, _, err := p.Shortlist(Request{MeetingID: "new"}, 64, bc.slack); err != nil || len(cs) < bc.want {
					b.Fatal(len(cs), err)
				}
			}
		})
	}
}

// pollBody is the getMeetings answer of a fake server with 20 meetings of
// 5 participants each (about 43 KB), as every poll reads it from every
// server.
func pollBody(b *testing.B) (*bbbfake.Server, []byte) {
	b.Helper()
	f := bbbfake.Start("bench-secret")
	b.Cleanup(f.Close)
	c := f.Client()
	for i := range 20 {
		id := fmt.Sprintf("poll-%d", i)
		if _, err := c.Get(b.Context(), bbb.CallCreate, url.Values{"meetingID": {id}, "name": {"Room " + id}}.Encode()); err != nil {
			b.Fatal(err)
		}
		f.AddUsers(id, 5, true, false)
	}
	res, err := c.Get(b.Context(), bbb.CallGetMeetings, "")
	if err != nil {
		b.Fatal(err)
	}
	return f, res.Body
}

// BenchmarkPollParse is the parse of one server's getMeetings answer for
// the load model: at 500 servers it runs 500 times a poll round.
func BenchmarkPollParse(b *testing.B) {
	_, body := pollBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := bbb.ParseReply(body, pollSpec)
		if err != nil || len(r.Items) != 20 {
			b.Fatalf("%v, %d meetings", err, len(r.Items))
		}
	}
}

// BenchmarkCheck is one server's part of a poll round: the signed
// getMeetings over loopback HTTP (the fake's answer included) and its parse.
func BenchmarkCheck(b *testing.B) {
	f, _ := pollBody(b)
	s := NewServer("fake", f.Client())
	b.ReportAllocs()
	for b.Loop() {
		ms, err := Check(b.Context(), s)
		if err != nil || len(ms) != 20 {
			b.Fatalf("%v, %d meetings", err, len(ms))
		}
	}
}
