package bbb

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"
)

// The BBB documentation's worked example
// (https://docs.bigbluebutton.org/development/api/#usage): its query,
// secret and SHA-1; the other algorithms' sums are over the same string
// (BBB 2.6+ picks the algorithm by the checksum's length). Every vector
// below is cross-checked against crypto/* directly by refSign
// (independent_test.go).
const (
	docSecret = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"
	docQuery  = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
	docSHA1   = "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"
	docSHA256 = "da9185f7f333cfdfcd6eeac32dca3777510c4c436020d8b887ba5515bd1d189e"
	docSHA384 = "891ac633df39d0a1b4f8d597f3e190833216c4b29c4fb51ea3ca72757eeb958d6e7b49a845cf29f5c6019c7d29d029d1"
	docSHA512 = "de73ad61d11a5c801b68d4bd6ec5248546085cefb0b25c85f3c46249ea93a3a4b120f92c0a8a58d7512cb77821884951a3b01245f3435dbbef49fff3cc3988b4"
)

type vector struct {
	name  string
	alg   Algorithm
	call  string
	query string
	want  string
}

// docVectors are the worked example and variants of it that clients send
// (%20 for +, sorted, empty, non-ASCII, other calls).
var docVectors = []vector{
	{"worked example sha1", SHA1, "create", docQuery, docSHA1},
	{"worked example sha256", SHA256, "create", docQuery, docSHA256},
	{"worked example sha384", SHA384, "create", docQuery, docSHA384},
	{"worked example sha512", SHA512, "create", docQuery, docSHA512},
	{"%20 instead of +", SHA1, "create", "name=Test%20Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444", "f1ae295e2cb9a9225152334d12c9db97d2bfee5b"},
	{"sorted fallback", SHA1, "create", "attendeePW=111222&meetingID=abc123&moderatorPW=333444&name=Test+Meeting", "0b89c2ebcfefb76772cbcf19386c33561f66f6ae"},
	{"empty query sha1", SHA1, "create", "", "8a21c9b7e3b18541974c9e78c0d0bfa790c665eb"},
	{"empty query sha256", SHA256, "create", "", "272c9555258496a3f19c5ad8f599af2a4ebec031381ff1e37b34842c42c12284"},
	{"unicode room + sha1", SHA1, "create", "meetingID=room%5B1%5D&name=%C3%9Cn%C3%AFcode+Room", "888bb7bd171f5a8eeb53bf8ce0a42f38c76667dd"},
	{"unicode room + sha256", SHA256, "create", "meetingID=room%5B1%5D&name=%C3%9Cn%C3%AFcode+Room", "d605bb0f92af0bba23b196d94b6a86bdaa8904add17e7d711c990a486b6a4e05"},
	{"unicode room %20", SHA1, "create", "meetingID=room%5B1%5D&name=%C3%9Cn%C3%AFcode%20Room", "1e10d3bab2c2848164b838df87ce00ee9b023d94"},
	{"getMeetings empty", SHA1, "getMeetings", "", "2027baa7771026e9e93392f55031535d1444c41f"},
	{"isMeetingRunning foobar", SHA1, "isMeetingRunning", "meetingID=foobar", "6075b0c1aff2a590a955e53ecdad1efb7f70a7d9"},
	{"root: secret alone", SHA1, "", "", "674406c8c965fa3ee35b767fd3319a83b87fc33f"},
}

func TestChecksumVectors(t *testing.T) {
	for _, v := range docVectors {
		t.Run(v.name, func(t *testing.T) {
			if got := Checksum(v.alg, v.call, v.query, docSecret); got != v.want {
				t.Errorf("Checksum(%v, %q, %q) = %s, want %s", v.alg, v.call, v.query, got, v.want)
			}
			for _, h := range refHashes {
				if h.alg == v.alg && refSign(h, v.call, v.query, docSecret) != strings.TrimPrefix(v.query+"&", "&")+"checksum="+v.want {
					t.Errorf("vector %s disagrees with crypto", v.name)
				}
			}
		})
	}
}

