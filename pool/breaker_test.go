package pool

import (
	"testing"
	"time"
)

// TestBreakerMachine walks the breaker through its transitions, with the
// time each step happens at.
func TestBreakerMachine(t *testing.T) {
	p := BreakerPolicy{Failures: 2, Cooldown: 10 * time.Second, MaxCooldown: 30 * time.Second}
	t0 := time.Unix(1000, 0)
	fail := Outcome{Kind: Failure, Reason: "HTML"}
	ok := Outcome{Kind: Success}
	timeout := Outcome{Kind: Timeout}
	type step struct {
		at        time.Duration // after t0
		outcome   *Outcome      // nil: only check
		probe     bool          // the create is the half-open probe
		wantAllow bool
		wantOpen  bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"one failure does not open", []step{
			{0, &fail, false, true, false},
		}},
		{"two failures open; a success between resets", []step{
			{0, &fail, false, true, false},
			{1 * time.Second, &ok, false, true, false},
			{2 * time.Second, &fail, false, true, false},
			{3 * time.Second, &fail, false, false, true},
			{12 * time.Second, nil, false, false, true},
		}},
		{"a timeout opens at once", []step{
			{0, &timeout, false, false, true},
		}},
		{"half-open after the cooldown; the probe's success closes", []step{
			{0, &timeout, false, false, true},
			{10 * time.Second, nil, false, true, true},
			{10 * time.Second, &ok, true, true, false},
		}},
		{"a failed probe doubles the cooldown, up to the max", []step{
			{0, &timeout, false, false, true},
			{10 * time.Second, &fail, true, false, true}, // reopened at 10s for 20s
			{29 * time.Second, nil, false, false, true},  // still open
			{30 * time.Second, &fail, true, false, true}, // reopened at 30s for 30s (max)
			{59 * time.Second, nil, false, false, true},
			{60 * time.Second, nil, false, true, true},
		}},
		{"a failure while open is no probe: nothing changes", []step{
			{0, &timeout, false, false, true},
			{5 * time.Second, &fail, false, false, true},
			{10 * time.Second, nil, false, true, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b breaker
			for i, st := range tt.steps {
				now := t0.Add(st.at)
				if st.outcome != nil {
					probe := false
					if st.probe {
						if probe = b.start(now); !probe {
							t.Fatalf("step %d: no probe allowed at %v", i, st.at)
						}
					}
					b.record(*st.outcome, probe, p, now)
				}
				if got := b.allows(now); got != st.wantAllow {
					t.Errorf("step %d at %v: allows = %v, want %v", i, st.at, got, st.wantAllow)
				}
				if b.open != st.wantOpen {
					t.Errorf("step %d at %v: open = %v, want %v", i, st.at, b.open, st.wantOpen)
				}
			}
		})
	}
}

// TestHalfOpenLetsOneProbe: while the probe is under way, no other new
// meeting is placed on the server.
func TestHalfOpenLetsOneProbe(t *testing.T) {
	s := NewServer("s", nil)
	s.SetBreakerPolicy(BreakerPolicy{Failures: 1, Cooldown: time.Second, MaxCooldown: time.Second, MaxInFlight: 10})
	t0 := time.Unix(1000, 0)
	s.BeginCreate(t0).Done(Outcome{Kind: Failure}, t0)
	if s.passiveAllows(t0) {
		t.Fatal("open breaker allows placement")
	}
	t1 := t0.Add(time.Second)
	if !s.passiveAllows(t1) {
		t.Fatal("half-open breaker allows no probe")
	}
	probe := s.BeginCreate(t1)
	if s.passiveAllows(t1) {
		t.Error("a second create placed while the probe is under way")
	}
	probe.Done(Outcome{Kind: Success}, t1)
	if !s.passiveAllows(t1) || s.Passive().Open {
		t.Errorf("breaker not closed by the probe's success: %+v", s.Passive())
	}
}

// TestInFlightBoundAndStall: a server with MaxInFlight creates under way,
// or one stalled for StallAfter, takes no new meeting until they end.
func TestInFlightBoundAndStall(t *testing.T) {
	s := NewServer("s", nil)
	s.SetBreakerPolicy(BreakerPolicy{Failures: 5, Cooldown: time.Second, MaxCooldown: time.Second, MaxInFlight: 2, StallAfter: time.Second})
	t0 := time.Unix(1000, 0)
	a := s.BeginCreate(t0)
	if !s.passiveAllows(t0) {
		t.Fatal("one create under way blocks placement")
	}
	b := s.BeginCreate(t0)
	if s.passiveAllows(t0) {
		t.Error("placement allowed at MaxInFlight creates under way")
	}
	b.Done(Outcome{Kind: Success}, t0)
	b.Done(Outcome{Kind: Failure}, t0) // a second Done counts nothing
	if !s.passiveAllows(t0) || s.Passive().InFlight != 1 {
		t.Errorf("after one create ended: %+v", s.Passive())
	}
	if s.passiveAllows(t0.Add(1500 * time.Millisecond)) {
		t.Error("placement allowed on a server whose create has stalled")
	}
	a.Done(Outcome{Kind: Success}, t0.Add(2*time.Second))
	if !s.passiveAllows(t0.Add(2 * time.Second)) {
		t.Error("placement still refused after the stalled create ended")
	}
}
