package admin

import (
	"net/http"
	"testing"
)

// TestMeetingsList checks that the list joins placements with the polls:
// which server holds each meeting, and how many are in it.
func TestMeetingsList(t *testing.T) {
	e := newEnv(t, token, nil, "bbb1", "bbb2")
	where := map[string]string{}
	for _, id := range []string{"alpha", "beta", "gamma"} {
		where[id] = e.create(id)
	}
	e.fakes[where["alpha"]].AddUsers("alpha", 5, true, false)
	e.poller.PollOnce(t.Context())
	e.create("fresh") // after the poll: placed, not seen yet
	var list MeetingList
	if st, body := e.admin("GET", Prefix+"meetings", nil, &list); st != http.StatusOK {
		t.Fatalf("HTTP %d %s", st, body)
	}
	got := map[string]MeetingInfo{}
	for _, m := range list.Meetings {
		got[m.MeetingID] = m
	}
	if len(got) != 4 {
		t.Fatalf("%d meetings, want 4: %+v", len(got), list.Meetings)
	}
	for id, server := range where {
		if got[id].Server != server || !got[id].Running || got[id].CreatedAt == nil || got[id].PlacedAt.IsZero() {
			t.Errorf("%s = %+v, want on %s, running, with times", id, got[id], server)
		}
	}
	if a := got["alpha"]; a.Participants != 5 || a.Voice != 5 || a.Video != 0 {
		t.Errorf("alpha: %d participants, %d voice, %d video; want 5, 5, 0", a.Participants, a.Voice, a.Video)
	}
	if f := got["fresh"]; f.Running || f.CreatedAt != nil || f.Server == "" {
		t.Errorf("fresh = %+v, want placed, not yet seen running", f)
	}
}
