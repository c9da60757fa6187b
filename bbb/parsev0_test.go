package bbb

// This file keeps parseReplyV0 and its scannerV0 as they were before the fast
// paths (commit 6c5a103), renamed with a V0 suffix: FuzzParseReplyMatchesV0
// holds the new code to the same judgement of every input, and
// BenchmarkParseReplyVersus measures the two side by side in one run.

import (
	"bytes"
	"errors"
	"reflect"
	"strconv"
	"testing"
	"unicode/utf8"
)

// scannerV0 splits a BBB answer into tokens. It is a strict XML tokenizer
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
type scannerV0 struct {
	b   []byte
	pos int
}

type tokKindV0 uint8

const (
	tokEOFV0 tokKindV0 = iota
	tokStartV0
	tokEndV0
	tokTextV0  // data is raw character data, entities not yet decoded
	tokCDATAV0 // data is literal
)

var errSyntaxV0 = errors.New("xml syntax error")

// next returns the next token. For tokStartV0, selfClose reports "<a/>".
func (s *scannerV0) next() (k tokKindV0, name, data []byte, selfClose bool, err error) {
	b := s.b
	if s.pos >= len(b) {
		return tokEOFV0, nil, nil, false, nil
	}
	if b[s.pos] != '<' {
		end := bytes.IndexByte(b[s.pos:], '<')
		if end < 0 {
			end = len(b) - s.pos
		}
		data = b[s.pos : s.pos+end]
		if !validTextV0(data) {
			return 0, nil, nil, false, errSyntaxV0
		}
		s.pos += end
		return tokTextV0, nil, data, false, nil
	}
	rest := b[s.pos:]
	switch {
	case bytes.HasPrefix(rest, []byte("<!--")):
		end := bytes.Index(rest[4:], []byte("--"))
		if end < 0 || 4+end+2 >= len(rest) || rest[4+end+2] != '>' || !validCharsV0(rest[4:4+end]) {
			return 0, nil, nil, false, errSyntaxV0 // "--" may only close a comment
		}
		s.pos += 4 + end + 3
		return s.next()
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		end := bytes.Index(rest[9:], []byte("]]>"))
		if end < 0 || !validCharsV0(rest[9:9+end]) {
			return 0, nil, nil, false, errSyntaxV0
		}
		s.pos += 9 + end + 3
		return tokCDATAV0, nil, rest[9 : 9+end], false, nil
	case bytes.HasPrefix(rest, []byte("<?")):
		if err := s.instruction(); err != nil {
			return 0, nil, nil, false, err
		}
		return s.next()
	case len(rest) > 1 && rest[1] == '!':
		return 0, nil, nil, false, errSyntaxV0 // DOCTYPE and other declarations
	case len(rest) > 1 && rest[1] == '/':
		i := 2
		n := nameLenV0(rest[i:])
		if n == 0 {
			return 0, nil, nil, false, errSyntaxV0
		}
		name = rest[i : i+n]
		i += n
		i += spaceLenV0(rest[i:])
		if i >= len(rest) || rest[i] != '>' {
			return 0, nil, nil, false, errSyntaxV0
		}
		s.pos += i + 1
		return tokEndV0, name, nil, false, nil
	}
	i := 1
	n := nameLenV0(rest[i:])
	if n == 0 {
		return 0, nil, nil, false, errSyntaxV0
	}
	name = rest[i : i+n]
	i += n
	for {
		sp := spaceLenV0(rest[i:])
		i += sp
		if i >= len(rest) {
			return 0, nil, nil, false, errSyntaxV0
		}
		switch rest[i] {
		case '>':
			s.pos += i + 1
			return tokStartV0, name, nil, false, nil
		case '/':
			if i+1 >= len(rest) || rest[i+1] != '>' {
				return 0, nil, nil, false, errSyntaxV0
			}
			s.pos += i + 2
			return tokStartV0, name, nil, true, nil
		}
		if sp == 0 {
			return 0, nil, nil, false, errSyntaxV0 // attributes are separated by space
		}
		an := nameLenV0(rest[i:])
		if an == 0 {
			return 0, nil, nil, false, errSyntaxV0
		}
		i += an
		i += spaceLenV0(rest[i:])
		if i >= len(rest) || rest[i] != '=' {
			return 0, nil, nil, false, errSyntaxV0
		}
		i++
		i += spaceLenV0(rest[i:])
		if i >= len(rest) || (rest[i] != '"' && rest[i] != '\'') {
			return 0, nil, nil, false, errSyntaxV0
		}
		q := rest[i]
		end := bytes.IndexByte(rest[i+1:], q)
		if end < 0 {
			return 0, nil, nil, false, errSyntaxV0
		}
		val := rest[i+1 : i+1+end]
		if bytes.IndexByte(val, '<') >= 0 || !validTextV0(val) {
			return 0, nil, nil, false, errSyntaxV0
		}
		i += end + 2
	}
}

