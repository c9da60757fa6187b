package bbbfake

import (
	"encoding/xml"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// doc builds an XML answer element by element, escaping all text.
type doc struct{ b strings.Builder }

// newResponse starts <response><returncode>rc</returncode>.
func newResponse(rc string) *doc {
	d := &doc{}
	d.open("response")
	d.el("returncode", rc)
	return d
}

func (d *doc) open(name string)  { d.b.WriteString("<" + name + ">") }
func (d *doc) close(name string) { d.b.WriteString("</" + name + ">") }
func (d *doc) empty(name string) { d.b.WriteString("<" + name + "/>") }

// el writes <name>text</name> with text escaped.
func (d *doc) el(name, text string) {
	d.open(name)
	xml.EscapeText(&d.b, []byte(text))
	d.close(name)
}

func (d *doc) bool(name string, v bool) { d.el(name, strconv.FormatBool(v)) }
func (d *doc) int(name string, v int64) { d.el(name, strconv.FormatInt(v, 10)) }
func (d *doc) count(name string, v int) { d.el(name, strconv.Itoa(v)) }
func (d *doc) raw(s string)             { d.b.WriteString(s) }
func (d *doc) cdata(name, text string) {
	d.open(name)
	d.b.WriteString("<![CDATA[" + strings.ReplaceAll(text, "]]>", "]]]]><![CDATA[>") + "]]>")
	d.close(name)
}

// fields writes one element per key of m, keys sorted, skipping keys that
// are not safe XML names.
func (d *doc) fields(m map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if xmlName.MatchString(k) {
			d.el(k, m[k])
		}
	}
}

// bytes closes <response> and returns the document.
func (d *doc) bytes() []byte {
	d.close("response")
	return []byte(d.b.String())
}

// fragment returns what was written, without closing anything.
func (d *doc) fragment() []byte { return []byte(d.b.String()) }

// xmlName is a conservative XML element name: what BBB's metadata keys
// and userdata names are made of.
var xmlName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)