// placements places cs first, in the middle or last of q.
func placements(q, cs string) map[string]string {
	m := map[string]string{
		"first": "checksum=" + cs + "&" + q,
		"last":  q + "&checksum=" + cs,
	}
	if pairs := strings.Split(q, "&"); len(pairs) > 1 {
		mid := len(pairs) / 2
		m["middle"] = strings.Join(pairs[:mid], "&") + "&checksum=" + cs + "&" + strings.Join(pairs[mid:], "&")
	}
	return m
}

func TestVerifyVectors(t *testing.T) {
	for _, v := range docVectors {
		t.Run(v.name, func(t *testing.T) {
			var raws map[string]string
			if v.query == "" {
				raws = map[string]string{"alone": "checksum=" + v.want}
			} else {
				raws = placements(v.query, v.want)
			}
			for where, raw := range raws {
				q, err := Verify(v.call, raw, AllAlgorithms, docSecret)
				if err != nil {
					t.Errorf("%s: Verify(%q) = %v", where, raw, err)
					continue
				}
				if q != v.query {
					t.Errorf("%s: forwarded query %q, want %q", where, q, v.query)
				}
				// Only the algorithm of this checksum is needed.
				if _, err := Verify(v.call, raw, v.alg, docSecret); err != nil {
					t.Errorf("%s: Verify with only %v: %v", where, v.alg, err)
				}
				// Upper-case hex is accepted (BBB 2.6+).
				upper := strings.Replace(raw, v.want, strings.ToUpper(v.want), 1)
				if _, err := Verify(v.call, upper, AllAlgorithms, docSecret); err != nil {
					t.Errorf("%s: upper-case checksum rejected: %v", where, err)
				}
			}
		})
	}
}

func TestVerifyWorkedExampleURL(t *testing.T) {
	u, err := url.Parse("https://bbb.example.com/bigbluebutton/api/create?name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444&checksum=1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17")
	if err != nil {
		t.Fatal(err)
	}
	q, err := Verify(CallCreate, u.RawQuery, AllAlgorithms, docSecret)
	if err != nil {
		t.Fatal(err)
	}
	if q != docQuery {
		t.Errorf("query %q, want %q", q, docQuery)
	}
}

func TestVerifyFailures(t *testing.T) {
	last := docQuery + "&checksum=" + docSHA1
	tests := []struct {
		name    string
		call    string
		raw     string
		allowed Algorithm
		secrets []string
		want    error
	}{
		{"missing checksum", "create", docQuery, AllAlgorithms, []string{docSecret}, ErrMissingChecksum},
		{"empty query no checksum", "create", "", AllAlgorithms, []string{docSecret}, ErrMissingChecksum},
		{"empty checksum last", "create", docQuery + "&checksum=", AllAlgorithms, []string{docSecret}, ErrMissingChecksum},
		{"empty checksum first", "create", "checksum=&" + docQuery, AllAlgorithms, []string{docSecret}, ErrMissingChecksum},
		{"bare checksum key", "create", docQuery + "&checksum", AllAlgorithms, []string{docSecret}, ErrMissingChecksum},
		{"wrong secret", "create", last, AllAlgorithms, []string{"not-the-secret"}, ErrChecksumMismatch},
		{"no secret at all", "create", last, AllAlgorithms, nil, ErrChecksumMismatch},
		{"empty secret", "create", last, AllAlgorithms, []string{""}, ErrChecksumMismatch},
		{"wrong call", "join", last, AllAlgorithms, []string{docSecret}, ErrChecksumMismatch},
		{"call case differs", "Create", last, AllAlgorithms, []string{docSecret}, ErrChecksumMismatch},
		{"changed parameter", "create", strings.Replace(last, "abc123", "abc124", 1), AllAlgorithms, []string{docSecret}, ErrChecksumMismatch},
		{"added parameter", "create", last + "&record=true", AllAlgorithms, []string{docSecret}, ErrChecksumMismatch},
		{"re-encoded + to %20", "create", strings.Replace(last, "+", "%20", 1), AllAlgorithms, []string{docSecret}, ErrChecksumMismatch},
		{"reordered", "create", "meetingID=abc123&name=Test+Meeting&attendeePW=111222&moderatorPW=333444&checksum=" + docSHA1, AllAlgorithms, []string{docSecret}, ErrChecksumMismatch},
		{"39 chars", "create", docQuery + "&checksum=" + docSHA1[:39], AllAlgorithms, []string{docSecret}, ErrChecksumMismatch},
		{"41 chars", "create", docQuery + "&checksum=" + docSHA1 + "0", AllAlgorithms, []string{docSecret}, ErrChecksumMismatch},
		{"129 chars", "create", docQuery + "&checksum=" + docSHA512 + "0", AllAlgorithms, []string{docSecret}, ErrChecksumMismatch},
		{"not hex", "create", docQuery + "&checksum=" + strings.Repeat("z", 40), AllAlgorithms, []string{docSecret}, ErrChecksumMismatch},
		{"sha1 not allowed", "create", last, SHA256, []string{docSecret}, ErrChecksumMismatch},
		{"sha512 not allowed", "create", docQuery + "&checksum=" + docSHA512, SHA1 | SHA256 | SHA384, []string{docSecret}, ErrChecksumMismatch},
		{"no algorithm allowed", "create", last, 0, []string{docSecret}, ErrChecksumMismatch},
		{"lookalike key only (meta_file_checksum)", "create", docQuery + "&meta_file_checksum=" + docSHA1, AllAlgorithms, []string{docSecret}, ErrMissingChecksum},
		{"lookalike value only (name=checksum+review)", "create", "name=checksum+review&meetingID=abc123", AllAlgorithms, []string{docSecret}, ErrMissingChecksum},
		{"upper-case key CHECKSUM", "create", docQuery + "&CHECKSUM=" + docSHA1, AllAlgorithms, []string{docSecret}, ErrMissingChecksum},
		{"percent-encoded key", "create", docQuery + "&%63hecksum=" + docSHA1, AllAlgorithms, []string{docSecret}, ErrMissingChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Verify(tt.call, tt.raw, tt.allowed, tt.secrets...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify(%q, %q) = %v, want %v", tt.call, tt.raw, err, tt.want)
			}
			if q != "" {
				t.Errorf("query %q returned with an error", q)
			}
			if e := ChecksumError(err); e.Key != "checksumError" || e.Message != tt.want.Error() {
				t.Errorf("ChecksumError = %+v", e)
			}
		})
	}
}

