package bbb

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"testing"
)

// The tests in this file hold package bbb's checksum code to sources
// outside it: the BBB documentation's worked example, checked with a
// plain crypto/sha1 call, and refVerify, a second implementation of BBB's
// rule written here from BBB's documentation and bbb-web's source, so
// that a wrong rule in checksum.go cannot prove itself.

// The worked example of the BBB API documentation, section "Usage"
// (https://docs.bigbluebutton.org/development/api/#usage, the same in the
// 2.6, 2.7, 3.0 and 3.1 pages): steps 1–5, quoted.
const (
	docsExampleQuery  = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
	docsExampleSecret = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"
	docsExampleString = "createname=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444639259d4-9dd8-4b25-bf01-95f9567eaf4b"
	docsExampleSHA1   = "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"
	docsExampleFinal  = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444&checksum=1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"
)

func TestDocumentationWorkedExample(t *testing.T) {
	// The example is self-consistent: crypto/sha1 of the documented string
	// is the documented sum.
	sum := sha1.Sum([]byte(docsExampleString))
	if got := hex.EncodeToString(sum[:]); got != docsExampleSHA1 {
		t.Fatalf("sha1 of the documented string = %s, documented %s", got, docsExampleSHA1)
	}
	if got := Checksum(SHA1, "create", docsExampleQuery, docsExampleSecret); got != docsExampleSHA1 {
		t.Errorf("Checksum = %s, documented %s", got, docsExampleSHA1)
	}
	if got := Sign(SHA1, "create", docsExampleQuery, docsExampleSecret); got != docsExampleFinal {
		t.Errorf("Sign = %s, documented %s", got, docsExampleFinal)
	}
	q, err := Verify("create", docsExampleFinal, AllAlgorithms, docsExampleSecret)
	if err != nil || q != docsExampleQuery {
		t.Errorf("Verify(documented query) = %q, %v", q, err)
	}
	// The other algorithms (BBB 2.6+, chosen by length) over the same
	// string, each computed here with the standard library directly.
	for _, h := range refHashes {
		d := h.new()
		d.Write([]byte(docsExampleString))
		want := hex.EncodeToString(d.Sum(nil))
		if got := Checksum(h.alg, "create", docsExampleQuery, docsExampleSecret); got != want {
			t.Errorf("%v: Checksum = %s, crypto says %s", h.alg, got, want)
		}
		if _, err := Verify("create", docsExampleQuery+"&checksum="+want, AllAlgorithms, docsExampleSecret); err != nil {
			t.Errorf("%v: documented input refused: %v", h.alg, err)
		}
	}
}

// refHash is one of BBB's algorithms, as bbb-web's GetChecksumValidator
// picks it: by the checksum's length.
type refHash struct {
	alg    Algorithm
	digits int
	new    func() hash.Hash
}

var refHashes = []refHash{
	{SHA1, 40, sha1.New},
	{SHA256, 64, sha256.New},
	{SHA384, 96, sha512.New384},
	{SHA512, 128, sha512.New},
}

// refVerify is BBB's rule written out plainly, for differential tests:
// strip control bytes; take the first checksum parameter; cut
// "&checksum=X", "checksum=X&", "checksum=X" as Java's String.replace
// does; pick the hash by length if allowed; compare ignoring case. An
// empty secret never verifies (BBB would turn checking off; tinyscale
// never does).
func refVerify(call, raw string, allowed Algorithm, secret string) (string, error) {
	var clean []byte
	for i := 0; i < len(raw); i++ {
		if raw[i] >= 0x20 && raw[i] != 0x7f {
			clean = append(clean, raw[i])
		}
	}
	raw = string(clean)
	cs := ""
	for _, pair := range strings.Split(raw, "&") {
		if k, v, _ := strings.Cut(pair, "="); k == "checksum" {
			cs = v
			break
		}
	}
	if cs == "" {
		return "", ErrMissingChecksum
	}
	q := strings.ReplaceAll(raw, "&checksum="+cs, "")
	q = strings.ReplaceAll(q, "checksum="+cs+"&", "")
	q = strings.ReplaceAll(q, "checksum="+cs, "")
	for _, h := range refHashes {
		if h.digits != len(cs) || allowed&h.alg == 0 || secret == "" {
			continue
		}
		d := h.new()
		d.Write([]byte(call + q + secret))
		if strings.EqualFold(hex.EncodeToString(d.Sum(nil)), cs) {
			return q, nil
		}
	}
	return "", ErrChecksumMismatch
}

// refSign appends a checksum computed by refHashes.
func refSign(h refHash, call, query, secret string) string {
	d := h.new()
	d.Write([]byte(call + query + secret))
	cs := hex.EncodeToString(d.Sum(nil))
	if query == "" {
		return "checksum=" + cs
	}
	return query + "&checksum=" + cs
}

// otherHex returns a hex digit other than c (either case).
func otherHex(c byte) byte {
	if c == '0' {
		return '1'
	}
	return '0'
}

