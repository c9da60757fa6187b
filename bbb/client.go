package bbb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
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

// Get calls call with query by GET.
func (c *Client) Get(ctx context.Context, call, query string) (*Response, error) {
	return c.Do(ctx, http.MethodGet, call, query, nil, "")
}

// Do sends one signed call. body and contentType are passed on unchanged
// for a POST. The answer is read whole, up to MaxResponseBytes.
func (c *Client) Do(ctx context.Context, method, call, query string, body []byte, contentType string) (*Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL(call, query), rd)
	if err != nil {
		return nil, c.scrub(call, err)
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
		return nil, c.scrub(call, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, c.scrub(call, err)
	}
	if len(data) > MaxResponseBytes {
		return nil, fmt.Errorf("answer larger than %d bytes", MaxResponseBytes)
	}
	return &Response{
		Status:      res.StatusCode,
		ContentType: res.Header.Get("Content-Type"),
		Location:    res.Header.Get("Location"),
		SetCookie:   res.Header.Values("Set-Cookie"),
		Body:        data,
	}, nil
}

var defaultHTTP = NewHTTPClient(NewTransport(5*time.Second, 30*time.Second))

// scrub drops the request URL from a transport error (it holds a
// checksum, and errors end up in logs) and names the call and the server
// instead, which is what an operator reading the log needs.
func (c *Client) scrub(call string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	host := c.Base
	if u, perr := url.Parse(c.Base); perr == nil && u.Host != "" {
		host = u.Host
	}
	return &callError{call: call, server: host, err: err}
}

// callError is a failed call to one server, named by call and host.
type callError struct {
	call, server string
	err          error
}

func (e *callError) Error() string { return e.call + " on " + e.server + ": " + e.err.Error() }
func (e *callError) Unwrap() error { return e.err }

// IsConnectError reports whether err means the request never reached the
// server (refused, unreachable, DNS): a create that failed so cannot have
// created anything, and may be retried elsewhere. A timeout is not one.
func IsConnectError(err error) bool {
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
