package bbbfake

import (
	"html"
	"net/http"
	"strings"
)

// playbackPath prefixes a recording's presentation playback URL.
const playbackPath = "/playback/presentation/2.3/"

// serveClient is the html5client landing page a join redirects to: it
// says which server and meeting the user joined, for the demo.
func (s *Server) serveClient(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("sessionToken")
	s.mu.Lock()
	sess, ok := s.sessions[token]
	name := s.name
	s.mu.Unlock()
	if !ok {
		page(w, http.StatusNotFound, "Invalid session", "<p>No session with this token on "+html.EscapeString(name)+".</p>")
		return
	}
	page(w, http.StatusOK, "Joined "+sess.meetingName,
		"<p>Server: <strong id=\"server\">"+html.EscapeString(name)+"</strong></p>"+
			"<p>Meeting: <strong id=\"meeting\">"+html.EscapeString(sess.meetingName)+"</strong>"+
			" (<code id=\"meetingID\">"+html.EscapeString(sess.meetingID)+"</code>)</p>"+
			"<p>User: <strong id=\"user\">"+html.EscapeString(sess.fullName)+"</strong>"+
			" (<span id=\"role\">"+html.EscapeString(sess.role)+"</span>)</p>")
}

// servePlayback is a recording's playback page.
func (s *Server) servePlayback(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, playbackPath)
	s.mu.Lock()
	rec := s.findRecording(id)
	name := s.name
	var title string
	if rec != nil {
		title = rec.Name
	}
	s.mu.Unlock()
	if rec == nil {
		http.NotFound(w, r)
		return
	}
	page(w, http.StatusOK, "Recording "+title,
		"<p>Server: <strong>"+html.EscapeString(name)+"</strong></p>"+
			"<p>Recording <code>"+html.EscapeString(id)+"</code></p>")
}

// serveIndex is the server's root page, where join errors land by default.
func (s *Server) serveIndex(w http.ResponseWriter) {
	page(w, http.StatusOK, "Fake BigBlueButton "+s.Name(), "<p>API: <code>"+html.EscapeString(s.URL())+"</code></p>")
}

func page(w http.ResponseWriter, status int, title, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html.EscapeString(title) +
		"</title></head><body><h1>" + html.EscapeString(title) + "</h1>" + body + "</body></html>\n"))
}
