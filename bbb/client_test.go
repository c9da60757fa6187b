package bbb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const testSecret = "0123456789abcdefSECRETsecret"

// signedServer is a fake BBB that checks every call's checksum with
// Verify, as a real one would, and records what it received.
type signedServer struct {
	*httptest.Server
	alg      Algorithm
	lastRaw  atomic.Value // string
	lastBody atomic.Value // []byte
	lastCT   atomic.Value // string
	hits     atomic.Int32
}

func newSignedServer(t *testing.T, alg Algorithm) *signedServer {
	s := &signedServer{alg: alg}
	mux := http.NewServeMux()
	mux.HandleFunc("/bigbluebutton/api/", func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		call := strings.TrimPrefix(r.URL.Path, "/bigbluebutton/api/")
		s.lastRaw.Store(r.URL.RawQuery)
		body, _ := io.ReadAll(r.Body)
		s.lastBody.Store(body)
		s.lastCT.Store(r.Header.Get("Content-Type"))
		query, err := Verify(call, r.URL.RawQuery, s.alg, testSecret)
		if err != nil {
			WriteError(w, ChecksumError(err))
			return
		}
		if call == CallJoin {
			w.Header().Set("Location", "/html5client/join?sessionToken=ai1wqj8wb6s7rnk0")
			w.WriteHeader(http.StatusFound)
			return
		}
		WriteXML(w, []byte("<response><returncode>SUCCESS</returncode><query>"+Escape(query)+"</query></response>"))
	})
	mux.HandleFunc("/html5client/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("redirect followed to %s", r.URL)
		w.WriteHeader(http.StatusTeapot)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *signedServer) client(alg Algorithm) *Client {
	return &Client{
		Base:      s.URL + "/bigbluebutton/api",
		Secret:    testSecret,
		Algorithm: alg,
		HTTP:      NewHTTPClient(NewTransport(time.Second, 2*time.Second)),
	}
}

func TestClientSignsCalls(t *testing.T) {
	tests := []struct {
		name      string
		clientAlg Algorithm
		serverAlg Algorithm
		csLen     int
	}{
		{"default is sha256", 0, SHA256, 64},
		{"sha1", SHA1, SHA1, 40},
		{"sha256", SHA256, SHA256, 64},
		{"sha384", SHA384, SHA384, 96},
		{"sha512", SHA512, SHA512, 128},
	}
	queries := []string{
		"",
		"meetingID=foobar",
		docQuery,
		"meetingID=room%5B1%5D&name=%C3%9Cn%C3%AFcode%20Room&meta_file_checksum=x",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSignedServer(t, tt.serverAlg)
			c := s.client(tt.clientAlg)
			for _, q := range queries {
				res, err := c.Get(context.Background(), CallGetMeetingInfo, q)
				if err != nil {
					t.Fatal(err)
				}
				r, err := ParseReply(res.Body, nil)
				if err != nil {
					t.Fatalf("%q: %v (%s)", q, err, res.Body)
				}
				if !r.OK() {
					t.Fatalf("%q: server rejected the checksum: %s", q, res.Body)
				}
				if r.Get("query") != q {
					t.Errorf("server saw query %q, want %q", r.Get("query"), q)
				}
				raw := s.lastRaw.Load().(string)
				_, cs := SplitChecksum(raw)
				if len(cs) != tt.csLen || cs != strings.ToLower(cs) {
					t.Errorf("checksum %q, want %d lower-case hex digits", cs, tt.csLen)
				}
				if raw != c.URL(CallGetMeetingInfo, q)[len(c.Base)+len(CallGetMeetingInfo)+2:] {
					t.Errorf("sent %q, URL gives %q", raw, c.URL(CallGetMeetingInfo, q))
				}
				if res.Status != http.StatusOK || res.ContentType != "text/xml;charset=utf-8" || res.Location != "" {
					t.Errorf("response %d %q %q", res.Status, res.ContentType, res.Location)
				}
			}
			// Another secret is refused by the server.
			bad := *c
			bad.Secret = "other"
			res, err := bad.Get(context.Background(), CallGetMeetings, "")
			if err != nil {
				t.Fatal(err)
			}
			if r, err := ParseReply(res.Body, nil); err != nil || r.MessageKey != "checksumError" {
				t.Errorf("wrong secret accepted: %s", res.Body)
			}
		})
	}
}

