package gateway_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/tenant"
)

// rawGet sends a query exactly as written, signed for the tenant behind
// prefix ("" for the default tenant).
func (c *cluster) rawGet(prefix, secret, call, raw string) (*http.Response, string) {
	c.t.Helper()
	return c.get(prefix + "/bigbluebutton/api/" + call + "?" + bbb.Sign(bbb.SHA256, call, raw, secret))
}

// TestAmbiguousRequestsAreRefused: a parameter tinyscale routes by, given
// twice in any spelling BBB decodes alike, is refused before anything is
// routed, so tinyscale and the backend can never read different values.
func TestAmbiguousRequestsAreRefused(t *testing.T) {
	uniB := tenant.Tenant{Name: "uni-b", Secrets: []string{"uni-b-secret"}}
	c := tenantCluster(t, 2, uniA, uniB)
	a := client{c: c, secret: "uni-a-secret-1", prefix: "/t/uni-a"}
	b := client{c: c, secret: "uni-b-secret", prefix: "/t/uni-b"}
	for _, cl := range []client{a, b} {
		if r := cl.call("create", url.Values{"meetingID": {"room1"}, "name": {"Room"}}); !r.OK() {
			t.Fatalf("create: %s %s", r.MessageKey, r.Message)
		}
		if r := cl.call("create", url.Values{"meetingID": {"x"}, "name": {"Room X"}}); !r.OK() {
			t.Fatalf("create: %s %s", r.MessageKey, r.Message)
		}
	}
	before := 0
	for _, f := range c.fakes {
		before += len(f.Requests())
	}
	for _, tt := range []struct{ call, raw string }{
		{"getMeetingInfo", "meeting%49D=uni-b~room1&meetingID=x"},
		{"getMeetingInfo", "meetingID=x&meeting%49D=uni-b~room1"},
		{"getMeetingInfo", "meeting%00ID=room1&meetingID=x"},
		{"end", "meeting%49D=uni-b~room1&meetingID=x"},
		{"isMeetingRunning", "meeting%49D=uni-b~room1&meetingID=x"},
		{"sendChatMessage", "meeting%49D=uni-b~room1&meetingID=x&message=hi"},
		{"join", "meeting%49D=uni-b~room1&meetingID=x&fullName=Eve&role=MODERATOR"},
		{"join", "meetingID=x&fullName=Eve&role=VIEWER&rol%65=MODERATOR"},
		{"join", "meetingID=x&fullName=Eve&redirect=false&re%64irect=true"},
		{"deleteRecordings", "record%49D=r1&recordID=r2"},
		{"getRecordings", "meetingID=x&meeting%49D=uni-b~room1"},
		{"create", "meetingID=y&name=Y&meta_endCallbackUrl=https://a.example/&meta_ENDCALLBACKURL=https://b.example/"},
		{"create", "meetingID=y&name=Y&meta_server-tag=a&meta_server%2Dtag=b"},
	} {
		res, body := c.rawGet(a.prefix, a.secret, tt.call, tt.raw)
		var r *bbb.Reply
		if tt.call == "join" && res.StatusCode == http.StatusFound {
			if r = joinErrorReply(res); r == nil {
				t.Errorf("%s?%s: redirected to %s, want an error", tt.call, tt.raw, res.Header.Get("Location"))
				continue
			}
		} else {
			r = c.reply(res, body)
		}
		if r.ReturnCode != bbb.Failed || r.MessageKey != "validationError" {
			t.Errorf("%s?%s: %s/%s, want FAILED/validationError", tt.call, tt.raw, r.ReturnCode, r.MessageKey)
		}
	}
	after := 0
	for _, f := range c.fakes {
		after += len(f.Requests())
	}
	if after != before {
		t.Errorf("refused requests reached the servers: %d requests", after-before)
	}
	_ = b
}

// TestForwardedQueryIsWhatWasRouted: whatever spelling the client used,
// the backend gets the parameters as tinyscale read them, the scoped
// meeting ID included.
func TestForwardedQueryIsWhatWasRouted(t *testing.T) {
	c := tenantCluster(t, 1, uniA)
	a := client{c: c, secret: "uni-a-secret-1", prefix: "/t/uni-a"}
	if r := a.call("create", url.Values{"meetingID": {"room1"}, "name": {"Room"}}); !r.OK() {
		t.Fatalf("create: %s %s", r.MessageKey, r.Message)
	}
	f := c.fakes[0]
	f.ResetRequests()
	res, body := c.rawGet(a.prefix, a.secret, "getMeetingInfo", "meeting%49D=%20room1%0A&checks%75m=zz")
	if r := c.reply(res, body); !r.OK() || r.Get("meetingID") != "room1" {
		t.Fatalf("getMeetingInfo: %s %q", r.MessageKey, r.Get("meetingID"))
	}
	reqs := f.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d backend requests", len(reqs))
	}
	q, cs := bbb.SplitChecksum(reqs[0].RawQuery)
	if q != "meetingID=uni-a~room1" || cs == "" {
		t.Errorf("forwarded %q (checksum %q), want exactly meetingID=uni-a~room1", q, cs)
	}
}

// TestHostileNumbersAndIDs: numbers no Java int holds, and other hostile
// input, get a BBB answer, never a panic or a dropped connection.
func TestHostileNumbersAndIDs(t *testing.T) {
	c := newCluster(t, 2)
	for _, tt := range []struct {
		call string
		v    url.Values
		key  string
	}{
		// Paging numbers no Java int holds are no numbers to bbb-web.
		{"getRecordings", url.Values{"offset": {"9223372036854775807"}}, "noRecordings"},
		{"getRecordings", url.Values{"offset": {"9223372036854775807"}, "limit": {"100"}}, "noRecordings"},
		{"getRecordings", url.Values{"offset": {"2147483647"}, "limit": {"9223372036854775807"}}, "noRecordings"},
		{"getRecordings", url.Values{"offset": {"-9223372036854775808"}, "limit": {"-1"}}, "noRecordings"},
		{"getRecordings", url.Values{"offset": {"99999999999999999999999"}, "limit": {"5"}}, "noRecordings"},
		{"getMeetingInfo", url.Values{"meetingID": {"\xff\xfe"}}, "validationError"},
		{"create", url.Values{"meetingID": {"a\xffb"}, "name": {"Room"}}, "validationError"},
		{"getMeetingInfo", url.Values{"meetingID": {strings.Repeat("m", 100000)}}, "validationError"},
		{"create", url.Values{"meetingID": {strings.Repeat("m", 257)}, "name": {"Room"}}, "validationError"},
	} {
		r := c.call(tt.call, tt.v)
		if r.MessageKey != tt.key {
			t.Errorf("%s %.60v: %s/%s, want %s", tt.call, tt.v, r.ReturnCode, r.MessageKey, tt.key)
		}
	}
	if n := len(c.store.Meetings()); n != 0 {
		t.Errorf("refused creates left %d meetings in the store", n)
	}
}
