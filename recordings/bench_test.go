package recordings_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/recordings"
	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
)

// benchLibrary is a library over an index of n recordings, 10 a meeting.
func benchLibrary(b *testing.B, n int) *recordings.Library {
	idx := state.NewMemory()
	data, _ := json.Marshal(map[string]any{"name": "Course", "formats": []map[string]any{{"type": "presentation", "version": "0", "link": "/playback/presentation/2.3/x"}}})
	for i := range n {
		idx.PutStoredRecording(state.StoredRecording{RecordID: fmt.Sprintf("%040d-%d", i, i), Tenant: "default", MeetingID: fmt.Sprint("m-", i%(n/10)),
			State: "published", StartTime: int64(i), Meta: map[string]string{"gl-listed": "true"}, Data: data, Updated: time.Now()})
	}
	reg, _ := tenant.NewRegistry(tenant.Tenant{Secrets: []string{"s"}}, nil)
	return &recordings.Library{Index: idx, Tenants: reg, PublicURL: "https://lb.example.org"}
}

func BenchmarkFindAll100k(b *testing.B) {
	lib := benchLibrary(b, 100_000)
	b.ResetTimer()
	for b.Loop() {
		if got := lib.Find(recordings.Query{Tenant: "default"}); len(got) != 100_000 {
			b.Fatal(len(got))
		}
	}
}

func BenchmarkFindPage100k(b *testing.B) {
	lib := benchLibrary(b, 100_000)
	b.ResetTimer()
	for b.Loop() {
		if got, total := lib.FindFirst(recordings.Query{Tenant: "default"}, 1100); len(got) != 1100 || total != 100_000 {
			b.Fatal(len(got), total)
		}
	}
}

func BenchmarkFindMeeting100k(b *testing.B) {
	lib := benchLibrary(b, 100_000)
	b.ResetTimer()
	for b.Loop() {
		if got := lib.Find(recordings.Query{Tenant: "default", MeetingIDs: []string{"m-77"}}); len(got) != 10 {
			b.Fatal(len(got))
		}
	}
}

func BenchmarkRenderPage(b *testing.B) {
	lib := benchLibrary(b, 1000)
	all := lib.Find(recordings.Query{Tenant: "default"})
	b.ResetTimer()
	for b.Loop() {
		for _, m := range all[:100] {
			m.XML("https://lb.example.org")
		}
	}
}

// BenchmarkAtPage100k is a page of 100 found by position, at the end of a
// tenant's 100,000 recordings (FindFirst would walk them all).
func BenchmarkAtPage100k(b *testing.B) {
	lib := benchLibrary(b, 100_000)
	b.ResetTimer()
	for b.Loop() {
		if got, total := lib.At(recordings.Query{Tenant: "default"}, 99_900, 100); len(got) != 100 || total != 100_000 {
			b.Fatal(len(got), total)
		}
	}
}
