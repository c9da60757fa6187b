package bbbfake

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
)

// TestGetMeetingsEnvelope: getMeetings renders its envelope into its own
// buffer; the answer is byte for byte bbb.ListXML of the meetings, with
// BBB's empty form when there are none, and a second answer after the
// fleet changed does not keep anything of the first (buffers are reused).
func TestGetMeetingsEnvelope(t *testing.T) {
	for _, n := range []int{0, 1, 7} {
		t.Run(fmt.Sprint(n, " meetings"), func(t *testing.T) {
			s := seededForBench(t, n, 2)
			if n > 0 {
				s.CreateBreakouts("bench-0", 2)
			}
			got := getMeetingsBody(t, s)
			s.mu.Lock()
			rooms := s.breakoutRooms()
			var items [][]byte
			for _, id := range s.order {
				d := &doc{}
				d.open("meeting")
				s.writeMeeting(d, s.meetings[id], true, rooms)
				d.close("meeting")
				items = append(items, d.b)
			}
			s.mu.Unlock()
			want := bbb.ListXML("meetings", items, "noMeetings", "no meetings were found on this server", nil)
			if !bytes.Equal(got, want) {
				t.Fatalf("answer differs from ListXML:\n got %.300s\nwant %.300s", got, want)
			}
			if _, err := bbb.ParseReply(got, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
	s := seededForBench(t, 3, 1)
	first := getMeetingsBody(t, s)
	s.mu.Lock()
	s.order = s.order[:1] // fewer meetings: a shorter answer in a reused buffer
	s.mu.Unlock()
	second := getMeetingsBody(t, s)
	if len(second) >= len(first) || !bytes.HasSuffix(second, []byte("</meeting></meetings></response>")) {
		t.Fatalf("second answer %d bytes after %d: %.200q", len(second), len(first), second[max(0, len(second)-200):])
	}
}

// TestGetMeetingsConcurrentAnswers: answers rendered at once over real
// connections each hold their own server's meetings, whole.
func TestGetMeetingsConcurrentAnswers(t *testing.T) {
	const servers, rounds = 4, 25
	var fakes []*Server
	for i := range servers {
		s := seededForBench(t, 5+i*10, 3)
		fakes = append(fakes, s)
	}
	var wg sync.WaitGroup
	errs := make(chan error, servers*rounds)
	for i, s := range fakes {
		url := s.URL() + "/getMeetings?" + bbb.Sign(bbb.SHA256, bbb.CallGetMeetings, "", "bench-secret")
		for range rounds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := http.Get(url)
				if err != nil {
					errs <- err
					return
				}
				defer res.Body.Close()
				var b bytes.Buffer
				b.ReadFrom(res.Body)
				r, err := bbb.ParseReply(b.Bytes(), &bbb.ListSpec{List: "meetings", Item: "meeting", Fields: []string{"meetingID"}})
				if err != nil {
					errs <- fmt.Errorf("server %d: %v", i, err)
				} else if len(r.Items) != 5+i*10 {
					errs <- fmt.Errorf("server %d: %d meetings, want %d", i, len(r.Items), 5+i*10)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func getMeetingsBody(t *testing.T, s *Server) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", APIPath+"/getMeetings?"+bbb.Sign(bbb.SHA256, bbb.CallGetMeetings, "", "bench-secret"), nil))
	if rec.Code != 200 {
		t.Fatalf("getMeetings: HTTP %d", rec.Code)
	}
	return rec.Body.Bytes()
}
