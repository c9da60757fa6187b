package bbbfake

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
)

// The fake's checksum rule (checksum.go) against the BBB documentation's
// worked example (https://docs.bigbluebutton.org/development/api/#usage):
// query, secret, the string hashed and its SHA-1, as published.
func TestFakeChecksumDocumentationExample(t *testing.T) {
	const (
		query  = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
		secret = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"
		input  = "createname=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444639259d4-9dd8-4b25-bf01-95f9567eaf4b"
		sum    = "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"
		final  = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444&checksum=1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"
	)
	if d := sha1.Sum([]byte(input)); hex.EncodeToString(d[:]) != sum {
		t.Fatalf("the documented example is not self-consistent")
	}
	if got := SignQuery("sha1", "create", query, secret); got != final {
		t.Errorf("SignQuery = %s, documented %s", got, final)
	}
	for where, raw := range map[string]string{
		"last":   final,
		"first":  "checksum=" + sum + "&" + query,
		"middle": "name=Test+Meeting&meetingID=abc123&checksum=" + sum + "&attendeePW=111222&moderatorPW=333444",
		"upper":  query + "&checksum=" + strings.ToUpper(sum),
	} {
		q, err := VerifyChecksum("create", raw, secret)
		if err != nil || q != query {
			t.Errorf("%s: VerifyChecksum = %q, %v", where, q, err)
		}
	}
}

// Every one-character change of a checksum of the right length is refused
// by the fake, for each algorithm, over HTTP as a client sees it.
func TestFakeRefusesChangedChecksums(t *testing.T) {
	s := startTest(t)
	for _, alg := range []string{"sha1", "sha256", "sha384", "sha512"} {
		signedQ := SignQuery(alg, "getMeetings", "", testSecret)
		cs := strings.TrimPrefix(signedQ, "checksum=")
		r := call(t, s, "getMeetings", "") // sanity: signed by the helper
		expect(t, r, bbb.Success, "noMeetings")
		for _, i := range []int{0, len(cs) / 2, len(cs) - 1} {
			bad := []byte(cs)
			if bad[i] == '0' {
				bad[i] = '1'
			} else {
				bad[i] = '0'
			}
			res, body := do(t, http.MethodGet, s.URL()+"/getMeetings?checksum="+string(bad), "", nil)
			r := parse(t, res, body)
			expect(t, r, bbb.Failed, "checksumError")
			if r.Message != "Checksums do not match" {
				t.Errorf("%s: message %q", alg, r.Message)
			}
		}
		res, body := do(t, http.MethodGet, s.URL()+"/getMeetings?"+signedQ, "", nil)
		expect(t, parse(t, res, body), bbb.Success, "noMeetings")
	}
}

func TestFakeChecksumRules(t *testing.T) {
	const q = "meetingID=abc123"
	sha1Signed := SignQuery("sha1", "getMeetingInfo", q, testSecret)
	cs := sha1Signed[len(sha1Signed)-40:]
	tests := []struct {
		name    string
		raw     string
		allowed bbb.Algorithm
		want    error
	}{
		{"signed", sha1Signed, bbb.AllAlgorithms, nil},
		{"no checksum", q, bbb.AllAlgorithms, errNoChecksum},
		{"empty checksum", q + "&checksum=", bbb.AllAlgorithms, errNoChecksum},
		{"sha1 disabled", sha1Signed, bbb.SHA256 | bbb.SHA512, errChecksumsDiffer},
		{"39 digits", q + "&checksum=" + cs[:39], bbb.AllAlgorithms, errChecksumsDiffer},
		{"41 digits", q + "&checksum=" + cs + "a", bbb.AllAlgorithms, errChecksumsDiffer},
		{"other parameter value", strings.Replace(sha1Signed, "abc123", "abc124", 1), bbb.AllAlgorithms, errChecksumsDiffer},
		{"control characters stripped", "meeting\x01ID=abc123&checksum=" + cs, bbb.AllAlgorithms, nil},
		{"first checksum counts", sha1Signed + "&checksum=" + strings.Repeat("0", 40), bbb.AllAlgorithms, errChecksumsDiffer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verifyQuery("getMeetingInfo", tt.raw, testSecret, tt.allowed)
			if !errors.Is(err, tt.want) {
				t.Fatalf("verifyQuery(%q) = %v, want %v", tt.raw, err, tt.want)
			}
		})
	}
	if got := javaFormQuery(map[string][]string{"name": {"a b*~"}, "checksum": {"x"}, "meetingID": {"m"}}); got != "meetingID=m&name=a+b*%7E" {
		t.Errorf("javaFormQuery = %q", got)
	}
}

// The fake and package bbb, written apart, agree on every vector of the
// documentation and on each other's signatures. A disagreement means one
// of them is wrong about BBB; the vectors above say which.
func TestFakeAndProductAgree(t *testing.T) {
	queries := []string{
		"", "meetingID=abc123", "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444",
		"meetingID=room%5B1%5D&name=%C3%9Cn%C3%AFcode%20Room", "meta_file_checksum=x&meetingID=m",
	}
	algs := map[string]bbb.Algorithm{"sha1": bbb.SHA1, "sha256": bbb.SHA256, "sha384": bbb.SHA384, "sha512": bbb.SHA512}
	for name, alg := range algs {
		for _, q := range queries {
			fake := SignQuery(name, "create", q, testSecret)
			if prod := bbb.Sign(alg, "create", q, testSecret); prod != fake {
				t.Errorf("%s %q: bbb.Sign %q, fake %q", name, q, prod, fake)
			}
			if got, err := VerifyChecksum("create", bbb.Sign(alg, "create", q, testSecret), testSecret); err != nil || got != q {
				t.Errorf("%s %q: fake refuses bbb's signature: %v", name, q, err)
			}
		}
	}
}

// The fake's error document is BBB's, written by the fake's own code.
func TestFakeErrorDocument(t *testing.T) {
	got := string(errorDocument(&bbb.Error{Key: "checksumError", Message: "a <b> & c"}))
	want := "<response><returncode>FAILED</returncode><messageKey>checksumError</messageKey><message>a &lt;b&gt; &amp; c</message></response>"
	if got != want {
		t.Fatalf("errorDocument = %s\nwant %s", got, want)
	}
}
