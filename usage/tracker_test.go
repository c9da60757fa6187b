package usage

import (
	"context"
	"math"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
)

// t0 is two hours ago: a starting tracker resumes the checkpoints of
// the last days, as it would in production.
var t0 = time.Now().UTC().Truncate(time.Minute).Add(-2 * time.Hour)

// at is a round at t0+min minutes in which server s1 answered with ms.
func at(min float64, ms ...pool.MeetingLoad) pool.Round {
	return pool.Round{Started: t0.Add(time.Duration(min * float64(time.Minute))), Meetings: map[string][]pool.MeetingLoad{"s1": ms}}
}

func ml(id string, n int) pool.MeetingLoad {
	return pool.MeetingLoad{MeetingID: id, Participants: n, Created: t0, Name: "Room " + id}
}

// records returns the final records (not the checkpoints).
func records(t *testing.T, s state.UsageStore) []state.UsageRecord {
	t.Helper()
	recs, err := s.Usage(time.Time{}, t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var out []state.UsageRecord
	for _, r := range recs {
		if !r.Ongoing {
			out = append(out, r)
		}
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestScriptedRounds checks the count against rounds whose numbers are
// worked out by hand: each poll's count holds until the next poll.
func TestScriptedRounds(t *testing.T) {
	tests := []struct {
		name     string
		rounds   []pool.Round
		wantPM   float64 // participant-minutes
		wantPeak int
		wantMins float64 // duration
	}{
		{"steady then end", []pool.Round{at(0, ml("m", 3)), at(1, ml("m", 3)), at(2, ml("m", 3)), at(3)}, 6, 3, 2},
		{"growing and shrinking", []pool.Round{at(0, ml("m", 3)), at(1, ml("m", 5)), at(3, ml("m", 2)), at(4, ml("m", 0)), at(5)}, 3*1 + 5*2 + 2*1, 5, 4},
		{"a failed poll of the server in between counts on", []pool.Round{
			at(0, ml("m", 4)), {Started: t0.Add(time.Minute), Meetings: map[string][]pool.MeetingLoad{}}, at(2, ml("m", 4)), at(3)}, 8, 4, 2},
		{"seen once", []pool.Round{at(0, ml("m", 7)), at(1)}, 0, 7, 0},
		{"breakouts are not counted twice", []pool.Round{
			at(0, ml("m", 2), pool.MeetingLoad{MeetingID: "b", Participants: 2, Breakout: true, Created: t0}),
			at(1, ml("m", 2)), at(2)}, 2, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := state.NewMemory()
			tr := NewTracker(s, nil, nil)
			for _, r := range tt.rounds {
				tr.Observe(r)
			}
			recs := records(t, s)
			if len(recs) != 1 {
				t.Fatalf("%d records, want 1: %+v", len(recs), recs)
			}
			r := recs[0]
			if r.Ongoing || !near(r.ParticipantMinutes, tt.wantPM) || r.PeakParticipants != tt.wantPeak || !near(r.DurationSeconds/60, tt.wantMins) {
				t.Errorf("record %+v; want %v participant-minutes, peak %d, %v minutes", r, tt.wantPM, tt.wantPeak, tt.wantMins)
			}
			if r.Tenant != state.DefaultTenant || r.MeetingID != "m" || r.Name != "Room m" || r.Server != "s1" || !r.Start.Equal(t0) {
				t.Errorf("record %+v: wrong identity", r)
			}
		})
	}
}

// TestRecreatedBetweenPolls checks that a meetingID ended and created
// again between two polls makes two records, not one long one.
func TestRecreatedBetweenPolls(t *testing.T) {
	s := state.NewMemory()
	tr := NewTracker(s, nil, nil)
	tr.Observe(at(0, ml("m", 2)))
	tr.Observe(at(1, ml("m", 2)))
	again := ml("m", 4)
	again.Created = t0.Add(90 * time.Second)
	tr.Observe(at(2, again))
	tr.Observe(at(3, again))
	tr.Observe(at(4))
	recs := records(t, s)
	if len(recs) != 2 || !near(recs[0].ParticipantMinutes, 2) || !near(recs[1].ParticipantMinutes, 4) {
		t.Fatalf("records %+v; want 2 then 4 participant-minutes", recs)
	}
}

// TestStaleServer checks that the meetings of a server that stopped
// answering are recorded once it has been silent longer than Stale.
func TestStaleServer(t *testing.T) {
	s := state.NewMemory()
	tr := NewTracker(s, nil, nil)
	tr.Stale = 10 * time.Minute
	tr.Observe(at(0, ml("m", 2)))
	tr.Observe(at(1, ml("m", 2)))
	silent := func(min float64) pool.Round {
		return pool.Round{Started: t0.Add(time.Duration(min) * time.Minute), Meetings: map[string][]pool.MeetingLoad{}}
	}
	tr.Observe(silent(5))
	if n := len(records(t, s)); n != 0 {
		t.Fatalf("recorded after 4 silent minutes: %d", n)
	}
	tr.Observe(silent(12))
	if recs := records(t, s); len(recs) != 1 || !near(recs[0].ParticipantMinutes, 2) {
		t.Fatalf("after 11 silent minutes: %+v", recs)
	}
}

// TestTenants checks that records carry the tenant and its own meetingID.
func TestTenants(t *testing.T) {
	s := state.NewMemory()
	owner := func(bbbID string) (string, string) { return "acme", bbbID[len("acme-"):] }
	tr := NewTracker(s, owner, nil)
	tr.Observe(at(0, ml("acme-x", 1)))
	tr.Observe(at(1))
	if recs := records(t, s); len(recs) != 1 || recs[0].Tenant != "acme" || recs[0].MeetingID != "x" {
		t.Fatalf("records %+v", recs)
	}
}

// TestRestartResumes checks that a tracker started on the store of one
// that stopped resumes the running meetings' counts from the checkpoint,
// and finalises those that ended while it was away.
func TestRestartResumes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	b, err := state.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(b, nil, nil)
	tr.Checkpoint = time.Minute
	tr.Observe(at(0, ml("stays", 3), ml("goes", 1)))
	tr.Observe(at(1, ml("stays", 3), ml("goes", 1))) // checkpoint: stays 3, goes 1
	b.Close()

	b, err = state.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	tr = NewTracker(b, nil, nil)
	tr.Observe(at(5, ml("stays", 3))) // the 4 minutes away are not counted
	tr.Observe(at(6, ml("stays", 3)))
	tr.Observe(at(7))
	got := map[string]state.UsageRecord{}
	for _, r := range records(t, b) {
		got[r.MeetingID] = r
	}
	if r := got["stays"]; r.Ongoing || !near(r.ParticipantMinutes, 3+3) {
		t.Errorf("stays: %+v, want 6 participant-minutes (3 before the restart, 3 after)", r)
	}
	if r := got["goes"]; r.Ongoing || !near(r.ParticipantMinutes, 1) {
		t.Errorf("goes: %+v, want final with 1 participant-minute", r)
	}
}

// TestRetention checks that records past the retention are dropped.
func TestRetention(t *testing.T) {
	s := state.NewMemory()
	old := state.UsageRecord{Tenant: "a", MeetingID: "old", Start: t0.AddDate(0, -2, 0), End: t0.AddDate(0, -2, 0)}
	if err := s.AddUsage(old); err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(s, nil, nil)
	tr.Retention = 30 * 24 * time.Hour
	tr.Observe(at(0, ml("m", 1)))
	if recs, _ := s.Usage(time.Time{}, t0); len(recs) != 0 {
		t.Fatalf("a record older than the retention is kept: %+v", recs)
	}
}

// TestParticipantMinutesFromRealPolls runs fake participants on real fake
// BBB servers through the real poller: the record's participant-minutes
// are exactly the scripted counts times the intervals between the polls
// that saw them.
func TestParticipantMinutesFromRealPolls(t *testing.T) {
	f1, f2 := bbbfake.Start("s1-secret"), bbbfake.Start("s2-secret")
	defer f1.Close()
	defer f2.Close()
	p := pool.New()
	p.Add(pool.NewServer("s1", f1.Client()))
	p.Add(pool.NewServer("s2", f2.Client()))
	s := state.NewMemory()
	tr := NewTracker(s, nil, nil)
	var rounds []pool.Round
	poller := &pool.Poller{Pool: p, Timeout: 5 * time.Second, Thresholds: pool.Thresholds{Down: 2, Up: 1},
		OnRound: func(r pool.Round) { rounds = append(rounds, r); tr.Observe(r) }}
	create := func(f *bbbfake.Server, id string, record bool) {
		v := url.Values{"meetingID": {id}, "name": {"Meeting " + id}, "record": {map[bool]string{true: "true", false: "false"}[record]}}
		res, err := f.Client().Get(context.Background(), bbb.CallCreate, v.Encode())
		if err != nil || res.Status != 200 || !strings.Contains(string(res.Body), "SUCCESS") {
			t.Fatalf("create %s: %v %s", id, err, res.Body)
		}
	}
	create(f1, "ma", true)
	create(f2, "mb", false)
	// The script: participants present at each poll.
	script := []struct{ a, b int }{{3, 1}, {5, 1}, {5, 4}, {2, 4}, {0, 4}}
	have := map[string]int{}
	set := func(f *bbbfake.Server, id string, n int) {
		if n > have[id] {
			f.AddUsers(id, n-have[id], true, false)
		} else {
			f.RemoveUsers(id, have[id]-n)
		}
		have[id] = n
	}
	for _, step := range script {
		set(f1, "ma", step.a)
		set(f2, "mb", step.b)
		poller.PollOnce(context.Background())
		time.Sleep(5 * time.Millisecond) // intervals that differ
	}
	f1.EndMeeting("ma")
	f2.EndMeeting("mb")
	poller.PollOnce(context.Background())

	// Expected from the script, times the real intervals between polls.
	want := map[string]float64{}
	for i := 0; i+1 < len(script); i++ {
		dt := rounds[i+1].Started.Sub(rounds[i].Started).Minutes()
		want["ma"] += float64(script[i].a) * dt
		want["mb"] += float64(script[i].b) * dt
	}
	// And what each poll saw must be the script.
	seen := map[string]float64{}
	for i := 0; i+1 < len(rounds)-1; i++ {
		dt := rounds[i+1].Started.Sub(rounds[i].Started).Minutes()
		for _, ms := range rounds[i].Meetings {
			for _, m := range ms {
				seen[m.MeetingID] += float64(m.Participants) * dt
			}
		}
	}
	if len(seen) != 2 || !near(seen["ma"], want["ma"]) || !near(seen["mb"], want["mb"]) {
		t.Fatalf("the polls saw %v, the script made %v", seen, want)
	}
	recs := records(t, s)
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2: %+v", len(recs), recs)
	}
	for _, r := range recs {
		if !near(r.ParticipantMinutes, want[r.MeetingID]) {
			t.Errorf("%s: %v participant-minutes, want %v", r.MeetingID, r.ParticipantMinutes, want[r.MeetingID])
		}
		if r.Recorded != (r.MeetingID == "ma") || r.Name != "Meeting "+r.MeetingID {
			t.Errorf("%s: recorded %v, name %q", r.MeetingID, r.Recorded, r.Name)
		}
		if r.PeakParticipants != map[string]int{"ma": 5, "mb": 4}[r.MeetingID] {
			t.Errorf("%s: peak %d", r.MeetingID, r.PeakParticipants)
		}
	}
}

