package hooks

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/state"
)

func hexsum(h []byte) string { return hex.EncodeToString(h) }

// TestVerifyDelivery checks the checksum of each bbb-webhooks version,
// and that a change to any part fails.
func TestVerifyDelivery(t *testing.T) {
	const cb, secret = "http://lb.example/tinyscale/hooks/bbb1/tag", "server-secret"
	event, ts, domain := `[{"data":{"id":"meeting-created"}}]`, "1696511528509", "bbb1.example"
	body := "domain=" + formValue(domain) + "&event=" + formValue(event) + "&timestamp=" + ts
	json26 := `{"event":` + jsString(event) + `,"timestamp":` + ts + `,"domain":` + jsString(domain) + `}`
	s1 := func(in string) string { h := sha1.Sum([]byte(in)); return hexsum(h[:]) }
	s256 := func(in string) string { h := sha256.Sum256([]byte(in)); return hexsum(h[:]) }
	for _, tc := range []struct {
		name, cs, body, event, secret string
		ok                            bool
	}{
		{"3.4+ body, SHA-1", s1(cb + body + secret), body, event, secret, true},
		{"3.4+ body, SHA-256", s256(cb + body + secret), body, event, secret, true},
		{"upper-case hex", strings.ToUpper(s1(cb + body + secret)), body, event, secret, true},
		{"3.0-3.3 empty object", s1(cb + "{}" + secret), body, event, secret, true},
		{"2.6 JSON", s1(cb + json26 + secret), body, event, secret, true},
		{"wrong secret", s1(cb + body + "other"), body, event, secret, false},
		{"body changed", s1(cb + body + secret), body + "x", event + "x", secret, false},
		{"other URL", s1(cb + "x" + body + secret), body, event, secret, false},
		{"bad length", s1(cb + body + secret)[:39], body, event, secret, false},
		{"not hex", strings.Repeat("z", 40), body, event, secret, false},
		{"empty", "", body, event, secret, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := verifyDelivery(tc.cs, cb, []byte(tc.body), tc.event, ts, domain, tc.secret); got != tc.ok {
				t.Fatalf("verifyDelivery = %v, want %v", got, tc.ok)
			}
		})
	}
}

func TestSignedURL(t *testing.T) {
	body := []byte("domain=d&event=%5B%5D&timestamp=1")
	for cb, sep := range map[string]string{"https://lms/hook": "?", "https://lms/hook?token=x": "&"} {
		u := signedURL(cb, body, "s")
		sum := sha1.Sum([]byte(cb + string(body) + "s"))
		if u != cb+sep+"checksum="+hexsum(sum[:]) {
			t.Errorf("signedURL(%s) = %s", cb, u)
		}
	}
}

func TestDeliveryBody(t *testing.T) {
	got := string(deliveryBody("lb.example", []byte(`{"a":"b c*~"}`), 42))
	if got != "domain=lb.example&event=%5B%7B%22a%22%3A%22b+c*%7E%22%7D%5D&timestamp=42" {
		t.Fatalf("body %s", got)
	}
	form, _ := url.ParseQuery(got)
	if form.Get("event") != `[{"a":"b c*~"}]` {
		t.Fatalf("event decodes to %s", form.Get("event"))
	}
}

// TestTranslate checks that every string value equal to the scoped ID is
// shown as the tenant's, keys and other strings untouched.
func TestTranslate(t *testing.T) {
	raw := `{"data":{"id":"rap-publish-ended","attributes":{"meeting":{"internal-meeting-id":"abc-1","external-meeting-id":"uni-a~room"},` +
		`"recording":{"name":"uni-a~room2","metadata":{"meetingId":"uni-a~room","uni-a~room":"x"}}},"esc":"uni-a\u007eroom"}}`
	got := string(translate([]byte(raw), "uni-a~room", "room"))
	want := `{"data":{"id":"rap-publish-ended","attributes":{"meeting":{"internal-meeting-id":"abc-1","external-meeting-id":"room"},` +
		`"recording":{"name":"uni-a~room2","metadata":{"meetingId":"room","uni-a~room":"x"}}},"esc":"room"}}`
	if got != want {
		t.Fatalf("translate:\n got %s\nwant %s", got, want)
	}
	if !json.Valid([]byte(got)) {
		t.Fatal("not JSON")
	}
	if string(translate([]byte(raw), "m", "m")) != raw {
		t.Fatal("an unscoped ID changed the event")
	}
}

