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
		var b strings.Builder
		writeQueryEscaped(&b, s)
		if b.String() != want {
			t.Fatalf("writeQueryEscaped(%q) = %q, want %q", s, b.String(), want)
		}
		if n := queryEscapedLen(s); n != len(want) {
			t.Fatalf("queryEscapedLen(%q) = %d, want %d", s, n, len(want))
		}
	})
}