// Every single-character change of a checksum of the right length is
// refused, for every algorithm and every position: a comparison of a
// prefix, a suffix or every other character would pass some of these.
func TestVerifyRefusesEveryOneCharacterChange(t *testing.T) {
	for _, h := range refHashes {
		signed := refSign(h, "create", docsExampleQuery, docsExampleSecret)
		cs := signed[len(signed)-h.digits:]
		if _, err := Verify("create", signed, AllAlgorithms, docsExampleSecret); err != nil {
			t.Fatalf("%v: the unchanged checksum is refused: %v", h.alg, err)
		}
		for i := range h.digits {
			for _, c := range []byte{otherHex(cs[i]), 'g', 'G', '-'} {
				bad := []byte(cs)
				bad[i] = c
				raw := signed[:len(signed)-h.digits] + string(bad)
				if q, err := Verify("create", raw, AllAlgorithms, docsExampleSecret); !errors.Is(err, ErrChecksumMismatch) {
					t.Fatalf("%v: checksum with position %d changed to %q: Verify = %q, %v; want %v", h.alg, i, c, q, err, ErrChecksumMismatch)
				}
			}
		}
		// The checksum of one algorithm cut to the length of a shorter
		// one is refused too.
		for _, short := range refHashes {
			if short.digits < h.digits {
				raw := docsExampleQuery + "&checksum=" + cs[:short.digits]
				if _, err := Verify("create", raw, AllAlgorithms, docsExampleSecret); err == nil {
					t.Fatalf("%v checksum cut to %d digits accepted", h.alg, short.digits)
				}
			}
		}
	}
}

// A changed byte anywhere in a signed query — parameter, call name or
// secret — is refused; the same query unchanged is accepted.
func TestVerifyRefusesEveryOneByteChangeOfTheQuery(t *testing.T) {
	signed := refSign(refHashes[0], "join", greenlightJoin, docsExampleSecret)
	if _, err := Verify("join", signed, AllAlgorithms, docsExampleSecret); err != nil {
		t.Fatal(err)
	}
	for i := range len(greenlightJoin) {
		b := []byte(signed)
		b[i] ^= 0x01
		if b[i] < 0x20 || b[i] == 0x7f || b[i] == '&' {
			continue // stripped or a new pair: not a one-byte change of what is hashed
		}
		if q, err := Verify("join", string(b), AllAlgorithms, docsExampleSecret); err == nil {
			t.Fatalf("byte %d changed (%q): accepted, query %q", i, b[i], q)
		}
	}
}

// refVerify agrees with the documentation's example, so the differential
// tests below compare Verify with something known to be right.
func TestRefVerifyMatchesDocumentation(t *testing.T) {
	q, err := refVerify("create", docsExampleFinal, AllAlgorithms, docsExampleSecret)
	if err != nil || q != docsExampleQuery {
		t.Fatalf("refVerify(documented) = %q, %v", q, err)
	}
}

// FuzzVerifyDifferential: for any request, Verify and refVerify agree on
// acceptance, the error and the query handed on. The seeds are signed
// queries with one byte changed, so the fuzzer starts at the edge where a
// weakened comparison would accept what BBB refuses.
func FuzzVerifyDifferential(f *testing.F) {
	addQuerySeeds(f, func(call, query string) {
		f.Add(call, query, docSecret, uint8(0), uint16(0), byte(0))
	})
	for i, h := range refHashes {
		s := refSign(h, "create", docsExampleQuery, docsExampleSecret)
		f.Add("create", s, docsExampleSecret, uint8(i), uint16(len(s)-3), byte('0'))
		f.Add("create", s, docsExampleSecret, uint8(i), uint16(len(s)-h.digits), byte('f'))
	}
	f.Fuzz(func(t *testing.T, call, raw, secret string, algIdx uint8, pos uint16, c byte) {
		check := func(raw string) {
			allowed := AllAlgorithms
			if algIdx&0x80 != 0 {
				allowed = fuzzAlgs[int(algIdx)%len(fuzzAlgs)]
			}
			got, err := Verify(call, raw, allowed, secret)
			want, wantErr := refVerify(call, raw, allowed, secret)
			if !errors.Is(err, wantErr) && !(err == nil && wantErr == nil) || got != want {
				t.Fatalf("Verify(%q, %q, %v) = %q, %v; BBB's rule gives %q, %v", call, raw, allowed, got, err, want, wantErr)
			}
		}
		check(raw)
		// The same query signed by the reference, then with one byte
		// changed: the reference decides, Verify must agree.
		h := refHashes[int(algIdx)%len(refHashes)]
		if hasChecksumParam(raw) || hasControl(raw) {
			return
		}
		signed := refSign(h, call, raw, secret)
		check(signed)
		if len(signed) > 0 {
			b := []byte(signed)
			b[int(pos)%len(b)] = c
			check(string(b))
		}
	})
}

// Verify's mismatch error never says which part differed or echoes the
// expected checksum: the message is BBB's fixed text.
func TestVerifyErrorRevealsNothing(t *testing.T) {
	want := Checksum(SHA1, "create", docsExampleQuery, docsExampleSecret)
	_, err := Verify("create", docsExampleQuery+"&checksum="+strings.Repeat("0", 40), AllAlgorithms, docsExampleSecret)
	if err == nil || strings.Contains(fmt.Sprint(err), want) || strings.Contains(fmt.Sprint(err), docsExampleSecret) {
		t.Fatalf("error %v", err)
	}
}
