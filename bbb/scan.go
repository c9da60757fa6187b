package bbb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"unicode/utf8"
)

// scanner splits a BBB answer into tokens. It is a strict XML tokenizer
// for what BBB servers send: elements with quoted attributes, character
// data with the five predefined entities and character references, CDATA,
// comments and processing instructions. It rejects what a conforming XML
// parser rejects (an end tag must close the element open innermost), and
// also DOCTYPEs, which BBB never sends and HTML error pages always do.
//
// encoding/xml does the same job several times slower: tinyscale parses
// every server's getMeetings at every poll, and every answer of a
// fan-out, so this is on the hot path, and the common shapes of BBB's
// answers have fast paths (tokLeaf, ASCII by table). Differential fuzz
// tests hold it to encoding/xml, and to the scanner before the fast paths
// (parsev0_test.go).
type scanner struct {
	b   []byte
	pos int
	// What next read: the name of a start or end tag, whether a start
	// tag is "<a/>", the data of text or CDATA, and whether text is plain
	// (no '&' and no '\r': it reads as it is written).
	name, data []byte
	selfClose  bool
	plain      bool
	// open holds where the names of the open elements are in b,
	// innermost last: next pushes a start tag's (a self-closed one's and
	// a leaf's too), its caller pops once done with the element's end.
	open []span
}

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokErr         // not well-formed
	tokStart
	tokEnd
	tokText  // data is raw character data, entities not yet decoded
	tokCDATA // data is literal
	tokLeaf  // a start tag, plain text (data, maybe empty) and the end tag
)

var errSyntax = errors.New("xml syntax error")

// next reads the next token. An end tag must close the element open
// innermost, as the scanner checks itself, most cheaply by comparing the
// bytes after "</" with that element's name.
func (s *scanner) next() tokKind {
	for {
		rest := s.b[s.pos:]
		if len(rest) == 0 {
			return tokEOF
		}
		if rest[0] != '<' {
			return s.text(rest)
		}
		if len(rest) < 2 {
			return tokErr
		}
		switch rest[1] {
		case '/':
			var top []byte
			if n := len(s.open); n > 0 {
				top = s.b[s.open[n-1].start:s.open[n-1].end]
			}
			return s.endTag(rest, top)
		case '?':
			if s.instruction() != nil {
				return tokErr
			}
			continue
		case '!':
			switch {
			case len(rest) >= 4 && string(rest[2:4]) == "--":
				end := bytes.Index(rest[4:], []byte("--"))
				if end < 0 || 4+end+2 >= len(rest) || rest[4+end+2] != '>' || !validChars(rest[4:4+end]) {
					return tokErr // "--" may only close a comment
				}
				s.pos += 4 + end + 3
				continue
			case len(rest) >= 9 && string(rest[2:9]) == "[CDATA[":
				end := bytes.Index(rest[9:], []byte("]]>"))
				if end < 0 || !validChars(rest[9:9+end]) {
					return tokErr
				}
				s.pos += 9 + end + 3
				s.data = rest[9 : 9+end]
				return tokCDATA
			}
			return tokErr // DOCTYPE and other declarations
		}
		return s.startTag(rest)
	}
}

// text reads character data up to the next '<'. Runs of plain ASCII (all
// of most BBB text, whitespace between tags included) are judged by the
// table alone; anything else gets the full check on the whole run.
func (s *scanner) text(rest []byte) tokKind {
	i := 0
	for i < len(rest) && textByte[rest[i]] == 0 {
		i++
	}
	s.plain = i == len(rest) || rest[i] == '<'
	if !s.plain {
		end := bytes.IndexByte(rest[i:], '<')
		if end < 0 {
			i = len(rest)
		} else {
			i += end
		}
		if !validText(rest[:i]) {
			return tokErr
		}
	}
	s.data = rest[:i]
	s.pos += i
	return tokText
}

// textByte is 0 for the bytes plain text is made of: ASCII from ' ' on,
// tab and newline, but for '<' (the end of the text), '&' (an entity),
// ']' (maybe "]]>") and '\r' (read as '\n').
var textByte = func() (t [256]uint8) {
	for c := range t {
		if c < 0x20 && c != '\t' && c != '\n' || c >= 0x80 || c == '<' || c == '&' || c == ']' {
			t[c] = 1
		}
	}
	return t
}()

