package bbb

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	meetingsSpec   = &ListSpec{List: "meetings", Item: "meeting", Fields: []string{"meetingID", "internalMeetingID", "participantCount", "moderatorCount"}}
	recordingsSpec = &ListSpec{List: "recordings", Item: "recording", Fields: []string{"recordID", "startTime"}}
)

const noMeetingsXML = `<response><returncode>SUCCESS</returncode><meetings/><messageKey>noMeetings</messageKey><message>no meetings were found on this server</message></response>`

const createXML = `<response>
  <returncode>SUCCESS</returncode>
  <meetingID>Test</meetingID>
  <internalMeetingID>640ab2bae07bedc4c163f679a746f7ab7fb5d1fa-1531155809613</internalMeetingID>
  <parentMeetingID>bbb-none</parentMeetingID>
  <attendeePW>ap</attendeePW>
  <moderatorPW>mp</moderatorPW>
  <createTime>1531155809613</createTime>
  <voiceBridge>70757</voiceBridge>
  <dialNumber>613-555-1234</dialNumber>
  <createDate>Mon Jul 09 17:03:29 UTC 2018</createDate>
  <hasUserJoined>false</hasUserJoined>
  <duration>0</duration>
  <hasBeenForciblyEnded>false</hasBeenForciblyEnded>
  <messageKey>duplicateWarning</messageKey>
  <message>This conference was already in existence and may currently be in progress.</message>
</response>`

const checksumErrorXML = `<response>
  <returncode>FAILED</returncode>
  <messageKey>checksumError</messageKey>
  <message>Checksums do not match</message>
</response>`

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkRaw asserts that it.Raw is a sub-slice of body (same memory), and is
// one whole element named name.
func checkRaw(t *testing.T, body []byte, it Item, name string) {
	t.Helper()
	if !isSubslice(body, it.Raw) {
		t.Errorf("Raw %q is not a sub-slice of the body", it.Raw)
	}
	if !bytes.Contains(body, it.Raw) {
		t.Errorf("Raw %q not in body", it.Raw)
	}
	if !bytes.HasPrefix(it.Raw, []byte("<"+name+">")) && !bytes.HasPrefix(it.Raw, []byte("<"+name+"/>")) {
		t.Errorf("Raw does not start with <%s>: %.40q", name, it.Raw)
	}
	if !bytes.HasSuffix(it.Raw, []byte("</"+name+">")) && !bytes.HasSuffix(it.Raw, []byte("<"+name+"/>")) {
		t.Errorf("Raw does not end with </%s>: %q", name, it.Raw[max(0, len(it.Raw)-40):])
	}
}

// isSubslice reports whether sub shares body's memory, i.e. is body[i:j].
func isSubslice(body, sub []byte) bool {
	if len(sub) == 0 || cap(sub) > cap(body) {
		return false
	}
	i := cap(body) - cap(sub)
	if i+len(sub) > len(body) {
		return false
	}
	return &body[:cap(body)][i] == &sub[0]
}

func TestParseReplyGetMeetings(t *testing.T) {
	body := readTestdata(t, "getMeetings.xml")
	r, err := ParseReply(body, meetingsSpec)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.ReturnCode != Success || !r.HasList {
		t.Fatalf("reply = %+v", r)
	}
	if r.MessageKey != "" || r.Message != "" {
		t.Errorf("key/message = %q/%q", r.MessageKey, r.Message)
	}
	if len(r.Items) != 2 {
		t.Fatalf("%d items, want 2", len(r.Items))
	}
	want := [][]string{
		{"room&one", "640ab2bae07bedc4c163f679a746f7ab7fb5d1fa-1531155809613", "2", "1"},
		{"room[1]", "2f2b0ab36d8d7d9c0e7c7f6f1c0f3a4e5d6c7b8a-1715261728123", "0", "0"},
	}
	for i, it := range r.Items {
		checkRaw(t, body, it, "meeting")
		if strings.Join(it.Fields, "|") != strings.Join(want[i], "|") {
			t.Errorf("item %d fields = %q, want %q", i, it.Fields, want[i])
		}
	}
	// The first item is exactly the first <meeting>…</meeting> of the file.
	start := bytes.Index(body, []byte("<meeting>"))
	end := bytes.Index(body, []byte("</meeting>")) + len("</meeting>")
	if !bytes.Equal(r.Items[0].Raw, body[start:end]) {
		t.Errorf("item 0 raw differs from the document's first meeting")
	}
	// Entities and CDATA stay as sent in Raw.
	if !bytes.Contains(r.Items[0].Raw, []byte("<![CDATA[Fred's <Room> & friends]]>")) ||
		!bytes.Contains(r.Items[0].Raw, []byte("room&amp;one")) {
		t.Errorf("raw item was altered: %q", r.Items[0].Raw)
	}
	if Int(r.Items[0].Fields[2])+Int(r.Items[1].Fields[2]) != 2 {
		t.Errorf("participant counts %q %q", r.Items[0].Fields[2], r.Items[1].Fields[2])
	}
}

