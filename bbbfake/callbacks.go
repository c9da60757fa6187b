package bbbfake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// callbackClient makes the fake's callbacks; like BBB, it does not follow
// redirects.
var callbackClient = &http.Client{
	Timeout:       5 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// callBack sends one callback and returns the HTTP status.
func (s *Server) callBack(method, u string, body []byte, header http.Header) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := callbackClient.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// WaitCallbacks waits for the end callbacks under way to finish.
func (s *Server) WaitCallbacks() { s.callbacks.Wait() }

func appendQuery(u, q string) string {
	if strings.Contains(u, "?") {
		return u + "&" + q
	}
	return u + "?" + q
}

// RecordingReady makes BBB's recording-ready callback for a recording
// added with AddRecording: a POST of signed_parameters, a JWT (HS256)
// with meeting_id and record_id signed with this server's secret, to the
// URL in its metadata (bn-recording-ready-url, else bbb-, else canvas-).
// It returns the HTTP status the receiver answered.
func (s *Server) RecordingReady(recordID string) (int, error) {
	s.mu.Lock()
	r := s.findRecording(recordID)
	var rec Recording
	if r != nil {
		rec = r.clone()
	}
	s.mu.Unlock()
	if r == nil {
		return 0, fmt.Errorf("no recording %q", recordID)
	}
	var target string
	for _, k := range []string{"bn-recording-ready-url", "bbb-recording-ready-url", "canvas-recording-ready-url"} {
		if target = rec.Metadata[k]; target != "" {
			break
		}
	}
	if target == "" {
		return 0, fmt.Errorf("recording %q has no recording-ready URL", recordID)
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"meeting_id": rec.MeetingID, "record_id": recordID,
	}).SignedString([]byte(s.secret))
	if err != nil {
		return 0, err
	}
	body := url.Values{"signed_parameters": {tok}}.Encode()
	return s.callBack(http.MethodPost, target, []byte(body), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
}

// Analytics makes BBB's learning-analytics callback for a running meeting:
// a JSON POST to its analytics-callback-url metadata with a Bearer JWT
// (HS512, with exp) signed with this server's secret. It returns the HTTP
// status and the JSON sent.
func (s *Server) Analytics(meetingID string) (int, []byte, error) {
	s.mu.Lock()
	m := s.meetings[meetingID]
	var target, internal string
	var attendees []map[string]any
	if m != nil {
		target, internal = m.metadata["analytics-callback-url"], m.internalID
		for _, a := range m.attendees {
			attendees = append(attendees, map[string]any{"ext_user_id": a.UserID, "name": a.FullName, "moderator": a.Role == roleModerator})
		}
	}
	s.mu.Unlock()
	if m == nil || target == "" {
		return 0, nil, fmt.Errorf("meeting %q has no analytics-callback-url", meetingID)
	}
	body, _ := json.Marshal(map[string]any{
		"version": "1.0", "meeting_id": meetingID, "internal_meeting_id": internal,
		"data": map[string]any{"metadata": map[string]string{}, "duration": 60, "attendees": attendees},
	})
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims{
		"exp": time.Now().Add(24 * time.Hour).Unix(),
	}).SignedString([]byte(s.secret))
	if err != nil {
		return 0, nil, err
	}
	status, err := s.callBack(http.MethodPost, target, body, http.Header{
		"Content-Type":  {"application/json"},
		"Authorization": {"Bearer " + tok},
		"User-Agent":    {"BigBlueButton Analytics Callback"},
	})
	return status, body, err
}
