package bbb

import (
	"bytes"
	"html"
)

// ReplaceText rewrites the text of every simple element <name>text</name>
// in doc: f gets the decoded text and returns the new text and whether to
// change it. Elements are matched by their exact tags, so an element
// called "meetingID" never matches "parentMeetingID". The rest of doc
// keeps its bytes; doc is returned as it is when nothing changes.
func ReplaceText(doc []byte, name string, f func(text string) (string, bool)) []byte {
	open, end := []byte("<"+name+">"), []byte("</"+name+">")
	var out *bytes.Buffer
	rest, done := doc, 0
	for {
		i := bytes.Index(rest, open)
		if i < 0 {
			break
		}
		start := i + len(open)
		j := bytes.Index(rest[start:], end)
		if j < 0 {
			break
		}
		text := rest[start : start+j]
		if bytes.IndexByte(text, '<') < 0 {
			if nt, ok := f(html.UnescapeString(string(text))); ok {
				if out == nil {
					out = bytes.NewBuffer(make([]byte, 0, len(doc)+64))
				}
				abs := len(doc) - len(rest)
				out.Write(doc[done : abs+start])
				out.WriteString(Escape(nt))
				done = abs + start + j
			}
		}
		rest = rest[start+j+len(end):]
	}
	if out == nil {
		return doc
	}
	out.Write(doc[done:])
	return out.Bytes()
}