func TestParseReplyWithoutList(t *testing.T) {
	body := readTestdata(t, "getMeetings.xml")
	r, err := ParseReply(body, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.HasList || len(r.Items) != 0 {
		t.Errorf("reply = %+v", r)
	}
	// A list spec naming another list finds nothing.
	r, err = ParseReply(body, recordingsSpec)
	if err != nil {
		t.Fatal(err)
	}
	if r.HasList || len(r.Items) != 0 {
		t.Errorf("recordings found in getMeetings: %+v", r)
	}
}

func TestParseReplyNoMeetings(t *testing.T) {
	for _, body := range []string{
		noMeetingsXML,
		`<response><returncode>SUCCESS</returncode><meetings></meetings><messageKey>noMeetings</messageKey><message>no meetings were found on this server</message></response>`,
		"<?xml version=\"1.0\"?>\n<response>\n <returncode>SUCCESS</returncode>\n <meetings>\n </meetings>\n <messageKey>noMeetings</messageKey>\n <message>no meetings were found on this server</message>\n</response>\n",
	} {
		r, err := ParseReply([]byte(body), meetingsSpec)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if !r.OK() || !r.HasList || len(r.Items) != 0 || r.MessageKey != "noMeetings" || r.Message != "no meetings were found on this server" {
			t.Errorf("%s: reply = %+v", body, r)
		}
	}
	// A missing <meetings> node (bigbluebutton-api-php #61) is a reply with no list.
	r, err := ParseReply([]byte(`<response><returncode>SUCCESS</returncode><messageKey>noMeetings</messageKey></response>`), meetingsSpec)
	if err != nil {
		t.Fatal(err)
	}
	if r.HasList || len(r.Items) != 0 {
		t.Errorf("reply = %+v", r)
	}
}

func TestParseReplyGetRecordings(t *testing.T) {
	body := readTestdata(t, "getRecordings.xml")
	r, err := ParseReply(body, recordingsSpec)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || !r.HasList || len(r.Items) != 3 {
		t.Fatalf("reply = %+v", r)
	}
	want := [][]string{
		{"ffbfc4cc24428694e8b53a4e144f414052431693-1530718721124", "1530718721124"},
		{"aaaa-1600000000000", ""},
		{"", ""},
	}
	for i, it := range r.Items {
		checkRaw(t, body, it, "recording")
		if len(it.Fields) != 2 || it.Fields[0] != want[i][0] || it.Fields[1] != want[i][1] {
			t.Errorf("item %d fields = %q, want %q", i, it.Fields, want[i])
		}
	}
	if got := r.Get("totalElements"); got != "3" {
		t.Errorf("totalElements = %q", got)
	}
	if Int(r.Items[0].Fields[1]) != 1530718721124 {
		t.Errorf("Int(startTime) = %d", Int(r.Items[0].Fields[1]))
	}
	// The list element is not a top-level text field.
	if got := r.Get("recordings"); got != "" {
		t.Errorf("Get(recordings) = %q", got)
	}
}

func TestParseReplyFailed(t *testing.T) {
	r, err := ParseReply([]byte(checksumErrorXML), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK() || r.ReturnCode != Failed || r.MessageKey != "checksumError" || r.Message != "Checksums do not match" {
		t.Errorf("reply = %+v", r)
	}
	// Multi-error form: returncode is enough.
	r, err = ParseReply([]byte(`<response><returncode>FAILED</returncode><errors><error><key>nonUniqueVoiceBridge</key><message>x</message></error></errors></response>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.ReturnCode != Failed || r.MessageKey != "" || r.Message != "" {
		t.Errorf("multi-error reply = %+v", r)
	}
}

func TestParseReplyTopLevel(t *testing.T) {
	r, err := ParseReply([]byte(createXML), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"internalMeetingID": "640ab2bae07bedc4c163f679a746f7ab7fb5d1fa-1531155809613",
		"meetingID":         "Test",
		"createTime":        "1531155809613",
		"hasUserJoined":     "false",
		"absent":            "",
		"returncode":        "", // returncode, messageKey and message have their own fields
	}
	for name, want := range tests {
		if got := r.Get(name); got != want {
			t.Errorf("Get(%q) = %q, want %q", name, got, want)
		}
	}
	if r.MessageKey != "duplicateWarning" || !strings.HasPrefix(r.Message, "This conference") {
		t.Errorf("key/message = %q/%q", r.MessageKey, r.Message)
	}
	// Entities and CDATA are decoded in top-level texts; nested elements
	// do not add to their parent's text; the first of two wins.
	r, err = ParseReply([]byte(`<response><returncode> SUCCESS </returncode><a>x&amp;y</a><b><![CDATA[<c>]]></b><m><n>inner</n></m><a>second</a></response>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Get("a") != "x&y" || r.Get("b") != "<c>" || r.Get("m") != "" {
		t.Errorf("reply = %+v, a=%q b=%q m=%q", r, r.Get("a"), r.Get("b"), r.Get("m"))
	}
}

func TestParseReplyRejects(t *testing.T) {
	full := readTestdata(t, "getMeetings.xml")
	tests := map[string]string{
		"empty":             "",
		"whitespace":        " \n",
		"html error page":   "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
		"html unclosed":     "<html><body><p>Error<br></body></html>",
		"nginx plain":       "Bad Gateway",
		"json":              `{"response":{"returncode":"SUCCESS","tracks":[]}}`,
		"another root":      `<result><returncode>SUCCESS</returncode></result>`,
		"two roots":         `<response><returncode>SUCCESS</returncode></response><response><returncode>SUCCESS</returncode></response>`,
		"no returncode":     `<response><meetings/></response>`,
		"empty response":    `<response/>`,
		"blank returncode":  `<response><returncode>  </returncode></response>`,
		"nested returncode": `<response><x><returncode>SUCCESS</returncode></x></response>`,
		"cut off":           string(full[:len(full)/2]),
		"cut off at end":    string(full[:len(full)-3]),
		"no close":          `<response><returncode>SUCCESS</returncode>`,
		"mismatched tags":   `<response><returncode>SUCCESS</code></response>`,
		"unknown entity":    `<response><returncode>SUCCESS</returncode><a>&nbsp;</a></response>`,
		"bad charset":       `<?xml version="1.0" encoding="ISO-8859-1"?><response><returncode>SUCCESS</returncode></response>`,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := ParseReply([]byte(body), meetingsSpec)
			if !errors.Is(err, ErrNotBBB) || r != nil {
				t.Errorf("ParseReply(%.60q) = %+v, %v; want ErrNotBBB", body, r, err)
			}
		})
	}
}

func TestListXML(t *testing.T) {
	body := readTestdata(t, "getMeetings.xml")
	r, err := ParseReply(body, meetingsSpec)
	if err != nil {
		t.Fatal(err)
	}
	items := [][]byte{r.Items[1].Raw, r.Items[0].Raw}
	out := ListXML("meetings", items, "noMeetings", "no meetings were found on this server", nil)
	want := "<response><returncode>SUCCESS</returncode><meetings>" + string(r.Items[1].Raw) + string(r.Items[0].Raw) + "</meetings></response>"
	if string(out) != want {
		t.Fatalf("ListXML = %s", out)
	}
	back, err := ParseReply(out, meetingsSpec)
	if err != nil {
		t.Fatal(err)
	}
	if !back.OK() || !back.HasList || len(back.Items) != 2 || back.MessageKey != "" {
		t.Fatalf("parsed back: %+v", back)
	}
	for i, it := range back.Items {
		checkRaw(t, out, it, "meeting")
		if !bytes.Equal(it.Raw, items[i]) {
			t.Errorf("item %d changed through ListXML", i)
		}
		if strings.Join(it.Fields, "|") != strings.Join(r.Items[1-i].Fields, "|") {
			t.Errorf("item %d fields %q", i, it.Fields)
		}
	}

	// Empty form, as BBB's getMeetings.
	out = ListXML("meetings", nil, "noMeetings", "no meetings were found on this server", nil)
	if string(out) != noMeetingsXML {
		t.Errorf("empty ListXML = %s\nwant %s", out, noMeetingsXML)
	}
	back, err = ParseReply(out, meetingsSpec)
	if err != nil || !back.HasList || len(back.Items) != 0 || back.MessageKey != "noMeetings" {
		t.Errorf("empty parsed back: %+v, %v", back, err)
	}

	// Empty without key; message escaped.
	out = ListXML("recordings", [][]byte{}, "", "", nil)
	if string(out) != "<response><returncode>SUCCESS</returncode><recordings/></response>" {
		t.Errorf("empty without key = %s", out)
	}
	out = ListXML("recordings", nil, "noRecordings", "a < b & c", nil)
	back, err = ParseReply(out, recordingsSpec)
	if err != nil || back.Message != "a < b & c" || back.MessageKey != "noRecordings" {
		t.Errorf("escaped message: %s -> %+v, %v", out, back, err)
	}

	// Extra after the list, in both forms.
	extra := []byte("<totalElements>2</totalElements>")
	for _, its := range [][][]byte{nil, items} {
		out = ListXML("meetings", its, "noMeetings", "none", extra)
		if !bytes.HasSuffix(out, []byte("</meetings><totalElements>2</totalElements></response>")) &&
			!bytes.HasSuffix(out, []byte("<message>none</message><totalElements>2</totalElements></response>")) {
			t.Errorf("extra misplaced: %s", out)
		}
		back, err = ParseReply(out, meetingsSpec)
		if err != nil || back.Get("totalElements") != "2" || len(back.Items) != len(its) {
			t.Errorf("with extra parsed back: %+v, %v", back, err)
		}
	}
}

func TestInt(t *testing.T) {
	tests := map[string]int64{
		"0": 0, "42": 42, "-3": -3, "1715261728123": 1715261728123,
		"": 0, "x": 0, " 1": 0, "1.5": 0, "99999999999999999999": 0,
	}
	for in, want := range tests {
		if got := Int(in); got != want {
			t.Errorf("Int(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestParseReplyOutsideRoot(t *testing.T) {
	const doc = "<response><returncode>SUCCESS</returncode></response>"
	// Declaration, white space and comments around the root are fine.
	for _, body := range []string{
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + doc + "\n",
		"\n\t " + doc + "\r\n",
		"<!-- bbb -->" + doc + "<!-- end -->",
	} {
		if r, err := ParseReply([]byte(body), nil); err != nil || !r.OK() {
			t.Errorf("ParseReply(%q) = %+v, %v", body, r, err)
		}
	}
	// Text outside the root is not well-formed XML: a proxy's error text
	// glued to a document must not pass for a BBB answer.
	for _, body := range []string{
		doc + "Internal Server Error",
		"Error " + doc,
	} {
		r, err := ParseReply([]byte(body), nil)
		if err == nil {
			t.Fatalf("ParseReply accepts character data outside the root element: %q -> %+v", body, r)
		}
		if !errors.Is(err, ErrNotBBB) {
			t.Errorf("ParseReply(%q) = %v", body, err)
		}
	}
}

func TestParseReplyNestedFields(t *testing.T) {
	body := readTestdata(t, "getMeetings.xml")
	spec := &ListSpec{List: "meetings", Item: "meeting", Fields: []string{
		"meetingID",
		"metadata/bbb-origin",
		"metadata/endcallbackurl",
		"metadata/meetingID",
		"breakoutRooms/breakout",
		"metadata/absent",
		"attendees/attendee/userID", // deeper than a grandchild: not supported
		"bbb-origin",                // a grandchild is not a child
	}}
	r, err := ParseReply(body, spec)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"room&one", "greenlight", "https://gl.example.com/meeting_ended?a=1&b=2", "not-the-meeting-id", "breakout-internal-id", "", "", ""},
		{"room[1]", "", "", "", "", "", "", ""},
	}
	if len(r.Items) != len(want) {
		t.Fatalf("%d items", len(r.Items))
	}
	for i, it := range r.Items {
		checkRaw(t, body, it, "meeting")
		for j := range want[i] {
			if it.Fields[j] != want[i][j] {
				t.Errorf("item %d field %q = %q, want %q", i, spec.Fields[j], it.Fields[j], want[i][j])
			}
		}
	}

	// A plain field is not confused by a metadata key of the same name.
	doc := `<response><returncode>SUCCESS</returncode><meetings><meeting>` +
		`<metadata><meetingID>meta</meetingID><bbb-meeting-size-hint> 25 </bbb-meeting-size-hint></metadata>` +
		`<meetingID>real</meetingID></meeting></meetings></response>`
	r, err = ParseReply([]byte(doc), &ListSpec{List: "meetings", Item: "meeting", Fields: []string{"meetingID", "metadata/bbb-meeting-size-hint"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Items[0].Fields; got[0] != "real" || got[1] != "25" {
		t.Errorf("fields %q", got)
	}
}

// Asking for an element and one of its children at once gives both.
func TestParseReplyFieldAndItsChild(t *testing.T) {
	doc := `<response><returncode>SUCCESS</returncode><meetings><meeting>` +
		`<metadata><bbb-origin>greenlight</bbb-origin></metadata></meeting></meetings></response>`
	r, err := ParseReply([]byte(doc), &ListSpec{List: "meetings", Item: "meeting", Fields: []string{"metadata", "metadata/bbb-origin"}})
	if err != nil {
		t.Fatal(err)
	}
	got := r.Items[0].Fields
	if got[1] == "" {
		t.Fatalf("with Fields {\"metadata\", \"metadata/bbb-origin\"} the nested field is never filled: %q", got)
	}
	if got[1] != "greenlight" {
		t.Errorf("fields %q", got)
	}
}

// TestParseReplyStringsOwnTheirBytes: the Reply's strings are copies, not
// views of the body, which the poller recycles for the next answer; an
// item's fields cannot be grown into the next item's.
func TestParseReplyStringsOwnTheirBytes(t *testing.T) {
	body := []byte("<response><returncode>SUCCESS</returncode><version>2.0</version><messageKey>k</messageKey><message>m</message>" +
		"<meetings><meeting><meetingID>a</meetingID><participantCount>1</participantCount></meeting>" +
		"<meeting><meetingID>b</meetingID></meeting></meetings></response>")
	r, err := ParseReply(body, meetingsSpec)
	if err != nil || len(r.Items) != 2 {
		t.Fatalf("%+v, %v", r, err)
	}
	for i := range body {
		body[i] = 'X' // the next answer read into the same buffer
	}
	if got := []string{r.ReturnCode, r.Get("version"), r.MessageKey, r.Message, r.Items[0].Fields[0], r.Items[0].Fields[2], r.Items[1].Fields[0]}; strings.Join(got, "|") != "SUCCESS|2.0|k|m|a|1|b" {
		t.Errorf("after the body changed: %q", got)
	}
	f := append(r.Items[0].Fields, "grown")
	if r.Items[1].Fields[0] != "b" || len(f) != len(meetingsSpec.Fields)+1 {
		t.Errorf("appending to item 0's fields changed item 1's: %q", r.Items[1].Fields)
	}
}

// TestParseReplyConcurrent: parses running at once (the poller's, one
// per server) share no scratch memory; run with -race.
func TestParseReplyConcurrent(t *testing.T) {
	docs := make([][]byte, 8)
	for i := range docs {
		docs[i] = meetingsDoc(t, i+1)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for n := range 50 {
				i := (g + n) % len(docs)
				r, err := ParseReply(docs[i], meetingsSpec)
				if err != nil || len(r.Items) != i+1 || r.Items[i].Fields[0] != fmt.Sprintf("room-%d", i) {
					t.Errorf("doc %d: %v", i, err)
					return
				}
				if _, err := ParseReply(docs[i][:len(docs[i])/2], meetingsSpec); err == nil {
					t.Errorf("doc %d cut in half accepted", i)
					return
				}
			}
		})
	}
	wg.Wait()
}
