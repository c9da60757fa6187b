package gateway_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/gateway"
	"github.com/tinyscale/tinyscale/internal/asynclog"
	"github.com/tinyscale/tinyscale/metrics"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
)

// benchJoin is a join as Greenlight sends it: sorted keys, form encoding,
// userdata settings; about 400 bytes.
var benchJoin = url.Values{
	"meetingID":                            {"bench-room"},
	"fullName":                             {"Anna-Lena Müller-Schmidt"},
	"role":                                 {"MODERATOR"},
	"userID":                               {"a1b2c3d4-e5f6-7890-abcd-ef0123456789"},
	"createTime":                           {"1715261728123"},
	"avatarURL":                            {"https://greenlight.example.com/rails/active_storage/blobs/redirect/eyJfcmFpbHMiOnsiZGF0YSI6MTIzfX0/avatar.png"},
	"userdata-bbb_override_default_locale": {"de"},
	"userdata-bbb_skip_check_audio":        {"true"},
	"userdata-bbb_auto_join_audio":         {"true"},
}.Encode()

// benchGateway is a gateway in front of n fake servers, as the cluster of
// the tests but for benchmarks; cfg may adjust its configuration.
func benchGateway(b *testing.B, n int, cfg func(*gateway.Config)) (*gateway.Gateway, []*bbbfake.Server) {
	b.Helper()
	gw, fakes, _ := benchCluster(b, n, cfg)
	return gw, fakes
}

// benchCluster is benchGateway with its pool, for a benchmark that polls.
func benchCluster(b *testing.B, n int, cfg func(*gateway.Config)) (*gateway.Gateway, []*bbbfake.Server, *pool.Pool) {
	b.Helper()
	transport := bbb.NewTransport(time.Second, 5*time.Second)
	b.Cleanup(transport.CloseIdleConnections)
	hc := bbb.NewHTTPClient(transport)
	var fakes []*bbbfake.Server
	var servers []*pool.Server
	for i := range n {
		f := bbbfake.Start(fmt.Sprintf("bench-fake-%d", i))
		b.Cleanup(f.Close)
		fakes = append(fakes, f)
		servers = append(servers, pool.NewServer(f.Addr(), &bbb.Client{Base: f.URL(), Secret: f.Secret(), HTTP: hc}))
	}
	c := gateway.Config{Secrets: []string{testSecret}, RequestTimeout: 2 * time.Second, FanoutTimeout: time.Second}
	if cfg != nil {
		cfg(&c)
	}
	p := pool.New(servers...)
	return gateway.New(c, p, state.NewMemory()), fakes, p
}

// serve sends GET pathQuery to gw and returns the recorded answer.
func serve(gw http.Handler, pathQuery string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	gw.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, pathQuery, nil))
	return rec
}

// benchCreate creates a meeting through gw, failing the benchmark if it fails.
func benchCreate(b *testing.B, gw http.Handler, id string) {
	b.Helper()
	rec := serve(gw, signed("create", url.Values{"meetingID": {id}, "name": {"Room " + id}}))
	if !strings.Contains(rec.Body.String(), "<returncode>SUCCESS</returncode>") {
		b.Fatalf("create %s: %s", id, rec.Body)
	}
}

// headerWriter is a ResponseWriter that keeps the status and headers and
// drops the body: it costs the benchmark next to nothing, unlike
// httptest.ResponseRecorder.
type headerWriter struct {
	h    http.Header
	code int
}

func (w *headerWriter) Header() http.Header         { return w.h }
func (w *headerWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *headerWriter) WriteHeader(code int)        { w.code = code }

// reset readies w for the next request.
func (w *headerWriter) reset() {
	clear(w.h)
	w.code = 0
}

// BenchmarkJoin is the whole join path in the gateway: checksum
// verification, the owner looked up in the state, the join re-signed for
// the backend, the 302 written. No backend is called. The request is
// parsed once and copied per iteration, so that net/http's own parsing,
// the same for every handler, is left out.
//
// The "default" case is configured as tinyscale serves by default: one log
// line per call (asynclog's text handler, to io.Discard), the
// metrics, the checksum limiter.
func BenchmarkJoin(b *testing.B) {
	gw, _ := benchGateway(b, 4, nil)
	benchCreate(b, gw, "bench-room")
	logw := asynclog.New(io.Discard, 0, 0)
	b.Cleanup(func() { logw.Close() })
	def, _ := benchGateway(b, 4, func(c *gateway.Config) {
		c.Logger = slog.New(asynclog.NewTextHandler(logw, nil))
		c.Observer = metrics.New(pool.New())
		c.Limiter = &gateway.Limiter{Failures: 20, Window: time.Minute, Block: 5 * time.Minute}
	})
	benchCreate(b, def, "bench-room")
	for _, tc := range []struct {
		name string
		gw   *gateway.Gateway
		alg  bbb.Algorithm
	}{{"sha1", gw, bbb.SHA1}, {"sha256", gw, bbb.SHA256}, {"default", def, bbb.SHA256}} {
		gw, alg := tc.gw, tc.alg
		b.Run(tc.name, func(b *testing.B) { loopJoins(b, gw, alg) })
	}
}