func TestClientURL(t *testing.T) {
	c := &Client{Base: "https://bbb.example.com/bigbluebutton/api", Secret: docSecret, Algorithm: SHA1}
	want := "https://bbb.example.com/bigbluebutton/api/create?" + docQuery + "&checksum=" + docSHA1
	if got := c.URL(CallCreate, docQuery); got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
	if got := c.URL("", ""); got != "https://bbb.example.com/bigbluebutton/api/?checksum=674406c8c965fa3ee35b767fd3319a83b87fc33f" {
		t.Errorf("root URL = %q", got)
	}
	c.Algorithm = 0
	if got := c.URL(CallCreate, docQuery); !strings.HasSuffix(got, "&checksum="+docSHA256) {
		t.Errorf("default algorithm URL = %q", got)
	}
}

func TestClientPostBodyForwarded(t *testing.T) {
	s := newSignedServer(t, SHA256)
	c := s.client(SHA256)
	bodies := []struct {
		ct   string
		body []byte
	}{
		{"application/xml", []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<modules>\r\n<module name=\"presentation\"><document url=\"https://host/f.pdf?a=1&amp;b=2\" filename=\"Ü.pdf\"/></module>\n</modules>\n")},
		{"text/xml; charset=UTF-8", []byte("<modules><module name=\"clientSettingsOverride\"><![CDATA[ { \"public\": {} } ]]></module></modules>")},
		{"application/x-www-form-urlencoded", []byte("name=Test+Meeting&meetingID=abc123&checksum=ignored")},
		{"multipart/form-data; boundary=XyZ", append([]byte("--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n"), append([]byte{0, 1, 2, 0xff, 0xfe, '\r', '\n'}, []byte("\r\n--XyZ--\r\n")...)...)},
		{"application/octet-stream", []byte{}},
	}
	for _, b := range bodies {
		res, err := c.Do(context.Background(), http.MethodPost, CallCreate, "meetingID=abc123", b.body, b.ct)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := ParseReply(res.Body, nil); err != nil || !r.OK() {
			t.Fatalf("%s: %s", b.ct, res.Body)
		}
		if got := s.lastBody.Load().([]byte); !bytes.Equal(got, b.body) {
			t.Errorf("%s: body %q, want %q", b.ct, got, b.body)
		}
		if got := s.lastCT.Load().(string); got != b.ct {
			t.Errorf("Content-Type %q, want %q", got, b.ct)
		}
	}
	// A GET has neither body nor Content-Type.
	if _, err := c.Get(context.Background(), CallGetMeetings, ""); err != nil {
		t.Fatal(err)
	}
	if len(s.lastBody.Load().([]byte)) != 0 || s.lastCT.Load().(string) != "" {
		t.Errorf("GET sent body %q, Content-Type %q", s.lastBody.Load(), s.lastCT.Load())
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	s := newSignedServer(t, SHA1)
	for name, c := range map[string]*Client{
		"NewHTTPClient": s.client(SHA1),
		"default HTTP":  {Base: s.URL + "/bigbluebutton/api", Secret: testSecret, Algorithm: SHA1},
	} {
		res, err := c.Get(context.Background(), CallJoin, "fullName=A&meetingID=abc&role=MODERATOR")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.Status != http.StatusFound || res.Location != "/html5client/join?sessionToken=ai1wqj8wb6s7rnk0" {
			t.Errorf("%s: got %d Location %q", name, res.Status, res.Location)
		}
	}
	if n := s.hits.Load(); n != 2 {
		t.Errorf("%d API hits, want 2", n)
	}
}