func TestErrorTexts(t *testing.T) {
	if ErrMissingChecksum.Error() != "You must provide the checksum" {
		t.Errorf("ErrMissingChecksum = %q", ErrMissingChecksum)
	}
	if ErrChecksumMismatch.Error() != "Checksums do not match" {
		t.Errorf("ErrChecksumMismatch = %q", ErrChecksumMismatch)
	}
}

// A parameter whose name or value merely contains "checksum" is kept and
// hashed like any other.
func TestVerifyChecksumLookalikes(t *testing.T) {
	for _, q := range []string{
		"meetingID=abc123&meta_file_checksum=x",
		"meta_file_checksum=x&meetingID=abc123",
		"name=checksum+review&meetingID=abc123",
		"meetingID=abc123&name=checksum%3Dabc",
		"meetingID=abc123&checksumx=1&xchecksum=2",
	} {
		cs := Checksum(SHA1, "create", q, docSecret)
		for where, raw := range placements(q, cs) {
			got, err := Verify("create", raw, AllAlgorithms, docSecret)
			if err != nil {
				t.Errorf("%s of %q: %v", where, q, err)
				continue
			}
			if got != q {
				t.Errorf("%s of %q: forwarded %q", where, q, got)
			}
		}
	}
}

func TestVerifySeveralSecrets(t *testing.T) {
	raw := docQuery + "&checksum=" + docSHA256
	for _, secrets := range [][]string{
		{docSecret},
		{docSecret, "other"},
		{"other", docSecret},
		{"a", "b", docSecret, "c"},
		{docSecret, docSecret},
	} {
		if _, err := Verify("create", raw, AllAlgorithms, secrets...); err != nil {
			t.Errorf("secrets %q: %v", secrets, err)
		}
	}
	if _, err := Verify("create", raw, AllAlgorithms, "a", "b", "c"); !errors.Is(err, ErrChecksumMismatch) {
		t.Errorf("no matching secret: %v", err)
	}
}

