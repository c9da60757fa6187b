package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/gateway"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
)

// testSecret is the client-facing secret of the test gateway: the one of
// the BBB documentation's worked example, so its vectors apply.
const testSecret = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"

// cluster is tinyscale in front of fake BBB servers, all real HTTP servers
// on loopback.
type cluster struct {
	t     *testing.T
	fakes []*bbbfake.Server
	pool  *pool.Pool
	store *state.Memory
	gw    *gateway.Gateway
	srv   *httptest.Server
	hc    *http.Client
	// other serves what is not the BBB API (the callback relay).
	other http.Handler
	cfg   gateway.Config
}

func newCluster(t *testing.T, n int, opts ...func(*gateway.Config)) *cluster {
	t.Helper()
	return startCluster(t, n, false, opts...)
}

// newFuzzCluster is newCluster for a fuzz target, which builds one per
// input: the cluster's clients dial with SO_LINGER 0, so that their
// connections end in an RST rather than in TIME_WAIT. A TIME_WAIT socket
// holds its port, and a listen on port 0 (three a cluster) skips every
// such port: with hundreds of inputs a second, each leaving three, the
// kernel's scan for a free port grew to milliseconds a bind and the
// fuzzer to a crawl. The clients hang up first (the cleanups' order in
// startCluster), so the servers' ends are not left in TIME_WAIT either.
func newFuzzCluster(t *testing.T, n int, opts ...func(*gateway.Config)) *cluster {
	t.Helper()
	return startCluster(t, n, true, opts...)
}

// noLinger wraps dial so that each TCP connection it makes is closed with
// SO_LINGER 0.
func noLinger(dial func(context.Context, string, string) (net.Conn, error)) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if tc, ok := conn.(*net.TCPConn); ok {
			if err := tc.SetLinger(0); err != nil {
				tc.Close()
				return nil, err
			}
		}
		return conn, err
	}
}

func startCluster(t *testing.T, n int, lingerless bool, opts ...func(*gateway.Config)) *cluster {
	t.Helper()
	c := &cluster{t: t, store: state.NewMemory(), other: http.NotFoundHandler()}
	// The server starts first so that its URL is known to options that
	// need it (TINYSCALE_URL for callbacks).
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gateway.IsAPIPath(r.URL.Path) {
			c.gw.ServeHTTP(w, r)
			return
		}
		c.other.ServeHTTP(w, r)
	}))
	t.Cleanup(c.srv.Close)
	transport := bbb.NewTransport(time.Second, 5*time.Second)
	if lingerless {
		transport.DialContext = noLinger(transport.DialContext)
	}
	hc := bbb.NewHTTPClient(transport)
	var servers []*pool.Server
	for i := range n {
		f := bbbfake.Start("fake-secret-" + string(rune('a'+i)))
		t.Cleanup(f.Close)
		c.fakes = append(c.fakes, f)
		servers = append(servers, pool.NewServer(f.Addr(), &bbb.Client{Base: f.URL(), Secret: f.Secret(), HTTP: hc}))
	}
	// Cleanups run last first: the clients hang up before the servers stop.
	t.Cleanup(transport.CloseIdleConnections)
	c.pool = pool.New(servers...)
	cfg := gateway.Config{
		Secrets:        []string{testSecret},
		RequestTimeout: 2 * time.Second,
		FanoutTimeout:  time.Second,
		MaxBody:        1 << 20,
	}
	for _, o := range opts {
		o(&cfg)
	}
	c.cfg = cfg
	c.gw = gateway.New(cfg, c.pool, c.store)
	clientTransport := &http.Transport{}
	if lingerless {
		clientTransport.DialContext = noLinger((&net.Dialer{}).DialContext)
	}
	t.Cleanup(clientTransport.CloseIdleConnections)
	c.hc = &http.Client{
		Transport:     clientTransport,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c
}

// signed returns the path and query of a call signed with SHA-1, the way
// Greenlight does (sorted, form-encoded).
func signed(call string, v url.Values) string {
	return "/bigbluebutton/api/" + call + "?" + bbb.Sign(bbb.SHA1, call, v.Encode(), testSecret)
}

