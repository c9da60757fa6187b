package gateway_test

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode"

	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/gateway"
	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
)

// servletParams reads a query as a Java servlet and bbb-web do, written
// here independently of the product's parser: Tomcat splits at '&' and
// percent-decodes names and values ('+' a space, malformed UTF-8 as
// U+FFFD), skipping pairs that do not decode or have no name; BBB strips
// \p{Cc} from names and values; getParameter is the first value.
func servletParams(raw string) map[string]string {
	first := map[string]string{}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		name, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		name, value = javaString(name), javaString(value)
		if _, seen := first[name]; !seen && name != "" {
			first[name] = value
		}
	}
	return first
}

func javaString(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// javaStrip is StringUtils.strip: Character.isWhitespace at both ends.
func javaStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		if r == 0xa0 || r == 0x2007 || r == 0x202f {
			return false
		}
		return strings.ContainsRune("\t\n\v\f\r\x1c\x1d\x1e\x1f", r) || unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
	})
}

// decodeIDs is ParamsProcessorUtil.decodeIds: decoded once more, split.
func decodeIDs(v string) []string {
	d, err := url.QueryUnescape(v)
	if err != nil {
		return nil
	}
	return strings.Split(d, ",")
}

var fuzzCalls = []string{"create", "getMeetingInfo", "isMeetingRunning", "end", "join", "sendChatMessage", "publishRecordings", "getRecordings"}

// FuzzRouting is the differential test of the request model: for any
// query a client of tenant uni-a or of the default tenant sends, every
// meetingID a backend reads (by an independent servlet-style parser of
// the query tinyscale forwarded, or of a join's redirect) is a meeting
// the state places, for the calling tenant, on exactly that backend; and
// every recordID a backend reads is one of the caller's recordings.
func FuzzRouting(f *testing.F) {
	for _, seed := range []struct {
		call  uint8
		named bool
		query string
	}{
		{0, false, "meetingID=room&name=Room"},
		{0, true, "meeting%49D=uni-b~room&meetingID=x&name=Room"},
		{0, false, "meetingID=%20uni-b~room%09&name=Room"},
		{0, true, "meetingID=a%00b&name=Room"},
		{1, true, "meeting%49D=uni-b~room"},
		{1, false, "meetingID=uni-b~room%0A"},
		{4, true, "meetingID=x&fullName=E&role=MODERATOR&redirect=false"},
		{4, false, "meeting%49D=%E2%80%83room&fullName=E"},
		{6, true, "recordID=rec-b&publish=false"},
		{6, true, "recordID=rec-a%252Crec-b&publish=false"},
		{6, true, "record%49D=rec-b&publish=false"},
		{7, true, "meetingID=uni-b~room%2Cx"},
		{7, false, "meetingID=uni-b%257Eroom"},
	} {
		f.Add(seed.call, seed.named, seed.query)
	}
	f.Fuzz(func(t *testing.T, callIdx uint8, named bool, query string) {
		call := fuzzCalls[int(callIdx)%len(fuzzCalls)]
		c, reg, recOwner := routingCluster(t)
		who, prefix, secret := tenant.DefaultName, "", testSecret
		if named {
			who, prefix, secret = "uni-a", "/t/uni-a", "uni-a-secret-1"
		}
		bbbID := func(m state.Meeting) string {
			id, _ := reg.Get(m.Tenant).Scope(m.MeetingID)
			return id
		}
		before := map[string]string{} // BBB meeting ID → server
		for _, m := range c.store.Meetings() {
			before[bbbID(m)] = m.ServerID
		}
		for _, fk := range c.fakes {
			fk.ResetRequests()
		}
		query = sendable(query)
		res, _ := c.rawGet(prefix, secret, call, query)
		after := map[string]string{}
		for _, m := range c.store.Meetings() {
			after[bbbID(m)] = m.ServerID
		}
		// What reached a backend: the fakes' requests, and a join's redirect.
		type read struct {
			server string
			call   string
			params map[string]string
		}
		var reads []read
		for _, fk := range c.fakes {
			for _, r := range fk.Requests() {
				reads = append(reads, read{fk.Addr(), r.Call, servletParams(r.RawQuery + "&" + string(formBody(r)))})
			}
		}
		if loc := res.Header.Get("Location"); res.StatusCode == http.StatusFound && call == "join" {
			if u, err := url.Parse(loc); err == nil && !u.Query().Has("errors") {
				reads = append(reads, read{u.Host, "join", servletParams(u.RawQuery)})
			}
		}
		for _, r := range reads {
			switch r.call {
			case "create", "getMeetingInfo", "isMeetingRunning", "end", "join", "sendChatMessage":
				id := r.params["meetingID"]
				if r.call != "sendChatMessage" {
					id = javaStrip(id)
				}
				owner, _ := reg.OwnerOf(id)
				if owner.Name != who {
					t.Fatalf("%s?%q from %s: the backend read meetingID %q, %s's", call, query, who, id, owner.Name)
				}
				placed := before
				if r.call == "create" {
					placed = after
				}
				if srv, ok := placed[id]; r.call != "create" && (!ok || srv != r.server) {
					t.Fatalf("%s?%q: the backend %s read meetingID %q, which the state placed on %q", call, query, r.server, id, srv)
				}
			case "publishRecordings":
				for _, id := range decodeIDs(r.params["recordID"]) {
					if o, ok := recOwner[id]; ok && o != who {
						t.Fatalf("%s?%q from %s: the backend read recordID %q, %s's", call, query, who, id, o)
					}
				}
			case "getRecordings":
				if call != "getRecordings" {
					continue // tinyscale's own ownership probe
				}
				for _, id := range decodeIDs(r.params["meetingID"]) {
					if owner, _ := reg.OwnerOf(id); id != "" && owner.Name != who {
						t.Fatalf("getRecordings?%q from %s: the backend read meetingID %q, %s's", query, who, id, owner.Name)
					}
				}
			}
		}
		// One meeting, one server: no ID runs on two, and none on another
		// server than the state places it.
		on := map[string]string{}
		for _, fk := range c.fakes {
			for _, m := range fk.Meetings() {
				if prev, dup := on[m.MeetingID]; dup {
					t.Fatalf("%s?%q: meeting %q runs on %s and %s", call, query, m.MeetingID, prev, fk.Addr())
				}
				on[m.MeetingID] = fk.Addr()
				if srv, ok := after[m.MeetingID]; ok && srv != fk.Addr() {
					t.Fatalf("%s?%q: meeting %q runs on %s, placed on %s", call, query, m.MeetingID, fk.Addr(), srv)
				}
			}
		}
	})
}

