package bbb

import (
	"strings"
	"testing"
)

// TestScannerFastPaths covers the edges of the scanner's fast paths (end
// tags compared with the open element, names and text read by table,
// eight bytes of comment or CDATA judged at once): each document is read
// with one meeting whose meetingID and metadata/bbb-origin are asked
// for, gets the reading given, and is judged as the parser before the
// fast paths judged it.
func TestScannerFastPaths(t *testing.T) {
	spec := &ListSpec{List: "meetings", Item: "meeting", Fields: []string{"meetingID", "metadata/bbb-origin"}}
	wrap := func(inner string) string {
		return "<response><returncode>SUCCESS</returncode><meetings><meeting>" + inner + "</meeting></meetings></response>"
	}
	long := strings.Repeat("abcdefgh", 3)
	for _, c := range []struct {
		name, doc string
		ok        bool
		id        string // meetingID read
		origin    string // metadata/bbb-origin read
	}{
		{"plain", wrap("<meetingID>m1</meetingID>"), true, "m1", ""},
		{"end tag with trailing space", wrap("<meetingID>m1</meetingID >"), true, "m1", ""},
		{"end tag with tab and CRLF", wrap("<meetingID>m1</meetingID\t\r\n>"), true, "m1", ""},
		{"end tag with space, then junk", wrap("<meetingID>m1</meetingID x>"), false, "", ""},
		{"end tag with space, cut off", "<response><returncode>SUCCESS</returncode ", false, "", ""},
		{"end tag longer, same prefix", wrap("<a></ab>"), false, "", ""},
		{"end tag shorter, same prefix", wrap("<ab></a>"), false, "", ""},
		{"end tag of the outer element", wrap("<a><b></a></b>"), false, "", ""},
		{"end tag with a colon after the prefix", wrap("<a></a:b>"), false, "", ""},
		{"end tag at the top level", "</response>", false, "", ""},
		{"end tag without '>'", wrap("<a></a"), false, "", ""},
		{"end tag, name cut by non-ASCII", wrap("<a></aé>"), false, "", ""},
		{"empty leaf", wrap("<meetingID></meetingID>"), true, "", ""},
		{"leaf, end tag cut off", "<response><returncode>SUCCESS</returncode", false, "", ""},
		{"leaf, end tag cut off before '>'", wrap("<meetingID>m</meetingID"), false, "", ""},
		{"leaf, other end tag of same prefix", wrap("<meetingID>m</meetingIDx>"), false, "", ""},
		{"leaf, end tag of a shorter name", wrap("<meetingIDx>m</meetingID>"), false, "", ""},
		{"leaf at the top level", "<response></response>", false, "", ""},
		{"leaf ending the input", "<response><returncode>SUCCESS</returncode>", false, "", ""},
		{"child, not leaf", wrap("<metadata><bbb-origin>gl</bbb-origin></metadata><meetingID>m</meetingID>"), true, "m", "gl"},
		{"text then a child named like the element after a byte", wrap("<meetingID>m<xmeetingID>n</xmeetingID></meetingID>"), true, "mn", ""},
		{"text then a declaration named like the element", wrap("<meetingID>m<!meetingID>"), false, "", ""},
		{"text then child", wrap("<meetingID>m<b>x</b>y</meetingID>"), true, "mxy", ""},
		{"names with '-', '.', ':', '_' and digits", wrap("<a-b.c:d_1>x</a-b.c:d_1><metadata><bbb-origin>gl</bbb-origin></metadata>"), true, "", "gl"},
		{"name starting with '-'", wrap("<-a></-a>"), false, "", ""},
		{"name starting with a digit", wrap("<1a></1a>"), false, "", ""},
		{"name starting with '.'", wrap("<.a></.a>"), false, "", ""},
		{"name starting with ':'", wrap("<:a></:a>"), true, "", ""},
		{"non-ASCII name", wrap("<café>x</café><meetingID>é</meetingID>"), true, "é", ""},
		{"non-ASCII first letter", wrap("<éa></éa>"), true, "", ""},
		{"non-ASCII name, other end tag", wrap("<café></cafè>"), false, "", ""},
		{"name with '×'", wrap("<a×></a×>"), false, "", ""},
		{"name with invalid UTF-8", wrap("<a\xff></a\xff>"), false, "", ""},
		{"start tag with attributes", wrap("<meetingID a='1' b=\"2\">m</meetingID>"), true, "m", ""},
		{"attributes without space", wrap("<meetingID a='1'b='2'>m</meetingID>"), false, "", ""},
		{"self-closed with space", wrap("<meetingID />"), true, "", ""},
		{"entities", wrap("<meetingID>a&amp;b&lt;&gt;&apos;&quot; &#233;&#x20AC;</meetingID>"), true, "a&b<>'\" é€", ""},
		{"HTML entity", wrap("<meetingID>a&nbsp;b</meetingID>"), false, "", ""},
		{"entity without ';'", wrap("<meetingID>a&amp b</meetingID>"), false, "", ""},
		{"character reference to NUL", wrap("<meetingID>&#0;</meetingID>"), false, "", ""},
		{"whitespace-only runs with CR", "<response>\r\n <returncode>SUCCESS</returncode>\r\n <meetings>\r\n  <meeting>\r\n   <meetingID> m\r\n</meetingID>\r\n  </meeting>\r\n </meetings>\r\n</response>\r\n", true, "m", ""},
		{"CRLF and lone CR in text", wrap("<meetingID>a\r\nb\rc</meetingID>"), true, "a\nb\nc", ""},
		{"tab and newline in text", wrap("<meetingID>a\tb\nc</meetingID>"), true, "a\tb\nc", ""},
		{"DEL in text", wrap("<meetingID>a\x7fb</meetingID>"), true, "a\x7fb", ""},
		{"control byte in text", wrap("<meetingID>a\x01b</meetingID>"), false, "", ""},
		{"control byte after a long plain run", wrap("<meetingID>" + long + "\x1f</meetingID>"), false, "", ""},
		{"invalid UTF-8 in text", wrap("<meetingID>a\xffb</meetingID>"), false, "", ""},
		{"U+FFFE in text", wrap("<meetingID>a\uFFFEb</meetingID>"), false, "", ""},
		{"']' and ']]' in text", wrap("<meetingID>a]b]]c</meetingID>"), true, "a]b]]c", ""},
		{"']]>' in text", wrap("<meetingID>a]]>b</meetingID>"), false, "", ""},
		{"'>' in text", wrap("<meetingID>a>b</meetingID>"), true, "a>b", ""},
		{"CDATA", wrap("<meetingID><![CDATA[a<b&c]]]></meetingID>"), true, "a<b&c]", ""},
		{"long CDATA", wrap("<meetingID><![CDATA[" + long + "é" + long + "]]></meetingID>"), true, long + "é" + long, ""},
		{"CDATA with CR", wrap("<meetingID><![CDATA[a\r\nb]]></meetingID>"), true, "a\nb", ""},
		{"CDATA with a control byte far in", wrap("<meetingID><![CDATA[" + long + "\x01" + long + "]]></meetingID>"), false, "", ""},
		{"CDATA with invalid UTF-8 far in", wrap("<meetingID><![CDATA[" + long + "\xc3" + long + "]]></meetingID>"), false, "", ""},
		{"CDATA cut off", wrap("<meetingID><![CDATA[abc</meetingID>"), false, "", ""},
		{"CDATA spelt wrong", wrap("<meetingID><![CDATX[a]]></meetingID>"), false, "", ""},
		{"comment", wrap("<!-- a comment, " + long + " --><meetingID>m<!-- c -->1</meetingID>"), true, "m1", ""},
		{"empty comment", wrap("<!----><meetingID>m</meetingID>"), true, "m", ""},
		{"comment with '--'", wrap("<!-- a--b --><meetingID>m</meetingID>"), false, "", ""},
		{"comment ending '--->'", wrap("<!-- a ---><meetingID>m</meetingID>"), false, "", ""},
		{"comment with a control byte", wrap("<!-- " + long[:5] + "\x00" + long + " -->"), false, "", ""},
		{"comment cut off", wrap("<!-- a"), false, "", ""},
		{"'<!-' alone", wrap("<!-a -->"), false, "", ""},
		{"DOCTYPE", "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", false, "", ""},
		{"HTML without DOCTYPE", "<html><body>502 Bad Gateway</body></html>", false, "", ""},
		{"cut off in a tag", "<response><returncode>SUCCESS</returncode></respon", false, "", ""},
		{"cut off after the root's start", "<response><returncode>SUCCESS</returncode>", false, "", ""},
		{"'<' at the end", "<response><returncode>SUCCESS</returncode></response><", false, "", ""},
		{"text after the root", "<response><returncode>SUCCESS</returncode></response>x", false, "", ""},
		{"whitespace after the root", "<response><returncode>SUCCESS</returncode></response>\r\n\t ", true, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := ParseReply([]byte(c.doc), spec)
			if (err == nil) != c.ok {
				t.Fatalf("ParseReply(%q) error %v, want ok %v", c.doc, err, c.ok)
			}
			if c.ok && len(r.Items) > 0 && (r.Items[0].Fields[0] != c.id || r.Items[0].Fields[1] != c.origin) {
				t.Errorf("read %q, want %q, %q", r.Items[0].Fields, c.id, c.origin)
			}
			sameAsV0(t, []byte(c.doc))
		})
	}
}
