package bbbfake

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestHooks(t *testing.T) {
	for _, fl := range []struct {
		name    string
		flavour HooksFlavour
		ids     func(t *testing.T, ids ...string)
	}{
		{"2.6", Webhooks26, func(t *testing.T, ids ...string) {
			equal(t, "2.6 hook IDs", ids, []string{"1", "2", "3"})
		}},
		{"3.x", Webhooks3, func(t *testing.T, ids ...string) {
			for _, id := range ids {
				if !uuidV4.MatchString(id) {
					t.Fatalf("3.x hook ID %q is not a UUID v4", id)
				}
			}
		}},
	} {
		t.Run(fl.name, func(t *testing.T) {
			s := startTest(t)
			s.SetHooksFlavour(fl.flavour)
			expect(t, hcall(t, s, bbb.CallHooksCreate, ""), bbb.Failed, "missingParamCallbackURL")

			r, body := hcallBody(t, s, bbb.CallHooksCreate, q("callbackURL", "https://a/hook?x=1&y=]]>", "getRaw", "TRUE"))
			expect(t, r, bbb.Success, "")
			equal(t, "create elements", children(t, body, "response"), []string{"returncode", "hookID", "permanentHook", "rawData"})
			id1 := r.Get("hookID")
			if r.Get("rawData") != "true" || r.Get("permanentHook") != "false" {
				t.Fatalf("hooks/create %s", body)
			}
			r = hcall(t, s, bbb.CallHooksCreate, q("callbackURL", "https://a/hook?x=1&y=]]>", "meetingID", "other"))
			expect(t, r, bbb.Success, "duplicateWarning")
			if r.Get("hookID") != id1 || r.Message != "There is already a hook for this callback URL." {
				t.Fatalf("duplicate %+v", r)
			}
			id2 := hcall(t, s, bbb.CallHooksCreate, q("callbackURL", "https://b/hook", "meetingID", "room", "eventID", "Meeting-Created,user-joined")).Get("hookID")
			id3 := hcall(t, s, bbb.CallHooksCreate, q("callbackURL", "https://c/hook", "meetingID", "other")).Get("hookID")
			fl.ids(t, id1, id2, id3)

			_, body = hcallBody(t, s, bbb.CallHooksList, "")
			equal(t, "callbackURLs", texts(t, body, "callbackURL"), []string{"https://a/hook?x=1&y=]]>", "https://b/hook", "https://c/hook"})
			if !strings.Contains(string(body), "<callbackURL><![CDATA[https://b/hook]]></callbackURL><meetingID><![CDATA[room]]></meetingID><eventID>meeting-created,user-joined</eventID>") {
				t.Fatalf("hook 2 not in bbb-webhooks' form: %s", body)
			}
			equal(t, "hook elements", children(t, body, "hook"), []string{"hookID", "callbackURL", "permanentHook", "rawData"})
			_, body = hcallBody(t, s, bbb.CallHooksList, q("meetingID", "room"))
			equal(t, "filtered hookIDs", texts(t, body, "hookID"), []string{id1, id2})

			expect(t, hcall(t, s, bbb.CallHooksDestroy, ""), bbb.Failed, "missingParamHookID")
			expect(t, hcall(t, s, bbb.CallHooksDestroy, "hookID=9"), bbb.Failed, "destroyMissingHook")
			r = hcall(t, s, bbb.CallHooksDestroy, "hookID="+id2)
			if r.ReturnCode != bbb.Success || r.Get("removed") != "true" {
				t.Fatalf("destroy %+v", r)
			}
			hooks := s.Hooks()
			if len(hooks) != 2 || hooks[0].ID != id1 || !hooks[0].RawData || hooks[1].MeetingID != "other" {
				t.Fatalf("Hooks %+v", hooks)
			}

			// bbb-webhooks' own checksum error text.
			res, body := do(t, "GET", s.URL()+"/hooks/list?checksum=0000000000000000000000000000000000000000", "", nil)
			r = parse(t, res, body)
			if r.MessageKey != "checksumError" || r.Message != "You did not pass the checksum security check." {
				t.Fatalf("checksum error %s", body)
			}
		})
	}
}

