package gateway_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/gateway"
	"github.com/tinyscale/tinyscale/tenant"
)

// client is an integration of one tenant: its secret and how it reaches
// tinyscale (a Host header, or a /t/<name> path prefix).
type client struct {
	c      *cluster
	secret string
	host   string
	prefix string
}

func (cl client) url(call string, v url.Values) string {
	return cl.prefix + "/bigbluebutton/api/" + call + "?" + bbb.Sign(bbb.SHA256, call, v.Encode(), cl.secret)
}

func (cl client) get(call string, v url.Values) (*http.Response, string) {
	cl.c.t.Helper()
	req, _ := http.NewRequest("GET", cl.c.srv.URL+cl.url(call, v), nil)
	if cl.host != "" {
		req.Host = cl.host
	}
	res, err := cl.c.hc.Do(req)
	if err != nil {
		cl.c.t.Fatal(err)
	}
	defer res.Body.Close()
	return res, string(mustRead(cl.c.t, res))
}

func (cl client) call(call string, v url.Values) *bbb.Reply {
	cl.c.t.Helper()
	return cl.c.reply(cl.get(call, v))
}

func tenantCluster(t *testing.T, n int, tenants ...tenant.Tenant) *cluster {
	c := newCluster(t, n)
	reg, err := tenant.NewRegistry(tenant.Tenant{Secrets: []string{testSecret}}, tenants)
	if err != nil {
		t.Fatal(err)
	}
	c.reconfigure(func(cfg *gateway.Config) { cfg.Tenants = reg })
	return c
}

var (
	uniA    = tenant.Tenant{Name: "uni-a", Secrets: []string{"uni-a-secret-1", "uni-a-secret-2"}, Hosts: []string{"bbb.uni-a.example"}}
	schoolB = tenant.Tenant{Name: "school-b", Secrets: []string{"school-b-secret"}}
)