// endTag reads "</name>" at the start of rest; name must be top.
func (s *scanner) endTag(rest, top []byte) tokKind {
	// The common case: "</" top ">", or space before the '>'. No name byte
	// follows top there, so a name read in full would be top too.
	if n := len(top); n > 0 && len(rest) > 2+n && string(rest[2:2+n]) == string(top) {
		i := 2 + n
		if rest[i] == '>' {
			s.pos += i + 1
			s.name = rest[2:i]
			return tokEnd
		}
		if sp := spaceLen(rest[i:]); sp > 0 {
			if i+sp >= len(rest) || rest[i+sp] != '>' {
				return tokErr
			}
			s.pos += i + sp + 1
			s.name = rest[2:i]
			return tokEnd
		}
	}
	i := 2
	n := nameLen(rest[i:])
	if n == 0 {
		return tokErr
	}
	name := rest[i : i+n]
	i += n
	i += spaceLen(rest[i:])
	if i >= len(rest) || rest[i] != '>' || !bytes.Equal(name, top) {
		return tokErr // an end tag closes the element open innermost
	}
	s.pos += i + 1
	s.name = name
	return tokEnd
}

// startTag reads "<name attr='v'>" or "<name/>" at the start of rest.
func (s *scanner) startTag(rest []byte) tokKind {
	i := 1
	n := nameLen(rest[i:])
	if n == 0 {
		return tokErr
	}
	s.name = rest[i : i+n]
	s.selfClose = false
	s.open = append(s.open, span{s.pos + i, s.pos + i + n})
	i += n
	if i < len(rest) && rest[i] == '>' { // BBB's tags have no attributes
		s.pos += i + 1
		return s.leaf(rest[i+1:])
	}
	for {
		sp := spaceLen(rest[i:])
		i += sp
		if i >= len(rest) {
			return tokErr
		}
		switch rest[i] {
		case '>':
			s.pos += i + 1
			return tokStart
		case '/':
			if i+1 >= len(rest) || rest[i+1] != '>' {
				return tokErr
			}
			s.pos += i + 2
			s.selfClose = true
			return tokStart
		}
		if sp == 0 {
			return tokErr // attributes are separated by space
		}
		an := nameLen(rest[i:])
		if an == 0 {
			return tokErr
		}
		i += an
		i += spaceLen(rest[i:])
		if i >= len(rest) || rest[i] != '=' {
			return tokErr
		}
		i++
		i += spaceLen(rest[i:])
		if i >= len(rest) || (rest[i] != '"' && rest[i] != '\'') {
			return tokErr
		}
		q := rest[i]
		end := bytes.IndexByte(rest[i+1:], q)
		if end < 0 {
			return tokErr
		}
		val := rest[i+1 : i+1+end]
		if bytes.IndexByte(val, '<') >= 0 || !validText(val) {
			return tokErr
		}
		i += end + 2
	}
}

// depth is the number of elements open.
func (s *scanner) depth() int { return len(s.open) }

// pop forgets the element open innermost, once its end was read.
func (s *scanner) pop() { s.open = s.open[:len(s.open)-1] }

// leaf reads on after the start tag of s.name, up to after: when plain
// text and the element's end tag follow, "<name>text</name>" is one
// token, tokLeaf, as most of BBB's elements are; else the start tag is.
func (s *scanner) leaf(after []byte) tokKind {
	j := 0
	for j < len(after) && textByte[after[j]] == 0 {
		j++
	}
	n := len(s.name)
	if len(after) < j+3+n || after[j] != '<' || after[j+1] != '/' || after[j+2+n] != '>' || string(after[j+2:j+2+n]) != string(s.name) {
		return tokStart
	}
	s.data, s.plain = after[:j], true
	s.pos += j + 3 + n
	return tokLeaf
}

// instruction skips a processing instruction. The XML declaration may
// only declare UTF-8, as encoding/xml without a CharsetReader requires.
func (s *scanner) instruction() error {
	rest := s.b[s.pos:]
	end := bytes.Index(rest[2:], []byte("?>"))
	if end < 0 {
		return errSyntax
	}
	body := rest[2 : 2+end]
	n := nameLen(body)
	if n == 0 || !validChars(body) {
		return errSyntax
	}
	if string(body[:n]) == "xml" {
		ver, ok := declParam(body, "version")
		if !ok || ver != nil && string(ver) != "1.0" {
			return errSyntax
		}
		enc, ok := declParam(body, "encoding")
		if !ok || enc != nil && !bytes.EqualFold(enc, []byte("utf-8")) && !bytes.EqualFold(enc, []byte("utf8")) {
			return errSyntax
		}
	}
	s.pos += 2 + end + 2
	return nil
}

// declParam returns the quoted value of name="..." in an XML declaration:
// nil if absent, ok false if malformed.
func declParam(body []byte, name string) (val []byte, ok bool) {
	i := bytes.Index(body, []byte(name+"="))
	if i < 0 {
		return nil, true
	}
	v := body[i+len(name)+1:]
	if len(v) < 2 || (v[0] != '"' && v[0] != '\'') {
		return nil, false
	}
	e := bytes.IndexByte(v[1:], v[0])
	if e < 0 {
		return nil, false
	}
	return v[1 : 1+e], true
}

