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
	"sort"
	"strings"
	"sync"
	"unsafe"
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

// inputPool holds buffers for call+query+secret, so that hashing a request
// allocates nothing: checksums are computed on every API call.
var inputPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledInput keeps one huge query (a 200 KB userdata) from pinning a
// huge buffer in the pool.
const maxPooledInput = 64 << 10

// sum appends the lower-case hex of H(call + query + secret) to dst and
// returns it.
func sum(dst []byte, alg Algorithm, call, query, secret string) []byte {
	bp := inputPool.Get().(*[]byte)
	in := append(append(append((*bp)[:0], call...), query...), secret...)
	var digest [sha512.Size]byte
	var d []byte
	switch alg {
	case SHA1:
		s := sha1.Sum(in)
		d = digest[:copy(digest[:], s[:])]
	case SHA256:
		s := sha256.Sum256(in)
		d = digest[:copy(digest[:], s[:])]
	case SHA384:
		s := sha512.Sum384(in)
		d = digest[:copy(digest[:], s[:])]
	default:
		s := sha512.Sum512(in)
		d = digest[:copy(digest[:], s[:])]
	}
	if cap(in) <= maxPooledInput {
		*bp = in[:0]
		inputPool.Put(bp)
	}
	return hex.AppendEncode(dst, d)
}

// Checksum returns the lower-case hex checksum of call+query+secret with alg,
// where query is the raw query string without its checksum parameter.
// alg must be exactly one algorithm.
func Checksum(alg Algorithm, call, query, secret string) string {
	return string(sum(make([]byte, 0, hexLen(alg)), alg, call, query, secret))
}

// hexLen is the length of alg's checksum; it panics for anything but
// exactly one algorithm, a programming error.
func hexLen(alg Algorithm) int {
	for _, n := range algorithmNames {
		if n.alg == alg {
			return n.hex
		}
	}
	panic("bbb: a checksum needs exactly one algorithm, got " + alg.String())
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
	// The common case, one "checksum=" in the query, at the start of a
	// pair, and no bare "checksum" pair before it: that pair is the one
	// rawParam finds, and each replacement has that one place to match,
	// where the first that matches removes the pair and its '&' (no new
	// match can form across the cut: the pattern holds no '&', the byte
	// after the cut is one). Two index scans instead of four.
	if i := indexChecksum(raw); i < 0 {
		return raw, ""
	} else if strings.HasPrefix(raw[i+len("checksum"):], "=") && (i == 0 || raw[i-1] == '&') &&
		!strings.Contains(raw[i+len("checksum="):], "checksum=") {
		start := i + len("checksum=")
		end := len(raw)
		if j := strings.IndexByte(raw[start:], '&'); j >= 0 {
			end = start + j
		}
		checksum = raw[start:end]
		switch {
		case i > 0:
			return raw[:i-1] + raw[end:], checksum // "&checksum=<cs>"
		case end < len(raw):
			return raw[end+1:], checksum // "checksum=<cs>&"
		default:
			return "", checksum // "checksum=<cs>"
		}
	}
	checksum, found := rawParam(raw, "checksum")
	if !found {
		return raw, ""
	}
	q := removeAll(raw, "&checksum=", checksum, "")
	q = removeAll(q, "checksum=", checksum, "&")
	q = removeAll(q, "checksum=", checksum, "")
	return q, checksum
}

// indexChecksum is strings.Index(s, "checksum"), found by way of its 'k'.
// strings.Index looks for the pattern's first byte, and 'c' is in every
// few bytes of a query full of hex (meeting and user IDs, the checksum
// itself): one IndexByte call and one failed comparison each. 'k' is in
// no hex digit and few words, and each "checksum" has its own 'k', four
// bytes in, so the first 'k' that has "checksum" around it is the first
// "checksum".
func indexChecksum(s string) int {
	const pat, k = "checksum", 4 // pat[k] == 'k'
	// p is where a 'k' would stand: from k, up to the last place with
	// room for the rest of pat after it.
	for p := k; p+len(pat)-k <= len(s); p++ {
		j := strings.IndexByte(s[p:len(s)-(len(pat)-k-1)], 'k')
		if j < 0 {
			return -1
		}
		p += j
		if s[p-k:p-k+len(pat)] == pat {
			return p - k
		}
	}
	return -1
}

// removeAll returns s without every occurrence of pre+mid+post, left to
// right and not overlapping, as Java's String.replace(pattern, "") does,
// without building the pattern: this runs on every request.
func removeAll(s, pre, mid, post string) string {
	n := len(pre) + len(mid) + len(post)
	var b strings.Builder
	last := 0
	for i := 0; i+n <= len(s); {
		j := strings.Index(s[i:], pre)
		if j < 0 {
			break
		}
		j += i
		if j+n <= len(s) && s[j+len(pre):j+len(pre)+len(mid)] == mid && s[j+len(pre)+len(mid):j+n] == post {
			if last == 0 && j+n == len(s) {
				// The one occurrence ends s, as the checksum ends almost
				// every signed query: the rest is a prefix, no copy needed.
				return s[:j]
			}
			if last == 0 {
				b.Grow(len(s) - n)
			}
			b.WriteString(s[last:j])
			last, i = j+n, j+n
			continue
		}
		i = j + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
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
	if len(g) == 0 {
		return ErrChecksumMismatch
	}
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
	return SignedURL("", call, query, secret, alg)[len("/")+len(call)+len("?"):]
}

// SignedURL returns base + "/" + call + "?" + the signed query, built in
// one allocation: it is what every join redirect and backend call needs.
func SignedURL(base, call, query, secret string, alg Algorithm) string {
	n := len(base) + 1 + len(call) + 1 + len(query) + len("&checksum=") + hexLen(alg)
	b := make([]byte, 0, n)
	b = append(append(append(append(b, base...), '/'), call...), '?')
	if query != "" {
		b = append(append(b, query...), '&')
	}
	b = append(b, "checksum="...)
	b = sum(b, alg, call, query, secret)
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// SignedURLParams is SignedURL(base, call, p.Encode(), secret, alg), with
// the query encoded straight into the URL: one allocation for a join's
// redirect instead of two.
func SignedURLParams(base, call string, p Params, secret string, alg Algorithm) string {
	qlen := p.encodedLen()
	n := len(base) + 1 + len(call) + 1 + qlen + len("&checksum=") + hexLen(alg)
	b := make([]byte, 0, n)
	b = append(append(append(append(b, base...), '/'), call...), '?')
	start := len(b)
	b = p.appendEncoded(b)
	// query shares b's bytes; n is enough for all that follows, so they
	// are never moved or written again.
	query := unsafe.String(unsafe.SliceData(b[start:]), len(b)-start)
	if query != "" {
		b = append(b, '&')
	}
	b = append(b, "checksum="...)
	b = sum(b, alg, call, query, secret)
	return unsafe.String(unsafe.SliceData(b), len(b))
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
