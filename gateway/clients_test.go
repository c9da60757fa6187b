package gateway_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
)

// rfc3986 encodes as PHP's http_build_query with PHP_QUERY_RFC3986 does
// (Nextcloud): space as %20.
func rfc3986(pairs ...string) string {
	var parts []string
	for i := 0; i < len(pairs); i += 2 {
		parts = append(parts, url.PathEscape(pairs[i])+"="+strings.ReplaceAll(url.QueryEscape(pairs[i+1]), "+", "%20"))
	}
	return strings.Join(parts, "&")
}

// rfc1738 encodes as PHP's default http_build_query does (Moodle), keeping
// the caller's insertion order: space as '+', '[' as %5B.
func rfc1738(pairs ...string) string {
	var parts []string
	for i := 0; i < len(pairs); i += 2 {
		parts = append(parts, url.QueryEscape(pairs[i])+"="+url.QueryEscape(pairs[i+1]))
	}
	return strings.Join(parts, "&")
}

// TestIntegrationRequestShapes replays the requests Greenlight, Moodle and
// Nextcloud send (shared/bbb-api.md §8), each with its encoding, order and
// algorithm, through a whole meeting's life.
func TestIntegrationRequestShapes(t *testing.T) {
	modules := `<?xml version="1.0" encoding="UTF-8"?><modules><module name='presentation'><document url='https://lms.example/slides.pdf' /></module></modules>`
	type step struct {
		call, method, contentType, body string
		alg                             bbb.Algorithm
		raw                             string
		want                            string // messageKey, or "302"
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"Greenlight", []step{
			{call: "isMeetingRunning", alg: bbb.SHA1, raw: "meetingID=0", want: ""},
			{call: "create", alg: bbb.SHA1, raw: "guestPolicy=ALWAYS_ACCEPT&meetingID=gl-room-1&meta_bbb-origin=greenlight&meta_endCallbackUrl=https%3A%2F%2Fgl.example%2Fmeeting_ended&meta_server-tag=&name=Team+Room&record=true", want: ""},
			{call: "create", method: "POST", contentType: "application/xml", body: modules, alg: bbb.SHA1, raw: "meetingID=gl-room-1&name=Team+Room", want: "duplicateWarning"},
			{call: "join", alg: bbb.SHA1, raw: "fullName=Ada+Lovelace&meetingID=gl-room-1&password=&role=Moderator&userID=1", want: "302"},
			{call: "getMeetingInfo", alg: bbb.SHA1, raw: "meetingID=gl-room-1", want: ""},
			{call: "getRecordings", alg: bbb.SHA1, raw: "meetingID=gl-room-1%2Cgl-room-2", want: "noRecordings"},
			{call: "end", alg: bbb.SHA1, raw: "meetingID=gl-room-1", want: "sentEndMeetingRequest"},
		}},
		{"Moodle", []step{
			{call: "getMeetingInfo", alg: bbb.SHA256, raw: rfc1738("meetingID", "5b8a-2-7[0]"), want: "notFound"},
			{call: "create", method: "POST", contentType: "text/xml", body: modules, alg: bbb.SHA256,
				raw: rfc1738("meetingID", "5b8a-2-7[0]", "name", "Lecture: Ünïcode & more", "attendeePW", "ap", "moderatorPW", "mp",
					"logoutURL", "https://moodle.example/mod/bigbluebuttonbn/bbb_view.php?action=logout&id=7", "record", "true",
					"voiceBridge", "71234", "meta_bbb-origin", "Moodle", "meta_bbb-meeting-size-hint", "30"), want: ""},
			{call: "join", alg: bbb.SHA512, raw: rfc1738("meetingID", "5b8a-2-7[0]", "fullName", "Zoë O'Brien", "password", "mp",
				"logoutURL", "https://moodle.example/x", "role", "MODERATOR", "userID", "42", "guest", "false", "userdata-bbb_override_default_locale", "fr"), want: "302"},
			{call: "getMeetingInfo", alg: bbb.SHA256, raw: rfc1738("meetingID", "5b8a-2-7[0]"), want: ""},
			{call: "end", alg: bbb.SHA256, raw: rfc1738("meetingID", "5b8a-2-7[0]", "password", "mp"), want: "sentEndMeetingRequest"},
		}},
		{"Nextcloud", []step{
			{call: "isMeetingRunning", alg: bbb.SHA1, raw: "meetingID=foobar", want: ""},
			{call: "create", alg: bbb.SHA1, raw: rfc3986("meetingID", "nc room uid", "name", "Ünïcode Room (test)", "attendeePW", "a", "moderatorPW", "m",
				"record", "false", "meta_bbb-origin", "Nextcloud", "meetingKeepEvents", "true"), want: ""},
			{call: "insertDocument", method: "POST", contentType: "application/xml", body: modules, alg: bbb.SHA1, raw: rfc3986("meetingID", "nc room uid"), want: "documentInserted"},
			{call: "join", alg: bbb.SHA1, raw: rfc3986("meetingID", "nc room uid", "fullName", "Jürgen Müller", "password", "m", "joinViaHtml5", "true",
				"redirect", "true", "userdata-bbb_custom_style", strings.Repeat(".x{color:red} ", 200)), want: "302"},
			{call: "getRecordings", alg: bbb.SHA1, raw: rfc3986("meetingID", "nc room uid", "state", "processing,processed,published,unpublished"), want: "noRecordings"},
			{call: "end", alg: bbb.SHA1, raw: rfc3986("meetingID", "nc room uid", "password", "m"), want: "sentEndMeetingRequest"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, 2)
			for _, s := range tc.steps {
				method := s.method
				if method == "" {
					method = "GET"
				}
				res, body := c.do(method, signedRaw(s.alg, s.call, s.raw), s.contentType, s.body)
				if s.want == "302" {
					if res.StatusCode != http.StatusFound {
						t.Fatalf("%s: HTTP %d, want 302: %s", s.call, res.StatusCode, body)
					}
					loc, _ := url.Parse(res.Header.Get("Location"))
					// The backend reads every parameter as the client sent it:
					// the query is re-encoded canonically, nothing changed.
					q, err := bbb.Verify("join", loc.RawQuery, bbb.AllAlgorithms, secretOf(c, loc.Host))
					got, _ := bbb.ParseParams(q)
					want, _ := bbb.ParseParams(s.raw)
					if err != nil || !slices.Equal(got, want) {
						t.Fatalf("%s: redirect changed the parameters (%v):\n got %s\nwant %s", s.call, err, q, s.raw)
					}
					continue
				}
				r := c.reply(res, body)
				if r.MessageKey != s.want || r.ReturnCode == bbb.Failed && s.want == "" {
					t.Fatalf("%s: %s/%s (%s), want messageKey %q", s.call, r.ReturnCode, r.MessageKey, r.Message, s.want)
				}
			}
		})
	}
}

