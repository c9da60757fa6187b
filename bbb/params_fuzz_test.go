package bbb

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// referenceParseParams is ParseParams as first written, on
// url.QueryUnescape: the optimised one must read every query exactly as
// it does.
func referenceParseParams(raw string) (Params, bool) {
	var p Params
	for rest := raw; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			return nil, false
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return nil, false
		}
		name = StripControl(name)
		if name == "" {
			continue
		}
		p = append(p, Param{name, StripControl(value)})
	}
	return p, true
}

func FuzzParseParams(f *testing.F) {
	for _, s := range []string{
		"", "a=1", "meeting%49D=x&a+b=c+d", "x=%", "x=%4", "x=%4g", "%zz=1", "n=a%0Ab%7Fc%C2%85d",
		"a=%C2&b=%85", "=x&%00=y&a=1", "&&a&&", "a=%ff%fe+%20", "k%3D=v%26w", "a=\x01b\xc2\x85",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := ParseParams(raw)
		want, ok := referenceParseParams(raw)
		if ok != (err == nil) {
			t.Fatalf("ParseParams(%q): error %v, reference ok=%v", raw, err, ok)
		}
		if err != nil {
			if err != ErrBadQuery || got != nil {
				t.Fatalf("ParseParams(%q) = %q, %v", raw, got, err)
			}
			return
		}
		if !slices.Equal(got, want) {
			t.Fatalf("ParseParams(%q)\n got %q\nwant %q", raw, got, want)
		}
		// What is forwarded: Encode is url.QueryEscape of every name and
		// value, and the join's redirect is that query, signed.
		enc := make([]string, len(got))
		for i, kv := range got {
			enc[i] = url.QueryEscape(kv.Name) + "=" + url.QueryEscape(kv.Value)
		}
		q := strings.Join(enc, "&")
		if e := got.Encode(); e != q {
			t.Fatalf("Encode of %q = %q, want %q", got, e, q)
		}
		for _, alg := range []Algorithm{SHA1, SHA256} {
			if u, w := SignedURLParams("https://bbb.example/api", "join", got, "secret", alg), SignedURL("https://bbb.example/api", "join", q, "secret", alg); u != w {
				t.Fatalf("SignedURLParams of %q = %q, want %q", got, u, w)
			}
		}
	})
}

// FuzzSplitChecksumDifferential holds SplitChecksum, whose common case
// takes a shortcut, to BBB's rule as written: the first checksum pair's
// raw value, then three literal replacements (Java's String.replace).
func FuzzSplitChecksumDifferential(f *testing.F) {
	for _, s := range []string{
		"a=1&checksum=ab", "checksum=ab", "checksum=ab&a=1", "a&checksum=ab&checksum=ab", "x", "checksum",
		"a=1&checksum&checksum=ab", "meta_checksum=ab&checksum=ab", "a=checksum=ab&checksum=ab&b=2",
		"checksum=&a=1", "a=1&checksum=", "checksum=checksum=1", "a=1&checksum=ab&b=checksum", "\x01checksum=ab",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		clean := stripControl(raw)
		cs, found := rawParam(clean, "checksum")
		want := clean
		if found {
			for _, p := range []string{"&checksum=" + cs, "checksum=" + cs + "&", "checksum=" + cs} {
				want = strings.ReplaceAll(want, p, "")
			}
		}
		q, gotCS := SplitChecksum(raw)
		if q != want || gotCS != cs {
			t.Fatalf("SplitChecksum(%q) = %q, %q; want %q, %q", raw, q, gotCS, want, cs)
		}
	})
}