// TestHooks26SHA1Only checks that bbb-webhooks 2.6 refuses what is not
// SHA-1, whatever BBB itself accepts, and 3.x takes any by length.
func TestHooks26SHA1Only(t *testing.T) {
	s := startTest(t)
	sha256URL := s.URL() + "/" + bbb.CallHooksList + "?" + bbb.Sign(bbb.SHA256, bbb.CallHooksList, "", s.Secret())
	sha1URL := s.URL() + "/" + bbb.CallHooksList + "?" + bbb.Sign(bbb.SHA1, bbb.CallHooksList, "", s.Secret())
	expect(t, mustDo(t, sha256URL), bbb.Success, "")
	s.SetHooksFlavour(Webhooks26)
	expect(t, mustDo(t, sha256URL), bbb.Failed, "checksumError")
	expect(t, mustDo(t, sha1URL), bbb.Success, "")
}

// hcall and hcallBody sign with SHA-1, which every flavour accepts.
func hcall(t *testing.T, s *Server, name, query string) *bbb.Reply {
	t.Helper()
	r, _ := hcallBody(t, s, name, query)
	return r
}

func hcallBody(t *testing.T, s *Server, name, query string) (*bbb.Reply, []byte) {
	t.Helper()
	res, body := do(t, "GET", s.URL()+"/"+name+"?"+bbb.Sign(bbb.SHA1, name, query, s.Secret()), "", nil)
	return parse(t, res, body), body
}

func mustDo(t *testing.T, u string) *bbb.Reply {
	t.Helper()
	res, body := do(t, "GET", u, "", nil)
	return parse(t, res, body)
}

// received is what a receiver got.
type received struct {
	query  url.Values
	url    string
	body   string
	header http.Header
}

func receiver(t *testing.T, status int) (*httptest.Server, func() []received) {
	var mu sync.Mutex
	var got []received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, received{r.URL.Query(), "http://" + r.Host + r.URL.RequestURI(), string(b), r.Header.Clone()})
		mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []received {
		mu.Lock()
		defer mu.Unlock()
		return append([]received(nil), got...)
	}
}

func waitN(t *testing.T, n int, got func() []received) []received {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(got()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries, want %d", len(got()), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return got()
}

// TestHookEvents checks the events, their bodies and checksums in each
// flavour, the meetingID and eventID filters, and auth2_0.
func TestHookEvents(t *testing.T) {
	for _, tc := range []struct {
		name    string
		flavour HooksFlavour
		auth2   bool
	}{
		{"3.x", Webhooks3, false},
		{"2.6", Webhooks26, false},
		{"auth2_0", Webhooks3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startTest(t)
			s.SetHooksFlavour(tc.flavour)
			s.SetHooksAuth2(tc.auth2)
			all, gotAll := receiver(t, 200)
			room, gotRoom := receiver(t, 200)
			joins, gotJoins := receiver(t, 200)
			hcall(t, s, bbb.CallHooksCreate, q("callbackURL", all.URL+"/all"))
			hcall(t, s, bbb.CallHooksCreate, q("callbackURL", room.URL+"/room?a=1", "meetingID", "room"))
			hcall(t, s, bbb.CallHooksCreate, q("callbackURL", joins.URL+"/joins", "eventID", "USER-JOINED"))

			create(t, s, "meetingID", "room", "name", "Room <&> \"1\"")
			create(t, s, "meetingID", "elsewhere", "name", "Elsewhere")
			s.AddAttendee("room", "Ada", "MODERATOR")
			s.EndMeeting("room")
			s.WaitHooks()

			evs := func(rs []received) []string {
				var ids []string
				for _, r := range rs {
					form, err := url.ParseQuery(r.body)
					if err != nil {
						t.Fatal(err)
					}
					var list []struct {
						Data struct {
							ID         string `json:"id"`
							Attributes struct {
								Meeting map[string]any `json:"meeting"`
							} `json:"attributes"`
						} `json:"data"`
					}
					if err := json.Unmarshal([]byte(form.Get("event")), &list); err != nil || len(list) != 1 {
						t.Fatalf("event %q: %v", form.Get("event"), err)
					}
					ids = append(ids, list[0].Data.ID+":"+list[0].Data.Attributes.Meeting["external-meeting-id"].(string))
					checkDelivery(t, s, tc.flavour, tc.auth2, r, form)
				}
				slices.Sort(ids) // bbb-webhooks 3.x sends each event on its own, concurrently
				return ids
			}
			equal(t, "global hook", evs(waitN(t, 4, gotAll)), []string{"meeting-created:elsewhere", "meeting-created:room", "meeting-ended:room", "user-joined:room"})
			equal(t, "meeting hook", evs(waitN(t, 3, gotRoom)), []string{"meeting-created:room", "meeting-ended:room", "user-joined:room"})
			equal(t, "eventID hook", evs(waitN(t, 1, gotJoins)), []string{"user-joined:room"})
		})
	}
}

