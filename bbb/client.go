package bbb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// MaxResponseBytes bounds what tinyscale reads of one backend answer, so a
// broken backend cannot exhaust its memory. getRecordings of a large server
// is the biggest answer there is; 64 MiB leaves room for tens of thousands.
const MaxResponseBytes = 64 << 20

// Client calls the API of one BBB server, signing every call with that
// server's secret.
type Client struct {
	// Base is the API base URL, ending in /bigbluebutton/api.
	Base string
	// Secret is the server's securitySalt. It never leaves this struct but in
	// a checksum.
	Secret string
	// Algorithm signs outgoing calls; SHA256 when zero.
	Algorithm Algorithm
	// HTTP sends the requests; NewTransport gives one with timeouts.
	HTTP *http.Client
	// Budget, when set, bounds the memory of the answers of every client
	// sharing it (see Budget); nil bounds each answer alone.
	Budget *Budget
}

// Response is a backend's answer, read whole.
type Response struct {
	Status      int
	ContentType string
	Location    string
	// SetCookie holds the answer's Set-Cookie headers (a join's
	// JSESSIONID), relayed to the client where BBB would set them.
	SetCookie []string
	Body      []byte

	charge *charge
	// pooled is Body's buffer when it came from answerBufs: Recycle
	// gives it back.
	pooled *[]byte
}

// Release gives the memory the answer holds back to its client's Budget:
// call it once the Body is no longer needed. It is safe to call more than
// once, and on a nil Response. An answer never released is given back when
// it is garbage collected.
func (r *Response) Release() {
	if r != nil {
		r.charge.free()
	}
}

// Recycle is Release, and gives Body's memory back for the next answers
// to read into: call it instead of Release when nothing refers to Body
// (or any slice of it) any more, as the poller does once it has parsed or
// recognised an answer. Body is nil afterwards. The poller reads an
// answer of every server at every round (500 answers of 50 to 100 KB on
// a large fleet): reading each into a new buffer was most of its garbage.
func (r *Response) Recycle() {
	if r == nil {
		return
	}
	r.Release()
	if r.pooled != nil {
		*r.pooled = r.Body[:0]
		answerBufs.Put(r.pooled)
		r.pooled = nil
	}
	r.Body = nil
}

// maxPooledAnswer bounds the buffers kept for reuse: a rare large answer
// (a getRecordings of thousands) is left to the garbage collector rather
// than held for the next small ones. sync.Pool drops what stays unused
// for two collections, so the pool holds no more than the answers of
// about one poll round.
const maxPooledAnswer = 1 << 20

// answerBufs holds *[]byte of at most maxPooledAnswer bytes.
var answerBufs sync.Pool

// answerBuf returns an empty buffer of at least n bytes of room for an
// answer, reused from answerBufs if one there is large enough, and the
// box that Recycle puts it back in.
func answerBuf(n int) (buf []byte, box *[]byte) {
	if p, ok := answerBufs.Get().(*[]byte); ok {
		if cap(*p) >= n {
			return (*p)[:0], p
		}
		// Too small: dropped; the buffer made instead takes its place.
		return make([]byte, 0, n), p
	}
	return make([]byte, 0, n), new([]byte)
}

// NewTransport returns an HTTP transport for BBB backends: connect timeout
// dial, response header timeout, and enough idle connections per host that
// a burst does not redial. Redirects are not followed by the clients built
// on it (see NewHTTPClient): a join's 302 is the answer.
func NewTransport(connect, response time.Duration) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   connect,
		ResponseHeaderTimeout: response,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
}

// NewHTTPClient wraps t in a client that does not follow redirects.
func NewHTTPClient(t http.RoundTripper) *http.Client {
	return &http.Client{
		Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func (c *Client) alg() Algorithm {
	if c.Algorithm == 0 {
		return SHA256
	}
	return c.Algorithm
}

// URL returns the signed URL of call with the raw query (without checksum).
func (c *Client) URL(call, query string) string {
	return SignedURL(c.Base, call, query, c.Secret, c.alg())
}

// URLParams is URL(call, p.Encode()), built in one allocation.
func (c *Client) URLParams(call string, p Params) string {
	return SignedURLParams(c.Base, call, p, c.Secret, c.alg())
}

// Get calls call with query by GET.
func (c *Client) Get(ctx context.Context, call, query string) (*Response, error) {
	return c.Do(ctx, http.MethodGet, call, query, nil, "")
}

// Do sends one signed call. body and contentType are passed on unchanged
// for a POST. The answer is read whole, up to MaxResponseBytes.
//
// A create is never replayed by the transport: Go's transport resends an
// idempotent GET on a new connection when a reused one drops, and then
// reports the retry's error, a refused dial, although the first attempt
// may have reached BBB and created the meeting. See IsConnectError.
func (c *Client) Do(ctx context.Context, method, call, query string, body []byte, contentType string) (*Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	var conns atomic.Int32
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { conns.Add(1) },
	})
	req, err := http.NewRequestWithContext(ctx, method, c.URL(call, query), rd)
	if err != nil {
		return nil, c.scrub(call, err, 0)
	}
	if call == CallCreate && body == nil {
		noReplay(req)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, c.scrub(call, err, conns.Load())
	}
	defer res.Body.Close()
	ch := &charge{b: c.Budget}
	data, pooled, err := readAnswer(ctx, res.Body, res.ContentLength, ch)
	if err != nil {
		ch.free()
		return nil, c.scrub(call, err, conns.Load())
	}
	out := &Response{
		Status:      res.StatusCode,
		ContentType: res.Header.Get("Content-Type"),
		Location:    res.Header.Get("Location"),
		SetCookie:   res.Header.Values("Set-Cookie"),
		Body:        data,
		charge:      ch,
		pooled:      pooled,
	}
	if c.Budget != nil {
		runtime.AddCleanup(out, func(ch *charge) { ch.free() }, ch)
	}
	return out, nil
}