func TestVerifySplit(t *testing.T) {
	if err := VerifySplit("create", docQuery, docSHA384, SHA384, docSecret); err != nil {
		t.Errorf("sha384: %v", err)
	}
	if err := VerifySplit("create", docQuery, "", AllAlgorithms, docSecret); !errors.Is(err, ErrMissingChecksum) {
		t.Errorf("empty: %v", err)
	}
	// Mixed case hex.
	mixed := strings.ToUpper(docSHA1[:20]) + docSHA1[20:]
	if err := VerifySplit("create", docQuery, mixed, SHA1, docSecret); err != nil {
		t.Errorf("mixed case: %v", err)
	}
}

func TestSplitChecksum(t *testing.T) {
	tests := []struct {
		raw, query, cs string
	}{
		{"", "", ""},
		{"a=1", "a=1", ""},
		{"checksum=abc", "", "abc"},
		{"checksum=abc&a=1", "a=1", "abc"},
		{"a=1&checksum=abc", "a=1", "abc"},
		{"a=1&checksum=abc&b=2", "a=1&b=2", "abc"},
		{"a=1&checksum=", "a=1", ""},
		{"meta_file_checksum=x&a=1", "meta_file_checksum=x&a=1", ""},
		{"meta_file_checksum=x&checksum=abc", "meta_file_checksum=x", "abc"},
		{"name=checksum+review", "name=checksum+review", ""},
		// The first checksum is the one (as Java's getParameter).
		{"checksum=abc&checksum=def", "checksum=def", "abc"},
		// Control characters are stripped before anything else.
		{"a=1\r\n&check\tsum=abc", "a=1", "abc"},
		{"a=\x001&b=2\x7f", "a=1&b=2", ""},
	}
	for _, tt := range tests {
		q, cs := SplitChecksum(tt.raw)
		if q != tt.query || cs != tt.cs {
			t.Errorf("SplitChecksum(%q) = %q, %q; want %q, %q", tt.raw, q, cs, tt.query, tt.cs)
		}
	}
}

func TestVerifyStripsControlCharacters(t *testing.T) {
	// A client (or a proxy) adding a line break or tab must not change
	// the checksum; BBB strips them too.
	raw := "name=Test+Meeting&meetingID=abc123\n&attendeePW=111\t222&moderatorPW=333444\r&checksum=" + docSHA1
	q, err := Verify("create", raw, AllAlgorithms, docSecret)
	if err != nil {
		t.Fatal(err)
	}
	if q != docQuery {
		t.Errorf("forwarded %q, want %q", q, docQuery)
	}
	if got := stripControl("a\x00b\x1fc\x7fd\x20e\x80f"); got != "abcd e\x80f" {
		t.Errorf("stripControl = %q", got)
	}
}

