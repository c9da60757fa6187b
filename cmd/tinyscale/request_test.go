package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
)

// answer is what a client made of one tinyscale answer: a BBB reply, or
// for a join the reply its redirect carries (errors= on a failure, the
// server it sends the browser to on success).
type answer struct {
	status   int
	location string
	reply    *bbb.Reply
}

// rawCall sends query exactly as written, signed with secret.
func rawCall(t *testing.T, base, call, query, secret string) answer {
	t.Helper()
	status, loc, body := get(t, base+"/"+call+"?"+bbb.Sign(bbb.SHA256, call, query, secret))
	a := answer{status: status, location: loc}
	if status == http.StatusFound {
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatalf("%s: Location %q: %v", call, loc, err)
		}
		var errs []struct{ Key, Message string }
		if js := u.Query().Get("errors"); js != "" && json.Unmarshal([]byte(js), &errs) == nil && len(errs) == 1 {
			a.reply = &bbb.Reply{ReturnCode: bbb.Failed, MessageKey: errs[0].Key, Message: errs[0].Message}
		}
		return a
	}
	r, err := bbb.ParseReply([]byte(body), nil)
	if err != nil {
		t.Fatalf("%s?%s: not BBB XML (HTTP %d): %v: %s", call, query, status, err, body)
	}
	a.reply = r
	return a
}

