package hooks

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
	"unicode/utf8"
)

// How bbb-webhooks signs a delivery, in each of its versions:
//
//	2.6       sha1(callbackURL + JSON.stringify({event, timestamp, domain}) + secret)
//	3.0–3.3   H(callbackURL + "{}" + secret): the body is not covered
//	3.4+      H(callbackURL + form body + secret)
//
// H is SHA-1 unless the server's hookChecksumAlgorithm says otherwise; the
// checksum is appended to the callbackURL as ?checksum= (&checksum= when
// it has a query). tinyscale signs what it delivers as 3.4+ does, with
// SHA-1, and accepts all three from a backend.

// signedURL returns callbackURL with the checksum of body under secret.
func signedURL(callbackURL string, body []byte, secret string) string {
	h := sha1.New()
	h.Write([]byte(callbackURL))
	h.Write(body)
	h.Write([]byte(secret))
	sep := "?"
	if strings.Contains(callbackURL, "?") {
		sep = "&"
	}
	return callbackURL + sep + "checksum=" + hex.EncodeToString(h.Sum(nil))
}

// hashFor picks the algorithm by the checksum's length, as bbb-webhooks 3.x
// does; nil for a length no algorithm has.
func hashFor(checksum string) func() hash.Hash {
	switch len(checksum) {
	case 40:
		return sha1.New
	case 64:
		return sha256.New
	case 96:
		return sha512.New384
	case 128:
		return sha512.New
	}
	return nil
}

// verifyDelivery reports whether checksum signs a delivery of body to
// callbackURL under secret in any bbb-webhooks version. event, timestamp
// and domain are the decoded form fields, for the 2.6 form.
func verifyDelivery(checksum, callbackURL string, body []byte, event, timestamp, domain, secret string) bool {
	newHash := hashFor(checksum)
	if newHash == nil {
		return false
	}
	want, err := hex.DecodeString(strings.ToLower(checksum))
	if err != nil {
		return false
	}
	candidates := [][]byte{body, []byte("{}")}
	if isDigits(timestamp) {
		candidates = append(candidates, []byte(`{"event":`+jsString(event)+`,"timestamp":`+timestamp+`,"domain":`+jsString(domain)+`}`))
	}
	ok := 0
	for _, c := range candidates {
		h := newHash()
		h.Write([]byte(callbackURL))
		h.Write(c)
		h.Write([]byte(secret))
		ok |= subtle.ConstantTimeCompare(h.Sum(nil), want)
	}
	return ok == 1
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// jsString is JavaScript's JSON.stringify of a string: only '"', '\\' and
// control characters are escaped.
func jsString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteString(strconv.FormatInt(int64(r)>>4, 16))
			b.WriteString(strconv.FormatInt(int64(r)&15, 16))
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteByte('"')
	return b.String()
}

// formValue encodes like the WHATWG URLSearchParams that bbb-webhooks 3.x
// builds its bodies with: alphanumerics and *-._ stay, space is '+'.
func formValue(s string) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '*', c == '-', c == '.', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexd[c>>4])
			b.WriteByte(hexd[c&15])
		}
	}
	return b.String()
}

// deliveryBody is the form body bbb-webhooks 3.x posts for one event.
func deliveryBody(domain string, event []byte, timestampMs int64) []byte {
	return []byte("domain=" + formValue(domain) + "&event=" + formValue("["+string(event)+"]") +
		"&timestamp=" + strconv.FormatInt(timestampMs, 10))
}
