package bbb

import (
	"strings"
	"testing"
)

// TestIndexChecksum holds indexChecksum to strings.Index at the edges of
// its scan: the pattern first, last, alone, cut short, after look-alike
// 'k's, overlapping a false start, and in strings of every length up to
// a little past the pattern's.
func TestIndexChecksum(t *testing.T) {
	cases := []string{
		"", "k", "checksu", "hecksum", "checksum", "checksum=", "xchecksum", "checksumchecksum",
		"checkchecksum", "chechecksum", "kkkkchecksum", "checksukchecksum", "a=1&checksum=ab",
		"userdata-bbb_skip_check_audio=true&checksum=ab", "meta_checksum=1&checksum=2",
		"ksum", "checkksum", "chec ksum", "checksuM", "CHECKSUM", "check" + "sum",
		greenlightJoin, greenlightJoin + "&checksum=" + strings.Repeat("c", 64),
	}
	for n := 0; n <= 12; n++ {
		for at := 0; at+len("checksum") <= n; at++ {
			cases = append(cases, strings.Repeat("k", at)+"checksum"+strings.Repeat("k", n-at-len("checksum")))
		}
		cases = append(cases, strings.Repeat("k", n), strings.Repeat("c", n))
	}
	for _, s := range cases {
		if got, want := indexChecksum(s), strings.Index(s, "checksum"); got != want {
			t.Errorf("indexChecksum(%q) = %d, want %d", s, got, want)
		}
	}
}

// FuzzIndexChecksum: indexChecksum is strings.Index(s, "checksum").
func FuzzIndexChecksum(f *testing.F) {
	for _, s := range []string{"", "checksum", "xkchecksum", "checkchecksum", greenlightJoin} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := indexChecksum(s), strings.Index(s, "checksum"); got != want {
			t.Fatalf("indexChecksum(%q) = %d, want %d", s, got, want)
		}
	})
}
