package bbbfake

import (
	"encoding/xml"
	"slices"
	"strconv"
	"strings"
	"time"
)

// doc builds an XML answer element by element, escaping all text. It
// appends to one byte slice: the scale benchmark's fleet renders 150
// getMeetings of 100 meetings a second on the machine it measures, so the
// fake must not cost what BBB's own server (on a machine of its own) does.
type doc struct{ b []byte }

// newResponse starts <response><returncode>rc</returncode>.
func newResponse(rc string) *doc {
	d := &doc{b: make([]byte, 0, 512)}
	d.open("response")
	d.el("returncode", rc)
	return d
}

func (d *doc) open(name string) {
	d.b = append(append(append(d.b, '<'), name...), '>')
}

func (d *doc) close(name string) {
	d.b = append(append(append(d.b, "</"...), name...), '>')
}

func (d *doc) empty(name string) {
	d.b = append(append(append(d.b, '<'), name...), "/>"...)
}

// el writes <name>text</name> with text escaped.
func (d *doc) el(name, text string) {
	d.open(name)
	d.text(text)
	d.close(name)
}

// text appends s escaped as encoding/xml.EscapeText escapes it. Text that
// needs no escaping (most of it: IDs, names, numbers) is appended as is.
func (d *doc) text(s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\'' || c == '&' || c == '<' || c == '>' {
			w := sliceWriter{&d.b}
			xml.EscapeText(w, []byte(s))
			return
		}
	}
	d.b = append(d.b, s...)
}

// sliceWriter appends to a byte slice.
type sliceWriter struct{ b *[]byte }

func (w sliceWriter) Write(p []byte) (int, error) {
	*w.b = append(*w.b, p...)
	return len(p), nil
}

func (d *doc) bool(name string, v bool) {
	d.open(name)
	d.b = strconv.AppendBool(d.b, v)
	d.close(name)
}

func (d *doc) int(name string, v int64) {
	d.open(name)
	d.b = strconv.AppendInt(d.b, v, 10)
	d.close(name)
}

func (d *doc) count(name string, v int) { d.int(name, int64(v)) }
func (d *doc) raw(s string)             { d.b = append(d.b, s...) }
func (d *doc) cdata(name, text string) {
	d.open(name)
	d.b = append(d.b, "<![CDATA["...)
	d.b = append(d.b, strings.ReplaceAll(text, "]]>", "]]]]><![CDATA[>")...)
	d.b = append(d.b, "]]>"...)
	d.close(name)
}

// fields writes one element per key of m, keys sorted, skipping keys that
// are not safe XML names.
func (d *doc) fields(m map[string]string) {
	if len(m) == 0 {
		return
	}
	// Sorted in a small array on the stack: getMeetings writes the
	// metadata of every meeting at every poll.
	var small [16]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if isXMLName(k) {
			d.el(k, m[k])
		}
	}
}

// date writes <name> with BBB's createDate form of a time in milliseconds.
func (d *doc) date(name string, ms int64) {
	d.open(name)
	d.b = time.UnixMilli(ms).UTC().AppendFormat(d.b, createDateLayout)
	d.close(name)
}

// bytes closes <response> and returns the document.
func (d *doc) bytes() []byte {
	d.close("response")
	return d.b
}

// fragment returns what was written, without closing anything.
func (d *doc) fragment() []byte { return d.b }

// isXMLName reports whether s is a conservative XML element name,
// [A-Za-z_][A-Za-z0-9_.-]*: what BBB's metadata keys and userdata names
// are made of.
func isXMLName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return true
}
