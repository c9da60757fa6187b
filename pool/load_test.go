package pool

import (
	"math"
	"testing"
	"time"
)

func TestLoadModelCost(t *testing.T) {
	m := LoadModel{Meeting: 1, Voice: 0.5, Video: 1, MinExpected: 15, Ramp: 10 * time.Minute}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	old := now.Add(-time.Hour)
	for _, tc := range []struct {
		name string
		ml   MeetingLoad
		want float64
	}{
		{"old empty meeting", MeetingLoad{Created: old}, 1},
		{"old meeting with users", MeetingLoad{Created: old, Participants: 10}, 11},
		{"voice and video weigh extra", MeetingLoad{Created: old, Participants: 10, Voice: 4, Video: 2}, 1 + 10 + 2 + 2},
		{"new meeting counts its minimum size", MeetingLoad{Created: now}, 1 + 15},
		{"new meeting counts its size hint", MeetingLoad{Created: now, Expected: 40}, 1 + 40},
		{"half-way through the ramp", MeetingLoad{Created: now.Add(-5 * time.Minute), Expected: 40}, 1 + 20},
		{"real users above the floor count", MeetingLoad{Created: now.Add(-5 * time.Minute), Expected: 40, Participants: 30}, 1 + 30},
		{"after the ramp only users count", MeetingLoad{Created: now.Add(-10 * time.Minute), Expected: 40, Participants: 3}, 1 + 3},
		{"created in the future (clock skew)", MeetingLoad{Created: now.Add(time.Minute)}, 1 + 15},
		{"breakout counts its media only", MeetingLoad{Created: now, Breakout: true, Participants: 8, Voice: 2, Video: 1}, 1 + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.Cost(tc.ml, now); math.Abs(got-tc.want) > 1e-9 {
				t.Fatalf("Cost = %v, want %v", got, tc.want)
			}
		})
	}
	if got := m.Pending(0); got != 16 {
		t.Errorf("Pending(0) = %v, want 16", got)
	}
	if got := m.Pending(50); got != 51 {
		t.Errorf("Pending(50) = %v, want 51", got)
	}
}

// TestCreateTimeIsMilliseconds guards against bbblb's bug: reading BBB's
// createTime as seconds makes every meeting look brand new forever.
func TestCreateTimeIsMilliseconds(t *testing.T) {
	m := DefaultLoadModel
	now := time.Now()
	created := now.Add(-time.Hour).UnixMilli()
	ml := MeetingLoad{Created: time.UnixMilli(created), Participants: 2}
	if got := m.Cost(ml, now); got != m.Meeting+2 {
		t.Fatalf("an hour-old meeting costs %v, want %v", got, m.Meeting+2)
	}
}
