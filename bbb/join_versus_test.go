package bbb

import (
	"sort"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// The escaper as it was before escape.go scanned
// eight bytes at a time: kept here as the reference the differential tests
// compare the new code to, and as the "old" side of the benchmarks below,
// so that old and new are measured side by side in one run on a noisy
// machine.

// refQueryEscapedLen is the byte-by-byte queryEscapedLen.
func refQueryEscapedLen(s string) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		n += int(queryGrowth[s[i]])
	}
	return n
}

// refAppendQueryEscaped is the byte-by-byte appendQueryEscaped.
func refAppendQueryEscaped(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if queryKeptTable[c] {
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

// refEncode is Params.Encode (request.go) over the reference escaper.
func refEncode(p Params) string {
	b := refAppendEncoded(make([]byte, 0, refEncodedLen(p)), p)
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// refEncodedLen is len(refEncode(p)).
func refEncodedLen(p Params) int {
	n := 0
	for i, kv := range p {
		if i > 0 {
			n++
		}
		n += refQueryEscapedLen(kv.Name) + 1 + refQueryEscapedLen(kv.Value)
	}
	return n
}

// refAppendEncoded appends refEncode(p) to b.
func refAppendEncoded(b []byte, p Params) []byte {
	for i, kv := range p {
		if i > 0 {
			b = append(b, '&')
		}
		b = refAppendQueryEscaped(b, kv.Name)
		b = append(b, '=')
		b = refAppendQueryEscaped(b, kv.Value)
	}
	return b
}

// refSignedURLParams is SignedURLParams over the reference escaper: a
// join's redirect as it was built (sum is unchanged).
func refSignedURLParams(base, call string, p Params, secret string, alg Algorithm) string {
	n := len(base) + 1 + len(call) + 1 + refEncodedLen(p) + len("&checksum=") + hexLen(alg)
	b := make([]byte, 0, n)
	b = append(append(append(append(b, base...), '/'), call...), '?')
	start := len(b)
	b = refAppendEncoded(b, p)
	query := unsafe.String(unsafe.SliceData(b[start:]), len(b)-start)
	if query != "" {
		b = append(b, '&')
	}
	b = append(b, "checksum="...)
	b = sum(b, alg, call, query, secret)
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// BenchmarkEncodeVersus is BenchmarkParams/encode for the old and the new
// escaper, interleaved in one run: compare the two lines of each count.
func BenchmarkEncodeVersus(b *testing.B) {
	p, err := ParseParams(greenlightJoin)
	if err != nil {
		b.Fatal(err)
	}
	if got, want := p.Encode(), refEncode(p); got != want {
		b.Fatalf("Encode = %q, reference %q", got, want)
	}
	b.Run("impl=old", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = refEncode(p)
		}
	})
	b.Run("impl=new", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = p.Encode()
		}
	})
}

// interleave runs old and new by turns, in batches of a few microseconds,
// and reports each one's ns/op and the median of the batches' new/old
// ratios: on a shared, noisy machine, two batches that close in time
// see the same load, where two benchmarks a second apart do not.
func interleave(b *testing.B, old, new func()) {
	const batch = 64
	var tOld, tNew time.Duration
	var ratios []float64
	n := 0
	for b.Loop() {
		t0 := time.Now()
		for range batch {
			old()
		}
		t1 := time.Now()
		for range batch {
			new()
		}
		t2 := time.Now()
		tOld += t1.Sub(t0)
		tNew += t2.Sub(t1)
		ratios = append(ratios, float64(t2.Sub(t1))/float64(t1.Sub(t0)))
		n += batch
	}
	sort.Float64s(ratios)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(tOld.Nanoseconds())/float64(n), "old-ns/op")
	b.ReportMetric(float64(tNew.Nanoseconds())/float64(n), "new-ns/op")
	b.ReportMetric(ratios[len(ratios)/2], "new/old")
}

