package bbbfake

import (
	"encoding/xml"
	"net/http"

	"github.com/tinyscale/tinyscale/bbb"
)

// The fake writes its errors with its own code and its own copy of BBB's
// messageKeys and messages (from bbb-web's ApiController and its
// validation constraints), not with package bbb's: tinyscale's errors are
// tested against what the fake answers, so the two must not share a table
// that could be wrong in both at once. *bbb.Error is only the carrier.
var (
	errMissingMeetingID  = &bbb.Error{Key: "missingParamMeetingID", Message: "You must provide a meeting ID"}
	errNotFound          = &bbb.Error{Key: "notFound", Message: "A meeting with that ID does not exist"}
	errRecordingNotFound = &bbb.Error{Key: "notFound", Message: "We could not find recordings"}
	errMissingRecordID   = &bbb.Error{Key: "missingParamRecordID", Message: "You must specify a recordID."}
	errUnsupported       = &bbb.Error{Key: "unsupportedRequest", Message: "This request is not supported."}
	errContentType       = &bbb.Error{Key: "unsupportedContentType", Message: "POST request Content-Type is missing or unsupported"}
	errNotRecognized     = &bbb.Error{Key: "validationError", Message: "Request not recognized"}
	// errBodyTooLarge stands for the container's 413 (Tomcat/nginx), whose
	// body BBB does not write; the fake answers it in BBB XML.
	errBodyTooLarge = &bbb.Error{Key: "requestTooLarge", Message: "The request body is larger than this server accepts."}
)

// checksumFailure is the messageKey checksumError with err's message.
func checksumFailure(err error) *bbb.Error {
	return &bbb.Error{Key: "checksumError", Message: err.Error()}
}

// failedResponse is BBB's error document:
// <response><returncode>FAILED</returncode><messageKey>…</messageKey><message>…</message></response>.
type failedResponse struct {
	XMLName    xml.Name `xml:"response"`
	ReturnCode string   `xml:"returncode"`
	MessageKey string   `xml:"messageKey"`
	Message    string   `xml:"message"`
}

// errorDocument renders e as BBB's FAILED document.
func errorDocument(e *bbb.Error) []byte {
	b, err := xml.Marshal(failedResponse{ReturnCode: "FAILED", MessageKey: e.Key, Message: e.Message})
	if err != nil {
		panic("bbbfake: " + err.Error()) // a struct of strings always marshals
	}
	return b
}

// writeError answers e as BBB does: HTTP 200, text/xml, returncode FAILED.
func writeError(w http.ResponseWriter, e *bbb.Error) {
	writeErrorStatus(w, http.StatusOK, e)
}

func writeErrorStatus(w http.ResponseWriter, status int, e *bbb.Error) {
	h := w.Header()
	h.Set("Content-Type", "text/xml;charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	w.Write(errorDocument(e))
}
