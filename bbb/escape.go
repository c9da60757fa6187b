package bbb

// queryKeptTable marks the bytes url.QueryEscape keeps as they are: the
// unreserved characters of RFC 3986 (letters, digits, '-', '_', '.', '~').
// A table, not a chain of comparisons: every byte of every join goes
// through it twice.
var queryKeptTable = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~'
	}
	return t
}()

// queryKept reports whether url.QueryEscape keeps the byte c as it is.
func queryKept(c byte) bool { return queryKeptTable[c] }

// queryGrowth is how many bytes url.QueryEscape adds for each byte: 2 for
// one it writes as %XX, none for one kept or a space (written '+').
var queryGrowth = func() (t [256]uint8) {
	for c := range t {
		if !queryKeptTable[c] && c != ' ' {
			t[c] = 2
		}
	}
	return t
}()

// queryEscapedLen is len(url.QueryEscape(s)), without building it.
func queryEscapedLen(s string) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		n += int(queryGrowth[s[i]])
	}
	return n
}

// appendQueryEscaped appends url.QueryEscape(s) to b without the string
// QueryEscape would allocate for each parameter.
func appendQueryEscaped(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if queryKept(c) {
			continue
		}
		b = append(b, s[start:i]...)
		if c == ' ' {
			b = append(b, '+')
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
		start = i + 1
	}
	return append(b, s[start:]...)
}
