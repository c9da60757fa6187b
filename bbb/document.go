package bbb

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"sync"
)

// Reply is what tinyscale needs to know of a BBB XML answer: the return
// code, the message, the text of other top-level elements, and the raw bytes
// of the items of one list (each <meeting> of <meetings>, say), so that they
// can be passed on untouched.
type Reply struct {
	ReturnCode string
	MessageKey string
	Message    string
	top        []field
	// HasList reports whether the list element was present, even empty.
	HasList bool
	// Items holds each list item's raw XML, from '<' to '>' inclusive.
	Items []Item
}

// Item is one raw list element and the text of the children asked for.
type Item struct {
	Raw []byte
	// Fields holds the text of the item's direct children named in
	// ListSpec.Fields, in that order; "" where absent.
	Fields []string
}

type field struct{ name, value string }

// Get returns the text of the first top-level element called name.
func (r *Reply) Get(name string) string {
	for _, f := range r.top {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

// OK reports whether the reply's returncode is SUCCESS.
func (r *Reply) OK() bool { return r.ReturnCode == Success }

// ListSpec names the list to collect: List is the container (meetings),
// Item its children (meeting), Fields the children of each item whose text
// is wanted (recordID, startTime). A field may name a grandchild as
// "parent/child" (metadata/bbb-meeting-size-hint).
type ListSpec struct {
	List, Item string
	Fields     []string
}

// nested reports whether a field names a grandchild.
func (l *ListSpec) nested() bool {
	for _, f := range l.Fields {
		if strings.Contains(f, "/") {
			return true
		}
	}
	return false
}

func (l *ListSpec) field(name string) int {
	for i, f := range l.Fields {
		if f == name {
			return i
		}
	}
	return -1
}

// nestedField is field(parent + "/" + name) without building the string:
// it runs for every grandchild of every item (each attendee of each
// meeting at every poll).
func (l *ListSpec) nestedField(parent, name []byte) int {
	for i, f := range l.Fields {
		if len(f) == len(parent)+1+len(name) && f[len(parent)] == '/' &&
			f[:len(parent)] == string(parent) && f[len(parent)+1:] == string(name) {
			return i
		}
	}
	return -1
}

// ErrNotBBB means a body is not a BBB XML response: not XML, or XML without
// <response><returncode>.
var ErrNotBBB = errors.New("not a BBB API response")

// ParseReply reads a BBB XML answer. list may be nil when no list is wanted.
// The document must be well-formed: a backend sending an HTML error page or
// cut-off XML gets an error, never a guess.
//
// Items' Raw are slices of body. The Reply's strings are not: they are
// copies, all cut from one string made at the end (a reply is a handful of
// allocations, not a few per item), so body may be reused once Raw is no
// longer needed, as the poller does with its answers' buffers. Any one of
// them keeps that string, the text of every value read, alive.
func ParseReply(body []byte, list *ListSpec) (*Reply, error) {
	p, _ := parsers.Get().(*parser)
	if p == nil {
		p = new(parser)
	}
	r, ok := p.parse(body, list)
	p.release()
	if !ok {
		return nil, ErrNotBBB
	}
	return r, nil
}

// parser is ParseReply's scratch memory, kept from one reply to the next
// in parsers: the poller parses an answer of every server at every round.
// Nothing of it outlives a parse; the reply's strings are copied out of
// buf.
type parser struct {
	open      []span // the scanner's open elements
	text, sub []byte // text of the top-level element or field being read, and of the "parent/child" field
	buf       []byte // every value read, trimmed, one after the other
	tops      []topSpan
	items     []span // each item's Raw, in body
	fields    []span // each item's fields, in buf: len(list.Fields) per item
}

var parsers sync.Pool

// span is where a value is in parser.buf, or an item in the body.
type span struct{ start, end int }

func (s span) of(all string) string { return all[s.start:s.end] }

// topSpan is a top-level element's name and text, in parser.buf.
type topSpan struct{ name, value span }

// nameHash is a set of one of 64, by a cheap hash of a non-empty name:
// an item's child whose set is in no field's is no field, found without
// comparing its name with every field's (it runs for each child of each
// meeting at every poll).
func nameHash(name string) uint64 {
	return 1 << ((uint(len(name)) + uint(name[0])*3 + uint(name[len(name)-1])*5) & 63)
}

// value appends v trimmed to buf and returns where it is.
func (p *parser) value(v []byte) span {
	v = bytes.TrimSpace(v)
	start := len(p.buf)
	p.buf = append(p.buf, v...)
	return span{start, len(p.buf)}
}

// release puts p back in parsers, unless a rare large answer made it
// large: that memory is left to the collector.
func (p *parser) release() {
	const maxBytes, maxSpans = 256 << 10, 16 << 10
	if cap(p.open) > 64 || cap(p.text) > maxBytes || cap(p.sub) > maxBytes || cap(p.buf) > maxBytes ||
		cap(p.tops) > maxSpans || cap(p.items) > maxSpans || cap(p.fields) > maxSpans {
		return
	}
	p.open, p.text, p.sub, p.buf = p.open[:0], p.text[:0], p.sub[:0], p.buf[:0]
	p.tops, p.items, p.fields = p.tops[:0], p.items[:0], p.fields[:0]
	parsers.Put(p)
}

// parse is ParseReply; false when body is not a BBB answer.
func (p *parser) parse(body []byte, list *ListSpec) (*Reply, bool) {
	sc := scanner{b: bytes.TrimPrefix(body, []byte("\ufeff")), open: p.open}
	base := len(body) - len(sc.b) // offsets below are into sc.b; items are slices of body
	nested := list != nil && list.nested()
	nf := 0
	var fieldSet, parentSet uint64 // names of fields and of nested fields' parents, by nameHash
	if list != nil {
		nf = len(list.Fields)
		for _, f := range list.Fields {
			if f == "" {
				continue
			}
			fieldSet |= nameHash(f)
			if i := strings.IndexByte(f, '/'); i > 0 {
				parentSet |= nameHash(f[:i])
			}
		}
	}
	var (
		rc, key, msg    span // returncode, messageKey, message
		hasList, inList bool
		itemStart       int
		inItem          bool
		fieldIdx        = -1 // plain field being read, at depth 4
		subIdx          = -1 // "parent/child" field being read, at depth 5
		parent          []byte
		parentNested    bool // parent may be the parent of a nested field
		topName         []byte
		sawRoot         bool
		ok              = true
	)
loop:
	for {
		off := sc.pos
		depth := sc.depth()
		k := sc.next()
		if k == tokErr || k == tokEOF {
			ok = k == tokEOF && depth == 0 // else not well-formed, or cut off
			break
		}
		switch k {
		case tokText, tokCDATA:
			data := sc.data
			if depth == 0 {
				if k == tokCDATA || len(bytes.TrimSpace(data)) > 0 {
					ok = false // text outside the root element
					break loop
				}
				continue
			}
			add := appendText
			switch {
			case k == tokCDATA:
				add = appendLiteral
			case sc.plain:
				add = appendPlain
			}
			if depth == 2 || (depth >= 4 && fieldIdx >= 0) {
				p.text = add(p.text, data)
			}
			if depth >= 5 && subIdx >= 0 {
				p.sub = add(p.sub, data)
			}
			continue
		case tokStart, tokLeaf:
			name := sc.name
			depth++ // the scanner pushed it
			switch {
			case depth == 1:
				if string(name) != "response" || sawRoot {
					ok = false
					break loop
				}
				sawRoot = true
			case depth == 2:
				topName, p.text = name, p.text[:0]
				if list != nil && string(name) == list.List {
					inList = true
					hasList = true
				}
			case depth == 3 && inList && string(name) == list.Item:
				itemStart = off
				inItem = true
				p.fields = append(p.fields, make([]span, nf)...)
			case depth == 4 && inItem:
				h := nameHash(string(name))
				parent, parentNested = name, parentSet&h != 0
				fieldIdx = -1
				if fieldSet&h != 0 {
					fieldIdx = list.field(string(name))
				}
				p.text = p.text[:0]
			case depth == 5 && inItem && nested && parentNested:
				subIdx = list.nestedField(parent, name)
				p.sub = p.sub[:0]
			}
			if k == tokLeaf {
				if data := sc.data; len(data) > 0 { // plain text, inside the element
					if depth == 2 || (depth >= 4 && fieldIdx >= 0) {
						p.text = append(p.text, data...)
					}
					if depth >= 5 && subIdx >= 0 {
						p.sub = append(p.sub, data...)
					}
				}
			} else if !sc.selfClose {
				continue
			}
		case tokEnd: // the scanner matched it with top
		}
		// The end of the element on top of the stack: "</name>" or "<name/>".
		switch {
		case depth == 2:
			switch string(topName) {
			case "returncode":
				rc = p.value(p.text)
			case "messageKey":
				key = p.value(p.text)
			case "message":
				msg = p.value(p.text)
			default:
				if !inList {
					start := len(p.buf)
					p.buf = append(p.buf, topName...)
					p.tops = append(p.tops, topSpan{span{start, len(p.buf)}, p.value(p.text)})
				}
			}
			inList = false
			p.text = p.text[:0]
		case depth == 3 && inItem:
			p.items = append(p.items, span{base + itemStart, base + sc.pos})
			inItem = false
		case depth == 4 && inItem && fieldIdx >= 0:
			p.fields[len(p.fields)-nf+fieldIdx] = p.value(p.text)
			fieldIdx = -1
		case depth == 5 && inItem && subIdx >= 0:
			p.fields[len(p.fields)-nf+subIdx] = p.value(p.sub)
			subIdx = -1
		}
		sc.pop()
	}
	p.open = sc.open
	if !ok || !sawRoot || rc.start == rc.end {
		return nil, false
	}
	all := string(p.buf) // the one copy every string of the reply is cut from
	r := &Reply{ReturnCode: rc.of(all), MessageKey: key.of(all), Message: msg.of(all), HasList: hasList}
	if len(p.tops) > 0 {
		r.top = make([]field, len(p.tops))
		for i, t := range p.tops {
			r.top[i] = field{t.name.of(all), t.value.of(all)}
		}
	}
	if n := len(p.items); n > 0 {
		r.Items = make([]Item, n)
		fields := make([]string, n*nf) // one array for all, each item's part capped
		for i, raw := range p.items {
			f := fields[i*nf : (i+1)*nf : (i+1)*nf]
			for j, v := range p.fields[i*nf : (i+1)*nf] {
				f[j] = v.of(all)
			}
			r.Items[i] = Item{Raw: body[raw.start:raw.end], Fields: f}
		}
	}
	return r, true
}

// ListXML builds a SUCCESS answer holding the given raw items in the list
// element. With no items it gives BBB's empty form: <list/> followed by
// emptyKey and emptyMessage. extra is raw XML placed after the list.
func ListXML(list string, items [][]byte, emptyKey, emptyMessage string, extra []byte) []byte {
	n := 96 + len(extra)
	for _, it := range items {
		n += len(it)
	}
	b := bytes.NewBuffer(make([]byte, 0, n))
	b.WriteString("<response><returncode>SUCCESS</returncode>")
	if len(items) == 0 {
		b.WriteString("<" + list + "/>")
		if emptyKey != "" {
			b.WriteString("<messageKey>" + emptyKey + "</messageKey><message>" + Escape(emptyMessage) + "</message>")
		}
	} else {
		b.WriteString("<" + list + ">")
		for _, it := range items {
			b.Write(it)
		}
		b.WriteString("</" + list + ">")
	}
	b.Write(extra)
	b.WriteString("</response>")
	return b.Bytes()
}

// Int parses a decimal field, giving 0 for anything else.
func Int(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0
	}
	return n
}