// TestRequestsReadAsBBBReadsThem runs the binary with two tenants on two
// fake servers and sends, as hostile clients, requests that BBB's servlet
// reads differently from a naive parser. None reaches another tenant's
// meeting or recording, none reaches a backend at all when it is
// ambiguous, and what a backend reads is what tinyscale routed by.
func TestRequestsReadAsBBBReadsThem(t *testing.T) {
	f1, f2 := fake(t, "secret-1"), fake(t, "secret-2")
	fakes := []*bbbfake.Server{f1, f2}
	dir := writeServers(t, entry(f1), entry(f2))
	writeTenants(t, dir, `[{"name": "uni-a", "secrets": ["uni-a-secret-0123"]}, {"name": "uni-b", "secrets": ["uni-b-secret-0123"]}]`)
	_, root := serveTenants(t, dir)
	api := root + "/bigbluebutton/api"
	aAPI, bAPI := root+"/t/uni-a/bigbluebutton/api", root+"/t/uni-b/bigbluebutton/api"
	const aSecret, bSecret = "uni-a-secret-0123", "uni-b-secret-0123"

	for _, c := range []struct{ base, secret, id string }{{bAPI, bSecret, "room1"}, {aAPI, aSecret, "x"}, {api, clientSecret, "plain"}} {
		if r := rawCall(t, c.base, "create", "meetingID="+c.id+"&name=Room+"+c.id, c.secret).reply; !r.OK() {
			t.Fatalf("create %s: %s %s", c.id, r.MessageKey, r.Message)
		}
	}
	holder := func(bbbID string) *bbbfake.Server {
		for _, f := range fakes {
			if _, ok := f.Meeting(bbbID); ok {
				return f
			}
		}
		return nil
	}
	bHolder := holder("uni-b~room1")
	if bHolder == nil {
		t.Fatal("uni-b's meeting is on no server")
	}
	bHolder.AddRecording(bbbfake.Recording{RecordID: "rec-b", MeetingID: "uni-b~room1", Name: "B", Published: true})
	backendCalls := func() int {
		n := 0
		for _, f := range fakes {
			n += len(f.Requests())
		}
		return n
	}

	t.Run("ambiguous requests are refused before any backend", func(t *testing.T) {
		for _, tt := range []struct{ call, query string }{
			{"getMeetingInfo", "meeting%49D=uni-b~room1&meetingID=x"},
			{"getMeetingInfo", "meetingID=x&meeting%49D=uni-b~room1"},
			{"join", "meeting%49D=uni-b~room1&meetingID=x&fullName=Eve&role=MODERATOR"},
			{"end", "meeting%49D=uni-b~room1&meetingID=x"},
			{"isMeetingRunning", "meeting%49D=uni-b~room1&meetingID=x"},
			{"sendChatMessage", "meeting%49D=uni-b~room1&meetingID=x&message=hi"},
			{"deleteRecordings", "record%49D=rec-b&recordID=rec-a"},
			{"publishRecordings", "recordID=rec-a&record%49D=rec-b&publish=false"},
			{"getRecordings", "meetingID=x&meeting%49D=uni-b~room1"},
			{"join", "meetingID=x&fullName=Eve&role=VIEWER&%72ole=MODERATOR"},
		} {
			before := backendCalls()
			a := rawCall(t, aAPI, tt.call, tt.query, aSecret)
			if a.reply == nil || a.reply.MessageKey != "validationError" {
				t.Errorf("%s?%s: HTTP %d %q %+v, want validationError", tt.call, tt.query, a.status, a.location, a.reply)
			}
			if a.status == http.StatusFound && !strings.HasPrefix(a.location, root) {
				t.Errorf("%s?%s: redirected to %s, a server", tt.call, tt.query, a.location)
			}
			if n := backendCalls() - before; n != 0 {
				t.Errorf("%s?%s reached the servers %d times", tt.call, tt.query, n)
			}
		}
	})

	t.Run("one spelling is read as BBB reads it, inside the tenant", func(t *testing.T) {
		// meeting%49D alone is uni-a's own meetingID "uni-b~room1": unknown.
		for _, call := range []string{"getMeetingInfo", "end"} {
			if r := rawCall(t, aAPI, call, "meeting%49D=uni-b~room1", aSecret).reply; r.MessageKey != "notFound" {
				t.Errorf("%s of uni-b~room1 from uni-a: %s/%s, want notFound", call, r.ReturnCode, r.MessageKey)
			}
		}
		a := rawCall(t, aAPI, "join", "meeting%49D=uni-b~room1&fullName=Eve&role=MODERATOR", aSecret)
		if a.reply == nil || a.reply.MessageKey != "notFound" {
			t.Errorf("join of uni-b~room1 from uni-a: %d %s", a.status, a.location)
		}
		// And uni-a's own x, spelled oddly, is found: the backend read the
		// same ID tinyscale routed by.
		r := rawCall(t, aAPI, "getMeetingInfo", "meeting%49D=%20x%09&checks%75m=0", aSecret).reply
		if !r.OK() || r.Get("meetingID") != "x" {
			t.Errorf("uni-a's x spelled meeting%%49D=%%20x%%09: %s/%s %q", r.ReturnCode, r.MessageKey, r.Get("meetingID"))
		}
		if r := rawCall(t, aAPI, "deleteRecordings", "record%49D=rec-b", aSecret).reply; r.MessageKey != "notFound" {
			t.Errorf("deleteRecordings of uni-b's recording from uni-a: %s/%s", r.ReturnCode, r.MessageKey)
		}
		if r := rawCall(t, aAPI, "deleteRecordings", "recordID=rec-x%252Crec-b", aSecret).reply; r.MessageKey != "notFound" {
			t.Errorf("deleteRecordings of a list hiding uni-b's recording: %s/%s", r.ReturnCode, r.MessageKey)
		}
	})

	t.Run("the default tenant cannot reach a tenant's meeting", func(t *testing.T) {
		for _, q := range []string{"meetingID=%20uni-b~room1", "meetingID=uni-b~room1%00", "meetingID=uni-b%7Eroom1%0A", "meetingID=%E2%80%83uni-b~room1"} {
			for _, call := range []string{"getMeetingInfo", "end", "sendChatMessage"} {
				if r := rawCall(t, api, call, q+"&message=hi", clientSecret).reply; r.MessageKey != "notFound" {
					t.Errorf("%s?%s from the default tenant: %s/%s, want notFound", call, q, r.ReturnCode, r.MessageKey)
				}
			}
			if r := rawCall(t, api, "isMeetingRunning", q, clientSecret).reply; !r.OK() || r.Get("running") != "false" {
				t.Errorf("isMeetingRunning?%s: %s %q", q, r.MessageKey, r.Get("running"))
			}
			a := rawCall(t, api, "join", q+"&fullName=Eve&role=MODERATOR", clientSecret)
			if a.reply == nil || a.reply.MessageKey != "notFound" {
				t.Errorf("join?%s from the default tenant: %d %s", q, a.status, a.location)
			}
		}
		if m, ok := bHolder.Meeting("uni-b~room1"); !ok {
			t.Fatalf("uni-b's meeting was ended: %+v %v", m, ok)
		}
		if r := rawCall(t, bAPI, "getMeetingInfo", "meetingID=room1", bSecret).reply; !r.OK() {
			t.Fatalf("uni-b lost its meeting: %s", r.MessageKey)
		}
	})

	t.Run("a meeting is created under the ID it is routed by", func(t *testing.T) {
		for _, q := range []string{"meetingID=%20same%09", "meeting%49D=same", "meetingID=same%C2%85", "meetingID=sa%00me"} {
			if r := rawCall(t, api, "create", q+"&name=Same+room", clientSecret).reply; !r.OK() {
				t.Fatalf("create %s: %s %s", q, r.MessageKey, r.Message)
			}
		}
		var on []string
		for _, f := range fakes {
			for _, m := range f.Meetings() {
				if strings.Contains(m.MeetingID, "sa") && m.MeetingID != "plain" {
					on = append(on, f.URL()+" "+m.MeetingID)
				}
			}
		}
		if len(on) != 1 || !strings.HasSuffix(on[0], " same") {
			t.Fatalf("one meeting \"same\" expected on one server, found %q", on)
		}
		if r := rawCall(t, api, "create", "meetingID=same&meeting%49D=other&name=Same+room", clientSecret).reply; r.MessageKey != "validationError" {
			t.Fatalf("create with two meetingIDs: %s/%s, want validationError", r.ReturnCode, r.MessageKey)
		}
	})
}
