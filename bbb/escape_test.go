package bbb

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzQueryEscape holds the escaper of Params.Encode to url.QueryEscape,
// which it replaces on the join path: same bytes, same length.
func FuzzQueryEscape(f *testing.F) {
	for _, s := range []string{"", "plain", "Anna-Lena Müller", "a+b=c&d", "~._-", "%zz", "\x00\xff", "https://x.example/a?b=c#d", "日本語"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := url.QueryEscape(s)
		if got := string(appendQueryEscaped([]byte("x"), s)); got != "x"+want {
			t.Fatalf("appendQueryEscaped(%q) = %q, want %q", s, got[1:], want)
		}
		if n := queryEscapedLen(s); n != len(want) {
			t.Fatalf("queryEscapedLen(%q) = %d, want %d", s, n, len(want))
		}
	})
}

// FuzzRemoveAll holds removeAll, whose common case (the checksum ending
// the query) returns a prefix without copying, to strings.ReplaceAll:
// Java's String.replace, left to right, not overlapping.
func FuzzRemoveAll(f *testing.F) {
	for _, s := range []string{"a=1&checksum=ab", "checksum=ab", "checksum=ab&a=1", "a&checksum=ab&checksum=ab", "x"} {
		f.Add(s, "ab")
	}
	f.Fuzz(func(t *testing.T, s, cs string) {
		for _, p := range [][2]string{{"&checksum=", ""}, {"checksum=", "&"}, {"checksum=", ""}} {
			want := strings.ReplaceAll(s, p[0]+cs+p[1], "")
			if got := removeAll(s, p[0], cs, p[1]); got != want {
				t.Fatalf("removeAll(%q, %q, %q, %q) = %q, want %q", s, p[0], cs, p[1], got, want)
			}
		}
	})
}