// signedRaw signs a raw query as a client built it.
func signedRaw(alg bbb.Algorithm, call, raw string) string {
	return "/bigbluebutton/api/" + call + "?" + bbb.Sign(alg, call, raw, testSecret)
}

// get sends GET path+query to tinyscale and returns the response and body.
func (c *cluster) get(pathQuery string) (*http.Response, string) {
	c.t.Helper()
	return c.do(http.MethodGet, pathQuery, "", "")
}

func (c *cluster) do(method, pathQuery, contentType, body string) (*http.Response, string) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.srv.URL+pathQuery, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, pathQuery, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return res, string(data)
}

// call sends a signed GET and parses the XML answer; it fails the test if
// the answer is not HTTP 200 BBB XML.
func (c *cluster) call(call string, v url.Values) *bbb.Reply {
	c.t.Helper()
	return c.reply(c.get(signed(call, v)))
}

func (c *cluster) reply(res *http.Response, body string) *bbb.Reply {
	c.t.Helper()
	if r := joinErrorReply(res); r != nil {
		return r
	}
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("HTTP %d, want 200: %s", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		c.t.Fatalf("Content-Type %q, want text/xml: %s", ct, body)
	}
	r, err := bbb.ParseReply([]byte(body), &bbb.ListSpec{List: "meetings", Item: "meeting", Fields: []string{"meetingID"}})
	if err != nil {
		c.t.Fatalf("not BBB XML: %v: %s", err, body)
	}
	return r
}

// create makes a meeting through tinyscale and returns the fake that got it.
func (c *cluster) create(id string) *bbbfake.Server {
	c.t.Helper()
	r := c.call("create", url.Values{"meetingID": {id}, "name": {"Room " + id}})
	if !r.OK() {
		c.t.Fatalf("create %q: %s %s", id, r.MessageKey, r.Message)
	}
	return c.holder(id)
}

// holder returns the one fake that runs the meeting, failing the test if
// none or several do.
func (c *cluster) holder(id string) *bbbfake.Server {
	c.t.Helper()
	var found *bbbfake.Server
	for _, f := range c.fakes {
		if f.HasMeeting(id) {
			if found != nil {
				c.t.Fatalf("meeting %q runs on two servers: %s and %s", id, found.Addr(), f.Addr())
			}
			found = f
		}
	}
	if found == nil {
		c.t.Fatalf("meeting %q runs on no server", id)
	}
	return found
}

func wantKey(t *testing.T, r *bbb.Reply, rc, key string) {
	t.Helper()
	if r.ReturnCode != rc || r.MessageKey != key {
		t.Fatalf("got %s/%s (%s), want %s/%s", r.ReturnCode, r.MessageKey, r.Message, rc, key)
	}
}

// poll runs one poll round as the poller does, reconciling placements.
func (c *cluster) poll() {
	c.t.Helper()
	p := &pool.Poller{Pool: c.pool, Timeout: time.Second, Thresholds: pool.DefaultThresholds, OnRound: c.gw.Reconcile}
	p.PollOnce(c.t.Context())
}

// reconfigure rebuilds the gateway with a changed configuration, for
// settings that need the cluster's URL.
func (c *cluster) reconfigure(f func(*gateway.Config)) {
	f(&c.cfg)
	c.gw = gateway.New(c.cfg, c.pool, c.store)
}

func mustRead(t *testing.T, res *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// joinErrorReply reads a failed join's redirect (errors=[{key,message}]
// appended to its target, BBB 2.7+) as the FAILED reply it stands for; nil
// for any other answer.
func joinErrorReply(res *http.Response) *bbb.Reply {
	if res.StatusCode != http.StatusFound {
		return nil
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || !loc.Query().Has("errors") {
		return nil
	}
	var errs []struct{ Key, Message string }
	if json.Unmarshal([]byte(loc.Query().Get("errors")), &errs) != nil || len(errs) != 1 {
		return nil
	}
	return &bbb.Reply{ReturnCode: bbb.Failed, MessageKey: errs[0].Key, Message: errs[0].Message}
}
