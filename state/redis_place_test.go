package state

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Three instances claim meetings at once, each offering the same servers
// with equal polled loads: the pending load kept in Redis makes the spread
// exact, and settling the meetings (any instance, any number of times)
// empties it.
func TestClaimAmongSpreadsExactlyAndSettles(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	const servers, perServer = 5, 12
	span := PendingSpan{Now: time.Now(), Length: 10 * time.Second, Keep: 3}
	stores := []*Redis{openRedis(t, url, prefix), openRedis(t, url, prefix), openRedis(t, url, prefix)}
	cands := make([]Candidate, servers)
	for i := range cands {
		cands[i] = Candidate{ServerID: fmt.Sprintf("s%d", i), Weight: 1}
	}
	var mu sync.Mutex
	placed := map[string][]string{}
	slots := map[int64]bool{} // where Redis counted them: its own clock's slot
	var wg sync.WaitGroup
	for i := range servers * perServer {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("m%d", i)
			// Each instance orders its candidates its own way.
			own := append(cands[i%servers:], cands[:i%servers]...)
			c, err := stores[i%3].ClaimAmong(Meeting{Tenant: "t", MeetingID: id}, "", id, own, 16, span)
			if err != nil || !c.Won {
				t.Errorf("claim %s: %v %v", id, c.Won, err)
				return
			}
			mu.Lock()
			placed[c.Owner] = append(placed[c.Owner], id)
			slots[PendingSpan{Now: c.At, Length: span.Length}.slot()] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, c := range cands {
		if n := len(placed[c.ServerID]); n != perServer {
			t.Errorf("%s took %d meetings, want %d", c.ServerID, n, perServer)
		}
	}
	// The meeting is recorded on the server chosen, in every instance.
	waitFor(t, 5*time.Second, "the claims to reach every instance", func() bool {
		for _, ids := range placed {
			for _, id := range ids {
				for _, s := range stores {
					if _, ok := s.Lookup("t", id); !ok {
						return false
					}
				}
			}
		}
		return true
	})
	for srv, ids := range placed {
		if got, _ := stores[2].Lookup("t", ids[0]); got != srv {
			t.Errorf("%s recorded on %s, placed on %s", ids[0], got, srv)
		}
	}
	// A claim of a meeting already placed loses and adds no load.
	if c, err := stores[1].ClaimAmong(Meeting{Tenant: "t", MeetingID: "m0"}, "", "m0", cands, 16, span); err != nil || c.Won || c.Owner == "" {
		t.Errorf("second claim of m0: %+v %v", c, err)
	}
	c := rawClient(t, url)
	ctx := context.Background()
	// The pending load expires on its own after the span.
	for slot := range slots {
		if ttl, _ := c.PTTL(ctx, fmt.Sprintf("%spending:m:%d", prefix, slot)).Result(); ttl <= 0 || ttl > 5*span.Length {
			t.Errorf("pending meetings expire in %v, want within %v", ttl, 5*span.Length)
		}
	}
	for srv, ids := range placed {
		if err := stores[0].Settled(srv, ids, span); err != nil {
			t.Fatal(err)
		}
		if err := stores[1].Settled(srv, ids[:1], span); err != nil { // again: counts once
			t.Fatal(err)
		}
	}
	for slot := range slots {
		if p, _ := c.HGetAll(ctx, fmt.Sprintf("%spending:%d", prefix, slot)).Result(); len(p) != 0 {
			t.Errorf("pending load left after every meeting settled: %v", p)
		}
		if n, _ := c.HLen(ctx, fmt.Sprintf("%spending:m:%d", prefix, slot)).Result(); n != 0 {
			t.Errorf("%d pending meetings left after every meeting settled", n)
		}
	}
}

// A candidate with more polled load loses to one with more pending load
// only when the sum says so; weight divides the pending load.
func TestClaimAmongAddsPendingToPolled(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	r := openRedis(t, url, prefix)
	span := PendingSpan{Now: time.Now(), Length: 10 * time.Second, Keep: 3}
	cands := []Candidate{{ServerID: "a", Polled: 10, Weight: 1}, {ServerID: "b", Polled: 0, Weight: 2}}
	// Load pending in a slot older than the span's does not count.
	if err := rawClient(t, url).HSet(context.Background(), fmt.Sprintf("%spending:%d", prefix, span.slot()-4), "b", 100).Err(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := range 4 {
		// b weighs 0, 4, 8 (pending 16 over weight 2), under a's 10: b
		// takes three; at 12 the fourth goes to a.
		c, err := r.ClaimAmong(Meeting{Tenant: "t", MeetingID: fmt.Sprint(i)}, "", fmt.Sprint(i), cands, 8, span)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, c.Owner)
	}
	if fmt.Sprint(got) != "[b b b a]" {
		t.Errorf("placements %v, want [b b b a]", got)
	}
}

// A meeting ID that holds the placeholder for the server (a tenant chooses
// its meeting IDs) is kept as it is, and every instance reads the server
// the claim chose: nothing else in the meeting's JSON is taken for the
// server field.
func TestClaimAmongKeepsAMeetingIDThatLooksLikeThePlaceholder(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	a, b := openRedis(t, url, prefix), openRedis(t, url, prefix)
	span := PendingSpan{Now: time.Now(), Length: 10 * time.Second, Keep: 3}
	for _, id := range []string{serverPlaceholder, "x" + serverPlaceholder + "y", `"server":"` + serverPlaceholder + `"`, "100%" + serverPlaceholder} {
		c, err := a.ClaimAmong(Meeting{Tenant: "t", MeetingID: id}, "", id, []Candidate{{ServerID: "s%1", Weight: 1}}, 1, span)
		if err != nil || !c.Won || c.Owner != "s%1" {
			t.Fatalf("claim %q: %+v %v", id, c, err)
		}
		raw, err := rawClient(t, url).Get(context.Background(), a.meetingKey("t", id)).Result()
		if err != nil {
			t.Fatal(err)
		}
		var m Meeting
		if err := json.Unmarshal([]byte(raw), &m); err != nil || m.MeetingID != id || m.ServerID != "s%1" {
			t.Fatalf("claim %q stored %s (%v)", id, raw, err)
		}
		// A second instance sees the one owner, and its claim loses.
		if c, err := b.ClaimAmong(Meeting{Tenant: "t", MeetingID: id}, "", id, []Candidate{{ServerID: "s2", Weight: 1}}, 1, span); err != nil || c.Won || c.Owner != "s%1" {
			t.Fatalf("second claim of %q: %+v %v", id, c, err)
		}
	}
}

// A claim whose caller's span is late (taken before the claim was sent,
// which reached Redis after others) is counted from Redis's own time, and
// sees what claims with later spans counted; a caller whose clock runs
// ahead sees them as well. With the caller's slot, a late claim was
// counted in a slot that expired early and missed the placements of the
// slot after its own: the least loaded server looked emptier than it was.
func TestClaimAmongCountsByRedisTime(t *testing.T) {
	url := redisURL(t)
	const length = 500 * time.Millisecond
	for _, tc := range []struct {
		name string
		skew time.Duration // of the caller's span from now
	}{
		{"on time", 0},
		{"one slot late", -length},
		{"three slots late", -3 * length},
		{"one slot ahead", length},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := openRedis(t, url, testPrefix(t, url))
			cands := []Candidate{{ServerID: "a", Weight: 1}, {ServerID: "b", Weight: 1}}
			// b takes a meeting claimed on time.
			before := time.Now()
			first, err := r.ClaimAmong(Meeting{Tenant: "t", MeetingID: "first"}, "", "first", cands[1:], 16,
				PendingSpan{Now: time.Now(), Length: length, Keep: 3})
			if err != nil || !first.Won {
				t.Fatalf("first claim: %+v %v", first, err)
			}
			// The skewed caller offers b first: it must see b's meeting.
			span := PendingSpan{Now: time.Now().Add(tc.skew), Length: length, Keep: 3}
			c, err := r.ClaimAmong(Meeting{Tenant: "t", MeetingID: "late"}, "", "late", []Candidate{cands[1], cands[0]}, 16, span)
			after := time.Now()
			if err != nil || !c.Won {
				t.Fatalf("claim: %+v %v", c, err)
			}
			if c.Owner != "a" {
				t.Errorf("a caller %v off placed on %s, beside b's pending meeting", tc.skew, c.Owner)
			}
			for _, at := range []time.Time{first.At, c.At} {
				if at.Before(before.Truncate(time.Millisecond)) || at.After(after) {
					t.Errorf("counted at %v, not within the claims' %v to %v", at, before, after)
				}
			}
		})
	}
}

