package bbb

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
)

// Return codes of the <returncode> element.
const (
	Success = "SUCCESS"
	Failed  = "FAILED"
)

// Error is a BBB API error: a messageKey integrations key on, and a
// human-readable message.
type Error struct {
	Key     string
	Message string
}

func (e *Error) Error() string { return e.Key + ": " + e.Message }

// The errors tinyscale answers itself, with BBB's own keys and texts
// (shared/bbb-api.md §3.1), so integrations react as they would to BBB.
var (
	ErrMissingMeetingID = &Error{"missingParamMeetingID", "You must provide a meeting ID"}
	ErrMeetingNotFound  = &Error{"notFound", "A meeting with that ID does not exist"}
	ErrRecordNotFound   = &Error{"notFound", "We could not find recordings"}
	ErrMissingRecordID  = &Error{"missingParamRecordID", "You must specify a recordID."}
	ErrUnsupported      = &Error{"unsupportedRequest", "This request is not supported."}
	ErrNoServers        = &Error{"internalError", "Could not find any available servers."}
	ErrBackend          = &Error{"internalError", "Unable to access server."}
	ErrStateUnavailable = &Error{"internalError", "The meeting registry is unavailable; try again shortly."}
	ErrContentType      = &Error{"unsupportedContentType", "POST request Content-Type is missing or unsupported"}
	ErrBadQuery         = &Error{"validationError", "Request not recognized"}
	ErrTooLarge         = &Error{"requestTooLarge", "The request body is larger than this server accepts."}
)

// ChecksumError wraps a checksum failure from Verify in BBB's messageKey.
func ChecksumError(err error) *Error {
	return &Error{"checksumError", err.Error()}
}

// WriteXML sends a complete XML document with BBB's headers and status 200.
func WriteXML(w http.ResponseWriter, body []byte) {
	WriteXMLStatus(w, http.StatusOK, body)
}

// WriteXMLStatus is WriteXML with another HTTP status, for limits.
func WriteXMLStatus(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/xml;charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	w.Write(body)
}

// WriteError sends e as BBB does: HTTP 200, returncode FAILED.
func WriteError(w http.ResponseWriter, e *Error) {
	WriteXML(w, ErrorXML(e))
}

// WriteJSONError sends e in the JSON form of the text-track calls.
func WriteJSONError(w http.ResponseWriter, e *Error) {
	body, _ := json.Marshal(map[string]map[string]string{"response": {
		"returncode": Failed, "messageKey": e.Key, "message": e.Message,
	}})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// ErrorXML renders e as a BBB FAILED response document.
func ErrorXML(e *Error) []byte {
	var b strings.Builder
	b.WriteString("<response><returncode>FAILED</returncode><messageKey>")
	xml.EscapeText(&b, []byte(e.Key))
	b.WriteString("</messageKey><message>")
	xml.EscapeText(&b, []byte(e.Message))
	b.WriteString("</message></response>")
	return []byte(b.String())
}

// VersionXML is the answer to the API root, as a BBB 2.4+ server gives it.
var VersionXML = []byte("<response><returncode>SUCCESS</returncode><version>2.0</version><apiVersion>2.0</apiVersion><bbbVersion></bbbVersion></response>")

// RunningXML is isMeetingRunning's answer.
func RunningXML(running bool) []byte {
	if running {
		return []byte("<response><returncode>SUCCESS</returncode><running>true</running></response>")
	}
	return []byte("<response><returncode>SUCCESS</returncode><running>false</running></response>")
}

// Escape returns s escaped for XML character data.
func Escape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