func FuzzTranslate(f *testing.F) {
	f.Add(`[{"data":{"attributes":{"meeting":{"external-meeting-id":"t~m"}}}}]`, "t~m", `a"b`)
	f.Add(`{"x":"t~m\"","y":["t~m",1,{"t~m":"t~m"}]}`, "t~m", "")
	f.Fuzz(func(t *testing.T, doc, from, to string) {
		if !json.Valid([]byte(doc)) {
			return
		}
		out := replaceJSONStrings([]byte(doc), from, to)
		if !json.Valid(out) {
			t.Fatalf("replacing %q by %q in %s gave invalid JSON %s", from, to, doc, out)
		}
	})
}

func TestTakes(t *testing.T) {
	global := state.Hook{Tenant: "a"}
	room := state.Hook{Tenant: "a", MeetingID: "room"}
	joins := state.Hook{Tenant: "a", EventIDs: []string{"user-joined"}}
	raw := state.Hook{Tenant: "a", Raw: true}
	for _, tc := range []struct {
		name              string
		h                 state.Hook
		tenant, local, id string
		raw               bool
		want              bool
	}{
		{"global", global, "a", "room", "meeting-created", false, true},
		{"other tenant", global, "b", "room", "meeting-created", false, false},
		{"meeting hook, its meeting", room, "a", "room", "user-left", false, true},
		{"meeting hook, another meeting", room, "a", "other", "user-left", false, false},
		{"meeting hook, no meeting", room, "a", "", "x", false, false},
		{"event list, named (case)", joins, "a", "room", "User-Joined", false, true},
		{"event list, not named", joins, "a", "room", "user-left", false, false},
		{"event list, no id", joins, "a", "room", "", false, false},
		{"raw hooks get no mapped events", raw, "a", "room", "meeting-created", false, false},
		{"raw hooks get raw messages", raw, "a", "room", "", true, true},
		{"mapped hooks get no raw messages", global, "a", "room", "", true, false},
		{"raw hook with an eventID list gets none", state.Hook{Tenant: "a", Raw: true, EventIDs: []string{"x"}}, "a", "room", "", true, false},
		{"raw hook of another tenant", raw, "b", "room", "", true, false},
	} {
		if got := takes(tc.h, tc.tenant, tc.local, tc.id, tc.raw); got != tc.want {
			t.Errorf("%s: takes = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestListXML(t *testing.T) {
	got := string(listXML([]state.Hook{{ID: "1", CallbackURL: "https://a/?x=]]>"}, {ID: "2", CallbackURL: "https://b", MeetingID: "m", EventIDs: []string{"a", "b<"}, Raw: true}}))
	want := "<response><returncode>SUCCESS</returncode><hooks>" +
		"<hook><hookID>1</hookID><callbackURL><![CDATA[https://a/?x=]]]]><![CDATA[>]]></callbackURL><permanentHook>false</permanentHook><rawData>false</rawData></hook>" +
		"<hook><hookID>2</hookID><callbackURL><![CDATA[https://b]]></callbackURL><meetingID><![CDATA[m]]></meetingID><eventID>a,b&lt;</eventID><permanentHook>false</permanentHook><rawData>true</rawData></hook>" +
		"</hooks></response>"
	if got != want {
		t.Fatalf("list:\n got %s\nwant %s", got, want)
	}
}
