package bbb

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestReplaceEveryText(t *testing.T) {
	swap := func(s string) (string, bool) { return "room<1>", s == "uni-a~room&1" }
	tests := []struct {
		name, in, want string
	}{
		{"element", `<meetingID>uni-a~room&amp;1</meetingID>`, `<meetingID>room&lt;1&gt;</meetingID>`},
		{"metadata meetingId as BBB adds it", `<metadata><meetingId>uni-a~room&amp;1</meetingId><meetingName>x</meetingName></metadata>`,
			`<metadata><meetingId>room&lt;1&gt;</meetingId><meetingName>x</meetingName></metadata>`},
		{"any case", `<MEETINGID>uni-a~room&amp;1</MEETINGID><meetingid>uni-a~room&amp;1</meetingid>`,
			`<MEETINGID>room&lt;1&gt;</MEETINGID><meetingid>room&lt;1&gt;</meetingid>`},
		{"CDATA", `<meetingId><![CDATA[uni-a~room&1]]></meetingId>`, `<meetingId>room&lt;1&gt;</meetingId>`},
		{"attributes on the element", `<x a="b">uni-a~room&amp;1</x>`, `<x a="b">room&lt;1&gt;</x>`},
		{"other texts untouched", `<meetingID>uni-a~room&amp;2</meetingID><name>uni-a~room&amp;1 copy</name>`,
			`<meetingID>uni-a~room&amp;2</meetingID><name>uni-a~room&amp;1 copy</name>`},
		{"nested elements are scanned", `<recording><metadata><m>uni-a~room&amp;1</m></metadata><e/><c><!-- <k>uni-a~room&amp;1</k> --></c></recording>`,
			`<recording><metadata><m>room&lt;1&gt;</m></metadata><e/><c><!-- <k>uni-a~room&amp;1</k> --></c></recording>`}, // BBB writes no IDs in comments
		{"mismatched close is not simple", `<a>uni-a~room&amp;1</b>`, `<a>uni-a~room&amp;1</b>`},
		{"truncated", `<a>uni-a~room&amp;1`, `<a>uni-a~room&amp;1`},
		{"empty", ``, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(ReplaceEveryText([]byte(tt.in), swap)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// FuzzReplaceEveryText holds the rewrite to two promises on any input: it
// never panics, and in a well-formed document no simple element's text
// still equals the ID it replaces, as encoding/xml reads the result.
func FuzzReplaceEveryText(f *testing.F) {
	for _, s := range []string{
		`<response><meetingID>uni-a~r</meetingID><metadata><meetingId><![CDATA[uni-a~r]]></meetingId></metadata></response>`,
		`<a><b>uni-a~r</b><c x="1">uni-a~r</c></a>`, `<a>uni-a~r</a`, `<<>>`, `<a><![CDATA[`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := ReplaceEveryText([]byte(in), func(s string) (string, bool) { return "r", s == "uni-a~r" })
		if xml.Unmarshal([]byte(in), new(any)) != nil {
			return
		}
		d := xml.NewDecoder(strings.NewReader(string(out)))
		var text strings.Builder
		simple := false // the element being closed had no child element
		for {
			tok, err := d.Token()
			if err != nil {
				return
			}
			switch tk := tok.(type) {
			case xml.StartElement:
				simple = true
				text.Reset()
			case xml.CharData:
				text.Write(tk)
			case xml.EndElement:
				if simple && text.String() == "uni-a~r" && !strings.Contains(in, "<!") && !strings.Contains(in, "<?") {
					t.Fatalf("%q still holds the backend-side ID in <%s>: %q", in, tk.Name.Local, out)
				}
				simple = false
				text.Reset()
			}
		}
	})
}
