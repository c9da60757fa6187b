package bbb

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf8"
)

// scanner splits a BBB answer into tokens. It is a strict XML tokenizer
// for what BBB servers send: elements with quoted attributes, character
// data with the five predefined entities and character references, CDATA,
// comments and processing instructions. It rejects what a conforming XML
// parser rejects (unmatched tags are checked by its caller), and also
// DOCTYPEs, which BBB never sends and HTML error pages always do.
//
// encoding/xml does the same job at a quarter of the speed: tinyscale
// parses every server's getMeetings at every poll, and every answer of a
// fan-out, so this is on the hot path. A differential fuzz test holds it
// to encoding/xml.
type scanner struct {
	b   []byte
	pos int
}

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokStart
	tokEnd
	tokText  // data is raw character data, entities not yet decoded
	tokCDATA // data is literal
)

var errSyntax = errors.New("xml syntax error")

// next returns the next token. For tokStart, selfClose reports "<a/>".
func (s *scanner) next() (k tokKind, name, data []byte, selfClose bool, err error) {
	b := s.b
	if s.pos >= len(b) {
		return tokEOF, nil, nil, false, nil
	}
	if b[s.pos] != '<' {
		end := bytes.IndexByte(b[s.pos:], '<')
		if end < 0 {
			end = len(b) - s.pos
		}
		data = b[s.pos : s.pos+end]
		if !validText(data) {
			return 0, nil, nil, false, errSyntax
		}
		s.pos += end
		return tokText, nil, data, false, nil
	}
	rest := b[s.pos:]
	switch {
	case bytes.HasPrefix(rest, []byte("<!--")):
		end := bytes.Index(rest[4:], []byte("--"))
		if end < 0 || 4+end+2 >= len(rest) || rest[4+end+2] != '>' || !validChars(rest[4:4+end]) {
			return 0, nil, nil, false, errSyntax // "--" may only close a comment
		}
		s.pos += 4 + end + 3
		return s.next()
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		end := bytes.Index(rest[9:], []byte("]]>"))
		if end < 0 || !validChars(rest[9:9+end]) {
			return 0, nil, nil, false, errSyntax
		}
		s.pos += 9 + end + 3
		return tokCDATA, nil, rest[9 : 9+end], false, nil
	case bytes.HasPrefix(rest, []byte("<?")):
		if err := s.instruction(); err != nil {
			return 0, nil, nil, false, err
		}
		return s.next()
	case len(rest) > 1 && rest[1] == '!':
		return 0, nil, nil, false, errSyntax // DOCTYPE and other declarations
	case len(rest) > 1 && rest[1] == '/':
		i := 2
		n := nameLen(rest[i:])
		if n == 0 {
			return 0, nil, nil, false, errSyntax
		}
		name = rest[i : i+n]
		i += n
		i += spaceLen(rest[i:])
		if i >= len(rest) || rest[i] != '>' {
			return 0, nil, nil, false, errSyntax
		}
		s.pos += i + 1
		return tokEnd, name, nil, false, nil
	}
	i := 1
	n := nameLen(rest[i:])
	if n == 0 {
		return 0, nil, nil, false, errSyntax
	}
	name = rest[i : i+n]
	i += n
	for {
		sp := spaceLen(rest[i:])
		i += sp
		if i >= len(rest) {
			return 0, nil, nil, false, errSyntax
		}
		switch rest[i] {
		case '>':
			s.pos += i + 1
			return tokStart, name, nil, false, nil
		case '/':
			if i+1 >= len(rest) || rest[i+1] != '>' {
				return 0, nil, nil, false, errSyntax
			}
			s.pos += i + 2
			return tokStart, name, nil, true, nil
		}
		if sp == 0 {
			return 0, nil, nil, false, errSyntax // attributes are separated by space
		}
		an := nameLen(rest[i:])
		if an == 0 {
			return 0, nil, nil, false, errSyntax
		}
		i += an
		i += spaceLen(rest[i:])
		if i >= len(rest) || rest[i] != '=' {
			return 0, nil, nil, false, errSyntax
		}
		i++
		i += spaceLen(rest[i:])
		if i >= len(rest) || (rest[i] != '"' && rest[i] != '\'') {
			return 0, nil, nil, false, errSyntax
		}
		q := rest[i]
		end := bytes.IndexByte(rest[i+1:], q)
		if end < 0 {
			return 0, nil, nil, false, errSyntax
		}
		val := rest[i+1 : i+1+end]
		if bytes.IndexByte(val, '<') >= 0 || !validText(val) {
			return 0, nil, nil, false, errSyntax
		}
		i += end + 2
	}
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
func nameLen(b []byte) int {
	i := 0
	for i < len(b) {
		c := b[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_', c == ':':
			i++
		case i > 0 && ('0' <= c && c <= '9' || c == '-' || c == '.'):
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
func validChars(b []byte) bool {
	for i := 0; i < len(b); {
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