// instruction skips a processing instruction. The XML declaration may
// only declare UTF-8, as encoding/xml without a CharsetReader requires.
func (s *scannerV0) instruction() error {
	rest := s.b[s.pos:]
	end := bytes.Index(rest[2:], []byte("?>"))
	if end < 0 {
		return errSyntaxV0
	}
	body := rest[2 : 2+end]
	n := nameLenV0(body)
	if n == 0 || !validCharsV0(body) {
		return errSyntaxV0
	}
	if string(body[:n]) == "xml" {
		ver, ok := declParamV0(body, "version")
		if !ok || ver != nil && string(ver) != "1.0" {
			return errSyntaxV0
		}
		enc, ok := declParamV0(body, "encoding")
		if !ok || enc != nil && !bytes.EqualFold(enc, []byte("utf-8")) && !bytes.EqualFold(enc, []byte("utf8")) {
			return errSyntaxV0
		}
	}
	s.pos += 2 + end + 2
	return nil
}

// declParamV0 returns the quoted value of name="..." in an XML declaration:
// nil if absent, ok false if malformed.
func declParamV0(body []byte, name string) (val []byte, ok bool) {
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

func spaceLenV0(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// nameLenV0 is the length of the XML name at the start of b, 0 if none.
func nameLenV0(b []byte) int {
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
			if r == utf8.RuneError || !isNameRuneV0(r) {
				return i
			}
			i += n
		default:
			return i
		}
	}
	return i
}

// isNameRuneV0 admits the non-ASCII letters of XML names; BBB's names are
// ASCII, so this only has to be no looser than encoding/xml.
func isNameRuneV0(r rune) bool {
	return r >= 0xC0 && r != 0xD7 && r != 0xF7 && r < 0xFFFE && !(r >= 0xD800 && r <= 0xDFFF) && !(r >= 0x2000 && r <= 0x206F)
}

