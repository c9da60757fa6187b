package gateway_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/deliver"
	"github.com/tinyscale/tinyscale/gateway"
	"github.com/tinyscale/tinyscale/hooks"
)

// hooksCluster is a tenant cluster whose gateway answers the webhooks API
// from tinyscale's registry.
func hooksCluster(t *testing.T) *cluster {
	c := tenantCluster(t, 2, uniA, schoolB)
	q := deliver.New(c.store, deliver.Options{})
	t.Cleanup(q.Close)
	c.reconfigure(func(cfg *gateway.Config) {
		cfg.Hooks = hooks.New(hooks.Config{Store: c.store, Pool: c.pool, Tenants: cfg.Tenants, Queue: q,
			PublicURL: "http://tinyscale.example", Secret: testSecret})
	})
	return c
}

// TestHooksRegistry checks that tinyscale answers the webhooks API
// itself, as one bbb-webhooks server does, without asking any backend,
// and that each tenant sees and removes only its own hooks.
func TestHooksRegistry(t *testing.T) {
	c := hooksCluster(t)
	def := client{c: c, secret: testSecret}
	a := client{c: c, secret: "uni-a-secret-1", host: "bbb.uni-a.example"}
	b := client{c: c, secret: "school-b-secret", prefix: "/t/school-b"}

	r := def.call("hooks/create", url.Values{"callbackURL": {"https://lms.example/hook"}, "getRaw": {"false"}})
	wantKey(t, r, bbb.Success, "")
	if r.Get("hookID") != "1" || r.Get("permanentHook") != "false" || r.Get("rawData") != "false" {
		t.Fatalf("create: %+v", r)
	}
	r = def.call("hooks/create", url.Values{"callbackURL": {"https://lms.example/hook"}, "meetingID": {"x"}})
	wantKey(t, r, bbb.Success, "duplicateWarning")
	if r.Get("hookID") != "1" || r.Message != "There is already a hook for this callback URL." {
		t.Fatalf("duplicate: %+v", r)
	}
	// Another tenant may register the same URL: its own hook, its own ID.
	r = a.call("hooks/create", url.Values{"callbackURL": {"https://lms.example/hook"}, "meetingID": {"room"}, "eventID": {"User-Joined"}})
	if r.Get("hookID") != "2" {
		t.Fatalf("tenant hook: %+v", r)
	}
	for _, tc := range []struct {
		name string
		cl   client
		call string
		v    url.Values
		rc   string
		key  string
		want []string // in the body
	}{
		{"missing callbackURL", def, "hooks/create", nil, bbb.Failed, "missingParamCallbackURL", nil},
		{"not a URL", def, "hooks/create", url.Values{"callbackURL": {"javascript:alert(1)"}}, bbb.Failed, "createHookError", nil},
		{"default lists its own", def, "hooks/list", nil, bbb.Success, "",
			[]string{"<hooks><hook><hookID>1</hookID><callbackURL><![CDATA[https://lms.example/hook]]></callbackURL><permanentHook>false</permanentHook><rawData>false</rawData></hook></hooks>"}},
		{"tenant lists its own", a, "hooks/list", url.Values{"meetingID": {"room"}}, bbb.Success, "",
			[]string{"<hookID>2</hookID>", "<meetingID><![CDATA[room]]></meetingID><eventID>user-joined</eventID>"}},
		{"meeting filter leaves others' meetings out", a, "hooks/list", url.Values{"meetingID": {"other"}}, bbb.Success, "", []string{"<hooks></hooks>"}},
		{"third tenant sees none", b, "hooks/list", nil, bbb.Success, "", []string{"<hooks></hooks>"}},
		{"missing hookID", a, "hooks/destroy", nil, bbb.Failed, "missingParamHookID", nil},
		{"another tenant's hook", a, "hooks/destroy", url.Values{"hookID": {"1"}}, bbb.Failed, "destroyMissingHook", nil},
		{"own hook", a, "hooks/destroy", url.Values{"hookID": {"2"}}, bbb.Success, "", []string{"<removed>true</removed>"}},
		{"twice", a, "hooks/destroy", url.Values{"hookID": {"2"}}, bbb.Failed, "destroyMissingHook", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := tc.cl.get(tc.call, tc.v)
			r := c.reply(res, body)
			wantKey(t, r, tc.rc, tc.key)
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Fatalf("body lacks %s:\n%s", w, body)
				}
			}
		})
	}
	for _, f := range c.fakes {
		if n := f.CountCalls("hooks/create") + f.CountCalls("hooks/list") + f.CountCalls("hooks/destroy"); n != 0 {
			t.Fatalf("server %s got %d webhooks calls: the registry is tinyscale's", f.Addr(), n)
		}
	}
	// bbb-webhooks' own checksum error text.
	res, body := c.get("/bigbluebutton/api/hooks/list?checksum=0000000000000000000000000000000000000000")
	if r := c.reply(res, body); r.MessageKey != "checksumError" || r.Message != "You did not pass the checksum security check." {
		t.Fatalf("checksum error: %s", body)
	}
}
