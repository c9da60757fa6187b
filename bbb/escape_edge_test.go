package bbb

import (
	"net/url"
	"strings"
	"testing"
)

// checkEscape holds both scans of s to url.QueryEscape.
func checkEscape(t *testing.T, s string) {
	t.Helper()
	want := url.QueryEscape(s)
	if got := string(appendQueryEscaped([]byte("x"), s)); got != "x"+want {
		t.Fatalf("appendQueryEscaped(%q) = %q, want %q", s, got[1:], want)
	}
	if n := queryEscapedLen(s); n != len(want) {
		t.Fatalf("queryEscapedLen(%q) = %d, want %d", s, n, len(want))
	}
}

// TestQueryEscapeEveryByte: each of the 256 byte values in each place of
// strings of 1 to 17 bytes: in each of the eight places of a turn of
// eight, in the first and second turn, in the bytes after the last turn
// and in strings too short for one; among kept bytes, spaces, bytes
// written %XX, and its own kind.
func TestQueryEscapeEveryByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		for _, fill := range []byte{'a', ' ', '/', 0xff, byte(c)} {
			for n := 1; n <= 17; n++ {
				for at := 0; at < n; at++ {
					b := []byte(strings.Repeat(string(fill), n))
					b[at] = byte(c)
					checkEscape(t, string(b))
				}
			}
		}
	}
}

// TestQueryEscapeWords: one whole turn of eight bytes per byte value, and
// all 256 values in one string, cut at each of the eight places.
func TestQueryEscapeWords(t *testing.T) {
	all := make([]byte, 256)
	for c := range all {
		all[c] = byte(c)
		checkEscape(t, strings.Repeat(string([]byte{byte(c)}), 8))
	}
	checkEscape(t, string(all))
	for off := range 8 {
		checkEscape(t, string(all[off:]))
		checkEscape(t, string(all[:len(all)-off]))
	}
}

// TestQueryEscapeBoundaries: strings of every length from 0 to 17, of
// kept bytes only, with a byte to change (a space, a '/', a 0x80, ...) at
// each boundary of a turn of eight the scans cross: 0, 7, 8, 15, 16 and
// the very end, and several to change in one turn or across two.
func TestQueryEscapeBoundaries(t *testing.T) {
	kept := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~"
	for n := 0; n <= 17; n++ {
		checkEscape(t, kept[:n])
		checkEscape(t, strings.Repeat(" ", n))
		checkEscape(t, strings.Repeat("/", n))
		checkEscape(t, strings.Repeat("é", n))
		for _, c := range []byte{' ', '/', 0x80, '+', '%', '@', '[', '`', '{', 0x7f, 0} {
			for _, at := range []int{0, 7, 8, 15, 16, n - 1} {
				if at < 0 || at >= n {
					continue
				}
				b := []byte(kept[:n])
				b[at] = c
				checkEscape(t, string(b))
			}
			for _, ats := range [][]int{{7, 8}, {15, 16}, {0, 7}, {8, 15}, {0, 7, 8, 15, 16}, {n - 2, n - 1}} {
				b := []byte(kept[:n])
				for _, at := range ats {
					if at >= 0 && at < n {
						b[at] = c
					}
				}
				checkEscape(t, string(b))
			}
		}
	}
	for _, s := range []string{
		"Anna-Lena Müller-Schmidt",
		"https://greenlight.example.com/rails/active_storage/blobs/redirect/eyJfcmFpbHMiOnsiZGF0YSI6MTIzfX0/avatar.png",
		"userdata-bbb_override_default_locale",
		"a1b2c3d4-e5f6-7890-abcd-ef0123456789",
	} {
		checkEscape(t, s)
	}
}