func TestTenantIsolation(t *testing.T) {
	c := tenantCluster(t, 2, uniA, schoolB)
	a := client{c: c, secret: "uni-a-secret-1", host: "bbb.uni-a.example"}
	b := client{c: c, secret: "school-b-secret", prefix: "/t/school-b"}
	d := client{c: c, secret: testSecret}
	create := func(cl client, id string) {
		t.Helper()
		r := cl.call("create", url.Values{"meetingID": {id}, "name": {"Room " + id}, "record": {"true"}})
		if !r.OK() || r.Get("meetingID") != id {
			t.Fatalf("create %q: %s %q", id, r.MessageKey, r.Get("meetingID"))
		}
	}
	// All three use room1: three meetings, never one.
	create(a, "room1")
	create(b, "room1")
	create(d, "room1")
	create(a, "only-a")
	n := 0
	for _, f := range c.fakes {
		n += len(f.Meetings())
	}
	if n != 4 {
		t.Fatalf("%d meetings on the servers, want 4", n)
	}
	// Each tenant lists its own, under its own IDs.
	for _, tc := range []struct {
		cl   client
		want string
	}{{a, "only-a,room1"}, {b, "room1"}, {d, "room1"}} {
		if got := strings.Join(meetingIDs(tc.cl.call("getMeetings", nil)), ","); got != tc.want {
			t.Errorf("%s lists %s, want %s", tc.cl.secret, got, tc.want)
		}
	}
	// A's recording, as BBB makes it from the meeting.
	var aRec string
	for _, f := range c.fakes {
		if info, ok := f.Meeting("uni-a~only-a"); ok {
			f.AddRecording(recordingOf(info))
			aRec = info.InternalID
		}
	}
	if ids, _ := recordIDs(t, mustBody(a.get("getRecordings", url.Values{"meetingID": {"only-a"}}))); len(ids) != 1 {
		t.Fatalf("A does not see its recording: %v", ids)
	}

	// Every call of B and of the default tenant on A's meeting or recording
	// answers as if it did not exist.
	for _, cl := range []client{b, d} {
		for _, tc := range []struct {
			call   string
			params url.Values
			rc     string
			key    string
		}{
			{"getMeetingInfo", url.Values{"meetingID": {"only-a"}}, bbb.Failed, "notFound"},
			{"isMeetingRunning", url.Values{"meetingID": {"only-a"}}, bbb.Success, ""},
			{"end", url.Values{"meetingID": {"only-a"}}, bbb.Failed, "notFound"},
			{"sendChatMessage", url.Values{"meetingID": {"only-a"}, "message": {"hi"}}, bbb.Failed, "notFound"},
			{"join", url.Values{"meetingID": {"only-a"}, "fullName": {"Eve"}, "role": {"MODERATOR"}}, bbb.Failed, "notFound"},
			{"publishRecordings", url.Values{"recordID": {aRec}, "publish": {"false"}}, bbb.Failed, "notFound"},
			{"updateRecordings", url.Values{"recordID": {aRec}, "meta_x": {"y"}}, bbb.Failed, "notFound"},
			{"deleteRecordings", url.Values{"recordID": {aRec}}, bbb.Failed, "notFound"},
			{"getRecordings", url.Values{"recordID": {aRec}}, bbb.Success, "noRecordings"},
			{"getRecordings", url.Values{"meetingID": {"only-a"}}, bbb.Success, "noRecordings"},
			{"getRecordings", url.Values{}, bbb.Success, "noRecordings"},
		} {
			r := cl.call(tc.call, tc.params)
			if r.ReturnCode != tc.rc || r.MessageKey != tc.key || r.Get("running") == "true" {
				t.Errorf("%s %s %v: %s/%s, want %s/%s", cl.secret, tc.call, tc.params, r.ReturnCode, r.MessageKey, tc.rc, tc.key)
			}
		}
		_, body := cl.get("getRecordingTextTracks", url.Values{"recordID": {aRec}})
		if !strings.Contains(body, `"returncode":"FAILED"`) {
			t.Errorf("%s getRecordingTextTracks of A's recording: %s", cl.secret, body)
		}
	}
	// The default tenant cannot reach A's meeting through A's BBB ID
	// either: it is an unknown meeting to it, answered as any other (no
	// validationError that tells a prober the ID is special), and it cannot
	// be created.
	r := d.call("getMeetingInfo", url.Values{"meetingID": {"uni-a~only-a"}})
	wantKey(t, r, bbb.Failed, "notFound")
	r = d.call("create", url.Values{"meetingID": {"uni-a~only-a"}, "name": {"x"}})
	wantKey(t, r, bbb.Failed, "validationError")
	// A's meeting and recording are untouched.
	r = a.call("getMeetingInfo", url.Values{"meetingID": {"only-a"}})
	if !r.OK() || r.Get("meetingID") != "only-a" {
		t.Fatalf("A's meeting: %s %q", r.MessageKey, r.Get("meetingID"))
	}
	for _, f := range c.fakes {
		for _, rec := range f.Recordings() {
			if rec.RecordID == aRec && (!rec.Published || rec.State == "deleted" || rec.Metadata["x"] != "") {
				t.Fatalf("another tenant changed A's recording: %+v", rec)
			}
		}
	}
	// A can manage its own recording.
	r = a.call("publishRecordings", url.Values{"recordID": {aRec}, "publish": {"false"}})
	wantKey(t, r, bbb.Success, "")
	// Without TINYSCALE_URL no server could send events: hooks are refused.
	r = a.call("hooks/create", url.Values{"callbackURL": {"https://a.example/hook"}})
	wantKey(t, r, bbb.Failed, "createHookError")
}

func mustBody(_ *http.Response, body string) string { return body }

