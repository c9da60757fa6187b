package bbb

import (
	"net/url"
	"strings"
)

// stripControl removes ASCII control characters, as BBB does before hashing.
// The common case, a query without any, costs no allocation.
func stripControl(s string) string {
	if !anyControl(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x20 && s[i] != 0x7f {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// anyControl reports whether s holds a byte below 0x20 or 0x7f. It runs
// over every request's query, so it looks at eight bytes at a time: a
// byte below 0x20 borrows in x-0x20 (and is no byte of 0x80 and above,
// masked by ^x); a 0x7f byte is a zero of x^0x7f. Each test finds some
// such byte exactly when there is one.
func anyControl(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		y := x ^ (ones * 0x7f)
		if ((x-ones*0x20)&^x|(y-ones)&^y)&highs != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// rawParam returns the still-encoded value of the first parameter named key
// in a raw query. A key is matched as a whole: "meta_file_checksum" is not
// "checksum".
func rawParam(raw, key string) (string, bool) {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(pair, "=")
		if k == key {
			return v, true
		}
	}
	return "", false
}

// RawParam returns the decoded value of the first parameter named key in a raw
// query, and whether it was present. Keys are compared as sent, still
// encoded: use it only on queries tinyscale built itself (a callback
// URL's); a client's request is read with ParseParams, as BBB reads it. A
// value that is not valid percent-encoding gives ok=false and err.
func RawParam(raw, key string) (value string, ok bool, err error) {
	v, found := rawParam(raw, key)
	if !found {
		return "", false, nil
	}
	d, err := url.QueryUnescape(v)
	if err != nil {
		return "", false, err
	}
	return d, true, nil
}

// ReplaceParam returns raw with the value of every parameter named key set
// to value (encoded here), or with key=value appended if it was absent.
// Every other parameter keeps its raw bytes and its place.
func ReplaceParam(raw, key, value string) string {
	enc := key + "=" + url.QueryEscape(value)
	parts := make([]string, 0, 8)
	replaced := false
	for rest := raw; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		k, _, _ := strings.Cut(pair, "=")
		if k != key {
			parts = append(parts, pair)
			continue
		}
		// Keep one copy only: a repeated key would be ambiguous to the backend.
		if !replaced {
			parts = append(parts, enc)
			replaced = true
		}
	}
	if !replaced {
		parts = append(parts, enc)
	}
	return strings.Join(parts, "&")
}

// RemoveParams returns raw without any parameter whose key is in keys.
// Every other parameter keeps its raw bytes and its order.
func RemoveParams(raw string, keys ...string) string {
	var b strings.Builder
	b.Grow(len(raw))
	for rest := raw; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		k, _, _ := strings.Cut(pair, "=")
		drop := false
		for _, key := range keys {
			if k == key {
				drop = true
				break
			}
		}
		if drop || pair == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(pair)
	}
	return b.String()
}

// ValidQuery reports whether every key and value of raw decodes.
func ValidQuery(raw string) bool {
	for rest := raw; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		k, v, _ := strings.Cut(pair, "=")
		if _, err := url.QueryUnescape(k); err != nil {
			return false
		}
		if _, err := url.QueryUnescape(v); err != nil {
			return false
		}
	}
	return true
}
