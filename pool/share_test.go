package pool

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// instances returns two pools over the same two servers (separate Server
// values, as in two tinyscale processes), each publishing its reservations
// to the other as the shared state store does.
func instances() (a, b *Pool) {
	a, b = New(servers(2)...), New(servers(2)...)
	a.Share(func(r Reservation) { b.ApplyRemote(r) })
	b.Share(func(r Reservation) { a.ApplyRemote(r) })
	return a, b
}

// TestTwoInstancesSeeEachOthersReservations: instance A places three
// meetings on s0 (s1 excluded); instance B, placing three more before any
// poll, must count them and put all three on s1. An instance that ignored
// the other's reservations would see two idle servers and split its three
// 2/1 or 1/2 — never 0/3.
func TestTwoInstancesSeeEachOthersReservations(t *testing.T) {
	a, b := instances()
	for i := range 3 {
		s, err := a.Place(Request{MeetingID: fmt.Sprintf("a%d", i), Exclude: []string{"s1"}})
		if err != nil || s.ID != "s0" {
			t.Fatalf("A placed on %v, %v; want s0", s, err)
		}
	}
	got := place(t, b, 3, Request{})
	if got["s1"] != 3 {
		t.Fatalf("B placed %v before any poll, want all 3 on s1: it did not count A's reservations on s0", got)
	}
	now := time.Now()
	if la, lb := a.Get("s0").Load(a.Model, now), b.Get("s0").Load(b.Model, now); la != lb || la == 0 {
		t.Errorf("s0's load: %v on A, %v on B; want equal and not zero", la, lb)
	}
}

// A cancelled reservation (a create that failed) is dropped on the other
// instance too, and a confirmed one stays.
func TestSharedReservationsCancelAndConfirm(t *testing.T) {
	a, b := instances()
	s, err := a.Place(Request{MeetingID: "m1", Exclude: []string{"s1"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if b.Get("s0").Load(b.Model, now) == 0 {
		t.Fatal("B does not count A's reservation")
	}
	s.Confirm("m1", now)
	b.Get("s0").mu.Lock()
	confirmed := b.Get("s0").pending.m["m1"].confirmed
	b.Get("s0").mu.Unlock()
	if !confirmed.Equal(now) {
		t.Errorf("B's copy of the reservation confirmed at %v, want %v", confirmed, now)
	}
	s.Unreserve("m1")
	if l := b.Get("s0").Load(b.Model, now); l != 0 {
		t.Errorf("B still counts a cancelled reservation: load %v", l)
	}
}

// A reservation for a server this instance does not know is ignored, and
// one arriving from many goroutines at once is safe.
func TestApplyRemoteUnknownServerAndConcurrent(t *testing.T) {
	p := New(servers(2)...)
	p.ApplyRemote(Reservation{ServerID: "elsewhere", MeetingID: "m", At: time.Now()})
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.ApplyRemote(Reservation{ServerID: "s1", MeetingID: fmt.Sprintf("m%d", i), At: time.Now()})
		}()
	}
	wg.Wait()
	got := place(t, p, 10, Request{})
	if got["s0"] != 10 {
		t.Fatalf("placed %v; want all on s0, s1 holding 50 reservations from elsewhere", got)
	}
}