// validCharsV0 reports whether b is UTF-8 made of characters XML allows.
func validCharsV0(b []byte) bool {
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

// validTextV0 checks character data: allowed characters, no "]]>" outside
// CDATA, and every '&' starting a predefined entityV0 or a character
// reference.
func validTextV0(b []byte) bool {
	if !validCharsV0(b) || bytes.Contains(b, []byte("]]>")) {
		return false
	}
	for i := bytes.IndexByte(b, '&'); i >= 0; {
		end := bytes.IndexByte(b[i:], ';')
		if end < 0 {
			return false
		}
		if _, ok := entityV0(b[i+1 : i+end]); !ok {
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

// entityV0 decodes the name between '&' and ';'.
func entityV0(name []byte) (rune, bool) {
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

// appendTextV0 appends raw character data to dst with its entities decoded.
// raw was checked by validTextV0.
func appendTextV0(dst, raw []byte) []byte {
	for {
		i := bytes.IndexByte(raw, '&')
		if i < 0 {
			return appendLiteralV0(dst, raw)
		}
		dst = appendLiteralV0(dst, raw[:i])
		end := bytes.IndexByte(raw[i:], ';')
		r, _ := entityV0(raw[i+1 : i+end])
		dst = utf8.AppendRune(dst, r)
		raw = raw[i+end+1:]
	}
}

// appendLiteralV0 appends text with XML's line-end normalisation: "\r\n"
// and a lone "\r" read as "\n".
func appendLiteralV0(dst, b []byte) []byte {
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

// parseReplyV0 reads a BBB XML answer. list may be nil when no list is wanted.
// The document must be well-formed: a backend sending an HTML error page or
// cut-off XML gets an error, never a guess.
func parseReplyV0(body []byte, list *ListSpec) (*Reply, error) {
	sc := &scannerV0{b: bytes.TrimPrefix(body, []byte("\ufeff"))}
	base := len(body) - len(sc.b) // offsets below are into sc.b; items are slices of body
	r := &Reply{}
	nested := list != nil && list.nested()
	var (
		stack     [][]byte // open elements, to match end tags
		inList    bool
		itemStart int
		item      *Item
		fieldIdx  = -1 // plain field being read, at depth 4
		subIdx    = -1 // "parent/child" field being read, at depth 5
		parent    []byte
		text, sub []byte
		topName   []byte
		sawRoot   bool
	)
	for {
		off := sc.pos
		k, name, data, selfClose, err := sc.next()
		if err != nil {
			return nil, ErrNotBBB
		}
		if k == tokEOFV0 {
			if len(stack) > 0 {
				return nil, ErrNotBBB // cut off
			}
			break
		}
		depth := len(stack)
		switch k {
		case tokTextV0, tokCDATAV0:
			if depth == 0 {
				if k == tokCDATAV0 || len(bytes.TrimSpace(data)) > 0 {
					return nil, ErrNotBBB // text outside the root element
				}
				continue
			}
			add := appendTextV0
			if k == tokCDATAV0 {
				add = appendLiteralV0
			}
			if depth == 2 || (depth >= 4 && fieldIdx >= 0) {
				text = add(text, data)
			}
			if depth >= 5 && subIdx >= 0 {
				sub = add(sub, data)
			}
			continue
		case tokStartV0:
			stack = append(stack, name)
			depth++
			switch {
			case depth == 1:
				if string(name) != "response" || sawRoot {
					return nil, ErrNotBBB
				}
				sawRoot = true
			case depth == 2:
				topName, text = name, text[:0]
				if list != nil && string(name) == list.List {
					inList = true
					r.HasList = true
				}
			case depth == 3 && inList && string(name) == list.Item:
				itemStart = off
				item = &Item{Fields: make([]string, len(list.Fields))}
			case depth == 4 && item != nil:
				parent = name
				fieldIdx = list.field(string(name))
				text = text[:0]
			case depth == 5 && item != nil && nested:
				subIdx = list.nestedField(parent, name)
				sub = sub[:0]
			}
			if !selfClose {
				continue
			}
		case tokEndV0:
			if depth == 0 || !bytes.Equal(stack[depth-1], name) {
				return nil, ErrNotBBB // not well-formed
			}
		}
		// The end of the element on top of the stack: "</name>" or "<name/>".
		switch {
		case depth == 2:
			switch string(topName) {
			case "returncode":
				r.ReturnCode = string(bytes.TrimSpace(text))
			case "messageKey":
				r.MessageKey = string(bytes.TrimSpace(text))
			case "message":
				r.Message = string(bytes.TrimSpace(text))
			default:
				if !inList {
					r.top = append(r.top, field{string(topName), string(bytes.TrimSpace(text))})
				}
			}
			inList = false
			text = text[:0]
		case depth == 3 && item != nil:
			item.Raw = body[base+itemStart : base+sc.pos]
			r.Items = append(r.Items, *item)
			item = nil
		case depth == 4 && item != nil && fieldIdx >= 0:
			item.Fields[fieldIdx] = string(bytes.TrimSpace(text))
			fieldIdx = -1
		case depth == 5 && item != nil && subIdx >= 0:
			item.Fields[subIdx] = string(bytes.TrimSpace(sub))
			subIdx = -1
		}
		stack = stack[:depth-1]
	}
	if !sawRoot || r.ReturnCode == "" {
		return nil, ErrNotBBB
	}
	return r, nil
}

// v0Specs are the list specs the differential tests read documents with:
// none, the poller's (plain and nested fields, the item's own text), the
// fan-out's recordings, and one without fields.
var v0Specs = []*ListSpec{
	nil,
	{List: "meetings", Item: "meeting", Fields: []string{
		"meetingID", "participantCount", "voiceParticipantCount", "videoCount", "createTime", "isBreakout",
		"metadata/bbb-meeting-size-hint", "meetingName", "recording", "internalMeetingID", "parentMeetingID",
	}},
	{List: "meetings", Item: "meeting", Fields: []string{"metadata", "metadata/bbb-origin", "attendees/attendee", "meetingID"}},
	{List: "recordings", Item: "recording", Fields: []string{"recordID", "startTime"}},
	{List: "meetings", Item: "meeting"},
}

// sameAsV0 fails t unless ParseReply and parseReplyV0 judge doc alike
// and read it alike with every spec of v0Specs.
func sameAsV0(t *testing.T, doc []byte) {
	t.Helper()
	for _, spec := range v0Specs {
		got, gerr := ParseReply(doc, spec)
		want, werr := parseReplyV0(doc, spec)
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("spec %+v: ParseReply says %v, before it said %v:\n%q", spec, gerr, werr, doc)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("spec %+v: reads differ:\n got %+v\nwant %+v\n%q", spec, got, want, doc)
		}
	}
}

// FuzzParseReplyMatchesV0: ParseReply accepts exactly what it accepted
// before its fast paths, and reads it the same way: no check loosened, no
// answer refused that was read before.
func FuzzParseReplyMatchesV0(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	f.Add(meetingsDoc(f, 3))
	f.Fuzz(sameAsV0)
}
