package bbb

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// parseParamsFrozen is ParseParams exactly as it was before its scan
// went eight bytes at a time (commit f0ad33e), kept as the reference the
// faster one is held to by FuzzParseParamsFrozen, and as the "before" of
// BenchmarkParseParamsVersus. referenceParseParams (url.QueryUnescape)
// checks the reading; this one also checks what only an optimised
// version can change: a nil result for an empty query, an empty non-nil
// one when every pair is skipped, and each result's capacity.
func parseParamsFrozen(raw string) (Params, *Error) {
	if raw == "" {
		return nil, nil
	}
	p := make(Params, 0, strings.Count(raw, "&")+1)
	var buf []byte
	for rest := raw; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		name, ctlName, ok := queryUnescapeFrozen(&buf, k, len(raw))
		if !ok {
			return nil, ErrBadQuery
		}
		value, ctlValue, ok := queryUnescapeFrozen(&buf, v, len(raw))
		if !ok {
			return nil, ErrBadQuery
		}
		if ctlName {
			name = StripControl(name)
		}
		if name == "" {
			continue
		}
		if ctlValue {
			value = StripControl(value)
		}
		p = append(p, Param{name, value})
	}
	return p, nil
}

// queryUnescapeFrozen is queryUnescape as it was before (see
// parseParamsFrozen): a table lookup per byte, then an append per byte.
func queryUnescapeFrozen(buf *[]byte, s string, size int) (out string, mayStrip, ok bool) {
	encoded := false
	for i := 0; i < len(s); i++ {
		switch unescapeClassFrozen[s[i]] {
		case 0:
		case 1: // '%'
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", false, false
			}
			encoded = true
			i += 2
		case 2: // '+'
			encoded = true
		default:
			mayStrip = true
		}
	}
	if !encoded {
		return s, mayStrip, true
	}
	if *buf == nil {
		*buf = make([]byte, 0, size)
	}
	start := len(*buf)
	b := *buf
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '%':
			c = unHex(s[i+1])<<4 | unHex(s[i+2])
			i += 2
		case '+':
			c = ' '
		}
		if c < 0x20 || c == 0x7f || c == 0xc2 {
			mayStrip = true
		}
		b = append(b, c)
	}
	*buf = b
	d := b[start:]
	return unsafe.String(unsafe.SliceData(d), len(d)), mayStrip, true
}

var unescapeClassFrozen = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c == '%':
			t[c] = 1
		case c == '+':
			t[c] = 2
		case c < 0x20 || c == 0x7f || c == 0xc2:
			t[c] = 3
		}
	}
	return t
}()

// sameAsFrozen reports how ParseParams(raw) differs from
// parseParamsFrozen(raw), "" when in nothing: the same error, the same
// nil-ness, length and capacity, and the same names and values.
func sameAsFrozen(raw string) string {
	got, gerr := ParseParams(raw)
	want, werr := parseParamsFrozen(raw)
	switch {
	case gerr != werr:
		return fmt.Sprintf("error %v, frozen %v", gerr, werr)
	case (got == nil) != (want == nil):
		return fmt.Sprintf("nil %v, frozen nil %v", got == nil, want == nil)
	case len(got) != len(want) || cap(got) != cap(want):
		return fmt.Sprintf("len %d cap %d, frozen len %d cap %d", len(got), cap(got), len(want), cap(want))
	case !slices.Equal(got, want):
		return fmt.Sprintf("%q, frozen %q", got, want)
	}
	return ""
}

// FuzzParseParamsFrozen holds ParseParams to the frozen copy of what it
// was, input by input. A second parse after the first must leave the
// first's strings as they were: the decode buffer is never shared
// between calls.
func FuzzParseParamsFrozen(f *testing.F) {
	for _, s := range []string{
		"", "a=1", "meeting%49D=x&a+b=c+d", "x=%", "x=%4", "x=%4g", "%zz=1", "n=a%0Ab%7Fc%C2%85d",
		"a=%C2&b=%85", "=x&%00=y&a=1", "&&a&&", "a=%ff%fe+%20", "k%3D=v%26w", "a=\x01b\xc2\x85",
		greenlightJoin, "abcdefg%41bcdefgh%42", "abcdefgh=1234567%", "abcdefgh=123456%4", "0123456789abcde\x7f",
		"name=0123456789abcdef0123456789abcdef%C2%85+0123456789abcdef\xc2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if d := sameAsFrozen(raw); d != "" {
			t.Fatalf("ParseParams(%q): %s", raw, d)
		}
		first, err := ParseParams(raw)
		if err != nil {
			return
		}
		keep := slices.Clone(first)
		for i, kv := range keep {
			keep[i] = Param{strings.Clone(kv.Name), strings.Clone(kv.Value)}
		}
		if _, err := ParseParams(strings.Repeat("x", len(raw)) + "=%41+" + raw); err == nil && !slices.Equal(first, keep) {
			t.Fatalf("ParseParams(%q) changed by the next call: %q, was %q", raw, first, keep)
		}
	})
}
