package usage

import (
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/state"
)

func TestSummarize(t *testing.T) {
	d1 := time.Date(2026, 11, 1, 23, 30, 0, 0, time.UTC)
	d2 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	recs := []state.UsageRecord{
		{Tenant: "acme", Server: "s1", Start: d1, End: d1.Add(60 * time.Minute), ParticipantMinutes: 300, PeakParticipants: 6, Recorded: true},
		{Tenant: "acme", Server: "s2", Start: d2, End: d2.Add(30 * time.Minute), ParticipantMinutes: 60, PeakParticipants: 2},
		{Tenant: "beta", Server: "s1", Start: d2, End: d2.Add(10 * time.Minute), ParticipantMinutes: 10, PeakParticipants: 9},
	}
	tests := []struct {
		by   string
		want []Row
	}{
		{"tenant", []Row{{"acme", 2, 1, 90, 360, 6}, {"beta", 1, 0, 10, 10, 9}}},
		{"", []Row{{"acme", 2, 1, 90, 360, 6}, {"beta", 1, 0, 10, 10, 9}}},
		{"day", []Row{{"2026-11-01", 1, 1, 60, 300, 6}, {"2026-11-02", 2, 0, 40, 70, 9}}},
		{"server", []Row{{"s1", 2, 1, 70, 310, 9}, {"s2", 1, 0, 30, 60, 2}}},
	}
	for _, tt := range tests {
		rep, err := Summarize(recs, tt.by, d1, d2)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Rows) != len(tt.want) {
			t.Fatalf("by %q: rows %+v", tt.by, rep.Rows)
		}
		for i, w := range tt.want {
			if rep.Rows[i] != w {
				t.Errorf("by %q: row %d = %+v, want %+v", tt.by, i, rep.Rows[i], w)
			}
		}
		if tot := (Row{"total", 3, 1, 100, 370, 9}); rep.Total != tot {
			t.Errorf("by %q: total %+v, want %+v", tt.by, rep.Total, tot)
		}
	}
	if _, err := Summarize(recs, "week", d1, d2); err == nil {
		t.Error("by week: no error")
	}
}

func TestParsePeriod(t *testing.T) {
	now := time.Date(2026, 11, 17, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		from, to         string
		wantFrom, wantTo time.Time
		wantErr          bool
	}{
		{"", "", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), now.Add(time.Second), false},
		{"2026-10-01", "2026-10-31", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), false},
		{"2026-10-01T08:00:00Z", "2026-10-01T09:00:00+01:00", time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC), true},
		{"2026-10-01T08:00:00Z", "2026-10-01T10:00:00+01:00", time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC), false},
		{"yesterday", "", time.Time{}, time.Time{}, true},
		{"", "2026-13-01", time.Time{}, time.Time{}, true},
	}
	for _, tt := range tests {
		f, to, err := ParsePeriod(tt.from, tt.to, now)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParsePeriod(%q, %q): err %v", tt.from, tt.to, err)
			continue
		}
		if err == nil && (!f.Equal(tt.wantFrom) || !to.Equal(tt.wantTo)) {
			t.Errorf("ParsePeriod(%q, %q) = %v, %v; want %v, %v", tt.from, tt.to, f, to, tt.wantFrom, tt.wantTo)
		}
	}
}
