package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/gateway"
)

// The worked example of the BBB documentation
// (https://docs.bigbluebutton.org/development/api/#usage).
const exampleQuery = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"

func TestChecksumMatrix(t *testing.T) {
	c := newCluster(t, 2)
	type tc struct {
		name string
		path string
		ok   bool
		msg  string
	}
	var cases []tc
	// Four algorithms × two space encodings × checksum first, middle, last.
	for _, alg := range []bbb.Algorithm{bbb.SHA1, bbb.SHA256, bbb.SHA384, bbb.SHA512} {
		for _, q := range []string{exampleQuery, strings.Replace(exampleQuery, "+", "%20", 1)} {
			cs := bbb.Checksum(alg, "create", q, testSecret)
			params := strings.Split(q, "&")
			first := "checksum=" + cs + "&" + q
			middle := strings.Join(params[:2], "&") + "&checksum=" + cs + "&" + strings.Join(params[2:], "&")
			last := q + "&checksum=" + cs
			upper := q + "&checksum=" + strings.ToUpper(cs)
			for pos, raw := range map[string]string{"first": first, "middle": middle, "last": last, "upper-case hex": upper} {
				cases = append(cases, tc{alg.String() + " " + pos + " " + q[5:14], "/bigbluebutton/api/create?" + raw, true, ""})
			}
		}
	}
	sha1 := bbb.Checksum(bbb.SHA1, "create", exampleQuery, testSecret)
	if sha1 != "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17" {
		t.Fatalf("SHA-1 of the documented example is %s", sha1)
	}
	cases = append(cases,
		tc{"missing checksum", "/bigbluebutton/api/create?" + exampleQuery, false, "You must provide the checksum"},
		tc{"empty checksum", "/bigbluebutton/api/create?" + exampleQuery + "&checksum=", false, "You must provide the checksum"},
		tc{"wrong secret", "/bigbluebutton/api/create?" + exampleQuery + "&checksum=" + bbb.Checksum(bbb.SHA1, "create", exampleQuery, "other"), false, "Checksums do not match"},
		tc{"wrong call name", "/bigbluebutton/api/create?" + exampleQuery + "&checksum=" + bbb.Checksum(bbb.SHA1, "join", exampleQuery, testSecret), false, "Checksums do not match"},
		tc{"changed parameter", "/bigbluebutton/api/create?" + strings.Replace(exampleQuery, "abc123", "abc124", 1) + "&checksum=" + sha1, false, "Checksums do not match"},
		tc{"re-encoded space", "/bigbluebutton/api/create?" + strings.Replace(exampleQuery, "+", "%20", 1) + "&checksum=" + sha1, false, "Checksums do not match"},
		tc{"length 39", "/bigbluebutton/api/create?" + exampleQuery + "&checksum=" + sha1[:39], false, "Checksums do not match"},
		tc{"length 41", "/bigbluebutton/api/create?" + exampleQuery + "&checksum=" + sha1 + "0", false, "Checksums do not match"},
		tc{"not hex", "/bigbluebutton/api/create?" + exampleQuery + "&checksum=" + strings.Repeat("z", 40), false, "Checksums do not match"},
		// The original tinyscale cut everything from the first "checksum"
		// text; a parameter merely named like it is a parameter.
		tc{"parameter containing checksum", signedRaw(bbb.SHA1, "create", "meetingID=cs1&name=checksum+review&meta_file_checksum=abc"), true, ""},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.reply(c.get(tc.path))
			if tc.ok {
				if !r.OK() {
					t.Fatalf("rejected: %s %s", r.MessageKey, r.Message)
				}
				return
			}
			wantKey(t, r, bbb.Failed, "checksumError")
			if r.Message != tc.msg {
				t.Errorf("message %q, want %q", r.Message, tc.msg)
			}
		})
	}
}

func TestChecksumAlgorithmsRestricted(t *testing.T) {
	c := newCluster(t, 1, func(cfg *gateway.Config) { cfg.Algorithms = bbb.SHA256 | bbb.SHA512 })
	for _, tc := range []struct {
		alg bbb.Algorithm
		ok  bool
	}{{bbb.SHA1, false}, {bbb.SHA256, true}, {bbb.SHA384, false}, {bbb.SHA512, true}} {
		r := c.reply(c.get(signedRaw(tc.alg, "getMeetings", "")))
		if r.OK() != tc.ok {
			t.Errorf("%s: accepted=%v, want %v (%s)", tc.alg, r.OK(), tc.ok, r.MessageKey)
		}
	}
}

func TestVersionProbe(t *testing.T) {
	c := newCluster(t, 1)
	for _, p := range []struct{ method, path string }{
		{"GET", "/bigbluebutton/api"},
		{"GET", "/bigbluebutton/api/"},
		{"GET", "/bigbluebutton/api/?&checksum=674406c8c965fa3ee35b767fd3319a83b87fc33f"}, // Moodle
		{"GET", "/bigbluebutton/api/?checksum=bogus"},                                     // Nextcloud
		{"POST", "/bigbluebutton/api"},
	} {
		res, body := c.do(p.method, p.path, "", "")
		r := c.reply(res, body)
		if !r.OK() || r.Get("version") != "2.0" {
			t.Errorf("%s %s: %s", p.method, p.path, body)
		}
	}
}

func TestCallPaths(t *testing.T) {
	c := newCluster(t, 1)
	for _, tc := range []struct {
		name, path string
		key        string
	}{
		{"double slash", "/bigbluebutton/api//" + strings.TrimPrefix(signed("getMeetings", nil), "/bigbluebutton/api/"), "noMeetings"},
		{"prefix garbage", "/bigbluebutton/api/AAAA" + strings.TrimPrefix(signed("getMeetings", nil), "/bigbluebutton/api/"), "unsupportedRequest"},
		{"unknown call", signed("getDefaultConfigXML", nil), "unsupportedRequest"},
		{"case matters", signed("GetMeetings", nil), "unsupportedRequest"},
		{"suffix garbage", signed("getMeetingsX", nil), "unsupportedRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.reply(c.get(tc.path))
			if r.MessageKey != tc.key {
				t.Fatalf("messageKey %q, want %q", r.MessageKey, tc.key)
			}
		})
	}
	res, body := c.get("/bigbluebutton/apix")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "unsupportedRequest") {
		t.Errorf("/bigbluebutton/apix: %d %s", res.StatusCode, body)
	}
}