// noReplay makes a body-less GET one the transport will not resend: a
// request with a body it cannot rewind (no GetBody) is not replayable. The
// body is empty, so the transport finds it so and sends a plain GET
// without Content-Length or chunked encoding.
func noReplay(req *http.Request) {
	req.Body = io.NopCloser(emptyReader{})
	req.GetBody = nil
	req.ContentLength = 0
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, io.EOF }

// readChunk is how much of an answer of unknown length is charged to the
// budget at first; the charge doubles as the answer grows.
const readChunk = 64 << 10

// readAnswer reads an answer whole, at most MaxResponseBytes, charging its
// buffer to ch before it is allocated: all of a declared length at once,
// else as it grows. An answer up to maxPooledAnswer is read into a buffer
// of answerBufs; pooled is its box, for Recycle (nil for a larger one).
func readAnswer(ctx context.Context, r io.Reader, length int64, ch *charge) (body []byte, pooled *[]byte, err error) {
	tooLarge := fmt.Errorf("answer larger than %d bytes", MaxResponseBytes)
	if length > MaxResponseBytes {
		return nil, nil, tooLarge
	}
	if length > 0 { // 0 may mean unknown in a hand-made Response: read on
		if err := ch.grow(ctx, length); err != nil {
			return nil, nil, err
		}
		if length > maxPooledAnswer {
			buf := make([]byte, length)
			if _, err := io.ReadFull(r, buf); err != nil {
				return nil, nil, err
			}
			return buf, nil, nil
		}
		buf, box := answerBuf(int(length))
		buf = buf[:length]
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, nil, err
		}
		return buf, box, nil
	}
	return readUnknown(ctx, r, ch, tooLarge)
}

// readUnknown reads an answer of unknown length (chunked): its charge
// starts at readChunk and doubles as the answer grows, whatever room the
// reused buffer it reads into has already.
func readUnknown(ctx context.Context, r io.Reader, ch *charge, tooLarge error) ([]byte, *[]byte, error) {
	if err := ch.grow(ctx, readChunk); err != nil {
		return nil, nil, err
	}
	charged := readChunk
	buf, box := answerBuf(readChunk)
	for {
		if len(buf) == charged {
			if charged > MaxResponseBytes {
				return nil, nil, tooLarge
			}
			next := min(2*charged, MaxResponseBytes+1)
			if err := ch.grow(ctx, int64(next-charged)); err != nil {
				return nil, nil, err
			}
			charged = next
			if cap(buf) < next {
				buf = append(make([]byte, 0, next), buf...)
			}
		}
		n, err := r.Read(buf[len(buf):charged])
		buf = buf[:len(buf)+n]
		if len(buf) > MaxResponseBytes {
			return nil, nil, tooLarge
		}
		if err == io.EOF {
			if cap(buf) > maxPooledAnswer {
				box = nil
			}
			return buf, box, nil
		}
		if err != nil {
			return nil, nil, err
		}
	}
}

var defaultHTTP = NewHTTPClient(NewTransport(5*time.Second, 30*time.Second))

// scrub drops the request URL from a transport error (it holds a
// checksum, and errors end up in logs) and names the call and the server
// instead, which is what an operator reading the log needs. conns is how
// many connections the call got: with none, the request cannot have
// reached the server.
func (c *Client) scrub(call string, err error, conns int32) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	host := c.Base
	if u, perr := url.Parse(c.Base); perr == nil && u.Host != "" {
		host = u.Host
	}
	return &callError{call: call, server: host, err: err, sent: conns > 0}
}

// callError is a failed call to one server, named by call and host.
type callError struct {
	call, server string
	err          error
	sent         bool // a connection was made: the request may have arrived
}

func (e *callError) Error() string { return e.call + " on " + e.server + ": " + e.err.Error() }
func (e *callError) Unwrap() error { return e.err }

// IsConnectError reports whether err means the request never reached the
// server: no connection could be made at all (refused, unreachable, DNS).
// A create that failed so cannot have created anything, and may be
// retried elsewhere. A timeout is not one, and neither is any error after
// a connection was made, even a dial error of a retry on a new connection:
// the first attempt may have been received.
func IsConnectError(err error) bool {
	var ce *callError
	if errors.As(err, &ce) && ce.sent {
		return false
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" && !op.Timeout() {
		return true
	}
	return false
}

// IsTimeout reports whether err is a call that ran out of time: the server
// may have received it and may still act on it.
func IsTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