// The claim picks a candidate of least polled plus pending load (pending
// divided by weight) whichever way its candidates are sent: as levels of
// equal polled load and weight, or one by one when levels would not be
// shorter (appendLevels). Pending load is set in Redis directly, on
// candidates spread over the levels in no order.
func TestClaimAmongPicksLeastInBothForms(t *testing.T) {
	url := redisURL(t)
	ctx := context.Background()
	raw := rawClient(t, url)
	for _, tc := range []struct {
		name   string
		n      int
		levels int  // distinct polled loads, cycled over the candidates
		heavy  bool // every other candidate weighs 2
		byOne  bool // the arguments are per candidate
	}{
		{"one level", 40, 1, false, false},
		{"three levels interleaved", 40, 3, false, false},
		{"six levels of two weights", 40, 3, true, false},
		{"every candidate its own", 40, 40, false, true},
		{"levels half the candidates", 40, 20, false, true},
		{"a single candidate", 1, 1, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := testPrefix(t, url)
			r := openRedis(t, url, prefix)
			span := PendingSpan{Now: time.Now(), Length: 10 * time.Second, Keep: 3}
			cands := make([]Candidate, tc.n)
			for i := range cands {
				cands[i] = Candidate{ServerID: fmt.Sprintf("s%d", i), Polled: float64(i % tc.levels), Weight: 1}
				if tc.heavy && i%2 == 1 {
					cands[i].Weight = 2
				}
			}
			args := appendLevels(nil, cands)
			if first := args[0].(int); (first < 0) != tc.byOne {
				t.Fatalf("sent with count %d, want per candidate %v", first, tc.byOne)
			}
			// Pending load on every candidate but a few, so that the least
			// is some way down the order and not the first of its level;
			// in the second claim on every candidate but the last, the
			// last of its level; in the third on all, where weights
			// decide.
			for _, free := range []string{"a few", "the last", "none"} {
				raw.Del(ctx, fmt.Sprintf("%spending:%d", prefix, span.slot()))
				pending := map[string]float64{}
				for i, c := range cands {
					if free == "none" || (free == "the last" && i != len(cands)-1) || (free == "a few" && (i%7 != 5 || i < 10)) {
						pending[c.ServerID] = float64(1 + (i*13)%5)
						if err := raw.HSet(ctx, fmt.Sprintf("%spending:%d", prefix, span.slot()), c.ServerID, pending[c.ServerID]).Err(); err != nil {
							t.Fatal(err)
						}
					}
				}
				total := func(id string) float64 {
					for _, c := range cands {
						if c.ServerID == id {
							return c.Polled + pending[id]/c.Weight
						}
					}
					t.Fatalf("owner %q is no candidate", id)
					return 0
				}
				least := total(cands[0].ServerID)
				for _, c := range cands {
					least = min(least, total(c.ServerID))
				}
				id := "m " + free
				c, err := r.ClaimAmong(Meeting{Tenant: "t", MeetingID: id}, "", id, cands, 1, span)
				if err != nil || !c.Won {
					t.Fatalf("claim: %+v %v", c, err)
				}
				if got := total(c.Owner); got != least {
					t.Errorf("%s free: placed on %s at load %v, the least is %v", free, c.Owner, got, least)
				}
			}
		})
	}
}
