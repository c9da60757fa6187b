package admin

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/pool"
)

// TestAddServer adds servers through the API: a real BBB server is
// checked and takes meetings; a misconfigured one is refused with the
// reason; an unreachable one is added offline with a warning; invalid
// entries are refused by the rules of servers.json.
func TestAddServer(t *testing.T) {
	e := newEnv(t, token, nil, "bbb1")
	good := startFake(t, "bbb9")
	wrong := startFake(t, "wrong")
	notBBB := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("<html>404</html>"))
	}))
	t.Cleanup(notBBB.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()

	tests := []struct {
		name       string
		body       any
		wantStatus int
		want       []string // in the body
		online     bool
	}{
		{"real server", map[string]any{"id": "bbb9", "host": good.URL(), "secret": good.Secret(), "weight": 2, "tags": []string{"big"}},
			http.StatusCreated, []string{`"id": "bbb9"`, `"online": true`, `"weight": 2`, `"big"`}, true},
		{"unreachable", map[string]any{"id": "down", "host": down, "secret": "x"},
			http.StatusCreated, []string{`"online": false`, `"warning"`, "cannot be reached", "added offline"}, false},
		{"wrong secret", map[string]any{"host": wrong.URL(), "secret": "not-it"},
			http.StatusBadRequest, []string{"secret", wrong.Addr()}, false},
		{"not BBB", map[string]any{"host": notBBB.URL, "secret": "x"},
			http.StatusBadRequest, []string{"BBB"}, false},
		{"same id", map[string]any{"id": "bbb1", "host": "http://127.0.0.1:1", "secret": "x"},
			http.StatusConflict, []string{`\"bbb1\" exists`}, false},
		{"same host", map[string]any{"id": "again", "host": e.fakes["bbb1"].URL() + "/", "secret": "x"},
			http.StatusConflict, []string{"already has host"}, false},
		{"bad host", map[string]any{"host": "bbb.example.org", "secret": "x"},
			http.StatusBadRequest, []string{"invalid server", `\"host\"`, "not an http(s) URL"}, false},
		{"no secret", map[string]any{"host": "https://bbb.example.org"},
			http.StatusBadRequest, []string{`\"secret\"`, "bbb-conf --secret"}, false},
		{"negative weight", map[string]any{"host": "https://bbb.example.org", "secret": "x", "weight": -1},
			http.StatusBadRequest, []string{`\"weight\"`, "negative"}, false},
		{"bad algorithm", map[string]any{"host": "https://bbb.example.org", "secret": "x", "algorithm": "md5"},
			http.StatusBadRequest, []string{`\"algorithm\"`, "md5"}, false},
		{"typo field", map[string]any{"host": "https://bbb.example.org", "secret": "x", "maxload": 5},
			http.StatusBadRequest, []string{"maxload"}, false},
		{"not JSON", "host=x", http.StatusBadRequest, []string{"not a server entry"}, false},
		{"empty", "", http.StatusBadRequest, []string{"empty body"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.pool.All())
			var ans ServerAnswer
			st, body := e.admin("POST", Prefix+"servers", tt.body, &ans)
			if st != tt.wantStatus {
				t.Fatalf("HTTP %d %s, want %d", st, body, tt.wantStatus)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("answer does not mention %q: %s", w, body)
				}
			}
			for _, secret := range []string{good.Secret(), "not-it"} {
				if strings.Contains(body, secret) {
					t.Errorf("answer holds a secret: %s", body)
				}
			}
			added := len(e.pool.All()) - before
			if st == http.StatusCreated {
				if added != 1 || e.pool.Get(ans.Server.ID) == nil || ans.Server.Online != tt.online {
					t.Errorf("pool grew by %d, server %+v; want 1, online %v", added, ans.Server, tt.online)
				}
			} else if added != 0 {
				t.Errorf("a refused server changed the pool by %d", added)
			}
		})
	}

	// The new server takes meetings: the others are cordoned.
	e.pool.Get("bbb1").SetAdmin(pool.Cordoned)
	e.fakes["bbb9"] = good
	if got := e.create("on-new"); got != "bbb9" {
		t.Errorf("meeting on %s, want the added bbb9", got)
	}
	var list ServerList
	_, body := e.admin("GET", Prefix+"servers", nil, &list)
	if strings.Contains(body, "secret") {
		t.Errorf("server list mentions a secret: %s", body)
	}
}

// TestRemoveServer removes a server: it leaves the pool, its meetings'
// placements stay but calls for them answer notFound, as BBB does for a
// meeting it does not know.
func TestRemoveServer(t *testing.T) {
	e := newEnv(t, token, nil, "bbb1", "bbb2")
	e.pool.Get("bbb2").SetAdmin(pool.Cordoned)
	e.create("m1")
	e.pool.Get("bbb2").SetAdmin(pool.Enabled)
	var ans RemoveAnswer
	if st, body := e.admin("DELETE", Prefix+"servers/bbb1", nil, &ans); st != http.StatusOK || ans.Removed != "bbb1" || ans.Placements != 1 {
		t.Fatalf("remove: HTTP %d %s", st, body)
	}
	if e.pool.Get("bbb1") != nil || len(e.pool.All()) != 1 {
		t.Errorf("bbb1 still in the pool")
	}
	if _, key := e.join("m1"); key != "notFound" {
		t.Errorf("join m1 on the removed server: %q, want notFound", key)
	}
	if st, _ := e.admin("DELETE", Prefix+"servers/bbb1", nil, nil); st != http.StatusNotFound {
		t.Errorf("second remove: HTTP %d, want 404", st)
	}
	if got := e.create("m2"); got != "bbb2" {
		t.Errorf("m2 on %s, want bbb2", got)
	}
}
