package bbbfake

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"hash"
	"net/url"
	"sort"
	"strings"

	"github.com/tinyscale/tinyscale/bbb"
)

// This file is the fake's own implementation of BBB's checksum rule. It
// deliberately shares no code with package bbb: the fake is what
// tinyscale's checksum code is tested against, so if both used one
// implementation a wrong rule would pass every test. It follows BBB's
// documentation (docs.bigbluebutton.org/development/api/#usage: checksum =
// hex(SHA(callName + queryString + sharedSecret)), the checksum parameter
// left out) and BBB's bbb-web (GetChecksumValidator: the algorithm is
// chosen by the checksum's length, 40/64/96/128 hex digits for
// SHA-1/256/384/512, each only if supportedChecksumAlgorithms lists it,
// compared with equalsIgnoreCase; GetChecksum: the checksum is cut out of
// the raw query by literal replacement of "&checksum=X", "checksum=X&" and
// "checksum=X", in that order; ParamsUtil.sanitizeString: control
// characters are removed first).

// BBB's checksum failures (bbb-web's Checksum and GetChecksumConstraint).
var (
	//lint:ignore ST1005 BBB's exact message
	errNoChecksum = errors.New("You must provide the checksum")
	//lint:ignore ST1005 BBB's exact message
	errChecksumsDiffer = errors.New("Checksums do not match")
)

// checksumHash is one algorithm of supportedChecksumAlgorithms.
type checksumHash struct {
	name   string
	digits int
	flag   bbb.Algorithm // the bit of the fake's SetAlgorithms set
	newH   func() hash.Hash
}

// checksumHashes are BBB's four algorithms, by checksum length.
var checksumHashes = []checksumHash{
	{"sha1", 40, bbb.SHA1, sha1.New},
	{"sha256", 64, bbb.SHA256, sha256.New},
	{"sha384", 96, bbb.SHA384, sha512.New384},
	{"sha512", 128, bbb.SHA512, sha512.New},
}

// hashByLength returns the algorithm a checksum of n hex digits uses.
func hashByLength(n int) (checksumHash, bool) {
	for _, h := range checksumHashes {
		if h.digits == n {
			return h, true
		}
	}
	return checksumHash{}, false
}

// hashByName returns the algorithm called name ("sha1", "sha256", …).
func hashByName(name string) (checksumHash, bool) {
	for _, h := range checksumHashes {
		if h.name == name {
			return h, true
		}
	}
	return checksumHash{}, false
}

// hexDigest is the lower-case hex of h(call + query + secret).
func hexDigest(h checksumHash, call, query, secret string) string {
	d := h.newH()
	d.Write([]byte(call + query + secret))
	return hex.EncodeToString(d.Sum(nil))
}

// withoutControl drops ASCII control characters, as bbb-web's
// sanitizeString does to the query before hashing.
func withoutControl(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x20 && s[i] != 0x7f {
			out = append(out, s[i])
		}
	}
	return string(out)
}

// checksumParam returns the checksum parameter's decoded value, as bbb-web
// reads it with request.getParameter("checksum"): the first one.
func checksumParam(raw string) string {
	for _, pair := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if k != "checksum" {
			continue
		}
		if d, err := url.QueryUnescape(v); err == nil {
			return d
		}
		return v
	}
	return ""
}

// cutChecksum removes checksum cs from raw as bbb-web does, with Java's
// String.replace (every occurrence), in BBB's order.
func cutChecksum(raw, cs string) string {
	q := strings.ReplaceAll(raw, "&checksum="+cs, "")
	q = strings.ReplaceAll(q, "checksum="+cs+"&", "")
	return strings.ReplaceAll(q, "checksum="+cs, "")
}

// checkChecksum is BBB's check of checksum cs over call+query+secret for
// the algorithms in allowed.
func checkChecksum(call, query, cs, secret string, allowed bbb.Algorithm) error {
	if cs == "" {
		return errNoChecksum
	}
	h, ok := hashByLength(len(cs))
	if !ok || allowed&h.flag == 0 {
		return errChecksumsDiffer
	}
	if !strings.EqualFold(hexDigest(h, call, query, secret), cs) {
		return errChecksumsDiffer
	}
	return nil
}

// VerifyChecksum checks the checksum of a GET request for call whose raw
// query string is raw, the way BBB does, with every algorithm allowed. It
// returns the query with the checksum removed. It is the fake's own
// implementation, independent of package bbb, for tests to check what
// tinyscale signs.
func VerifyChecksum(call, raw, secret string) (query string, err error) {
	return verifyQuery(call, raw, secret, bbb.AllAlgorithms)
}

func verifyQuery(call, raw, secret string, allowed bbb.Algorithm) (string, error) {
	raw = withoutControl(raw)
	cs := checksumParam(raw)
	if cs == "" {
		return "", errNoChecksum
	}
	q := cutChecksum(raw, cs)
	if err := checkChecksum(call, q, cs, secret, allowed); err != nil {
		return "", err
	}
	return q, nil
}

// SignQuery returns query with "&checksum=" and BBB's checksum for call and
// secret appended, hashed with alg ("sha1", "sha256", "sha384" or
// "sha512"): what a BBB client library sends. It panics on another name.
func SignQuery(alg, call, query, secret string) string {
	h, ok := hashByName(alg)
	if !ok {
		panic("bbbfake: unknown checksum algorithm " + alg)
	}
	cs := hexDigest(h, call, query, secret)
	if query == "" {
		return "checksum=" + cs
	}
	return query + "&checksum=" + cs
}

// javaFormQuery is the query BBB 2.4–2.7 rebuilt for a POST whose
// parameters all came in a form body: names sorted, every value encoded as
// java.net.URLEncoder does (letters, digits and ".-*_" kept, space as '+',
// all else %XX), checksum left out.
func javaFormQuery(params url.Values) string {
	names := make([]string, 0, len(params))
	for k := range params {
		if k != "checksum" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var pairs []string
	for _, k := range names {
		for _, v := range params[k] {
			pairs = append(pairs, javaEncode(k)+"="+javaEncode(v))
		}
	}
	return strings.Join(pairs, "&")
}

// javaEncode is URLEncoder.encode(s, "UTF-8"). Go's QueryEscape differs
// from it only in '*' (Java keeps it) and '~' (Java escapes it).
func javaEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "%2A", "*")
	return strings.ReplaceAll(e, "~", "%7E")
}