// sizedServer answers every request with n bytes, written in chunks.
func sizedServer(t *testing.T) *httptest.Server {
	chunk := bytes.Repeat([]byte("<x>0123456789</x>"), 1<<16) // ~1 MiB
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.URL.Query().Get("n"), &n)
		w.Header().Set("Content-Type", "text/xml")
		for n > 0 {
			k := min(n, len(chunk))
			if _, err := w.Write(chunk[:k]); err != nil {
				return
			}
			n -= k
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// TestClientResponseLimitLoopback streams answers of the limit and one byte
// more through a real server. It runs under -race too (about 4 s there):
// CI runs with -race, and a test CI never runs guards nothing.
func TestClientResponseLimitLoopback(t *testing.T) {
	s := sizedServer(t)
	c := &Client{Base: s.URL, Secret: testSecret, HTTP: NewHTTPClient(NewTransport(time.Second, 5*time.Second))}
	for _, n := range []int{0, 1, 1000, MaxResponseBytes} {
		res, err := c.Get(context.Background(), "x", fmt.Sprintf("n=%d", n))
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if len(res.Body) != n {
			t.Errorf("%d bytes: read %d", n, len(res.Body))
		}
	}
	res, err := c.Get(context.Background(), "x", fmt.Sprintf("n=%d", MaxResponseBytes+1))
	if err == nil || res != nil {
		t.Fatalf("MaxResponseBytes+1 accepted: %v", err)
	}
	if !strings.Contains(err.Error(), "larger than") || IsConnectError(err) {
		t.Errorf("error %v", err)
	}
}

// sizedBody is a response body of n bytes (n < 0: endless) that counts
// what was read of it.
type sizedBody struct {
	n      int64
	read   int64
	closed bool
}

var fill = bytes.Repeat([]byte("<meeting/>"), 1<<17)

func (b *sizedBody) Read(p []byte) (int, error) {
	if b.n >= 0 && b.read >= b.n {
		return 0, io.EOF
	}
	if b.n >= 0 {
		p = p[:min(int64(len(p)), b.n-b.read)]
	}
	k := 0
	for k < len(p) {
		k += copy(p[k:], fill)
	}
	b.read += int64(k)
	return k, nil
}

func (b *sizedBody) Close() error { b.closed = true; return nil }

type bodyTransport struct{ body *sizedBody }

func (tr bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"text/xml"}},
		Body:       tr.body,
		Request:    r,
	}, nil
}

// TestClientResponseLimit checks the boundary of MaxResponseBytes without
// a network: the limit itself passes, one byte more fails, and an endless
// answer is not read beyond the limit. Under -race only the empty case runs.
func TestClientResponseLimit(t *testing.T) {
	tests := []struct {
		n    int64
		ok   bool
		name string
	}{
		{0, true, "empty"},
		{MaxResponseBytes - 1, true, "limit-1"},
		{MaxResponseBytes, true, "limit"},
		{MaxResponseBytes + 1, false, "limit+1"},
		{-1, false, "endless"},
	}
	for _, tt := range tests {
		if raceEnabled && tt.n != 0 {
			// The race detector makes copying 64 MiB take seconds; the
			// logic checked here has no concurrency in it.
			continue
		}
		body := &sizedBody{n: tt.n}
		c := &Client{Base: "http://bbb.invalid/bigbluebutton/api", Secret: testSecret, HTTP: NewHTTPClient(bodyTransport{body})}
		res, err := c.Get(context.Background(), CallGetRecordings, "")
		if tt.ok {
			if err != nil || int64(len(res.Body)) != tt.n {
				t.Errorf("%s: %v", tt.name, err)
			}
		} else {
			if err == nil || res != nil {
				t.Errorf("%s: accepted", tt.name)
			} else if !strings.Contains(err.Error(), "larger than") || IsConnectError(err) {
				t.Errorf("%s: error %v", tt.name, err)
			}
			if body.read != MaxResponseBytes+1 {
				t.Errorf("%s: read %d bytes, want the limit plus one", tt.name, body.read)
			}
		}
		if !body.closed {
			t.Errorf("%s: body not closed", tt.name)
		}
	}
}

// assertScrubbed fails if err shows the signed URL or the secret.
func assertScrubbed(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, leak := range []string{"checksum", testSecret, "meetingID=", "?"} {
		if strings.Contains(msg, leak) {
			t.Errorf("error %q shows %q", msg, leak)
		}
	}
	if s := fmt.Sprintf("%+v", err); strings.Contains(s, "checksum") {
		t.Errorf("error %s shows the checksum", s)
	}
}