func TestParseAlgorithms(t *testing.T) {
	good := []struct {
		in   string
		want Algorithm
	}{
		{"sha1", SHA1},
		{"sha256", SHA256},
		{"sha384", SHA384},
		{"sha512", SHA512},
		{"SHA-256", SHA256},
		{"Sha-1", SHA1},
		{"sha1,sha256", SHA1 | SHA256},
		{" sha1 , sha512 ", SHA1 | SHA512},
		{"sha1,sha256,sha384,sha512", AllAlgorithms},
		{"sha256,,sha256,", SHA256},
	}
	for _, tt := range good {
		got, err := ParseAlgorithms(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseAlgorithms(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", " ", ",", "md5", "sha1,md5", "sha", "sha224", "sha3-256", "sha1;sha256", "sha 1"} {
		got, err := ParseAlgorithms(in)
		if err == nil {
			t.Errorf("ParseAlgorithms(%q) = %v, want an error", in, got)
		}
		if got != 0 {
			t.Errorf("ParseAlgorithms(%q) gave set %v with its error", in, got)
		}
	}
	// The set parsed from "sha256" rejects a SHA-1 checksum.
	set, err := ParseAlgorithms("sha256")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify("create", docQuery+"&checksum="+docSHA1, set, docSecret); !errors.Is(err, ErrChecksumMismatch) {
		t.Errorf("sha256-only set accepted SHA-1: %v", err)
	}
	if _, err := Verify("create", docQuery+"&checksum="+docSHA256, set, docSecret); err != nil {
		t.Errorf("sha256-only set rejected SHA-256: %v", err)
	}
}

func TestAlgorithmStringHas(t *testing.T) {
	tests := []struct {
		a    Algorithm
		want string
	}{
		{SHA1, "sha1"}, {SHA256, "sha256"}, {SHA384, "sha384"}, {SHA512, "sha512"},
		{SHA1 | SHA512, "sha1,sha512"}, {AllAlgorithms, "sha1,sha256,sha384,sha512"}, {0, ""},
	}
	for _, tt := range tests {
		if got := tt.a.String(); got != tt.want {
			t.Errorf("%d.String() = %q, want %q", tt.a, got, tt.want)
		}
		if tt.a != 0 {
			back, err := ParseAlgorithms(tt.want)
			if err != nil || back != tt.a {
				t.Errorf("ParseAlgorithms(%q) = %v, %v", tt.want, back, err)
			}
		}
	}
	if !AllAlgorithms.Has(SHA384) || !AllAlgorithms.Has(SHA1|SHA512) {
		t.Error("AllAlgorithms.Has failed")
	}
	if SHA1.Has(SHA256) || SHA1.Has(SHA1|SHA256) {
		t.Error("SHA1.Has(SHA256) true")
	}
	if AllAlgorithms.Has(0) {
		t.Error("Has(0) true")
	}
}

func TestSignRoundTrip(t *testing.T) {
	queries := []string{
		"",
		docQuery,
		"meetingID=room%5B1%5D&name=%C3%9Cn%C3%AFcode+Room",
		"meetingID=a&meta_file_checksum=x&name=checksum+review",
	}
	lengths := map[Algorithm]int{SHA1: 40, SHA256: 64, SHA384: 96, SHA512: 128}
	for alg, n := range lengths {
		for _, q := range queries {
			signed := Sign(alg, "join", q, "s3cret")
			got, cs := SplitChecksum(signed)
			if got != q || len(cs) != n {
				t.Errorf("%v: SplitChecksum(Sign(%q)) = %q, %q", alg, q, got, cs)
			}
			if q == "" && signed != "checksum="+cs {
				t.Errorf("%v: Sign of empty query = %q", alg, signed)
			}
			if q != "" && signed != q+"&checksum="+cs {
				t.Errorf("%v: Sign(%q) = %q", alg, q, signed)
			}
			fwd, err := Verify("join", signed, alg, "s3cret")
			if err != nil || fwd != q {
				t.Errorf("%v: Verify(Sign(%q)) = %q, %v", alg, q, fwd, err)
			}
			if _, err := Verify("join", signed, AllAlgorithms&^alg, "s3cret"); err == nil {
				t.Errorf("%v: verified with its algorithm disallowed", alg)
			}
			if _, err := Verify("join", signed, alg, "other"); err == nil {
				t.Errorf("%v: verified with another secret", alg)
			}
		}
	}
	if got := Sign(SHA1, "create", docQuery, docSecret); got != docQuery+"&checksum="+docSHA1 {
		t.Errorf("Sign worked example = %q", got)
	}
}

func TestChecksumPanicsOnlyForNonSingle(t *testing.T) {
	for _, a := range []Algorithm{SHA1, SHA256, SHA384, SHA512} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("Checksum(%v) panicked: %v", a, r)
				}
			}()
			Checksum(a, "create", "", "x")
		}()
	}
	for _, a := range []Algorithm{0, SHA1 | SHA256, AllAlgorithms, 1 << 4, 0xff} {
		func() {
			defer func() {
				r := recover()
				if r == nil {
					t.Errorf("Checksum(%d) did not panic", a)
					return
				}
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "bbb: a checksum needs exactly one algorithm") {
					t.Errorf("Checksum(%d) panic value %v", a, r)
				}
			}()
			Checksum(a, "create", "", "x")
		}()
	}
}

