package admin

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/config"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
)

// bigCluster is an admin API over 500 servers running 40 meetings each
// (20,000 meetings, 300,000 participants), as the polls left them; no
// server is called.
func bigCluster(b *testing.B) *API {
	b.Helper()
	var base []config.Server
	for i := range 500 {
		base = append(base, config.Server{ID: fmt.Sprintf("bbb%03d", i), Host: fmt.Sprintf("https://bbb%03d.example.org/bigbluebutton/api", i), Secret: "s", Weight: 1})
	}
	p := pool.New()
	fleet := NewFleet(p, &MemoryOverlay{}, build, nil)
	if err := fleet.Init(base); err != nil {
		b.Fatal(err)
	}
	store := state.NewMemory()
	now := time.Now()
	for i, s := range p.All() {
		var ms []pool.MeetingLoad
		for j := range 40 {
			id := fmt.Sprintf("room-%d-%d", i, j)
			ms = append(ms, pool.MeetingLoad{MeetingID: id, Name: "Room " + id, Participants: 15, Voice: 10, Video: 3, Created: now.Add(-time.Duration(j) * time.Minute)})
			if _, err := store.Claim(state.Meeting{Tenant: state.DefaultTenant, MeetingID: id, ServerID: s.ID, CreatedAt: now}, ""); err != nil {
				b.Fatal(err)
			}
		}
		s.Observe(nil, pool.DefaultThresholds, now)
		s.SetMeetings(ms, now, time.Minute)
	}
	return New(Config{Token: token, Fleet: fleet, Store: store})
}

// BenchmarkDashboardPoll is one poll of the dashboard's busiest tab on
// 500 servers and 20,000 meetings: the overview and a page of 50
// meetings sorted by age (or of 50 servers), through the API handler.
func BenchmarkDashboardPoll(b *testing.B) {
	a := bigCluster(b)
	for _, bc := range []struct{ name, path string }{
		{"overview", Prefix + "overview"},
		{"meetings page", Prefix + "meetings?limit=50&sort=-age"},
		{"meetings search", Prefix + "meetings?limit=50&q=room-42-"},
		{"servers page", Prefix + "servers?limit=50&sort=-load"},
		{"history", Prefix + "history"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", bc.path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			for b.Loop() {
				w := httptest.NewRecorder()
				a.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("HTTP %d %s", w.Code, w.Body)
				}
			}
		})
	}
}