// routingCluster is two fake servers behind a gateway with tenants uni-a
// and uni-b; each tenant and the default tenant has a meeting "room", and
// each meeting a recording rec-<tenant>. recOwner maps recording to tenant.
func routingCluster(t *testing.T) (*cluster, *tenant.Registry, map[string]string) {
	uniB := tenant.Tenant{Name: "uni-b", Secrets: []string{"uni-b-secret"}}
	c := newFuzzCluster(t, 2)
	reg, err := tenant.NewRegistry(tenant.Tenant{Secrets: []string{testSecret}}, []tenant.Tenant{uniA, uniB})
	if err != nil {
		t.Fatal(err)
	}
	c.reconfigure(func(cfg *gateway.Config) { cfg.Tenants = reg })
	for _, cl := range []client{{c: c, secret: "uni-b-secret", prefix: "/t/uni-b"}, {c: c, secret: "uni-a-secret-1", prefix: "/t/uni-a"}, {c: c, secret: testSecret}} {
		if r := cl.call("create", url.Values{"meetingID": {"room"}, "name": {"Room"}}); !r.OK() {
			t.Fatalf("create: %s", r.MessageKey)
		}
	}
	recOwner := map[string]string{}
	for _, fk := range c.fakes {
		for _, m := range fk.Meetings() {
			owner, _ := reg.OwnerOf(m.MeetingID)
			id := "rec-" + strings.TrimPrefix(owner.Name, "uni-")
			fk.AddRecording(bbbfake.Recording{RecordID: id, MeetingID: m.MeetingID, Name: "R", Published: true})
			recOwner[id] = owner.Name
		}
	}
	return c, reg, recOwner
}

// sendable escapes the bytes an HTTP request line cannot carry, so that
// any fuzzed query can be sent; what it then means is the fuzzer's.
func sendable(q string) string {
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		if c := q[i]; c <= ' ' || c >= 0x7f || c == '#' {
			b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// formBody is the body of a form POST a backend got, "" otherwise.
func formBody(r bbbfake.Request) []byte {
	if strings.HasPrefix(r.ContentType, "application/x-www-form-urlencoded") {
		return r.Body
	}
	return nil
}