// TestEndedBesideARecreatedMeeting: a meeting the round did not see is
// ended even when another one appears twice in the round, created anew
// between the two polls, so that the round saw as many meetings as are
// live (the tracker counts the live meetings a round saw, to skip the
// walk over them all when it saw every one).
func TestEndedBesideARecreatedMeeting(t *testing.T) {
	store := state.NewMemory()
	tr := NewTracker(store, nil, nil)
	a1, a2 := ml("a", 2), ml("a", 3)
	a2.Created = t0.Add(time.Minute)
	tr.Observe(at(0, a1, ml("b", 4)))
	tr.Observe(at(1, a1, a2))
	ended := map[string]int{}
	for _, r := range records(t, store) {
		ended[r.MeetingID]++
	}
	if ended["b"] != 1 || ended["a"] != 1 {
		t.Fatalf("records ended: %v, want a (its first life) and b once each", ended)
	}
	if n := len(tr.Running()); n != 1 {
		t.Errorf("%d meetings running, want a's second life alone", n)
	}
}

// BenchmarkObserve50k is one poll round of the scale scenario (issue 15)
// for the usage tracker: 500 servers × 100 meetings, all seen before.
func BenchmarkObserve50k(b *testing.B) {
	round := pool.Round{Started: time.Now(), Meetings: map[string][]pool.MeetingLoad{}}
	for i := range 500 {
		sid := "scale-" + strconv.Itoa(i)
		ms := make([]pool.MeetingLoad, 100)
		for j := range ms {
			ms[j] = pool.MeetingLoad{MeetingID: sid + "-" + strconv.Itoa(j), Participants: 3, Created: t0, Name: "Room"}
		}
		round.Meetings[sid] = ms
	}
	tr := NewTracker(state.NewMemory(), nil, nil)
	tr.Checkpoint = 1000 * time.Hour // the rounds between checkpoints
	tr.Observe(round)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		round.Started = round.Started.Add(10 * time.Second)
		tr.Observe(round)
	}
	if n := len(tr.Running()); n != 50_000 {
		b.Fatalf("%d meetings running, want 50000", n)
	}
}
