package bbbfake

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
)

const testSecret = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"

// noFollow is an HTTP client that returns a join's 302 as the answer.
var noFollow = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func startTest(t *testing.T) *Server {
	t.Helper()
	s := Start(testSecret)
	t.Cleanup(s.Close)
	return s
}

// signed returns the full URL of call with query signed by the server's secret.
func signed(s *Server, call, query string) string {
	return s.URL() + "/" + call + "?" + bbb.Sign(bbb.SHA256, call, query, s.Secret())
}

// do sends a request and reads the whole answer.
func do(t *testing.T, method, u, contentType string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := noFollow.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, data
}

// call sends a signed GET and parses the XML answer, which must come with
// HTTP 200 and BBB's Content-Type.
func call(t *testing.T, s *Server, name, query string) *bbb.Reply {
	t.Helper()
	res, body := do(t, http.MethodGet, signed(s, name, query), "", nil)
	return parse(t, res, body)
}

func parse(t *testing.T, res *http.Response, body []byte) *bbb.Reply {
	t.Helper()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d, body %s", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/xml;charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	r, err := bbb.ParseReply(body, nil)
	if err != nil {
		t.Fatalf("parse %s: %v", body, err)
	}
	return r
}

// callBody is call returning the raw XML as well.
func callBody(t *testing.T, s *Server, name, query string) (*bbb.Reply, []byte) {
	t.Helper()
	res, body := do(t, http.MethodGet, signed(s, name, query), "", nil)
	return parse(t, res, body), body
}

// expect fails unless r has the return code and message key.
func expect(t *testing.T, r *bbb.Reply, rc, key string) {
	t.Helper()
	if r.ReturnCode != rc || r.MessageKey != key {
		t.Fatalf("got %s/%s (%q), want %s/%s", r.ReturnCode, r.MessageKey, r.Message, rc, key)
	}
}

// children returns the names of the child elements of the first element
// called parent, in order.
func children(t *testing.T, body []byte, parent string) []string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(body))
	var names []string
	depth, in := 0, -1
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatalf("bad XML %s: %v", body, err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			depth++
			if in < 0 && e.Name.Local == parent {
				in = depth
			} else if in > 0 && depth == in+1 {
				names = append(names, e.Name.Local)
			}
		case xml.EndElement:
			if depth == in {
				return names
			}
			depth--
		}
	}
}

// texts returns the text of every element called name, in order.
func texts(t *testing.T, body []byte, name string) []string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(body))
	var out []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("bad XML %s: %v", body, err)
		}
		if e, ok := tok.(xml.StartElement); ok && e.Name.Local == name {
			var v string
			if err := d.DecodeElement(&v, &e); err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
	}
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// q builds a query in the given order, form-encoded: q("a", "1", "b", "x y").
func q(kv ...string) string {
	var parts []string
	for i := 0; i < len(kv); i += 2 {
		parts = append(parts, url.QueryEscape(kv[i])+"="+url.QueryEscape(kv[i+1]))
	}
	return strings.Join(parts, "&")
}

// create makes a meeting and fails the test unless it is new.
func create(t *testing.T, s *Server, kv ...string) *bbb.Reply {
	t.Helper()
	r := call(t, s, bbb.CallCreate, q(kv...))
	expect(t, r, bbb.Success, "")
	return r
}