func spaceLen(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// nameLen is the length of the XML name at the start of b, 0 if none.
// ASCII names, all of BBB's, are read by table.
func nameLen(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	if c := b[0]; nameByte[c]&nameStart == 0 {
		if c < 0x80 {
			return 0
		}
		return nameLenFrom(b, 0)
	}
	i := 1
	for i < len(b) && nameByte[b[i]] != 0 {
		i++
	}
	if i < len(b) && b[i] >= 0x80 {
		return nameLenFrom(b, i)
	}
	return i
}

// nameByte classes ASCII bytes for names: nameStart for those that may
// start one (and go on), nameNext for those that may only go on.
var nameByte = func() (t [256]uint8) {
	for c := range t {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_', c == ':':
			t[c] = nameStart | nameNext
		case '0' <= c && c <= '9', c == '-', c == '.':
			t[c] = nameNext
		}
	}
	return t
}()

const (
	nameStart = 1 << iota
	nameNext
)

// nameLenFrom is nameLen for a name whose first i bytes were read, at a
// non-ASCII byte or before.
func nameLenFrom(b []byte, i int) int {
	for i < len(b) {
		c := b[i]
		switch {
		case nameByte[c]&nameStart != 0:
			i++
		case i > 0 && nameByte[c] != 0:
			i++
		case c >= 0x80:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError || !isNameRune(r) {
				return i
			}
			i += n
		default:
			return i
		}
	}
	return i
}

// isNameRune admits the non-ASCII letters of XML names; BBB's names are
// ASCII, so this only has to be no looser than encoding/xml.
func isNameRune(r rune) bool {
	return r >= 0xC0 && r != 0xD7 && r != 0xF7 && r < 0xFFFE && !(r >= 0xD800 && r <= 0xDFFF) && !(r >= 0x2000 && r <= 0x206F)
}

// validChars reports whether b is UTF-8 made of characters XML allows.
// Eight bytes at a time are let through at once when none is a control
// byte or non-ASCII: a byte below 0x20 borrows in x-0x20 (masked by ^x
// for bytes of 0x80 and above, which the high bit of x itself reports).
func validChars(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for i := 0; i < len(b); {
		if i+8 <= len(b) {
			if x := binary.LittleEndian.Uint64(b[i:]); ((x-ones*0x20)&^x|x)&highs == 0 {
				i += 8
				continue
			}
		}
		c := b[i]
		if c < 0x80 {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}

// validText checks character data: allowed characters, no "]]>" outside
// CDATA, and every '&' starting a predefined entity or a character
// reference.
func validText(b []byte) bool {
	if !validChars(b) || bytes.Contains(b, []byte("]]>")) {
		return false
	}
	for i := bytes.IndexByte(b, '&'); i >= 0; {
		end := bytes.IndexByte(b[i:], ';')
		if end < 0 {
			return false
		}
		if _, ok := entity(b[i+1 : i+end]); !ok {
			return false
		}
		next := bytes.IndexByte(b[i+end:], '&')
		if next < 0 {
			break
		}
		i += end + next
	}
	return true
}

// entity decodes the name between '&' and ';'.
func entity(name []byte) (rune, bool) {
	switch string(name) {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "apos":
		return '\'', true
	case "quot":
		return '"', true
	}
	if len(name) < 2 || name[0] != '#' {
		return 0, false
	}
	var n uint64
	var err error
	if name[1] == 'x' {
		n, err = strconv.ParseUint(string(name[2:]), 16, 32)
	} else {
		n, err = strconv.ParseUint(string(name[1:]), 10, 32)
	}
	r := rune(n)
	if err != nil || !(r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
		return 0, false
	}
	return r, true
}

// appendText appends raw character data to dst with its entities decoded.
// raw was checked by validText.
func appendText(dst, raw []byte) []byte {
	for {
		i := bytes.IndexByte(raw, '&')
		if i < 0 {
			return appendLiteral(dst, raw)
		}
		dst = appendLiteral(dst, raw[:i])
		end := bytes.IndexByte(raw[i:], ';')
		r, _ := entity(raw[i+1 : i+end])
		dst = utf8.AppendRune(dst, r)
		raw = raw[i+end+1:]
	}
}

// appendPlain appends plain text (no entity, no '\r'): it reads as it is.
func appendPlain(dst, b []byte) []byte { return append(dst, b...) }

// appendLiteral appends text with XML's line-end normalisation: "\r\n"
// and a lone "\r" read as "\n".
func appendLiteral(dst, b []byte) []byte {
	for {
		i := bytes.IndexByte(b, '\r')
		if i < 0 {
			return append(dst, b...)
		}
		dst = append(append(dst, b[:i]...), '\n')
		b = b[i+1:]
		if len(b) > 0 && b[0] == '\n' {
			b = b[1:]
		}
	}
}
