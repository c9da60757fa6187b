package bbbfake

import (
	"bytes"
	"net/url"
	"slices"
	"time"
)

// Request is one API request as the server received it.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Call is the call name after /bigbluebutton/api/ ("create",
	// "hooks/list"); "" for the API root.
	Call string
	// RawQuery is the URL query exactly as received, checksum included.
	RawQuery string
	// ContentType is the Content-Type header.
	ContentType string
	// Body is the request body (POST), as received.
	Body []byte
	// Query holds the decoded parameters: the URL query, plus the fields
	// of a form-urlencoded or multipart body. Undecodable pairs are left out.
	Query url.Values
	// At is when the request was received.
	At time.Time
}

func (r Request) clone() Request {
	r.Body = bytes.Clone(r.Body)
	r.Query = cloneValues(r.Query)
	return r
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = slices.Clone(vs)
	}
	return c
}

func (s *Server) record(r Request) {
	r.At = time.Now()
	s.mu.Lock()
	s.requests = append(s.requests, r)
	s.mu.Unlock()
}

// Requests returns a copy of every API request received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = r.clone()
	}
	return out
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

// CountCalls returns how many requests for call (a call name such as
// "getMeetings"; "" for the root) were received.
func (s *Server) CountCalls(call string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Call == call {
			n++
		}
	}
	return n
}
