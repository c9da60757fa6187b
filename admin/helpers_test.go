package admin

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/config"
	"github.com/tinyscale/tinyscale/gateway"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
)

const (
	token        = "the-admin-token"
	clientSecret = "client-secret"
)

// env is tinyscale's control and data plane over fake BBB servers, on
// loopback: the gateway at /bigbluebutton/api, the admin API at /admin/.
type env struct {
	t      *testing.T
	fakes  map[string]*bbbfake.Server // by server ID
	base   []config.Server
	pool   *pool.Pool
	fleet  *Fleet
	store  *state.Memory
	poller *pool.Poller
	url    string
}

// backendSecret is the secret of the fake server with that ID.
func backendSecret(id string) string { return "secret-of-" + id }

// startFake starts a fake BBB server closed at the end of the test.
func startFake(t *testing.T, id string) *bbbfake.Server {
	t.Helper()
	f := bbbfake.Start(backendSecret(id))
	f.SetName(id)
	t.Cleanup(f.Close)
	return f
}

// build makes pool servers as serve does.
func build(sc config.Server) *pool.Server {
	s := pool.NewServer(sc.ID, &bbb.Client{Base: sc.Host, Secret: sc.Secret, Algorithm: sc.SigningAlgorithm()})
	s.Weight, s.Tags, s.MaxLoad = sc.Weight, sc.Tags, sc.MaxLoad
	return s
}

// newEnv starts fake servers with the given IDs and tinyscale over them,
// its admin changes kept by o (a memory overlay when nil).
func newEnv(t *testing.T, tok string, o Overlay, ids ...string) *env {
	t.Helper()
	e := &env{t: t, fakes: map[string]*bbbfake.Server{}, store: state.NewMemory()}
	for _, id := range ids {
		f := startFake(t, id)
		e.fakes[id] = f
		e.base = append(e.base, config.Server{ID: id, Host: f.URL(), Secret: f.Secret(), Weight: 1})
	}
	if o == nil {
		o = &MemoryOverlay{}
	}
	e.pool = pool.New()
	e.fleet = NewFleet(e.pool, o, build, nil)
	e.fleet.CheckTimeout = 5 * time.Second
	if err := e.fleet.Init(e.base); err != nil {
		t.Fatal(err)
	}
	gw := gateway.New(gateway.Config{Secrets: []string{clientSecret}}, e.pool, e.store)
	e.poller = &pool.Poller{Pool: e.pool, Interval: time.Hour, Timeout: 5 * time.Second, Thresholds: pool.DefaultThresholds, OnRound: gw.Reconcile}
	api := New(Config{Token: tok, Fleet: e.fleet, Store: e.store, Timeout: 5 * time.Second, TokenFailures: 1 << 20})
	mux := http.NewServeMux()
	mux.Handle(gateway.APIPrefix+"/", gw)
	mux.Handle("/admin/", api)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

var httpClient = &http.Client{
	Timeout:       20 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// admin calls the admin API with the token and returns the status and
// body; out, if not nil, gets the decoded body.
func (e *env) admin(method, path string, body any, out any) (int, string) {
	e.t.Helper()
	return e.adminAs("Bearer "+token, method, path, body, out)
}

func (e *env) adminAs(auth, method, path string, body any, out any) (int, string) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		e.t.Errorf("%s %s: Content-Type %q, want JSON; body %s", method, path, ct, data)
	}
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
	return res.StatusCode, string(data)
}

// api makes a signed BBB API call and returns the HTTP status, the
// Location and the parsed reply (nil for a redirect).
func (e *env) api(call string, v url.Values) (int, string, *bbb.Reply) {
	e.t.Helper()
	u := e.url + gateway.APIPrefix + "/" + call + "?" + bbb.Sign(bbb.SHA256, call, v.Encode(), clientSecret)
	res, err := httpClient.Get(u)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return res.StatusCode, res.Header.Get("Location"), nil
	}
	r, err := bbb.ParseReply(data, nil)
	if err != nil {
		e.t.Fatalf("%s: %v: %s", call, err, data)
	}
	return res.StatusCode, "", r
}

// create creates a meeting through tinyscale and returns the ID of the
// server holding it.
func (e *env) create(meetingID string) string {
	e.t.Helper()
	_, _, r := e.api("create", url.Values{"meetingID": {meetingID}, "name": {meetingID}})
	if r == nil || !r.OK() {
		e.t.Fatalf("create %s: %+v", meetingID, r)
	}
	for id, f := range e.fakes {
		if f.HasMeeting(meetingID) {
			return id
		}
	}
	e.t.Fatalf("meeting %s is on no fake server", meetingID)
	return ""
}

// join asks tinyscale to join a meeting: the server it redirects to, or
// the messageKey of its refusal.
func (e *env) join(meetingID string) (server, key string) {
	e.t.Helper()
	status, loc, r := e.api("join", url.Values{"meetingID": {meetingID}, "fullName": {"Ada"}, "role": {"MODERATOR"}})
	if status == http.StatusFound {
		for id, f := range e.fakes {
			if strings.HasPrefix(loc, f.URL()+"/") {
				return id, ""
			}
		}
		// A refused join redirects with errors=[{"key":…}], as BBB 2.7+.
		if u, err := url.Parse(loc); err == nil && u.Query().Has("errors") {
			var errs []struct{ Key string }
			if json.Unmarshal([]byte(u.Query().Get("errors")), &errs) == nil && len(errs) == 1 {
				return "", errs[0].Key
			}
		}
		e.t.Fatalf("join %s redirects to %s, no fake server", meetingID, loc)
	}
	if r == nil || r.OK() {
		e.t.Fatalf("join %s: HTTP %d %+v", meetingID, status, r)
	}
	return "", r.MessageKey
}

// server returns the API's view of one server.
func (e *env) server(id string) ServerInfo {
	e.t.Helper()
	var ans ServerAnswer
	if st, body := e.admin("GET", Prefix+"servers/"+url.PathEscape(id), nil, &ans); st != http.StatusOK {
		e.t.Fatalf("GET server %s: HTTP %d %s", id, st, body)
	}
	return ans.Server
}
