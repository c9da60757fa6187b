package bbbfake

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The encodings bbb-webhooks' deliveries use, written out so that the
// fake's bytes are the bytes a real server sends.

// jsString is JavaScript's JSON.stringify of a string: only '"', '\\'
// and control characters are escaped (Go's encoder also escapes <, >, &
// and U+2028/2029, which would change a checksum over the text).
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

// formURLSearchParams encodes like the WHATWG URLSearchParams (bbb-webhooks
// 3.x): alphanumerics and *-._ stay, space becomes '+', the rest %XX.
func formURLSearchParams(s string) string {
	return percent(s, "*-._", true)
}

// formRFC3986 encodes like the qs module behind `request` (bbb-webhooks
// 2.6): the unreserved characters stay, space becomes %20.
func formRFC3986(s string) string {
	return percent(s, "-._~", false)
}

func percent(s, keep string, plus bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte(keep, c) >= 0:
			b.WriteByte(c)
		case c == ' ' && plus:
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