// refusedAddr returns a loopback address nothing listens on.
func refusedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestClientConnectError(t *testing.T) {
	c := &Client{Base: "http://" + refusedAddr(t) + "/bigbluebutton/api", Secret: testSecret,
		HTTP: NewHTTPClient(NewTransport(time.Second, time.Second))}
	addr := strings.TrimPrefix(strings.TrimSuffix(c.Base, "/bigbluebutton/api"), "http://")
	res, err := c.Do(context.Background(), http.MethodPost, CallCreate, "meetingID=abc&name=x", []byte("<modules/>"), "application/xml")
	if res != nil {
		t.Fatalf("response %+v", res)
	}
	assertScrubbed(t, err)
	if !IsConnectError(err) {
		t.Errorf("IsConnectError(%v) = false for a refused port", err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("error %v does not unwrap to ECONNREFUSED", err)
	}
	// The operator reading the log learns which call failed on which server.
	if want := "create on " + addr + ": "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
}

func TestClientTimeoutIsNotConnectError(t *testing.T) {
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer s.Close()
	defer close(release)

	// Context deadline.
	c := &Client{Base: s.URL + "/bigbluebutton/api", Secret: testSecret, HTTP: NewHTTPClient(NewTransport(time.Second, 5*time.Second))}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	res, err := c.Get(ctx, CallCreate, "meetingID=abc")
	if res != nil {
		t.Fatalf("response %+v", res)
	}
	assertScrubbed(t, err)
	if IsConnectError(err) {
		t.Errorf("IsConnectError(%v) = true for a timeout", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v is not DeadlineExceeded", err)
	}

	// The transport's response header timeout.
	c.HTTP = NewHTTPClient(NewTransport(time.Second, 100*time.Millisecond))
	res, err = c.Get(context.Background(), CallCreate, "meetingID=abc")
	if res != nil {
		t.Fatalf("response %+v", res)
	}
	assertScrubbed(t, err)
	if IsConnectError(err) {
		t.Errorf("IsConnectError(%v) = true for a header timeout", err)
	}
}

func TestClientBrokenAnswer(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte("<response>"))
		// The handler returns with 990 bytes missing: the client sees an
		// unexpected EOF while reading.
	}))
	defer s.Close()
	c := &Client{Base: s.URL, Secret: testSecret, HTTP: NewHTTPClient(NewTransport(time.Second, time.Second))}
	res, err := c.Get(context.Background(), CallGetMeetings, "")
	if res != nil {
		t.Fatalf("response %+v", res)
	}
	assertScrubbed(t, err)
	if IsConnectError(err) {
		t.Errorf("IsConnectError(%v) = true for a cut-off answer", err)
	}
}

// A Base that does not parse must not put the signed URL in the error either.
func TestClientBadBaseScrubbed(t *testing.T) {
	for _, base := range []string{"http://[::1/bigbluebutton/api", "http://host\x7f/bigbluebutton/api", "http://host:port/api"} {
		c := &Client{Base: base, Secret: testSecret}
		res, err := c.Get(context.Background(), CallJoin, "meetingID=abc&role=MODERATOR")
		if res != nil {
			t.Fatalf("response %+v", res)
		}
		if err == nil {
			t.Fatalf("%q: no error", base)
		}
		if strings.Contains(err.Error(), "checksum=") {
			t.Fatalf("Client.Do returns http.NewRequest's *url.Error unscrubbed, leaking the signed URL: %v", err)
		}
		assertScrubbed(t, err)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestIsConnectError(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errors.New("boom"), false},
		{"refused", refused, true},
		{"refused wrapped", &callError{call: "create", server: "bbb1", err: refused}, true},
		{"refused fmt-wrapped", fmt.Errorf("x: %w", refused), true},
		{"host unreachable", os.NewSyscallError("connect", syscall.EHOSTUNREACH), true},
		{"net unreachable", fmt.Errorf("x: %w", syscall.ENETUNREACH), true},
		{"dns", &callError{call: "create", server: "bbb1", err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "bbb.invalid", IsNotFound: true}}}, true},
		{"dial other", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("whatever")}, true},
		{"dial timeout", &net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr{}}, false},
		{"read error", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, false},
		{"deadline", &callError{call: "create", server: "bbb1", err: context.DeadlineExceeded}, false},
		{"canceled", context.Canceled, false},
		{"EOF", &callError{call: "create", server: "bbb1", err: io.EOF}, false},
		// The transport retried on a new connection after the first one
		// dropped: the retry's refused dial says nothing of the first.
		{"refused after a connection was made", &callError{call: "create", server: "bbb1", err: refused, sent: true}, false},
	}
	for _, tt := range tests {
		if got := IsConnectError(tt.err); got != tt.want {
			t.Errorf("%s: IsConnectError(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
