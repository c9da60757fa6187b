package bbb

import "strings"

// queryKept reports whether url.QueryEscape keeps the byte c as it is: the
// unreserved characters of RFC 3986 (letters, digits, '-', '_', '.', '~').
func queryKept(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// queryEscapedLen is len(url.QueryEscape(s)), without building it.
func queryEscapedLen(s string) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		if c := s[i]; !queryKept(c) && c != ' ' {
			n += 2
		}
	}
	return n
}

// writeQueryEscaped writes url.QueryEscape(s) to b without the string
// QueryEscape would allocate for each parameter.
func writeQueryEscaped(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if queryKept(c) {
			continue
		}
		b.WriteString(s[start:i])
		if c == ' ' {
			b.WriteByte('+')
		} else {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
}