func TestFormQuery(t *testing.T) {
	// The fallback vector: the worked example's parameters sent in a form body.
	form := map[string][]string{
		"name":        {"Test Meeting"},
		"meetingID":   {"abc123"},
		"attendeePW":  {"111222"},
		"moderatorPW": {"333444"},
		"checksum":    {"ignored"},
	}
	q := FormQuery(form)
	const sorted = "attendeePW=111222&meetingID=abc123&moderatorPW=333444&name=Test+Meeting"
	if q != sorted {
		t.Fatalf("FormQuery = %q, want %q", q, sorted)
	}
	if cs := Checksum(SHA1, "create", q, docSecret); cs != "0b89c2ebcfefb76772cbcf19386c33561f66f6ae" {
		t.Errorf("fallback checksum = %s", cs)
	}

	tests := []struct {
		form map[string][]string
		want string
	}{
		{nil, ""},
		{map[string][]string{"checksum": {"x"}}, ""},
		{map[string][]string{"a": {""}}, "a="},
		{map[string][]string{"b": {"2"}, "a": {"1"}, "B": {"3"}}, "B=3&a=1&b=2"},
		{map[string][]string{"k": {"1", "2"}}, "k=1&k=2"},
		{map[string][]string{"k": {}}, ""},
		{map[string][]string{"v": {"a b*c~d.e-f_g"}}, "v=a+b*c%7Ed.e-f_g"},
		{map[string][]string{"v": {"!'()"}}, "v=%21%27%28%29"},
		{map[string][]string{"v": {"Ünïcode Room"}}, "v=%C3%9Cn%C3%AFcode+Room"},
		{map[string][]string{"v": {"a+b&c=d/e?f%g"}}, "v=a%2Bb%26c%3Dd%2Fe%3Ff%25g"},
		{map[string][]string{"v": {"\x00\x7f\xff"}}, "v=%00%7F%FF"},
		{map[string][]string{"meta_x y": {"1"}}, "meta_x+y=1"},
		{map[string][]string{"v": {"€"}}, "v=%E2%82%AC"},
	}
	for _, tt := range tests {
		if got := FormQuery(tt.form); got != tt.want {
			t.Errorf("FormQuery(%q) = %q, want %q", tt.form, got, tt.want)
		}
	}
}

func TestJavaURLEncodeAllBytes(t *testing.T) {
	const hexU = "0123456789ABCDEF"
	for c := 0; c < 256; c++ {
		s := string([]byte{byte(c)})
		got := javaURLEncode(s)
		var want string
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '-', c == '*', c == '_':
			want = s
		case c == ' ':
			want = "+"
		default:
			want = "%" + string(hexU[c>>4]) + string(hexU[c&15])
		}
		if got != want {
			t.Errorf("javaURLEncode(%#x) = %q, want %q", c, got, want)
		}
		// Whatever Java encodes, Go decodes back.
		if d, err := url.QueryUnescape(got); err != nil || d != s {
			t.Errorf("QueryUnescape(%q) = %q, %v", got, d, err)
		}
	}
}

// TestRemoveAllIsJavaReplace compares removeAll with strings.ReplaceAll of
// the built pattern, which is what BBB's Java code does.
func TestRemoveAllIsJavaReplace(t *testing.T) {
	for _, s := range []string{
		"", "checksum=ab", "a=1&checksum=ab", "checksum=ab&a=1", "a=1&checksum=ab&b=2",
		"checksum=abchecksum=ab", "&checksum=ab&checksum=ab", "checksum=a", "checksum=abc&checksum=ab",
		"x&checksum=ab", "checksum=checksum=ab&",
	} {
		for _, p := range [][2]string{{"&checksum=", ""}, {"checksum=", "&"}, {"checksum=", ""}} {
			want := strings.ReplaceAll(s, p[0]+"ab"+p[1], "")
			if got := removeAll(s, p[0], "ab", p[1]); got != want {
				t.Errorf("removeAll(%q, %q, ab, %q) = %q, want %q", s, p[0], p[1], got, want)
			}
		}
	}
}

// TestAnyControl: every byte value at every place of strings around the
// eight-byte word, among bytes next to the boundaries (0x1f, 0x20, 0x7e,
// 0x7f, 0x80, 0xff), is found exactly when it is a control byte.
func TestAnyControl(t *testing.T) {
	for n := 1; n <= 19; n++ {
		for _, fill := range []byte{'a', 0x20, 0x7e, 0x80, 0xa0, 0xff} {
			for pos := range n {
				for c := range 256 {
					b := bytes.Repeat([]byte{fill}, n)
					b[pos] = byte(c)
					want := c < 0x20 || c == 0x7f
					if got := anyControl(string(b)); got != want {
						t.Fatalf("anyControl(%q) = %v", b, got)
					}
				}
			}
		}
	}
}
