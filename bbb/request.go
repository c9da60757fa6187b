package bbb

import (
	"math/bits"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Param is one request parameter as BBB reads it: name and value
// percent-decoded, control characters stripped.
type Param struct {
	Name, Value string
}

// Params are a request's parameters in the order they came, every
// occurrence kept: the one model of a request that every gateway handler
// reads and that the query forwarded to a backend is built from
// (Encode), so that a backend reads exactly what tinyscale routed by.
//
// BBB is a Java servlet: Tomcat splits the query (and a form body) at '&',
// percent-decodes names as well as values ('+' is a space), and
// getParameter returns the first of repeated names; BBB's
// ValidationService then strips control characters (\p{Cc}) from names
// and values. ParseParams reads a query the same way.
type Params []Param

// MaxMeetingIDLength is BBB's limit for a meeting ID, in UTF-16 code
// units as Java counts a String's length (shared/bbb-api.md §4.1, §6).
const MaxMeetingIDLength = 256

// ParseParams reads a raw query or form body as Tomcat and BBB do. A pair
// without a name is skipped (Tomcat drops it); a name without '=' has an
// empty value. A pair that is not valid percent-encoding is refused with
// ErrBadQuery: Tomcat silently drops it, and a request read differently by
// tinyscale and by the backend is what this type exists to prevent.
func ParseParams(raw string) (Params, *Error) {
	if raw == "" {
		return nil, nil
	}
	p := make(Params, 0, strings.Count(raw, "&")+1)
	// Every decoded name and value that differs from its raw bytes is
	// written into buf, sized once: decoding never lengthens, so the whole
	// query costs one allocation instead of one per encoded parameter.
	var buf []byte
	for rest := raw; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		name, ctlName, ok := queryUnescape(&buf, k, len(raw))
		if !ok {
			return nil, ErrBadQuery
		}
		value, ctlValue, ok := queryUnescape(&buf, v, len(raw))
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

// queryUnescape is url.QueryUnescape(s), refusing exactly what it refuses
// (a '%' not followed by two hex digits), but writing the decoded bytes
// into *buf (allocated with capacity size on first use) instead of a
// string of their own; s itself is returned when it has no '%' or '+'.
// mayStrip reports whether the result has a byte StripControl looks at,
// so that the common clean parameter is scanned once.
//
// It is one pass: nextAttention skips the plain bytes (most of a query)
// eight at a time, and once a '%' or '+' shows that s must be decoded, the
// plain bytes before it and each run of them after are copied at once.
func queryUnescape(buf *[]byte, s string, size int) (out string, mayStrip, ok bool) {
	i := 0
	for {
		i = nextAttention(s, i)
		if i == len(s) {
			return s, mayStrip, true
		}
		if c := s[i]; c == '%' || c == '+' {
			break
		}
		mayStrip = true
		i++
	}
	if *buf == nil {
		*buf = make([]byte, 0, size)
	}
	start := len(*buf)
	b := append(*buf, s[:i]...)
	for i < len(s) {
		switch c := s[i]; unescapeClass[c] {
		case 0:
			// A run of plain bytes, copied at once: encoded bytes come
			// in runs of their own (%C3%BC), so the word scan starts
			// only here.
			j := nextAttention(s, i+1)
			b = append(b, s[i:j]...)
			i = j
		case classPercent:
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", false, false
			}
			c = unHex(s[i+1])<<4 | unHex(s[i+2])
			if c < 0x20 || c == 0x7f || c == 0xc2 {
				mayStrip = true
			}
			b = append(b, c)
			i += 3
		case classPlus:
			b = append(b, ' ')
			i++
		default:
			mayStrip = true
			b = append(b, c)
			i++
		}
	}
	*buf = b
	// The bytes written are never written again: later parameters are
	// appended after them (and size is enough for all of them), so the
	// string may share the buffer.
	d := b[start:]
	return unsafe.String(unsafe.SliceData(d), len(d)), mayStrip, true
}

// nextAttention is the index of the first byte at or after i that
// queryUnescape must look at ('%', '+', or a byte StripControl looks at),
// len(s) if none. It tests eight bytes at a time (attention), the last
// eight of s overlapping those already tested, so that only a string
// shorter than eight bytes is read a byte at a time.
func nextAttention(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		if m := attention(load64(s[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	if i == len(s) {
		return i
	}
	if len(s) >= 8 {
		// attention marks each byte on its own, so the bytes before i
		// (which may be ones already handled) are simply shifted out.
		j := len(s) - 8
		if m := attention(load64(s[j:])) >> (8 * (i - j)); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		return len(s)
	}
	for ; i < len(s); i++ {
		if unescapeClass[s[i]] != 0 {
			return i
		}
	}
	return i
}

// attention sets the high bit of each byte of x (little-endian: byte 0
// is s[i]) that queryUnescape must look at, and no other bit. Unlike the
// borrowing test of anyControl, it marks every byte exactly, with no
// carry from one byte into the next, so that a mask may be shifted and
// its lowest bit trusted whatever the bytes below it are.
//
// nonzero(y) has a byte's high bit set when that byte of y is not zero:
// (y&0x7f)+0x7f reaches 0x80 for any low seven bits but none, never
// carrying out of the byte, and y's own high bit covers the rest. A byte
// below 0x20 is one whose bits 5 and 6 and 7 are clear, found the same
// way from x&0x60.
func attention(x uint64) uint64 {
	const ones, lo7, highs = 0x0101010101010101, 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
	p, q, d, c := x^ones*'%', x^ones*'+', x^ones*0x7f, x^ones*0xc2
	plain := (x&(ones*0x60) + lo7) | x // not below 0x20
	plain &= (p&lo7 + lo7) | p         // nonzero(x^'%')
	plain &= (q&lo7 + lo7) | q
	plain &= (d&lo7 + lo7) | d
	plain &= (c&lo7 + lo7) | c
	return highs &^ plain
}

// load64 is the first eight bytes of s (len(s) >= 8) as a little-endian
// uint64, which the compiler makes one load.
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// unescapeClass sorts the bytes queryUnescape looks at, so that the
// usual one (a letter, a digit) costs one table lookup.
var unescapeClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c == '%':
			t[c] = classPercent
		case c == '+':
			t[c] = classPlus
		case c < 0x20 || c == 0x7f || c == 0xc2:
			t[c] = classControl
		}
	}
	return t
}()

const (
	classPercent = 1 + iota
	classPlus
	classControl // a byte StripControl looks at
)

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unHex is the value of the hex digit c (isHex(c) holds).
func unHex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// Lookup returns the first value of name, as BBB reads it, and whether
// name was given at all.
func (p Params) Lookup(name string) (string, bool) {
	for _, kv := range p {
		if kv.Name == name {
			return kv.Value, true
		}
	}
	return "", false
}

// Get returns the first value of name, "" when absent.
func (p Params) Get(name string) string {
	v, _ := p.Lookup(name)
	return v
}

// Has reports whether name was given, even empty.
func (p Params) Has(name string) bool {
	_, ok := p.Lookup(name)
	return ok
}

// Set gives name the one value value: in the place of its first
// occurrence, any further ones dropped, or appended when absent.
func (p *Params) Set(name, value string) {
	out := (*p)[:0]
	set := false
	for _, kv := range *p {
		if kv.Name != name {
			out = append(out, kv)
			continue
		}
		if !set {
			out = append(out, Param{name, value})
			set = true
		}
	}
	if !set {
		out = append(out, Param{name, value})
	}
	if len(out) < len(*p) {
		clear((*p)[len(out):]) // no stale strings kept alive
	}
	*p = out
}

// Add appends a parameter.
func (p *Params) Add(name, value string) { *p = append(*p, Param{name, value}) }

// Del removes every occurrence of the names.
func (p *Params) Del(names ...string) {
	out := (*p)[:0]
	for _, kv := range *p {
		drop := false
		for _, n := range names {
			if kv.Name == n {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	clear((*p)[len(out):])
	*p = out
}

// Clone returns a copy that can be changed without changing p.
func (p Params) Clone() Params { return append(Params(nil), p...) }

// Encode returns the parameters as a query string, in order, every name
// and value encoded canonically (url.QueryEscape): what a backend decodes
// is exactly the names and values held here, whatever spelling the client
// used.
//
// It runs on every join: the string is sized first and written in one
// allocation (escape.go).
func (p Params) Encode() string {
	b := p.appendEncoded(make([]byte, 0, p.encodedLen()))
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// encodedLen is len(p.Encode()).
func (p Params) encodedLen() int {
	n := 0
	for i, kv := range p {
		if i > 0 {
			n++
		}
		n += queryEscapedLen(kv.Name) + 1 + queryEscapedLen(kv.Value)
	}
	return n
}

// appendEncoded appends p.Encode() to b.
func (p Params) appendEncoded(b []byte) []byte {
	for i, kv := range p {
		if i > 0 {
			b = append(b, '&')
		}
		b = appendQueryEscaped(b, kv.Name)
		b = append(b, '=')
		b = appendQueryEscaped(b, kv.Value)
	}
	return b
}

// Values returns the parameters as a map, for the checksum of a form POST
// (FormQuery).
func (p Params) Values() map[string][]string {
	m := make(map[string][]string, len(p))
	for _, kv := range p {
		m[kv.Name] = append(m[kv.Name], kv.Value)
	}
	return m
}

// ParamKey is the name under which BBB files a parameter: its name, but
// for metadata (meta_<key>), whose keys BBB lower-cases, so that
// meta_endCallbackUrl and meta_ENDCALLBACKURL are one key to it.
func ParamKey(name string) string {
	if rest, ok := strings.CutPrefix(name, "meta_"); ok {
		return "meta_" + strings.ToLower(rest)
	}
	return name
}

// HasKey reports whether a parameter filed under name's ParamKey was
// given, in any case BBB folds together.
func (p Params) HasKey(name string) bool {
	key := ParamKey(name)
	for _, kv := range p {
		if ParamKey(kv.Name) == key {
			return true
		}
	}
	return false
}

// SetKey is Set, but drops every parameter BBB files under the same key
// (meta_Foo for meta_foo) first, so value is the only one BBB can read.
func (p *Params) SetKey(name, value string) {
	key := ParamKey(name)
	out := (*p)[:0]
	set := false
	for _, kv := range *p {
		if ParamKey(kv.Name) != key {
			out = append(out, kv)
		} else if !set {
			out = append(out, Param{name, value})
			set = true
		}
	}
	if !set {
		out = append(out, Param{name, value})
	}
	if len(out) < len(*p) {
		clear((*p)[len(out):]) // no stale strings kept alive
	}
	*p = out
}

// Repeated returns the first name (as ParamKey gives it) for which
// interpreted is true and that is given more than once, in any spelling
// or case BBB folds together.
func (p Params) Repeated(interpreted func(key string) bool) (string, bool) {
	// A request has a handful of interpreted parameters: a linear search
	// of a stack array is cheaper than a map, and allocates nothing.
	var buf [8]string
	seen := buf[:0]
	for _, kv := range p {
		k := ParamKey(kv.Name)
		if !interpreted(k) {
			continue
		}
		if slices.Contains(seen, k) {
			return k, true
		}
		seen = append(seen, k)
	}
	return "", false
}

// RepeatedError is the validationError for a parameter given twice.
func RepeatedError(key string) *Error {
	return &Error{Key: "validationError", Message: "Param '" + key + "' is given more than once; it must be given once"}
}

// MeetingID reads the meetingID of a meeting call as BBB does: the first
// one, stripped of leading and trailing whitespace (StringUtils.strip).
// It refuses what BBB cannot hold (longer than 256 characters) and what
// cannot be routed (invalid UTF-8, which Java would read as U+FFFD), so
// such an ID never reaches the state store. The value is set back into p
// as read, so that the backend gets the ID tinyscale routes by.
func (p *Params) MeetingID() (string, *Error) {
	v, ok := p.Lookup("meetingID")
	if !ok {
		return "", nil
	}
	if e := CheckMeetingID(v); e != nil {
		return "", e
	}
	id := StripSpace(v)
	if id != v {
		p.Set("meetingID", id)
	}
	return id, nil
}

// CheckMeetingID refuses a meeting ID that is not UTF-8 or that is longer
// than BBB allows.
func CheckMeetingID(id string) *Error {
	if !utf8.ValidString(id) {
		return &Error{Key: "validationError", Message: "Meeting ID must be valid UTF-8"}
	}
	if JavaLength(id) > MaxMeetingIDLength {
		return &Error{Key: "validationError", Message: "Meeting ID must be between 2 and 256 characters"}
	}
	return nil
}

// JavaLength is the length of s as Java counts it: UTF-16 code units.
func JavaLength(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// IDList reads a csv list of IDs (recordID, getRecordings' meetingID) as
// BBB does: ParamsProcessorUtil.decodeIds percent-decodes the parameter
// value a second time before splitting it at ','. So recordID=a%252Cb is
// two IDs to BBB, and tinyscale must see two too. ok is false when the
// second decoding fails (BBB would answer an error page).
func IDList(value string) (ids []string, ok bool) {
	d, err := url.QueryUnescape(value)
	if err != nil {
		return nil, false
	}
	if d == "" {
		return nil, true
	}
	return strings.Split(d, ","), true
}

// EncodeIDList is the parameter value BBB reads back, with IDList, as
// exactly ids.
func EncodeIDList(ids []string) string {
	enc := make([]string, len(ids))
	for i, id := range ids {
		enc[i] = url.QueryEscape(id)
	}
	return strings.Join(enc, ",")
}

// StripControl removes control characters (Unicode category Cc: U+0000–
// U+001F and U+007F–U+009F), as BBB's ParamsUtil.stripControlChars does to
// every parameter name and value. A string that is not UTF-8 is returned
// as it is: Java reads it as U+FFFD first, so stripping its bytes here
// could join them into characters BBB never saw; left alone, a backend
// decodes it exactly as it would have decoded the client's, and
// CheckMeetingID refuses it where it is routed by.
func StripControl(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == 0xc2 {
			clean = false
			break
		}
	}
	if clean || !utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r >= 0x20 && (r < 0x7f || r > 0x9f) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// StripSpace removes leading and trailing whitespace as Apache Commons'
// StringUtils.strip does: what Java's Character.isWhitespace calls space.
func StripSpace(s string) string {
	return strings.TrimFunc(s, JavaWhitespace)
}

// JavaWhitespace reports whether Java's Character.isWhitespace holds for
// r: Unicode space, line and paragraph separators other than the
// non-breaking ones, and the ASCII controls \t \n \v \f \r and U+001C–
// U+001F.
func JavaWhitespace(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\v', r == '\f', r == '\r', r >= 0x1c && r <= 0x1f:
		return true
	case r == 0x00a0, r == 0x2007, r == 0x202f:
		return false
	}
	return unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
}
