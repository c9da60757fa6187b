package gateway_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/gateway"
)

func meetingIDs(r *bbb.Reply) []string {
	var ids []string
	for _, it := range r.Items {
		ids = append(ids, it.Fields[0])
	}
	sort.Strings(ids)
	return ids
}

func TestGetMeetingsSplicesAllServers(t *testing.T) {
	c := newCluster(t, 3)
	r := c.call("getMeetings", nil)
	wantKey(t, r, bbb.Success, "noMeetings")
	if !r.HasList {
		t.Error("empty getMeetings lacks <meetings/>")
	}
	want := []string{"a&b", "m1", "m2", "m3", "m4"}
	for _, id := range want {
		c.create(id)
	}
	c.fakes[0].AddAttendee(c.fakes[0].Meetings()[0].MeetingID, "Ada <admin>", "MODERATOR")
	r = c.call("getMeetings", nil)
	wantKey(t, r, bbb.Success, "")
	if got := meetingIDs(r); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("meetings %v, want %v", got, want)
	}
	// Elements are passed through raw: each is byte for byte what its
	// server sent.
	for _, it := range r.Items {
		found := false
		for _, f := range c.fakes {
			res, err := f.Client().Get(t.Context(), "getMeetings", "")
			if err == nil && strings.Contains(string(res.Body), string(it.Raw)) {
				found = true
			}
		}
		if !found {
			t.Errorf("element changed in the splice: %s", it.Raw)
		}
	}
}

func TestGetMeetingsLeavesOutFailingServers(t *testing.T) {
	for _, mode := range []bbbfake.Mode{bbbfake.ModeHTTPError, bbbfake.ModeGarbage, bbbfake.ModeHang, bbbfake.ModeReset} {
		t.Run(mode.String(), func(t *testing.T) {
			c := newCluster(t, 3, func(cfg *gateway.Config) { cfg.FanoutTimeout = 300 * time.Millisecond })
			for i := range 6 {
				c.create(fmt.Sprintf("m%d", i))
			}
			bad := c.fakes[1]
			lost := len(bad.Meetings())
			bad.SetMode(mode)
			start := time.Now()
			r := c.call("getMeetings", nil)
			if !r.OK() {
				t.Fatalf("one failing server failed the answer: %s", r.MessageKey)
			}
			if len(r.Items) != 6-lost {
				t.Fatalf("%d meetings, want %d from the healthy servers", len(r.Items), 6-lost)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("waited %s for a failing server", d)
			}
		})
	}
	t.Run("all down", func(t *testing.T) {
		c := newCluster(t, 2)
		c.create("xx")
		for _, f := range c.fakes {
			f.Close()
		}
		r := c.call("getMeetings", nil)
		wantKey(t, r, bbb.Success, "noMeetings")
	})
}
