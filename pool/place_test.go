package pool

import (
	"errors"
	"fmt"
	"github.com/tinyscale/tinyscale/bbb"
	"testing"
	"time"
)

func servers(n int) []*Server {
	var out []*Server
	for i := range n {
		out = append(out, NewServer(fmt.Sprintf("s%d", i), &bbb.Client{Base: fmt.Sprintf("http://s%d.test/bigbluebutton/api", i)}))
	}
	return out
}

func place(t *testing.T, p *Pool, n int, req Request) map[string]int {
	t.Helper()
	got := map[string]int{}
	for i := range n {
		r := req
		r.MeetingID = fmt.Sprintf("m%d", i)
		s, err := p.Place(r)
		if err != nil {
			t.Fatal(err)
		}
		got[s.ID]++
	}
	return got
}

func TestBurstSplitsEvenly(t *testing.T) {
	// 20 creates before any poll on 2 idle equal servers: each create
	// counts at once, so they alternate (Scalelite piles them on one).
	p := New(servers(2)...)
	got := place(t, p, 20, Request{})
	if got["s0"] != 10 || got["s1"] != 10 {
		t.Fatalf("split %v, want 10/10", got)
	}
}

func TestWeights(t *testing.T) {
	ss := servers(2)
	ss[0].Weight = 2
	p := New(ss...)
	got := place(t, p, 30, Request{})
	if got["s0"] != 20 || got["s1"] != 10 {
		t.Fatalf("split %v, want 20/10 for weights 2 and 1", got)
	}
}

func TestLoadAvoidance(t *testing.T) {
	now := time.Now()
	ss := servers(2)
	ss[0].SetMeetings([]MeetingLoad{{MeetingID: "big", Created: now.Add(-time.Hour), Participants: 79}}, now, time.Minute)
	p := New(ss...)
	// s0 has load 80: the next five meetings (16 each) go to s1 first.
	got := place(t, p, 5, Request{})
	if got["s1"] != 5 {
		t.Fatalf("split %v: new meetings went to the loaded server", got)
	}
}

func TestTiesAreRandom(t *testing.T) {
	ss := servers(3)
	counts := map[string]int{}
	for range 600 {
		s := NewLeastLoad().Select(ss, DefaultLoadModel, time.Now())
		counts[s.ID]++
	}
	for _, s := range ss {
		if counts[s.ID] < 120 {
			t.Fatalf("ties not broken at random: %v", counts)
		}
	}
}

func TestRoundRobin(t *testing.T) {
	ss := servers(3)
	ss[0].SetMeetings([]MeetingLoad{{MeetingID: "big", Participants: 500}}, time.Now(), time.Minute)
	p := New(ss...)
	p.Strategy = NewStrategy("roundrobin")
	got := place(t, p, 9, Request{})
	for _, s := range ss {
		if got[s.ID] != 3 {
			t.Fatalf("round robin split %v, want 3 each whatever the load", got)
		}
	}
}

func TestTags(t *testing.T) {
	mk := func() *Pool {
		ss := servers(3)
		ss[1].Tags = []string{"gpu"}
		ss[2].Tags = []string{"gpu", "big"}
		return New(ss...)
	}
	for _, tc := range []struct {
		name    string
		tag     string
		down    []string // servers taken offline
		want    []string // acceptable servers
		wantErr error
	}{
		{"no tag prefers untagged servers", "", nil, []string{"s0"}, nil},
		{"no tag falls back to tagged ones", "", []string{"s0"}, []string{"s1", "s2"}, nil},
		{"tag prefers its servers", "gpu", nil, []string{"s1", "s2"}, nil},
		{"tag falls back when none has it", "gpu", []string{"s1", "s2"}, []string{"s0"}, nil},
		{"unknown tag falls back", "nope", nil, []string{"s0", "s1", "s2"}, nil},
		{"required tag", "big!", nil, []string{"s2"}, nil},
		{"required tag unavailable", "big!", []string{"s2"}, nil, ErrNoTagServer},
		{"all down", "", []string{"s0", "s1", "s2"}, nil, ErrNoServer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mk()
			for _, id := range tc.down {
				p.Get(id).MarkOffline("test")
			}
			tag, req := ParseTag(tc.tag)
			for i := range 6 {
				s, err := p.Place(Request{MeetingID: fmt.Sprint(i), Tag: tag, Required: req})
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				if err == nil && !contains(tc.want, s.ID) {
					t.Fatalf("placed on %s, want one of %v", s.ID, tc.want)
				}
			}
		})
	}
}

func TestParseTag(t *testing.T) {
	for _, tc := range []struct {
		in       string
		tag      string
		required bool
	}{{"", "", false}, {"gpu", "gpu", false}, {"gpu!", "gpu", true}, {" gpu! ", "gpu", true}, {"!", "", false}} {
		tag, req := ParseTag(tc.in)
		if tag != tc.tag || req != tc.required {
			t.Errorf("ParseTag(%q) = %q %v, want %q %v", tc.in, tag, req, tc.tag, tc.required)
		}
	}
}

func TestExcludeAndUnreserve(t *testing.T) {
	p := New(servers(2)...)
	s, err := p.Place(Request{MeetingID: "x", Exclude: []string{"s0"}})
	if err != nil || s.ID != "s1" {
		t.Fatalf("Exclude ignored: %v %v", s, err)
	}
	s.Unreserve("x")
	if st := s.Status(p.Model, time.Now()); st.Pending != 0 || st.Load != 0 {
		t.Fatalf("Unreserve left load behind: %+v", st)
	}
}