// BenchmarkInterleaved measures old and new code by turns (interleave):
// the join's encode, its two passes alone, the whole signed redirect,
// and the checksum. sum is unchanged (hashing call, query and secret as
// they come, through a pooled hash.Hash, measured 1.01-1.03 times
// slower: the digest copies partial blocks itself): it runs on both
// sides, and its ratio is the method's noise floor.
func BenchmarkInterleaved(b *testing.B) {
	p, _ := ParseParams(greenlightJoin)
	b.Run("encode", func(b *testing.B) {
		interleave(b, func() { _ = refEncode(p) }, func() { _ = p.Encode() })
	})
	b.Run("escapedLen", func(b *testing.B) {
		n := 0
		interleave(b, func() {
			for _, kv := range p {
				n += refQueryEscapedLen(kv.Name) + refQueryEscapedLen(kv.Value)
			}
		}, func() {
			for _, kv := range p {
				n += queryEscapedLen(kv.Name) + queryEscapedLen(kv.Value)
			}
		})
	})
	b.Run("appendEscaped", func(b *testing.B) {
		buf := make([]byte, 0, 1024)
		interleave(b, func() {
			buf = buf[:0]
			for _, kv := range p {
				buf = refAppendQueryEscaped(refAppendQueryEscaped(buf, kv.Name), kv.Value)
			}
		}, func() {
			buf = buf[:0]
			for _, kv := range p {
				buf = appendQueryEscaped(appendQueryEscaped(buf, kv.Name), kv.Value)
			}
		})
	})
	const secret = "8cd8ef52e8e101574e400365b55e11a6"
	const base = "https://bbb1.example.com/bigbluebutton/api"
	for _, alg := range []Algorithm{SHA1, SHA256} {
		if got, want := SignedURLParams(base, CallJoin, p, secret, alg), refSignedURLParams(base, CallJoin, p, secret, alg); got != want {
			b.Fatalf("SignedURLParams = %q, reference %q", got, want)
		}
		b.Run("signedURLParams/"+alg.String(), func(b *testing.B) {
			interleave(b, func() { _ = refSignedURLParams(base, CallJoin, p, secret, alg) },
				func() { _ = SignedURLParams(base, CallJoin, p, secret, alg) })
		})
	}
	for _, alg := range []Algorithm{SHA1, SHA256} {
		var buf [128]byte
		// The same function on both sides: the method's noise floor.
		b.Run("sum/"+alg.String(), func(b *testing.B) {
			interleave(b, func() { _ = sum(buf[:0], alg, CallJoin, greenlightJoin, secret) },
				func() { _ = sum(buf[:0], alg, CallJoin, greenlightJoin, secret) })
		})
	}
}

// refSplitChecksum is SplitChecksum as it was, with strings.Index for the
// first "checksum".
func refSplitChecksum(raw string) (query, checksum string) {
	raw = stripControl(raw)
	if i := strings.Index(raw, "checksum"); i < 0 {
		return raw, ""
	} else if strings.HasPrefix(raw[i+len("checksum"):], "=") && (i == 0 || raw[i-1] == '&') &&
		!strings.Contains(raw[i+len("checksum="):], "checksum=") {
		start := i + len("checksum=")
		end := len(raw)
		if j := strings.IndexByte(raw[start:], '&'); j >= 0 {
			end = start + j
		}
		checksum = raw[start:end]
		switch {
		case i > 0:
			return raw[:i-1] + raw[end:], checksum
		case end < len(raw):
			return raw[end+1:], checksum
		default:
			return "", checksum
		}
	}
	checksum, found := rawParam(raw, "checksum")
	if !found {
		return raw, ""
	}
	q := removeAll(raw, "&checksum=", checksum, "")
	q = removeAll(q, "checksum=", checksum, "&")
	q = removeAll(q, "checksum=", checksum, "")
	return q, checksum
}

// BenchmarkInterleavedVerify is BenchmarkVerify/sha256 and its
// SplitChecksum, old and new by turns (interleave).
func BenchmarkInterleavedVerify(b *testing.B) {
	const secret = "8cd8ef52e8e101574e400365b55e11a6"
	raw := Sign(SHA256, CallJoin, greenlightJoin, secret)
	b.Run("split", func(b *testing.B) {
		interleave(b, func() { _, _ = refSplitChecksum(raw) }, func() { _, _ = SplitChecksum(raw) })
	})
	b.Run("verify/sha256", func(b *testing.B) {
		interleave(b, func() {
			q, cs := refSplitChecksum(raw)
			if VerifySplit(CallJoin, q, cs, AllAlgorithms, secret) != nil {
				b.Fatal("refused")
			}
		}, func() {
			if _, err := Verify(CallJoin, raw, AllAlgorithms, secret); err != nil {
				b.Fatal(err)
			}
		})
	})
}