func secretOf(c *cluster, host string) string {
	for _, f := range c.fakes {
		if f.Addr() == host {
			return f.Secret()
		}
	}
	return ""
}

// TestFormPost covers create with every parameter in a form body, signed
// either way BBB generations did: over the empty query (3.0) or over the
// sorted, URLEncoder-encoded parameters (2.4–2.7).
func TestFormPost(t *testing.T) {
	c := newCluster(t, 1)
	form := url.Values{"meetingID": {"form-room"}, "name": {"Form Room *~"}}
	for _, tc := range []struct {
		name, checksum string
		key            string
	}{
		{"empty query", bbb.Checksum(bbb.SHA1, "create", "", testSecret), ""},
		{"sorted fallback", bbb.Checksum(bbb.SHA256, "create", bbb.FormQuery(form), testSecret), "duplicateWarning"},
		{"wrong", bbb.Checksum(bbb.SHA1, "create", "meetingID=x", testSecret), "checksumError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := url.Values{"checksum": {tc.checksum}}
			for k, v := range form {
				f[k] = v
			}
			r := c.reply(c.do("POST", "/bigbluebutton/api/create", "application/x-www-form-urlencoded", f.Encode()))
			if r.MessageKey != tc.key {
				t.Fatalf("%s/%s, want %q", r.ReturnCode, r.MessageKey, tc.key)
			}
		})
	}
	if !c.fakes[0].HasMeeting("form-room") {
		t.Fatal("form create did not reach the server")
	}
	for _, tc := range []struct{ contentType, key string }{
		{"", "unsupportedContentType"},
		{"application/json", "unsupportedContentType"},
	} {
		r := c.reply(c.do("POST", signed("create", url.Values{"meetingID": {"ct"}, "name": {"CT"}}), tc.contentType, "{}"))
		wantKey(t, r, bbb.Failed, tc.key)
	}
}

func TestBadInput(t *testing.T) {
	c := newCluster(t, 1)
	r := c.reply(c.get(signedRaw(bbb.SHA1, "create", "meetingID=bad%zz&name=x")))
	wantKey(t, r, bbb.Failed, "validationError")
	res, body := c.do("POST", signed("create", url.Values{"meetingID": {"big"}, "name": {"Big"}}), "application/xml", strings.Repeat("x", 2<<20))
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "<messageKey>requestTooLarge</messageKey>") {
		t.Fatalf("oversized body: %d %s", res.StatusCode, body)
	}
	if c.fakes[0].CountCalls("create") != 0 {
		t.Fatal("an oversized body reached the backend")
	}
}