// checkDelivery checks one delivery's order of fields and its signature.
func checkDelivery(t *testing.T, s *Server, fl HooksFlavour, auth2 bool, r received, form url.Values) {
	t.Helper()
	first := strings.SplitN(r.body, "=", 2)[0]
	if want := map[HooksFlavour]string{Webhooks3: "domain", Webhooks26: "event"}[fl]; first != want {
		t.Fatalf("body starts with %q, want %q: %s", first, want, r.body)
	}
	if auth2 {
		if r.header.Get("Authorization") != "Bearer "+s.Secret() || r.query.Has("checksum") {
			t.Fatalf("auth2_0 delivery: %v %s", r.header, r.url)
		}
		return
	}
	cb, _, _ := strings.Cut(r.url, "checksum=")
	cb = strings.TrimRight(cb, "?&")
	signed := r.body
	if fl == Webhooks26 {
		signed = `{"event":` + jsString(form.Get("event")) + `,"timestamp":` + form.Get("timestamp") + `,"domain":` + jsString(form.Get("domain")) + `}`
	}
	sum := sha1.Sum([]byte(cb + signed + s.Secret()))
	if got := r.query.Get("checksum"); got != hex.EncodeToString(sum[:]) {
		t.Fatalf("checksum %s, want sha1(%s + body + secret)", got, cb)
	}
}

// TestHookRetriesThenRemoved checks bbb-webhooks' retries: a receiver
// that keeps failing loses its hook; 401 counts as delivered.
func TestHookRetriesThenRemoved(t *testing.T) {
	s := startTest(t)
	s.SetHookRetries(time.Millisecond, time.Millisecond)
	bad, gotBad := receiver(t, 500)
	denied, gotDenied := receiver(t, 401)
	hcall(t, s, bbb.CallHooksCreate, q("callbackURL", bad.URL))
	hcall(t, s, bbb.CallHooksCreate, q("callbackURL", denied.URL))
	create(t, s, "meetingID", "room", "name", "Room")
	s.WaitHooks()
	if n := len(gotBad()); n != 3 {
		t.Fatalf("failing receiver got %d attempts, want 3", n)
	}
	if n := len(gotDenied()); n != 1 {
		t.Fatalf("401 receiver got %d attempts, want 1", n)
	}
	if hs := s.Hooks(); len(hs) != 1 || hs[0].CallbackURL != denied.URL {
		t.Fatalf("hooks after retries: %+v", hs)
	}
}

func TestJSStringify(t *testing.T) {
	for in, want := range map[string]string{
		`a"b\c`:     `"a\"b\\c"`,
		"<&>\u2028": "\"<&>\u2028\"",
		"\n\x01":    `"\n\u0001"`,
	} {
		if got := jsString(in); got != want {
			t.Errorf("jsString(%q) = %s, want %s", in, got, want)
		}
	}
	if got := formURLSearchParams("a b*~'()"); got != "a+b*%7E%27%28%29" {
		t.Errorf("URLSearchParams encoding %s", got)
	}
	if got := formRFC3986("a b*~"); got != "a%20b%2A~" {
		t.Errorf("RFC 3986 encoding %s", got)
	}
}
