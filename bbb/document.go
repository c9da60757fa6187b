package bbb

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
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
func ParseReply(body []byte, list *ListSpec) (*Reply, error) {
	sc := &scanner{b: bytes.TrimPrefix(body, []byte("\ufeff"))}
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
		depth := len(stack)
		var top []byte
		if depth > 0 {
			top = stack[depth-1]
		}
		k := sc.next(top)
		if k == tokErr {
			return nil, ErrNotBBB
		}
		if k == tokEOF {
			if depth > 0 {
				return nil, ErrNotBBB // cut off
			}
			break
		}
		name := sc.name
		switch k {
		case tokText, tokCDATA:
			data := sc.data
			if depth == 0 {
				if k == tokCDATA || len(bytes.TrimSpace(data)) > 0 {
					return nil, ErrNotBBB // text outside the root element
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
				text = add(text, data)
			}
			if depth >= 5 && subIdx >= 0 {
				sub = add(sub, data)
			}
			continue
		case tokStart:
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
			if !sc.selfClose {
				continue
			}
		case tokEnd: // the scanner matched it with top
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
