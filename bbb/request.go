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
//
// It runs on every API call, so it reads the query in one pass (readPart),
// each name up to its '=' or '&' and each value up to its '&', skipping
// the plain bytes eight at a time.
func ParseParams(raw string) (Params, *Error) {
	if raw == "" {
		return nil, nil
	}
	p := make(Params, 0, strings.Count(raw, "&")+1)
	// Every decoded name and value that differs from its raw bytes is
	// written into buf, sized once by readPart: decoding never lengthens,
	// so the whole query costs one allocation instead of one per encoded
	// parameter.
	var buf []byte
	for i := 0; i < len(raw); i++ { // i is where a pair starts
		name, stripName, end, ok := readPart(&buf, raw, i, '=')
		if !ok {
			return nil, ErrBadQuery
		}
		value, stripValue := "", false
		if end < len(raw) && raw[end] == '=' {
			// Every part is read, that of a nameless pair too, so that
			// any '%' without two hex digits is refused.
			value, stripValue, end, ok = readPart(&buf, raw, end+1, '&')
			if !ok {
				return nil, ErrBadQuery
			}
		}
		i = end // the '&', or the end of raw
		if stripName {
			name = StripControl(name)
		}
		if name == "" {
			continue
		}
		if stripValue {
			value = StripControl(value)
		}
		p = append(p, Param{name, value})
	}
	return p, nil
}

// readPart reads the name (stop '=') or value (stop '&') that starts at
// raw[i] and ends before the next '&' or stop, returning it decoded as
// url.QueryUnescape would and refusing exactly what that refuses (a '%'
// not followed by two hex digits), and where it ends. A part without '%'
// or '+' is returned as the substring of raw it is; else the decoded
// bytes are appended to *buf, allocated on first use with room for every
// later part too, and the string shares it. mayStrip reports whether the
// result has a byte StripControl looks at, so that the common clean part
// is scanned once.
//
// The plain bytes (most of a query) are skipped eight at a time
// (nextStop); once a '%' or '+' shows that the part must be decoded, the
// plain bytes before it and each run of them after are copied at once,
// the escapes a byte at a time.
func readPart(buf *[]byte, raw string, i int, stop byte) (out string, mayStrip bool, end int, ok bool) {
	start := i
	for {
		i = nextStop(raw, i, stop)
		if i == len(raw) {
			return raw[start:], mayStrip, i, true
		}
		c := raw[i]
		if c == '&' || c == stop {
			return raw[start:i], mayStrip, i, true
		}
		if c == '%' || c == '+' {
			break
		}
		mayStrip = true
		i++
	}
	if *buf == nil {
		// Decoding never lengthens, and the parts still to come are all
		// in raw[start:].
		*buf = make([]byte, 0, len(raw)-start)
	}
	from := len(*buf)
	b := append(*buf, raw[start:i]...)
loop:
	for i < len(raw) {
		switch c := raw[i]; partClass[c] {
		case 0:
			// A run of plain bytes, copied at once: encoded bytes come
			// in runs of their own (%C3%BC), so the word scan starts
			// only here.
			j := nextStop(raw, i+1, stop)
			b = append(b, raw[i:j]...)
			i = j
		case classPercent:
			// Neither '&' nor '=' is a hex digit: testing raw's bytes
			// tests the part's.
			if i+2 >= len(raw) {
				return "", false, 0, false
			}
			h, l := hexValue[raw[i+1]], hexValue[raw[i+2]]
			if h|l > 0xf {
				return "", false, 0, false
			}
			c = h<<4 | l
			if c < 0x20 || c == 0x7f || c == 0xc2 {
				mayStrip = true
			}
			b = append(b, c)
			i += 3
		case classPlus:
			b = append(b, ' ')
			i++
		case classControl:
			mayStrip = true
			b = append(b, c)
			i++
		default: // '&' or '='
			if c == '&' || c == stop {
				break loop
			}
			j := nextStop(raw, i+1, stop) // '=' in a value
			b = append(b, raw[i:j]...)
			i = j
		}
	}
	*buf = b
	// The bytes written are never written again: later parts are appended
	// after them (and the capacity is enough for all of them), so the
	// string may share the buffer.
	d := b[from:]
	return unsafe.String(unsafe.SliceData(d), len(d)), mayStrip, i, true
}

// nextStop is the index of the first byte at or after i that readPart
// must look at ('&', stop, '%', '+', or a byte StripControl looks at:
// below 0x20, 0x7f, 0xc2), len(s) if none. It runs over every byte of
// every query, so it tests eight bytes at a time, with anyControl's
// borrowing test: y-0x01 borrows in a zero byte of y and x-0x20 in a byte
// of x below 0x20 (^y and ^x keeping only bytes that were below 0x80).
// A borrow may mark the byte above too, but never one below, so that
// the lowest mark is always the first byte looked for.
func nextStop(s string, i int, stop byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	st := ones * uint64(stop)
	for ; i < len(s); i += 8 {
		var x uint64
		if i+8 <= len(s) {
			x = load64(s[i:])
		} else {
			x = loadTail(s[i:])
		}
		// Written out rather than called: the inliner would not take
		// it, and a call per word costs more than the test.
		p, q, d, c, a, e := x^ones*'%', x^ones*'+', x^ones*0x7f, x^ones*0xc2, x^ones*'&', x^st
		m := (x - ones*0x20) &^ x
		m |= (p - ones) &^ p
		m |= (q - ones) &^ q
		m |= (d - ones) &^ d
		m |= (c - ones) &^ c
		m |= (a - ones) &^ a
		m |= (e - ones) &^ e
		if m &= highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	return len(s)
}

// load64 is the first eight bytes of s (len(s) >= 8) as a little-endian
// uint64, which the compiler makes one load.
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// partClass sorts the bytes readPart looks at, so that the usual one (a
// letter, a digit) costs one table lookup.
var partClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c == '%':
			t[c] = classPercent
		case c == '+':
			t[c] = classPlus
		case c < 0x20 || c == 0x7f || c == 0xc2:
			t[c] = classControl
		case c == '&' || c == '=':
			t[c] = classEnd
		}
	}
	return t
}()

const (
	classPercent = 1 + iota
	classPlus
	classControl // a byte StripControl looks at
	classEnd     // the end of a name or value, or '=' in a value
)

// hexValue is the value of each hex digit, 0xff for every other byte:
// one lookup per digit tests and decodes it.
var hexValue = func() (t [256]byte) {
	for c := range 256 {
		t[c] = 0xff
		if isHex(byte(c)) {
			t[c] = unHex(byte(c))
		}
	}
	return t
}()

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

// loadTail is s (shorter than eight bytes) as load64 would load it,
// filled up with 'a', a byte nextStop does not stop at.
func loadTail(s string) uint64 {
	x := uint64(0x6161616161616161) << (8 * len(s))
	for i := range len(s) {
		x |= uint64(s[i]) << (8 * i)
	}
	return x
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
