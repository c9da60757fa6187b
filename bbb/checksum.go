// Package bbb speaks the BigBlueButton API: call names, the checksum rule,
// the XML envelope and its errors, and a client for one BBB server.
//
// It is the only place in tinyscale where a checksum string is built or
// checked. It knows nothing of pools, stores or tenants.
package bbb

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"sort"
	"strings"
	"sync"
)

// Algorithm is a checksum hash function BBB accepts. Values combine with |
// into a set, as TINYSCALE_CHECKSUM_ALGORITHMS does.
type Algorithm uint8

// The four algorithms BBB accepts, told apart by the length of the checksum.
const (
	SHA1 Algorithm = 1 << iota
	SHA256
	SHA384
	SHA512
)

// AllAlgorithms is BBB's default supportedChecksumAlgorithms.
const AllAlgorithms = SHA1 | SHA256 | SHA384 | SHA512

var algorithmNames = []struct {
	alg  Algorithm
	name string
	hex  int
}{
	{SHA1, "sha1", 40},
	{SHA256, "sha256", 64},
	{SHA384, "sha384", 96},
	{SHA512, "sha512", 128},
}

// String gives the lower-case name BBB uses in supportedChecksumAlgorithms,
// or a comma-separated list for a set.
func (a Algorithm) String() string {
	var names []string
	for _, n := range algorithmNames {
		if a&n.alg != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ",")
}

// Has reports whether the set a contains every algorithm in b.
func (a Algorithm) Has(b Algorithm) bool { return b != 0 && a&b == b }

// ParseAlgorithms reads a comma-separated list such as "sha1,sha256".
// Names are case-insensitive; "sha-256" is accepted for "sha256".
func ParseAlgorithms(s string) (Algorithm, error) {
	var set Algorithm
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(f), "-", ""))
		if f == "" {
			continue
		}
		found := false
		for _, n := range algorithmNames {
			if n.name == f {
				set |= n.alg
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown checksum algorithm %q (want sha1, sha256, sha384 or sha512)", f)
		}
	}
	if set == 0 {
		return 0, errors.New("no checksum algorithm given (want sha1, sha256, sha384 or sha512)")
	}
	return set, nil
}

// algorithmForLength picks the algorithm the way BBB does: by the checksum's length.
func algorithmForLength(n int) Algorithm {
	for _, a := range algorithmNames {
		if a.hex == n {
			return a.alg
		}
	}
	return 0
}

var hashPools = map[Algorithm]*sync.Pool{
	SHA1:   {New: func() any { return sha1.New() }},
	SHA256: {New: func() any { return sha256.New() }},
	SHA384: {New: func() any { return sha512.New384() }},
	SHA512: {New: func() any { return sha512.New() }},
}

// sum computes H(call + query + secret) into dst (hex, lower case) and returns it.
func sum(dst []byte, alg Algorithm, call, query, secret string) []byte {
	p := hashPools[alg]
	h := p.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(call))
	h.Write([]byte(query))
	h.Write([]byte(secret))
	var raw [sha512.Size]byte
	out := h.Sum(raw[:0])
	p.Put(h)
	n := hex.EncodedLen(len(out))
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	dst = dst[:n]
	hex.Encode(dst, out)
	return dst
}

// Checksum returns the lower-case hex checksum of call+query+secret with alg,
// where query is the raw query string without its checksum parameter.
// alg must be exactly one algorithm.
func Checksum(alg Algorithm, call, query, secret string) string {
	if hashPools[alg] == nil {
		panic("bbb: Checksum needs exactly one algorithm, got " + alg.String())
	}
	return string(sum(nil, alg, call, query, secret))
}

// Errors from Verify. Both are answered with messageKey checksumError.
var (
	//lint:ignore ST1005 BBB's exact message, sent to clients
	ErrMissingChecksum = errors.New("You must provide the checksum")
	//lint:ignore ST1005 BBB's exact message, sent to clients
	ErrChecksumMismatch = errors.New("Checksums do not match")
)

// SplitChecksum finds the checksum parameter in a raw query and removes it
// the way BBB does: by literal replacement of "&checksum=<cs>", then
// "checksum=<cs>&", then "checksum=<cs>", so the checksum may stand first,
// in the middle or last. Nothing else in the query is touched. ASCII
// control characters are stripped first, as BBB does.
func SplitChecksum(raw string) (query, checksum string) {
	raw = stripControl(raw)
	checksum, found := rawParam(raw, "checksum")
	if !found {
		return raw, ""
	}
	q := strings.ReplaceAll(raw, "&checksum="+checksum, "")
	q = strings.ReplaceAll(q, "checksum="+checksum+"&", "")
	q = strings.ReplaceAll(q, "checksum="+checksum, "")
	return q, checksum
}

// Verify checks the checksum of a request for call whose raw query string is
// raw. It returns the query without the checksum, as it must be forwarded,
// or an error: ErrMissingChecksum or ErrChecksumMismatch. Only algorithms in
// allowed are accepted. Every secret in secrets is tried; the comparison is
// in constant time.
func Verify(call, raw string, allowed Algorithm, secrets ...string) (query string, err error) {
	query, cs := SplitChecksum(raw)
	if err := VerifySplit(call, query, cs, allowed, secrets...); err != nil {
		return "", err
	}
	return query, nil
}

// VerifySplit checks checksum cs against call+query+secret for each secret.
// query must already have the checksum removed (see SplitChecksum).
func VerifySplit(call, query, cs string, allowed Algorithm, secrets ...string) error {
	if cs == "" {
		return ErrMissingChecksum
	}
	alg := algorithmForLength(len(cs))
	if alg == 0 || !allowed.Has(alg) {
		return ErrChecksumMismatch
	}
	var given [128]byte
	g := given[:len(cs)]
	for i := 0; i < len(cs); i++ {
		c := cs[i]
		if 'A' <= c && c <= 'F' {
			c += 'a' - 'A' // BBB 2.6+ ignores hex case
		}
		g[i] = c
	}
	var buf [128]byte
	ok := 0
	for _, s := range secrets {
		if s == "" {
			continue // an empty secret is public: BBB would disable checks, tinyscale never does
		}
		want := sum(buf[:0], alg, call, query, s)
		ok |= subtle.ConstantTimeCompare(want, g)
	}
	if ok != 1 {
		return ErrChecksumMismatch
	}
	return nil
}

// Sign returns query with a checksum parameter for call and secret appended,
// ready to be sent to a BBB server.
func Sign(alg Algorithm, call, query, secret string) string {
	cs := Checksum(alg, call, query, secret)
	if query == "" {
		return "checksum=" + cs
	}
	return query + "&checksum=" + cs
}

// FormQuery rebuilds the query string BBB 2.4–2.7 hashed for a POST whose
// parameters came in a form body: keys sorted, values encoded as Java's
// URLEncoder does (space as '+'), the checksum left out.
func FormQuery(params map[string][]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "checksum" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range params[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(javaURLEncode(k))
			b.WriteByte('=')
			b.WriteString(javaURLEncode(v))
		}
	}
	return b.String()
}

// javaURLEncode encodes s as java.net.URLEncoder does with UTF-8: letters,
// digits and ".-*_" stay, space becomes '+', every other byte is %XX.
func javaURLEncode(s string) string {
	const hexdigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '-', c == '*', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexdigits[c>>4])
			b.WriteByte(hexdigits[c&15])
		}
	}
	return b.String()
}
