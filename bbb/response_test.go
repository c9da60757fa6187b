package bbb

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestErrorXML(t *testing.T) {
	tests := []struct {
		e    *Error
		want string
	}{
		{ChecksumError(ErrChecksumMismatch), "<response><returncode>FAILED</returncode><messageKey>checksumError</messageKey><message>Checksums do not match</message></response>"},
		{ErrNoServers, "<response><returncode>FAILED</returncode><messageKey>internalError</messageKey><message>Could not find any available servers.</message></response>"},
		{&Error{"k<&>", `a "quoted" <b> & 'c'` + "\n"}, "<response><returncode>FAILED</returncode><messageKey>k&lt;&amp;&gt;</messageKey><message>a &#34;quoted&#34; &lt;b&gt; &amp; &#39;c&#39;&#xA;</message></response>"},
		{&Error{"", ""}, "<response><returncode>FAILED</returncode><messageKey></messageKey><message></message></response>"},
	}
	for _, tt := range tests {
		got := ErrorXML(tt.e)
		if string(got) != tt.want {
			t.Errorf("ErrorXML(%+v) =\n%s\nwant\n%s", tt.e, got, tt.want)
		}
		r, err := ParseReply(got, nil)
		if err != nil {
			t.Errorf("ErrorXML(%+v) does not parse: %v", tt.e, err)
			continue
		}
		if r.ReturnCode != Failed || r.MessageKey != tt.e.Key {
			t.Errorf("parsed back %+v", r)
		}
	}
	e := &Error{"notFound", "A meeting with that ID does not exist"}
	if e.Error() != "notFound: A meeting with that ID does not exist" {
		t.Errorf("Error() = %q", e.Error())
	}
}

func TestErrorCatalogue(t *testing.T) {
	// Keys and texts integrations key on (bbb-api.md §3.1).
	tests := []struct {
		e         *Error
		key, text string
	}{
		{ErrMissingMeetingID, "missingParamMeetingID", "You must provide a meeting ID"},
		{ErrMeetingNotFound, "notFound", "A meeting with that ID does not exist"},
		{ErrRecordNotFound, "notFound", "We could not find recordings"},
		{ErrMissingRecordID, "missingParamRecordID", "You must specify a recordID."},
		{ErrUnsupported, "unsupportedRequest", "This request is not supported."},
		{ErrNoServers, "internalError", "Could not find any available servers."},
		{ErrBackend, "internalError", "Unable to access server."},
		{ErrContentType, "unsupportedContentType", "POST request Content-Type is missing or unsupported"},
		{ChecksumError(ErrMissingChecksum), "checksumError", "You must provide the checksum"},
	}
	for _, tt := range tests {
		if tt.e.Key != tt.key || tt.e.Message != tt.text {
			t.Errorf("%+v, want %s / %s", tt.e, tt.key, tt.text)
		}
	}
}

func checkHeaders(t *testing.T, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status %d, want %d", rec.Code, status)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/xml;charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q", cc)
	}
}

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Type", "text/html") // replaced, not added
	WriteError(rec, ChecksumError(ErrMissingChecksum))
	checkHeaders(t, rec, http.StatusOK)
	if vs := rec.Header().Values("Content-Type"); len(vs) != 1 {
		t.Errorf("Content-Type values %q", vs)
	}
	want := "<response><returncode>FAILED</returncode><messageKey>checksumError</messageKey><message>You must provide the checksum</message></response>"
	if rec.Body.String() != want {
		t.Errorf("body %s", rec.Body)
	}
}

func TestWriteXML(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteXML(rec, RunningXML(true))
	checkHeaders(t, rec, http.StatusOK)
	if rec.Body.String() != "<response><returncode>SUCCESS</returncode><running>true</running></response>" {
		t.Errorf("body %s", rec.Body)
	}

	rec = httptest.NewRecorder()
	WriteXMLStatus(rec, http.StatusRequestEntityTooLarge, ErrorXML(ErrTooLarge))
	checkHeaders(t, rec, http.StatusRequestEntityTooLarge)
	r, err := ParseReply(rec.Body.Bytes(), nil)
	if err != nil || r.MessageKey != "requestTooLarge" {
		t.Errorf("body %s: %+v %v", rec.Body, r, err)
	}
}

func TestCannedDocuments(t *testing.T) {
	for _, running := range []bool{true, false} {
		r, err := ParseReply(RunningXML(running), nil)
		if err != nil || !r.OK() {
			t.Fatalf("RunningXML(%v): %+v %v", running, r, err)
		}
		want := "false"
		if running {
			want = "true"
		}
		if r.Get("running") != want {
			t.Errorf("RunningXML(%v) running=%q", running, r.Get("running"))
		}
	}
	r, err := ParseReply(VersionXML, nil)
	if err != nil || !r.OK() || r.Get("version") != "2.0" || r.Get("apiVersion") != "2.0" {
		t.Errorf("VersionXML: %+v %v", r, err)
	}
}

func TestEscape(t *testing.T) {
	tests := map[string]string{
		"":              "",
		"plain":         "plain",
		"a<b>&c":        "a&lt;b&gt;&amp;c",
		`"q" 'a'`:       "&#34;q&#34; &#39;a&#39;",
		"Ünïcode":       "Ünïcode",
		"tab\tnl\n":     "tab&#x9;nl&#xA;",
		"ctl\x01":       "ctl\uFFFD",
		"bad utf8 \xff": "bad utf8 \uFFFD",
	}
	for in, want := range tests {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteJSONError(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteJSONError(rec, &Error{"paramError", `Missing param "checksum" <&>`})
	if rec.Code != http.StatusOK {
		t.Errorf("status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q", cc)
	}
	var doc struct {
		Response map[string]string `json:"response"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("%s: %v", rec.Body, err)
	}
	want := map[string]string{"returncode": "FAILED", "messageKey": "paramError", "message": `Missing param "checksum" <&>`}
	if len(doc.Response) != len(want) {
		t.Errorf("response %q", doc.Response)
	}
	for k, v := range want {
		if doc.Response[k] != v {
			t.Errorf("%s = %q, want %q", k, doc.Response[k], v)
		}
	}
}