// BenchmarkChecksumError is a request with a wrong checksum: what a client
// guessing the secret costs tinyscale per guess, without and with the
// limiter blocking its address (answered without hashing). The request is
// copied from a template, as in BenchmarkJoin.
func BenchmarkChecksumError(b *testing.B) {
	bad := "/bigbluebutton/api/join?" + benchJoin + "&checksum=" + strings.Repeat("0", 64)
	for _, tc := range []struct {
		name    string
		limiter *gateway.Limiter
	}{
		{"unlimited", nil},
		{"blocked", &gateway.Limiter{Failures: 1, Window: time.Hour, Block: time.Hour}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			gw, _ := benchGateway(b, 1, func(c *gateway.Config) { c.Limiter = tc.limiter })
			if rec := serve(gw, bad); !strings.Contains(rec.Body.String(), "checksumError") { // blocks the address, with a limiter
				b.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
			}
			loopRequests(b, gw, bad, 0)
		})
	}
}

// BenchmarkCreate is a create placed and proxied to a fake server over
// loopback HTTP: placement, the atomic claim, re-signing and the round
// trip, the fake's own work included. Each iteration creates a new meeting.
func BenchmarkCreate(b *testing.B) {
	gw, _ := benchGateway(b, 4, nil)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		benchCreate(b, gw, "create-"+strconv.Itoa(i))
	}
}

// BenchmarkGetMeetings is getMeetings fanned out to 20 fake servers with 5
// meetings of 3 participants each, their answers spliced into one. The
// fakes answer over loopback HTTP in this process, so their work counts
// too; /splice below is the splice alone.
func BenchmarkGetMeetings(b *testing.B) {
	gw, fakes := benchGateway(b, 20, nil)
	for i := range 100 {
		benchCreate(b, gw, "gm-"+strconv.Itoa(i))
	}
	for _, f := range fakes {
		for _, m := range f.Meetings() {
			f.AddUsers(m.MeetingID, 3, true, false)
		}
	}
	path := signed("getMeetings", nil)
	b.Run("fanout", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if rec := serve(gw, path); strings.Count(rec.Body.String(), "<meeting>") != 100 {
				b.Fatalf("want 100 meetings: %.300s", rec.Body)
			}
		}
	})
	// The splice as the gateway does it: each server's answer parsed for
	// its raw <meeting> elements, all written into one document.
	var bodies [][]byte
	for _, f := range fakes {
		res, err := f.Client().Get(b.Context(), "getMeetings", "")
		if err != nil {
			b.Fatal(err)
		}
		bodies = append(bodies, res.Body)
	}
	spec := &bbb.ListSpec{List: "meetings", Item: "meeting", Fields: []string{"meetingID"}}
	b.Run("splice", func(b *testing.B) {
		n := 0
		for _, body := range bodies {
			n += len(body)
		}
		b.SetBytes(int64(n))
		b.ReportAllocs()
		for b.Loop() {
			var items [][]byte
			for _, body := range bodies {
				r, err := bbb.ParseReply(body, spec)
				if err != nil {
					b.Fatal(err)
				}
				for _, it := range r.Items {
					items = append(items, it.Raw)
				}
			}
			if len(bbb.ListXML("meetings", items, "noMeetings", "", nil)) == 0 {
				b.Fatal("empty document")
			}
		}
	})
}

// BenchmarkJoinParticipantLimit is a join of a tenant with a participant
// limit in front of 4 servers holding 2,500 meetings of 3 participants
// each: the check reads the last round's count instead of walking the
// 10,000 meetings.
func BenchmarkJoinParticipantLimit(b *testing.B) {
	reg, err := tenant.NewRegistry(tenant.Tenant{Secrets: []string{testSecret}, Policy: tenant.Policy{MaxParticipants: 1 << 30}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	gw, fakes, pl := benchCluster(b, 4, func(c *gateway.Config) { c.Tenants = reg })
	benchCreate(b, gw, "bench-room")
	for i, f := range fakes {
		for j := range 2500 {
			id := fmt.Sprintf("load-%d-%d", i, j)
			q := url.Values{"meetingID": {id}, "name": {"Room"}}.Encode()
			rec := httptest.NewRecorder()
			f.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, bbbfake.APIPath+"/create?"+bbb.Sign(bbb.SHA256, bbb.CallCreate, q, f.Secret()), nil))
			f.AddUsers(id, 3, true, false)
		}
	}
	p := &pool.Poller{Pool: pl, Timeout: 10 * time.Second, Thresholds: pool.DefaultThresholds, OnRound: gw.Reconcile}
	p.PollOnce(b.Context())
	loopJoins(b, gw, bbb.SHA256)
}

// loopJoins sends benchJoin, signed with alg, to gw for each iteration of
// b, each answered with a redirect.
func loopJoins(b *testing.B, gw http.Handler, alg bbb.Algorithm) {
	loopRequests(b, gw, signedRaw(alg, "join", benchJoin), http.StatusFound)
}

// loopRequests sends GET pathQuery to gw for each iteration of b, failing
// on another status than want (0: any). The request is parsed once and
// copied per iteration, so that net/http's own parsing, the same for every
// handler, is left out.
func loopRequests(b *testing.B, gw http.Handler, pathQuery string, want int) {
	tmpl := httptest.NewRequest(http.MethodGet, pathQuery, nil)
	w := &headerWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		w.reset()
		r := *tmpl
		gw.ServeHTTP(w, &r)
		if want != 0 && w.code != want {
			b.Fatalf("HTTP %d, want %d", w.code, want)
		}
	}
}