func TestTenantRecognitionAndSecrets(t *testing.T) {
	c := tenantCluster(t, 1, uniA, schoolB)
	for _, tc := range []struct {
		name string
		cl   client
		ok   bool
	}{
		{"host, first secret", client{c: c, secret: "uni-a-secret-1", host: "bbb.uni-a.example"}, true},
		{"host, second secret (rotation)", client{c: c, secret: "uni-a-secret-2", host: "BBB.uni-a.example:443"}, true},
		{"path", client{c: c, secret: "uni-a-secret-2", prefix: "/t/uni-a"}, true},
		{"host and its own path", client{c: c, secret: "uni-a-secret-1", host: "bbb.uni-a.example", prefix: "/t/uni-a"}, true},
		{"another tenant's secret", client{c: c, secret: "school-b-secret", host: "bbb.uni-a.example"}, false},
		{"TINYSCALE_SECRET on a tenant", client{c: c, secret: testSecret, prefix: "/t/school-b"}, false},
		{"a tenant's secret on the default", client{c: c, secret: "uni-a-secret-1"}, false},
		{"host of one tenant, path of another", client{c: c, secret: "school-b-secret", host: "bbb.uni-a.example", prefix: "/t/school-b"}, false},
		{"unknown tenant", client{c: c, secret: "uni-a-secret-1", prefix: "/t/nobody"}, false},
		{"default tenant unchanged", client{c: c, secret: testSecret, host: "lb.example"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.cl.call("getMeetings", nil)
			if r.OK() != tc.ok {
				t.Fatalf("accepted=%v (%s), want %v", r.OK(), r.MessageKey, tc.ok)
			}
			if !tc.ok && r.MessageKey != "checksumError" {
				t.Fatalf("refused with %s, want checksumError", r.MessageKey)
			}
		})
	}
	// The version probe works on a tenant's path too.
	res, body := c.get("/t/uni-a/bigbluebutton/api/")
	if res.StatusCode != 200 || !strings.Contains(body, "<version>2.0</version>") {
		t.Fatalf("tenant version probe: %s", body)
	}
}

