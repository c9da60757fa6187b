package bbb

import (
	"slices"
	"strings"
	"testing"
)

// TestParseParamsWordBoundaries: queryUnescape scans eight bytes at a
// time, the last eight overlapping, so what it must see ('%', '+', the
// bytes StripControl looks at) is put at every place of words and of
// their overlapping tails, in names and in values.
func TestParseParamsWordBoundaries(t *testing.T) {
	for _, tt := range []struct {
		raw  string
		want Params
	}{
		{"n=0123456%41", Params{{"n", "0123456A"}}},                                          // encoded byte at 7..9
		{"n=01234567%41", Params{{"n", "01234567A"}}},                                        // at 8, a word's start
		{"n=012345678901234%41", Params{{"n", "012345678901234A"}}},                          // at 15
		{"n=0123456789012345%41", Params{{"n", "0123456789012345A"}}},                        // at 16
		{"n=0123456+", Params{{"n", "0123456 "}}},                                            // '+' as the last byte of a word
		{"n=01234567+", Params{{"n", "01234567 "}}},                                          // '+' alone after a word
		{"n=012345678901234+", Params{{"n", "012345678901234 "}}},                            // overlapping tail, last byte
		{"n=0123456789%41bcdefgh", Params{{"n", "0123456789Abcdefgh"}}},                      // a run after an escape, 8 long
		{"n=%41012345678901234", Params{{"n", "A012345678901234"}}},                          // escape first, then words
		{"n=01234\x01", Params{{"n", "01234"}}},                                              // control, short string
		{"n=0123456\x01", Params{{"n", "0123456"}}},                                          // control at 7
		{"n=01234567\x7f", Params{{"n", "01234567"}}},                                        // DEL in an overlapping tail
		{"n=0123456789abcd\xc2\x85", Params{{"n", "0123456789abcd"}}},                        // C1 across a word's end
		{"n=0123456\xc2\x85+x", Params{{"n", "0123456 x"}}},                                  // C1 across a word, then '+'
		{"n=0123456789%C2%85abcdef%41", Params{{"n", "0123456789abcdefA"}}},                  // C1 encoded, mid-word
		{"n=abcdefg\xc3\xa9", Params{{"n", "abcdefg\u00e9"}}},                                // 0xc3 is not 0xc2
		{"abcdefgh%41bcdefgh=1", Params{{"abcdefghAbcdefgh", "1"}}},                          // names too
		{"0123456\x7f=1&n=2", Params{{"0123456", "1"}, {"n", "2"}}},                          // DEL at a name's end
		{"\x01\x02\x03\x04\x05\x06\x07\x08=1&n=2", Params{{"n", "2"}}},                       // a name all control: dropped
		{"n=\x01\x02\x03\x04\x05\x06\x07\x08\x09", Params{{"n", ""}}},                        // a value all control
		{"n=%25%2B%20%2b++", Params{{"n", "%+ +  "}}},                                        // escapes of what is looked at
		{"n=" + strings.Repeat("%41", 11), Params{{"n", strings.Repeat("A", 11)}}},           // escapes only, across words
		{"n=" + strings.Repeat("a", 64) + "+", Params{{"n", strings.Repeat("a", 64) + " "}}}, // long plain run
	} {
		got, e := ParseParams(tt.raw)
		if e != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseParams(%q) = %q, %v; want %q", tt.raw, got, e, tt.want)
		}
		if d := sameAsFrozen(tt.raw); d != "" {
			t.Errorf("ParseParams(%q): %s", tt.raw, d)
		}
	}
	// A '%' without two hex digits is refused wherever it falls: at a
	// word's last byte or last but one, at the very end, in a name.
	for _, raw := range []string{
		"n=0123456%", "n=012345%4", "n=0123456%4", "n=01234567%", "n=01234567%4", "n=012345678901234%",
		"n=01234567890123%4", "n=0123456%4g", "n=0123456%g4", "abcdefg%=1", "abcdefgh%4=1", "n=ok&m=0123456789%zz",
		"n=%41%", "n=0123456789%41%4",
	} {
		if _, e := ParseParams(raw); e != ErrBadQuery {
			t.Errorf("ParseParams(%q) = %v, want ErrBadQuery", raw, e)
		}
		if d := sameAsFrozen(raw); d != "" {
			t.Errorf("ParseParams(%q): %s", raw, d)
		}
	}
}

// TestParseParamsEveryPlace puts each thing queryUnescape must see at
// every place of names and values 1 to 24 bytes long, and holds the
// result to the frozen copy and to url.QueryUnescape's reading.
func TestParseParamsEveryPlace(t *testing.T) {
	marks := []string{"%41", "%", "%4", "%4g", "+", "\x01", "\x1f", " ", "\x7f", "\xc2", "\xc2\x85", "\xc3", "%C2%85", "%00", "%7F", "&", "=", "\x80", "\xff"}
	for n := 1; n <= 24; n++ {
		for at := 0; at <= n; at++ {
			for _, m := range marks {
				s := strings.Repeat("a", at) + m + strings.Repeat("b", n-at)
				for _, raw := range []string{"k=" + s, s + "=v", s, "x=1&" + s + "&y=2", s + "=" + s} {
					if d := sameAsFrozen(raw); d != "" {
						t.Fatalf("ParseParams(%q): %s", raw, d)
					}
					got, e := ParseParams(raw)
					want, ok := referenceParseParams(raw)
					if ok != (e == nil) || !slices.Equal(got, want) {
						t.Fatalf("ParseParams(%q) = %q, %v; reference %q, %v", raw, got, e, want, ok)
					}
				}
			}
		}
	}
}

// TestNextStopFindsTheFirst holds nextStop to a byte-by-byte search for
// every byte value at every place of a full word and of a tail, among
// neighbours that are themselves stopped at or not (whose borrows must
// not hide it), from every starting place.
func TestNextStopFindsTheFirst(t *testing.T) {
	first := func(s string, i int, stop byte) int {
		for ; i < len(s); i++ {
			if c := s[i]; c == '&' || c == stop || c == '%' || c == '+' || c < 0x20 || c == 0x7f || c == 0xc2 {
				return i
			}
		}
		return len(s)
	}
	for _, n := range []int{5, 8, 13, 16} {
		for _, fill := range []byte{'a', '=', 0, '%', 0xff, 0xc2, 0x20, 0x1f, 0x80, 0x01, '&' ^ 1} {
			for at := range n {
				for c := range 256 {
					w := make([]byte, n)
					for i := range w {
						w[i] = fill
					}
					w[at] = byte(c)
					s := string(w)
					for _, stop := range []byte{'=', '&'} {
						for i := range n + 1 {
							if got, want := nextStop(s, i, stop), first(s, i, stop); got != want {
								t.Fatalf("nextStop(%q, %d, %q) = %d, want %d", s, i, stop, got, want)
							}
						}
					}
				}
			}
		}
	}
}
