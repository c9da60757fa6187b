package admin

import (
	"encoding/json"
	"net/http"
	"strings"
)

// ErrorBody is every error answer of the API.
type ErrorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, ErrorBody{Error: msg})
}

// writeErr answers err: its own status for an *Error, else 500.
func writeErr(w http.ResponseWriter, err error) {
	if e, ok := err.(*Error); ok {
		writeError(w, e.Status, e.Msg)
		return
	}
	writeError(w, http.StatusInternalServerError, err.Error())
}

// jsonErrors replaces a plain-text error answer (the mux's own 404 and
// 405) with a JSON one. Answers the API writes itself are JSON already and
// pass.
type jsonErrors struct {
	http.ResponseWriter
	r       *http.Request
	swallow bool
}

func (j *jsonErrors) WriteHeader(status int) {
	if status >= 400 && !strings.HasPrefix(j.Header().Get("Content-Type"), "application/json") {
		j.swallow = true
		j.Header().Del("X-Content-Type-Options")
		msg := http.StatusText(status)
		switch status {
		case http.StatusNotFound:
			msg = "no such admin endpoint: " + j.r.Method + " " + j.r.URL.Path + " (see docs/admin.md)"
		case http.StatusMethodNotAllowed:
			msg = j.r.Method + " not allowed on " + j.r.URL.Path + "; allowed: " + j.Header().Get("Allow")
		}
		writeJSON(j.ResponseWriter, status, ErrorBody{Error: msg})
		return
	}
	j.ResponseWriter.WriteHeader(status)
}

func (j *jsonErrors) Write(b []byte) (int, error) {
	if j.swallow {
		return len(b), nil
	}
	return j.ResponseWriter.Write(b)
}
