package gateway_test

import (
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/gateway"
)

// TestMalformedRequests sends what the network may send: every answer is
// BBB XML with a messageKey, HTTP 200 unless a limit is hit, never a panic
// or a Go error text.
func TestMalformedRequests(t *testing.T) {
	c := newCluster(t, 1, func(cfg *gateway.Config) { cfg.MaxBody = 1 << 20 })
	c.create("room")
	huge := strings.Repeat("x", 200<<10)
	for _, tc := range []struct {
		name, method, path, ct, body string
		status                       int
		key                          string
	}{
		{"bad percent-encoding", "GET", signedRaw(bbb.SHA1, "getMeetingInfo", "meetingID=%zz"), "", "", 200, "validationError"},
		{"percent at the end", "GET", signedRaw(bbb.SHA1, "getMeetingInfo", "meetingID=room%"), "", "", 200, "validationError"},
		{"bad percent-encoding in the key", "GET", signedRaw(bbb.SHA1, "getMeetingInfo", "meeting%gID=room"), "", "", 200, "validationError"},
		{"semicolons", "GET", signedRaw(bbb.SHA1, "getMeetingInfo", "meetingID=room;x=1"), "", "", 200, "notFound"},
		{"checksum twice", "GET", "/bigbluebutton/api/getMeetings?checksum=a&checksum=b", "", "", 200, "checksumError"},
		{"no query at all", "GET", "/bigbluebutton/api/create", "", "", 200, "checksumError"},
		{"NUL and control bytes", "GET", "/bigbluebutton/api/create?meetingID=a%00b&checksum=%01", "", "", 200, "checksumError"},
		{"200 KB query", "GET", signed("create", url.Values{"meetingID": {"big-query"}, "name": {"Big"}, "userdata-x": {huge}}), "", "", 200, ""},
		{"body over the limit", "POST", signed("create", url.Values{"meetingID": {"b"}, "name": {"B"}}), "application/xml", strings.Repeat("<a/>", 300_000), 413, "requestTooLarge"},
		{"form body with bad encoding", "POST", "/bigbluebutton/api/create", "application/x-www-form-urlencoded", "meetingID=%zz&checksum=x", 200, "validationError"},
		{"bad Content-Type syntax", "POST", signed("create", url.Values{"meetingID": {"cc"}, "name": {"CC"}}), "text/xml; charset", "<modules/>", 200, "unsupportedContentType"},
		{"DELETE", "DELETE", signed("getMeetings", nil), "", "", 200, "unsupportedRequest"},
		{"join by PUT", "PUT", signed("join", url.Values{"meetingID": {"room"}}), "", "", 200, "unsupportedRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := c.do(tc.method, tc.path, tc.ct, tc.body)
			if res.StatusCode != tc.status {
				t.Fatalf("HTTP %d, want %d: %.200s", res.StatusCode, tc.status, body)
			}
			r, err := bbb.ParseReply([]byte(body), nil)
			if err != nil {
				t.Fatalf("not BBB XML: %.200s", body)
			}
			if r.MessageKey != tc.key {
				t.Fatalf("%s/%s (%s), want messageKey %q", r.ReturnCode, r.MessageKey, r.Message, tc.key)
			}
		})
	}
}

// TestHangingBackendsDoNotHold checks that a backend that never answers
// costs each call at most its timeout, and that nothing waits on after.
func TestHangingBackendsDoNotHold(t *testing.T) {
	c := newCluster(t, 2, func(cfg *gateway.Config) {
		cfg.RequestTimeout = 300 * time.Millisecond
		cfg.FanoutTimeout = 200 * time.Millisecond
	})
	hang := c.create("stuck")
	c.create("fine")
	hang.SetMode(bbbfake.ModeHang)
	var wg sync.WaitGroup
	start := time.Now()
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.call("getMeetingInfo", url.Values{"meetingID": {"stuck"}})
			if r.MessageKey != "internalError" {
				t.Errorf("hanging backend: %s", r.MessageKey)
			}
			if r := c.call("getMeetings", nil); !r.OK() {
				t.Errorf("getMeetings with a hanging server: %s", r.MessageKey)
			}
		}()
	}
	wg.Wait()
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("20 calls against a hanging server took %s", d)
	}
	hang.SetMode(bbbfake.ModeNormal)
}

// TestMemoryBoundedUnderBadAnswers checks that garbage from a backend does
// not accumulate: the heap after many calls stays near where it started.
func TestMemoryBoundedUnderBadAnswers(t *testing.T) {
	c := newCluster(t, 1)
	c.create("leak")
	c.fakes[0].SetMode(bbbfake.ModeGarbage)
	measure := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for range 50 {
		c.call("getMeetingInfo", url.Values{"meetingID": {"leak"}})
	}
	before := measure()
	for range 500 {
		c.call("getMeetingInfo", url.Values{"meetingID": {"leak"}})
		c.call("getMeetings", nil)
	}
	if after := measure(); after > before+8<<20 {
		t.Fatalf("heap grew from %d to %d bytes over 1000 calls", before, after)
	}
}
