package bbb

import (
	"bytes"
	"encoding/xml"
	"io"
	"reflect"
	"testing"
)

// parseReplyStd is ParseReply as it was on encoding/xml: the reference the
// hand-written scanner is held to.
func parseReplyStd(body []byte, list *ListSpec) (*Reply, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	r := &Reply{}
	depth := 0
	var (
		inList    bool
		itemStart int64
		item      *Item
		fieldIdx  = -1   // plain field being read, at depth 4
		subIdx    = -1   // "parent/child" field being read, at depth 5
		parent    string // name of the item's child being read
		text, sub []byte
		topName   string
		sawRoot   bool
	)
	for {
		off := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, ErrNotBBB
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			name := t.Name.Local
			switch {
			case depth == 1:
				if name != "response" || sawRoot {
					return nil, ErrNotBBB
				}
				sawRoot = true
			case depth == 2:
				topName, text = name, text[:0]
				if list != nil && name == list.List {
					inList = true
					r.HasList = true
				}
			case depth == 3 && inList && name == list.Item:
				itemStart = off
				item = &Item{Fields: make([]string, len(list.Fields))}
			case depth == 4 && item != nil:
				parent = name
				fieldIdx = list.field(name)
				text = text[:0]
			case depth == 5 && item != nil:
				subIdx = list.field(parent + "/" + name)
				sub = sub[:0]
			}
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(bytes.TrimPrefix(t, []byte("\ufeff")))) > 0 {
				return nil, ErrNotBBB // text outside the root element
			}
			if depth == 2 || (depth >= 4 && fieldIdx >= 0) {
				text = append(text, t...)
			}
			if depth >= 5 && subIdx >= 0 {
				sub = append(sub, t...)
			}
		case xml.EndElement:
			switch {
			case depth == 2:
				switch topName {
				case "returncode":
					r.ReturnCode = string(bytes.TrimSpace(text))
				case "messageKey":
					r.MessageKey = string(bytes.TrimSpace(text))
				case "message":
					r.Message = string(bytes.TrimSpace(text))
				default:
					if !inList {
						r.top = append(r.top, field{topName, string(bytes.TrimSpace(text))})
					}
				}
				inList = false
				text = text[:0]
			case depth == 3 && item != nil:
				item.Raw = body[itemStart:d.InputOffset()]
				r.Items = append(r.Items, *item)
				item = nil
			case depth == 4 && item != nil && fieldIdx >= 0:
				item.Fields[fieldIdx] = string(bytes.TrimSpace(text))
				fieldIdx = -1
			case depth == 5 && item != nil && subIdx >= 0:
				item.Fields[subIdx] = string(bytes.TrimSpace(sub))
				subIdx = -1
			}
			depth--
		}
	}
	if !sawRoot || r.ReturnCode == "" {
		return nil, ErrNotBBB
	}
	return r, nil
}

// FuzzParseReplyMatchesEncodingXML: whatever ParseReply accepts, the
// encoding/xml reference accepts too, with the same reading. ParseReply may
// refuse more (DOCTYPEs, say), never less.
func FuzzParseReplyMatchesEncodingXML(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	specs := []*ListSpec{
		nil,
		{List: "meetings", Item: "meeting", Fields: []string{"meetingID", "participantCount", "metadata/bbb-origin", "metadata"}},
		{List: "recordings", Item: "recording", Fields: []string{"recordID", "startTime"}},
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, spec := range specs {
			got, err := ParseReply(doc, spec)
			if err != nil {
				continue
			}
			want, err := parseReplyStd(doc, spec)
			if err != nil {
				t.Fatalf("accepted what encoding/xml refuses (%v):\n%q", err, doc)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("reads differ:\n got %+v\nwant %+v\n%q", got, want, doc)
			}
		}
	})
}

func TestParseReplyMatchesEncodingXML(t *testing.T) {
	for _, doc := range fuzzSeeds(t) {
		spec := &ListSpec{List: "meetings", Item: "meeting", Fields: []string{"meetingID", "metadata/bbb-origin"}}
		got, gerr := ParseReply(doc, spec)
		want, werr := parseReplyStd(doc, spec)
		if (gerr == nil) != (werr == nil) || gerr == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%.80q: got %+v %v, want %+v %v", doc, got, gerr, want, werr)
		}
	}
}

// fuzzSeeds are real answers and near misses: entities, CDATA, comments,
// declarations, attributes, self-closed elements, CRLF.
func fuzzSeeds(t testing.TB) [][]byte {
	seeds := [][]byte{readTestdata(t, "getMeetings.xml"), readTestdata(t, "getRecordings.xml")}
	for _, s := range []string{
		noMeetingsXML, createXML, checksumErrorXML,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><returncode>SUCCESS</returncode><meetings><meeting><meetingID>a&amp;b &#233;&#x20AC;</meetingID><metadata><bbb-origin><![CDATA[x<y]]></bbb-origin></metadata></meeting></meetings></response>",
		"<response>\r\n<returncode>SUCCESS</returncode><!-- c --><meetings><meeting a='1' b=\"2\"/><meeting><meetingID>x\r\ny</meetingID></meeting></meetings></response>",
		"\ufeff<response><returncode>FAILED</returncode><messageKey>k</messageKey><message>m &lt; n</message></response>",
		"<response><returncode>SUCCESS</returncode><meetings><meeting><meetingID>a&nbsp;b</meetingID></meeting></meetings></response>",
		"<response><returncode>SUCCESS</returncode></response><!-- after -->",
		"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><response><returncode>SUCCESS</returncode></response>",
		"<!DOCTYPE html><html></html>",
		"<response><returncode>SUCCESS</returncode><a></b></response>",
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}