func TestTenantJoinAndLongIDs(t *testing.T) {
	c := tenantCluster(t, 1, uniA)
	a := client{c: c, secret: "uni-a-secret-1", host: "bbb.uni-a.example"}
	a.call("create", url.Values{"meetingID": {"a&b [1]"}, "name": {"Lecture"}})
	res, _ := a.get("join", url.Values{"meetingID": {"a&b [1]"}, "fullName": {"Ada"}, "role": {"VIEWER"}})
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != 302 || loc.Query().Get("meetingID") != "uni-a~a&b [1]" {
		t.Fatalf("join: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	r := a.call("join", url.Values{"meetingID": {"a&b [1]"}, "fullName": {"Ada"}, "role": {"VIEWER"}, "redirect": {"false"}})
	wantKey(t, r, bbb.Success, "successfullyJoined")
	long := strings.Repeat("x", 256-len("uni-a~")+1)
	r = a.call("create", url.Values{"meetingID": {long}, "name": {"Long"}})
	wantKey(t, r, bbb.Failed, "validationError")
	if !strings.Contains(r.Message, "250") {
		t.Errorf("the message should say the limit: %s", r.Message)
	}
}

func TestTenantLimitsAndPolicy(t *testing.T) {
	limited := uniA
	limited.Policy = tenant.Policy{
		MaxMeetings:     2,
		MaxParticipants: 3,
		CreateOverrides: map[string]string{"record": "false"},
		CreateDefaults:  map[string]string{"muteOnStart": "true"},
		JoinOverrides:   map[string]string{"userdata-bbb_show_public_chat_on_login": "false"},
	}
	c := tenantCluster(t, 1, limited)
	c.reconfigure(func(cfg *gateway.Config) {
		cfg.Tenants.Global = tenant.Policy{CreateDefaults: map[string]string{"muteOnStart": "false", "welcome": "Hello"}}
	})
	a := client{c: c, secret: "uni-a-secret-1", host: "bbb.uni-a.example"}
	for _, id := range []string{"m1", "m2"} {
		wantKey(t, a.call("create", url.Values{"meetingID": {id}, "name": {"Meeting"}, "record": {"true"}}), bbb.Success, "")
	}
	wantKey(t, a.call("create", url.Values{"meetingID": {"m3"}, "name": {"Meeting"}}), bbb.Failed, "maxConcurrentMeetings")
	// Re-creating a running meeting is no new meeting.
	wantKey(t, a.call("create", url.Values{"meetingID": {"m1"}, "name": {"Meeting"}, "record": {"false"}}), bbb.Success, "duplicateWarning")
	// The default tenant has no limit.
	d := client{c: c, secret: testSecret}
	wantKey(t, d.call("create", url.Values{"meetingID": {"m3"}, "name": {"Meeting"}}), bbb.Success, "")

	info, _ := c.fakes[0].Meeting("uni-a~m1")
	for k, want := range map[string]string{"record": "false", "muteOnStart": "true", "welcome": "Hello"} {
		if got := info.Params.Get(k); got != want {
			t.Errorf("create %s=%q, want %q (tenant override, tenant default over global, global default)", k, got, want)
		}
	}
	dflt, _ := c.fakes[0].Meeting("m3")
	if dflt.Params.Get("muteOnStart") != "false" || dflt.Params.Get("record") != "" {
		t.Errorf("the default tenant got another tenant's policy: %v", dflt.Params)
	}
	res, _ := a.get("join", url.Values{"meetingID": {"m1"}, "fullName": {"Ada"}, "role": {"VIEWER"}})
	loc, _ := url.Parse(res.Header.Get("Location"))
	if loc.Query().Get("userdata-bbb_show_public_chat_on_login") != "false" {
		t.Errorf("join override not applied: %s", loc)
	}
	// Participants: the limit counts what the polls saw.
	c.fakes[0].AddUsers("uni-a~m1", 3, false, false)
	c.poll()
	r := a.call("join", url.Values{"meetingID": {"m2"}, "fullName": {"Late"}, "role": {"VIEWER"}, "redirect": {"false"}})
	wantKey(t, r, bbb.Failed, "maxParticipantsReached")
}

func TestTenantAllowedTags(t *testing.T) {
	tagged := schoolB
	tagged.Tags = []string{"schools"}
	c := tenantCluster(t, 3, tagged)
	c.pool.Get(c.fakes[2].Addr()).Tags = []string{"schools"}
	b := client{c: c, secret: "school-b-secret", prefix: "/t/school-b"}
	for _, id := range []string{"s1", "s2", "s3"} {
		wantKey(t, b.call("create", url.Values{"meetingID": {id}, "name": {"School"}}), bbb.Success, "")
		if !c.fakes[2].HasMeeting("school-b~" + id) {
			t.Fatalf("%s placed outside the tenant's servers", id)
		}
	}
}

// TestParticipantLimitFollowsRoundsAndTenants: the participant count a
// join is checked against is the last poll round's, per tenant by name;
// a limit that comes with a tenant reload holds at once, before any round.
func TestParticipantLimitFollowsRoundsAndTenants(t *testing.T) {
	c := tenantCluster(t, 2, uniA, schoolB)
	a := client{c: c, secret: "uni-a-secret-1", host: "bbb.uni-a.example"}
	b := client{c: c, secret: "school-b-secret", prefix: "/t/school-b"}
	join := func(cl client, id string) *bbb.Reply {
		t.Helper()
		return cl.call("join", url.Values{"meetingID": {id}, "fullName": {"Ada"}, "role": {"VIEWER"}, "redirect": {"false"}})
	}
	wantKey(t, a.call("create", url.Values{"meetingID": {"m1"}, "name": {"Meeting"}}), bbb.Success, "")
	wantKey(t, b.call("create", url.Values{"meetingID": {"m1"}, "name": {"Meeting"}}), bbb.Success, "")
	for _, f := range c.fakes {
		f.AddUsers("uni-a~m1", 4, false, false)
		f.AddUsers("school-b~m1", 1, false, false)
	}
	c.poll()
	wantKey(t, join(a, "m1"), bbb.Success, "successfullyJoined")

	// Limits arrive with a reload of the tenants: no round has counted them.
	limitedA, limitedB := uniA, schoolB
	limitedA.MaxParticipants, limitedB.MaxParticipants = 4, 4
	reg, err := tenant.NewRegistry(tenant.Tenant{Secrets: []string{testSecret}}, []tenant.Tenant{limitedA, limitedB})
	if err != nil {
		t.Fatal(err)
	}
	c.reconfigure(func(cfg *gateway.Config) { cfg.Tenants = reg })
	wantKey(t, join(a, "m1"), bbb.Failed, "maxParticipantsReached")
	wantKey(t, join(b, "m1"), bbb.Success, "successfullyJoined") // one of four: another tenant's four do not count

	// The users leave; the next round counts that.
	for _, f := range c.fakes {
		f.RemoveUsers("uni-a~m1", 4)
	}
	wantKey(t, join(a, "m1"), bbb.Failed, "maxParticipantsReached") // until a round saw it
	c.poll()
	wantKey(t, join(a, "m1"), bbb.Success, "successfullyJoined")
}
