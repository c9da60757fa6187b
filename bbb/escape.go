package bbb

import "math/bits"

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

// queryChanged is 1 for each byte url.QueryEscape does not keep (a space
// included), 0 for one it keeps: a number, not a bool, so that eight of
// them make a bit mask with shifts and ors, without a branch.
var queryChanged = func() (t [256]uint8) {
	for c := range t {
		if !queryKeptTable[c] {
			t[c] = 1
		}
	}
	return t
}()

// Both scans below take eight bytes a turn, as eight table lookups with
// no branch between them, and a string shorter than that, or the last
// bytes of one, a byte at a time. The sizing pass so spends less on loop
// bookkeeping and adds in two independent sums; the writing pass tests
// one mask for eight bytes instead of branching on each, and most words
// of a join have nothing to change. Word-at-a-time arithmetic (SWAR)
// over a uint64 was measured too: testing five ranges and two single
// bytes takes some fifty instructions a word, and it ran no faster than
// the byte-at-a-time table it was to replace.

// queryEscapedLen is len(url.QueryEscape(s)), without building it. The
// growth goes to two sums, so that the additions of one turn do not wait
// on one another.
func queryEscapedLen(s string) int {
	g := &queryGrowth
	n0, n1 := len(s), 0
	i := 0
	for ; i+8 <= len(s); i += 8 {
		t := s[i : i+8]
		n0 += int(g[t[0]]) + int(g[t[2]]) + int(g[t[4]]) + int(g[t[6]])
		n1 += int(g[t[1]]) + int(g[t[3]]) + int(g[t[5]]) + int(g[t[7]])
	}
	for ; i < len(s); i++ {
		n0 += int(g[s[i]])
	}
	return n0 + n1
}

// appendQueryEscaped appends url.QueryEscape(s) to b without the string
// QueryEscape would allocate for each parameter. The kept bytes between
// two changed ones go in one append; eight bytes all kept, most of a
// join, cost eight lookups and one branch.
func appendQueryEscaped(b []byte, s string) []byte {
	c := &queryChanged
	start := 0 // s[start:] is not yet in b
	i := 0
	for ; i+8 <= len(s); i += 8 {
		t := s[i : i+8]
		// Bit k of m is set when t[k] is to be changed.
		m := uint(c[t[0]]) | uint(c[t[1]])<<1 | uint(c[t[2]])<<2 | uint(c[t[3]])<<3 |
			uint(c[t[4]])<<4 | uint(c[t[5]])<<5 | uint(c[t[6]])<<6 | uint(c[t[7]])<<7
		for ; m != 0; m &= m - 1 {
			j := i + bits.TrailingZeros(m)
			b = appendQueryByte(append(b, s[start:j]...), s[j])
			start = j + 1
		}
	}
	for ; i < len(s); i++ {
		if !queryKept(s[i]) {
			b = appendQueryByte(append(b, s[start:i]...), s[i])
			start = i + 1
		}
	}
	return append(b, s[start:]...)
}

// appendQueryByte appends a byte url.QueryEscape does not keep as it
// writes it: a space as '+', any other as %XX in upper-case hex.
func appendQueryByte(b []byte, c byte) []byte {
	const hex = "0123456789ABCDEF"
	if c == ' ' {
		return append(b, '+')
	}
	return append(b, '%', hex[c>>4], hex[c&15])
}
