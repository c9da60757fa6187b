package bbbfake

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
)

// seededForBench is a server with n meetings of users participants each
// (audio on, a camera in every meeting), as the scale benchmark's fleet.
func seededForBench(tb testing.TB, n, users int) *Server {
	tb.Helper()
	s := Start("bench-secret")
	tb.Cleanup(s.Close)
	for i := range n {
		id := fmt.Sprintf("bench-%d", i)
		q := url.Values{"meetingID": {id}, "name": {"Room " + id}, "attendeePW": {"ap"}, "moderatorPW": {"mp"}, "meta_bbb-origin": {"Greenlight"}}.Encode()
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", APIPath+"/create?"+bbb.Sign(bbb.SHA256, bbb.CallCreate, q, "bench-secret"), nil))
		if rec.Code != 200 {
			tb.Fatalf("create %s: %d", id, rec.Code)
		}
		s.AddUsers(id, 1, true, true)
		s.AddUsers(id, users-1, true, false)
	}
	return s
}

// BenchmarkGetMeetings renders getMeetings of 100 meetings of 3
// participants: what every poll of every fake of the scale fleet costs.
func BenchmarkGetMeetings(b *testing.B) {
	s := seededForBench(b, 100, 3)
	target := APIPath + "/getMeetings?" + bbb.Sign(bbb.SHA256, bbb.CallGetMeetings, "", "bench-secret")
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
