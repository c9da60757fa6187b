package bbb

import (
	"bytes"
	"html"
)

var (
	cdataOpen  = []byte("<![CDATA[")
	cdataClose = []byte("]]>")
)

// ReplaceEveryText rewrites the text of every simple element of doc,
// whatever the element is called: f gets the decoded text (entities
// resolved, or the content of a CDATA section) and returns the new text and
// whether to change it. It is how a tenant's meeting ID is translated back
// wherever BBB echoes it: <meetingID>, recording metadata's <meetingId>,
// a meta_ key of any case, and elements BBB adds in a later release. The
// rest of doc keeps its bytes; doc is returned as it is when nothing
// changes.
func ReplaceEveryText(doc []byte, f func(text string) (string, bool)) []byte {
	var out *bytes.Buffer
	done := 0
	for i := 0; i < len(doc); {
		lt := bytes.IndexByte(doc[i:], '<')
		if lt < 0 {
			break
		}
		lt += i
		gt := bytes.IndexByte(doc[lt:], '>')
		if gt < 0 {
			break
		}
		gt += lt
		tag := doc[lt+1 : gt]
		i = gt + 1
		if len(tag) == 0 || tag[0] == '/' || tag[0] == '?' || tag[0] == '!' || tag[len(tag)-1] == '/' {
			continue // a closing tag, declaration, comment or empty element
		}
		name := tag
		if sp := bytes.IndexAny(tag, " \t\r\n"); sp >= 0 {
			name = tag[:sp]
		}
		var text string
		textEnd := 0
		if bytes.HasPrefix(doc[i:], cdataOpen) {
			e := bytes.Index(doc[i+len(cdataOpen):], cdataClose)
			if e < 0 {
				break
			}
			text = string(doc[i+len(cdataOpen) : i+len(cdataOpen)+e])
			textEnd = i + len(cdataOpen) + e + len(cdataClose)
		} else {
			e := bytes.IndexByte(doc[i:], '<')
			if e < 0 {
				break
			}
			textEnd = i + e
			text = html.UnescapeString(string(doc[i:textEnd]))
		}
		rest := doc[textEnd:]
		if len(rest) < len(name)+3 || rest[0] != '<' || rest[1] != '/' ||
			!bytes.Equal(rest[2:2+len(name)], name) || rest[2+len(name)] != '>' {
			continue // not a simple element: its children are scanned next
		}
		if nt, ok := f(text); ok {
			if out == nil {
				out = bytes.NewBuffer(make([]byte, 0, len(doc)+64))
			}
			out.Write(doc[done:i])
			out.WriteString(Escape(nt))
			done = textEnd
		}
		i = textEnd + len(name) + 3
	}
	if out == nil {
		return doc
	}
	out.Write(doc[done:])
	return out.Bytes()
}
