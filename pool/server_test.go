package pool

import (
	"errors"
	"github.com/tinyscale/tinyscale/bbb"
	"testing"
	"time"
)

func TestHealthHysteresis(t *testing.T) {
	fail := errors.New("down")
	for _, tc := range []struct {
		name   string
		th     Thresholds
		steps  []error
		online []bool // after each step
	}{
		{"one failure is not enough", DefaultThresholds, []error{fail, nil, fail}, []bool{true, true, true}},
		{"two failures take it offline", DefaultThresholds, []error{fail, fail}, []bool{true, false}},
		{"two successes bring it back", DefaultThresholds, []error{fail, fail, nil, nil}, []bool{true, false, false, true}},
		{"a failure resets the successes", DefaultThresholds, []error{fail, fail, nil, fail, nil, nil}, []bool{true, false, false, false, false, true}},
		{"thresholds 3 and 1", Thresholds{Down: 3, Up: 1}, []error{fail, fail, fail, nil}, []bool{true, true, false, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewServer("s", testClient)
			for i, err := range tc.steps {
				s.Observe(err, tc.th, time.Now())
				if s.Online() != tc.online[i] {
					t.Fatalf("after step %d: online=%v, want %v", i+1, s.Online(), tc.online[i])
				}
			}
		})
	}
	s := NewServer("s", testClient)
	if !s.MarkOffline("refused") || s.Online() {
		t.Fatal("MarkOffline did not take the server offline at once")
	}
}

func TestAdminStates(t *testing.T) {
	m := DefaultLoadModel
	now := time.Now()
	for _, tc := range []struct {
		admin     AdminState
		online    bool
		routable  bool
		available bool
	}{
		{Enabled, true, true, true},
		{Cordoned, true, true, false},
		{Disabled, true, false, false},
		{Enabled, false, false, false},
		{Cordoned, false, false, false},
	} {
		s := NewServer("s", testClient)
		s.SetAdmin(tc.admin)
		if !tc.online {
			s.MarkOffline("test")
		}
		if s.Routable() != tc.routable || s.available(m, now) != tc.available {
			t.Errorf("%s online=%v: routable=%v available=%v, want %v %v",
				tc.admin, tc.online, s.Routable(), s.available(m, now), tc.routable, tc.available)
		}
	}
	if _, ok := ParseAdminState("paused"); ok {
		t.Error("ParseAdminState accepted an unknown state")
	}
}

func TestSetMeetings(t *testing.T) {
	now := time.Now()
	s := NewServer("s", testClient)
	s.reserve("a", 0, now)
	s.reserve("b", 0, now.Add(-time.Hour))
	s.SetMeetings([]MeetingLoad{{MeetingID: "a", Created: now}}, now, 15*time.Minute)
	if st := s.Status(DefaultLoadModel, now); st.Pending != 0 || st.Meetings != 1 {
		t.Fatalf("pending %d meetings %d: a poll that saw a meeting must drop its reservation, an old one expires", st.Pending, st.Meetings)
	}
	s.SetAdmin(Cordoned)
	if s.SetMeetings([]MeetingLoad{{MeetingID: "a"}}, now, time.Minute) {
		t.Fatal("a cordoned server with meetings was disabled")
	}
	if !s.SetMeetings(nil, now, time.Minute) || s.Admin() != Disabled {
		t.Fatal("a cordoned server found empty was not disabled")
	}
}

func TestMaxLoad(t *testing.T) {
	now := time.Now()
	s := NewServer("s", testClient)
	s.MaxLoad = 20
	s.SetMeetings([]MeetingLoad{{MeetingID: "a", Created: now.Add(-time.Hour), Participants: 18}}, now, time.Minute)
	if !s.available(DefaultLoadModel, now) {
		t.Fatal("server under its limit is not available")
	}
	s.SetMeetings([]MeetingLoad{{MeetingID: "a", Created: now.Add(-time.Hour), Participants: 19}}, now, time.Minute)
	if s.available(DefaultLoadModel, now) {
		t.Fatal("server at its limit still takes meetings")
	}
}

var testClient = &bbb.Client{Base: "http://s.test/bigbluebutton/api"}
