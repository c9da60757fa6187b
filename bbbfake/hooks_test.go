package bbbfake

import (
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
)

func TestHooks(t *testing.T) {
	s := startTest(t)
	expect(t, call(t, s, bbb.CallHooksCreate, ""), bbb.Failed, "missingParamCallbackURL")

	r, body := callBody(t, s, bbb.CallHooksCreate, q("callbackURL", "https://a/hook?x=1&y=]]>", "getRaw", "true"))
	expect(t, r, bbb.Success, "")
	equal(t, "create elements", children(t, body, "response"), []string{"returncode", "hookID", "permanentHook", "rawData"})
	if r.Get("hookID") != "1" || r.Get("rawData") != "true" || r.Get("permanentHook") != "false" {
		t.Fatalf("hooks/create %s", body)
	}
	r = call(t, s, bbb.CallHooksCreate, q("callbackURL", "https://a/hook?x=1&y=]]>"))
	expect(t, r, bbb.Success, "duplicateWarning")
	if r.Get("hookID") != "1" {
		t.Fatalf("duplicate hookID %q", r.Get("hookID"))
	}
	create2 := call(t, s, bbb.CallHooksCreate, q("callbackURL", "https://b/hook", "meetingID", "room"))
	create3 := call(t, s, bbb.CallHooksCreate, q("callbackURL", "https://c/hook", "meetingID", "other"))
	if create2.Get("hookID") != "2" || create3.Get("hookID") != "3" {
		t.Fatal("hook IDs not sequential")
	}

	_, body = callBody(t, s, bbb.CallHooksList, "")
	equal(t, "callbackURLs", texts(t, body, "callbackURL"), []string{"https://a/hook?x=1&y=]]>", "https://b/hook", "https://c/hook"})
	if !strings.Contains(string(body), "<callbackURL><![CDATA[https://b/hook]]></callbackURL>") {
		t.Fatalf("callbackURL not in CDATA: %s", body)
	}
	equal(t, "hook elements", children(t, body, "hook"), []string{"hookID", "callbackURL", "permanentHook", "rawData"})
	_, body = callBody(t, s, bbb.CallHooksList, q("meetingID", "room"))
	equal(t, "filtered hookIDs", texts(t, body, "hookID"), []string{"1", "2"})

	expect(t, call(t, s, bbb.CallHooksDestroy, ""), bbb.Failed, "missingParamHookID")
	expect(t, call(t, s, bbb.CallHooksDestroy, "hookID=9"), bbb.Failed, "destroyMissingHook")
	r = call(t, s, bbb.CallHooksDestroy, "hookID=2")
	if r.ReturnCode != bbb.Success || r.Get("removed") != "true" {
		t.Fatalf("destroy %+v", r)
	}
	hooks := s.Hooks()
	if len(hooks) != 2 || hooks[0].ID != "1" || !hooks[0].RawData || hooks[1].MeetingID != "other" {
		t.Fatalf("Hooks %+v", hooks)
	}

	// bbb-webhooks' own checksum error text.
	res, body := do(t, "GET", s.URL()+"/hooks/list?checksum=0000000000000000000000000000000000000000", "", nil)
	r = parse(t, res, body)
	if r.MessageKey != "checksumError" || r.Message != "You did not pass the checksum security check." {
		t.Fatalf("checksum error %s", body)
	}
}
